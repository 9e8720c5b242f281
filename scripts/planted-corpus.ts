/**
 * Write a planted-duplicate benchmark corpus (src/dedup/planted.ts) built from the shared abstracts:
 *
 *   node scripts/planted-corpus.ts --docs 100000 --seed 1 --out DIR [--abstracts /work/shared/corpus/text]
 *       [--docs-per-part 10000] [--copy-fraction 0.25] [--mix exact=0.2,format=0.05,scattered=0.375,span=0.375]
 *
 * DIR/docs/part-00000.jsonl …  one {"id","text"} per line (the input the pipeline's ingest/dedup reads)
 * DIR/truth.jsonl              one record per copy: id, original_id, family_id, kind, edit_fraction,
 *                              jaccard (exact word 5-gram Jaccard to the original), shared/union shingles
 * DIR/summary.json             counts by kind, family sizes, bytes, words, Jaccard histogram, seed,
 *                              config, generator version and a fingerprint of the abstracts
 *
 * The abstracts are read, never copied into the repository. Everything is written into a sibling
 * temporary folder that is renamed to DIR at the end; an existing DIR is replaced only when it is empty
 * or an earlier planted corpus. Documents are generated and written in output order while a worker
 * thread runs the truth pass (family by family); nothing but the plan's typed arrays is held, so memory
 * stays flat whatever --docs is. Same abstracts, seed and options give byte-identical output.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads"
import {
  COPY_KINDS,
  PLANTED_GENERATOR_VERSION,
  PlantedCorpus,
  buildSentencePool,
  plantedConfig,
  type CopyKind,
  type CopyTruth,
  type PlantedConfig
} from "../src/dedup/planted.ts"

const here = path.dirname(fileURLToPath(import.meta.url))
export const DEFAULT_ABSTRACTS = path.resolve(here, "../../shared/corpus/text")

export interface Abstracts {
  readonly files: ReadonlyArray<string>
  readonly texts: ReadonlyArray<string>
  /** sha256 over the texts in reading order: identifies the pool in summary.json. */
  readonly sha256: string
}

/** The `text` of every line of every *.jsonl file in `dir`, files in name order. */
export function loadAbstracts(dir: string): Abstracts {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .sort()
  const texts: string[] = []
  const hash = createHash("sha256")
  for (const f of files) {
    const lines = fs.readFileSync(path.join(dir, f), "utf8").split("\n")
    lines.forEach((line, i) => {
      if (line.trim() === "") return
      let text: unknown
      try {
        text = (JSON.parse(line) as { text?: unknown }).text
      } catch (cause) {
        throw new Error(`${f}:${i + 1}: not JSON`, { cause })
      }
      if (typeof text !== "string" || text.trim() === "") return
      texts.push(text)
      hash.update(text).update("\0")
    })
  }
  return { files, texts, sha256: hash.digest("hex") }
}

export interface WriteOptions {
  readonly abstracts: Abstracts
  readonly out: string
  readonly config: PlantedConfig
  readonly docsPerPart: number
  /** Run the truth pass in a worker thread while the documents are written (default true). */
  readonly worker?: boolean
}

export interface WriteResult {
  readonly summary: Record<string, unknown>
  readonly truthSeconds: number
  readonly writeSeconds: number
  readonly totalSeconds: number
}

const BINS = 10
const round = (x: number, digits = 6): number => Math.round(x * 10 ** digits) / 10 ** digits

/** Buffered writes to one file descriptor. */
class Sink {
  private readonly fd: number
  private chunks: string[] = []
  private pending = 0
  bytes = 0
  constructor(file: string) {
    this.fd = fs.openSync(file, "w")
  }
  write(s: string): void {
    this.chunks.push(s)
    this.pending += s.length
    if (this.pending >= 1 << 22) this.flush()
  }
  private flush(): void {
    if (this.chunks.length === 0) return
    this.bytes += fs.writeSync(this.fd, this.chunks.join(""))
    this.chunks = []
    this.pending = 0
  }
  close(): void {
    this.flush()
    fs.fsyncSync(this.fd)
    fs.closeSync(this.fd)
  }
}

