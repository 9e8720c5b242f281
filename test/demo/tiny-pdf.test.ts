import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { escapePdfString, makeTinyPdf, textWidth, wrap } from "../../src/demo/tiny-pdf.ts"
import { TINY_PAPER } from "../../src/demo/sample-corpus.ts"
import { requirePresent } from "../helpers.ts"

const hasPdftotext = requirePresent(
  "pdftotext (Debian poppler-utils; make system-deps)",
  (() => {
    try {
      execFileSync("pdftotext", ["-v"], { stdio: "ignore" })
      return true
    } catch {
      return false
    }
  })(),
  "the poppler check of the tiny PDF"
)

describe("tiny-pdf", () => {
  const pdf = Buffer.from(makeTinyPdf(TINY_PAPER))
  const text = pdf.toString("latin1")

  it("has a header, a trailer and an xref table whose offsets point at their objects", () => {
    expect(text.startsWith("%PDF-1.4\n")).toBe(true)
    expect(text.endsWith("%%EOF\n")).toBe(true)
    const startxref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1])
    expect(text.slice(startxref, startxref + 5)).toBe("xref\n")
    const [, count] = /^xref\n0 (\d+)\n/.exec(text.slice(startxref))!
    const entries = text.slice(startxref).split("\n").slice(2, 2 + Number(count))
    expect(entries[0]).toBe("0000000000 65535 f ")
    entries.slice(1).forEach((entry, i) => {
      expect(entry).toMatch(/^\d{10} 00000 n $/)
      const offset = Number(entry.slice(0, 10))
      expect(text.slice(offset, offset + `${i + 1} 0 obj`.length)).toBe(`${i + 1} 0 obj`)
    })
  })

  it("declares stream lengths that match the stream bytes", () => {
    for (const m of text.matchAll(/<< \/Length (\d+) >>\nstream\n/g)) {
      const start = m.index + m[0].length
      expect(text.slice(start + Number(m[1]), start + Number(m[1]) + "endstream".length)).toBe("endstream")
    }
  })

  it("is deterministic", () => {
    expect(Buffer.from(makeTinyPdf(TINY_PAPER))).toEqual(pdf)
  })

  it("wraps, measures and escapes", () => {
    expect(textWidth("iii", 10)).toBeCloseTo(6.66)
    expect(wrap("alpha beta gamma delta", 10, 60)).toEqual(["alpha beta", "gamma delta"])
    expect(escapePdfString("f(x) = a\\b")).toBe("f\\(x\\) = a\\\\b")
    expect(() => makeTinyPdf({ heading: "Caf\u00e9", pages: [[]] })).toThrow(/ASCII/)
  })

  it.skipIf(!hasPdftotext)("poppler reads it too", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "scicurate-tinypdf-"))
    try {
      const file = path.join(dir, "t.pdf")
      writeFileSync(file, pdf)
      const out = execFileSync("pdftotext", [file, "-"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
      expect(out).toContain("Heat Capacity Anomalies in Layered Magnetic Crystals")
      expect(out).toContain("5. Conclusion.")
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
