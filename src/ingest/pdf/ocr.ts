/**
 * OCR for PDF pages without a text layer (scans): render the page with pdfjs onto an `@napi-rs/canvas`
 * canvas, encode it as PNG and pipe it through Debian's `tesseract` CLI. One page at a time, and the
 * canvas is released before the next page, so memory stays at one page bitmap (~35 MB for A4 at 300 dpi).
 *
 * The document the page comes from MUST be opened with `wasmUrl` pointing at pdfjs-dist's `wasm/`
 * folder: pdfjs 6 decodes CCITT fax and JBIG2 images (what nearly every scanner writes) and JPEG 2000
 * with WebAssembly, and without it those images are skipped with a warning and the page renders blank,
 * so OCR would silently return nothing.
 *
 * Failures throw an Error whose message says what went wrong; the caller turns it into `ocr-failed`.
 */
import { spawn } from "node:child_process"
import { createRequire } from "node:module"
import type { PDFPageProxy } from "pdfjs-dist/legacy/build/pdf.mjs"
import type { PdfOptions } from "./options.ts"

/**
 * The part of `@napi-rs/canvas` used here. Declared locally rather than imported: the package is an
 * optional dependency of pdfjs-dist, not of ours, and the type-check should not depend on its presence.
 */
interface NapiCanvas {
  width: number
  height: number
  encode(format: "png"): Promise<Buffer>
}
interface NapiCanvasModule {
  createCanvas(width: number, height: number): NapiCanvas
}

/**
 * Upper bound on rendered pixels (RGBA, so 4 bytes each): a poster-sized page at 300 dpi would need
 * gigabytes. Larger pages are rendered at a lower resolution instead; 40 M pixels is A4 at ~530 dpi.
 */
export const MAX_OCR_PIXELS = 40_000_000
/** Skia's (and so @napi-rs/canvas') limit on either side of a canvas. */
const MAX_CANVAS_SIDE = 32_767
/** A page that takes longer than this is given up (tesseract can grind for minutes on noise). */
export const OCR_PAGE_TIMEOUT_MS = 180_000
/** tesseract's stderr is kept up to this size for error messages. */
const MAX_STDERR = 8_192

let canvasModule: NapiCanvasModule | undefined

/**
 * Load `@napi-rs/canvas` as pdfjs itself does (resolved from pdfjs-dist's own folder), so both use the
 * same copy and the same native binary.
 */
function loadCanvas(): NapiCanvasModule {
  if (canvasModule === undefined) {
    const here = createRequire(import.meta.url)
    const fromPdfjs = createRequire(here.resolve("pdfjs-dist/package.json"))
    try {
      canvasModule = fromPdfjs("@napi-rs/canvas") as NapiCanvasModule
    } catch (e) {
      throw new Error(`OCR needs @napi-rs/canvas (an optional dependency of pdfjs-dist) to render pages: ${messageOf(e)}`)
    }
  }
  return canvasModule
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/**
 * tesseract's environment. OMP_THREAD_LIMIT=1: tesseract's OpenMP threads spin and fight each other
 * and the pipeline's own workers; on a busy 2-core machine one thread was ~4x faster in wall time
 * (1.1 s against 4.4 s for one page). Parallelism comes from the pipeline's worker processes instead.
 */
const tesseractEnv = (): NodeJS.ProcessEnv => ({ ...process.env, OMP_THREAD_LIMIT: "1" })

interface RunResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: Buffer
  readonly stderr: string
}

/** Run `tesseract args`, feeding `input` on stdin. Rejects only when the process cannot be started. */
function runTesseract(args: ReadonlyArray<string>, input: Uint8Array | null, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("tesseract", args, { env: tesseractEnv(), stdio: ["pipe", "pipe", "pipe"], timeout: timeoutMs })
    const out: Buffer[] = []
    let err = ""
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => {
      if (err.length < MAX_STDERR) err += chunk.toString("utf8")
    })
    child.on("error", reject)
    // tesseract may exit (bad language, unreadable image) before reading all of stdin: EPIPE is then
    // expected and the exit code tells the story, so stdin errors are ignored.
    child.stdin.on("error", () => {})
    child.on("close", (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: err.slice(0, MAX_STDERR) }))
    child.stdin.end(input ?? undefined)
  })
}

