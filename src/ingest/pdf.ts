/**
 * PDF text extraction with pdfjs-dist (legacy build: the modern build assumes browser globals).
 * Deliberately minimal reading order: the content-stream order pdfjs reports, cut into lines. Column
 * and header/footer handling come later; what this module guarantees is no crash on any input,
 * a clear reject code for every unusable PDF, and joined line-break hyphenation.
 */
import { createRequire } from "node:module"
import path from "node:path"
import { normalizeText, sha256Hex } from "../core/text.ts"
import { cleanTitle, errorMessage, makeDocument, rejected, type Extracted, type IngestOptions, type InputFile } from "./types.ts"

type PdfJs = typeof import("pdfjs-dist/legacy/build/pdf.mjs")

/** The subset of pdfjs' TextItem we use (TextMarkedContent items have no `str` and are skipped). */
export interface PdfTextItem {
  readonly str: string
  readonly transform: ReadonlyArray<number>
  readonly width: number
  readonly height: number
  readonly hasEOL: boolean
}

/** Scanned PDFs without OCR have (almost) no text layer; below this many letters per page we reject. */
export const MIN_LETTERS_PER_PAGE = 20

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

/** Where an item sits, in the coordinates of its own writing direction (pages can be rotated). */
interface Placed {
  /** Unit vector of the writing direction. */
  readonly ux: number
  readonly uy: number
  /** Position along the writing direction, and across it (the baseline). */
  readonly along: number
  readonly across: number
  /** Font size in device space. */
  readonly size: number
}

const place = (item: PdfTextItem): Placed => {
  const [a = 1, b = 0, c = 0, d = 1, e = 0, f = 0] = item.transform
  const advance = Math.hypot(a, b)
  const up = Math.hypot(c, d)
  const ux = advance > 0 ? a / advance : 1
  const uy = advance > 0 ? b / advance : 0
  // The geometric mean copes with skewed matrices (dvips output scaled by 0.24 one way and 240 the
  // other), where `height` alone is off by a factor of 30; for ordinary matrices it equals the size.
  const size = advance > 0 && up > 0 ? Math.sqrt(advance * up) : Math.abs(item.height) || 1
  return { ux, uy, along: e * ux + f * uy, across: -e * uy + f * ux, size }
}

/**
 * Turn one page's text items into lines. A new line starts after an item with `hasEOL`, when the
 * baseline moves by more than half the font size (superscripts move less, the next line more) or when
 * the writing direction changes. Within a line, a space goes where items are separated by a visible
 * gap (many PDFs position words individually without any space character). pdfjs' own space items
 * are kept only when they are wide enough to be a word space: for some Type3 fonts it emits
 * hair-width "spaces" at kerning points ("sp ectra").
 */
export function buildLines(items: ReadonlyArray<PdfTextItem>): string[] {
  const lines: string[] = []
  let cur = ""
  let line: Placed | undefined
  let lineSize = 0
  let lastEnd = 0
  let pendingSpace = false
  const flush = () => {
    const t = cur.trim()
    if (t !== "") lines.push(t)
    cur = ""
    line = undefined
    pendingSpace = false
  }
  for (const item of items) {
    if (item.str.length > 0) {
      const at = place(item)
      if (line !== undefined) {
        const size = Math.max(at.size, lineSize)
        const turned = Math.abs(at.ux - line.ux) > 0.1 || Math.abs(at.uy - line.uy) > 0.1
        if (turned || Math.abs(at.across - line.across) > size * 0.5) flush()
      }
      if (item.str.trim() === "") {
        // A space item: remember it, and let the next real item decide (see above).
        if (line !== undefined && (item.width === 0 || item.width >= 0.1 * Math.max(at.size, lineSize))) pendingSpace = true
        if (line !== undefined) lastEnd = Math.max(lastEnd, at.along + item.width)
      } else {
        if (line === undefined) {
          line = at
          lineSize = at.size
        } else {
          const size = Math.max(at.size, lineSize)
          const gap = at.along - lastEnd
          // ~0.15 em is a word space; a big jump backwards on the same baseline is another column.
          const separated = pendingSpace || gap > size * 0.15 || gap < -size
          if (separated && !/\s$/.test(cur) && !/^\s/.test(item.str)) cur += " "
        }
        pendingSpace = false
        cur += item.str
        lineSize = Math.max(lineSize, at.size)
        lastEnd = at.along + item.width
      }
    }
    if (item.hasEOL) flush()
  }
  flush()
  return lines
}

