/**
 * Words and word n-gram hashes for decontamination: the hot path, one pass over the text's char codes
 * into typed arrays, no substring per word.
 *
 * Normalisation (the same for evaluation items and documents, so an edit in case, punctuation,
 * accents, ligatures or line breaks does not hide a copy):
 * - letters and digits are kept, lowercased; each non-ASCII character is compatibility-decomposed
 *   (NFKD: ligatures, full-width and superscript forms fold to plain ones) and its combining marks are
 *   dropped, so "Café", "cafe" and "ｃａｆé" are one word;
 * - whitespace and punctuation separate words ("well-known" = "well known", "p<0.05" = "p 0 05"),
 *   except apostrophes, which are dropped ("don't" = "dont");
 * - a word keeps its character range in the original text (`start`, `end`), so matched passages can be cut.
 *
 * Each word gets two independent 32-bit hashes (FNV-1a and a multiplicative hash finished by fmix32);
 * an n-gram's hash is the pair of two order-sensitive polynomial (Rabin–Karp) hashes of its words'
 * hashes, rolled from one position to the next in constant time whatever n: 64 bits, so false matches
 * between 10^6 evaluation n-grams and 10^10 document n-grams stay improbable (≈ 10^16 / 2^64).
 * All arithmetic is 32-bit integer: the same hashes on every machine.
 */
import { fmix32 } from "../dedup/minhash/shingles.ts"

/** 13 words, as in the GPT-3 and Llama 2 contamination analyses. */
export const DEFAULT_NGRAM = 13

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
const SECOND_SEED = 0x27d4eb2f
const SECOND_MULTIPLIER = 0x165667b1
/** Odd multipliers of the two rolling hashes (odd: invertible mod 2^32, so no word's term is lost). */
const BASE_LO = 0x9e3779b1
const BASE_HI = 0x85ebca77
const SEED_LO = 0x2545f491
const SEED_HI = 0x61c88647

/** What a character is, for words: kept chars (ASCII after lowercasing), a separator, or dropped. */
const SEPARATOR = -1
const DROPPED = -2

/** ASCII classes: the lowercase char code for letters and digits, SEPARATOR or DROPPED for the rest. */
const ASCII_CLASS = new Int32Array(128)
for (let c = 0; c < 128; c++) {
  if ((c >= 48 && c <= 57) || (c >= 97 && c <= 122)) ASCII_CLASS[c] = c
  else if (c >= 65 && c <= 90) ASCII_CLASS[c] = c + 32
  else ASCII_CLASS[c] = c === 39 ? DROPPED : SEPARATOR
}

const WORD_CHAR = /[\p{L}\p{N}]/u
const MARK = /\p{M}/u
/** Non-ASCII code point → its normalised chars ("" when dropped), or null for a separator. Filled lazily. */
const nonAsciiCache = new Map<number, string | null>()

function normalizedNonAscii(codePoint: number): string | null {
  const cached = nonAsciiCache.get(codePoint)
  if (cached !== undefined) return cached
  let result: string | null
  const ch = String.fromCodePoint(codePoint)
  if (codePoint === 0x2019 || codePoint === 0x2018 || codePoint === 0x02bc) result = ""
  else if (MARK.test(ch)) result = ""
  else if (!WORD_CHAR.test(ch) && !WORD_CHAR.test(ch.normalize("NFKD"))) result = null
  else {
    let kept = ""
    for (const part of ch.normalize("NFKD").toLowerCase()) if (WORD_CHAR.test(part)) kept += part
    result = kept
  }
  nonAsciiCache.set(codePoint, result)
  return result
}

/**
 * Growable typed-array storage for one text's words and n-grams, reused across documents (one per
 * worker) so the hot path allocates nothing per document.
 */
export class NgramBuffer {
  wordLo = new Uint32Array(1024)
  wordHi = new Uint32Array(1024)
  wordStart = new Uint32Array(1024)
  wordEnd = new Uint32Array(1024)
  gramLo = new Uint32Array(1024)
  gramHi = new Uint32Array(1024)
  /** Words of the last `tokenize`. */
  words = 0
  /** N-grams of the last `ngrams` (words - n + 1, or 0 when there are fewer than n words). */
  grams = 0

