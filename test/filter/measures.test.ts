/**
 * The filter's measures on small inputs whose numbers are worked out by hand in the comments, so a
 * change in how lines, words, n-grams or data tokens are counted shows up as a wrong number here.
 */
import { describe, expect, it } from "vitest"
import { characterMeasures, measureDocument, mojibakePer1k, proseMeasures } from "../../src/filter/measures.ts"
import type { QualityDocument } from "../../src/quality/document.ts"

const doc = (text: string, kind: QualityDocument["kind"] = "text", format = "plain-text", source_path = "x.txt"): QualityDocument => ({
  id: "id",
  text,
  kind,
  format,
  source_path,
  source_index: 0,
  title: null,
  metadata: "{}",
  bundle: null
})

describe("prose measures", () => {
  // 3 lines, the second a copy of the first; 9 words: The cat sat The cat sat A dog ran.
  const m = proseMeasures("The cat sat.\nThe cat sat.\nA dog ran!")

  it("counts lines, their duplicates and their shapes", () => {
    expect(m.dup_lines).toBeCloseTo(1 / 3, 10) // 1 line of 3 seen before
    expect(m.dup_line_chars).toBeCloseTo(12 / 36, 10) // "The cat sat." (12) of 36 characters
    expect(m.punct_lines).toBe(1) // every line ends in . or !
    expect(m.short_lines).toBeCloseTo(3 / 5, 10) // 3 short lines, taken over at least 5 lines
    expect(m.bullet_lines).toBe(0)
    expect(m.dup_paragraphs).toBe(0) // one paragraph (no blank line)
  })

  it("counts words, their length, stop words and sentences", () => {
    expect(m.words).toBe(9)
    expect(m.mean_word_length).toBeCloseTo(25 / 9, 10) // 8 words of 3 letters and "A", punctuation stripped
    expect(m.stop_words).toBe(2) // "The" twice; "A" is not one of Gopher's
    expect(m.sentences).toBe(3)
    expect(m.alpha_words).toBe(1)
  })

  it("measures the most frequent n-gram and duplicated n-grams over word characters", () => {
    // "the cat" and "cat sat" occur twice each: 2 × 6 characters of 25.
    expect(m.top_2gram).toBeCloseTo(12 / 25, 10)
    // "the cat sat" twice: 2 × 9 of 25.
    expect(m.top_3gram).toBeCloseTo(18 / 25, 10)
    // The five 5-grams are all different.
    expect(m.dup_5gram).toBe(0)
  })

  it("finds duplicated n-grams and skips past them as datatrove does", () => {
    // a b c d e a b c d e: the 5-gram at 5 repeats the one at 0 (5 characters of 10).
    expect(proseMeasures("a b c d e a b c d e").dup_5gram).toBeCloseTo(0.5, 10)
    // Ten times "x y": the top 2-gram "x y" covers 10 × 2 characters of 20.
    expect(proseMeasures("x y ".repeat(10)).top_2gram).toBe(1)
  })

  it("counts duplicated paragraphs", () => {
    const p = proseMeasures("Alpha beta gamma.\n\nAlpha beta gamma.\n\nDelta epsilon.")
    expect(p.dup_paragraphs).toBeCloseTo(1 / 3, 10)
    expect(p.dup_paragraph_chars).toBeCloseTo(17 / 52, 10)
  })

  it("counts '#' and ellipses per word, ellipsis and bullet lines", () => {
    // Words: Title, #tag, words, here..., and, more ("…" alone is not a word): 3 symbols / 6 words.
    const s = proseMeasures("Title\n#tag words here... and more …")
    expect(s.words).toBe(6)
    expect(s.symbol_word_ratio).toBeCloseTo(0.5, 10)
    expect(s.ellipsis_lines).toBeCloseTo(1 / 5, 10)
    expect(proseMeasures("• one\n• two\n- three\n* four\n– five\nsix").bullet_lines).toBeCloseTo(5 / 6, 10)
    // Markdown heading marks are not hashtags: 1 "#" (in "#science") per 5 words.
    expect(proseMeasures("## Methods\n### Data\nwe #science here").symbol_word_ratio).toBeCloseTo(1 / 5, 10)
  })

  it("strips punctuation from word ends and counts stop words of other languages", () => {
    expect(proseMeasures("(hello), world!").mean_word_length).toBe(5)
    expect(proseMeasures("Le chat et la souris").stop_words).toBe(3)
  })

  it("counts LaTeX glue as function words and row ends as sentences; leaves URLs out of the mean word length", () => {
    // Glue: "&" ×3, "\\begin{tabular}{ll}", "\\\\" ×2, "\\end{tabular}", "=": 8; row ends: "\\\\" ×2, "\\end{tabular}": 3.
    const t = proseMeasures("\\begin{tabular}{ll}\nmass & 32.1 \\\\\ng & 9.81 \\\\\n\\end{tabular}\n$x$ = $w$ & z")
    expect(t.stop_words).toBe(8)
    expect(t.sentences).toBe(3)
    // "see" (3) and "docs" (4): the link is a word for the count, not for the length.
    const u = proseMeasures("see https://example.org/a/very/long/path/to/a/page docs")
    expect(u.words).toBe(3)
    expect(u.mean_word_length).toBe(3.5)
  })

  it("counts boilerplate phrases per 100 words and lorem ipsum", () => {
    // 2 phrases in 10 words.
    const b = proseMeasures("This website uses cookies. Read our privacy policy now please.")
    expect(b.words).toBe(10)
    expect(b.boilerplate_per_100_words).toBeCloseTo(20, 10)
    expect(proseMeasures("Lorem ipsum dolor sit amet, lorem ipsum.").lorem_ipsum).toBe(2)
  })
})

