/**
 * The curator-to-trainer handover through the real CLI, on a work folder the test makes from the demo
 * sample: decisions from the shell, review states in status/inspect, a release of the approved bundles
 * (hard links, left-out list, index with every file's hash, mixing table), its Ed25519 signature, its
 * immutability, verification catching a corrupted shard and a slipped-in file, a copy onto another file
 * system, a rerun that changes the bundles sending them back to review, and Python's hashlib (a reader
 * that shares no code with ours) recomputing every hash in release.json.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { writeSampleCorpus } from "../../src/demo/sample-corpus.ts"
import { makeDuckDBLayer } from "../../src/core/duckdb.ts"
import { sha256File } from "../../src/core/files.ts"
import { sha256Hex } from "../../src/core/text.ts"
import { ReleaseIndex } from "../../src/release/schema.ts"
import { checkReleaseFiles, verifyRelease } from "../../src/release/verify.ts"
import { checkIndexSignature, loadPublicKey } from "../../src/release/sign.ts"
import { readReviewLog } from "../../src/review/log.ts"
import { cli, PYTHON, repoRoot, requirePresent, tempDir } from "../helpers.ts"

const env = { SOURCE_DATE_EPOCH: "1700000000" }
const hasPython = requirePresent("Debian python3 (/usr/bin/python3)", fs.existsSync(PYTHON), "the hashlib reader of release.json")

/** A folder on another file system than the temporary folder (tmpfs /dev/shm), to force copies; null when there is none. */
function otherFileSystemDir(): string | null {
  if (!fs.existsSync("/dev/shm")) return null
  try {
    const dir = fs.mkdtempSync("/dev/shm/scicurate-release-test-")
    if (fs.statSync(dir).dev === fs.statSync(os.tmpdir()).dev) {
      fs.rmSync(dir, { recursive: true, force: true })
      return null
    }
    return dir
  } catch {
    return null
  }
}

