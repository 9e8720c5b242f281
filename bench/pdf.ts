/**
 * The PDF section of `make bench`: pages/s and peak memory of scicurate's PDF ingest against poppler's
 * `pdftotext -layout` on the same PDFs (the shared corpus's `papers/`) in the same invocation, and the
 * ratio; then peak memory of a short PDF, of the text-layer PDFs joined once, and of them joined into
 * one PDF of >= 1,000 pages (built under .bench/ with qpdf, else pdfunite), to show whether memory grows
 * with the page count.
 *
 * What is counted: "pages" are the pages of the PDFs that became documents (a scanned PDF without a
 * text layer is read by both tools but its pages are not counted); both tools process all the PDFs, so
 * the pages/s ratio is the inverse ratio of their wall times on the same input.
 *
 * Memory: scicurate's CLI runs report each task's peak RSS in its `_stats`; the in-process figures are
 * the child process's own `process.resourceUsage().maxRSS`; pdftotext's peak RSS per process comes from
 * GNU `/usr/bin/time -f %M` (in a pass of its own, so the timed runs carry no wrapper), else from
 * polling VmHWM in /proc/<pid>/status (approximate: a peak in the last milliseconds can be missed).
 *
 * Also a child-process entry point: `node bench/pdf.ts --extract <warm-up pdf> <pdf>...` extracts the files
 * sequentially with `extractFile` after a warm-up and prints one JSON line with its timings and RSS.
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

export interface PdfBenchOptions {
  readonly repoRoot: string
  readonly corpus: string
  readonly benchDir: string
  readonly say: (s?: string) => void
}

/** What the `--extract` child prints. */
interface ChildResult {
  readonly seconds: number
  readonly documents: number
  readonly rejected: ReadonlyArray<string>
  /** maxRSS after the module import and the warm-up extraction, before the timed files. */
  readonly baseRssBytes: number
  readonly peakRssBytes: number
  /** User + system CPU seconds of the timed part (more than `seconds` when V8's background threads help). */
  readonly cpuSeconds: number
}

const self = fileURLToPath(import.meta.url)
const mb = (b: number) => (b / 1e6).toFixed(1)
const pad = (s: string | number, n: number) => String(s).padStart(n)
const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0
const maxRss = () => process.resourceUsage().maxRSS * 1024

// ---------------------------------------------------------------------------------------------------
// Child: in-process extraction

async function childExtract(warmup: string, files: ReadonlyArray<string>): Promise<void> {
  const { extractFile } = await import("../src/ingest/extract.ts")
  // The ingest stage's defaults (no `pdf` block: the extractor's defaults), with room for the long PDF.
  const options = { minChars: 1, maxFileBytes: 1024 * 1024 * 1024, maxRecordBytes: 64 * 1024 * 1024 }
  const input = (absPath: string) => ({ absPath, sourcePath: path.basename(absPath), size: fs.statSync(absPath).size, license: null, domain: null })
  // The warm-up loads pdfjs (lazily imported on the first PDF) so the timed files do not pay for it.
  for await (const _ of extractFile(input(warmup), options)) void _
  const baseRssBytes = maxRss()
  let documents = 0
  const rejected: string[] = []
  const cpu = process.cpuUsage()
  const started = performance.now()
  for (const f of files) {
    for await (const item of extractFile(input(f), options)) {
      if (item._tag === "Document") documents++
      else rejected.push(`${path.basename(f)}: ${item.reason}`)
    }
  }
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  const result: ChildResult = { seconds, documents, rejected, baseRssBytes, peakRssBytes: maxRss(), cpuSeconds: (used.user + used.system) / 1e6 }
  console.log(JSON.stringify(result))
}

