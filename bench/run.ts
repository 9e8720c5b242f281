/**
 * `make bench`: throughput and peak memory per stage on real data, as ratios against baselines measured
 * in the same invocation (timings on a shared 2-core machine drift; ratios within one run do not).
 *
 * Corpora: the shared text corpus as it is (2 JSONL files, 2,992 abstracts), and the same abstracts
 * scaled up (`--scale`, default 10x) with deterministic edits so the copies are not exact duplicates,
 * except one in ten which stays an exact copy for dedup to find.
 *
 * Baselines: `--workers 1` for the speedup of `--workers 2`; a plain read + JSON.parse + sha256 loop for
 * ingest; tiktoken in-process on one core for tokenize.
 */
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { get_encoding } from "tiktoken"
import { benchBundles } from "./bundles.ts"
import { benchDedup } from "./dedup.ts"
import { benchFamilies } from "./families.ts"
import { benchGeneralisation } from "./generalisation.ts"
import { benchPdf } from "./pdf.ts"
import { benchQuality } from "./quality.ts"
import { benchRelease } from "./release.ts"
import { benchServePull } from "./serve-pull.ts"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const corpus = path.resolve(repoRoot, process.env.SCICURATE_CORPUS ?? "../shared/corpus")
const benchDir = path.join(repoRoot, ".bench")
const scale = Number(process.argv.find((a) => a.startsWith("--scale="))?.split("=")[1] ?? 10)
const STAGES = ["ingest", "dedup", "tokenize", "classify", "bundle"] as const
/** `--only=text|pdf|families|dedup|bundles|release|generalisation|serve-pull|quality` (families: code and simulation; release: ingest against the previous release; generalisation: routing accuracy on held-out files; serve-pull: a 1 GB release pulled over localhost against cp; quality: the filter, language, pii and decontaminate stages against the bare read) runs one section; the default runs all. */
const only = process.argv.find((a) => a.startsWith("--only="))?.split("=")[1]

if (!fs.existsSync(path.join(corpus, "text"))) {
  console.error(`bench: ${corpus}/text is absent; the benchmark needs the shared corpus`)
  process.exit(1)
}
fs.rmSync(benchDir, { recursive: true, force: true })
fs.mkdirSync(benchDir, { recursive: true })

const textFiles = fs.readdirSync(path.join(corpus, "text")).filter((f) => f.endsWith(".jsonl")).sort().map((f) => path.join(corpus, "text", f))

/** The abstracts repeated `scale` times; copy k > 0 drops its k-th word and gains a marker, unless k = 5 (an exact copy). */
function writeScaled(dir: string, times: number): void {
  fs.mkdirSync(dir, { recursive: true })
  for (const file of textFiles) {
    const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim())
    const out: string[] = []
    for (let k = 0; k < times; k++) {
      for (const line of lines) {
        const rec = JSON.parse(line) as { text: string }
        if (k > 0 && k !== 5) {
          const words = rec.text.split(" ")
          words.splice(k % words.length, 1)
          rec.text = `${words.join(" ")} [replica ${k}]`
        }
        out.push(JSON.stringify(rec))
      }
    }
    fs.writeFileSync(path.join(dir, path.basename(file)), out.join("\n") + "\n")
  }
}

function pipelineFor(name: string, inputDir: string): string {
  const file = path.join(benchDir, `${name}.yaml`)
  fs.writeFileSync(
    file,
    [
      `name: ${name}`,
      `inputs:`,
      `  - path: ${inputDir}`,
      `    license: CC-BY-4.0`,
      `tokenizer: o200k_base`,
      `stages:`,
      `  - stage: ingest`,
      `    tasks: 4`,
      // Small enough that the x10 corpus's two JSONL files are split across tasks (default 128 MiB).
      `    split_bytes: 16777216`,
      `  - stage: dedup`,
      `    tasks: 4`,
      `  - stage: tokenize`,
      `    tasks: 4`,
      `  - stage: classify`,
      `    tasks: 4`,
      `  - stage: bundle`,
      `    tasks: 2`,
      `    shard_bytes: 67108864`,
      ``
    ].join("\n")
  )
  return file
}

interface StageRow {
  stage: string
  docs: number
  textBytes: number
  wall: number
  peakTaskRss: number
  coordinatorRss: number
}

