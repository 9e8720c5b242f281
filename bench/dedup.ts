/**
 * The dedup section of `make bench`: `scicurate dedup` (exact pass + MinHash LSH) through the CLI on a
 * planted-duplicate corpus the project generates from the shared abstracts (scripts/planted-corpus.ts),
 * with 1 and 2 workers: docs/s, MB/s and peak memory per phase and end to end, pair precision and
 * recall against the planted truth, and whether both runs removed exactly the same documents.
 *
 * Baselines in the same invocation: the 1-worker run (for the 2-worker speedup) and, for the signature
 * hot path, the `minhash` npm package signing the same documents in this process. datatrove's figure
 * (1,444 docs/s end to end with 2 workers on a 100,000-document, 434 MB corpus on this machine type)
 * is the issue's measurement, quoted, not re-run: datatrove is not installable here.
 *
 * Scale: the same with BENCH_DEDUP_LARGE documents (default 1,000,000; 0 skips it), 2 workers, to
 * show the cost per document does not grow with the corpus.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { createRequire } from "node:module"
import { evaluateClusters, PLANTED_GENERATOR_VERSION, plantedConfig, type TruthRecord } from "../src/dedup/planted.ts"
import { plantedRemovals } from "../src/dedup/score.ts"
import { loadAbstracts, writePlantedCorpus } from "../scripts/planted-corpus.ts"
import { DEFAULT_NORMALIZATION, normalizeForShingles } from "../src/dedup/minhash/normalize.ts"
import { MinHasher } from "../src/dedup/minhash/signature.ts"
import { ShingleBuffer, shingleHashesOfText } from "../src/dedup/minhash/shingles.ts"

const DATATROVE_DOCS_PER_S = 1444
const PHASES = [
  ["exact", "_exact"],
  ["signatures", "_minhash/signatures"],
  ["buckets", "_minhash/pairs"],
  ["clusters", "_minhash/clusters"],
  ["filter", "."]
] as const

interface Run {
  readonly workers: number
  readonly wall: number
  readonly phases: ReadonlyArray<{ name: string; wall: number; peakRss: number }>
  readonly coordinatorRss: number
  readonly kept: number
  readonly removed: number
}

const pad = (v: unknown, n: number) => String(v).padStart(n)
const mb = (b: number) => (b / 1e6).toFixed(1)
const readJson = (f: string) => JSON.parse(fs.readFileSync(f, "utf8"))

function cli(repoRoot: string, args: string[]): { wall: number } {
  const started = performance.now()
  const r = spawnSync(process.execPath, [path.join(repoRoot, "bin/scicurate.mjs"), ...args], { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
  if (r.status !== 0) throw new Error(`scicurate ${args[0]} failed (status ${r.status}):\n${r.stderr}`)
  return { wall: (performance.now() - started) / 1000 }
}

function dedup(repoRoot: string, input: string, out: string, workers: number, tasks: number): Run {
  fs.rmSync(out, { recursive: true, force: true })
  const { wall } = cli(repoRoot, ["dedup", input, "--out", out, "--workers", String(workers), "--tasks", String(tasks)])
  const phases = PHASES.map(([name, dir]) => {
    const d = path.join(out, dir)
    const stats = fs.readdirSync(path.join(d, "_stats")).map((f) => readJson(path.join(d, "_stats", f)))
    return { name, wall: readJson(path.join(d, "_timing.json")).wall_seconds as number, peakRss: Math.max(...stats.map((s) => s.peak_rss_bytes as number)) }
  })
  // The stage's own _timing.json covers its phases too: the filter is what remains.
  const filter = phases[phases.length - 1]!
  filter.wall -= phases.slice(0, -1).reduce((t, p) => t + p.wall, 0)
  const stats = fs.readdirSync(path.join(out, "_stats")).map((f) => readJson(path.join(out, "_stats", f)))
  return {
    workers,
    wall,
    phases,
    coordinatorRss: readJson(path.join(out, "_timing.json")).coordinator_peak_rss_bytes,
    kept: stats.reduce((n, s) => n + s.documents_out, 0),
    removed: stats.reduce((n, s) => n + s.duplicates, 0)
  }
}

/** Signatures of the same texts in this process: ours, and the `minhash` npm package's (the reference). */
function signatureBaseline(texts: ReadonlyArray<string>): { ours: number; reference: number } {
  const hasher = new MinHasher()
  const sig = new Uint32Array(hasher.length)
  const buffer = new ShingleBuffer()
  let started = performance.now()
  for (const t of texts) hasher.signature(shingleHashesOfText(t, 5, DEFAULT_NORMALIZATION, buffer), sig, 0)
  const ours = texts.length / ((performance.now() - started) / 1000)
  const { Minhash } = createRequire(import.meta.url)("minhash") as { Minhash: new (o: { numPerm: number }) => { update(s: string): void } }
  const sample = texts.slice(0, 200)
  started = performance.now()
  for (const t of sample) {
    const m = new Minhash({ numPerm: 112 })
    const words = normalizeForShingles(t).split(" ")
    for (let i = 0; i + 5 <= words.length; i++) m.update(words.slice(i, i + 5).join(" "))
  }
  return { ours, reference: sample.length / ((performance.now() - started) / 1000) }
}