  ensureWords(capacity: number): void {
    if (capacity <= this.wordLo.length) return
    const size = Math.max(capacity, this.wordLo.length * 2)
    const grow = (a: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> => {
      const b = new Uint32Array(size)
      b.set(a.subarray(0, this.words))
      return b
    }
    this.wordLo = grow(this.wordLo)
    this.wordHi = grow(this.wordHi)
    this.wordStart = grow(this.wordStart)
    this.wordEnd = grow(this.wordEnd)
  }

  ensureGrams(capacity: number): void {
    if (capacity <= this.gramLo.length) return
    const size = Math.max(capacity, this.gramLo.length * 2)
    this.gramLo = new Uint32Array(size)
    this.gramHi = new Uint32Array(size)
  }
}

/** Splits `text` into normalised words (hashes and character ranges in `buffer`); returns the word count. */
export function tokenize(text: string, buffer: NgramBuffer): number {
  buffer.words = 0
  // A word per two chars at most: one check up front instead of one per word.
  buffer.ensureWords((text.length >>> 1) + 1)
  const { wordLo, wordHi, wordStart, wordEnd } = buffer
  let count = 0
  let lo = FNV_OFFSET
  let hi = SECOND_SEED
  let start = -1
  let end = 0
  const length = text.length
  // One step past the end, read as a separator, closes the last word.
  for (let i = 0; i <= length; i++) {
    let c = i < length ? text.charCodeAt(i) : 32
    let kind: number
    let chars: string | null = null
    let width = 1
    if (c < 128) kind = ASCII_CLASS[c]!
    else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < length) {
        c = text.codePointAt(i)!
        width = c > 0xffff ? 2 : 1
      }
      chars = normalizedNonAscii(c)
      kind = chars === null ? SEPARATOR : chars === "" ? DROPPED : 0
    }
    if (kind === SEPARATOR) {
      if (start >= 0 && end > start) {
        wordLo[count] = lo >>> 0
        wordHi[count] = fmix32(hi)
        wordStart[count] = start
        wordEnd[count] = end
        count++
      }
      start = -1
      lo = FNV_OFFSET
      hi = SECOND_SEED
    } else if (kind !== DROPPED) {
      if (start < 0) start = i
      if (chars === null) {
        lo = Math.imul(lo ^ kind, FNV_PRIME)
        hi = Math.imul(hi ^ kind, SECOND_MULTIPLIER) + 0x7f4a7c15
      } else {
        for (let k = 0; k < chars.length; k++) {
          const u = chars.charCodeAt(k)
          lo = Math.imul(lo ^ u, FNV_PRIME)
          hi = Math.imul(hi ^ u, SECOND_MULTIPLIER) + 0x7f4a7c15
        }
      }
      end = i + width
    } else if (start >= 0) {
      // A dropped char inside a word (an apostrophe, an accent) stays inside its range.
      end = i + width
    }
    i += width - 1
  }
  buffer.words = count
  return count
}

/**
 * The 64-bit hashes (as lo/hi halves in `buffer.gramLo`/`gramHi`) of every run of `n` consecutive
 * words from the last `tokenize`; gram i covers words i..i+n-1. Returns the gram count (0 with fewer
 * than n words).
 */
export function ngrams(buffer: NgramBuffer, n: number): number {
  const words = buffer.words
  const count = words >= n ? words - n + 1 : 0
  buffer.grams = count
  if (count === 0) return 0
  buffer.ensureGrams(count)
  const { wordLo, wordHi, gramLo, gramHi } = buffer
  // Rabin–Karp over the word hashes in each half: H = Σ w[i+j]·B^(n-1-j) mod 2^32, rolled in O(1) per
  // position (drop the first word's term, shift by B, add the next word), then mixed by fmix32.
  let topLo = 1
  let topHi = 1
  for (let j = 1; j < n; j++) {
    topLo = Math.imul(topLo, BASE_LO)
    topHi = Math.imul(topHi, BASE_HI)
  }
  let lo = 0
  let hi = 0
  for (let j = 0; j < n; j++) {
    lo = (Math.imul(lo, BASE_LO) + wordLo[j]!) | 0
    hi = (Math.imul(hi, BASE_HI) + wordHi[j]!) | 0
  }
  for (let i = 0; ; i++) {
    gramLo[i] = fmix32(lo ^ SEED_LO)
    gramHi[i] = fmix32(hi ^ SEED_HI)
    if (i + 1 === count) break
    lo = (Math.imul((lo - Math.imul(wordLo[i]!, topLo)) | 0, BASE_LO) + wordLo[i + n]!) | 0
    hi = (Math.imul((hi - Math.imul(wordHi[i]!, topHi)) | 0, BASE_HI) + wordHi[i + n]!) | 0
  }
  return count
}

/** The normalised words of `text` as strings: for tests, reports and anyone checking what is compared. */
export function normalizedWords(text: string): string[] {
  const buffer = new NgramBuffer()
  const count = tokenize(text, buffer)
  const words: string[] = []
  for (let w = 0; w < count; w++) {
    let word = ""
    for (const ch of text.slice(buffer.wordStart[w], buffer.wordEnd[w])) {
      const cp = ch.codePointAt(0)!
      word += cp < 128 ? (ASCII_CLASS[cp]! >= 0 ? String.fromCharCode(ASCII_CLASS[cp]!) : "") : (normalizedNonAscii(cp) ?? "")
    }
    words.push(word)
  }
  return words
}
