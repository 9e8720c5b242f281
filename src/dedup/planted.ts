/**
 * A planted-duplicate benchmark corpus for the near-duplicate stage, with its ground truth, and the
 * function that scores a dedup result against that truth. Pure and deterministic: no I/O, no clock, no
 * Math.random; the same pool, config and seed give the same documents, ids and truth, byte for byte.
 * `scripts/planted-corpus.ts` reads the abstracts and writes the corpus to disk.
 *
 * Design
 * - The pool: abstracts split into sentences, sentences over 30 tokens cut into pieces (at a comma when
 *   one is near), exact repeats dropped, each unit kept as its whitespace tokens; plus a frequency-
 *   weighted word list (every lower-case alphabetic token of the pool, repeats kept) from which all
 *   inserted and replacement words are drawn. The ~3,000 abstracts give ~29,000 units.
 * - The plan, decided up front from the seed: C = round(docs × copyFraction) copies and O = docs − C
 *   originals. Copies come in families (an original with 1–4 copies, weights `copiesPerFamily`); family f
 *   is headed by original f. Copy kinds are apportioned exactly from `mix` and shuffled over the copies.
 *   The output order is a seeded shuffle of all O + C items; a document's id is its output position
 *   (`doc-0000123`), so ids say nothing of families.
 * - ORIGINAL i is generated from its own random stream (seed, "original", i): a target length
 *   (minWords..maxWords words, skewed to the short end), units drawn at random from the whole pool until
 *   the target is reached, grouped in paragraphs of 2–7 units, then `perturbation` of its words
 *   replaced by pool words, so two originals that happen to share a unit do not share all of its
 *   5-grams. Reuse is unavoidable (100,000 documents need ~100 times the pool's words) but spread thin:
 *   two originals share on average ~0.04 units, and the short units cap what one shared unit adds
 *   (measured: max 5-gram Jaccard between originals ~0.06 at 2,000 docs, ~0.09 at 100,000). Any
 *   document can be regenerated alone, which is what lets the writer stream: a copy regenerates its
 *   original rather than keeping it.
 * - COPY j is derived from its family's original with its own random stream (seed, "copy", j):
 *     exact      identical text;
 *     format     whitespace, ASCII case and trailing punctuation changes only (5-gram Jaccard 1 after
 *                normalizeForShingles);
 *     scattered  k of the words, k uniform in editFraction (1–10%), each replaced, deleted or preceded
 *                by an inserted word (1/2, 1/4, 1/4), at distinct random positions;
 *     span       1–maxSpans contiguous spans totalling k of the words, each span replaced, deleted,
 *                or an equally long run of words inserted there.
 *   The truth records the realised edit fraction (edits / words of the original) and the exact word
 *   5-gram Jaccard to the original.
 * - Truth Jaccard: both texts through the project's `normalizeForShingles`, split on spaces, word
 *   5-grams as a SET OF STRINGS (words joined by a space; fewer than 5 words make one shingle of all of
 *   them), |A∩B| / |A∪B|. Strings, not hashes, so the truth does not share code or collisions with the
 *   MinHash implementation under test.
 */
import { normalizeForShingles } from "./minhash/normalize.ts"
// Only as the random streams' state mixer; the truth is computed on shingle strings, not these hashes.
import { fmix32 } from "./minhash/shingles.ts"

/** Bump when the generated corpus changes for the same pool, config and seed. */
export const PLANTED_GENERATOR_VERSION = "scicurate-planted/1"

export const SHINGLE_WORDS = 5

// ---------------------------------------------------------------------------------------------------
// Seeded randomness

/** A uniform draw in [0, 1). */
export type Rng = () => number

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128 bits of state with a counter, so
 * the streams of different documents do not overlap. (mulberry32, with 32 bits of state that advance
 * by a constant, does: among 75,000 originals some pairs got the same sentence draws shifted by a few
 * steps, i.e. accidental near-duplicates.)
 */