async function corpus(corpusDir: string, docs: number, say: (s?: string) => void): Promise<string> {
  // Outside .bench (which each bench run clears): the corpus depends only on the abstracts, size and
  // generator version, so later runs reuse it.
  const dir = path.join(os.tmpdir(), "scicurate-planted-cache", `planted-${docs}`)
  const summary = path.join(dir, "summary.json")
  if (fs.existsSync(summary) && readJson(summary).generator === PLANTED_GENERATOR_VERSION && readJson(summary).docs === docs) return dir
  const started = performance.now()
  await writePlantedCorpus({ abstracts: loadAbstracts(path.join(corpusDir, "text")), out: dir, config: plantedConfig({ docs, seed: 1 }), docsPerPart: 10_000 })
  say(`(generated the planted corpus of ${docs} documents in ${((performance.now() - started) / 1000).toFixed(1)} s: ${dir})`)
  return dir
}

function textBytes(dir: string): number {
  return fs.readdirSync(path.join(dir, "docs")).reduce((n, f) => n + fs.statSync(path.join(dir, "docs", f)).size, 0)
}

function printRuns(runs: ReadonlyArray<Run>, docs: number, bytes: number, say: (s?: string) => void): void {
  say(`${"phase".padEnd(11)} ${pad("workers", 7)} ${pad("wall s", 7)} ${pad("docs/s", 8)} ${pad("MB/s", 7)} ${pad("peak worker RSS MB", 18)}`)
  for (const [i, [name]] of PHASES.entries()) {
    for (const r of runs) {
      const p = r.phases[i]!
      say(`${name.padEnd(11)} ${pad(r.workers, 7)} ${pad(p.wall.toFixed(2), 7)} ${pad((docs / p.wall).toFixed(0), 8)} ${pad((bytes / 1e6 / p.wall).toFixed(1), 7)} ${pad(mb(p.peakRss), 18)}`)
    }
  }
  for (const r of runs) {
    const peak = Math.max(...r.phases.map((p) => p.peakRss))
    say(
      `${"end to end".padEnd(11)} ${pad(r.workers, 7)} ${pad(r.wall.toFixed(2), 7)} ${pad((docs / r.wall).toFixed(0), 8)} ${pad((bytes / 1e6 / r.wall).toFixed(1), 7)} ${pad(mb(peak), 18)}  (CLI process included; coordinator ${mb(r.coordinatorRss)} MB; ${(docs / r.wall / DATATROVE_DOCS_PER_S).toFixed(2)}x datatrove's ${DATATROVE_DOCS_PER_S} docs/s)`
    )
  }
}