let available: Promise<{ version: string } | null> | undefined

/**
 * Whether `tesseract` is on PATH, with its version ("5.3.0"); null when it is missing or broken.
 * Checked once per process.
 */
export function tesseractAvailable(): Promise<{ version: string } | null> {
  available ??= runTesseract(["--version"], null, 30_000).then(
    (r) => {
      if (r.code !== 0) return null
      // Older versions print the banner on stderr, newer on stdout: "tesseract 5.3.0\n leptonica-1.82.0 ...".
      const m = /tesseract\s+v?(\d[\w.-]*)/i.exec(`${r.stdout.toString("utf8")}\n${r.stderr}`)
      return { version: m?.[1] ?? "unknown" }
    },
    () => null
  )
  return available
}

/** tesseract language codes ("eng", "chi_sim", "eng+deu"); anything else is refused before spawning. */
const LANGUAGES = /^[A-Za-z0-9_]+(?:\+[A-Za-z0-9_]+)*$/

/**
 * The render scale for `dpi` (PDF units are 1/72 inch), lowered when the page would exceed
 * MAX_OCR_PIXELS or the canvas side limit.
 */
export function ocrScale(pageWidthPt: number, pageHeightPt: number, dpi: number): number {
  let scale = dpi / 72
  const pixels = pageWidthPt * scale * pageHeightPt * scale
  if (pixels > MAX_OCR_PIXELS) scale *= Math.sqrt(MAX_OCR_PIXELS / pixels)
  const side = Math.max(pageWidthPt, pageHeightPt) * scale
  if (side > MAX_CANVAS_SIDE) scale *= MAX_CANVAS_SIDE / side
  return scale
}

/**
 * The tesseract command line for one page image on stdin, text on stdout.
 * - `--psm 1`: automatic page segmentation with orientation detection, so multi-column pages come out
 *   column by column and pages scanned sideways or upside down are turned before recognition.
 * - `--dpi`: the PNG carries no resolution, and tesseract's own guess drives its size thresholds.
 * - `thresholding_method=1` (a tesseract 5 parameter; Debian 12 ships 5.3): adaptive, tile-wise
 *   Otsu instead of one global threshold. Scans have uneven lighting (a dark shadow along the spine);
 *   with the global threshold tesseract took the shadowed half of cermine_simple_scanned.pdf for a
 *   picture and returned 227 words, adaptive gave 357 of the ~450 on the page.
 */
export const tesseractArgs = (languages: string, dpi: number): string[] =>
  ["stdin", "stdout", "-l", languages, "--psm", "1", "--dpi", String(Math.round(dpi)), "-c", "thresholding_method=1"]

/**
 * OCR one page: render it at `options.ocrDpi` (white background, the page's crop box and /Rotate),
 * recognise it with tesseract (see tesseractArgs) and return the cleaned text (see cleanOcrText).
 * A blank page gives "". Throws an Error on any failure: tesseract missing, render error, unknown
 * language, non-zero exit, timeout.
 */
