/**
 * Word n-gram shingles of a normalised text, as 32-bit hashes.
 *
 * Every hash here is defined by the code below over UTF-16 code units (FNV-1a per word, murmur3's
 * fmix32 to chain words), never by a platform hash, so a signature computed on one machine or Node
 * version matches one computed on another: released data can be deduplicated against later.
 *
 * The scan walks the string's char codes once and keeps word hashes in a typed array; it makes no
 * substring per word, which is what `split(" ")` would cost on a few billion words.
 */

import { normalizeForShingles, type ShingleNormalization } from "./normalize.ts"

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
/** Starting state of a shingle's chain; any fixed odd constant, fixed forever (it is part of the format). */
const SHINGLE_SEED = 0x5bd1e995
/** Multiplier of the shingle chain (2^32 / golden ratio): spreads the previous state before the next word. */
const CHAIN_MULTIPLIER = 0x9e3779b1
const SPACE = 0x20

/** murmur3's 32-bit finaliser: a bijection on 32-bit values in which every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** FNV-1a over the UTF-16 code units of `word`: the hash every word of a normalised text gets. */
export function wordHash(word: string): number {
  let h = FNV_OFFSET
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), FNV_PRIME)
  return h >>> 0
}

/**
 * The hash of a run of word hashes, order-sensitive: h = fmix32(h · φ ⊕ w) for each word in turn.
 * Exported so tests (and anyone re-deriving a shingle) can compute one from its words.
 */
export function combineWordHashes(words: ArrayLike<number>, start = 0, count = words.length - start): number {
  let h = SHINGLE_SEED
  for (let j = start; j < start + count; j++) h = fmix32(Math.imul(h, CHAIN_MULTIPLIER) ^ words[j]!)
  return h
}

/**
 * Reusable storage for `shingleHashes`: one growing Uint32Array, first filled with word hashes and
 * then overwritten in place by the shingle hashes (shingle i needs words i..i+n-1 only, so writing it
 * over word i loses nothing still needed). One buffer per worker avoids an allocation per document.
 */
export class ShingleBuffer {
  data: Uint32Array
  constructor(capacity = 4096) {
    this.data = new Uint32Array(Math.max(16, capacity))
  }
  /** Doubles the storage, keeping the first `used` values. */
  grow(used: number): Uint32Array {
    const next = new Uint32Array(this.data.length * 2)
    next.set(this.data.subarray(0, used))
    this.data = next
    return next
  }
}

/**
 * Word hashes of `normalized` into `buffer.data`, returning how many words there are. Words are the
 * runs between spaces (normalizeForShingles separates words by single spaces; runs of spaces are
 * tolerated and make no empty words).
 */
export function wordHashes(normalized: string, buffer: ShingleBuffer): number {
  let data = buffer.data
  let count = 0
  let h = FNV_OFFSET
  let inWord = false
  const length = normalized.length
  for (let i = 0; i < length; i++) {
    const c = normalized.charCodeAt(i)
    if (c === SPACE) {
      if (!inWord) continue
      if (count === data.length) data = buffer.grow(count)
      data[count++] = h
      h = FNV_OFFSET
      inWord = false
    } else {
      h = Math.imul(h ^ c, FNV_PRIME)
      inWord = true
    }
  }
  if (inWord) {
    if (count === data.length) data = buffer.grow(count)
    data[count++] = h
  }
  return count
}

/**
 * The hashes of the `n`-word shingles of a normalised text (every window of n consecutive words, in
 * order; repeats are kept, MinHash ignores them). A text of fewer than n words, but at least one, gets
 * a single shingle of all its words, so short documents still have a signature; an empty text has none.
 *
 * With `out`, the result is a view of `out`'s storage, valid until the next call with the same buffer;
 * without it, a fresh array.
 */
export function shingleHashes(normalized: string, n: number, out?: ShingleBuffer): Uint32Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`shingle size must be a positive integer, got ${n}`)
  const buffer = out ?? new ShingleBuffer(normalized.length >>> 3)
  const words = wordHashes(normalized, buffer)
  const count = chainInPlace(buffer.data, words, n)
  return out ? buffer.data.subarray(0, count) : buffer.data.slice(0, count)
}

