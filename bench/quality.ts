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
  run(repoRoot, ["run", path.join(repoRoot, "pipelines/shared-corpus.yaml"), "--work", realWork, "--workers", "2"])
  say()
  say("## quality: the shared corpus through pipelines/shared-corpus.yaml (real papers, abstracts, simulation outputs; all wanted)")
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
  const evalSet = path.join(corpus, "text/pubmedqa_ori_pqal.jsonl")
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
      ...QUALITY_STAGES.flatMap((s) => [`  - stage: ${s}`, "    tasks: 4", ...(s === "language" ? ["    keep: [en]"] : s === "decontaminate" ? [`    against: [${evalSet}]`, "    fields: [QUESTION, LONG_ANSWER]", "    id_field: id"] : [])]),
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
  return results
}
