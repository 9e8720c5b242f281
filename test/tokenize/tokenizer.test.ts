import { describe, expect, it } from "vitest"
import { MAX_RUN, openTokenizer, safePieces } from "../../src/tokenize/tokenizer.ts"

describe("tokenizer", () => {
  const words = Array.from({ length: 30_000 }, (_, i) => ["protein", "folding", "kinetics", "at", "298", "K,", "ΔG", "=", "-4.2", "kcal/mol"][i % 10]).join(" ")

  it("counts long prose exactly the same in chunks as in one piece", () => {
    for (const name of ["o200k_base", "cl100k_base"] as const) {
      const t = openTokenizer(name)
      try {
        expect(words.length).toBeGreaterThan(100_000)
        expect(t.count(words)).toBe(t.encode(words).length)
      } finally {
        t.free()
      }
    }
  })

  it("cuts chunks only before a space that starts a word, and keeps every character", () => {
    const text = `${words}\n\n  indented   spaces\t and\ttabs ${words}`
    const pieces = [...safePieces(text)]
    expect(pieces.join("")).toBe(text)
    expect(pieces.length).toBeGreaterThan(1)
    for (const p of pieces.slice(1)) expect(p.startsWith(" ") || /^\S/.test(p)).toBe(true)
  })

  it("handles a megabyte of DNA without spaces in bounded time, cut into runs of MAX_RUN", () => {
    let dna = ""
    let x = 12345
    for (let i = 0; i < 1_000_000; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff
      dna += "ACGT"[x >> 29 & 3]
    }
    const pieces = [...safePieces(dna)]
    expect(pieces.join("")).toBe(dna)
    expect(Math.max(...pieces.map((p) => p.length))).toBe(MAX_RUN)
    const t = openTokenizer("o200k_base")
    try {
      const n = t.count(dna)
      // DNA tokenizes at a few characters per token; the point is that it finishes at all.
      expect(n).toBeGreaterThan(100_000)
      expect(n).toBeLessThan(1_000_000)
    } finally {
      t.free()
    }
  })

  it("encodes special-token text as ordinary text", () => {
    const t = openTokenizer("o200k_base")
    try {
      expect(t.count("<|endoftext|>")).toBeGreaterThan(1)
    } finally {
      t.free()
    }
  })
})