const LINE_END_HYPHEN = /\p{Ll}[-\u2010\u00AD]$/u
const STARTS_LOWERCASE = /^\p{Ll}/u

/**
 * Join words hyphenated across line breaks ("spe-" + "cialization" → "specialization"). Only when a
 * lowercase letter precedes the hyphen and the next line starts lowercase: that keeps "Fig. 3-" +
 * "A", list dashes and minus signs intact. Compounds broken at their hyphen lose it; rare, accepted.
 */
export function joinHyphenatedLines(lines: ReadonlyArray<string>): string[] {
  const out: string[] = []
  for (const line of lines) {
    const prev = out[out.length - 1]
    if (prev !== undefined && LINE_END_HYPHEN.test(prev) && STARTS_LOWERCASE.test(line)) {
      out[out.length - 1] = prev.slice(0, -1) + line
    } else out.push(line)
  }
  return out
}

/** A page's lines after de-hyphenation. */
export const pageLines = (items: ReadonlyArray<PdfTextItem>): string[] => joinHyphenatedLines(buildLines(items))

/**
 * Join pages with a blank line, de-hyphenating across the page break too ("rep-" at the foot of one
 * page, "resentation" at the top of the next) under the same rule as within a page; such pages are
 * joined by a plain newline, since the paragraph continues.
 */
export function joinPages(pages: ReadonlyArray<ReadonlyArray<string>>): string {
  const out: string[][] = []
  for (const page of pages) {
    if (page.length === 0) continue
    const prev = out[out.length - 1]
    const last = prev?.[prev.length - 1]
    const first = page[0]!
    if (prev !== undefined && last !== undefined && LINE_END_HYPHEN.test(last) && STARTS_LOWERCASE.test(first)) {
      // The paragraph runs on across the page break, so the rest of the page follows without a blank line.
      prev[prev.length - 1] = last.slice(0, -1) + first
      prev.push(...page.slice(1))
    } else out.push([...page])
  }
  return out.map((lines) => lines.join("\n")).join("\n\n")
}

const INFO_KEYS = ["Title", "Author", "Subject", "Keywords", "Creator", "Producer", "CreationDate"] as const

/**
 * Info-dictionary titles are often tool artefacts: the source file name ("paper.dvi",
 * "Microsoft Word - 02. 206.doc"), a job id ("OECS12_Matthiesen-Atature") or a placeholder.
 */
export function plausibleTitle(raw: string | null): string | null {
  const t = cleanTitle(raw)
  if (t === null) return null
  if (/^microsoft (word|powerpoint|excel)\b/i.test(t)) return null
  if (/\.(dvi|docx?|tex|pdf|ps|eps|rtf|odt|indd|qxd|txt|pages|wpd)$/i.test(t)) return null
  if (/^(untitled|title|no title|none|null|unknown|document\d*)$/i.test(t)) return null
  // A real title has at least two words with letters; a single token is a file or job name.
  const words = t.split(" ").filter((w) => /\p{L}/u.test(w))
  if (words.length < 2) return null
  return t
}

const DOI = /\b(10\.\d{4,9}\/[-._;()/:A-Za-z0-9]+)/
const ARXIV_NEW = /\barXiv:\s*(\d{4}\.\d{4,5})(?:v\d+)?/i
const ARXIV_OLD = /\barXiv:\s*([a-z-]+(?:\.[A-Z]{2})?\/\d{7})(?:v\d+)?/i

