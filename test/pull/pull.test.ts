/**
 * `scicurate pull` through the real CLI against the real server (makeApp on a real HTTP port), with a
 * proxy in between that logs every request and can cut, corrupt or slow responses: a full signed pull
 * read back by numpy and handed to Megatron's blend formats, a rerun that fetches nothing, selection by
 * bundle and split, a cut connection, a `kill -9` mid-file then a resumed rerun (a Range request, not a
 * restart), a corrupted byte (refetched; the run fails when it stays wrong), a tampered or wrongly keyed
 * index, an unapproved and a left-out bundle, and a pull from a release folder on disk.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { generateKeyPairFiles } from "../../src/release/sign.ts"
import { cliAsync, makeDemoWork, releaseBundles, rewriteIndex, startProxy, startServer, type Proxy, type RunningServer } from "./fixture.ts"
import { filesUnder, hasPythonModule, PYTHON, repoRoot, requirePresent, tempDir } from "../helpers.ts"

const hasNumpy = requirePresent("numpy (Debian python3-numpy; make system-deps)", hasPythonModule("numpy"), "the numpy read of a pulled token shard")

interface IndexFile {
  path: string
  sha256: string
  bytes: number
  split: "train" | "validation" | null
}
interface Index {
  bundles: Array<{ name: string; files: IndexFile[] }>
  mixing: Array<{ bundle: string; weight: number; token_prefixes: Array<{ prefix: string; split: string; tokens: number }> }>
}

let root: string
let bundles: string
let releases: string
let keys: { privateFile: string; publicFile: string }
let otherKeys: { privateFile: string; publicFile: string }
let server: RunningServer
let proxy: Proxy
let index: Index

const readIndex = (name: string): Index => JSON.parse(fs.readFileSync(path.join(releases, name, "release.json"), "utf8"))
const url = (name: string) => `${proxy.url}/releases/${name}/`
const filesOf = (i: Index) => i.bundles.flatMap((b) => b.files)
/** Requests for files of bundles (not the index or its signature) since `from`. */
const fileRequests = (from = 0) => proxy.requests.slice(from).filter((r) => r.path.includes("/bundles/"))

beforeAll(async () => {
  root = tempDir()
  bundles = await makeDemoWork(root)
  releases = path.join(root, "releases")
  const made = generateKeyPairFiles(path.join(root, "curator"))
  const other = generateKeyPairFiles(path.join(root, "stranger"))
  if (made instanceof Error || other instanceof Error) throw new Error("keygen failed")
  keys = made
  otherKeys = other
  releaseBundles(bundles, releases, "r1", { keyFile: keys.privateFile })
  index = readIndex("r1")
  server = await startServer(releases)
  proxy = await startProxy(server.url)
})

afterAll(async () => {
  await proxy?.close()
  await server?.close()
})