export function sfc32(a0: number, b0: number, c0: number, d0: number): Rng {
  let a = a0 | 0
  let b = b0 | 0
  let c = c0 | 0
  let d = d0 | 0
  return () => {
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
}


/**
 * The random stream named (seed, stream, index): each 32-bit part goes through a bijective mixer into
 * its own state word, so distinct names give distinct states (no hashing to 32 bits, no collisions).
 */
export function streamRng(seed: number, stream: number, index = 0): Rng {
  const rng = sfc32(fmix32(seed ^ 0xa0761d65), fmix32(stream ^ 0xe7037ed1), fmix32(index ^ 0x8ebc6af0), 1)
  for (let i = 0; i < 16; i++) rng()
  return rng
}

const below = (rng: Rng, n: number): number => Math.floor(rng() * n)

// Stream names: each use of randomness has its own, so changing one does not shift the others.
const S_PLAN = 1
const S_SHUFFLE = 2
const S_ORIGINAL = 3
const S_COPY = 4

// ---------------------------------------------------------------------------------------------------
// The pool

export interface SentencePool {
  /** Distinct sentences (or pieces of long ones) of the abstracts, as whitespace tokens, in order of first appearance. */
  readonly sentences: ReadonlyArray<ReadonlyArray<string>>
  /** Every lower-case alphabetic token of the pool (repeats kept, so draws follow word frequency). */
  readonly words: ReadonlyArray<string>
  /** Number of distinct entries in `words`. */
  readonly vocabulary: number
  /** Number of abstracts read. */
  readonly abstracts: number
}

// A sentence ends at . ! or ? followed by whitespace and something that can start a sentence.
const SENTENCE_BREAK = /(?<=[.!?])\s+(?=[\p{Lu}\p{N}(["'])/u
const MIN_SENTENCE_TOKENS = 5
const POOL_WORD = /^[a-z]{2,}$/

/**
 * Sentences longer than this are cut into pieces (at a comma or semicolon when one is near), so that two
 * originals sharing one pool unit share at most ~30 shingles: a 100-word sentence reused in two
 * 300-word documents would otherwise make them 0.1–0.2 similar on its own.
 */
export const MAX_UNIT_TOKENS = 30

function splitLong(tokens: string[]): string[][] {
  if (tokens.length <= MAX_UNIT_TOKENS) return [tokens]
  const pieces = Math.ceil(tokens.length / MAX_UNIT_TOKENS)
  const size = tokens.length / pieces
  const out: string[][] = []
  let start = 0
  for (let k = 1; k < pieces; k++) {
    let cut = Math.round(k * size)
    // Prefer a clause boundary within 4 tokens of the even cut.
    for (let d = 0; d <= 4; d++) {
      if (/[,;:]$/.test(tokens[cut - 1 - d] ?? "") && cut - d - start >= MIN_SENTENCE_TOKENS) {
        cut -= d
        break
      }
      if (/[,;:]$/.test(tokens[cut - 1 + d] ?? "") && cut + d - start <= MAX_UNIT_TOKENS + 4) {
        cut += d
        break
      }
    }
    out.push(tokens.slice(start, cut))
    start = cut
  }
  out.push(tokens.slice(start))
  return out
}

/**
 * Split abstracts into sentences (fragments shorter than 5 tokens join the previous sentence; sentences
 * over MAX_UNIT_TOKENS are cut into pieces). Each sentence or piece is one unit originals are built from.
 */
export function buildSentencePool(abstracts: Iterable<string>): SentencePool {
  const seen = new Set<string>()
  const sentences: string[][] = []
  const words: string[] = []
  const distinct = new Set<string>()
  let count = 0
  for (const text of abstracts) {
    count++
    const parts: string[][] = []
    for (const raw of text.split(SENTENCE_BREAK)) {
      const tokens = raw.split(/\s+/u).filter((t) => t.length > 0)
      if (tokens.length === 0) continue
      const last = parts[parts.length - 1]
      if (last !== undefined && (tokens.length < MIN_SENTENCE_TOKENS || last.length < MIN_SENTENCE_TOKENS)) last.push(...tokens)
      else parts.push(tokens)
    }
    for (const tokens of parts.flatMap(splitLong)) {
      const key = tokens.join(" ")
      if (seen.has(key)) continue
      seen.add(key)
      sentences.push(tokens)
      for (const t of tokens) {
        const w = t.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, "")
        if (POOL_WORD.test(w)) {
          words.push(w)
          distinct.add(w)
        }
      }
    }
  }
  if (sentences.length === 0 || words.length === 0) throw new Error("planted corpus: the abstracts yield no sentences")
  return { sentences, words, vocabulary: distinct.size, abstracts: count }
}

// ---------------------------------------------------------------------------------------------------
// Configuration and plan

export type CopyKind = "exact" | "format" | "scattered" | "span"
export const COPY_KINDS: ReadonlyArray<CopyKind> = ["exact", "format", "scattered", "span"]

export interface PlantedConfig {
  /** Total documents: originals + copies. */
  readonly docs: number
  /** An integer in [0, 2^32). */
  readonly seed: number
  /** Share of the documents that are copies (0 ≤ f ≤ 0.5). */
  readonly copyFraction: number
  /** Relative weights of the copy kinds; counts are apportioned exactly. */
  readonly mix: Readonly<Record<CopyKind, number>>
  /** Weights for a family having 1, 2, 3, … copies (families of 2, 3, 4, … documents). */
  readonly copiesPerFamily: ReadonlyArray<number>
  /** Range of k, the share of an original's words a near copy edits (uniform). */
  readonly editFraction: readonly [number, number]
  /** Original length in words: minWords + (maxWords − minWords)·u^skew, u uniform. */
  readonly minWords: number
  readonly maxWords: number
  readonly lengthSkew: number
  /** Share of each original's words replaced by pool words after the sentences are drawn. */
  readonly perturbation: number
  /** A span copy has 1..maxSpans spans. */
  readonly maxSpans: number
}

/**
 * 25% copies (20% exact, 5% format-only, 37.5% scattered, 37.5% span), families of 2–5 documents, and
 * 300–1,500-word originals averaging ~630 words (~4.3 KB), like the 4.3 KB/doc of datatrove's benchmark.
 */
export const DEFAULT_PLANTED_CONFIG: Omit<PlantedConfig, "docs" | "seed"> = {
  copyFraction: 0.25,
  mix: { exact: 0.2, format: 0.05, scattered: 0.375, span: 0.375 },
  copiesPerFamily: [0.55, 0.25, 0.12, 0.08],
  editFraction: [0.01, 0.1],
  minWords: 300,
  maxWords: 1500,
  lengthSkew: 2.8,
  perturbation: 0.03,
  maxSpans: 3
}

export function plantedConfig(options: Partial<PlantedConfig> & Pick<PlantedConfig, "docs" | "seed">): PlantedConfig {
  const c: PlantedConfig = { ...DEFAULT_PLANTED_CONFIG, ...options }
  const fail = (why: string): never => {
    throw new Error(`planted corpus config: ${why}`)
  }
  if (!Number.isSafeInteger(c.docs) || c.docs < 1) fail(`docs must be a positive integer, not ${c.docs}`)
  if (!(Number.isInteger(c.seed) && c.seed >= 0 && c.seed < 2 ** 32)) fail(`seed must be an integer in [0, 2^32), not ${c.seed}`)
  if (!(c.copyFraction >= 0 && c.copyFraction <= 0.5)) fail(`copyFraction must be in [0, 0.5], not ${c.copyFraction}`)
  if (COPY_KINDS.some((k) => !(c.mix[k] >= 0)) || COPY_KINDS.every((k) => c.mix[k] === 0)) fail("mix needs non-negative weights, not all 0")
  if (c.copiesPerFamily.length === 0 || c.copiesPerFamily.some((w) => !(w >= 0)) || c.copiesPerFamily.every((w) => w === 0))
    fail("copiesPerFamily needs non-negative weights, not all 0")
  const [lo, hi] = c.editFraction
  if (!(lo > 0 && lo <= hi && hi <= 0.5)) fail(`editFraction must satisfy 0 < lo ≤ hi ≤ 0.5, not [${lo}, ${hi}]`)
  if (!(Number.isInteger(c.minWords) && c.minWords >= 20 && c.maxWords >= c.minWords)) fail("need 20 ≤ minWords ≤ maxWords")
  if (!(c.lengthSkew > 0)) fail("lengthSkew must be > 0")
  if (!(c.perturbation >= 0 && c.perturbation <= 0.5)) fail("perturbation must be in [0, 0.5]")
  if (!(Number.isInteger(c.maxSpans) && c.maxSpans >= 1)) fail("maxSpans must be a positive integer")
  return c
}

/** Largest-remainder apportionment of `total` by `weights` (ties to the lower index). */
function apportion(total: number, weights: ReadonlyArray<number>): number[] {
  const sum = weights.reduce((a, b) => a + b, 0)
  const raw = weights.map((w) => (w / sum) * total)
  const out = raw.map(Math.floor)
  let left = total - out.reduce((a, b) => a + b, 0)
  const order = raw.map((r, i) => ({ i, frac: r - Math.floor(r) })).sort((a, b) => b.frac - a.frac || a.i - b.i)
  for (const { i } of order) {
    if (left === 0) break
    out[i] = (out[i] ?? 0) + 1
    left--
  }
  return out
}

function pickWeighted(rng: Rng, weights: ReadonlyArray<number>, sum: number): number {
  let r = rng() * sum
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i] ?? 0
    if (r < 0) return i
  }
  return weights.length - 1
}

// ---------------------------------------------------------------------------------------------------
// Documents and truth

export interface PlantedDocument {
  readonly id: string
  readonly text: string
}

/** One planted copy: what it copies, how, and its exact 5-gram Jaccard to the original. */
export interface TruthRecord {
  readonly id: string
  readonly original_id: string
  readonly family_id: string
  readonly kind: CopyKind
  /** Realised edits / words of the original (rounded to 1e-6); 0 for exact copies. */
  readonly edit_fraction: number
  readonly jaccard: number
  /** |A∩B| and |A∪B| of the two shingle sets (jaccard = shared / union). */
  readonly shared_shingles: number
  readonly union_shingles: number
}

/** A document before rendering: whitespace tokens and the separator after each (the last is ""). */
export interface Draft {
  readonly tokens: string[]
  readonly seps: string[]
  /** Pool sentences the original was drawn from, in order (empty for copies). */
  readonly sentences: number[]
}

export const renderDraft = (d: Draft): string => {
  let s = ""
  for (let i = 0; i < d.tokens.length; i++) s += d.tokens[i] + (d.seps[i] ?? "")
  return s
}

/** Per-copy results of the truth pass, indexed by copy number. */
export interface CopyTruth {
  readonly editFraction: Float64Array
  readonly shared: Uint32Array
  readonly union: Uint32Array
}

const EDIT_REPLACE = 1
const EDIT_DELETE = 2
const FORMAT_SEPARATORS = ["  ", "\n", " \t", "\n\n", "   "]
const ASCII = /^[\x21-\x7e]+$/
const ENDS_ALNUM = /[A-Za-z0-9]$/
const TRAILING_PUNCT = /[.,;:!?]+$/
const TOKEN_PARTS = /^([^\p{L}\p{N}]*)(.*?)([^\p{L}\p{N}]*)$/su

/**
 * A planted corpus: the plan plus the generators. Documents are produced on demand (`document(p)`,
 * `documents()`, `truthRecords()`), so a million-document corpus never has to be in memory.
 */
export class PlantedCorpus {
  readonly config: PlantedConfig
  readonly pool: SentencePool
  readonly size: number
  readonly originals: number
  readonly copies: number
  readonly families: number
  /** Copy j's family (= its original's index). */
  readonly copyFamily: Uint32Array
  /** Copy j's kind, an index into COPY_KINDS. */
  readonly copyKind: Uint8Array
  /** Family f's copies are copyStart[f] .. copyStart[f+1]-1. */
  readonly familyCopyStart: Uint32Array
  /** Output position → item (0..O-1 original i, O+j copy j), and its inverse. */
  readonly itemAt: Uint32Array
  readonly positionOf: Uint32Array
  private readonly idWidth: number
  private readonly wordCount: number
  private readonly mixCounts: Readonly<Record<CopyKind, number>>

  constructor(pool: SentencePool, config: PlantedConfig) {
    this.pool = pool
    this.config = config
    const N = config.docs
    const C = Math.round(N * config.copyFraction)
    const O = N - C
    this.size = N
    this.copies = C
    this.originals = O
    this.idWidth = Math.max(7, String(N - 1).length)
    this.wordCount = pool.words.length
    const rng = streamRng(config.seed, S_PLAN)

    // Families: original f has copies familyCopyStart[f] ..
    const famWeights = config.copiesPerFamily
    const famSum = famWeights.reduce((a, b) => a + b, 0)
    const starts: number[] = []
    for (let j = 0; j < C; ) {
      starts.push(j)
      j += Math.min(1 + pickWeighted(rng, famWeights, famSum), C - j)
    }
    if (starts.length > O) throw new Error(`planted corpus: ${starts.length} families need more than the ${O} originals`)
    this.families = starts.length
    this.familyCopyStart = Uint32Array.from([...starts, C])
    this.copyFamily = new Uint32Array(C)
    for (let f = 0; f < starts.length; f++) this.copyFamily.fill(f, starts[f], starts[f + 1] ?? C)

    // Kinds: exact counts from the mix, shuffled over the copies.
    const counts = apportion(C, COPY_KINDS.map((k) => config.mix[k]))
    this.mixCounts = Object.fromEntries(COPY_KINDS.map((k, i) => [k, counts[i] ?? 0])) as Record<CopyKind, number>
    this.copyKind = new Uint8Array(C)
    let at = 0
    counts.forEach((n, k) => {
      this.copyKind.fill(k, at, at + n)
      at += n
    })
    shuffle(this.copyKind, rng)

    // Output order.
    this.itemAt = new Uint32Array(N)
    for (let i = 0; i < N; i++) this.itemAt[i] = i
    shuffle(this.itemAt, streamRng(config.seed, S_SHUFFLE))
    this.positionOf = new Uint32Array(N)
    for (let p = 0; p < N; p++) this.positionOf[this.itemAt[p] ?? 0] = p
  }

  /** Number of copies of each kind (exact, from the mix). */
  kindCounts(): Readonly<Record<CopyKind, number>> {
    return this.mixCounts
  }

  idAt(position: number): string {
    return `doc-${String(position).padStart(this.idWidth, "0")}`
  }

  originalId(i: number): string {
    return this.idAt(this.positionOf[i] ?? 0)
  }

  copyId(j: number): string {
    return this.idAt(this.positionOf[this.originals + j] ?? 0)
  }

  familyId(f: number): string {
    return `fam-${String(f).padStart(this.idWidth, "0")}`
  }

  kindOf(j: number): CopyKind {
    return COPY_KINDS[this.copyKind[j] ?? 0] ?? "exact"
  }

  private word(rng: Rng): string {
    return this.pool.words[below(rng, this.wordCount)] ?? "the"
  }

  /** `token` with its word part replaced by a different pool word; leading/trailing punctuation kept. */
  private replaceWord(token: string, rng: Rng): string {
    const m = TOKEN_PARTS.exec(token)
    const pre = m?.[1] ?? ""
    const core = m?.[2] ?? token
    const post = m?.[3] ?? ""
    const old = core.toLowerCase()
    let w = this.word(rng)
    for (let tries = 0; w === old && tries < 8; tries++) w = this.word(rng)
    if (core.length === 0) return w
    const first = core[0] ?? ""
    if (first !== first.toLowerCase()) w = (w[0] ?? "").toUpperCase() + w.slice(1)
    return pre + w + post
  }

  /** Original i (0 ≤ i < originals), regenerated from its own seed. */
  original(i: number): Draft {
    const c = this.config
    const rng = streamRng(c.seed, S_ORIGINAL, i)
    const target = c.minWords + Math.floor((c.maxWords - c.minWords + 1) * rng() ** c.lengthSkew)
    const tokens: string[] = []
    const seps: string[] = []
    const sentences: number[] = []
    const pool = this.pool.sentences
    let paragraphLeft = 2 + below(rng, 6)
    while (tokens.length < target) {
      const s = below(rng, pool.length)
      sentences.push(s)
      for (const t of pool[s] ?? []) {
        tokens.push(t)
        seps.push(" ")
      }
      if (--paragraphLeft === 0) {
        seps[seps.length - 1] = "\n\n"
        paragraphLeft = 2 + below(rng, 6)
      }
    }
    seps[seps.length - 1] = ""
    const n = tokens.length
    const m = Math.round(c.perturbation * n)
    for (let r = 0; r < m; r++) {
      const p = below(rng, n)
      tokens[p] = this.replaceWord(tokens[p] ?? "", rng)
    }
    return { tokens, seps, sentences }
  }

  /** Copy j of its family's original (pass the original's draft if you have it). */
  copy(j: number, original?: Draft): { draft: Draft; editFraction: number } {
    const o = original ?? this.original(this.copyFamily[j] ?? 0)
    const kind = this.kindOf(j)
    const rng = streamRng(this.config.seed, S_COPY, j)
    const n = o.tokens.length
    if (kind === "exact") return { draft: { tokens: o.tokens.slice(), seps: o.seps.slice(), sentences: [] }, editFraction: 0 }
    const [lo, hi] = this.config.editFraction
    const k = lo + (hi - lo) * rng()
    const edits = Math.max(1, Math.min(n - 1, Math.round(k * n)))
    if (kind === "format") return { draft: this.reformat(o, edits, rng), editFraction: edits / n }

    // Edits as marks on the original's tokens: op[i] for token i, and words inserted before token i.
    const op = new Uint8Array(n)
    const insertBefore = new Uint16Array(n)
    const drawOp = () => {
      const r = rng()
      return r < 0.5 ? EDIT_REPLACE : r < 0.75 ? EDIT_DELETE : -1
    }
    if (kind === "scattered") {
      const taken = new Uint8Array(n)
      for (let e = 0; e < edits; e++) {
        let p = below(rng, n)
        while (taken[p] === 1) p = below(rng, n)
        taken[p] = 1
        const o1 = drawOp()
        if (o1 === -1) insertBefore[p] = 1
        else op[p] = o1
      }
    } else {
      // span: split `edits` into s positive lengths at distinct cut points, then place the spans in
      // order with random gaps summing to at most n − edits, so they never overlap.
      const s = Math.min(edits, 1 + below(rng, this.config.maxSpans))
      const cuts = new Set<number>()
      while (cuts.size < s - 1) cuts.add(1 + below(rng, edits - 1))
      const bounds = [0, ...[...cuts].sort((a, b) => a - b), edits]
      const gaps = Array.from({ length: s }, () => below(rng, n - edits + 1)).sort((a, b) => a - b)
      for (let t = 0; t < s; t++) {
        const len = (bounds[t + 1] ?? 0) - (bounds[t] ?? 0)
        const start = (gaps[t] ?? 0) + (bounds[t] ?? 0)
        const o1 = drawOp()
        if (o1 === -1) insertBefore[start] = (insertBefore[start] ?? 0) + len
        else op.fill(o1, start, start + len)
      }
    }
    const tokens: string[] = []
    const seps: string[] = []
    for (let i = 0; i < n; i++) {
      for (let w = insertBefore[i] ?? 0; w > 0; w--) {
        tokens.push(this.word(rng))
        seps.push(" ")
      }
      const t = o.tokens[i] ?? ""
      const sep = o.seps[i] ?? ""
      switch (op[i]) {
        case EDIT_DELETE:
          // Keep a paragraph break or the end of the text on the previous token.
          if (sep !== " " && seps.length > 0) seps[seps.length - 1] = sep
          break
        case EDIT_REPLACE:
          tokens.push(this.replaceWord(t, rng))
          seps.push(sep)
          break
        default:
          tokens.push(t)
          seps.push(sep)
      }
    }
    return { draft: { tokens, seps, sentences: [] }, editFraction: edits / n }
  }

  /** Whitespace, ASCII case and trailing-punctuation changes at `edits` random tokens. */
  private reformat(o: Draft, edits: number, rng: Rng): Draft {
    const tokens = o.tokens.slice()
    const seps = o.seps.slice()
    const n = tokens.length
    for (let e = 0; e < edits; e++) {
      const p = below(rng, n)
      const t = tokens[p] ?? ""
      const what = below(rng, 3)
      if (what === 0 && p < n - 1) {
        seps[p] = FORMAT_SEPARATORS[below(rng, FORMAT_SEPARATORS.length)] ?? "  "
      } else if (what === 1 && ASCII.test(t)) {
        const r = below(rng, 3)
        tokens[p] = r === 0 ? t.toUpperCase() : r === 1 ? t.toLowerCase() : (t[0] ?? "").toUpperCase() + t.slice(1).toLowerCase()
      } else if (ENDS_ALNUM.test(t)) {
        tokens[p] = t + ([",", ";", ":"][below(rng, 3)] ?? ",")
      } else {
        const stripped = t.replace(TRAILING_PUNCT, "")
        if (stripped.length > 0 && /[\p{L}\p{N}]/u.test(stripped)) tokens[p] = stripped
      }
    }
    return { tokens, seps, sentences: [] }
  }

  /**
   * The truth pass: family by family, the original's shingles are collected once (as a map from
   * shingle to the last copy that matched it) and each copy's shingles are looked up in it; the copy's
   * shingles absent from the original are collected apart. |A∩B| = distinct matches, |A∪B| = |A| +
   * distinct misses. A copy whose text is identical to the original's has |A∩B| = |A∪B| = |A|.
   */
  computeTruth(): CopyTruth {
    const C = this.copies
    const truth: CopyTruth = { editFraction: new Float64Array(C), shared: new Uint32Array(C), union: new Uint32Array(C) }
    for (let f = 0; f < this.families; f++) {
      const o = this.original(f)
      const originalText = renderDraft(o)
      const a = new Map<string, number>()
      forEachShingle(originalText, (sh) => a.set(sh, -1))
      for (let j = this.familyCopyStart[f] ?? 0; j < (this.familyCopyStart[f + 1] ?? 0); j++) {
        const { draft, editFraction } = this.copy(j, o)
        const text = renderDraft(draft)
        truth.editFraction[j] = editFraction
        if (text === originalText) {
          truth.shared[j] = a.size
          truth.union[j] = a.size
          continue
        }
        let shared = 0
        const extra = new Set<string>()
        forEachShingle(text, (sh) => {
          const mark = a.get(sh)
          if (mark === undefined) extra.add(sh)
          else if (mark !== j) {
            a.set(sh, j)
            shared++
          }
        })
        truth.shared[j] = shared
        truth.union[j] = a.size + extra.size
      }
    }
    return truth
  }

  truthRecord(j: number, truth: CopyTruth): TruthRecord {
    const shared = truth.shared[j] ?? 0
    const union = truth.union[j] ?? 0
    const f = this.copyFamily[j] ?? 0
    return {
      id: this.copyId(j),
      original_id: this.originalId(f),
      family_id: this.familyId(f),
      kind: this.kindOf(j),
      edit_fraction: Math.round((truth.editFraction[j] ?? 0) * 1e6) / 1e6,
      jaccard: union === 0 ? 1 : shared / union,
      shared_shingles: shared,
      union_shingles: union
    }
  }

  /** The document at output position p, with its number of whitespace-separated words. */
  document(p: number): PlantedDocument & { readonly words: number } {
    const item = this.itemAt[p] ?? 0
    const draft = item < this.originals ? this.original(item) : this.copy(item - this.originals).draft
    return { id: this.idAt(p), text: renderDraft(draft), words: draft.tokens.length }
  }

  /** Documents in output order, with their word counts. */
  *documents(): Generator<{ doc: PlantedDocument; words: number }> {
    for (let p = 0; p < this.size; p++) {
      const { id, text, words } = this.document(p)
      yield { doc: { id, text }, words }
    }
  }

  /** Truth records of all copies, in id (output) order. */
  *truthRecords(truth: CopyTruth): Generator<TruthRecord> {
    for (let p = 0; p < this.size; p++) {
      const item = this.itemAt[p] ?? 0
      if (item >= this.originals) yield this.truthRecord(item - this.originals, truth)
    }
  }
}

function shuffle(a: Uint32Array | Uint8Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = below(rng, i + 1)
    const t = a[i] ?? 0
    a[i] = a[j] ?? 0
    a[j] = t
  }
}

/** A whole corpus in memory, for tests and small runs: documents in output order, truth in id order. */
export function generatePlantedCorpus(
  pool: SentencePool,
  config: PlantedConfig
): { corpus: PlantedCorpus; docs: PlantedDocument[]; truth: TruthRecord[] } {
  const corpus = new PlantedCorpus(pool, config)
  const docs = Array.from(corpus.documents(), (d) => d.doc)
  const truth = Array.from(corpus.truthRecords(corpus.computeTruth()))
  return { corpus, docs, truth }
}

// ---------------------------------------------------------------------------------------------------
// Shingles

/**
 * Call `fn` on each word 5-gram of the normalised text (words joined by a space; repeats included).
 * normalizeForShingles separates words by single spaces, so a shingle is a slice of it between word
 * starts: the same string as joining the words, without building it word by word.
 */
export function forEachShingle(text: string, fn: (shingle: string) => void, n = SHINGLE_WORDS): void {
  const norm = normalizeForShingles(text)
  const starts = [0]
  for (let i = norm.indexOf(" "); i !== -1; i = norm.indexOf(" ", i + 1)) starts.push(i + 1)
  if (starts.length < n) {
    fn(norm)
    return
  }
  const words = starts.length
  for (let i = 0; i + n <= words; i++) fn(norm.slice(starts[i], i + n < words ? (starts[i + n] ?? 0) - 1 : norm.length))
}

/** Word 5-gram shingles of the normalised text, as strings; < 5 words make one shingle of them all. */
export function shingleSet(text: string, n = SHINGLE_WORDS): Set<string> {
  const out = new Set<string>()
  forEachShingle(text, (s) => out.add(s), n)
  return out
}

export function shingleOverlap(a: ReadonlySet<string>, b: ReadonlySet<string>): { shared: number; union: number } {
  const [small, big] = a.size <= b.size ? [a, b] : [b, a]
  let shared = 0
  for (const s of small) if (big.has(s)) shared++
  return { shared, union: a.size + b.size - shared }
}

/** Exact word 5-gram Jaccard of two texts after normalizeForShingles. */
export function jaccard5(a: string, b: string): number {
  const { shared, union } = shingleOverlap(shingleSet(a), shingleSet(b))
  return union === 0 ? 1 : shared / union
}

// ---------------------------------------------------------------------------------------------------
// Scoring a dedup result

/** A document the dedup stage removed, and the document it kept for that cluster. */
export interface RemovedDocument {
  readonly id: string
  readonly kept_id: string
}

export interface RecallCell {
  readonly copies: number
  readonly found: number
  /** found / copies; null when there are no copies in the cell. */
  readonly recall: number | null
}

export const JACCARD_BANDS = ["ge_0.9", "0.8_0.9", "0.5_0.8", "lt_0.5"] as const
export type JaccardBand = (typeof JACCARD_BANDS)[number]

export function jaccardBand(j: number): JaccardBand {
  return j >= 0.9 ? "ge_0.9" : j >= 0.8 ? "0.8_0.9" : j >= 0.5 ? "0.5_0.8" : "lt_0.5"
}

export interface ClusterEvaluation {
  readonly threshold: number
  /** Removed documents, i.e. predicted (id, kept_id) pairs. */
  readonly predictedPairs: number
  /** Predicted pairs whose two documents are in the same truth family. */
  readonly correctPairs: number
  /** correctPairs / predictedPairs; null when nothing was removed. */
  readonly pairPrecision: number | null
  /** Recall over the copies with jaccard ≥ threshold. */
  readonly recall: RecallCell
  /** Recall over all copies of each kind, and of each Jaccard band (no threshold). */
  readonly recallByKind: Readonly<Record<CopyKind, RecallCell>>
  readonly recallByBand: Readonly<Record<JaccardBand, RecallCell>>
  /** Removed documents whose cluster's kept document is not of their family (singletons: any removal). */
  readonly wronglyRemoved: { readonly originals: number; readonly copies: number }
}

/**
 * Score a dedup result against the planted truth.
 *
 * Definitions:
 * - Family: an original together with all its copies (two copies of one original are in the same
 *   family). Documents that appear nowhere in the truth are originals without copies: singletons.
 * - Cluster: a removed document belongs to the cluster of its kept_id (followed through chains, should
 *   a kept_id itself be removed); a document not removed heads its own cluster.
 * - Pair precision: each removed document is one predicted pair (id, kept_id); it is correct when both
 *   are in the same family. precision = correct / predicted (null if nothing was removed).
 * - Recall at t: of the truth copies with jaccard ≥ t, the share FOUND, where a copy is found when it
 *   and its original end up in the same cluster (the copy removed for the original, the original
 *   removed for the copy, or both removed for the same kept document). recallByKind and recallByBand
 *   use the same "found" over all copies, without the threshold.
 * - Wrongly removed: a removed document whose cluster's kept document is not in its family, counted
 *   separately for originals (documents not copies in the truth) and copies.
 * Throws on malformed predictions: a document removed twice, or removed in favour of itself, or a
 * cycle of kept_ids.
 */
export function evaluateClusters(
  truth: ReadonlyArray<Pick<TruthRecord, "id" | "original_id" | "kind" | "jaccard">>,
  predicted: ReadonlyArray<RemovedDocument>,
  threshold = 0.8
): ClusterEvaluation {
  const familyOf = new Map<string, string>()
  for (const t of truth) {
    familyOf.set(t.original_id, t.original_id)
    familyOf.set(t.id, t.original_id)
  }
  const keptFor = new Map<string, string>()
  for (const r of predicted) {
    if (r.id === r.kept_id) throw new Error(`evaluateClusters: ${r.id} is removed in favour of itself`)
    if (keptFor.has(r.id)) throw new Error(`evaluateClusters: ${r.id} is removed twice`)
    keptFor.set(r.id, r.kept_id)
  }
  const root = (id: string): string => {
    let x = id
    for (let steps = 0; ; steps++) {
      const next = keptFor.get(x)
      if (next === undefined) return x
      if (steps > keptFor.size) throw new Error(`evaluateClusters: kept_id cycle through ${id}`)
      x = next
    }
  }
  const sameFamily = (a: string, b: string): boolean => {
    const fa = familyOf.get(a)
    return fa !== undefined && fa === familyOf.get(b)
  }

  let correct = 0
  let wrongOriginals = 0
  let wrongCopies = 0
  const copyIds = new Set(truth.map((t) => t.id))
  for (const r of predicted) {
    if (sameFamily(r.id, r.kept_id)) correct++
    if (!sameFamily(r.id, root(r.id))) {
      if (copyIds.has(r.id)) wrongCopies++
      else wrongOriginals++
    }
  }

  type Tally = { copies: number; found: number }
  const tally = (): Tally => ({ copies: 0, found: 0 })
  const atT = tally()
  const byKind = Object.fromEntries(COPY_KINDS.map((k) => [k, tally()])) as Record<CopyKind, Tally>
  const byBand = Object.fromEntries(JACCARD_BANDS.map((b) => [b, tally()])) as Record<JaccardBand, Tally>
  for (const t of truth) {
    const found = root(t.id) === root(t.original_id) ? 1 : 0
    const cells = [byKind[t.kind], byBand[jaccardBand(t.jaccard)]]
    if (t.jaccard >= threshold) cells.push(atT)
    for (const c of cells) {
      c.copies++
      c.found += found
    }
  }
  const cell = (t: Tally): RecallCell => ({ ...t, recall: t.copies === 0 ? null : t.found / t.copies })
  return {
    threshold,
    predictedPairs: predicted.length,
    correctPairs: correct,
    pairPrecision: predicted.length === 0 ? null : correct / predicted.length,
    recall: cell(atT),
    recallByKind: Object.fromEntries(COPY_KINDS.map((k) => [k, cell(byKind[k])])) as Record<CopyKind, RecallCell>,
    recallByBand: Object.fromEntries(JACCARD_BANDS.map((b) => [b, cell(byBand[b])])) as Record<JaccardBand, RecallCell>,
    wronglyRemoved: { originals: wrongOriginals, copies: wrongCopies }
  }
}
