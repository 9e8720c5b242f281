/**
 * The fused ASCII path of shingling (shingleHashesOfText) must give exactly what normalising and then
 * shingling gives: signatures computed either way must match, or released signatures would stop
 * matching new ones.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { DEFAULT_NORMALIZATION, normalizeForShingles } from "../../src/dedup/minhash/normalize.ts"
import { ShingleBuffer, shingleHashes, shingleHashesOfText } from "../../src/dedup/minhash/shingles.ts"
import { corpusDir, hasCorpus } from "../helpers.ts"

/** Characters whose normalisation depends on context or composes: final sigma, marks, jamo, NBSP, surrogates, İ. */
const UNICODE = ["Σ", "σ", "ς", "\u0301", "\u0338", "é", "É", "İ", "\u1100", "\u1161", "\u11a8", "\u00a0", "\u2009", "😀", "１", "٣", "–", "·", "ß", "ﬁ", "Å", "\u0b3e"]

const general = (text: string, n: number) => Array.from(shingleHashes(normalizeForShingles(text, DEFAULT_NORMALIZATION), n))
const fused = (text: string, n: number, buffer?: ShingleBuffer) => Array.from(shingleHashesOfText(text, n, DEFAULT_NORMALIZATION, buffer))

describe("fused ASCII shingling", () => {
  it("matches the general path on every ASCII character, in random texts", () => {
    let seed = 12345
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), seed >>> 8)
    for (let t = 0; t < 400; t++) {
      let text = ""
      const len = next() % 300
      for (let i = 0; i < len; i++) {
        const r = next() % 10
        text += r < 2 ? " " : r < 3 ? UNICODE[next() % UNICODE.length]! : String.fromCharCode(next() % 128)
      }
      for (const n of [1, 3, 5]) expect(fused(text, n), JSON.stringify(text)).toEqual(general(text, n))
    }
  })

  it("matches on science text with case, digits, punctuation, and falls back for non-ASCII", () => {
    const buffer = new ShingleBuffer(8)
    for (const text of [
      "The H2O molecule (bond angle 104.5°) was relaxed with PBE0/def2-TZVP; E = -76.42 Eh.",
      "Café-au-lait spots in NF1: 6+ spots > 5 mm (pre-pubertal).",
      "ΔG = ΔH − TΔS at 298.15 K",
      "x",
      "",
      "  ...  "
    ]) {
      expect(fused(text, 5, buffer)).toEqual(general(text, 5))
    }
  })
})

describe.skipIf(!hasCorpus)("fused shingling on the shared abstracts (needs ../shared/corpus)", () => {
  it("gives the same shingles as the general path for every abstract", () => {
    const dir = path.join(corpusDir, "text")
    let checked = 0
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".jsonl"))) {
      for (const line of fs.readFileSync(path.join(dir, f), "utf8").split("\n")) {
        if (!line.trim()) continue
        const { text } = JSON.parse(line) as { text: string }
        const a = fused(text, 5)
        const b = general(text, 5)
        if (a.length !== b.length || a.some((v, i) => v !== b[i])) expect.fail(`mismatch on ${text.slice(0, 80)}`)
        checked++
      }
    }
    expect(checked).toBeGreaterThan(2500)
  })
})
