/**
 * Tokenizers: tiktoken's WASM encoders, which ship their vocabularies inside the package (no download).
 *
 * tiktoken first splits a text into pieces with a regex (the encoding's pre-tokenizer, PRETOKENIZER_PATTERNS
 * below), then runs BPE on each piece. BPE time is quadratic in the length of one piece (4 kB of one
 * repeated character: ~10 ms; 100 kB: ~13 s) and tiktoken's WASM traps on pieces of a megabyte, so a DNA
 * sequence or a run of one character would stall or kill a task. `count` therefore encodes long texts in
 * chunks of at most MAX_PIECE_BYTES UTF-8 bytes (`safePieces`), cut only where the pre-tokenizer starts a
 * new piece anyway and where ending the chunk there cannot change how the piece before the cut is matched.
 * Then the sum of the chunk counts is exactly the count of the whole text (given that JS and tiktoken's
 * Rust regex agree on Unicode properties, which can differ only for chars of the newest Unicode versions).
 *
 * The cut points: near each chunk's end, first the nearest of these (cheap to test, and piece starts in
 * both o200k_base and cl100k_base whatever comes before; each was checked against tiktoken by fuzzing):
 *  - a horizontal whitespace char (whitespace other than \r, \n) after a non-whitespace char, or before one;
 *  - a non-whitespace char other than `/` right after \r or \n (o200k_base's punctuation pieces end in `[\r\n/]*`);
 *  - between a digit and a non-digit, neither of them whitespace (digits only ever group with digits);
 *  - between a letter and a following char that is not whitespace, a letter, a digit, a mark or `'`.
 * Never between a whitespace char and a following non-whitespace char otherwise: the pre-tokenizer's
 * `\s+(?!\S)` looks one char past a run of whitespace, and the end of a chunk would look like whitespace.
 * A window of text with none of those (a long run of letters, punctuation or whitespace) is split with the
 * encoding's own pre-tokenizer regex run in JS, under the same lookahead rule.
 *
 * Only a single pre-tokenizer piece longer than MAX_PIECE_BYTES is cut inside (into HARD_CUT_BYTES slices,
 * never inside a surrogate pair); there the count may differ from an unbounded encode by about a token per
 * cut. Such pieces are not prose in any script: DNA or protein sequences written without breaks, kilobytes
 * of one repeated character or of punctuation, or of whitespace. A megabyte of those counts in about a
 * second (DNA 0.6 s, `x` 0.7 s, `中` 2 s), where English prose runs at ~6 MB/s; finding the cut points
 * costs ~1% of that (~600 MB/s on the shared corpus, slower only in windows that need the regex).
 */
import { get_encoding, type Tiktoken } from "tiktoken"
import type { TokenizerName } from "../core/settings.ts"

/** Longest chunk, in UTF-8 bytes, passed to tiktoken in one call; a pre-tokenizer piece up to this long is encoded whole. */
export const MAX_PIECE_BYTES = 4096
/** Slice size, in UTF-8 bytes, for a piece longer than MAX_PIECE_BYTES (BPE time per byte grows with the slice). */
export const HARD_CUT_BYTES = 1024

/** The encodings' pre-tokenizer regexes, as tiktoken has them (`pat_str` in tiktoken's registry.json). */
export const PRETOKENIZER_PATTERNS: Readonly<Record<TokenizerName, string>> = {
  o200k_base: String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
  cl100k_base: String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
}

/** A pre-tokenizer pattern as a sticky JS regex; Rust's Unicode `\s` is the White_Space property (JS `\s` differs: U+0085, U+FEFF). */
const stickyPattern = (pattern: string): RegExp => new RegExp(pattern.replaceAll(String.raw`\s`, String.raw`\p{White_Space}`).replaceAll(String.raw`\S`, String.raw`\P{White_Space}`), "uy")

const PIECE: Readonly<Record<TokenizerName, RegExp>> = {
  o200k_base: stickyPattern(PRETOKENIZER_PATTERNS.o200k_base),
  cl100k_base: stickyPattern(PRETOKENIZER_PATTERNS.cl100k_base)
}

