/**
 * The whole spine, end to end through the real CLI, on the self-made sample corpus (no shared data
 * needed): every bad input lands in the rejects, the bundle verifies, reruns are byte-identical whatever
 * the number of workers, a tampered shard fails verification, and `--from` redoes stages.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { openDuckDB } from "../../src/core/duckdb.ts"
import { EXPECTED_REJECTS, writeSampleCorpus } from "../../src/demo/sample-corpus.ts"
import { cli, completedStages, doneMarkers, expectNothingRedone, filesUnder, readRejects, repoRoot, tempDir } from "../helpers.ts"

/** The manifests of every bundle a run published, by bundle name. */
function manifests(work: string): Record<string, any> {
  const out: Record<string, any> = {}
  const dir = path.join(work, "bundles")
  for (const name of fs.readdirSync(dir).sort()) {
    const file = path.join(dir, name, "manifest.json")
    if (fs.existsSync(file)) out[name] = JSON.parse(fs.readFileSync(file, "utf8"))
  }
  return out
}
const total = (ms: Record<string, any>, pick: (m: any) => number | undefined): number => Object.values(ms).reduce((a, m) => a + (pick(m) ?? 0), 0)
/** The run-level facts every manifest repeats (accounting), from any one of them. */
const anyManifest = (work: string) => Object.values(manifests(work))[0]

/** A fresh sample corpus and work folder, and `run(...flags)` of the demo pipeline on them. */
async function demoWorkspace() {
  const root = tempDir()
  const sample = path.join(root, "sample")
  await writeSampleCorpus(sample)
  const work = path.join(root, "w")
  const run = (...extra: string[]) => cli(["run", path.join(repoRoot, "pipelines/demo.yaml"), "--work", work, ...extra], { SCICURATE_SAMPLE: sample })
  return { root, sample, work, run }
}

const pipeline = path.join(repoRoot, "pipelines/demo.yaml")
const env = { SOURCE_DATE_EPOCH: "1700000000" }

