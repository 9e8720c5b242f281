/**
 * Tokenizers: tiktoken's WASM encoders, which ship their vocabularies inside the package (no download).
 * An encoder holds ~12 MB of WASM memory until freed, so callers scope it with `withTokenizer`.
 */
import { get_encoding, type Tiktoken } from "tiktoken"
import type { TokenizerName } from "../pipeline/config.ts"

export interface Tokenizer {
  readonly name: TokenizerName
  /** Token ids of a text; special-token strings in the text are encoded as ordinary text, never as control tokens. */
  encode(text: string): Uint32Array
  /** Token counts for a batch of texts. */
  countBatch(texts: ReadonlyArray<string | null>): Int32Array
}

export function openTokenizer(name: TokenizerName): Tokenizer & { free(): void } {
  const enc: Tiktoken = get_encoding(name)
  return {
    name,
    encode: (text) => enc.encode_ordinary(text),
    countBatch: (texts) => {
      const out = new Int32Array(texts.length)
      for (let i = 0; i < texts.length; i++) {
        const t = texts[i]
        out[i] = t ? enc.encode_ordinary(t).length : 0
      }
      return out
    },
    free: () => enc.free()
  }
}

export async function withTokenizer<A>(name: TokenizerName, use: (t: Tokenizer) => Promise<A>): Promise<A> {
  const t = openTokenizer(name)
  try {
    return await use(t)
  } finally {
    t.free()
  }
}
