/**
 * Text in other encodings is decoded, not rejected: UTF-16 and UTF-32 with or without a BOM, Latin-1,
 * Windows-1252, and UTF-8 with a few bad bytes (kept with U+FFFD). Each document records
 * metadata.encoding and counts noted:decoded:<encoding>; only real binary is rejected. Files built here.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { controlShare, decodeText, guessEncoding } from "../../src/ingest/encoding.ts"
import { expectDocument, extractOne, reasonOf } from "./support.ts"

const dir = mkdtempSync(path.join(tmpdir(), "scicurate-enc-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string, bytes: Uint8Array): string => {
  const p = path.join(dir, name)
  writeFileSync(p, bytes)
  return p
}

const NOTE = "Lab note, 12 March: the sample was held at 25 °C; the café's résumé of naïve results was reviewed.\n"
const SMART = "He said \u201cthe anneal at 450 \u00b0C worked\u201d \u2014 it\u2019s reproducible, and costs \u20ac30 per run.\n"

/** UTF-32 by hand (Node has no UTF-32 encoder). */
function utf32(text: string, littleEndian: boolean, bom: boolean): Buffer {
  const cps = [...(bom ? "\ufeff" : ""), ...text].map((c) => c.codePointAt(0)!)
  const b = Buffer.alloc(cps.length * 4)
  cps.forEach((cp, i) => (littleEndian ? b.writeUInt32LE(cp, i * 4) : b.writeUInt32BE(cp, i * 4)))
  return b
}
const utf16be = (text: string): Buffer => Buffer.from(text, "utf16le").swap16()

async function decoded(name: string, bytes: Uint8Array) {
  const item = await extractOne(file(name, bytes))
  const doc = expectDocument(item)
  return { doc, metadata: JSON.parse(doc.metadata) as Record<string, unknown>, notes: item._tag === "Document" ? (item.notes ?? {}) : {} }
}