function runPipeline(pipeline: string, work: string, workers: number): { rows: StageRow[]; wall: number } {
  const started = performance.now()
  const r = spawnSync(process.execPath, [path.join(repoRoot, "bin/scicurate.mjs"), "run", pipeline, "--work", work, "--workers", String(workers)], {
    encoding: "utf8",
    env: { ...process.env, SOURCE_DATE_EPOCH: "1700000000" }
  })
  const wall = (performance.now() - started) / 1000
  if (r.status !== 0) throw new Error(`scicurate run failed:\n${r.stderr}`)
  const rows = STAGES.map((stage) => {
    const dir = path.join(work, stage)
    const timing = JSON.parse(fs.readFileSync(path.join(dir, "_timing.json"), "utf8"))
    const stats = fs.readdirSync(path.join(dir, "_stats")).map((f) => JSON.parse(fs.readFileSync(path.join(dir, "_stats", f), "utf8")))
    return {
      stage,
      docs: stats.reduce((a, s) => a + s.records_in, 0),
      textBytes: stats.reduce((a, s) => a + (stage === "ingest" ? s.bytes_in : s.bytes_out), 0),
      wall: timing.wall_seconds,
      peakTaskRss: Math.max(...stats.map((s) => s.peak_rss_bytes)),
      coordinatorRss: timing.coordinator_peak_rss_bytes
    }
  })
  return { rows, wall }
}

/** The least an ingest of JSONL must do: read, split lines, parse JSON, hash the text. */
function baselineParse(dir: string): { mbPerS: number; bytes: number } {
  const started = performance.now()
  let bytes = 0
  for (const f of fs.readdirSync(dir).sort()) {
    const buf = fs.readFileSync(path.join(dir, f))
    bytes += buf.length
    for (const line of buf.toString("utf8").split("\n")) {
      if (!line) continue
      const rec = JSON.parse(line) as { text: string }
      createHash("sha256").update(rec.text.normalize("NFKC")).digest("hex")
    }
  }
  return { mbPerS: bytes / 1e6 / ((performance.now() - started) / 1000), bytes }
}

/** tiktoken o200k_base in this process on one core: the tokenize stage's ceiling per worker. */
function baselineTokenize(dir: string): number {
  const enc = get_encoding("o200k_base")
  const texts = fs
    .readdirSync(dir)
    .sort()
    .flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text))
  const started = performance.now()
  let bytes = 0
  for (const t of texts) {
    enc.encode_ordinary(t)
    bytes += Buffer.byteLength(t)
  }
  enc.free()
  return bytes / 1e6 / ((performance.now() - started) / 1000)
}

const mb = (b: number) => (b / 1e6).toFixed(1)
const pad = (s: string | number, n: number) => String(s).padStart(n)

/** Every file under two bundle output folders, byte for byte. */
function sameBundles(a: string, b: string): boolean {
  const list = (root: string, rel = ""): string[] =>
    fs.readdirSync(path.join(root, rel)).sort().flatMap((f) => (fs.statSync(path.join(root, rel, f)).isDirectory() ? list(root, path.join(rel, f)) : [path.join(rel, f)]))
  const files = list(a)
  if (files.join() !== list(b).join()) return false
  return files.every((f) => fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))))
}

const results: Record<string, unknown> = {}
const lines: string[] = []
const say = (s = "") => {
  lines.push(s)
  console.log(s)
}

const scaledDir = path.join(benchDir, `text-x${scale}`)
const plainDir = path.join(benchDir, "text-x1")
if (only === undefined || only === "text") {
  writeScaled(scaledDir, scale)
  writeScaled(plainDir, 1)
}

