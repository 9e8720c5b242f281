/** Unit tests of the pure PDF passes (segments, layout, margins, paragraphs, structure, quality) on synthetic items. */
import { describe, expect, it } from "vitest"
import { hasEofMarker } from "../../src/ingest/pdf/extract.ts"
import { wordAgreement } from "../../src/ingest/pdf/compare.ts"
import { layoutPage } from "../../src/ingest/pdf/layout.ts"
import { emptyMarginCounts, isPageNumber, removeLineNumbers, removeRunningLines } from "../../src/ingest/pdf/margins.ts"
import { buildParagraphs, joinHyphenated, type PageRow } from "../../src/ingest/pdf/paragraphs.ts"
import { textQuality } from "../../src/ingest/pdf/quality.ts"
import { buildSegments, composeAccents, type PdfTextItem, type Segment } from "../../src/ingest/pdf/segments.ts"
import { authorNames, findArxivId, findDoi, plausibleTitle } from "../../src/ingest/pdf/structure.ts"

/** A horizontal text item at (x, y) in a `size`-point font; width from a rough 0.5 em per character. */
const item = (str: string, x: number, y: number, opts: { size?: number; eol?: boolean; width?: number } = {}): PdfTextItem => {
  const size = opts.size ?? 10
  return { str, transform: [size, 0, 0, size, x, y], width: opts.width ?? str.length * size * 0.5, height: size, hasEOL: opts.eol ?? false }
}
const texts = (items: PdfTextItem[]) => buildSegments(items).main.map((s) => s.text)
const seg = (text: string, x0: number, y: number, width = text.length * 5, size = 10): Segment => ({
  text, x0, x1: x0 + width, y, size, font: "f1", chars: text.replace(/\s/g, "").length
})

describe("segments", () => {
  it("breaks at hasEOL, at baseline changes and at wide gaps", () => {
    expect(texts([item("First line", 0, 700, { eol: true }), item("second", 0, 688), item("third", 0, 676)])).toEqual(["First line", "second", "third"])
    // 40 points (4 em) between "left" and "right": two columns on one baseline.
    expect(texts([item("left", 0, 700), item("right", 60, 700)])).toEqual(["left", "right"])
  })

  it("inserts a space at a visible gap but not between touching pieces of a word", () => {
    expect(texts([item("spec", 0, 700), item("tral", 20, 700), item("lines", 43, 700)])).toEqual(["spectral lines"])
  })

  it("keeps superscripts on their line and drops hair-width space items", () => {
    expect(texts([item("Gal", 0, 700), item("*", 15, 704, { size: 7 }), item(", Eich", 18.5, 700)])).toEqual(["Gal*, Eich"])
    const hair = { str: " ", transform: [10, 0, 0, 10, 20, 700], width: 0.2, height: 0, hasEOL: false }
    expect(texts([item("mo", 0, 700, { width: 20 }), hair, item("del", 20.2, 700, { width: 19.8 })])).toEqual(["model"])
  })

  it("lays out a rotated page in its own writing direction and keeps stray rotated text apart", () => {
    const down = (str: string, y: number, width: number): PdfTextItem => ({ str, transform: [0, -10, 10, 0, 400, y], width, height: 10, hasEOL: false })
    const page = buildSegments([down("Prep", 700, 20), down("rint", 680, 17), down("Series of", 658, 40)])
    expect(page.main.map((s) => s.text)).toEqual(["Preprint Series of"])
    const stamp: PdfTextItem = { str: "arXiv:0908.0054v1", transform: [0, 10, -10, 0, 20, 300], width: 80, height: 10, hasEOL: false }
    const mixed = buildSegments([item("Upright body text of the page", 50, 700), stamp])
    expect(mixed.main.map((s) => s.text)).toEqual(["Upright body text of the page"])
    expect(mixed.side.map((s) => s.text)).toEqual(["arXiv:0908.0054v1"])
  })

  it("composes TeX's separately placed accents", () => {
    expect(composeAccents("Lema\u02c6\u0131tre, M\u00a8 uhlenberg, Poincar\u00b4e, don\u00b4t")).toBe("Lemaître, Mühlenberg, Poincaré, don\u00b4t")
  })
})

/** Two columns of 8 lines each (x 50–290 and 320–560), under a full-width title. */
function twoColumnPage(): Segment[] {
  const segs: Segment[] = [seg("A Title Spanning Both Columns Of The Page", 150, 760, 320, 16)]
  for (let i = 0; i < 8; i++) segs.push(seg(`left line ${i} of the first column text here`, 50, 700 - 12 * i, 240))
  for (let i = 0; i < 8; i++) segs.push(seg(`right line ${i} of the second column text`, 320, 700 - 12 * i, 240))
  return segs
}