export async function ocrPage(page: PDFPageProxy, options: PdfOptions): Promise<string> {
  const { ocrDpi: dpi, ocrLanguages: languages } = options
  if (!(Number.isFinite(dpi) && dpi > 0)) throw new Error(`OCR resolution must be a positive number of dpi, got ${dpi}`)
  if (!LANGUAGES.test(languages)) throw new Error(`OCR languages must be tesseract codes joined by '+', e.g. "eng+deu"; got ${JSON.stringify(languages)}`)
  const tesseract = await tesseractAvailable()
  if (tesseract === null) throw new Error("OCR needs the tesseract command (Debian package tesseract-ocr), which was not found on PATH")

  const unscaled = page.getViewport({ scale: 1 })
  const scale = ocrScale(unscaled.width, unscaled.height, dpi)
  const viewport = page.getViewport({ scale })
  const width = Math.max(1, Math.ceil(viewport.width))
  const height = Math.max(1, Math.ceil(viewport.height))

  let png: Buffer
  const canvas = loadCanvas().createCanvas(width, height)
  try {
    // pdfjs takes the canvas (not a context): it asks for an opaque context itself and paints the page
    // white first, which is what tesseract wants. `canvas` is typed as a DOM canvas in pdfjs' types.
    await page.render({ canvas: canvas as unknown as Parameters<PDFPageProxy["render"]>[0]["canvas"], viewport }).promise
    png = await canvas.encode("png")
  } catch (e) {
    throw new Error(`could not render page ${page.pageNumber} for OCR: ${messageOf(e)}`)
  } finally {
    // Release the native pixel buffer now instead of whenever the GC gets to it: a long scanned book
    // would otherwise hold several page bitmaps at once.
    canvas.width = 0
    canvas.height = 0
  }

  let result: RunResult
  const started = performance.now()
  try {
    result = await runTesseract(tesseractArgs(languages, scale * 72), png, OCR_PAGE_TIMEOUT_MS)
  } catch (e) {
    throw new Error(`could not run tesseract: ${messageOf(e)}`)
  }
  if (result.signal !== null) {
    const timedOut = performance.now() - started >= OCR_PAGE_TIMEOUT_MS
    const why = timedOut ? `timed out after ${OCR_PAGE_TIMEOUT_MS / 1000} s` : `was killed by ${result.signal}`
    throw new Error(`tesseract ${why} on page ${page.pageNumber}`)
  }
  if (result.code !== 0) {
    const stderr = result.stderr.trim().split("\n").slice(-5).join(" | ")
    throw new Error(`tesseract ${tesseract.version} exited with code ${result.code} on page ${page.pageNumber}: ${stderr || "no message"}`)
  }
  return cleanOcrText(result.stdout.toString("utf8"))
}

const ENDS_WITH_WORD_HYPHEN = /\p{Ll}[-\u2010\u00AD]$/u
const STARTS_LOWERCASE = /^\p{Ll}/u
/** List items keep their own line: "1. In the ...", "(a) ...", "• ...". */
const LIST_ITEM = /^(?:\(?\d{1,3}[.)]|\(?[a-z][.)]|[•·▪◦])\s/u

/**
 * Turn tesseract's plain-text output into paragraphs. tesseract writes one line per printed line and
 * a blank line between blocks, and ends each page with a form feed. Within a block the printed line
 * breaks carry no meaning, so lines are joined with a space; a word hyphenated at a line end
 * ("spe-" + "cialization") is rejoined when a lowercase letter precedes the hyphen and the next line
 * starts lowercase (the same rule as the text-layer path, keeping "a-Si:H -" + "growth" and
 * "Fig. 3-" + "A" intact). List items start a new line. Blocks are separated by a blank line.
 */
export function cleanOcrText(raw: string): string {
  const paragraphs: string[] = []
  for (const block of raw.replace(/\r\n?/g, "\n").replace(/\f/g, "\n\n").split(/\n[ \t]*\n/)) {
    const lines: string[] = []
    for (const rawLine of block.split("\n")) {
      const line = rawLine.replace(/[ \t]+/g, " ").trim()
      if (line === "") continue
      const prev = lines[lines.length - 1]
      if (prev === undefined || LIST_ITEM.test(line)) lines.push(line)
      else if (ENDS_WITH_WORD_HYPHEN.test(prev) && STARTS_LOWERCASE.test(line)) lines[lines.length - 1] = prev.slice(0, -1) + line
      else lines[lines.length - 1] = `${prev} ${line}`
    }
    if (lines.length > 0) paragraphs.push(lines.join("\n"))
  }
  return paragraphs.join("\n\n")
}
