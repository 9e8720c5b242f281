/**
 * `make bench BENCH_ARGS=--only=bundles`: routing, shard writing and token shards on bundles of about
 * 0.25 GB and 1 GB of text, to show throughput and that the bundle task's peak memory does not grow with
 * the bundle. The text is the SciTLDR abstracts of the shared corpus (one domain, so one big bundle)
 * repeated with edits (copy k drops its k-th word and gains a marker), so no two documents are equal.
 * The pipeline is ingest -> tokenize -> classify -> bundle (no dedup: the copies are near duplicates
 * by construction), run with 2 workers.
 *
 * Baselines in the same invocation: tiktoken in-process on one core (the token shards' ceiling per task),
 * a plain DuckDB COPY of the classified rows to ZSTD Parquet (shard writing with no shuffle, split or
 * tokens), and a bare regex word scan of the texts (the least any lexicon router must do).
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { DuckDBInstance } from "@duckdb/node-api"
import { get_encoding } from "tiktoken"
import { formatAccuracyReport, readRoutedDocuments, scoreRouting } from "../src/classify/accuracy.ts"
import { readSourceLabels } from "../src/classify/labels.ts"

interface Opts {
  repoRoot: string
  corpus: string
  benchDir: string
  say: (s?: string) => void
}

const MB = 1e6
const GB = 1e9
const SIZES = (process.env.BENCH_BUNDLE_SIZES ?? "0.25,1").split(",").map(Number)

/** JSONL of SciTLDR abstracts repeated with edits until `bytes` of text; cached across invocations. */
function generate(corpus: string, bytes: number): string {
  const dir = path.join(os.tmpdir(), "scicurate-bundle-cache", `scitldr-${bytes}`)
  const file = path.join(dir, "abstracts.jsonl")
  if (fs.existsSync(path.join(dir, "done"))) return dir
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const texts = fs
    .readFileSync(path.join(corpus, "text/scitldr_A_train.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { text: string }).text)
  const fd = fs.openSync(file, "w")
  let written = 0
  for (let k = 0; written < bytes; k++) {
    const lines: string[] = []
    for (const t of texts) {
      let text = t
      if (k > 0) {
        const words = t.split(" ")
        words.splice(k % words.length, 1)
        text = `${words.join(" ")} [replica ${k}]`
      }
      written += Buffer.byteLength(text)
      lines.push(JSON.stringify({ text }))
      if (written >= bytes) break
    }
    fs.writeSync(fd, lines.join("\n") + "\n")
  }
  fs.closeSync(fd)
  fs.writeFileSync(path.join(dir, "done"), "")
  return dir
}

function pipelineFile(benchDir: string, name: string, input: string): string {
  const file = path.join(benchDir, `${name}.yaml`)
  fs.writeFileSync(
    file,
    [
      `name: ${name}`,
      `inputs:`,
      `  - path: ${input}`,
      `    license: Apache-2.0`,
      `tokenizer: o200k_base`,
      `stages:`,
      `  - stage: ingest`,
      `    tasks: 8`,
      `    split_bytes: 67108864`,
      `  - stage: tokenize`,
      `    tasks: 8`,
      `  - stage: classify`,
      `    tasks: 8`,
      `  - stage: bundle`,
      `    tasks: 2`,
      `    validation_fraction: 0.01`,
      `    shard_bytes: 134217728`,
      ``
    ].join("\n")
  )
  return file
}

interface StageFacts {
  docs: number
  textBytes: number
  tokens: number
  wall: number
  peakTaskRss: number
}

function stageFacts(work: string, stage: string): StageFacts {
  const dir = path.join(work, stage)
  const timing = JSON.parse(fs.readFileSync(path.join(dir, "_timing.json"), "utf8"))
  const stats = fs.readdirSync(path.join(dir, "_stats")).map((f) => JSON.parse(fs.readFileSync(path.join(dir, "_stats", f), "utf8")))
  return {
    docs: stats.reduce((a, s) => a + s.records_in, 0),
    textBytes: stats.reduce((a, s) => a + s.bytes_out, 0),
    tokens: stats.reduce((a, s) => a + s.tokens_out, 0),
    wall: timing.wall_seconds,
    peakTaskRss: Math.max(...stats.map((s) => s.peak_rss_bytes))
  }
}

/** The texts of a classified dataset's first rows, for the in-process baselines. */
async function sampleTexts(classified: string, bytes: number): Promise<string[]> {
  const db = await DuckDBInstance.create(":memory:")
  const c = await db.connect()
  const rows = (await c.runAndReadAll(`SELECT text FROM read_parquet('${classified}/part-*.parquet') LIMIT ${Math.ceil(bytes / 900)}`)).getRows()
  c.closeSync()
  return rows.map((r) => String(r[0]))
}

function tiktokenBaseline(texts: ReadonlyArray<string>): { tokensPerS: number; mbPerS: number } {
  const enc = get_encoding("o200k_base")
  const started = performance.now()
  let tokens = 0
  let bytes = 0
  for (const t of texts) {
    tokens += enc.encode_ordinary(t).length
    bytes += Buffer.byteLength(t)
  }
  enc.free()
  const s = (performance.now() - started) / 1000
  return { tokensPerS: tokens / s, mbPerS: bytes / MB / s }
}

function wordScanBaseline(texts: ReadonlyArray<string>): { docsPerS: number; mbPerS: number } {
  const started = performance.now()
  let words = 0
  let bytes = 0
  const re = /[\p{L}\p{N}][\p{L}\p{N}\-]*/gu
  for (const t of texts) {
    const lower = t.toLowerCase()
    re.lastIndex = 0
    while (re.exec(lower) !== null) words++
    bytes += t.length
  }
  const s = (performance.now() - started) / 1000
  if (words < 0) throw new Error("unreachable")
  return { docsPerS: texts.length / s, mbPerS: bytes / MB / s }
}

/** DuckDB COPY of the classified dataset to one ZSTD Parquet file, one thread: shard writing's floor. */
async function copyBaseline(classified: string, out: string): Promise<number> {
  const db = await DuckDBInstance.create(":memory:", { threads: "1", preserve_insertion_order: "true" })
  const c = await db.connect()
  const started = performance.now()
  await c.run(`COPY (SELECT * EXCLUDE (route_score, route_reason, route_second, route_second_score) FROM read_parquet('${classified}/part-*.parquet')) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`)
  const s = (performance.now() - started) / 1000
  const bytes = Number((await c.runAndReadAll(`SELECT sum(strlen(text)) FROM read_parquet('${out}')`)).getRows()[0]![0])
  c.closeSync()
  fs.rmSync(out, { force: true })
  return bytes / MB / s
}

/**
 * Routing accuracy on the real corpus: pipelines/shared-corpus.yaml end to end, its classify output
 * scored against SOURCES.md's labels, with the confusion table.
 */
async function routingOnSharedCorpus(opts: Opts): Promise<Record<string, unknown>> {
  const work = path.join(opts.benchDir, "work-shared-corpus")
  const r = spawnSync(process.execPath, [path.join(opts.repoRoot, "bin/scicurate.mjs"), "run", path.join(opts.repoRoot, "pipelines/shared-corpus.yaml"), "--work", work, "--workers", "2"], {
    encoding: "utf8",
    env: { ...process.env, SOURCE_DATE_EPOCH: "1700000000", SCICURATE_CORPUS: opts.corpus },
    maxBuffer: 64 * 1024 * 1024
  })
  if (r.status !== 0) throw new Error(`shared-corpus run failed:\n${r.stderr.slice(-4000)}`)
  const report = scoreRouting(await readRoutedDocuments(path.join(work, "classify")), readSourceLabels(fs.readFileSync(path.join(opts.corpus, "SOURCES.md"), "utf8")))
  const classify = stageFacts(work, "classify")
  opts.say()
  opts.say(`## routing on the shared corpus (pipelines/shared-corpus.yaml, 2 workers): classify ${classify.docs} docs in ${classify.wall.toFixed(2)} s`)
  for (const line of formatAccuracyReport(report).split("\n")) opts.say(line)
  const bundles = fs.readdirSync(path.join(work, "bundles")).filter((d) => !d.startsWith(".")).sort()
  opts.say(`bundles written: ${bundles.length} (${bundles.join(", ")})`)
  return { files: report.files, text: report.text, confusion: report.confusion, bundles }
}

export async function benchBundles(opts: Opts): Promise<Record<string, unknown>> {
  const { say } = opts
  const out: Record<string, unknown> = {}
  out.routing = await routingOnSharedCorpus(opts)
  say()
  say(`## bundles: SciTLDR abstracts repeated with edits, ${SIZES.map((s) => `${s} GB`).join(" and ")} of text, ingest -> tokenize -> classify -> bundle, 2 workers`)
  say(`${"size".padEnd(7)} ${"docs".padStart(9)} ${"text MB".padStart(8)} ${"route docs/s".padStart(12)} ${"route MB/s".padStart(10)} ${"bundle s".padStart(8)} ${"write MB/s".padStart(10)} ${"tokens/s".padStart(10)} ${"bundle peak RSS MB".padStart(18)} ${"classify peak MB".padStart(16)} bundles`)
  const rows: Array<{ size: number; classify: StageFacts; bundle: StageFacts; work: string }> = []
  for (const size of SIZES) {
    const input = generate(opts.corpus, size * GB)
    const name = `bundles-${String(size).replace(".", "p")}gb`
    const work = path.join(opts.benchDir, `work-${name}`)
    const r = spawnSync(process.execPath, [path.join(opts.repoRoot, "bin/scicurate.mjs"), "run", pipelineFile(opts.benchDir, name, input), "--work", work, "--workers", "2"], {
      encoding: "utf8",
      env: { ...process.env, SOURCE_DATE_EPOCH: "1700000000" },
      maxBuffer: 64 * 1024 * 1024
    })
    if (r.status !== 0) throw new Error(`bench run ${name} failed:\n${r.stderr.slice(-4000)}`)
    const classify = stageFacts(work, "classify")
    const bundle = stageFacts(work, "bundle")
    const outputs = fs.readdirSync(path.join(work, "bundles")).filter((d) => !d.startsWith("."))
    const biggest = outputs
      .map((d) => JSON.parse(fs.readFileSync(path.join(work, "bundles", d, "manifest.json"), "utf8")) as { name: string; totals: { text_bytes: number; documents: number } })
      .sort((a, b) => b.totals.text_bytes - a.totals.text_bytes)
    say(
      `${`${size} GB`.padEnd(7)} ${String(classify.docs).padStart(9)} ${(classify.textBytes / MB).toFixed(0).padStart(8)} ${(classify.docs / classify.wall).toFixed(0).padStart(12)} ${(classify.textBytes / MB / classify.wall).toFixed(1).padStart(10)} ` +
        `${bundle.wall.toFixed(1).padStart(8)} ${(bundle.textBytes / MB / bundle.wall).toFixed(2).padStart(10)} ${(bundle.tokens / bundle.wall).toFixed(0).padStart(10)} ${(bundle.peakTaskRss / MB).toFixed(0).padStart(18)} ${(classify.peakTaskRss / MB).toFixed(0).padStart(16)} ` +
        biggest
          .slice(0, 3)
          .map((b) => `${b.name} ${(b.totals.text_bytes / MB).toFixed(0)} MB`)
          .join(", ") + (biggest.length > 3 ? `, +${biggest.length - 3} smaller` : "")
    )
    rows.push({ size, classify, bundle, work })
    out[name] = { classify, bundle, bundles: biggest }
  }
  const small = rows[0]!
  const large = rows[rows.length - 1]!
  const texts = await sampleTexts(path.join(large.work, "classify"), 64 * MB)
  const tok = tiktokenBaseline(texts)
  const scan = wordScanBaseline(texts)
  const copy = await copyBaseline(path.join(small.work, "classify"), path.join(opts.benchDir, "copy-baseline.parquet"))
  const largeRoute = large.classify.textBytes / MB / large.classify.wall
  say(
    `baselines (same invocation, 1 core): tiktoken ${tok.mbPerS.toFixed(2)} MB/s = ${tok.tokensPerS.toFixed(0)} tokens/s; DuckDB plain COPY to ZSTD Parquet ${copy.toFixed(1)} MB/s; regex word scan ${scan.mbPerS.toFixed(1)} MB/s`
  )
  say(
    `ratios at ${large.size} GB: bundle tokens/s ${(large.bundle.tokens / large.bundle.wall / tok.tokensPerS).toFixed(2)}x of tiktoken on one core; ` +
      `bundle text MB/s ${(large.bundle.textBytes / MB / large.bundle.wall / copy).toFixed(2)}x of a plain COPY; routing MB/s (2 workers) ${(largeRoute / scan.mbPerS).toFixed(2)}x of a bare word scan (1 core)`
  )
  say(
    `bundle task peak RSS: ${(small.bundle.peakTaskRss / MB).toFixed(0)} MB at ${small.size} GB, ${(large.bundle.peakTaskRss / MB).toFixed(0)} MB at ${large.size} GB ` +
      `(ratio ${(large.bundle.peakTaskRss / small.bundle.peakTaskRss).toFixed(2)} for ${(large.bundle.textBytes / small.bundle.textBytes).toFixed(1)}x the text)`
  )
  out.baselines = { tiktoken: tok, copyMBps: copy, wordScan: scan }
  return out
}
