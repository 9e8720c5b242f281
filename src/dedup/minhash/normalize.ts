/**
 * Text normalisation for shingling, as FineWeb's MinHash step does it: lower case, diacritics removed,
 * digits folded to 0, punctuation turned into spaces, whitespace collapsed. Two documents that differ
 * only in these respects get the same shingles. Each step can be switched off in the pipeline config.
 */

export interface ShingleNormalization {
  readonly lowercase: boolean
  readonly stripDiacritics: boolean
  readonly foldDigits: boolean
  readonly removePunctuation: boolean
}

export const DEFAULT_NORMALIZATION: ShingleNormalization = {
  lowercase: true,
  stripDiacritics: true,
  foldDigits: true,
  removePunctuation: true
}

const COMBINING_MARKS = /\p{M}+/gu
const DIGITS = /\p{Nd}/gu
// Punctuation and symbols (Unicode P* and S*), so "e.g.", "x=y" and "a–b" split into words.
const PUNCTUATION = /[\p{P}\p{S}]+/gu
const WHITESPACE = /\s+/gu

/** Normalise `text` for shingling; the result's words are separated by single spaces, no ends. */
export function normalizeForShingles(text: string, options: ShingleNormalization = DEFAULT_NORMALIZATION): string {
  let s = text
  if (options.lowercase) s = s.toLowerCase()
  // NFD splits "é" into "e" + U+0301 so the mark can be dropped; NFC afterwards keeps other scripts intact.
  if (options.stripDiacritics) s = s.normalize("NFD").replace(COMBINING_MARKS, "").normalize("NFC")
  if (options.foldDigits) s = s.replace(DIGITS, "0")
  if (options.removePunctuation) s = s.replace(PUNCTUATION, " ")
  return s.replace(WHITESPACE, " ").trim()
}