describe("demo pipeline through the CLI", () => {
  let root: string
  let sample: string
  const run = (work: string, ...extra: string[]) => cli(["run", pipeline, "--work", work, ...extra], { ...env, SCICURATE_SAMPLE: sample })

  beforeAll(async () => {
    root = tempDir()
    sample = path.join(root, "sample")
    await writeSampleCorpus(sample)
  })

  it("runs every stage, accounts for every input and rejects the bad ones with their reasons", () => {
    const work = path.join(root, "w1")
    const r = run(work, "--workers", "2")
    expect(r.stderr).not.toMatch(/task\(s\) failed/)
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^ingest\s+4\/4/m)
    expect(r.stdout).toMatch(/^classify\s+2\/2/m)
    expect(r.stdout).toMatch(/^bundle\s+2\/2/m)
    expect(r.stdout).not.toContain("UNBALANCED")

    const rejects = readRejects(path.join(work, "ingest"))
    for (const [file, reason] of Object.entries(EXPECTED_REJECTS)) {
      const hit = rejects.find((x) => x.source_path === `sample/${file}`)
      expect(hit, `no reject for ${file}`).toBeDefined()
      expect(hit!.reason).toBe(reason)
      expect(hit!.stage).toBe("ingest")
      expect(hit!.detail.length).toBeGreaterThan(5)
    }

    // Every input file appears somewhere: as a document, a reject or a filtered record.
    // Every document of the dedup output is in exactly one bundle (unrouted included).
    const all = manifests(work)
    const manifest = anyManifest(work)
    const ingest = manifest.accounting.ingest
    expect(ingest.records_in).toBe(ingest.documents_out + ingest.filtered + ingest.duplicates + ingest.rejected)
    expect(manifest.accounting.dedup.duplicates).toBeGreaterThan(0)
    expect(total(all, (m) => m.by_kind.paper?.documents)).toBe(1)
    expect(total(all, (m) => m.totals.documents)).toBe(manifest.accounting.dedup.documents_out)
    expect(manifest.accounting.classify.documents_out).toBe(manifest.accounting.dedup.documents_out)
    // Every duplicate dedup removed is attributed to the bundle that holds its kept copy.
    expect(total(all, (m) => Object.values(m.duplicates_removed as Record<string, number>).reduce((a, b) => a + b, 0))).toBe(manifest.accounting.dedup.duplicates)
    expect(Object.keys(all).length).toBeGreaterThan(2)
    for (const m of Object.values(all)) expect(m.created_at).toBe("2023-11-14T22:13:20.000Z")

    const v = cli(["verify", path.join(work, "bundles")])
    expect(v.status).toBe(0)
    expect(v.stdout).toMatch(/verified .* match the manifest/)
    expect(v.stdout).not.toMatch(/MISMATCH|PROBLEM/)

    const s = cli(["status", work])
    expect(s.status).toBe(0)
    expect(s.stdout).toMatch(/^dedup\s+2\/2\s+\d+\s+\d+\s+0\s+[1-9]/m)
  })

  it("gives byte-identical shards and manifest with 1 worker and with 2", () => {
    const a = path.join(root, "w1")
    const b = path.join(root, "w-one-worker")
    expect(run(b, "--workers", "1").status).toBe(0)
    const bundleA = filesUnder(path.join(a, "bundles"))
    const bundleB = filesUnder(path.join(b, "bundles"))
    expect([...bundleB.keys()]).toEqual([...bundleA.keys()])
    for (const [name, bytes] of bundleA) expect(bundleB.get(name)!.equals(bytes), name).toBe(true)
    for (const stage of ["ingest", "dedup", "tokenize", "classify"]) {
      const shards = (w: string) => fs.readdirSync(path.join(w, stage)).filter((f) => f.endsWith(".parquet"))
      expect(shards(b)).toEqual(shards(a))
      for (const f of shards(a)) expect(fs.readFileSync(path.join(b, stage, f)).equals(fs.readFileSync(path.join(a, stage, f))), `${stage}/${f}`).toBe(true)
    }
  })

  it("skips finished tasks on a rerun and redoes stages with --from, with the same bytes", () => {
    const work = path.join(root, "w1")
    const before = filesUnder(path.join(work, "bundles"))
    const again = run(work)
    expect(again.status).toBe(0)
    expect(again.stderr).toContain("ingest: all 4 task(s) already done, skipping")
    expect(again.stderr).toContain("bundle: all 2 task(s) already done, skipping")
    const redo = run(work, "--from", "dedup")
    expect(redo.status).toBe(0)
    expect(redo.stderr).toContain("ingest: all 4 task(s) already done, skipping")
    expect(redo.stderr).toMatch(/dedup: redoing/)
    const after = filesUnder(path.join(work, "bundles"))
    expect([...after.keys()]).toEqual([...before.keys()])
    for (const [name, bytes] of before) expect(after.get(name)!.equals(bytes), name).toBe(true)
  })

  it("redoes a stage whose config changed", async () => {
    const work = path.join(root, "w1")
    const documentsBefore = total(manifests(work), (m) => m.totals.documents)
    const changed = path.join(root, "demo-changed.yaml")
    fs.writeFileSync(changed, fs.readFileSync(pipeline, "utf8").replace("min_chars: 20", "min_chars: 400").replace("../work/sample", sample))
    const r = cli(["run", changed, "--work", work], env)
    expect(r.status).toBe(0)
    // Says what changed: the setting in the stage that has it, the input in the stages after it.
    expect(r.stderr).toMatch(/ingest: setting min_chars \(20 -> 400\) changed, redoing/)
    expect(r.stderr).toMatch(/dedup: its input \S+ingest \(the stage before it was redone\) changed, redoing/)
    const status = cli(["status", work]).stdout
    expect(status).toMatch(/ingest filtered:too-short: [1-9]/)
    const manifest = anyManifest(work)
    expect(manifest.accounting.ingest.filtered).toBeGreaterThan(0)
    const documentsAfter = total(manifests(work), (m) => m.totals.documents)
    expect(documentsAfter).toBeLessThan(documentsBefore)
    // The bundles themselves changed (bundles left empty are gone): no document under the new minimum is left.
    const { connection } = await openDuckDB()
    const rows = (await connection.runAndReadAll(`SELECT min(length(text)) AS shortest, count(*) AS n FROM read_parquet('${path.join(work, "bundles")}/*/data/*.parquet')`)).getRowObjectsJS()
    expect(Number(rows[0]!.shortest)).toBeGreaterThanOrEqual(400)
    expect(Number(rows[0]!.n)).toBe(documentsAfter)
    connection.closeSync()
  })

  it("fails verification when a shard, a token shard or the manifest is altered, naming what", () => {
    const work = path.join(root, "w-one-worker")
    const bundle = path.join(work, "bundles/unrouted")
    expect(cli(["verify", bundle]).status).toBe(0)
    const shard = path.join(bundle, "data", fs.readdirSync(path.join(bundle, "data"))[0]!)
    const bytes = fs.readFileSync(shard)
    bytes[100] = bytes[100]! ^ 0xff
    fs.writeFileSync(shard, bytes)
    fs.writeFileSync(path.join(bundle, "data", "stray.parquet"), "x")
    const tokens = path.join(bundle, "tokens/o200k_base/train-00000-of-00001.bin")
    fs.appendFileSync(tokens, Buffer.alloc(4))
    const manifestFile = path.join(bundle, "manifest.json")
    const edited = JSON.parse(fs.readFileSync(manifestFile, "utf8"))
    edited.by_license = { "CC0-1.0": edited.by_license["CC0-1.0"] ?? { documents: 0, tokens: 0 }, MIT: { documents: 1, tokens: 1 } }
    fs.writeFileSync(manifestFile, JSON.stringify(edited, null, 2))
    const v = cli(["verify", bundle])
    expect(v.status).toBe(1)
    expect(v.stdout).toMatch(/MISMATCH data\/train-00000-of-00001\.parquet: sha256/)
    expect(v.stdout).toMatch(/data\/stray\.parquet: not listed in the manifest/)
    expect(v.stdout).toMatch(/MISMATCH tokens\/o200k_base\/train-00000-of-00001: .*bin bytes/)
    expect(v.stdout).toMatch(/content_sha256 .* \(the manifest was edited\)/)
    // The folder of all bundles fails too, and the other bundles still verify in it.
    const all = cli(["verify", path.join(work, "bundles")])
    expect(all.status).toBe(1)
    expect(all.stdout).toMatch(/verified .*climate-atmosphere-ocean/)
  })

  it("exits 2 with a clear message on a bad config or usage", () => {
    const bad = path.join(root, "bad.yaml")
    fs.writeFileSync(bad, "name: demo\ninputs: [x]\nstages:\n  - stage: ingest\n    tasks: many\n")
    const r = cli(["run", bad])
    expect(r.status).toBe(2)
    expect(r.stderr).toContain(`${bad}:5: stages[0].tasks: expected number`)
    const missing = cli(["run", pipeline, "--only", "nonsense"], { SCICURATE_SAMPLE: sample })
    expect(missing.status).toBe(2)
    expect(missing.stderr).toMatch(/--only nonsense: unknown stage/)
    const help = cli(["--help"])
    expect(help.status).toBe(0)
    for (const c of ["run", "ingest", "dedup", "tokenize", "classify", "bundle", "status", "verify", "inspect"]) expect(help.stdout).toContain(c)
  })
})