export interface Tokenizer {
  readonly name: TokenizerName
  /** Token ids of a text, in one call; special-token strings in the text are encoded as ordinary text, never as control tokens. */
  encode(text: string): Uint32Array
  /** Token count of a text (in chunks as described above): `encode(text).length` but for overlong pieces. Throws if the encoder fails. */
  count(text: string): number
  /** Token ids of a text encoded in the same chunks as `count`, so `ids(t).length === count(t)`: what token shards hold. Throws if the encoder fails. */
  ids(text: string): Uint32Array
  /** The id of the end-of-text token, appended after each document in token shards. */
  readonly eos: number
  /** Number of ids the encoding can produce (ordinary and special), which decides the token shards' dtype. */
  readonly vocabularySize: number
}

/** `<|endoftext|>` and the vocabulary size (ordinary + special tokens) of the shipped encodings. */
const ENCODING_FACTS: Readonly<Record<TokenizerName, { eos: number; vocabularySize: number }>> = {
  o200k_base: { eos: 199999, vocabularySize: 200019 },
  cl100k_base: { eos: 100257, vocabularySize: 100277 }
}

export function openTokenizer(name: TokenizerName): Tokenizer & { free(): void } {
  let enc: Tiktoken = get_encoding(name)
  const count = (text: string): number => {
    if (text.length * 3 <= MAX_PIECE_BYTES) return enc.encode_ordinary(text).length
    let n = 0
    for (const piece of safePieces(text, name)) n += enc.encode_ordinary(piece).length
    return n
  }
  const ids = (text: string): Uint32Array => {
    if (text.length * 3 <= MAX_PIECE_BYTES) return enc.encode_ordinary(text)
    const parts: Uint32Array[] = []
    let n = 0
    for (const piece of safePieces(text, name)) {
      const p = enc.encode_ordinary(piece)
      parts.push(p)
      n += p.length
    }
    const out = new Uint32Array(n)
    let at = 0
    for (const p of parts) {
      out.set(p, at)
      at += p.length
    }
    return out
  }
  // A trapped WASM instance is not safe to reuse: start a fresh encoder for the next document.
  const guarded = <A>(f: (text: string) => A) => (text: string): A => {
    try {
      return f(text)
    } catch (e) {
      try {
        enc.free()
      } catch {
        // already unusable
      }
      enc = get_encoding(name)
      throw e
    }
  }
  return {
    name,
    ...ENCODING_FACTS[name],
    encode: (text) => enc.encode_ordinary(text),
    ids: guarded(ids),
    count: guarded(count),
    free: () => {
      try {
        enc.free()
      } catch {
        // freeing a trapped instance can throw; there is nothing left to release
      }
    }
  }
}

/**
 * Split a text into consecutive chunks of at most `maxBytes` UTF-8 bytes whose token counts add up to the
 * text's (see the header). Chunks join back to the text.
 */
export function* safePieces(text: string, name: TokenizerName = "o200k_base", maxBytes: number = MAX_PIECE_BYTES): Generator<string> {
  const n = text.length
  const piece = PIECE[name]
  let start = 0
  while (start < n) {
    const end = byteEnd(text, start, n, maxBytes)
    if (end === n) {
      yield start === 0 ? text : text.slice(start)
      return
    }
    const cut = syncPoint(text, start, end)
    if (cut > start) {
      yield text.slice(start, cut)
      start = cut
      continue
    }
    // No cheap cut point in the window: find the pieces with the pre-tokenizer itself, from `start` (a piece start).
    let last = start
    let stop = end
    piece.lastIndex = start
    for (;;) {
      if (!piece.test(text)) break // cannot happen (the patterns match every char); cut at the window's end
      stop = piece.lastIndex
      if (stop > end) break
      if (safeCut(text, stop)) last = stop
    }
    if (last > start) {
      yield text.slice(start, last)
      start = last
      continue
    }
    // The piece at `start` (possibly after one lone whitespace char) is longer than the window: cut it up.
    for (let s = start; s < stop; ) {
      const e = byteEnd(text, s, stop, HARD_CUT_BYTES)
      yield text.slice(s, e)
      s = e
    }
    start = stop
  }
}

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff

/** The largest index e <= limit with text[start, e) at most maxBytes in UTF-8, not inside a surrogate pair; > start. */
function byteEnd(text: string, start: number, limit: number, maxBytes: number): number {
  let bytes = 0
  let i = start
  for (; i < limit; i++) {
    const c = text.charCodeAt(i)
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3
    if (bytes > maxBytes) break
  }
  if (i < limit && i > start && isLow(text.charCodeAt(i)) && isHigh(text.charCodeAt(i - 1))) i--
  if (i === start) i = Math.min(limit, start + (isHigh(text.charCodeAt(start)) && isLow(text.charCodeAt(start + 1)) ? 2 : 1))
  return i
}

// Char classes, as the pre-tokenizer patterns see them.
const WS = 1 // \p{White_Space}
const NL = 2 // \r or \n (also WS)
const L = 4 // \p{L}
const N = 8 // \p{N}
const M = 16 // \p{M}
const APOS = 32 // ' (starts the contraction suffixes)

const ASCII_CLASS = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c)
  ASCII_CLASS[c] = c === 10 || c === 13 ? WS | NL : (c >= 9 && c <= 13) || c === 32 ? WS : /[A-Za-z]/.test(ch) ? L : /[0-9]/.test(ch) ? N : c === 39 ? APOS : 0
}
const NON_ASCII_CLASS = /(\p{White_Space})|(\p{L})|(\p{N})|(\p{M})/uy
/** Classes of BMP chars looked up so far, plus KNOWN (0 = not looked up yet). */
const BMP_CLASS = new Uint8Array(0x10000)
const KNOWN = 128

/** Class of the code point starting at index i (i not inside a surrogate pair). */
function classAt(text: string, i: number): number {
  const c = text.charCodeAt(i)
  if (c < 128) return ASCII_CLASS[c]!
  const known = BMP_CLASS[c]!
  if (known !== 0) return known & ~KNOWN
  NON_ASCII_CLASS.lastIndex = i
  const m = NON_ASCII_CLASS.exec(text)
  const cls = m === null ? 0 : m[1] !== undefined ? WS : m[2] !== undefined ? L : m[3] !== undefined ? N : M
  if (!(c >= 0xd800 && c <= 0xdfff)) BMP_CLASS[c] = cls | KNOWN
  return cls
}

/** Class of the code point ending at index p. */
function classBefore(text: string, p: number): number {
  let i = p - 1
  if (i > 0 && isLow(text.charCodeAt(i)) && isHigh(text.charCodeAt(i - 1))) i--
  return classAt(text, i)
}

/**
 * Whether ending a chunk at a piece boundary p keeps the pieces before it: unless whitespace before p meets
 * non-whitespace at p, where `\s+(?!\S)` would match differently at the end of a chunk.
 */
function safeCut(text: string, p: number): boolean {
  return (classAt(text, p) & WS) !== 0 || (classBefore(text, p) & WS) === 0
}

/** The largest p in (start, end] (end < text.length) that is a cut point by the cheap rules of the header, or -1. */
function syncPoint(text: string, start: number, end: number): number {
  for (let p = end; p > start; p--) {
    const c = text.charCodeAt(p)
    if (isLow(c) && isHigh(text.charCodeAt(p - 1))) continue
    const b = classAt(text, p)
    const a = classBefore(text, p)
    if (b & WS) {
      // Horizontal whitespace after non-whitespace, or before non-whitespace.
      if (!(b & NL) && (!(a & WS) || (p + 1 < text.length && !(classAt(text, p + 1) & WS)))) return p
    } else if (a & NL) {
      if (c !== 0x2f) return p // "/": o200k_base's punctuation pieces take [\r\n/]* at their end
    } else if (!(a & WS)) {
      if ((a & N) !== (b & N)) return p
      if (a & L && !(b & (L | N | M | APOS))) return p
    }
  }
  return -1
}