describe("data and encoding measures", () => {
  it("counts number tokens and letters", () => {
    // Tokens 1.5 | 2.0e-3 | x | 4 | abc | 12%: 4 numbers of 6. Non-space characters 20, letters e x a b c: 5.
    expect(characterMeasures("1.5, 2.0e-3; x=4\nabc 12%")).toMatchObject({ number_tokens: 4 / 6, letter_fraction: 5 / 20, latin_share: 1 })
  })

  it("counts control characters and U+FFFD", () => {
    expect(characterMeasures("ab\u0000\uFFFD\tc").binary_chars).toBeCloseTo(2 / 6, 10)
    expect(characterMeasures("plain text\twith\r\nlayout").binary_chars).toBe(0)
  })

  it("tells the scripts of the letters", () => {
    // Letters: a b (Latin), α (Greek), 中 文 (Han): 2/5 Latin, 2/5 unspaced.
    expect(characterMeasures("ab α 中文 42")).toMatchObject({ latin_share: 2 / 5, unspaced_share: 2 / 5 })
  })

  it("finds UTF-8 read as Latin-1", () => {
    const clean = "café – naïve"
    const broken = Buffer.from(clean, "utf8").toString("latin1") // "cafÃ© Ã¢\u0080\u0093 naÃ¯ve": 3 sequences in 16 characters
    expect(broken.length).toBe(16)
    expect(mojibakePer1k(broken)).toBeCloseTo(3000 / 16, 10)
    expect(mojibakePer1k(clean)).toBe(0)
  })
})

describe("measureDocument", () => {
  it("gives prose kinds the prose, data and encoding measures, papers the PDF score too", () => {
    const text = "The results of the experiment agree with the model."
    const t = measureDocument(doc(text))
    expect(t.words).toBe(9)
    expect(t.number_tokens).toBe(0)
    expect(t.pdf_quality).toBeUndefined()
    // 2 (cid:N) runs and a U+FFFD in 6 whitespace tokens: 50 per 100.
    expect(measureDocument(doc("the (cid:12)(cid:7) value \uFFFD was high")).garbage_per_100_tokens).toBe(50)
    const p = measureDocument(doc(text, "paper", "pdf"))
    expect(p.pdf_quality).toBeGreaterThan(0.9)
    expect(p.garbage_per_100_tokens).toBe(0)
  })

  it("gives code ingest's content measures, rounded to 4 decimals", () => {
    // Lines "ab", "cdef", "x": longest 4, mean 7/3, alphanumeric 7 of 9 characters.
    const c = measureDocument(doc("ab\ncdef\nx", "code", "python", "a.py"))
    expect(c).toMatchObject({ code_max_line: 4, code_mean_line: 2.3333, code_alnum: 0.7778, code_generated: 0, code_minified: 0, code_numeric: 0 })
    expect(c.words).toBeUndefined()
  })

  it("gives the same scores whatever was measured before (the reused tables keep nothing of a document)", () => {
    const long = Array.from({ length: 3000 }, (_, i) => `word${i % 700} term${i % 13}`).join(" ")
    const texts = ["The cat sat.\nThe cat sat.\nA dog ran!", long, "a b c d e a b c d e", `${long}\n${long}`, "x y ".repeat(10)]
    const forward = texts.map((t) => measureDocument(doc(t)))
    const backward = [...texts].reverse().map((t) => measureDocument(doc(t))).reverse()
    expect(backward).toEqual(forward)
    expect(forward[2]!.dup_5gram).toBe(0.5)
  })

  it("measures repetition on the first 500,000 words only (bounded memory), words on all", () => {
    const first = Array.from({ length: 500_000 }, (_, i) => `w${i}`).join(" ")
    const m = proseMeasures(`${first} ${first.slice(0, first.indexOf(" w100000 "))}`)
    expect(m.words).toBe(600_000)
    expect(m.dup_5gram).toBe(0) // the repeated 100,000 words come after the cap
  })

  it("measures nothing on simulation summaries", () => {
    expect(measureDocument(doc("1 2 3 4 5 6", "simulation", "lammps-log"))).toEqual({})
  })
})