describe("layout", () => {
  it("reads a full-width title, then the left column, then the right column", () => {
    const rows = layoutPage(twoColumnPage())
    expect(rows.map((r) => r.text)).toEqual([
      "A Title Spanning Both Columns Of The Page",
      ...Array.from({ length: 8 }, (_, i) => `left line ${i} of the first column text here`),
      ...Array.from({ length: 8 }, (_, i) => `right line ${i} of the second column text`)
    ])
  })

  it("keeps reading column by column when both columns have a gap at the same height", () => {
    const segs = twoColumnPage().map((s) => (s.y < 670 ? { ...s, y: s.y - 30 } : s))
    const order = layoutPage(segs).map((r) => r.text.split(" ")[0])
    expect(order).toEqual(["A", ...Array(8).fill("left"), ...Array(8).fill("right")])
  })

  it("reads a table row by row, not column by column", () => {
    const segs: Segment[] = []
    for (let i = 0; i < 5; i++) segs.push(seg(`name${i}`, 50, 700 - 12 * i, 40), seg(`${i * 7}.5`, 300, 700 - 12 * i, 20))
    expect(layoutPage(segs).map((r) => r.text)).toEqual(["name0 0.5", "name1 7.5", "name2 14.5", "name3 21.5", "name4 28.5"])
  })

  it("moves a small-print footnote at the foot of the left column after the right column", () => {
    const segs = twoColumnPage().filter((s) => s.y > 620)
    segs.push(seg("Permission to make digital copies of this work", 50, 100, 240, 7), seg("is granted without fee provided that copies", 50, 92, 240, 7))
    const rows = layoutPage(segs, 10).map((r) => r.text)
    expect(rows.indexOf("Permission to make digital copies of this work")).toBeGreaterThan(rows.findIndex((t) => t.startsWith("right line")))
  })
})

describe("margins", () => {
  it("recognises page numbers", () => {
    for (const t of ["12", "- 12 -", "Page 3 of 15", "iv", "3/16"]) expect(isPageNumber(t), t).toBe(true)
    for (const t of ["12 monkeys", "Table 3", "(12)"]) expect(isPageNumber(t), t).toBe(false)
  })

  it("removes running headers (numbers masked) and page numbers, keeps the body", () => {
    const pages = [1, 2, 3, 4].map((n) => [
      seg(`Journal of Tests ${2000 + n}, vol ${n}`, 50, 770),
      seg(`Body text that is unique: ${["one", "two", "three", "four"][n - 1]}`, 50, 700),
      seg(`More body text ${"x".repeat(n)}`, 50, 688),
      seg(String(n), 300, 40)
    ])
    const counts = emptyMarginCounts()
    const out = removeRunningLines(pages, counts)
    expect(out.main.map((p) => p.map((s) => s.text))).toEqual(pages.map((p) => [p[1]!.text, p[2]!.text]))
    expect(counts.runningLines).toBe(4)
    expect(counts.pageNumbers).toBe(4)
    expect([...counts.runningTexts.keys()]).toHaveLength(4)
  })

  it("keeps the title on page 1 when later pages repeat it smaller as their running header", () => {
    const pages = [1, 2, 3].map((n) => [
      n === 1 ? seg("Shared MIME-info Database", 150, 760, 300, 20) : seg("Shared MIME-info Database", 50, 770, 120, 8),
      seg(`Body text that is unique: ${["one", "two", "three"][n - 1]}`, 50, 700),
      seg(`More body text ${"x".repeat(n)}`, 50, 688)
    ])
    const counts = emptyMarginCounts()
    const out = removeRunningLines(pages, counts)
    expect(out.main[0]!.map((s) => s.text)).toContain("Shared MIME-info Database")
    expect(out.main[1]!.map((s) => s.text)).not.toContain("Shared MIME-info Database")
    expect(counts.runningLines).toBe(2)
  })

  it("removes a column of line numbers, also when glued to their lines", () => {
    const segs: Segment[] = []
    for (let i = 0; i < 12; i++) {
      if (i % 2 === 0) segs.push(seg(String(i + 1), 20, 700 - 12 * i, 8), seg(`text of line ${i}`, 50, 700 - 12 * i))
      else segs.push(seg(`${i + 1} text of line ${i}`, 20, 700 - 12 * i))
    }
    const counts = emptyMarginCounts()
    const out = removeLineNumbers(segs, counts)
    expect(out.map((s) => s.text)).toEqual(Array.from({ length: 12 }, (_, i) => `text of line ${i}`))
    expect(counts.lineNumbers).toBe(12)
  })
})