say(`scicurate bench — ${new Date().toISOString()} — node ${process.version}, ${(await import("node:os")).availableParallelism()} cores`)
for (const [name, dir] of only !== undefined && only !== "text" ? [] : ([["shared-text", plainDir], [`shared-text-x${scale}`, scaledDir]] as const)) {
  const pipeline = pipelineFor(name.replace(/[^a-z0-9-]/g, "-"), dir)
  const parse = baselineParse(dir)
  const tokBase = baselineTokenize(dir)
  const one = runPipeline(pipeline, path.join(benchDir, `work-${name}-w1`), 1)
  const two = runPipeline(pipeline, path.join(benchDir, `work-${name}-w2`), 2)
  const identical = sameBundles(path.join(benchDir, `work-${name}-w1`, "bundles"), path.join(benchDir, `work-${name}-w2`, "bundles"))
  say()
  say(`## ${name}: ${one.rows[0]!.docs} input records, ${mb(parse.bytes)} MB of JSONL`)
  say(`${"stage".padEnd(9)} ${pad("workers", 7)} ${pad("docs in", 8)} ${pad("MB in", 7)} ${pad("wall s", 7)} ${pad("docs/s", 8)} ${pad("MB/s", 6)} ${pad("peak worker RSS MB", 18)} ${pad("coord RSS MB", 12)}`)
  const speedups: string[] = []
  for (const [i, stage] of STAGES.entries()) {
    for (const [w, run] of [[1, one], [2, two]] as const) {
      const r = run.rows[i]!
      say(
        `${stage.padEnd(9)} ${pad(w, 7)} ${pad(r.docs, 8)} ${pad(mb(r.textBytes), 7)} ${pad(r.wall.toFixed(2), 7)} ${pad((r.docs / r.wall).toFixed(0), 8)} ${pad((r.textBytes / 1e6 / r.wall).toFixed(2), 6)} ${pad(mb(r.peakTaskRss), 18)} ${pad(mb(r.coordinatorRss), 12)}`
      )
    }
    speedups.push(`${stage} ${(one.rows[i]!.wall / two.rows[i]!.wall).toFixed(2)}x`)
  }
  say(`end to end: workers 1 ${one.wall.toFixed(2)} s (${(one.rows[0]!.docs / one.wall).toFixed(0)} docs/s), workers 2 ${two.wall.toFixed(2)} s (${(two.rows[0]!.docs / two.wall).toFixed(0)} docs/s)`)
  say(`speedup of --workers 2 over --workers 1: ${speedups.join(", ")}, end to end ${(one.wall / two.wall).toFixed(2)}x`)
  const ingestW1 = one.rows[0]!.textBytes / 1e6 / one.rows[0]!.wall
  const tokW1 = one.rows[2]!.textBytes / 1e6 / one.rows[2]!.wall
  say(`baselines (same invocation): read+JSON.parse+sha256 ${parse.mbPerS.toFixed(1)} MB/s -> ingest (1 worker) at ${(ingestW1 / parse.mbPerS).toFixed(2)}x; tiktoken in-process ${tokBase.toFixed(2)} MB/s -> tokenize stage (1 worker) at ${(tokW1 / tokBase).toFixed(2)}x`)
  say(`bundles from 1 and 2 workers byte-identical: ${identical ? "yes" : "NO"}`)
  results[name] = { one, two, baselines: { parseMBps: parse.mbPerS, tiktokenMBps: tokBase }, identical }
}
if (only === undefined || only === "pdf") results["pdf"] = await benchPdf({ repoRoot, corpus, benchDir, say })
if (only === undefined || only === "families") Object.assign(results, await benchFamilies({ repoRoot, corpus, benchDir, say }))
if (only === undefined || only === "dedup") Object.assign(results, await benchDedup({ repoRoot, corpus, benchDir, say }))
if (only === undefined || only === "bundles") Object.assign(results, await benchBundles({ repoRoot, corpus, benchDir, say }))
if (only === undefined || only === "release") Object.assign(results, await benchRelease({ repoRoot, corpus, benchDir, say }))
if (only === undefined || only === "generalisation") Object.assign(results, await benchGeneralisation({ repoRoot, benchDir, say }))
if (only === undefined || only === "serve-pull") Object.assign(results, await benchServePull({ repoRoot, corpus, benchDir, say }))
if (only === undefined || only === "quality") Object.assign(results, await benchQuality({ repoRoot, corpus, benchDir, say }))
fs.writeFileSync(path.join(benchDir, "results.json"), JSON.stringify(results, null, 2))
fs.writeFileSync(path.join(benchDir, "results.txt"), lines.join("\n") + "\n")
console.log(`\nwritten to ${path.relative(repoRoot, path.join(benchDir, "results.txt"))}`)
