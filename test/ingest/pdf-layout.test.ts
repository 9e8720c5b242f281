import { describe, expect, it } from "vitest"
import {
  buildLines,
  findArxivId,
  findDoi,
  hasEofMarker,
  joinHyphenatedLines,
  joinPages,
  plausibleTitle,
  type PdfTextItem
} from "../../src/ingest/pdf.ts"

/** A horizontal text item at (x, y) in a `size`-point font; width from a rough 0.5 em per character. */
const item = (str: string, x: number, y: number, opts: { size?: number; eol?: boolean; width?: number } = {}): PdfTextItem => {
  const size = opts.size ?? 10
  return {
    str,
    transform: [size, 0, 0, size, x, y],
    width: opts.width ?? str.length * size * 0.5,
    height: size,
    hasEOL: opts.eol ?? false
  }
}

describe("buildLines", () => {
  it("breaks lines at hasEOL and at baseline changes", () => {
    const lines = buildLines([item("First line", 0, 700, { eol: true }), item("second", 0, 688), item("third", 0, 676)])
    expect(lines).toEqual(["First line", "second", "third"])
  })

  it("inserts a space at a visible gap but not between touching pieces of a word", () => {
    // "spec" ends at x = 20; "tral" starts right there; "lines" starts after a word-sized gap.
    const lines = buildLines([item("spec", 0, 700), item("tral", 20, 700), item("lines", 43, 700)])
    expect(lines).toEqual(["spectral lines"])
  })

  it("keeps superscripts on their line", () => {
    const lines = buildLines([item("Gal", 0, 700), item("*", 15, 704, { size: 7 }), item(", Eich", 18.5, 700)])
    expect(lines).toEqual(["Gal*, Eich"])
  })

  it("drops hair-width space items (kerning) but keeps word-width ones", () => {
    const hair = { str: " ", transform: [10, 0, 0, 10, 20, 700], width: 0.2, height: 0, hasEOL: false }
    const word = { str: " ", transform: [10, 0, 0, 10, 40, 700], width: 3, height: 0, hasEOL: false }
    const lines = buildLines([item("mo", 0, 700, { width: 20 }), hair, item("del", 20.2, 700, { width: 19.8 }), word, item("fit", 43, 700)])
    expect(lines).toEqual(["model fit"])
  })

  it("follows the writing direction on rotated pages", () => {
    // Text running down the page: advance along -y, baseline at constant x.
    const down = (str: string, y: number, width: number): PdfTextItem => ({ str, transform: [0, -10, 10, 0, 400, y], width, height: 10, hasEOL: false })
    const lines = buildLines([down("Prep", 700, 20), down("rint", 680, 17), down("Series", 658, 28)])
    expect(lines).toEqual(["Preprint Series"])
  })
})

describe("de-hyphenation", () => {
  it("joins a lowercase word split at a line end", () => {
    expect(joinHyphenatedLines(["type spe-", "cialization for loops"])).toEqual(["type specialization for loops"])
    expect(joinHyphenatedLines(["soft hy\u00ad", "phen"])).toEqual(["soft hyphen"])
  })

  it("leaves hyphens alone when the next line starts uppercase or a digit, or no letter precedes", () => {
    expect(joinHyphenatedLines(["Trace-", "Monkey"])).toEqual(["Trace-", "Monkey"])
    expect(joinHyphenatedLines(["pages 3-", "7 of the report"])).toEqual(["pages 3-", "7 of the report"])
    expect(joinHyphenatedLines(["item -", "next"])).toEqual(["item -", "next"])
  })

  it("chains over several lines and across page breaks", () => {
    expect(joinHyphenatedLines(["a-", "b-", "c"])).toEqual(["abc"])
    expect(joinPages([["the object rep-"], ["resentation is", "shared"], [], ["last page"]])).toBe(
      "the object representation is\nshared\n\nlast page"
    )
  })
})

describe("PDF metadata heuristics", () => {
  it.each([
    ["Apparent and average accelerations of the Universe", "Apparent and average accelerations of the Universe"],
    ["Microsoft Word - 02. 206.doc", null],
    ["p020-dutot.dvi", null],
    ["paper.dvi", null],
    ["OECS12_Matthiesen-Atature", null],
    ["untitled", null],
    ["   ", null],
    ["  Spaced   out\ttitle ", "Spaced out title"]
  ])("title %j → %j", (raw, expected) => {
    expect(plausibleTitle(raw)).toBe(expected)
  })

  it("finds DOIs without trailing punctuation", () => {
    expect(findDoi("J. Cosmol. (doi:10.1088/1475-7516/2008/10/003).")).toBe("10.1088/1475-7516/2008/10/003")
    expect(findDoi("see https://doi.org/10.7717/peerj-cs.118, and more")).toBe("10.7717/peerj-cs.118")
    expect(findDoi("no identifier here")).toBeNull()
  })

  it("finds new- and old-style arXiv ids", () => {
    expect(findArxivId("arXiv:0908.0054v1 [astro-ph.CO] 1 Aug 2009")).toBe("0908.0054")
    expect(findArxivId("arXiv: 2101.12345")).toBe("2101.12345")
    expect(findArxivId("arXiv:hep-th/9901001v2")).toBe("hep-th/9901001")
    expect(findArxivId("nothing")).toBeNull()
  })

  it("requires %%EOF near the end, tolerating trailing whitespace", () => {
    expect(hasEofMarker(new Uint8Array(Buffer.from("%PDF-1.4\n...\n%%EOF\n\n  ")))).toBe(true)
    expect(hasEofMarker(new Uint8Array(Buffer.from("%PDF-1.4\n1 0 obj\n<< /Type")))).toBe(false)
    expect(hasEofMarker(new Uint8Array(Buffer.from("%PDF-1.4\n%%EOF\n" + "x".repeat(2000))))).toBe(false)
  })
})