/** Replaces the first `words` word hashes of `data` by the shingle hashes; returns the shingle count. */
function chainInPlace(data: Uint32Array, words: number, n: number): number {
  if (words === 0) return 0
  const width = Math.min(n, words)
  const count = words - width + 1
  for (let i = 0; i < count; i++) data[i] = combineWordHashes(data, i, width)
  return count
}

/** ASCII character classes for the fused path: what normalizeForShingles does to each code. */
const KEEP = 0
const SEPARATE = 1
const LOWER = 2
const DIGIT = 3
const ASCII_CLASS = (() => {
  const t = new Uint8Array(128).fill(KEEP) // controls other than whitespace, and DEL, stay inside words (as in the regexes)
  for (const c of [9, 10, 11, 12, 13, 32]) t[c] = SEPARATE // \s
  for (let c = 33; c < 127; c++) {
    const ch = String.fromCharCode(c)
    if (/[\p{P}\p{S}]/u.test(ch)) t[c] = SEPARATE
    else if (c >= 65 && c <= 90) t[c] = LOWER
    else if (c >= 48 && c <= 57) t[c] = DIGIT
  }
  return t
})()

/** ASCII whitespace (\t \n \v \f \r and space): tokens between these are normalised independently. */
const isAsciiSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13)

/**
 * Shingle hashes straight from raw text: the same values as
 * `shingleHashes(normalizeForShingles(text, normalization), n, out)`, in one pass over the char codes.
 * ASCII is classified by a table (that skips four regex passes and two Unicode normalisations per
 * document, most of the cost of signing). A whitespace-delimited token holding any non-ASCII
 * character goes through normalizeForShingles on its own; that is exact because no normalisation step
 * looks across ASCII whitespace (lower-casing's final-sigma context stops at it, it composes with
 * nothing, and it is a word boundary). Non-default normalisations take the general path.
 */
export function shingleHashesOfText(text: string, n: number, normalization: ShingleNormalization, out?: ShingleBuffer): Uint32Array {
  const defaults = normalization.lowercase && normalization.stripDiacritics && normalization.foldDigits && normalization.removePunctuation
  if (!defaults) return shingleHashes(normalizeForShingles(text, normalization), n, out)
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`shingle size must be a positive integer, got ${n}`)
  const buffer = out ?? new ShingleBuffer(text.length >>> 3)
  let data = buffer.data
  let words = 0
  let h = FNV_OFFSET
  let inWord = false
  let tokenStart = 0
  let tokenWords = 0
  const length = text.length
  for (let i = 0; i < length; i++) {
    let c = text.charCodeAt(i)
    if (c >= 128) {
      // Undo this token's words so far and normalise the whole token the general way.
      let end = i + 1
      while (end < length && !isAsciiSpace(text.charCodeAt(end))) end++
      words = tokenWords
      const normalized = normalizeForShingles(text.slice(tokenStart, end), normalization)
      if (normalized.length > 0) {
        for (const word of normalized.split(" ")) {
          if (words === data.length) data = buffer.grow(words)
          data[words++] = wordHash(word)
        }
      }
      h = FNV_OFFSET
      inWord = false
      i = end - 1
      continue
    }
    const kind = ASCII_CLASS[c]!
    if (kind === SEPARATE) {
      if (inWord) {
        if (words === data.length) data = buffer.grow(words)
        data[words++] = h
        h = FNV_OFFSET
        inWord = false
      }
      if (isAsciiSpace(c)) {
        tokenStart = i + 1
        tokenWords = words
      }
      continue
    }
    if (kind === LOWER) c += 32
    else if (kind === DIGIT) c = 48
    h = Math.imul(h ^ c, FNV_PRIME)
    inWord = true
  }
  if (inWord) {
    if (words === data.length) data = buffer.grow(words)
    data[words++] = h
  }
  const count = chainInPlace(buffer.data, words, n)
  return out ? buffer.data.subarray(0, count) : buffer.data.slice(0, count)
}