describe("a failing task", () => {
  it("fails the run with exit 1 naming the task and cause, and the rerun resumes once fixed", async () => {
    const { work, sample, run: runIn } = await demoWorkspace()
    const run = () => runIn("--workers", "2")
    expect(run().status).toBe(0)
    // Damage one ingest shard behind the pipeline's back, then ask for dedup again.
    const shard = path.join(work, "ingest", fs.readdirSync(path.join(work, "ingest")).find((f) => f.endsWith(".parquet"))!)
    const good = fs.readFileSync(shard)
    fs.writeFileSync(shard, "not parquet")
    const failed = cli(["run", path.join(repoRoot, "pipelines/demo.yaml"), "--work", work, "--from", "dedup"], { SCICURATE_SAMPLE: sample })
    expect(failed.status).toBe(1)
    // The exact pass, dedup's first phase, is the first to read the damaged shard.
    expect(failed.stderr).toMatch(/stage dedup-exact: 2 task\(s\) failed/)
    expect(failed.stderr).toContain(path.basename(shard))
    expect(fs.existsSync(path.join(work, "dedup/_done/0"))).toBe(false)
    fs.writeFileSync(shard, good)
    // Ingest finished before the failure: the rerun resumes at dedup, it does not ingest again.
    const finished = { markers: doneMarkers(work), stages: completedStages(work) }
    expect(finished.stages).toContain("ingest")
    const resumed = run()
    expect(resumed.status).toBe(0)
    expectNothingRedone(work, finished, resumed.stdout + resumed.stderr)
    expect(cli(["verify", path.join(work, "bundles")]).status).toBe(0)
  })
})