describe("scicurate pull from scicurate serve", () => {
  it("pulls a signed release: every file byte for byte, the index and signature, a Megatron blend numpy and Megatron's parser can read; a rerun fetches nothing", async () => {
    const to = path.join(root, "full")
    const r = await cliAsync(["pull", url("r1"), "--to", to, "--public-key", keys.publicFile, "--parallel", "4"])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/signature: verified/)
    for (const f of filesOf(index)) expect(fs.readFileSync(path.join(to, f.path)).equals(fs.readFileSync(path.join(releases, "r1", f.path))), f.path).toBe(true)
    expect(fs.readFileSync(path.join(to, "release.json")).equals(fs.readFileSync(path.join(releases, "r1", "release.json")))).toBe(true)
    expect(fs.existsSync(path.join(to, "release.json.sig"))).toBe(true)
    expect([...filesUnder(to).keys()].filter((f) => f.endsWith(".part"))).toEqual([])
    expect(r.stderr).toMatch(/^pull .*100%.*files \d+\/\d+$/m)

    // megatron-blend.txt: "weight prefix" pairs Megatron's --data-args-path splits on whitespace.
    const words = fs.readFileSync(path.join(to, "megatron-blend.txt"), "utf8").split(/\s+/).filter(Boolean)
    const pairs = Array.from({ length: words.length / 2 }, (_, i) => [Number(words[2 * i]), words[2 * i + 1]!] as const)
    // Every train prefix of a bundle with a weight (a bundle of weight 0, such as unrouted, is pulled but not mixed).
    const trainPrefixes = index.mixing.filter((m) => m.weight > 0).flatMap((m) => m.token_prefixes.filter((p) => p.split === "train" && p.tokens > 0).map((p) => path.join(to, p.prefix)))
    expect(pairs.map(([, p]) => p).sort()).toEqual(trainPrefixes.sort())
    expect(pairs.reduce((a, [w]) => a + w, 0)).toBeCloseTo(1, 9)
    for (const [w, p] of pairs) {
      expect(w).toBeGreaterThan(0)
      expect(fs.existsSync(`${p}.bin`) && fs.existsSync(`${p}.idx`)).toBe(true)
    }
    // Weight of a prefix = its bundle's weight x its share of the bundle's train tokens (normalised).
    const m0 = index.mixing.find((m) => m.weight > 0 && m.token_prefixes.some((p) => p.split === "train" && p.tokens > 0))!
    const trainOf = (m: Index["mixing"][number]) => m.token_prefixes.filter((p) => p.split === "train").reduce((a, p) => a + p.tokens, 0)
    const norm = index.mixing.filter((m) => trainOf(m) > 0 && m.weight > 0).reduce((a, m) => a + m.weight, 0)
    const p0 = m0.token_prefixes.find((p) => p.split === "train" && p.tokens > 0)!
    expect(pairs.find(([, p]) => p === path.join(to, p0.prefix))![0]).toBeCloseTo((m0.weight * p0.tokens) / trainOf(m0) / norm, 9)

    // megatron-data-args.json through the very parsing Megatron's --per-split-data-args-path does.
    if (fs.existsSync(PYTHON)) {
      const parse = spawnSync(
        PYTHON,
        [
          "-c",
          [
            "import json, sys",
            "args = json.load(open(sys.argv[1]))",
            "out = {}",
            "for split in ['train', 'valid', 'test']:",
            "    blend = args[split]",
            "    if isinstance(blend, str): blend = blend.split()",
            "    if blend is None: out[split] = None; continue",
            "    ws, ps = blend[0::2], blend[1::2]",
            "    out[split] = [[float(w) for w in ws], [p.strip() for p in ps]]",
            "print(json.dumps(out))"
          ].join("\n"),
          path.join(to, "megatron-data-args.json")
        ],
        { encoding: "utf8" }
      )
      expect(parse.status, parse.stderr).toBe(0)
      const parsed = JSON.parse(parse.stdout) as Record<string, [number[], string[]] | null>
      expect(parsed.test).toBeNull()
      expect(parsed.train![1].sort()).toEqual(trainPrefixes.sort())
      expect(parsed.valid![1].length).toBeGreaterThan(0)
      expect(parsed.valid![0].reduce((a, w) => a + w, 0)).toBeCloseTo(1, 9)
    }

    // The trainer's check: numpy memory-maps a pulled token shard as Megatron does.
    if (hasNumpy) {
      const [w, prefix] = pairs[0]!
      expect(w).toBeGreaterThan(0)
      const read = spawnSync(PYTHON, [path.join(repoRoot, "test/fixtures/read_megatron.py"), prefix], { encoding: "utf8", maxBuffer: 1 << 26 })
      expect(read.status, read.stderr).toBe(0)
      const got = JSON.parse(read.stdout) as { tokens: number; sequences: number }
      const listed = index.mixing.flatMap((m) => m.token_prefixes).find((p) => path.join(to, p.prefix) === prefix)!
      expect(got.tokens).toBe(listed.tokens)
      expect(got.sequences).toBeGreaterThan(0)
    }

    const before = proxy.requests.length
    const again = await cliAsync(["pull", url("r1"), "--to", to, "--public-key", keys.publicFile])
    expect(again.status, again.stderr).toBe(0)
    expect(again.stdout).toMatch(new RegExp(`0 fetched, 0 resumed, ${filesOf(index).length} already in place`))
    expect(fileRequests(before)).toEqual([])
  })

  it("fetches only the bundles and the split asked for (manifests and cards always), and never a left-out bundle", async () => {
    const [a, b] = index.bundles
    const to = path.join(root, "some")
    const from = proxy.requests.length
    const r = await cliAsync(["pull", url("r1"), "--to", to, "--bundles", `${a!.name},${b!.name}`, "--split", "train"])
    expect(r.status, r.stderr).toBe(0)
    const wanted = [a!, b!].flatMap((x) => x.files.filter((f) => f.split !== "validation"))
    const fetched = fileRequests(from).map((q) => decodeURIComponent(q.path.replace(/^\/releases\/r1\//, ""))).sort()
    expect(fetched).toEqual(wanted.map((f) => f.path).sort())
    expect(wanted.some((f) => f.split === null) && wanted.some((f) => f.split === "train")).toBe(true)
    const args = JSON.parse(fs.readFileSync(path.join(to, "megatron-data-args.json"), "utf8"))
    expect(args.valid).toBeNull()
    expect(args.train.length).toBeGreaterThan(0)

    const unknown = await cliAsync(["pull", url("r1"), "--to", path.join(root, "unknown"), "--bundles", "no-such-bundle"])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain("no-such-bundle not in release r1")
  })

  it("resumes a file whose connection was cut mid-body with a Range request, and ends with the right bytes", async () => {
    const target = [...filesOf(index)].sort((x, y) => y.bytes - x.bytes)[0]!
    const to = path.join(root, "cut")
    const from = proxy.requests.length
    proxy.behaviour = { cut: { suffix: target.path, afterBytes: Math.floor(target.bytes / 3), times: 2 } }
    const r = await cliAsync(["pull", url("r1"), "--to", to, "--parallel", "2"])
    proxy.behaviour = {}
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain(`${target.path}: `)
    expect(r.stderr).toMatch(/retrying in/)
    const asks = proxy.requests.slice(from).filter((q) => q.path.endsWith(target.path))
    expect(asks.length).toBe(3)
    expect(asks[0]!.range).toBeNull()
    expect(asks[1]!.range).toMatch(/^bytes=[1-9]\d*-$/)
    expect(fs.readFileSync(path.join(to, target.path)).equals(fs.readFileSync(path.join(releases, "r1", target.path)))).toBe(true)
  })

  it("continues from the .part after a kill -9 mid-file: the rerun asks for the rest with Range, it does not restart", async () => {
    const target = [...filesOf(index)].sort((x, y) => y.bytes - x.bytes)[0]!
    const to = path.join(root, "killed")
    const part = path.join(to, `${target.path}.part`)
    proxy.behaviour = { throttle: { suffix: target.path, bytesPerSecond: Math.max(1024, Math.floor(target.bytes / 8)) } }
    const first = await cliAsync(["pull", url("r1"), "--to", to, "--parallel", "4"], (child) => {
      const poll = setInterval(() => {
        if (fs.existsSync(part) && fs.statSync(part).size > 0) {
          clearInterval(poll)
          child.kill("SIGKILL")
        }
      }, 20)
      child.on("close", () => clearInterval(poll))
    })
    proxy.behaviour = {}
    expect(first.status).toBeNull() // killed
    const kept = fs.statSync(part).size
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThan(target.bytes)
    const from = proxy.requests.length
    const r = await cliAsync(["pull", url("r1"), "--to", to, "--parallel", "4"])
    expect(r.status, r.stderr).toBe(0)
    const asks = proxy.requests.slice(from).filter((q) => q.path.endsWith(target.path))
    expect(asks.map((q) => q.range)).toEqual([`bytes=${kept}-`])
    expect(r.stdout).toMatch(/[1-9]\d* resumed/)
    expect(fs.readFileSync(path.join(to, target.path)).equals(fs.readFileSync(path.join(releases, "r1", target.path)))).toBe(true)
  })

  it("refetches a file that arrives with a flipped byte, and fails naming the file when the served copy stays wrong", async () => {
    const target = index.bundles[0]!.files.find((f) => f.path.endsWith(".parquet"))!
    const from = proxy.requests.length
    proxy.behaviour = { corrupt: { suffix: target.path, times: 1 } }
    const once = await cliAsync(["pull", url("r1"), "--to", path.join(root, "flip-once")])
    proxy.behaviour = {}
    expect(once.status, once.stderr).toBe(0)
    expect(once.stderr).toContain(`${target.path}: sha256`)
    expect(once.stderr).toContain("fetching it anew")
    expect(proxy.requests.slice(from).filter((q) => q.path.endsWith(target.path)).length).toBe(2)

    // The copy on the server itself damaged: two full fetches, then exit 1 naming the file.
    const served = path.join(releases, "r1", target.path)
    const good = fs.readFileSync(served)
    const bad = Buffer.from(good)
    bad[Math.floor(bad.length / 2)]! ^= 0x01
    fs.writeFileSync(served, bad)
    try {
      const to = path.join(root, "flip-always")
      const from2 = proxy.requests.length
      const r = await cliAsync(["pull", url("r1"), "--to", to])
      expect(r.status).toBe(1)
      expect(r.stderr).toContain(`${target.path}: sha256`)
      expect(r.stderr).toContain("again after fetching it anew")
      expect(proxy.requests.slice(from2).filter((q) => q.path.endsWith(target.path)).map((q) => q.range)).toEqual([null, null])
      expect(fs.existsSync(path.join(to, target.path))).toBe(false)
      expect(fs.existsSync(path.join(to, `${target.path}.part`))).toBe(false)
      expect(fs.existsSync(path.join(to, "release.json"))).toBe(false) // not a finished pull
    } finally {
      fs.writeFileSync(served, good)
    }
  })

  it("stops before fetching anything when release.json was changed after signing, or was signed by another key", async () => {
    const tampered = path.join(releases, "r-tampered")
    fs.cpSync(path.join(releases, "r1"), tampered, { recursive: true })
    const file = path.join(tampered, "release.json")
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/"note": "approve for the pull tests"/, '"note": "approve for the pull tests!"'))
    const from = proxy.requests.length
    const to = path.join(root, "tampered")
    const r = await cliAsync(["pull", url("r-tampered"), "--to", to, "--public-key", keys.publicFile])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain("signature check failed: the signature does not match release.json")
    expect(fileRequests(from)).toEqual([])
    expect(fs.existsSync(path.join(to, "bundles"))).toBe(false)

    const stranger = await cliAsync(["pull", url("r1"), "--to", path.join(root, "stranger"), "--public-key", otherKeys.publicFile])
    expect(stranger.status).toBe(1)
    expect(stranger.stderr).toMatch(/signed by key .* not by the given key/)
  })

  it("fetches nothing from a signed index that releases a bundle on a decision other than an approval of its content", async () => {
    const dir = path.join(releases, "r-unapproved")
    fs.cpSync(path.join(releases, "r1"), dir, { recursive: true })
    const victim = index.bundles[0]!.name
    rewriteIndex(dir, (i) => ({ ...i, bundles: i.bundles.map((b) => (b.name === victim ? { ...b, approval: { ...b.approval, decision: "reject" as const } } : b)) }), keys.privateFile)
    const from = proxy.requests.length
    const to = path.join(root, "unapproved")
    const r = await cliAsync(["pull", url("r-unapproved"), "--to", to, "--public-key", keys.publicFile])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(`bundle ${victim}: released on a "reject" decision, not an approval`)
    expect(r.stderr).toContain("nothing was fetched")
    expect(fileRequests(from)).toEqual([])
    expect(fs.existsSync(path.join(to, "bundles"))).toBe(false)
  })

  it("never fetches a bundle the release left out, even asked for by name", async () => {
    const names = index.bundles.map((b) => b.name)
    const [leftOut, kept] = [names[1]!, names[2]!]
    releaseBundles(bundles, releases, "r-left", { keyFile: keys.privateFile, reject: [leftOut] })
    const from = proxy.requests.length
    const to = path.join(root, "left")
    const r = await cliAsync(["pull", url("r-left"), "--to", to, "--public-key", keys.publicFile, "--bundles", [leftOut, kept].join(",")])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stderr).toContain(`${leftOut}: left out of release r-left (rejected`)
    const asked = fileRequests(from).map((q) => q.path)
    expect(asked.some((p) => p.includes(`/bundles/${leftOut}/`))).toBe(false)
    expect(asked.some((p) => p.includes(`/bundles/${kept}/`))).toBe(true)
    expect(fs.existsSync(path.join(to, "bundles", leftOut))).toBe(false)
  })

  it("pulls from a release folder on disk too, and refuses a destination holding another release", async () => {
    const to = path.join(root, "local")
    const r = await cliAsync(["pull", path.join(releases, "r1"), "--to", to])
    expect(r.status, r.stderr).toBe(0)
    for (const f of filesOf(index)) expect(fs.readFileSync(path.join(to, f.path)).equals(fs.readFileSync(path.join(releases, "r1", f.path))), f.path).toBe(true)
    const other = await cliAsync(["pull", url("r-left"), "--to", to])
    expect(other.status).toBe(2)
    expect(other.stderr).toContain("holds release r1")
  })
})