function isReplaceable(dir: string): boolean {
  if (!fs.existsSync(dir)) return true
  if (!fs.statSync(dir).isDirectory()) return false
  const entries = fs.readdirSync(dir)
  if (entries.length === 0) return true
  try {
    const s = JSON.parse(fs.readFileSync(path.join(dir, "summary.json"), "utf8")) as { generator?: unknown }
    return typeof s.generator === "string" && s.generator.startsWith("scicurate-planted/")
  } catch {
    return false
  }
}

interface TruthJob {
  readonly texts: ReadonlyArray<string>
  readonly config: PlantedConfig
}

/** The truth pass, timed. It depends only on the pool and config, so a worker can run it. */
function truthPass(job: TruthJob): { truth: CopyTruth; seconds: number } {
  const started = performance.now()
  const truth = new PlantedCorpus(buildSentencePool(job.texts), job.config).computeTruth()
  return { truth, seconds: (performance.now() - started) / 1000 }
}

/** Start the truth pass in a worker thread (this file is its entry point; see the end of the file). */
function truthInWorker(job: TruthJob): { result: Promise<{ truth: CopyTruth; seconds: number }>; stop: () => void } {
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { plantedTruthJob: job } })
  const result = new Promise<{ truth: CopyTruth; seconds: number }>((resolve, reject) => {
    let settled = false
    worker.once("message", (m: { truth: CopyTruth; seconds: number }) => {
      settled = true
      resolve(m)
    })
    worker.once("error", (e) => {
      settled = true
      reject(e)
    })
    worker.once("exit", (code) => {
      if (!settled) reject(new Error(`the truth worker exited with code ${code} before answering`))
    })
  })
  return { result, stop: () => void worker.terminate() }
}

/**
 * Generate the corpus and write it to `out` (see the file comment). The truth pass (the costly part:
 * normalising and shingling every family) runs in a worker thread while this thread generates and
 * writes the documents; truth.jsonl and summary.json are written when both are done.
 */
