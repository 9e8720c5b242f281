/**
 * PDF → document, with pdfjs-dist (legacy build: the modern build assumes browser globals). This file
 * is the I/O: it loads the PDF, reads one page at a time (freeing each before the next, so a long PDF
 * needs memory for its text, not for its pages), and hands the text items to the pure passes:
 *
 *   segments.ts   items → runs of text on a baseline
 *   margins.ts    line numbers, running headers/footers, page numbers removed
 *   layout.ts     columns and bands → rows in reading order
 *   paragraphs.ts rows → paragraphs (de-hyphenated, across column and page breaks), headings
 *   structure.ts  title, authors, abstract, sections, references; the training text
 *   quality.ts    how much the text layer looks like language
 *
 * Every unusable PDF becomes a reject with a clear reason; nothing here throws for bad input.
 */
import { readFile } from "node:fs/promises"
import { createRequire } from "node:module"
import path from "node:path"
import { normalizeText, sha256Hex } from "../../core/text.ts"
import { errorMessage, makeDocument, rejected, type Extracted, type IngestOptions, type InputFile } from "../types.ts"
import { bodySizeOf, layoutPage, type Row } from "./layout.ts"
import { emptyMarginCounts, removeLineNumbers, removeRunningLines, type MarginCounts } from "./margins.ts"
import { DEFAULT_PDF_OPTIONS } from "./options.ts"
import { buildParagraphs, type PageRow, type Paragraph } from "./paragraphs.ts"
import { textQuality } from "./quality.ts"
import { buildSegments, type PdfTextItem, type Segment } from "./segments.ts"
import { analyseStructure, findArxivId, findDoi } from "./structure.ts"

type PdfJs = typeof import("pdfjs-dist/legacy/build/pdf.mjs")

/** Scanned PDFs without OCR have (almost) no text layer; below this many letters and digits per page we reject. */
export const MIN_LETTERS_PER_PAGE = 20

/** Pages between calls to pdfjs' document-wide cleanup (re-parsing fonts after it costs little at this spacing). */
const CLEANUP_EVERY_PAGES = 20
/** Pages after which the document is reopened from disk to drop pdfjs' object cache. */
export const REOPEN_EVERY_PAGES = 100

/**
 * The bytes for pdfjs, which transfers (detaches) the buffer it is given. A buffer that owns its
 * whole ArrayBuffer is handed over as it is (the caller does not use it afterwards), saving a copy of
 * the file; a slice of Node's shared pool must be copied, or the pool would be detached.
 */
const transferable = (bytes: Uint8Array): Uint8Array =>
  bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
    ? new Uint8Array(bytes.buffer, 0, bytes.byteLength)
    : new Uint8Array(bytes)

/** The file again, for a reopen; it must still be the file whose hash the document records. */
async function rereadUnchanged(file: InputFile, size: number, sha: string): Promise<Uint8Array> {
  const again = await readFile(file.absPath)
  if (again.length !== size || sha256Hex(again) !== sha) throw new Error("the file changed while it was being read")
  return transferable(again)
}

/** Pages searched for a DOI / arXiv id: they sit on the first page or in its running header/footer. */
const ID_SEARCH_PAGES = 3

let pdfjsPromise: Promise<{ pdfjs: PdfJs; assetsDir: string }> | undefined

/**
 * Load pdfjs once, lazily: importing it costs ~0.2 s, which runs that never meet a PDF should not pay.
 * cMaps and standard fonts are read from the installed package's own folders (not a CDN) so CJK text
 * and non-embedded fonts work offline.
 */
const loadPdfjs = (): Promise<{ pdfjs: PdfJs; assetsDir: string }> => {
  pdfjsPromise ??= (async () => {
    const require = createRequire(import.meta.url)
    const assetsDir = path.dirname(require.resolve("pdfjs-dist/package.json"))
    const pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs")
    return { pdfjs, assetsDir }
  })()
  return pdfjsPromise
}

const INFO_KEYS = ["Title", "Author", "Subject", "Keywords", "Creator", "Producer", "CreationDate"] as const

