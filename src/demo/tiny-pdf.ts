/**
 * A tiny PDF writer for the demo corpus and tests: Helvetica text on US-letter pages, uncompressed
 * content streams and exact xref offsets, so real PDF readers (pdfjs, poppler) extract its text.
 * Deliberately small: ASCII text only, one font family, no images. Output is byte-for-byte
 * deterministic (no dates or ids taken from the clock).
 */

/** A paragraph: a string is word-wrapped; an array is taken as ready-made lines (e.g. to force a hyphenated break). */
export type Paragraph = string | ReadonlyArray<string>

export interface TinyPdfDocument {
  /** Printed in bold at the top of the first page. */
  readonly heading: string
  /** Paragraphs of each page, in order. */
  readonly pages: ReadonlyArray<ReadonlyArray<Paragraph>>
  /** Info dictionary entries, e.g. Title, Author, Subject, Keywords, Creator, Producer, CreationDate. */
  readonly info?: Readonly<Record<string, string>>
}

const PAGE_WIDTH = 612
const PAGE_HEIGHT = 792
const MARGIN = 72
const BODY_SIZE = 11
const HEADING_SIZE = 16
const LEADING = 14
const PARAGRAPH_GAP = 8

/** Helvetica advance widths (1/1000 em) for ASCII 32..126, from the standard AFM metrics. */
const HELVETICA_WIDTHS: ReadonlyArray<number> = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space ! " # $ % & ' ( ) * + , - . /
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0-9 : ; < = > ?
  1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ A-O
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P-Z [ \ ] ^ _
  333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` a-o
  556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584 // p-z { | } ~
]

const assertAscii = (s: string): void => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || c > 0x7e) throw new Error(`tiny-pdf writes printable ASCII only, got U+${c.toString(16).padStart(4, "0")} in ${JSON.stringify(s)}`)
  }
}

/** Width of `text` in points at `size` (Helvetica metrics; good enough for Helvetica-Bold wrapping too). */
export function textWidth(text: string, size: number): number {
  let units = 0
  for (let i = 0; i < text.length; i++) units += HELVETICA_WIDTHS[text.charCodeAt(i) - 32] ?? 556
  return (units * size) / 1000
}

/** Greedy word wrap to `width` points. */
export function wrap(text: string, size: number, width: number): string[] {
  const lines: string[] = []
  let cur = ""
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    const next = cur === "" ? word : `${cur} ${word}`
    if (cur !== "" && textWidth(next, size) > width) {
      lines.push(cur)
      cur = word
    } else cur = next
  }
  if (cur !== "") lines.push(cur)
  return lines
}

/** Escape a PDF literal string: backslash and parentheses. */
export const escapePdfString = (s: string): string => s.replace(/[\\()]/g, (c) => `\\${c}`)

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(2))

/** One page's content stream: absolute positioning per line keeps the extracted line order obvious. */
function pageContent(heading: string | null, paragraphs: ReadonlyArray<Paragraph>): string {
  const out: string[] = []
  let y = PAGE_HEIGHT - MARGIN
  const width = PAGE_WIDTH - 2 * MARGIN
  if (heading !== null) {
    for (const line of wrap(heading, HEADING_SIZE, width)) {
      out.push(`BT /F2 ${HEADING_SIZE} Tf ${MARGIN} ${fmt(y)} Td (${escapePdfString(line)}) Tj ET`)
      y -= HEADING_SIZE + 4
    }
    y -= LEADING
  }
  for (const p of paragraphs) {
    const lines = typeof p === "string" ? wrap(p, BODY_SIZE, width) : p
    for (const line of lines) {
      if (y < MARGIN) throw new Error("tiny-pdf: page overflow; move paragraphs to another page")
      out.push(`BT /F1 ${BODY_SIZE} Tf ${MARGIN} ${fmt(y)} Td (${escapePdfString(line)}) Tj ET`)
      y -= LEADING
    }
    y -= PARAGRAPH_GAP
  }
  return out.join("\n") + "\n"
}

/** Render `doc` as PDF 1.4 bytes. */
export function makeTinyPdf(doc: TinyPdfDocument): Uint8Array {
  assertAscii(doc.heading)
  for (const page of doc.pages) for (const p of page) for (const l of typeof p === "string" ? [p] : p) assertAscii(l)
  for (const [k, v] of Object.entries(doc.info ?? {})) {
    assertAscii(k)
    assertAscii(v)
  }
  if (doc.pages.length === 0) throw new Error("tiny-pdf: at least one page")

  return pdfFromContents(
    doc.pages.map((paragraphs, i) => pageContent(i === 0 ? doc.heading : null, paragraphs)),
    doc.info ?? {}
  )
}

/** Text drawn at (x, y) in Helvetica (F1) or Helvetica-Bold (F2): one line of a page's content stream. */
export const textAt = (x: number, y: number, text: string, size = 10, font: "F1" | "F2" = "F1"): string =>
  `BT /${font} ${size} Tf ${x} ${y} Td (${escapePdfString(text)}) Tj ET\n`

/**
 * A PDF of US-letter pages from their content streams (ASCII, fonts F1 = Helvetica, F2 = Helvetica-Bold),
 * with the given Info entries: what makeTinyPdf lays out, and what tests use to place text exactly.
 */
export function pdfFromContents(contents: ReadonlyArray<string>, info: Readonly<Record<string, string>> = {}): Uint8Array {
  if (contents.length === 0) throw new Error("tiny-pdf: at least one page")
  for (const c of contents) assertAscii(c.replace(/\n/g, " "))
  // Object numbers: 1 catalog, 2 pages, 3 Helvetica, 4 Helvetica-Bold, 5 info, then page/content pairs.
  const objects: string[] = []
  const pageIds = contents.map((_, i) => 6 + 2 * i)
  objects[1] = "<< /Type /Catalog /Pages 2 0 R >>"
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] /Count ${pageIds.length} >>`
  objects[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
  objects[4] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
  objects[5] = `<< ${Object.entries(info).map(([k, v]) => `/${k} (${escapePdfString(v)})`).join(" ")} >>`
  contents.forEach((content, i) => {
    const pageId = pageIds[i]!
    objects[pageId] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] ` +
      `/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${pageId + 1} 0 R >>`
    // All content is ASCII, so the string length is the byte length /Length must give.
    objects[pageId + 1] = `<< /Length ${content.length} >>\nstream\n${content}endstream`
  })

  // The second header line holds bytes >= 128 so that transfer tools treat the file as binary.
  let body = "%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n"
  const offsets: number[] = []
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = body.length // latin1: one byte per char
    body += `${id} 0 obj\n${objects[id]}\nendobj\n`
  }
  const xrefOffset = body.length
  // Each xref entry is exactly 20 bytes: 10-digit offset, space, 5-digit generation, space, type, space, LF.
  let xref = `xref\n0 ${objects.length}\n0000000000 65535 f \n`
  for (let id = 1; id < objects.length; id++) xref += `${String(offsets[id]).padStart(10, "0")} 00000 n \n`
  const trailer = `trailer\n<< /Size ${objects.length} /Root 1 0 R /Info 5 0 R >>\nstartxref\n${xrefOffset}\n%%EOF\n`
  return new Uint8Array(Buffer.from(body + xref + trailer, "latin1"))
}