describe("legacy encodings are decoded, with the encoding recorded and counted", () => {
  it("a Latin-1 note", async () => {
    const { doc, metadata, notes } = await decoded("note.txt", Buffer.from(NOTE, "latin1"))
    expect(doc.text).toBe(NOTE.trim())
    expect(metadata.encoding).toMatch(/^(iso-8859-1|windows-1252)$/)
    expect(notes).toEqual({ [`decoded:${metadata.encoding as string}`]: 1 })
  })

  it("Windows-1252 with smart quotes, a dash and the euro sign", async () => {
    // 0x93/0x94 quotes, 0x97 em dash, 0x92 apostrophe, 0x80 euro: undefined in Latin-1, so only 1252 gets them right.
    const bytes = Buffer.from(SMART.replace(/[\u201c\u201d\u2014\u2019\u20ac]/g, (c) => ({ "\u201c": "\x93", "\u201d": "\x94", "\u2014": "\x97", "\u2019": "\x92", "\u20ac": "\x80" })[c]!), "latin1")
    const { doc, metadata, notes } = await decoded("quotes.txt", bytes)
    expect(doc.text).toBe(SMART.trim())
    expect(metadata.encoding).toBe("windows-1252")
    expect(notes["decoded:windows-1252"]).toBe(1)
  })

  it.each([
    ["UTF-16LE with BOM", "utf-16le", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(SMART, "utf16le")])],
    ["UTF-16LE without BOM", "utf-16le", Buffer.from(SMART, "utf16le")],
    ["UTF-16BE with BOM", "utf-16be", Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(SMART)])],
    ["UTF-16BE without BOM", "utf-16be", utf16be(SMART)],
    ["UTF-32LE with BOM", "utf-32le", utf32(SMART, true, true)],
    ["UTF-32BE without BOM", "utf-32be", utf32(SMART, false, false)]
  ])("%s", async (_label, encoding, bytes) => {
    const { doc, metadata, notes } = await decoded("wide.txt", bytes)
    expect(doc.text).toBe(SMART.trim())
    expect(doc.kind).toBe("text")
    expect(metadata.encoding).toBe(encoding)
    expect(notes[`decoded:${encoding}`]).toBe(1)
    expect((metadata.reader as { id: string }).id).toBe("text")
  })

  it("a UTF-16 Markdown file is still Markdown, titled by its heading", async () => {
    const md = "# Thermal transport in SiGe\n\nPhonons scatter at **alloy** disorder; see [the data](https://example.org/d).\n"
    const { doc, metadata } = await decoded("notes.md", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(md, "utf16le")]))
    expect(doc).toMatchObject({ format: "markdown", title: "Thermal transport in SiGe" })
    expect(metadata.encoding).toBe("utf-16le")
  })

  it("UTF-8 with a few bad bytes is kept with U+FFFD, counted; no encoding guess replaces it", async () => {
    const good = "Grain growth in ṁagnesium alloys — measured at 300 °C, 350 °C and 400 °C — follows Hillert’s law. ".repeat(4)
    const bytes = Buffer.concat([Buffer.from(good, "utf8"), Buffer.from([0xff]), Buffer.from(" end of the note.", "utf8")])
    const { doc, metadata, notes } = await decoded("mostly.txt", bytes)
    expect(doc.text).toBe(`${good}\uFFFD end of the note.`.trim())
    expect(metadata).toMatchObject({ encoding: "utf-8", invalid_bytes_replaced: 1 })
    expect(notes).toEqual({ "invalid-utf8-replaced": 1 })
  })

  it("plain UTF-8 records no encoding and no note", async () => {
    const { metadata, notes } = await decoded("plain.txt", Buffer.from(SMART, "utf8"))
    expect(metadata.encoding).toBeUndefined()
    expect(notes).toEqual({})
  })

  it("binary after a long text header (FITS: 28 KB of ASCII cards, then pixels) is binary, not text", async () => {
    const header = Buffer.from("SIMPLE  =                    T / conforms to FITS standard".padEnd(80) .repeat(360), "latin1")
    const pixels = Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 37) & 0xff))
    const item = await extractOne(file("image.fits", Buffer.concat([header, pixels])))
    expect(reasonOf(item)).toBe("Rejected:binary-file")
    expect(item._tag !== "Document" && item.detail).toMatch(/NUL byte at offset 28800/)
  })

  it("real binary is still rejected as binary-file", async () => {
    // Deterministic pseudo-random bytes (no magic number, many control bytes and NULs).
    let x = 12345
    const bytes = Buffer.alloc(4096, 0).map(() => ((x = (x * 1103515245 + 12345) & 0x7fffffff), x >> 16) & 0xff)
    expect(reasonOf(await extractOne(file("blob.txt", bytes)))).toBe("Rejected:binary-file")
  })
})

describe("encoding detection (pure)", () => {
  it("BOMs decide, UTF-32 before UTF-16", () => {
    expect(guessEncoding(utf32("abc", true, true))).toMatchObject({ encoding: "utf-32le", bomBytes: 4, how: "bom" })
    expect(guessEncoding(Buffer.from([0xff, 0xfe, 0x41, 0]))).toMatchObject({ encoding: "utf-16le", bomBytes: 2 })
    expect(guessEncoding(Buffer.from([0xef, 0xbb, 0xbf, 0x41]))).toMatchObject({ encoding: "utf-8", bomBytes: 3 })
  })

  it("a head cut inside a UTF-8 character is still UTF-8", () => {
    const bytes = Buffer.from("Résumé of the run: 25 °C", "utf8")
    const cut = bytes.subarray(0, bytes.indexOf(0xc2) + 1) // the first byte of "°" only
    expect(guessEncoding(cut, true).encoding).toBe("utf-8")
  })

  it("decodes UTF-32 by hand, invalid code points as U+FFFD", () => {
    const bad = Buffer.concat([utf32("ok", true, false), Buffer.from([0, 0, 0x11, 0])]) // 0x110000
    expect(decodeText(Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), bad])).text).toBe("ok\uFFFD")
  })

  it("control characters measure binary-ness after decoding", () => {
    expect(controlShare("plain words\n")).toBe(0)
    expect(controlShare("\u0001\u0002ab")).toBe(0.5)
  })
})