describe("paragraphs", () => {
  const vocab = new Map([["specialization", 2], ["dynamically", 1], ["typed", 3], ["run-time", 1]])
  it("joins line-break hyphens, keeping real ones", () => {
    expect(joinHyphenated("type spe-", "cialization for", vocab)).toBe("type specialization for")
    expect(joinHyphenated("soft hy\u00ad", "phen", vocab)).toBe("soft hyphen")
    expect(joinHyphenated("for dynamically-", "typed languages", vocab)).toBe("for dynamically-typed languages")
    expect(joinHyphenated("at run-", "time", vocab)).toBe("at run-time")
    expect(joinHyphenated("Trace-", "Monkey", vocab)).toBe("Trace- Monkey")
  })

  const row = (text: string, page: number, block: number, y: number, x0 = 50, x1 = 290): PageRow => ({
    text, x0, x1, y, size: 10, font: "f1", chars: text.length, block, blockX0: 50, blockX1: 290, page
  })
  it("merges lines into paragraphs and continues a sentence across a column break", () => {
    const rows = [
      row("The first paragraph starts here and runs on", 1, 0, 700),
      row("to the end of its column where the sen-", 1, 0, 688),
      row("tence continues in the next column.", 1, 1, 700, 320, 500),
      { ...row("2. Methods", 1, 1, 670, 320, 380), font: "f2-bold" },
      row("A new paragraph after the heading.", 1, 1, 650, 320, 500)
    ]
    const paragraphs = buildParagraphs(rows, { size: 10, font: "f1" })
    expect(paragraphs.map((p) => [p.heading, p.text])).toEqual([
      [false, "The first paragraph starts here and runs on to the end of its column where the sentence continues in the next column."],
      [true, "2. Methods"],
      [false, "A new paragraph after the heading."]
    ])
  })
})

describe("structure and quality heuristics", () => {
  it.each([
    ["Apparent and average accelerations of the Universe", "Apparent and average accelerations of the Universe"],
    ["Microsoft Word - 02. 206.doc", null],
    ["paper.dvi", null],
    ["OECS12_Matthiesen-Atature", null],
    ["untitled", null],
    ["  Spaced   out\ttitle ", "Spaced out title"]
  ])("info title %j → %j", (raw, expected) => {
    expect(plausibleTitle(raw)).toBe(expected)
  })

  it("reads author lines and refuses affiliations", () => {
    expect(authorNames("Krzysztof Bolejko1,2 and Lars Andersson3,4")).toEqual(["Krzysztof Bolejko", "Lars Andersson"])
    expect(authorNames("Andreas Gal∗+, Brendan Eich∗, Mike Shaver∗,")).toEqual(["Andreas Gal", "Brendan Eich", "Mike Shaver"])
    expect(authorNames("Department of Physics, University of Melbourne")).toBeNull()
    expect(authorNames("The results show that the model works")).toBeNull()
  })

  it("finds DOIs and arXiv ids", () => {
    expect(findDoi("J. Cosmol. (doi:10.1088/1475-7516/2008/10/003).")).toBe("10.1088/1475-7516/2008/10/003")
    expect(findDoi("no identifier here")).toBeNull()
    expect(findArxivId("arXiv:0908.0054v1 [astro-ph.CO] 1 Aug 2009")).toBe("0908.0054")
    expect(findArxivId("arXiv:hep-th/9901001v2")).toBe("hep-th/9901001")
  })

  it("scores prose high and symbol soup, (cid:) runs and spaced-out letters low", () => {
    const prose = "Dynamic languages such as JavaScript are more difficult to compile than statically typed ones. ".repeat(5)
    expect(textQuality(prose).flagged).toBe(false)
    expect(textQuality("(cid:12)(cid:7) (cid:44) ".repeat(30) + prose).flagged).toBe(true)
    expect(textQuality("T h e r e s u l t s % & ~ # 3 ] [ ^ ".repeat(20)).flagged).toBe(true)
  })

  it("counts a joined hyphenated word as agreeing with a reference that kept it split", () => {
    const a = wordAgreement("type specialization works", "type spe-\ncialization works")
    expect(a.f1).toBe(1)
    expect(wordAgreement("only half", "only half of it").recall).toBeCloseTo(0.5)
  })

  it("requires %%EOF near the end, tolerating trailing whitespace", () => {
    expect(hasEofMarker(new Uint8Array(Buffer.from("%PDF-1.4\n...\n%%EOF\n\n  ")))).toBe(true)
    expect(hasEofMarker(new Uint8Array(Buffer.from("%PDF-1.4\n1 0 obj\n<< /Type")))).toBe(false)
  })
})