/**
 * A complete PDF ends with `%%EOF`. pdfjs silently rebuilds a truncated file from what is left, which
 * would turn half a paper into a "good" document, so a file is accepted only if it has a `%%EOF` after
 * which no PDF structure follows: trailing junk (mail gateways and download tools append some) is
 * fine, an incremental update cut off after an earlier `%%EOF` is not.
 */
export function hasEofMarker(bytes: Uint8Array): boolean {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const at = buf.lastIndexOf("%%EOF", undefined, "latin1")
  if (at < 0) return false
  const after = buf.subarray(at + 5, at + 5 + (1 << 20)).toString("latin1")
  return !/\b(?:obj|endobj|stream|endstream|xref|trailer|startxref)\b/.test(after)
}

/** What rows set in the body font of their stretch of pages are called (see the layout step). */
const BODY_FONT = "body"

/** The vertical "arXiv:0908.0054v1 [astro-ph.CO] 1 Aug 2009" stamp of arXiv downloads. */
const ARXIV_STAMP = /^arXiv:\S+\s+\[[^\]]+\]\s+\d{1,2}\s+\p{L}+\s+\d{4}$/u

/** Letters and digits: a page of numbers (a table) has a text layer too. */
const countLetters = (text: string): number => text.replace(/[^\p{L}\p{N}]+/gu, "").length

/** The font that set most characters. */
function mainFont(segments: ReadonlyArray<Segment>): string {
  const chars = new Map<string, number>()
  for (const s of segments) chars.set(s.font, (chars.get(s.font) ?? 0) + s.chars)
  let best = ""
  let bestN = -1
  for (const [font, n] of chars) if (n > bestN) [best, bestN] = [font, n]
  return best
}

const errorName = (e: unknown): string =>
  typeof e === "object" && e !== null && "name" in e ? String((e as { name: unknown }).name) : ""

/**
 * Extract a PDF already read into memory (the caller enforces maxFileBytes and must not use `bytes`
 * afterwards: pdfjs takes the buffer over). Never throws.
 */
