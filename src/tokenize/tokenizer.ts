/**
 * Tokenizers: tiktoken's WASM encoders, which ship their vocabularies inside the package (no download).
 *
 * BPE merging is quadratic in the length of one pre-tokenized piece, and tiktoken traps on pieces of a
 * megabyte: a DNA sequence or a base64 blob without spaces would stall or kill a task. So long texts are
 * encoded in chunks cut just before a space that precedes a word — where tiktoken's own pre-tokenizer
 * (o200k_base and cl100k_base alike) starts a new piece anyway, so the counts are exact — and runs of
 * more than MAX_RUN non-space characters are cut every MAX_RUN characters (counts there may differ from
 * an unbounded encode by a token or so per cut, for text no model reads as words).
 */
import { get_encoding, type Tiktoken } from "tiktoken"
import type { TokenizerName } from "../pipeline/config.ts"

const CHUNK_CHARS = 16_384
export const MAX_RUN = 256
const LONG_RUN = new RegExp(`\\S{${MAX_RUN + 1},}`)

export interface Tokenizer {
  readonly name: TokenizerName
  /** Token ids of a text; special-token strings in the text are encoded as ordinary text, never as control tokens. */
  encode(text: string): Uint32Array
  /** Token count of a text (chunked as described above). Throws if the encoder fails. */
  count(text: string): number
}

export function openTokenizer(name: TokenizerName): Tokenizer & { free(): void } {
  let enc: Tiktoken = get_encoding(name)
  const count = (text: string): number => {
    if (text.length <= CHUNK_CHARS && !LONG_RUN.test(text)) return enc.encode_ordinary(text).length
    let n = 0
    for (const piece of safePieces(text)) n += enc.encode_ordinary(piece).length
    return n
  }
  return {
    name,
    encode: (text) => enc.encode_ordinary(text),
    count: (text) => {
      try {
        return count(text)
      } catch (e) {
        // A trapped WASM instance is not safe to reuse: start a fresh encoder for the next document.
        try {
          enc.free()
        } catch {
          // already unusable
        }
        enc = get_encoding(name)
        throw e
      }
    },
    free: () => {
      try {
        enc.free()
      } catch {
        // freeing a trapped instance can throw; there is nothing left to release
      }
    }
  }
}

/** Split text into pieces no longer than CHUNK_CHARS with no non-space run longer than MAX_RUN. */
export function* safePieces(text: string): Generator<string> {
  let start = 0
  while (start < text.length) {
    let end = Math.min(start + CHUNK_CHARS, text.length)
    if (end < text.length) {
      // Cut just before a space that precedes a non-space character: a piece boundary for tiktoken too.
      let cut = end
      while (cut > start + 1 && !(text[cut] === " " && text[cut + 1] !== undefined && !/\s/.test(text[cut + 1]!))) cut--
      if (cut > start + 1) end = cut
    }
    yield* splitLongRuns(text.slice(start, end))
    start = end
  }
}

function* splitLongRuns(chunk: string): Generator<string> {
  if (!LONG_RUN.test(chunk)) {
    yield chunk
    return
  }
  const re = new RegExp(`\\S{${MAX_RUN + 1},}`, "g")
  let last = 0
  for (const m of chunk.matchAll(re)) {
    if (m.index > last) yield chunk.slice(last, m.index)
    for (let i = 0; i < m[0].length; i += MAX_RUN) yield m[0].slice(i, i + MAX_RUN)
    last = m.index + m[0].length
  }
  if (last < chunk.length) yield chunk.slice(last)
}
