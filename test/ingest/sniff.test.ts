import { describe, expect, it } from "vitest"
import { detectMagic, findInvalidUtf8, hasPdfHeader, hasUtf8Bom, sniff } from "../../src/ingest/sniff.ts"

const bytes = (...parts: Array<string | number[]>): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "string" ? Array.from(Buffer.from(p, "latin1")) : p)))

describe("sniff", () => {
  it("finds %PDF- anywhere in the first 1024 bytes, not later", () => {
    expect(sniff(bytes("%PDF-1.7\n"))._tag).toBe("Pdf")
    expect(sniff(bytes("x".repeat(500), "%PDF-1.4\n"))._tag).toBe("Pdf")
    expect(hasPdfHeader(bytes("x".repeat(1100), "%PDF-1.4\n"))).toBe(false)
  })

  it.each([
    ["HDF5", [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]],
    ["netCDF classic", [0x43, 0x44, 0x46, 0x01, 0, 0, 0, 0]],
    ["netCDF 64-bit offset", [0x43, 0x44, 0x46, 0x02, 0, 0]],
    ["Parquet", [0x50, 0x41, 0x52, 0x31, 0x15, 0x04]],
    ["gzip", [0x1f, 0x8b, 0x08, 0x00]],
    ["zip", [0x50, 0x4b, 0x03, 0x04, 0x14]],
    ["PNG", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
    ["JPEG", [0xff, 0xd8, 0xff, 0xe0]],
    ["ELF", [0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]]
  ])("recognises %s by its magic number", (type, magic) => {
    expect(sniff(new Uint8Array(magic))).toEqual({ _tag: "Binary", type })
  })

  it("finds HDF5 after a 512-byte user block", () => {
    const head = new Uint8Array(1024).fill(0x20)
    head.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], 512)
    expect(detectMagic(head)).toBe("HDF5")
  })

  it("calls NUL bytes and a high share of control bytes binary, but not text with tabs and CRLF", () => {
    expect(sniff(bytes("abc", [0], "def"))._tag).toBe("Binary")
    const controls = bytes(...Array.from({ length: 100 }, (_, i) => (i % 5 === 0 ? [0x01] : "a")))
    expect(sniff(controls)).toMatchObject({ _tag: "Binary", type: expect.stringContaining("control bytes") })
    expect(sniff(bytes("col1\tcol2\r\n1\t2\r\n\f"))._tag).toBe("Text")
    expect(sniff(new Uint8Array(Buffer.from("Ångström, 25 °C, ∫ f(x) dx\n", "utf8")))._tag).toBe("Text")
  })

  it("detects the UTF-8 BOM", () => {
    expect(hasUtf8Bom(bytes([0xef, 0xbb, 0xbf], "x"))).toBe(true)
    expect(hasUtf8Bom(bytes("x"))).toBe(false)
  })
})

describe("findInvalidUtf8", () => {
  it("returns -1 for valid UTF-8, including 4-byte sequences", () => {
    expect(findInvalidUtf8(new Uint8Array(Buffer.from("plain ascii", "utf8")))).toBe(-1)
    expect(findInvalidUtf8(new Uint8Array(Buffer.from("µ → 𝔼[x] 😀", "utf8")))).toBe(-1)
  })

  it.each([
    ["a Latin-1 byte", bytes("25 ", [0xb0], "C"), 3],
    ["an overlong encoding", bytes("ab", [0xc0, 0xaf]), 2],
    ["a UTF-16 surrogate", bytes("x", [0xed, 0xa0, 0x80]), 1],
    ["a sequence cut off at the end", bytes("abc", [0xe2, 0x82]), 3],
    ["a code point above U+10FFFF", bytes([0xf4, 0x90, 0x80, 0x80]), 0],
    ["a stray continuation byte", bytes("ok", [0x80]), 2]
  ])("locates %s", (_, input, offset) => {
    expect(findInvalidUtf8(input)).toBe(offset)
  })
})