function runChild(repoRoot: string, warmup: string, files: ReadonlyArray<string>): ChildResult {
  const r = spawnSync(process.execPath, [self, "--extract", warmup, ...files], { cwd: repoRoot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
  if (r.status !== 0) throw new Error(`in-process extraction child failed (status ${r.status}):\n${r.stderr}`)
  const last = r.stdout.trim().split("\n").at(-1) ?? ""
  return JSON.parse(last) as ChildResult
}

// ---------------------------------------------------------------------------------------------------
// Page counts

function pdfinfoPages(file: string): number {
  const r = spawnSync("pdfinfo", [file], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
  const m = /^Pages:\s+(\d+)/m.exec(r.stdout ?? "")
  if (!m) throw new Error(`pdfinfo gave no page count for ${file}: ${r.stderr}`)
  return Number(m[1])
}

/** Page counts with pdfjs, for machines without pdfinfo (a child: pdfjs is heavy to keep in the parent). */
async function childPages(files: ReadonlyArray<string>): Promise<void> {
  const pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs")
  const out: number[] = []
  for (const f of files) {
    const task = pdfjs.getDocument({ data: new Uint8Array(fs.readFileSync(f)), verbosity: 0 })
    try {
      out.push((await task.promise).numPages)
    } catch {
      out.push(0)
    } finally {
      await task.destroy()
    }
  }
  console.log(JSON.stringify(out))
}

function pageCounts(repoRoot: string, files: ReadonlyArray<string>): number[] {
  if (has("pdfinfo")) return files.map(pdfinfoPages)
  const r = spawnSync(process.execPath, [self, "--pages", ...files], { cwd: repoRoot, encoding: "utf8" })
  if (r.status !== 0) throw new Error(`page-count child failed:\n${r.stderr}`)
  return JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "[]") as number[]
}

// ---------------------------------------------------------------------------------------------------
// pdftotext

/** Wall seconds to convert `files` with `parallel` pdftotext processes at a time (no wrapper). */
async function pdftotextWall(files: ReadonlyArray<string>, outDir: string, parallel: number): Promise<number> {
  fs.mkdirSync(outDir, { recursive: true })
  const queue = [...files]
  const one = (f: string) =>
    new Promise<void>((resolve, reject) => {
      const out = path.join(outDir, `${path.basename(path.dirname(f))}-${path.basename(f)}.txt`)
      const p = spawn("pdftotext", ["-layout", f, out], { stdio: "ignore" })
      p.on("error", reject)
      // pdftotext exits 1-3 on damaged input; it is the same work whatever the code, so no failure here.
      p.on("close", () => resolve())
    })
  const started = performance.now()
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let f = queue.shift(); f !== undefined; f = queue.shift()) await one(f)
    })
  )
  return (performance.now() - started) / 1000
}

/** GNU time prints its version on stdout (older releases on stderr); BusyBox's has no --version. */
const gnuTime = (() => {
  if (!fs.existsSync("/usr/bin/time")) return false
  const r = spawnSync("/usr/bin/time", ["--version"], { encoding: "utf8" })
  return /GNU/.test(`${r.stdout ?? ""}${r.stderr ?? ""}`)
})()

