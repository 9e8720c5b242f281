/**
 * Bundles as trainers and curators get them, read by tools other than scicurate: DuckDB's read_parquet
 * over data/*.parquet, and Python (Debian's python3-numpy and python3-torch) memory-mapping the Megatron
 * token shards. The demo sample through the real CLI, with small shards and a large validation share
 * so every bundle has several shards and both splits are exercised. Also: the classify and bundle
 * commands on their own, `inspect`, and a run killed inside the bundle stage resuming to the same bytes.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { beforeAll, describe, expect, it } from "vitest"
import { splitOf } from "../../src/bundle/split.ts"
import { openDuckDB } from "../../src/core/duckdb.ts"
import { writeSampleCorpus } from "../../src/demo/sample-corpus.ts"
import { openTokenizer } from "../../src/tokenize/tokenizer.ts"
import { cli, cliDetached, completedStages, doneMarkers, expectNothingRedone, filesUnder, hasPythonModule, PYTHON, repoRoot, requirePresent, tempDir } from "../helpers.ts"

const hasNumpy = requirePresent("numpy (Debian python3-numpy; make system-deps)", hasPythonModule("numpy"), "the numpy reader of the bundles")
const hasTorch = requirePresent("torch (Debian python3-torch; make system-deps)", hasPythonModule("torch"), "the torch reader of the bundles")

const env = { SOURCE_DATE_EPOCH: "1700000000" }

describe("bundles read by independent readers", () => {
  let root: string
  let work: string
  let pipeline: string
  let bundles: string
  const names = () => fs.readdirSync(bundles).filter((d) => !d.startsWith(".")).sort()
  const manifestOf = (b: string) => JSON.parse(fs.readFileSync(path.join(bundles, b, "manifest.json"), "utf8"))

  beforeAll(async () => {
    root = tempDir()
    const sample = path.join(root, "sample")
    await writeSampleCorpus(sample)
    pipeline = path.join(root, "small-shards.yaml")
    fs.writeFileSync(
      pipeline,
      fs
        .readFileSync(path.join(repoRoot, "pipelines/demo.yaml"), "utf8")
        .replace("${SCICURATE_SAMPLE:-../work/sample}", sample)
        .replace("validation_fraction: 0.05", "validation_fraction: 0.3")
        .replace("shard_bytes: 65536", "shard_bytes: 1500")
    )
    work = path.join(root, "w")
    bundles = path.join(work, "bundles")
    const r = cli(["run", pipeline, "--work", work, "--workers", "2"], env)
    if (r.status !== 0) throw new Error(`run failed:\n${r.stderr}`)
  })

  it("writes train and validation Parquet shards that DuckDB reads as the manifest says, split by id", async () => {
    const { connection } = await openDuckDB()
    let validation = 0
    let multiShard = 0
    for (const b of names()) {
      const m = manifestOf(b)
      const rows = (await connection.runAndReadAll(`SELECT filename, id, bundle, n_tokens FROM read_parquet('${path.join(bundles, b)}/data/*.parquet', filename = true)`)).getRowObjectsJS()
      expect(rows.length).toBe(m.totals.documents)
      expect(rows.reduce((a, r) => a + Number(r.n_tokens), 0)).toBe(m.totals.tokens)
      for (const r of rows) {
        // Every row sits in the split its id decides, and carries its bundle (null for unrouted).
        const file = path.basename(String(r.filename))
        expect(file.startsWith(splitOf(String(r.id), 0.3) === "validation" ? "validation-" : "train-"), `${b}/${file}`).toBe(true)
        expect(r.bundle).toBe(b === "unrouted" ? null : b)
      }
      const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path.join(bundles, b)}/data/*.parquet')`)).getRowObjectsJS()
      expect(described.map((d) => d.column_name)).toEqual(["id", "text", "kind", "format", "source_path", "source_sha256", "source_index", "license", "title", "domain", "bundle", "metadata", "n_tokens"])
      validation += m.totals.validation.documents
      if (m.shards.filter((s: { split: string }) => s.split === "train").length > 1) multiShard++
      // Shard names count the shards of their split.
      for (const s of m.shards) expect(s.path).toMatch(new RegExp(`^data/${s.split}-\\d{5}-of-${String(m.shards.filter((x: { split: string }) => x.split === s.split).length).padStart(5, "0")}\\.parquet$`))
    }
    expect(validation).toBeGreaterThan(0)
    expect(multiShard).toBeGreaterThan(0)
    // All bundles together hold each classified document exactly once.
    const all = (await connection.runAndReadAll(`SELECT count(*) AS n, count(DISTINCT id) AS ids FROM read_parquet('${bundles}/*/data/*.parquet')`)).getRowObjectsJS()[0]!
    const classified = (await connection.runAndReadAll(`SELECT count(*) AS n FROM read_parquet('${work}/classify/part-*.parquet')`)).getRowObjectsJS()[0]!
    expect(Number(all.n)).toBe(Number(classified.n))
    expect(Number(all.ids)).toBe(Number(classified.n))
    connection.closeSync()
  })

  const readers = [
    { name: "numpy", script: "read_megatron.py", available: hasNumpy },
    { name: "torch", script: "read_megatron_torch.py", available: hasTorch }
  ]
  for (const reader of readers) {
    it.skipIf(!reader.available)(`token shards read by ${reader.name} hold each Parquet shard's documents, in order, as token ids + EOS`, async () => {
      const tokenizer = openTokenizer("o200k_base")
      const { connection } = await openDuckDB()
      let checked = 0
      for (const b of names()) {
        const m = manifestOf(b)
        expect(m.token_shards.length).toBe(m.shards.length)
        // One interpreter per bundle for all its token shards (torch takes a second to import).
        const out = spawnSync(PYTHON, [path.join(repoRoot, "test/fixtures", reader.script), ...m.token_shards.map((t: { prefix: string }) => path.join(bundles, b, t.prefix))], {
          encoding: "utf8",
          maxBuffer: 256 * 1024 * 1024
        })
        expect(out.status, out.stderr).toBe(0)
        const reads = out.stdout.trim().split("\n").map((l) => JSON.parse(l) as { version: number; dtype: string; sequences: number; tokens: number; ids: number[][]; document_index: number[] })
        expect(reads.length).toBe(m.token_shards.length)
        for (const [i, t] of m.token_shards.entries()) {
          const read = reads[i]!
          expect(read.version).toBe(1)
          expect(read.dtype).toBe("int32")
          expect(read.tokens).toBe(t.tokens)
          expect(read.document_index).toEqual(Array.from({ length: t.documents + 1 }, (_, k) => k))
          const shard = m.shards[i]
          expect(shard.split).toBe(t.split)
          const texts = (await connection.runAndReadAll(`SELECT text FROM read_parquet('${path.join(bundles, b, shard.path)}')`)).getRows().map((r) => String(r[0]))
          expect(read.ids.length).toBe(texts.length)
          texts.forEach((text, k) => expect(read.ids[k]).toEqual([...tokenizer.ids(text), 199999]))
          checked += texts.length
        }
      }
      expect(checked).toBe(names().reduce((a, b) => a + manifestOf(b).totals.documents, 0))
      connection.closeSync()
      tokenizer.free()
    })
  }

  it("writes a manifest with a content hash, routing scores and samples, and a dataset card", () => {
    const m = manifestOf("climate-atmosphere-ocean")
    expect(m.format).toBe("scicurate-bundle/2")
    expect(m.definition.sampling_weight).toBeGreaterThan(0)
    expect(m.routing.score.min).toBeGreaterThan(0)
    expect(m.routing.histogram.reduce((a: number, h: { documents: number }) => a + h.documents, 0)).toBe(m.totals.documents)
    expect(m.samples.length).toBeGreaterThan(0)
    expect(m.content_sha256).toMatch(/^[0-9a-f]{64}$/)
    expect(m.accounting.classify.records_in).toBe(m.accounting.dedup.documents_out)
    const card = fs.readFileSync(path.join(bundles, "climate-atmosphere-ocean/README.md"), "utf8")
    expect(card).toMatch(/^---\npretty_name: "Climate, atmosphere and ocean"\nlicense: "cc0-1.0"\n/)
    expect(card).toContain("path: data/validation-*.parquet")
    expect(card).toContain(m.content_sha256)
    const unrouted = manifestOf("unrouted")
    expect(unrouted.definition).toBeNull()
    const inspect = cli(["inspect", path.join(bundles, "climate-atmosphere-ocean")])
    expect(inspect.status).toBe(0)
    expect(inspect.stdout).toContain(`content sha256 ${m.content_sha256}`)
    expect(inspect.stdout).toMatch(/routing score: min [\d.]+, p10/)
  })

  it("runs classify and bundle as commands of their own, with the same bundles as the pipeline", () => {
    const out = path.join(root, "single")
    const c = cli(["classify", path.join(work, "tokenize"), "--out", path.join(out, "classified"), "--config", pipeline], env)
    expect(c.status, c.stderr).toBe(0)
    expect(c.stdout).toMatch(/classify noted:unrouted: \d+/)
    const b = cli(["bundle", path.join(out, "classified"), "--out", path.join(out, "bundles"), "--config", pipeline], env)
    expect(b.status, b.stderr).toBe(0)
    expect(b.stdout).toMatch(/bundles in .*:\n/)
    // Data and token shards are the same bytes; the manifests differ only in the accounting they can see.
    for (const name of names()) {
      const a = filesUnder(path.join(bundles, name))
      const s = filesUnder(path.join(out, "bundles", name))
      for (const [file, bytes] of a) if (file.startsWith("data/") || file.startsWith("tokens/")) expect(s.get(file)?.equals(bytes), `${name}/${file}`).toBe(true)
    }
    expect(cli(["verify", path.join(out, "bundles")]).status).toBe(0)
  })

  it("tokenizes again when the token files are out of reach, with the same token shards", () => {
    // A plain copy of the classified shards: no plan, so no tokenize folder to take ids from.
    const plain = path.join(root, "plain-classified")
    fs.mkdirSync(plain)
    for (const f of fs.readdirSync(path.join(work, "classify")).filter((f) => f.endsWith(".parquet"))) fs.copyFileSync(path.join(work, "classify", f), path.join(plain, f))
    const out = path.join(root, "plain-bundles")
    const r = cli(["bundle", plain, "--out", out, "--config", pipeline], env)
    expect(r.status, r.stderr).toBe(0)
    for (const name of names()) {
      const a = filesUnder(path.join(bundles, name))
      const b = filesUnder(path.join(out, name))
      for (const [file, bytes] of a) if (file.startsWith("tokens/") || file.startsWith("data/")) expect(b.get(file)?.equals(bytes), `${name}/${file}`).toBe(true)
    }
  })

  it("resumes a run killed inside the bundle stage, runs no finished task again, and ends with the same bytes", async () => {
    const killed = path.join(root, "killed")
    const child = cliDetached(["run", pipeline, "--work", killed, "--workers", "2"], env)
    const ready = () => fs.existsSync(path.join(killed, "bundle/_plan.json"))
    const deadline = Date.now() + 120_000
    while (Date.now() < deadline && !ready()) await sleep(5)
    process.kill(-child.pid!, "SIGKILL")
    await new Promise((resolve) => child.once("exit", resolve))
    expect(ready(), "the bundle stage never started").toBe(true)
    const finished = { markers: doneMarkers(killed), stages: completedStages(killed) }
    // Every stage before bundle was complete when the bundle stage planned.
    expect(finished.stages).toEqual(expect.arrayContaining(["classify", "dedup", "ingest", "tokenize"]))
    const r = cli(["run", pipeline, "--work", killed, "--workers", "2"], env)
    expect(r.status, r.stderr).toBe(0)
    expectNothingRedone(killed, finished, r.stdout + r.stderr)
    const a = filesUnder(bundles)
    const b = filesUnder(path.join(killed, "bundles"))
    expect([...b.keys()]).toEqual([...a.keys()])
    for (const [name, bytes] of a) expect(b.get(name)!.equals(bytes), name).toBe(true)
    expect([...filesUnder(killed).keys()].filter((f) => f.endsWith(".tmp") || f.includes(".tmp/") || f.includes("_tmp/"))).toEqual([])
  })

  it("rebuilds bundles whose task died after publishing them, with the same bytes and creation time", () => {
    const crashed = path.join(root, "crashed")
    const out = path.join(crashed, "bundles")
    // No SOURCE_DATE_EPOCH here: the creation time kept in the stage folder is what keeps the rebuild identical.
    const failed = cli(["run", pipeline, "--work", crashed, "--workers", "2"], { SCICURATE_FAULT: "bundle-after-publish" })
    expect(failed.status).toBe(1)
    const published = filesUnder(out)
    expect([...published.keys()].filter((f) => f.endsWith("/manifest.json")).length).toBeGreaterThanOrEqual(1)
    // The shards were all written (and staged) before any bundle was assembled: the rerun only assembles.
    const writing = [...doneMarkers(crashed)].filter(([m]) => m.startsWith("bundle/_bundles/shards/"))
    expect(writing.length).toBe(2)
    const r = cli(["run", pipeline, "--work", crashed, "--workers", "2"])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout + r.stderr).toMatch(/^bundle-shards: all 2 task\(s\) already done/m)
    for (const [marker, mtime] of writing) expect(doneMarkers(crashed).get(marker), marker).toBe(mtime)
    const after = filesUnder(out)
    for (const [name, bytes] of published) expect(after.get(name)?.equals(bytes), name).toBe(true)
    // The data is the same as a run that never failed; only the manifests' creation time differs.
    const clean = filesUnder(bundles)
    expect([...after.keys()]).toEqual([...clean.keys()])
    for (const [name, bytes] of clean) {
      if (name.startsWith("data/") || name.includes("/data/") || name.includes("/tokens/")) expect(after.get(name)!.equals(bytes), name).toBe(true)
      if (name.endsWith("manifest.json")) expect(JSON.parse(after.get(name)!.toString()).content_sha256).toBe(JSON.parse(bytes.toString()).content_sha256)
    }
    expect([...filesUnder(crashed).keys()].filter((f) => f.endsWith(".tmp") || f.includes(".tmp/") || f.includes("_tmp/"))).toEqual([])
    expect(cli(["verify", out]).status).toBe(0)
  })
})