export async function benchDedup(opts: { repoRoot: string; corpus: string; benchDir: string; say: (s?: string) => void }): Promise<Record<string, unknown>> {
  const { repoRoot, corpus: corpusDir, benchDir, say } = opts
  say()
  if (!fs.existsSync(path.join(corpusDir, "text"))) {
    say(`## dedup: ${path.join(corpusDir, "text")} is absent; skipped`)
    return {}
  }
  const docs = Number(process.env.BENCH_DEDUP_DOCS ?? 100_000)
  const dir = await corpus(corpusDir, docs, say)
  const bytes = textBytes(dir)
  const ingested = path.join(benchDir, `planted-${docs}-ingested`)
  fs.rmSync(ingested, { recursive: true, force: true })
  const ingest = cli(repoRoot, ["ingest", path.join(dir, "docs"), "--out", ingested, "--workers", "2", "--tasks", "4"])
  const one = dedup(repoRoot, ingested, path.join(benchDir, `dedup-${docs}-w1`), 1, 4)
  const two = dedup(repoRoot, ingested, path.join(benchDir, `dedup-${docs}-w2`), 2, 4)
  const truth = fs.readFileSync(path.join(dir, "truth.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as TruthRecord)
  const removals = await plantedRemovals(path.join(benchDir, `dedup-${docs}-w2`), ingested)
  const same = JSON.stringify(await plantedRemovals(path.join(benchDir, `dedup-${docs}-w1`), ingested)) === JSON.stringify(removals)
  const score = evaluateClusters(truth, removals)
  const texts = fs.readFileSync(path.join(dir, "docs", "part-00000.jsonl"), "utf8").trim().split("\n").slice(0, 5000).map((l) => (JSON.parse(l) as { text: string }).text)
  const base = signatureBaseline(texts)

  say(`## dedup (exact + MinHash LSH 14x8, 5-grams): planted corpus of ${docs} documents, ${mb(bytes)} MB (ingested first in ${ingest.wall.toFixed(1)} s, not counted)`)
  printRuns([one, two], docs, bytes, say)
  say(`speedup of --workers 2 over --workers 1: ${(one.wall / two.wall).toFixed(2)}x end to end; same removals with 1 and 2 workers: ${same ? "yes" : "NO"}`)
  say(`signatures in-process, 1 core: ${base.ours.toFixed(0)} docs/s; the minhash npm package on the same documents ${base.reference.toFixed(1)} docs/s -> ${(base.ours / base.reference).toFixed(0)}x`)
  const cell = (c: { copies: number; found: number; recall: number | null }) => `${c.found}/${c.copies} = ${c.recall === null ? "-" : c.recall.toFixed(4)}`
  say(
    `accuracy: ${two.removed} removed, pair precision ${score.pairPrecision?.toFixed(4)}; recall at true Jaccard >= 0.8: ${cell(score.recall)}; ` +
      `by band >=0.9 ${cell(score.recallByBand["ge_0.9"])}, 0.8-0.9 ${cell(score.recallByBand["0.8_0.9"])}, 0.5-0.8 ${cell(score.recallByBand["0.5_0.8"])}, <0.5 ${cell(score.recallByBand["lt_0.5"])}`
  )
  say(`by kind: ${Object.entries(score.recallByKind).map(([k, c]) => `${k} ${cell(c)}`).join(", ")}; wrongly removed originals ${score.wronglyRemoved.originals}, copies ${score.wronglyRemoved.copies}`)
  const result: Record<string, unknown> = { docs, bytes, one, two, sameRemovals: same, score, signatureBaseline: base }

  const large = Number(process.env.BENCH_DEDUP_LARGE ?? 1_000_000)
  if (large > docs) {
    const bigDir = await corpus(corpusDir, large, say)
    const bigBytes = textBytes(bigDir)
    const bigIngested = path.join(benchDir, `planted-${large}-ingested`)
    fs.rmSync(bigIngested, { recursive: true, force: true })
    const bigIngest = cli(repoRoot, ["ingest", path.join(bigDir, "docs"), "--out", bigIngested, "--workers", "2", "--tasks", "8"])
    const big = dedup(repoRoot, bigIngested, path.join(benchDir, `dedup-${large}-w2`), 2, 8)
    say()
    say(`## dedup at ${large / docs}x: ${large} documents, ${mb(bigBytes)} MB (ingested in ${bigIngest.wall.toFixed(1)} s, not counted), 2 workers`)
    printRuns([big], large, bigBytes, say)
    const perDoc = (r: Run, n: number) => (r.wall * 1e6) / n
    say(`cost per document: ${perDoc(two, docs).toFixed(1)} µs at ${docs}, ${perDoc(big, large).toFixed(1)} µs at ${large} -> ${(perDoc(big, large) / perDoc(two, docs)).toFixed(2)}x`)
    fs.rmSync(bigIngested, { recursive: true, force: true })
    fs.rmSync(path.join(benchDir, `dedup-${large}-w2`), { recursive: true, force: true })
    result.large = { docs: large, bytes: bigBytes, run: big }
  }
  return { dedup: result }
}