describe("review, release and verify through the CLI", () => {
  let root: string
  let work: string
  let bundles: string
  let releases: string
  let pipeline: string
  let key: string
  let otherFs: string | null = null
  const bundle = (name: string) => path.join(bundles, name)
  const readIndex = (dir: string) => Schema.decodeUnknownSync(ReleaseIndex)(JSON.parse(fs.readFileSync(path.join(dir, "release.json"), "utf8")))

  beforeAll(async () => {
    root = tempDir()
    const sample = path.join(root, "sample")
    await writeSampleCorpus(sample)
    pipeline = path.join(root, "demo.yaml")
    fs.writeFileSync(pipeline, fs.readFileSync(path.join(repoRoot, "pipelines/demo.yaml"), "utf8").replace("${SCICURATE_SAMPLE:-../work/sample}", sample))
    work = path.join(root, "w")
    bundles = path.join(work, "bundles")
    releases = path.join(root, "releases")
    key = path.join(root, "signer")
    const r = cli(["run", pipeline, "--work", work, "--workers", "2"], env)
    if (r.status !== 0) throw new Error(`run failed:\n${r.stderr}`)
    otherFs = otherFileSystemDir()
  }, 300_000)

  afterAll(() => {
    if (otherFs !== null) fs.rmSync(otherFs, { recursive: true, force: true })
  })

  it("refuses a release while no bundle is approved", () => {
    const r = cli(["release", work, "--name", "r1", "--to", releases], env)
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/no approved bundle to release .*chemistry needs-review.*scicurate review/)
    expect(fs.existsSync(path.join(releases, "r1"))).toBe(false)
  })

  it("records decisions from the shell: prints the new state, appends to the chained log, takes exactly one decision", () => {
    const approve = cli(["review", bundle("chemistry"), "--approve", "--note", "reads well", "--curator", "alice"])
    expect(approve.status, approve.stderr).toBe(0)
    expect(approve.stdout).toMatch(/^chemistry: approved .*was needs-review/)
    expect(approve.stdout).toContain('approved by alice (cli, ')
    // Without --curator the OS user decides.
    const own = cli(["review", bundle("materials-science"), "--approve", "--note", "ok"])
    expect(own.stdout).toContain(`approved by ${os.userInfo().username} (cli`)
    expect(cli(["review", bundle("unrouted"), "--reject", "--note", "noise", "--curator", "bob"]).stdout).toMatch(/^unrouted: rejected/)
    expect(cli(["review", bundle("engineering"), "--request-changes", "--note", "too small", "--curator", "bob"]).stdout).toMatch(/^engineering: changes-requested/)

    const both = cli(["review", bundle("chemistry"), "--approve", "--reject", "--note", "x"])
    expect(both.status).toBe(2)
    expect(both.stderr).toMatch(/exactly one of --approve, --reject, --request-changes/)
    const none = cli(["review", bundle("chemistry"), "--note", "x"])
    expect(none.status).toBe(2)
    const notBundle = cli(["review", bundles, "--approve", "--note", "x"])
    expect(notBundle.status).toBe(2)
    expect(notBundle.stderr).toMatch(/not a bundle folder \(no manifest\.json\)/)

    const log = readReviewLog(work)
    expect(log.problems).toEqual([])
    expect(log.decisions.map((d) => [d.bundle, d.decision, d.via])).toEqual([
      ["chemistry", "approve", "cli"],
      ["materials-science", "approve", "cli"],
      ["unrouted", "reject", "cli"],
      ["engineering", "request-changes", "cli"]
    ])
    const manifest = JSON.parse(fs.readFileSync(path.join(bundle("chemistry"), "manifest.json"), "utf8"))
    expect(log.decisions[0]!.content_sha256).toBe(manifest.content_sha256)
  })

  it("shows each bundle's review state in status and inspect", () => {
    const status = cli(["status", work])
    expect(status.status).toBe(0)
    expect(status.stdout).toMatch(/2 of 11 approved for release/)
    expect(status.stdout).toMatch(/^chemistry\s+approved\s/m)
    expect(status.stdout).toMatch(/^unrouted\s+rejected\s/m)
    expect(status.stdout).toMatch(/^engineering\s+changes-requested\s/m)
    expect(status.stdout).toMatch(/^astrophysics-cosmology\s+needs-review\s/m)
    const inspect = cli(["inspect", bundle("engineering")])
    expect(inspect.stdout).toMatch(/^ {2}review: changes requested by bob \(cli, .*\): "too small"$/m)
  })

  it("releases the approved bundles as hard links, lists the others as left out, and indexes every file", () => {
    const keygen = cli(["keygen", "--out", key])
    expect(keygen.status, keygen.stderr).toBe(0)
    expect((fs.statSync(`${key}.key`).mode & 0o777).toString(8)).toBe("600")
    const r = cli(["release", work, "--name", "r1", "--to", releases, "--key", `${key}.key`], env)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^release r1: /)
    expect(r.stdout).toMatch(/files: 10 hard-linked, 0 copied/)
    expect(r.stdout).toMatch(/^ {2}unrouted: rejected by bob/m)
    expect(r.stdout).toMatch(/^ {2}engineering: changes requested by bob/m)

    const dir = path.join(releases, "r1")
    expect(fs.readdirSync(releases)).toEqual(["r1"]) // no build folder left beside it
    const index = readIndex(dir)
    expect(index.name).toBe("r1")
    expect(index.created_at).toBe("2023-11-14T22:13:20.000Z")
    expect(index.bundles.map((b) => b.name)).toEqual(["chemistry", "materials-science"])
    expect(index.left_out.map((l) => [l.name, l.state])).toEqual([
      ["astrophysics-cosmology", "needs-review"],
      ["biology-biochemistry", "needs-review"],
      ["climate-atmosphere-ocean", "needs-review"],
      ["computer-science-hpc", "needs-review"],
      ["condensed-matter-physics", "needs-review"],
      ["earth-environment", "needs-review"],
      ["engineering", "changes-requested"],
      ["mathematics-statistics", "needs-review"],
      ["unrouted", "rejected"]
    ])
    // release.json is canonical JSON: what the writer renders from its own parse, byte for byte.
    const text = fs.readFileSync(path.join(dir, "release.json"), "utf8")
    expect(text.endsWith("}\n")).toBe(true)

    for (const b of index.bundles) {
      const manifest = JSON.parse(fs.readFileSync(path.join(bundle(b.name), "manifest.json"), "utf8"))
      expect(b.content_sha256).toBe(manifest.content_sha256)
      expect(b.approval.decision).toBe("approve")
      expect(b.approval.content_sha256).toBe(manifest.content_sha256)
      expect(b.reviews.length).toBe(1)
      expect(b.documents).toBe(manifest.totals.documents)
      // Exactly the files of the bundle folder, each with its true hash and size, and linked, not copied.
      const onDisk = listFiles(bundle(b.name)).map((p) => `bundles/${b.name}/${p}`)
      expect(b.files.map((f) => f.path)).toEqual(onDisk)
      for (const f of b.files) {
        const released = path.join(dir, f.path)
        const original = path.join(bundle(b.name), f.path.slice(`bundles/${b.name}/`.length))
        expect(sha256File(released), f.path).toBe(f.sha256)
        expect(fs.statSync(released).size).toBe(f.bytes)
        expect(fs.statSync(released).ino, `${f.path} is a hard link to the bundle's file`).toBe(fs.statSync(original).ino)
        const shard = [...manifest.shards, ...manifest.token_shards.flatMap((t: any) => [{ ...t.bin, split: t.split }, { ...t.idx, split: t.split }])].find(
          (s: any) => `bundles/${b.name}/${s.path}` === f.path
        )
        expect(f.split).toBe(shard ? shard.split : null)
      }
      expect(b.manifest_sha256).toBe(sha256File(path.join(dir, b.path, "manifest.json")))
    }
    expect(index.totals.files).toBe(10)
    expect(index.totals.bytes).toBe(index.bundles.flatMap((b) => b.files).reduce((a, f) => a + f.bytes, 0))

    // Mixing: sampling weights from the definitions, normalised over the two released bundles.
    const weightOf = (name: string) => JSON.parse(fs.readFileSync(path.join(bundle(name), "manifest.json"), "utf8")).definition.sampling_weight as number
    const sum = weightOf("chemistry") + weightOf("materials-science")
    for (const m of index.mixing) {
      expect(m.sampling_weight).toBe(weightOf(m.bundle))
      expect(m.weight).toBeCloseTo(weightOf(m.bundle) / sum, 12)
      expect(m.token_prefixes.length).toBeGreaterThan(0)
      for (const p of m.token_prefixes) {
        expect(fs.existsSync(path.join(dir, `${p.prefix}.bin`)), p.prefix).toBe(true)
        expect(fs.existsSync(path.join(dir, `${p.prefix}.idx`)), p.prefix).toBe(true)
      }
      expect(m.tokens.train + m.tokens.validation).toBe(m.token_prefixes.reduce((a, p) => a + p.tokens, 0))
    }
    expect(index.mixing.reduce((a, m) => a + m.weight, 0)).toBeCloseTo(1, 12)

    // A bundle inside the release says what it was released on, not "needs review" from a log it has not got.
    expect(cli(["inspect", path.join(dir, "bundles/chemistry")]).stdout).toMatch(/^ {2}review: released in r1: approved by alice \(cli, .*\): "reads well"$/m)

    const verify = cli(["verify", dir, "--public-key", `${key}.pub`])
    expect(verify.status, verify.stdout + verify.stderr).toBe(0)
    expect(verify.stdout).toMatch(/^ok {7}signature: good signature by key [0-9a-f]{64}$/m)
    expect(verify.stdout).toMatch(/verified release r1 .*10 file\(s\), 2 bundle\(s\), signature good/)
  })

  it("has hashes that Python's hashlib recomputes, listing every file under bundles/", () => {
    if (!hasPython) return
    const script = `
import hashlib, json, os, sys
root = sys.argv[1]
index = json.load(open(os.path.join(root, "release.json"), "rb"))
listed = {}
for b in index["bundles"]:
    for f in b["files"]:
        listed[f["path"]] = f
bad = []
for p, f in listed.items():
    data = open(os.path.join(root, p), "rb").read()
    if hashlib.sha256(data).hexdigest() != f["sha256"] or len(data) != f["bytes"]:
        bad.append(p)
present = set()
for d, _, names in os.walk(os.path.join(root, "bundles")):
    for n in names:
        present.add(os.path.relpath(os.path.join(d, n), root))
print(json.dumps({"checked": len(listed), "bad": bad, "unlisted": sorted(present - set(listed)), "missing": sorted(set(listed) - present)}))
`
    const out = spawnSync(PYTHON, ["-c", script, path.join(releases, "r1")], { encoding: "utf8" })
    expect(out.status, out.stderr).toBe(0)
    expect(JSON.parse(out.stdout)).toEqual({ checked: 10, bad: [], unlisted: [], missing: [] })
  })

  it("signs release.json: the public key verifies it; another key, a changed byte and a missing signature fail", () => {
    const dir = path.join(releases, "r1")
    const publicKey = loadPublicKey(`${key}.pub`)
    if (publicKey instanceof Error) throw publicKey
    const bytes = fs.readFileSync(path.join(dir, "release.json"))
    const signature = fs.readFileSync(path.join(dir, "release.json.sig"), "utf8")
    expect(checkIndexSignature(bytes, signature, publicKey)).toMatchObject({ ok: true })

    // A real copy (not links) to tamper with: the release's files are the work folder's inodes.
    const copy = path.join(root, "tampered")
    fs.cpSync(dir, copy, { recursive: true })
    const text = fs.readFileSync(path.join(copy, "release.json"), "utf8")
    const at = text.indexOf('"reads well"') + 1
    fs.writeFileSync(path.join(copy, "release.json"), text.slice(0, at) + "R" + text.slice(at + 1)) // one byte: r → R
    expect(checkIndexSignature(fs.readFileSync(path.join(copy, "release.json")), signature, publicKey)).toMatchObject({ ok: false })
    const changed = cli(["verify", copy, "--public-key", `${key}.pub`])
    expect(changed.status).toBe(1)
    expect(changed.stdout).toMatch(/^FAILED {3}signature: the signature does not match release\.json/m)

    cli(["keygen", "--out", path.join(root, "stranger")])
    const stranger = cli(["verify", dir, "--public-key", path.join(root, "stranger.pub")])
    expect(stranger.status).toBe(1)
    expect(stranger.stdout).toMatch(/signature: signed by key [0-9a-f]{16}…, not by the given key/)

    fs.writeFileSync(path.join(copy, "release.json"), text)
    fs.rmSync(path.join(copy, "release.json.sig"))
    const unsigned = cli(["verify", copy, "--public-key", `${key}.pub`])
    expect(unsigned.status).toBe(1)
    expect(unsigned.stdout).toMatch(/signature: the release is not signed/)
    // Without a key an unsigned release verifies on its hashes alone, and says it is unsigned.
    const noKey = cli(["verify", copy])
    expect(noKey.status, noKey.stdout).toBe(0)
    expect(noKey.stdout).toMatch(/signature: not signed/)
  })

  it("never changes a release: the same approvals again are 'unchanged', different ones are refused", () => {
    const dir = path.join(releases, "r1")
    const before = fs.readFileSync(path.join(dir, "release.json"))
    // A later time and no key: created_at is not content, so this is still the same release.
    const same = cli(["release", work, "--name", "r1", "--to", releases], { SOURCE_DATE_EPOCH: "1800000000" })
    expect(same.status, same.stderr).toBe(0)
    expect(same.stdout).toMatch(/^release r1: already released, unchanged/)
    expect(fs.readFileSync(path.join(dir, "release.json")).equals(before)).toBe(true)
    expect(fs.existsSync(path.join(dir, "release.json.sig"))).toBe(true)

    expect(cli(["review", bundle("engineering"), "--approve", "--note", "grew enough", "--curator", "bob"]).status).toBe(0)
    const different = cli(["release", work, "--name", "r1", "--to", releases], env)
    expect(different.status).toBe(2)
    expect(different.stderr).toMatch(/already released with different content.*engineering would be added/)
    expect(fs.readFileSync(path.join(dir, "release.json")).equals(before)).toBe(true)
    expect(fs.readdirSync(releases).sort()).toEqual(["r1"])

    const notRelease = path.join(releases, "plain")
    fs.mkdirSync(notRelease)
    const clash = cli(["release", work, "--name", "plain", "--to", releases], env)
    expect(clash.status).toBe(2)
    expect(clash.stderr).toMatch(/exists and is not a release/)
    fs.rmSync(notRelease, { recursive: true })
  })

  it("verify catches a corrupted shard and a file slipped into bundles/", () => {
    const copy = path.join(root, "damaged")
    fs.cpSync(path.join(releases, "r1"), copy, { recursive: true })
    const index = readIndex(copy)
    const bin = index.bundles[0]!.files.find((f) => f.path.endsWith(".bin"))!
    const file = path.join(copy, bin.path)
    const data = fs.readFileSync(file)
    data[Math.floor(data.length / 2)]! ^= 0x01
    fs.writeFileSync(file, data)
    fs.writeFileSync(path.join(copy, "bundles/materials-science/data/extra.parquet"), "not listed")
    const r = cli(["verify", copy])
    expect(r.status).toBe(1)
    expect(r.stdout).toContain(`MISMATCH ${bin.path}: sha256 `)
    expect(r.stdout).toContain("UNLISTED bundles/materials-science/data/extra.parquet: not in release.json")
    expect(r.stdout).toMatch(/^FAILED release r1 .*problem\(s\)$/m)
  })

  it("verifies a partial pull (some bundles, one split) through the function pull calls", async () => {
    const copy = path.join(root, "partial")
    fs.cpSync(path.join(releases, "r1"), copy, { recursive: true })
    fs.rmSync(path.join(copy, "bundles/chemistry"), { recursive: true })
    for (const f of readIndex(copy).bundles[1]!.files) if (f.split === "train") fs.rmSync(path.join(copy, f.path))
    const whole = checkReleaseFiles(copy)
    expect(whole.ok).toBe(false)
    expect(whole.files.filter((f) => !f.ok).map((f) => f.problems)).toContainEqual(["missing"])
    const part = await Effect.runPromise(verifyRelease(copy, { bundles: ["materials-science"], split: "validation" }).pipe(Effect.provide(makeDuckDBLayer({ threads: 1 }))))
    expect(part.files.map((f) => f.path)).toEqual(["bundles/materials-science/README.md", "bundles/materials-science/manifest.json"])
    expect(part.bundles).toMatchObject([{ name: "materials-science", skipped: "only its validation split is expected" }])
    expect(part.ok).toBe(true)
  })

  it("copies and checks each file when the releases folder is on another file system", () => {
    if (!requirePresent("a second file system (tmpfs /dev/shm)", otherFs !== null, "the copy fallback of release")) return
    const r = cli(["release", work, "--name", "r2", "--to", otherFs!], env)
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/files: 0 hard-linked, 15 copied/)
    const index = readIndex(path.join(otherFs!, "r2"))
    expect(index.bundles.map((b) => b.name)).toEqual(["chemistry", "engineering", "materials-science"])
    for (const f of index.bundles.flatMap((b) => b.files)) expect(sha256File(path.join(otherFs!, "r2", f.path))).toBe(f.sha256)
    expect(cli(["verify", path.join(otherFs!, "r2")]).status).toBe(0)

    // Same approvals, same SOURCE_DATE_EPOCH: the same release.json bytes, linked or copied. A build folder
    // that a killed release left (its pid is gone) is cleared on the way.
    const here = path.join(root, "releases-again")
    fs.mkdirSync(path.join(here, ".r2.999999999.tmp", "bundles"), { recursive: true })
    const linked = cli(["release", work, "--name", "r2", "--to", here], env)
    expect(linked.status, linked.stderr).toBe(0)
    expect(linked.stdout).toMatch(/files: 15 hard-linked, 0 copied/)
    expect(fs.readFileSync(path.join(here, "r2", "release.json")).equals(fs.readFileSync(path.join(otherFs!, "r2", "release.json")))).toBe(true)
    expect(fs.readdirSync(here)).toEqual(["r2"])
  })

  it("sends changed bundles back to review after a rerun, while the earlier release keeps its files", () => {
    const bumped = path.join(root, "demo-0.1.1.yaml")
    fs.writeFileSync(bumped, fs.readFileSync(pipeline, "utf8").replace("version: 0.1.0", "version: 0.1.1"))
    const rerun = cli(["run", bumped, "--work", work, "--workers", "2"], env)
    expect(rerun.status, rerun.stderr).toBe(0)
    const status = cli(["status", work])
    expect(status.stdout).toMatch(/0 of 11 approved for release/)
    expect(status.stdout).toMatch(/^chemistry\s+needs-review\s.*changed since alice's approve of content [0-9a-f]{12}…/m)

    const none = cli(["release", work, "--name", "r3", "--to", releases], env)
    expect(none.status).toBe(1)
    expect(none.stderr).toMatch(/no approved bundle/)

    expect(cli(["review", bundle("chemistry"), "--approve", "--note", "0.1.1 checked", "--curator", "alice"]).status).toBe(0)
    const again = cli(["release", work, "--name", "r1", "--to", releases], env)
    expect(again.status).toBe(2)
    expect(again.stderr).toMatch(/chemistry: content [0-9a-f]{12}… released, now [0-9a-f]{12}…/)

    // The rerun replaced the bundle files by rename: r1's hard links still hold the approved bytes.
    const old = cli(["verify", path.join(releases, "r1"), "--public-key", `${key}.pub`])
    expect(old.status, old.stdout).toBe(0)
    const r3 = cli(["release", work, "--name", "r3", "--to", releases], env)
    expect(r3.status, r3.stderr).toBe(0)
    const index = readIndex(path.join(releases, "r3"))
    expect(index.bundles.map((b) => b.name)).toEqual(["chemistry"])
    expect(index.bundles[0]!.reviews.map((d) => d.note)).toEqual(["0.1.1 checked"]) // only decisions on this content
    expect(index.left_out.find((l) => l.name === "materials-science")!.reason).toMatch(/changed since/)

    // The unrouted set needs an approval like any other; released, it is in the folder but out of the blend.
    expect(cli(["review", bundle("unrouted"), "--approve", "--note", "keep for lexicon work", "--curator", "bob"]).status).toBe(0)
    const r4 = cli(["release", work, "--name", "r4", "--to", releases], env)
    expect(r4.status, r4.stderr).toBe(0)
    const mix = Object.fromEntries(readIndex(path.join(releases, "r4")).mixing.map((m) => [m.bundle, m]))
    expect(Object.keys(mix)).toEqual(["chemistry", "unrouted"])
    expect(mix.unrouted!.sampling_weight).toBe(0)
    expect(mix.unrouted!.weight).toBe(0)
    expect(mix.unrouted!.token_prefixes.length).toBeGreaterThan(0)
    expect(mix.chemistry!.weight).toBe(1)

    // A folder of releases verifies each release in it.
    const all = cli(["verify", releases])
    expect(all.status, all.stdout).toBe(0)
    expect(all.stdout.match(/^verified release r\d /gm)).toEqual(["verified release r1 ", "verified release r3 ", "verified release r4 "])
  })

  it("refuses to release on a review log whose chain is broken (an edited decision)", () => {
    const logFile = path.join(work, "reviews.jsonl")
    const intact = fs.readFileSync(logFile, "utf8")
    fs.writeFileSync(logFile, intact.replace('"note":"reads well"', '"note":"reads well!"'))
    try {
      const r = cli(["release", work, "--name", "r5", "--to", releases], env)
      expect(r.status).toBe(1)
      expect(r.stderr).toMatch(/reviews\.jsonl: the review log is damaged \(line 2: chain broken/)
      expect(fs.existsSync(path.join(releases, "r5"))).toBe(false)
    } finally {
      fs.writeFileSync(logFile, intact)
    }
  })

  it("keygen refuses to overwrite a key; curators add prints a token once and refuses a duplicate name", () => {
    const before = fs.readFileSync(`${key}.key`)
    const again = cli(["keygen", "--out", key])
    expect(again.status).toBe(2)
    expect(again.stderr).toMatch(/signer\.key: already exists: refusing to overwrite a key/)
    expect(fs.readFileSync(`${key}.key`).equals(before)).toBe(true)

    const file = path.join(root, "curators")
    const add = cli(["curators", "add", "alice", "--file", file])
    expect(add.status, add.stderr).toBe(0)
    const token = /^token: (\S+)$/m.exec(add.stdout)![1]!
    expect(add.stdout).toMatch(/shown once and is not stored anywhere/)
    const text = fs.readFileSync(file, "utf8")
    expect(text).not.toContain(token)
    expect(text).toMatch(/^# scicurate curators/)
    expect(text).toContain(`alice ${sha256Hex(token)}`)
    const dup = cli(["curators", "add", "alice", "--file", file])
    expect(dup.status).toBe(2)
    expect(dup.stderr).toMatch(/curators: curator alice is already listed/)
    expect(fs.readFileSync(file, "utf8")).toBe(text)
  })
})

/** Files below a folder, '/'-separated, sorted as release.json sorts them. */
function listFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel === "" ? e.name : `${rel}/${e.name}`
      if (e.isDirectory()) walk(r)
      else out.push(r)
    }
  }
  walk("")
  return out.sort()
}