export async function writePlantedCorpus(options: WriteOptions): Promise<WriteResult> {
  const started = performance.now()
  const { abstracts, config, docsPerPart } = options
  const out = path.resolve(options.out)
  if (!(Number.isInteger(docsPerPart) && docsPerPart >= 1)) throw new Error(`--docs-per-part must be a positive integer`)
  if (!isReplaceable(out)) throw new Error(`${out} exists and is not an earlier planted corpus: refusing to replace it`)

  const job: TruthJob = { texts: abstracts.texts, config }
  const { result: truthPromise, stop } =
    options.worker === false ? { result: Promise.resolve(truthPass(job)), stop: () => undefined } : truthInWorker(job)
  // A rejection is handled below, after the documents are written; do not let it go unobserved meanwhile.
  truthPromise.catch(() => undefined)
  const pool = buildSentencePool(abstracts.texts)
  const corpus = new PlantedCorpus(pool, config)

  const tmp = `${out}.tmp-${process.pid}`
  fs.rmSync(tmp, { recursive: true, force: true })
  fs.mkdirSync(path.join(tmp, "docs"), { recursive: true })
  try {
    const writeStarted = performance.now()
    const parts: string[] = []
    let part: Sink | undefined
    let fileBytes = 0
    let textBytes = 0
    let words = 0
    let minWords = Infinity
    let maxWords = 0
    let p = 0
    for (const { doc, words: w } of corpus.documents()) {
      if (p % docsPerPart === 0) {
        part?.close()
        const name = `part-${String(parts.length).padStart(5, "0")}.jsonl`
        parts.push(name)
        part = new Sink(path.join(tmp, "docs", name))
      }
      p++
      const line = JSON.stringify({ id: doc.id, text: doc.text }) + "\n"
      part?.write(line)
      fileBytes += Buffer.byteLength(line)
      textBytes += Buffer.byteLength(doc.text)
      words += w
      minWords = Math.min(minWords, w)
      maxWords = Math.max(maxWords, w)
    }
    part?.close()
    const writeSeconds = (performance.now() - writeStarted) / 1000

    const { truth, seconds: truthSeconds } = await truthPromise
    const truthSink = new Sink(path.join(tmp, "truth.jsonl"))
    const kindStats = Object.fromEntries(
      COPY_KINDS.map((k) => [k, { count: 0, jaccardSum: 0, jaccardMin: Infinity, jaccardMax: -Infinity, editSum: 0 }])
    ) as Record<CopyKind, { count: number; jaccardSum: number; jaccardMin: number; jaccardMax: number; editSum: number }>
    const histogram = new Array<number>(BINS + 1).fill(0) // [0,0.1) … [0.9,1.0), then exactly 1
    let atLeast08 = 0
    let atLeast05 = 0
    for (const record of corpus.truthRecords(truth)) {
      truthSink.write(JSON.stringify(record) + "\n")
      const s = kindStats[record.kind]
      const j = record.jaccard
      s.count++
      s.jaccardSum += j
      s.jaccardMin = Math.min(s.jaccardMin, j)
      s.jaccardMax = Math.max(s.jaccardMax, j)
      s.editSum += record.edit_fraction
      const bin = j >= 1 ? BINS : Math.min(BINS - 1, Math.floor(j * BINS))
      histogram[bin] = (histogram[bin] ?? 0) + 1
      if (j >= 0.8) atLeast08++
      if (j >= 0.5) atLeast05++
    }
    truthSink.close()

    const familySizes: Record<string, number> = {}
    for (let f = 0; f < corpus.families; f++) {
      const size = String(1 + (corpus.familyCopyStart[f + 1] ?? 0) - (corpus.familyCopyStart[f] ?? 0))
      familySizes[size] = (familySizes[size] ?? 0) + 1
    }
    const summary = {
      generator: PLANTED_GENERATOR_VERSION,
      seed: config.seed,
      docs: corpus.size,
      originals: corpus.originals,
      copies: corpus.copies,
      families: corpus.families,
      family_sizes: familySizes,
      kinds: { original: corpus.originals, ...corpus.kindCounts() },
      parts: parts.length,
      docs_per_part: docsPerPart,
      bytes: {
        text: textBytes,
        docs_files: fileBytes,
        truth_file: truthSink.bytes,
        mean_text_per_doc: round(textBytes / corpus.size, 1)
      },
      words: { mean: round(words / corpus.size, 1), min: minWords, max: maxWords },
      jaccard: {
        shingles: "word 5-grams of normalizeForShingles(text), as a set of strings",
        histogram: histogram.map((count, i) => ({ bin: i === BINS ? "1.0" : `[${(i / BINS).toFixed(1)},${((i + 1) / BINS).toFixed(1)})`, count })),
        at_least_0_8: atLeast08,
        at_least_0_5: atLeast05,
        by_kind: Object.fromEntries(
          COPY_KINDS.map((k) => {
            const s = kindStats[k]
            return [
              k,
              s.count === 0
                ? { count: 0 }
                : {
                    count: s.count,
                    jaccard_min: round(s.jaccardMin),
                    jaccard_mean: round(s.jaccardSum / s.count),
                    jaccard_max: round(s.jaccardMax),
                    edit_fraction_mean: round(s.editSum / s.count)
                  }
            ]
          })
        )
      },
      config,
      abstracts: {
        files: abstracts.files,
        abstracts: pool.abstracts,
        sentences: pool.sentences.length,
        vocabulary: pool.vocabulary,
        sha256: abstracts.sha256
      }
    }
    fs.writeFileSync(path.join(tmp, "summary.json"), JSON.stringify(summary, null, 2) + "\n")

    // Swap the finished folder into place.
    const old = `${out}.old-${process.pid}`
    if (fs.existsSync(out)) fs.renameSync(out, old)
    fs.renameSync(tmp, out)
    fs.rmSync(old, { recursive: true, force: true })
    return { summary, truthSeconds, writeSeconds, totalSeconds: (performance.now() - started) / 1000 }
  } catch (e) {
    stop()
    fs.rmSync(tmp, { recursive: true, force: true })
    throw e
  }
}