describe("resume never trusts what another plan left", () => {
  it("redoes ingest when its plan is gone and the inputs changed, even though old markers remain", async () => {
    const { work, sample, run } = await demoWorkspace()
    expect(run().status).toBe(0)
    const before = anyManifest(work).accounting.ingest.records_in
    // What a crash in the middle of clearing a stage leaves: markers without their plan.
    fs.rmSync(path.join(work, "ingest/_plan.json"))
    fs.writeFileSync(path.join(sample, "late-note.md"), "# Late note\n\nA note about superconducting qubits that arrived after the first run.\n")
    expect(run().status).toBe(0)
    const after = anyManifest(work)
    expect(after.accounting.ingest.records_in).toBe(before + 1)
    expect(total(manifests(work), (m) => m.by_format.markdown?.documents)).toBeGreaterThan(0)
    // A deleted bundle is rebuilt, not reported as done.
    fs.rmSync(path.join(work, "bundles"), { recursive: true })
    const rebuilt = run()
    expect(rebuilt.status).toBe(0)
    expect(rebuilt.stderr).toContain("ingest: all 4 task(s) already done, skipping")
    expect(rebuilt.stderr).toContain("classify: all 2 task(s) already done, skipping")
    expect(cli(["verify", path.join(work, "bundles")]).status).toBe(0)
  })

  it("fails a stage that reads fewer documents than its input dataset holds", async () => {
    const { work, run } = await demoWorkspace()
    expect(run().status).toBe(0)
    // pii is the stage tokenize reads in the demo pipeline.
    const statsFile = path.join(work, "pii/_stats/0.json")
    const stats = JSON.parse(fs.readFileSync(statsFile, "utf8"))
    stats.documents_out += 5
    fs.writeFileSync(statsFile, JSON.stringify(stats))
    const r = run("--from", "tokenize")
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/stage tokenize does not account for every input: it read (\d+) documents but .*pii holds (\d+)/)
  })

  it("keeps a moved work folder's finished tasks, and status reads it where it now is", async () => {
    const root = tempDir()
    const sample = path.join(root, "sample")
    await writeSampleCorpus(sample)
    const before = path.join(root, "before")
    const after = path.join(root, "after")
    const run = (work: string) => cli(["run", path.join(repoRoot, "pipelines/demo.yaml"), "--work", work], { SCICURATE_SAMPLE: sample })
    expect(run(before).status).toBe(0)
    fs.renameSync(before, after)
    const status = cli(["status", after])
    expect(status.status).toBe(0)
    expect(status.stdout).toMatch(/^ingest\s+4\/4/m)
    expect(status.stdout).not.toContain("incomplete")
    const again = run(after)
    expect(again.status).toBe(0)
    expect(again.stderr).toContain("dedup: all 2 task(s) already done, skipping")
  })

  it("refuses a second run on the same work folder while the first holds it", async () => {
    const work = tempDir()
    fs.writeFileSync(path.join(work, ".scicurate.lock"), String(process.pid))
    const r = cli(["run", path.join(repoRoot, "pipelines/demo.yaml"), "--work", work])
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(`is in use by another scicurate run (pid ${process.pid})`)
  })
})

