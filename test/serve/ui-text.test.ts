/**
 * The pure parts of the curators' pages: the word diff (both texts rebuilt exactly from its parts, and
 * no longer than an LCS-based edit script), the search pattern's escaping (checked by DuckDB itself),
 * the dataset card's Markdown (markup from the card never survives), and the charts' escaping.
 */
import { describe, expect, it } from "vitest"
import { openDuckDB } from "../../src/core/duckdb.ts"
import { barChart, columnChart, log2Bins } from "../../src/serve/ui/charts.ts"
import { diffWords, tokenize } from "../../src/serve/ui/diff.ts"
import { likePattern, markMatches } from "../../src/serve/ui/documents.ts"
import { renderCard } from "../../src/serve/ui/markdown.ts"

/** Edits (deleted + added tokens) of a shortest edit script, by the textbook LCS table. */
function lcsEdits(a: string[], b: string[]): number {
  const t: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) t[i]![j] = a[i] === b[j] ? t[i + 1]![j + 1]! + 1 : Math.max(t[i + 1]![j]!, t[i]![j + 1]!)
  return a.length + b.length - 2 * t[0]![0]!
}

/** A deterministic pseudo-random generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
}

describe("word diff", () => {
  it("rebuilds both texts from its parts and is a shortest edit script, on random edits of random texts", () => {
    const words = ["alpha", "beta", "gamma", "delta", "eps", "zeta", "eta"]
    const next = rng(42)
    for (let round = 0; round < 300; round++) {
      const n = Math.floor(next() * 30)
      const a = Array.from({ length: n }, () => words[Math.floor(next() * words.length)]!)
      const b = a.slice()
      for (let e = Math.floor(next() * 6); e > 0; e--) {
        const at = Math.floor(next() * (b.length + 1))
        if (next() < 0.5 && b.length > 0) b.splice(at, 1)
        else b.splice(at, 0, words[Math.floor(next() * words.length)]!)
      }
      const ta = a.join(" ")
      const tb = b.join(next() < 0.2 ? "  " : " ")
      const d = diffWords(ta, tb)!
      expect(d.parts.filter((p) => p.op !== "add").map((p) => p.text).join("")).toBe(ta)
      expect(d.parts.filter((p) => p.op !== "del").map((p) => p.text).join("")).toBe(tb)
      const edited = d.parts.filter((p) => p.op !== "same").reduce((k, p) => k + tokenize(p.text).length, 0)
      expect(edited).toBe(lcsEdits(tokenize(ta), tokenize(tb)))
    }
  })

  it("marks the changed words of a near duplicate, and gives up past its edit budget", () => {
    const d = diffWords("the cat sat on the mat", "the dog sat on the mat")!
    expect(d.parts).toEqual([
      { op: "same", text: "the " },
      { op: "del", text: "cat" },
      { op: "add", text: "dog" },
      { op: "same", text: " sat on the mat" }
    ])
    expect(diffWords("a b c d e f", "u v w x y z", 3)).toBeNull()
    expect(diffWords("same text", "same text")!.parts).toEqual([{ op: "same", text: "same text" }])
  })
})

describe("search pattern", () => {
  it("matches %, _ and \\ literally and anything else as a substring, case-insensitively (DuckDB ILIKE ... ESCAPE)", async () => {
    const { instance, connection } = await openDuckDB()
    try {
      const cases: Array<[string, string, boolean]> = [
        ["50%", "a 50% yield", true],
        ["50%", "a 500 yield", false],
        ["a_b", "see a_b here", true],
        ["a_b", "see axb here", false],
        ["C:\\temp", "path C:\\temp\\x", true],
        ["C:\\temp", "path C:temp", false],
        ["Raman", "in situ raman spectra", true],
        ["' OR '1'='1", "nothing", false]
      ]
      for (const [q, text, expected] of cases) {
        const r = await connection.runAndReadAll(`SELECT ? ILIKE ? ESCAPE '\\' AS hit`, [text, likePattern(q)])
        expect(r.getRowObjectsJS()[0]!.hit, `${q} in ${text}`).toBe(expected)
      }
    } finally {
      connection.closeSync()
      instance.closeSync()
    }
  })
})

describe("search snippets", () => {
  it("marks every case-insensitive match and escapes the rest", () => {
    expect(markMatches("Raman <b>raman</b> RAMAN", "raman").value).toBe("<mark>Raman</mark> &lt;b&gt;<mark>raman</mark>&lt;/b&gt; <mark>RAMAN</mark>")
    expect(markMatches("a<b", "<").value).toBe("a<mark>&lt;</mark>b")
    expect(markMatches("nothing here", "zz").value).toBe("nothing here")
  })
})

describe("dataset card and charts", () => {
  it("renders the card's headings, tables and code, and leaves markup from it as text", () => {
    const out = renderCard("---\nlicense: mit\n---\n# Title <script>x()</script>\n\nSome `code` and **bold**.\n\n| a | b |\n| --- | ---: |\n| <img src=x> | 2 |\n\n- item <b>\n").value
    expect(out).toContain("<details><summary>YAML header</summary>")
    expect(out).toContain("<h3>Title &lt;script&gt;x()&lt;/script&gt;</h3>")
    expect(out).toContain("<code>code</code>")
    expect(out).toContain("<strong>bold</strong>")
    expect(out).toContain("<td>&lt;img src=x&gt;</td><td>2</td>")
    expect(out).toContain("<li>item &lt;b&gt;</li>")
    expect(out).not.toMatch(/<script|<img|<b>/)
  })

  it("escapes labels in SVG and fills empty power-of-two bins", () => {
    const svg = barChart("By <format>", [{ label: "<script>", value: 3 }]).value + columnChart("t", [{ label: "a&b", value: 1 }]).value
    expect(svg).not.toContain("<script>")
    expect(svg).toContain("&lt;script&gt;")
    expect(svg).toContain("a&amp;b")
    const bins = log2Bins([{ bin: 2, documents: 5 }, { bin: 5, documents: 1 }], "characters")
    expect(bins.map((b) => [b.label, b.value])).toEqual([["4–8", 5], ["8–16", 0], ["16–32", 0], ["32–64", 1]])
  })
})