/** The first DOI in `text`, without trailing sentence punctuation or an unbalanced closing bracket. */
export function findDoi(text: string): string | null {
  const m = DOI.exec(text)
  if (!m) return null
  let doi = m[1]!
  for (;;) {
    if (/[.,;:]$/.test(doi)) doi = doi.slice(0, -1)
    else if (doi.endsWith(")") && (doi.match(/\(/g)?.length ?? 0) < (doi.match(/\)/g)?.length ?? 0)) doi = doi.slice(0, -1)
    else break
  }
  return doi
}

export function findArxivId(text: string): string | null {
  return ARXIV_NEW.exec(text)?.[1] ?? ARXIV_OLD.exec(text)?.[1] ?? null
}

/**
 * A complete PDF ends with `%%EOF` (readers look in the last 1024 bytes). pdfjs silently rebuilds a
 * truncated file from what is left, which would turn half a paper into a "good" document.
 */
export function hasEofMarker(bytes: Uint8Array): boolean {
  let end = bytes.length
  // Tolerate trailing whitespace and NUL padding after the marker.
  while (end > 0 && (bytes[end - 1] === 0x00 || bytes[end - 1] === 0x20 || bytes[end - 1] === 0x0a || bytes[end - 1] === 0x0d || bytes[end - 1] === 0x09)) end--
  const tail = Buffer.from(bytes.buffer, bytes.byteOffset + Math.max(0, end - 1024), Math.min(1024, end))
  return tail.includes("%%EOF", 0, "latin1")
}

const errorName = (e: unknown): string =>
  typeof e === "object" && e !== null && "name" in e ? String((e as { name: unknown }).name) : ""

/** Extract a PDF already read into memory (the caller enforces maxFileBytes). Never throws. */
export async function extractPdf(bytes: Uint8Array, file: InputFile, options: IngestOptions): Promise<Extracted> {
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
  const loadingTask = pdfjs.getDocument({
    // A copy: pdfjs refuses Node Buffers and may transfer (detach) the array it is given.
    data: new Uint8Array(bytes),
    cMapUrl: `${assetsDir}/cmaps/`,
    cMapPacked: true,
    standardFontDataUrl: `${assetsDir}/standard_fonts/`,
    // No `isEvalSupported: false`: pdfjs 6 removed that option together with its eval-based code paths.
    useSystemFonts: false,
    verbosity: 0
  })
  let phase = "opening"
  try {
    const doc = await loadingTask.promise
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
    const pages: string[][] = []
    for (let n = 1; n <= numPages; n++) {
      phase = `reading page ${n}`
      const page = await doc.getPage(n)
      try {
        const content = await page.getTextContent()
        const items: PdfTextItem[] = []
        for (const item of content.items) if ("str" in item) items.push(item)
        pages.push(pageLines(items))
      } finally {
        // Frees the page's fonts and operator lists now rather than at destroy(): long PDFs stay small.
        page.cleanup()
      }
    }
    const raw = joinPages(pages)
    const letters = raw.replace(/\P{L}+/gu, "").length
    if (letters < MIN_LETTERS_PER_PAGE * Math.max(1, numPages)) {
      return rejected(
        "no-text-layer",
        `${numPages} page(s) with ${letters} letters of text in total: probably scanned images without OCR`
      )
    }
    const head = normalizeText(pages.slice(0, ID_SEARCH_PAGES).flat().join("\n"))
    return makeDocument(file, options, {
      rawText: raw,
      kind: "paper",
      format: "pdf",
      sourceSha256: sha,
      sourceIndex: 0,
      title: plausibleTitle(pdfInfo["Title"] ?? null),
      metadata: { pages: numPages, pdf_info: pdfInfo, doi: findDoi(head), arxiv_id: findArxivId(head) }
    })
  } catch (e) {
    const name = errorName(e)
    if (name === "PasswordException") return rejected("encrypted-pdf", `password-protected PDF: ${errorMessage(e)}`)
    return rejected("corrupt-pdf", `${name || "error"} while ${phase}: ${errorMessage(e)}`)
  } finally {
    await loadingTask.destroy()
  }
}