describe("command-line checks", () => {
  it("exits 2 on a malformed command line and 0 for --help", () => {
    expect(cli(["run"]).status).toBe(2)
    expect(cli(["run", "x.yaml", "--workers", "abc"]).status).toBe(2)
    expect(cli(["frobnicate"]).status).toBe(2)
    expect(cli(["run", "--help"]).status).toBe(0)
  })

  it("validates per-stage flags like a pipeline file and never writes into a foreign folder", async () => {
    const root = tempDir()
    const sample = path.join(root, "sample")
    await writeSampleCorpus(sample)
    const ingest = path.join(root, "ingest")
    expect(cli(["ingest", sample, "--out", ingest]).status).toBe(0)
    const zero = cli(["dedup", ingest, "--out", path.join(root, "d"), "--tasks", "0"])
    expect(zero.status).toBe(2)
    expect(zero.stderr).toMatch(/invalid dedup options: .*tasks/)
    // bundle needs routing: an unclassified dataset is refused with the reason, and nothing is written.
    const unrouted = cli(["bundle", ingest, "--out", path.join(root, "b")])
    expect(unrouted.status).toBe(2)
    expect(unrouted.stderr).toMatch(/^scicurate: bundle: \S+ lacks the column\(s\) n_tokens \(made by `scicurate tokenize`.*route_score.*\(made by `scicurate classify`/)
    expect(fs.existsSync(path.join(root, "b"))).toBe(false)
    const mine = path.join(root, "mine")
    fs.mkdirSync(mine)
    fs.writeFileSync(path.join(mine, "notes.txt"), "my notes")
    const foreign = cli(["ingest", sample, "--out", mine])
    expect(foreign.status).toBe(2)
    expect(foreign.stderr).toMatch(/holds files scicurate did not write/)
    expect(fs.readFileSync(path.join(mine, "notes.txt"), "utf8")).toBe("my notes")
  })

  it("never reads or overwrites its own output: --out inside the input, unfinished inputs, work folders in inputs", async () => {
    const root = tempDir()
    const sample = path.join(root, "sample")
    await writeSampleCorpus(sample)
    // Ingest a folder into a folder inside it, twice: the second run finds nothing new to read.
    const inner = path.join(sample, "ingested")
    const first = cli(["ingest", sample, "--out", inner])
    expect(first.status).toBe(0)
    const again = cli(["ingest", sample, "--out", inner])
    expect(again.status).toBe(0)
    expect(again.stderr).toContain("ingest: all 4 task(s) already done, skipping")
    // A stage writing into its own input folder would delete it when it starts over.
    const same = cli(["dedup", inner, "--out", inner])
    expect(same.status).toBe(2)
    expect(same.stderr).toMatch(/overlaps the input/)
    expect(fs.readdirSync(inner).filter((f) => f.endsWith(".parquet")).length).toBe(4)
    // An input stage folder with an unfinished task is refused, not read as if complete.
    fs.rmSync(path.join(inner, "_done", "2"))
    const partial = cli(["dedup", inner, "--out", path.join(root, "dedup")])
    expect(partial.status).toBe(2)
    // Rank 2 (the marker _done/2, shard part-00002-of-00004) is the third task: numbered from 1, as in progress.
    expect(partial.stderr).toMatch(/is not a finished dataset: task\(s\) 3 of 4/)
  })

  it("records in the manifest the tokenizer that counted the tokens", async () => {
    const root = tempDir()
    const sample = path.join(root, "sample")
    await writeSampleCorpus(sample)
    const file = path.join(root, "cl100k.yaml")
    fs.writeFileSync(
      file,
      fs.readFileSync(path.join(repoRoot, "pipelines/demo.yaml"), "utf8").replace("../work/sample", sample).replace("  - stage: tokenize\n", "  - stage: tokenize\n    tokenizer: cl100k_base\n")
    )
    const work = path.join(root, "w")
    const r = cli(["run", file, "--work", work])
    expect(r.status).toBe(0)
    for (const m of Object.values(manifests(work))) {
      expect(m.tokenizer).toEqual({ name: "cl100k_base", eos_token_id: 100257, vocabulary_size: 100277 })
      expect(m.token_shards[0].prefix).toMatch(/^tokens\/cl100k_base\//)
    }
  })

  it("rejects broken links and FIFOs among the inputs by name, and the run succeeds", () => {
    const root = tempDir()
    const input = path.join(root, "odd")
    fs.mkdirSync(input)
    fs.writeFileSync(path.join(input, "ok.md"), "# Fine\n\nA perfectly ordinary note about lattice QCD.\n")
    fs.symlinkSync(path.join(input, "gone.txt"), path.join(input, "dangling.txt"))
    execFileSync("mkfifo", [path.join(input, "pipe")])
    const out = path.join(root, "ingest")
    const r = cli(["ingest", input, "--out", out])
    expect(r.status).toBe(0)
    const rejects = readRejects(out)
    expect(rejects.map((x) => [x.source_path, x.reason]).sort()).toEqual([
      ["odd/dangling.txt", "broken-link"],
      ["odd/pipe", "not-a-regular-file"]
    ])
  })
})