export async function extractPdf(
  bytes: Uint8Array,
  file: InputFile,
  options: IngestOptions,
  /** For tests: how often the document is reopened (see REOPEN_EVERY_PAGES). */
  reopenEvery = REOPEN_EVERY_PAGES
): Promise<Extracted> {
  const sha = sha256Hex(bytes)
  if (!hasEofMarker(bytes)) return rejected("corrupt-pdf", "truncated PDF: no %%EOF marker at the end of the file")
  let loaded: { pdfjs: PdfJs; assetsDir: string }
  try {
    loaded = await loadPdfjs()
  } catch (e) {
    // Not the input's fault, but one item per input keeps the caller's accounting simple.
    return rejected("pdf-reader-unavailable", `could not load pdfjs-dist: ${errorMessage(e)}`)
  }
  const { pdfjs, assetsDir } = loaded
  const open = (data: Uint8Array) =>
    pdfjs.getDocument({
      data,
      cMapUrl: `${assetsDir}/cmaps/`,
      cMapPacked: true,
      standardFontDataUrl: `${assetsDir}/standard_fonts/`,
      // The WebAssembly decoders of the image formats scanners write (CCITT fax, JBIG2, JPEG 2000):
      // without them a scanned page renders blank for OCR, with only a warning.
      wasmUrl: `${assetsDir}/wasm/`,
      // No `isEvalSupported: false`: pdfjs 6 removed that option together with its eval-based code paths.
      useSystemFonts: false,
      verbosity: 0
    })
  // Read before the buffer is handed to pdfjs (which detaches it).
  const size = bytes.length
  let loadingTask = open(transferable(bytes))
  let phase = "opening"
  try {
    let doc = await loadingTask.promise
    const numPages = doc.numPages
    // Its own reason: "no text layer, probably scanned" would send someone looking for images that are not there.
    if (numPages === 0) return rejected("empty-pdf", "the PDF has no pages")
    phase = "reading metadata"
    const pdfInfo: Record<string, string> = {}
    try {
      const { info } = await doc.getMetadata()
      const record = (info ?? {}) as Record<string, unknown>
      for (const key of INFO_KEYS) {
        const v = record[key]
        if (typeof v === "string" && v.trim() !== "") pdfInfo[key] = normalizeText(v)
      }
    } catch {
      // A broken Info dictionary does not make the text unusable.
    }
    const pdfOptions = options.pdf ?? DEFAULT_PDF_OPTIONS
    const counts: MarginCounts = emptyMarginCounts()
    const mains: Segment[][] = []
    const sides: Segment[][] = []
    const ocrText = new Map<number, string>()
    const ocrFailures: Array<{ page: number; error: string }> = []
    let letters = 0
    let idText = ""
    let ocrEngine: { version: string } | null = null
    for (let n = 1; n <= numPages; n++) {
      if ((n - 1) % reopenEvery === 0 && n > 1) {
        // pdfjs' object cache (every dictionary it parsed) has no API to drop it; reopening the
        // document does, so a 1,000-page PDF needs the memory of its file plus ~100 pages.
        phase = `reopening before page ${n}`
        // Destroyed first, so the old copy of the file is freed before the new one is read.
        await loadingTask.destroy()
        loadingTask = open(await rereadUnchanged(file, size, sha))
        doc = await loadingTask.promise
      }
      phase = `reading page ${n}`
      const page = await doc.getPage(n)
      try {
        const content = await page.getTextContent()
        const items: PdfTextItem[] = []
        for (const item of content.items) if ("str" in item) items.push(item)
        const { main, side } = buildSegments(items)
        let pageLetters = 0
        for (const seg of [...main, ...side]) pageLetters += countLetters(seg.text)
        letters += pageLetters
        if (n <= ID_SEARCH_PAGES) idText += [...main, ...side].map((seg) => seg.text).join("\n") + "\n"
        if (pageLetters < MIN_LETTERS_PER_PAGE && pdfOptions.ocr) {
          phase = `OCR of page ${n}`
          const { ocrPage, tesseractAvailable } = await import("./ocr.ts")
          ocrEngine ??= await tesseractAvailable()
          if (ocrEngine !== null) {
            try {
              ocrText.set(n, await ocrPage(page, pdfOptions))
            } catch (e) {
              // One page that OCR cannot read (a timeout on a full-page figure) does not lose the
              // paper: the page keeps its text layer, and the failure is recorded.
              ocrFailures.push({ page: n, error: errorMessage(e) })
            }
          }
        }
        mains.push(removeLineNumbers(main, counts))
        sides.push(side)
      } finally {
        // Frees the page's fonts and operator lists now rather than at destroy(): long PDFs stay small.
        page.cleanup()
      }
      // pdfjs keeps what it parsed (fonts, cMaps, images, page dictionaries) for the whole document;
      // dropping those caches now and then keeps a long PDF's memory flat instead of growing per page.
      if (n % CLEANUP_EVERY_PAGES === 0) await doc.cleanup()
    }
    let ocrLetters = 0
    for (const t of ocrText.values()) ocrLetters += countLetters(t)
    if (letters + ocrLetters < MIN_LETTERS_PER_PAGE * numPages) {
      if (ocrFailures.length > 0) {
        const first = ocrFailures[0]!
        return rejected("ocr-failed", `OCR failed on ${ocrFailures.length} of ${numPages} page(s), first on page ${first.page}: ${first.error}`)
      }
      const why = !pdfOptions.ocr
        ? "probably scanned images; set `pdf: { ocr: true }` in the ingest stage to OCR them with tesseract"
        : ocrEngine === null
          ? "probably scanned images; OCR is enabled but tesseract is not installed (Debian: tesseract-ocr)"
          : `OCR found ${ocrLetters} letters`
      return rejected("no-text-layer", `${numPages} page(s) with ${letters} letters and digits of text in total: ${why}`)
    }
    phase = "analysing the layout"
    const { main: cleaned, side: cleanedSides } = removeRunningLines(mains, counts, sides)
    const allMain = cleaned.flat()
    // pdfjs names fonts by load order per opened document ("g_d0_f3"), so a name means nothing across
    // a reopen (every REOPEN_EVERY_PAGES pages): the body font is found per stretch of pages read in
    // one opening, and rows set in it are marked as body. Papers shorter than that are one stretch.
    const stretchOf = (pageIndex: number) => Math.floor(pageIndex / reopenEvery)
    const stretchBodyFont = new Map<number, string>()
    for (let start = 0; start < cleaned.length; start += reopenEvery) {
      stretchBodyFont.set(stretchOf(start), mainFont(cleaned.slice(start, start + reopenEvery).flat()))
    }
    const fontOf = (font: string, pageIndex: number) => (font === stretchBodyFont.get(stretchOf(pageIndex)) ? BODY_FONT : font)
    const body = { size: bodySizeOf(allMain), font: BODY_FONT }
    const rows: PageRow[] = []
    cleaned.forEach((segs, i) => {
      if (ocrText.has(i + 1)) return
      const pageRows: Row[] = layoutPage(segs, body.size)
      // Text in another direction (rotated table headers, margin notes) follows the page, each its
      // own block; the arXiv identifier stamped up the margin is not part of the paper's text.
      const blocks = pageRows.length === 0 ? 0 : pageRows[pageRows.length - 1]!.block + 1
      const sideRows = cleanedSides[i]!.filter((seg) => !ARXIV_STAMP.test(seg.text)).map((seg, k): Row => ({
        text: seg.text, x0: seg.x0, x1: seg.x1, y: seg.y, size: seg.size, font: seg.font, chars: seg.chars,
        block: blocks + k, blockX0: seg.x0, blockX1: seg.x1
      }))
      for (const r of [...pageRows, ...sideRows]) rows.push({ ...r, font: fontOf(r.font, i), page: i + 1 })
    })
    const paragraphs: Paragraph[] = buildParagraphs(rows, body)
    for (const [page, text] of ocrText) {
      for (const part of text.split(/\n{2,}/)) {
        if (part.trim() !== "") paragraphs.push({ text: part.trim(), heading: false, page, size: body.size, font: "", rows: [] })
      }
    }
    // Stable: OCR paragraphs land among the others in page order.
    paragraphs.sort((a, b) => a.page - b.page)
    const structure = analyseStructure(paragraphs, body.size, pdfInfo["Title"] ?? null, pdfOptions.references)
    const ids = normalizeText(idText)
    const metadata: Record<string, unknown> = {
      pages: numPages,
      pdf_info: pdfInfo,
      doi: findDoi(ids),
      arxiv_id: findArxivId(ids),
      authors: structure.authors,
      abstract: structure.abstract,
      sections: structure.sections,
      quality: textQuality(structure.text),
      removed: {
        running_lines: counts.runningLines,
        page_numbers: counts.pageNumbers,
        line_numbers: counts.lineNumbers,
        // What was cut as running headers and footers, so a curator can check it was boilerplate.
        running_texts: [...counts.runningTexts].map(([text, times]) => ({ text: normalizeText(text), times }))
      },
      references_policy: pdfOptions.references
    }
    if (pdfOptions.references === "separate") metadata["references"] = structure.references
    if ((ocrText.size > 0 || ocrFailures.length > 0) && ocrEngine !== null) {
      metadata["ocr"] = { engine: "tesseract", version: ocrEngine.version, pages: [...ocrText.keys()], ...(ocrFailures.length > 0 ? { failed: ocrFailures } : {}) }
    }
    return makeDocument(file, options, {
      rawText: structure.text,
      kind: "paper",
      format: "pdf",
      sourceSha256: sha,
      sourceIndex: 0,
      title: structure.title,
      metadata
    })
  } catch (e) {
    const name = errorName(e)
    if (name === "PasswordException") return rejected("encrypted-pdf", `password-protected PDF: ${errorMessage(e)}`)
    return rejected("corrupt-pdf", `${name || "error"} while ${phase}: ${errorMessage(e)}`)
  } finally {
    await loadingTask.destroy()
  }
}