/** Peak RSS of one pdftotext process, in bytes. */
async function pdftotextPeak(file: string, outFile: string): Promise<number> {
  if (gnuTime) {
    const tmp = `${outFile}.time`
    spawnSync("/usr/bin/time", ["-f", "%M", "-o", tmp, "pdftotext", "-layout", file, outFile], { stdio: "ignore" })
    const kib = Number(fs.readFileSync(tmp, "utf8").trim().split("\n").at(-1))
    fs.rmSync(tmp)
    return kib * 1024
  }
  // No GNU time: poll the high-water mark while the process lives.
  const p = spawn("pdftotext", ["-layout", file, outFile], { stdio: "ignore" })
  let peak = 0
  const poll = () => {
    try {
      const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${p.pid}/status`, "utf8"))
      if (m) peak = Math.max(peak, Number(m[1]) * 1024)
    } catch {
      // Gone already.
    }
  }
  const timer = setInterval(poll, 2)
  poll()
  await new Promise<void>((resolve) => p.on("close", () => resolve()))
  clearInterval(timer)
  return peak
}

// ---------------------------------------------------------------------------------------------------
// scicurate CLI

export interface CliRun {
  readonly workers: number
  readonly wall: number
  readonly stageWall: number
  readonly documents: number
  readonly peakTaskRss: number
  readonly coordinatorRss: number
  readonly taskSeconds: ReadonlyArray<number>
  /** Basenames of the inputs in `_rejects` or `_filtered`. */
  readonly left: ReadonlySet<string>
}

export function runCli(repoRoot: string, papers: string | ReadonlyArray<string>, out: string, workers: number, tasks: number): CliRun {
  // A fresh folder: `_done` markers left by an earlier run would make the tasks count as done.
  fs.rmSync(out, { recursive: true, force: true })
  const started = performance.now()
  const r = spawnSync(
    process.execPath,
    [path.join(repoRoot, "bin/scicurate.mjs"), "ingest", ...[papers].flat(), "--out", out, "--workers", String(workers), "--tasks", String(tasks)],
    { cwd: repoRoot, encoding: "utf8", env: { ...process.env, SOURCE_DATE_EPOCH: "1700000000" } }
  )
  const wall = (performance.now() - started) / 1000
  if (r.status !== 0) throw new Error(`scicurate ingest failed (status ${r.status}):\n${r.stderr}\n${r.stdout}`)
  const timing = JSON.parse(fs.readFileSync(path.join(out, "_timing.json"), "utf8"))
  const stats = fs.readdirSync(path.join(out, "_stats")).map((f) => JSON.parse(fs.readFileSync(path.join(out, "_stats", f), "utf8")))
  const left = new Set<string>()
  for (const ledger of ["_rejects", "_filtered"]) {
    const dir = path.join(out, ledger)
    if (!fs.existsSync(dir)) continue
    for (const f of fs.readdirSync(dir)) {
      for (const line of fs.readFileSync(path.join(dir, f), "utf8").split("\n")) {
        if (line.trim()) left.add(path.basename((JSON.parse(line) as { source_path: string }).source_path))
      }
    }
  }
  return {
    workers,
    wall,
    stageWall: timing.wall_seconds,
    documents: stats.reduce((a, s) => a + s.documents_out, 0),
    peakTaskRss: Math.max(...stats.map((s) => s.peak_rss_bytes)),
    taskSeconds: [...stats].sort((a, b) => a.rank - b.rank).map((s) => s.seconds as number),
    coordinatorRss: timing.coordinator_peak_rss_bytes,
    left
  }
}

// ---------------------------------------------------------------------------------------------------
// The section

/** Timed runs are repeated and the fastest kept (the machine is shared: a slow run is noise, not the tool). */
const REPEATS = 2
/** How many copies of the papers the CLI and pdftotext rows read. */
const COPIES = 8

async function fastest<T>(run: () => T | Promise<T>, wall: (t: T) => number): Promise<T> {
  let best: T | undefined
  for (let i = 0; i < REPEATS; i++) {
    const t = await run()
    if (best === undefined || wall(t) < wall(best)) best = t
  }
  return best!
}

export async function benchPdf({ repoRoot, corpus, benchDir, say }: PdfBenchOptions): Promise<Record<string, unknown>> {
  const papers = path.join(corpus, "papers")
  say()
  if (!fs.existsSync(papers)) {
    say(`## pdf: ${papers} is absent; PDF section skipped`)
    return { skipped: "no papers" }
  }
  const dir = path.join(benchDir, "pdf")
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const files = fs.readdirSync(papers).filter((f) => f.toLowerCase().endsWith(".pdf")).sort().map((f) => path.join(papers, f))
  const sizes = files.map((f) => fs.statSync(f).size)
  const load = os.loadavg()[0]!
  const pages = pageCounts(repoRoot, files)
  for (const f of files) fs.readFileSync(f) // warm the page cache so the first timed run does not pay for the disk

  // The CLI and pdftotext read the papers COPIES times over (distinct files): with 170 pages the ~1.5 s
  // it takes to start a run would weigh as much as the extraction itself.
  const copiesDir = path.join(dir, `papers-x${COPIES}`)
  const copies: string[] = []
  for (let c = 0; c < COPIES; c++) {
    fs.mkdirSync(path.join(copiesDir, `copy${c}`), { recursive: true })
    for (const f of files) {
      const to = path.join(copiesDir, `copy${c}`, path.basename(f))
      fs.copyFileSync(f, to)
      copies.push(to)
    }
  }
  // scicurate: the CLI with the same task split for 1 and 2 workers, then extractFile in one process.
  const tasks = 4
  const w1 = await fastest(() => runCli(repoRoot, copiesDir, path.join(dir, "ingest-w1"), 1, tasks), (r) => r.wall)
  const w2 = await fastest(() => runCli(repoRoot, copiesDir, path.join(dir, "ingest-w2"), 2, tasks), (r) => r.wall)
  const smallest = files[sizes.indexOf(Math.min(...sizes))]!
  const inproc = await fastest(() => runChild(repoRoot, smallest, files), (r) => r.seconds)
  const oneDir = path.join(dir, "one-pdf")
  fs.mkdirSync(oneDir, { recursive: true })
  fs.copyFileSync(smallest, path.join(oneDir, path.basename(smallest)))
  const fixed = await fastest(() => runCli(repoRoot, oneDir, path.join(dir, "ingest-one"), 1, 1), (r) => r.wall)

  const asDoc = files.map((f) => !w1.left.has(path.basename(f)))
  const docPages = pages.reduce((a, p, i) => a + (asDoc[i] ? p : 0), 0)
  const allPages = pages.reduce((a, p) => a + p, 0)
  const nDocs = asDoc.filter(Boolean).length
  const pps = (wall: number, copies = COPIES) => (docPages * copies) / wall

  say(
    `## pdf: ${files.length} PDFs in ${path.relative(repoRoot, papers) || papers}, ${mb(sizes.reduce((a, b) => a + b, 0))} MB, ${allPages} pages; ` +
      `${nDocs} became documents (${docPages} pages: the pages counted in pages/s), ${files.length - nDocs} did not (${[...w1.left].join(", ") || "-"}); ` +
      `fastest of ${REPEATS} runs each; load average ${load.toFixed(2)} before`
  )
  say(`the CLI and pdftotext rows read ${COPIES} copies of every PDF (${docPages * COPIES} pages); the in-process row reads each once`)
  if (w2.documents !== w1.documents || inproc.documents * COPIES !== w1.documents) {
    say(`  note: documents differ between runs: CLI w1 ${w1.documents}, CLI w2 ${w2.documents}, in-process ${inproc.documents}`)
  }
  const head = `${"run".padEnd(44)} ${pad("cores", 5)} ${pad("wall s", 7)} ${pad("pages/s", 8)} ${pad("peak RSS MB", 11)}  RSS measured as`
  say(head)
  const row = (name: string, cores: number, wall: number, rss: string, how: string, copies = COPIES) =>
    say(`${name.padEnd(44)} ${pad(cores, 5)} ${pad(wall.toFixed(2), 7)} ${pad(pps(wall, copies).toFixed(1), 8)} ${pad(rss, 11)}  ${how}`)
  for (const r of [w1, w2]) {
    row(`scicurate ingest --workers ${r.workers} --tasks ${tasks}`, r.workers, r.wall, mb(r.peakTaskRss), `max task peak (_stats); coordinator ${mb(r.coordinatorRss)}, stage wall ${r.stageWall.toFixed(2)} s`)
  }
  const taskSeconds = (r: CliRun) => r.taskSeconds.map((t) => t.toFixed(2)).join(" + ")
  row("scicurate extractFile in one process", 1, inproc.seconds, mb(inproc.peakRssBytes), `child maxRSS (${mb(inproc.baseRssBytes)} after warm-up)`, 1)

  const notes: string[] = []
  notes.push(`task seconds (_stats): --workers 1 ${taskSeconds(w1)}; --workers 2 ${taskSeconds(w2)} (in parallel); in-process CPU ${inproc.cpuSeconds.toFixed(2)} s in ${inproc.seconds.toFixed(2)} s wall`)
  notes.push(`fixed cost of the CLI: ingest of one ${pages[files.indexOf(smallest)]}-page PDF, --workers 1 --tasks 1: ${fixed.wall.toFixed(2)} s wall (stage ${fixed.stageWall.toFixed(2)} s)`)
  const result: Record<string, unknown> = { files: files.length, pages: allPages, docPages, documents: nDocs, fixedCost: { ...fixed, left: [...fixed.left] }, cli: Object.fromEntries([w1, w2].map((r) => [`workers${r.workers}`, { ...r, left: [...r.left] }])), inProcess: inproc }
  if (!has("pdftotext")) {
    for (const n of notes) say(n)
    say("pdftotext: not installed (Debian poppler-utils; `make system-deps`), its rows and the ratios are skipped")
  } else {
    await pdftotextWall([smallest], path.join(dir, "pdftotext-warmup"), 1) // loads the binary and its libraries
    const t1 = await fastest(() => pdftotextWall(copies, path.join(dir, "pdftotext-1"), 1), (t) => t)
    const t2 = await fastest(() => pdftotextWall(copies, path.join(dir, "pdftotext-2"), 2), (t) => t)
    const peaks: number[] = []
    for (const f of files) peaks.push(await pdftotextPeak(f, path.join(dir, "pdftotext-1", `${path.basename(f)}.mem.txt`)))
    const how = gnuTime ? "max per process, GNU time %M (separate pass)" : "max per process, polled VmHWM (approximate)"
    const peak = Math.max(...peaks)
    row("pdftotext -layout, 1 process at a time", 1, t1, mb(peak), how)
    row("pdftotext -layout, 2 processes at a time", 2, t2, mb(peak), `${how}; 2 live at once`)
    const ratio = (ours: number, theirs: number) => theirs / ours // pages/s ratio = inverse wall ratio on the same pages
    const r1 = ratio(w1.wall, t1)
    const r2 = ratio(w2.wall, t2)
    const ri = ratio(inproc.seconds * COPIES, t1)
    say(
      `scicurate / pdftotext pages/s: 1 core ${r1.toFixed(2)}x (CLI --workers 1; in-process extractFile ${ri.toFixed(2)}x), 2 cores ${r2.toFixed(2)}x (CLI --workers 2)`
    )
    const met = (r: number) => (r >= 0.3 ? "met" : "NOT met")
    say(`goal >= 0.3x of pdftotext pages/s: 1 core ${met(r1)}, 2 cores ${met(r2)}`)
    for (const n of notes) say(n)
    result["pdftotext"] = { oneWall: t1, twoWall: t2, peakRssBytes: peak, memoryBy: gnuTime ? "gnu-time" : "vmhwm-poll" }
    result["ratios"] = { oneCore: r1, twoCores: r2, inProcessOneCore: ri }
  }

  result["memoryVsSize"] = await memoryVsSize(repoRoot, dir, files, pages, asDoc, smallest, say)
  if (has("pdftotext")) result["quality"] = await qualityTable(files, say)
  return result
}

/**
 * Per paper: word agreement with `pdftotext -layout` (bag-of-words F1 over letter words, net of the
 * running headers the document reports as removed; also without that allowance, and over
 * letter-and-digit tokens), words left split by a line-break hyphen, and what structure was found.
 */
async function qualityTable(files: ReadonlyArray<string>, say: (s?: string) => void): Promise<Record<string, unknown>> {
  const { extractFile } = await import("../src/ingest/extract.ts")
  const { wordAgreement } = await import("../src/ingest/pdf/compare.ts")
  say()
  say("## pdf text quality against pdftotext -layout (F1 = bag-of-words F1; goal >= 0.97 on every text-layer PDF)")
  say(`${"paper".padEnd(36)} ${pad("pages", 5)} ${pad("F1", 6)} ${pad("F1 raw", 6)} ${pad("F1 alnum", 8)} ${pad("splits", 6)} ${pad("quality", 7)} ${pad("sections", 8)}  title`)
  const rows: Record<string, unknown> = {}
  let worst = 1
  for (const file of files) {
    const name = path.basename(file)
    let doc: { text: string; title: string | null; metadata: string } | undefined
    let reason = ""
    for await (const item of extractFile({ absPath: file, sourcePath: name, size: fs.statSync(file).size, license: null, domain: null }, { minChars: 1, maxFileBytes: 1 << 30, maxRecordBytes: 1 << 26 })) {
      if (item._tag === "Document") doc = item.doc
      else reason = item.reason
    }
    if (doc === undefined) {
      say(`${name.padEnd(36)} ${reason}`)
      rows[name] = { rejected: reason }
      continue
    }
    const meta = JSON.parse(doc.metadata) as { pages: number; references?: string | null; sections: string[]; quality: { score: number }; removed: { running_texts: Array<{ text: string; times: number }> } }
    const reference = spawnSync("pdftotext", ["-layout", file, "-"], { maxBuffer: 1 << 28 }).stdout.toString()
    const ours = `${doc.text}\n${meta.references ?? ""}`
    const f1 = wordAgreement(ours, reference, meta.removed.running_texts).f1
    const raw = wordAgreement(ours, reference).f1
    const alnum = wordAgreement(ours, reference, meta.removed.running_texts, "alnum").f1
    const flat = reference.replace(/\s+/g, " ")
    const splits = [...doc.text.matchAll(/(\p{L}+)[-\u00AD] (\p{Ll}+)/gu)].filter((m) => !/^(and|or|to|as|vs|nor)$/.test(m[2]!) && !flat.includes(m[0])).length
    worst = Math.min(worst, f1)
    say(`${name.padEnd(36)} ${pad(meta.pages, 5)} ${pad(f1.toFixed(3), 6)} ${pad(raw.toFixed(3), 6)} ${pad(alnum.toFixed(3), 8)} ${pad(splits, 6)} ${pad(meta.quality.score.toFixed(2), 7)} ${pad(meta.sections.length, 8)}  ${(doc.title ?? "-").slice(0, 60)}`)
    rows[name] = { pages: meta.pages, f1, raw, alnum, splits, quality: meta.quality.score, sections: meta.sections.length, title: doc.title }
  }
  say(`lowest F1 ${worst.toFixed(3)}: goal >= 0.97 ${worst >= 0.97 ? "met" : "NOT met"}; splits = words left split by a line-break hyphen (goal 0)`)
  return rows
}

/**
 * Peak RSS of extracting PDFs of growing length, each in its own process: one short paper, the text-layer
 * PDFs joined once, and joined often enough to pass 1,000 pages. The two joined PDFs hold the same mix
 * of content, so the difference between them is what extra pages cost.
 */
async function memoryVsSize(
  repoRoot: string,
  dir: string,
  files: ReadonlyArray<string>,
  pages: ReadonlyArray<number>,
  asDoc: ReadonlyArray<boolean>,
  warmup: string,
  say: (s?: string) => void
): Promise<unknown> {
  const textPdfs = files.filter((_, i) => asDoc[i])
  const textPages = pages.filter((_, i) => asDoc[i])
  const perRound = textPages.reduce((a, b) => a + b, 0)
  say()
  const skip = (why: string) => {
    say(`## pdf memory vs size: ${why}; skipped`)
    return { skipped: why }
  }
  if (perRound === 0) return skip("no PDF became a document")
  const tool = has("qpdf") ? "qpdf" : has("pdfunite") ? "pdfunite" : null
  if (tool === null) return skip("neither qpdf nor pdfunite is installed (Debian qpdf / poppler-utils)")
  const join = (rounds: number, out: string): string | null => {
    // Copy k is read through its own symlink: given the same file name twice, qpdf shares the objects of the
    // copies (6 copies of 13 MB make a 13 MB file), which no real long PDF does.
    const parts = Array.from({ length: rounds }, (_, k) => {
      const copyDir = path.join(dir, "copies", `r${k}`)
      fs.mkdirSync(copyDir, { recursive: true })
      return textPdfs.map((f) => {
        const link = path.join(copyDir, path.basename(f))
        if (!fs.existsSync(link)) fs.symlinkSync(f, link)
        return link
      })
    }).flat()
    // Both can print a warning per copied object (pdfunite: "Found recursive dicts"): a large buffer, not a killed child.
    const io = { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 } as const
    const r = tool === "qpdf" ? spawnSync("qpdf", ["--empty", "--pages", ...parts, "--", out], io) : spawnSync("pdfunite", [...parts, out], io)
    // qpdf exits 3 for warnings (damaged but recovered input) and still writes the file.
    const ok = r.status === 0 || (tool === "qpdf" && r.status === 3)
    return ok && fs.existsSync(out) ? null : `${tool} failed (${r.status}): ${(r.stderr ?? "").slice(0, 300)}`
  }
  const rounds = Math.ceil(1000 / perRound)
  const joined1 = path.join(dir, "joined-x1.pdf")
  const long = path.join(dir, `joined-x${rounds}.pdf`)
  const failed = join(1, joined1) ?? join(rounds, long)
  if (failed) return skip(failed)
  // The short PDF: the text-layer PDF with the median page count.
  const byPages = textPdfs.map((f, i) => [f, textPages[i]!] as const).sort((a, b) => a[1] - b[1])
  const [short, shortPages] = byPages[Math.floor(byPages.length / 2)]!
  const [pages1, pagesLong] = pageCounts(repoRoot, [joined1, long]) as [number, number]
  say(
    `## pdf memory vs size: ${path.basename(short)} alone, and the ${textPdfs.length} text-layer PDFs joined by ${tool} once and ${rounds} times ` +
      `(distinct copies, .bench/pdf/); each extracted in its own process after the same warm-up`
  )
  say(`${"pdf".padEnd(34)} ${pad("pages", 6)} ${pad("file MB", 8)} ${pad("wall s", 7)} ${pad("pages/s", 8)} ${pad("base RSS MB", 11)} ${pad("peak RSS MB", 11)} ${pad("above base MB", 13)}`)
  const rows: Record<string, unknown>[] = []
  const ours: Array<{ pages: number; grew: number; bytes: number }> = []
  for (const [name, file, n] of [[path.basename(short), short, shortPages], [path.basename(joined1), joined1, pages1], [path.basename(long), long, pagesLong]] as const) {
    const r = runChild(repoRoot, warmup, [file])
    const size = fs.statSync(file).size
    const grew = r.peakRssBytes - r.baseRssBytes
    const note = r.documents === 1 ? "" : `  (not a document: ${r.rejected.join("; ")})`
    say(`${("scicurate " + name).padEnd(34)} ${pad(n, 6)} ${pad(mb(size), 8)} ${pad(r.seconds.toFixed(2), 7)} ${pad((n / r.seconds).toFixed(1), 8)} ${pad(mb(r.baseRssBytes), 11)} ${pad(mb(r.peakRssBytes), 11)} ${pad(mb(grew), 13)}${note}`)
    rows.push({ tool: "scicurate", name, pages: n, bytes: size, ...r })
    ours.push({ pages: n, grew, bytes: size })
    if (has("pdftotext")) {
      const started = performance.now()
      const peak = await pdftotextPeak(file, path.join(dir, `${path.basename(file)}.txt`))
      const sec = (performance.now() - started) / 1000
      say(`${("pdftotext " + name).padEnd(34)} ${pad(n, 6)} ${pad(mb(size), 8)} ${pad(sec.toFixed(2), 7)} ${pad((n / sec).toFixed(1), 8)} ${pad("-", 11)} ${pad(mb(peak), 11)} ${pad("-", 13)}`)
      rows.push({ tool: "pdftotext", name, pages: n, bytes: size, seconds: sec, peakRssBytes: peak })
    }
  }
  const [, one, many] = ours as [unknown, { pages: number; grew: number; bytes: number }, { pages: number; grew: number; bytes: number }]
  const perPage = (many.grew - one.grew) / (many.pages - one.pages)
  const perFileByte = (many.grew - one.grew) / (many.bytes - one.bytes)
  say(
    `scicurate, joined x1 -> x${rounds}: pages ${(many.pages / one.pages).toFixed(1)}x, memory above base ${(many.grew / Math.max(one.grew, 1)).toFixed(1)}x ` +
      `(${(perPage / 1e3).toFixed(0)} KB per extra page, i.e. ${perFileByte.toFixed(1)} bytes per extra byte of file: pdfjs holds the whole file, ` +
      `and a second copy while it is reopened every 100 pages to drop its caches)`
  )
  return { tool, rounds, rows, bytesPerExtraPage: perPage, bytesPerExtraFileByte: perFileByte }
}

// ---------------------------------------------------------------------------------------------------

if (process.argv[1] && path.resolve(process.argv[1]) === self) {
  const [mode, ...rest] = process.argv.slice(2)
  if (mode === "--extract") await childExtract(rest[0]!, rest.slice(1))
  else if (mode === "--pages") await childPages(rest)
  else {
    console.error("usage: node bench/pdf.ts --extract <warm-up pdf> <pdf>... | --pages <pdf>...  (the bench itself: node bench/run.ts --only=pdf)")
    process.exit(2)
  }
}
