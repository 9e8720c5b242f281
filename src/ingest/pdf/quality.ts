/**
 * How much a PDF's text layer looks like language: a score in [0, 1] with the signals it is made of,
 * so curators can find noisy OCR layers, `(cid:…)` runs from fonts without a Unicode map, and symbol
 * soup before such text reaches training. Pure and cheap (one pass of regexes).
 */

export interface TextQuality {
  /** 1 for clean prose; below QUALITY_FLAG_BELOW the document is flagged. */
  readonly score: number
  /** Letters among non-space characters. */
  readonly letter_ratio: number
  /** Tokens that look like words (letters, a vowel in Latin script, ordinary length) among all tokens. */
  readonly word_ratio: number
  /** One-character tokens among all tokens ("s p a c e d" text from broken spacing). */
  readonly single_char_ratio: number
  /** `(cid:N)` runs, U+FFFD and private-use characters per 100 tokens. */
  readonly garbage_per_100_tokens: number
  readonly flagged: boolean
}

export const QUALITY_FLAG_BELOW = 0.6

const round3 = (x: number): number => Math.round(x * 1000) / 1000

/** `(cid:N)` runs, U+FFFD and private-use characters: glyphs a text layer could not map to Unicode. */
export function garbageGlyphs(text: string): number {
  const cid = text.match(/\(cid:\d+\)/g)?.length ?? 0
  const odd = text.match(/[\uFFFD\uE000-\uF8FF]/g)?.length ?? 0
  return cid + odd
}

export function textQuality(text: string): TextQuality {
  const nonSpace = text.replace(/\s+/g, "").length
  const letters = text.replace(/[^\p{L}]/gu, "").length
  const tokens = text.split(/\s+/).filter((t) => t !== "")
  let wordLike = 0
  let single = 0
  for (const raw of tokens) {
    const t = raw.replace(/^[("'“‘[]+|[)"'”’\].,;:!?]+$/gu, "")
    if (t.length === 1) single++
    // Single letters are words only as "a", "A", "I" (or in scripts without word spaces, handled below).
    if (t.length === 1 && !/^[aAI]$/.test(t) && /^[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}]$/u.test(t)) continue
    if (t.length === 0 || t.length > 24 || !/^[\p{L}\p{M}]+(?:[-'’][\p{L}\p{M}]+)*$/u.test(t)) continue
    // Latin-script words have a vowel; other scripts (Greek, Cyrillic, CJK) count as they are.
    if (/^[A-Za-z'’-]+$/.test(t) && !/[aeiouyAEIOUY]/.test(t) && t.length > 3) continue
    wordLike++
  }
  const n = Math.max(1, tokens.length)
  const letterRatio = nonSpace === 0 ? 0 : letters / nonSpace
  const wordRatio = wordLike / n
  const singleRatio = single / n
  const garbage = (garbageGlyphs(text) / n) * 100
  let score = 0.4 * Math.min(1, letterRatio / 0.75) + 0.4 * Math.min(1, wordRatio / 0.7) + 0.2 * (1 - Math.min(1, singleRatio / 0.3))
  score *= 1 - Math.min(1, garbage / 10)
  return {
    score: round3(score),
    letter_ratio: round3(letterRatio),
    word_ratio: round3(wordRatio),
    single_char_ratio: round3(singleRatio),
    garbage_per_100_tokens: round3(garbage),
    flagged: score < QUALITY_FLAG_BELOW
  }
}