function parseMix(s: string): Record<CopyKind, number> {
  const mix: Record<CopyKind, number> = { exact: 0, format: 0, scattered: 0, span: 0 }
  for (const item of s.split(",")) {
    const [k, v] = item.split("=")
    if (!COPY_KINDS.includes(k as CopyKind) || v === undefined || !Number.isFinite(Number(v)))
      throw new Error(`--mix: expected kind=weight with kinds ${COPY_KINDS.join(", ")}, got "${item}"`)
    mix[k as CopyKind] = Number(v)
  }
  return mix
}

async function main(argv: ReadonlyArray<string>): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      docs: { type: "string", default: "100000" },
      seed: { type: "string", default: "1" },
      out: { type: "string" },
      abstracts: { type: "string", default: DEFAULT_ABSTRACTS },
      "docs-per-part": { type: "string", default: "10000" },
      "copy-fraction": { type: "string" },
      mix: { type: "string" },
      help: { type: "boolean", short: "h" }
    }
  })
  if (values.help || values.out === undefined) {
    console.error(
      "usage: node scripts/planted-corpus.ts --docs N --seed S --out DIR [--abstracts DIR] [--docs-per-part 10000]\n" +
        "         [--copy-fraction 0.25] [--mix exact=0.2,format=0.05,scattered=0.375,span=0.375]"
    )
    return values.help ? 0 : 2
  }
  const abstractsDir = path.resolve(values.abstracts)
  if (!fs.existsSync(abstractsDir)) {
    console.error(`planted-corpus: skipped: the abstracts folder ${abstractsDir} is absent (pass --abstracts DIR with *.jsonl files of {"id","text"})`)
    return 0
  }
  const config = plantedConfig({
    docs: Number(values.docs),
    seed: Number(values.seed),
    ...(values["copy-fraction"] !== undefined ? { copyFraction: Number(values["copy-fraction"]) } : {}),
    ...(values.mix !== undefined ? { mix: parseMix(values.mix) } : {})
  })
  const started = performance.now()
  const abstracts = loadAbstracts(abstractsDir)
  const loadSeconds = (performance.now() - started) / 1000
  const out = path.resolve(values.out)
  const r = await writePlantedCorpus({ abstracts, out, config, docsPerPart: Number(values["docs-per-part"]) })
  const bytes = r.summary.bytes as { docs_files: number }
  console.log(
    `planted-corpus: ${config.docs} docs (${String(r.summary.copies)} copies) in ${out}: ${(bytes.docs_files / 1e6).toFixed(1)} MB of docs; ` +
      `load ${loadSeconds.toFixed(1)} s, documents ${r.writeSeconds.toFixed(1)} s and truth ${r.truthSeconds.toFixed(1)} s (in parallel), ` +
      `total ${((performance.now() - started) / 1000).toFixed(1)} s`
  )
  return 0
}

if (!isMainThread && (workerData as { plantedTruthJob?: TruthJob } | null)?.plantedTruthJob) {
  // The truth worker started by truthInWorker.
  const { truth, seconds } = truthPass((workerData as { plantedTruthJob: TruthJob }).plantedTruthJob)
  parentPort?.postMessage({ truth, seconds })
} else if (isMainThread && process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (e: unknown) => {
      console.error(`planted-corpus: ${e instanceof Error ? e.message : String(e)}`)
      process.exitCode = 1
    }
  )
}
