/**
 * MinHash signatures and LSH band keys over 32-bit shingle hashes.
 *
 * Hash family: h_i(x) = a_i·x + b_i mod 2^32, a_i odd, (a_i, b_i) drawn from the seed, applied to
 * shingle hashes x that are themselves fmix32 outputs (see shingles.ts).
 *  - x ↦ a·x + b mod 2^32 with odd a is a bijection: each h_i is a permutation of the 32-bit values,
 *    so it never merges two shingles the shingle hash kept apart, and min_i over a set is the image of
 *    exactly one member — a min-wise *permutation* sample.
 *  - On structured inputs (consecutive integers) the affine family alone is weak: its minima across
 *    a_i correlate (estimate variance ~1.15–1.3× the binomial J(1-J)/k). Shingle hashes are not
 *    structured: each is the fmix32 of a chain, every output bit depending on every input bit. On such
 *    inputs the affine family measured variance 0.98×, bias 0.000, the same as with a second fmix32
 *    per hash function (1.01×), at 1.7× the speed (14,300 against 8,500 signatures/s for 700-shingle
 *    documents on one core). The mixing is paid once per shingle instead of 112 times.
 *    test/dedup/minhash-core.test.ts checks the estimate's error, bias and variance against known
 *    Jaccard on hashed inputs, and against the `minhash` npm package on real text.
 *  - Everything is 32-bit lanes (Math.imul, shifts, xor): no BigInt and no (a·x + b) mod p in doubles,
 *    which loses bits past 2^53 and costs a float division per hash.
 *
 * Loop order: hash functions outer, shingles inner. The running minimum stays in a register and the
 * shingles (8 KB for 2,000 words) stay in L1; shingle-outer loads and stores a signature entry per
 * hash and measured ~20% slower (3,060 vs 2,420 signatures/s for 2,000-word documents at 112 hashes;
 * unrolling four hash functions per pass gained only ~10% and was not kept).
 */
import { DEFAULT_NORMALIZATION, normalizeForShingles, type ShingleNormalization } from "./normalize.ts"
import { ShingleBuffer, fmix32, shingleHashes } from "./shingles.ts"

export interface MinHashParams {
  /** LSH bands; two documents become candidates when all `rows` entries of one band agree. */
  readonly bands: number
  /** Signature entries per band. */
  readonly rows: number
  /** Words per shingle. */
  readonly ngram: number
  /** Seed of the hash coefficients; signatures compare only when made with the same seed. */
  readonly seed: number
}

/**
 * 14 bands × 8 rows = 112 hashes. A pair of Jaccard s becomes a candidate with probability
 * 1 - (1 - s^8)^14, an S-curve around the usual threshold estimate (1/14)^(1/8) ≈ 0.72 (steepest at
 * ≈ 0.71, one half at ≈ 0.685): 0.5 → 5%, 0.6 → 21%, 0.7 → 56%, 0.8 → 92%, 0.9 → 99.96%. So pairs
 * above ~0.8 are almost never missed and pairs below ~0.5 rarely cost a comparison. FineWeb uses the
 * same 14×8 over 5-grams.
 */
export const DEFAULT_MINHASH: MinHashParams = { bands: 14, rows: 8, ngram: 5, seed: 1 }

/** splitmix32: a tiny PRNG defined entirely by 32-bit integer operations, so every machine draws the same. */
export function splitmix32(seed: number): () => number {
  let state = seed | 0
  return () => {
    state = (state + 0x9e3779b9) | 0
    let t = state ^ (state >>> 16)
    t = Math.imul(t, 0x21f0aaad)
    t ^= t >>> 15
    t = Math.imul(t, 0x735a2d97)
    t ^= t >>> 15
    return t >>> 0
  }
}

function checkParams(params: MinHashParams): void {
  for (const key of ["bands", "rows", "ngram"] as const) {
    const v = params[key]
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`MinHash ${key} must be a positive integer, got ${v}`)
  }
  if (!Number.isInteger(params.seed) || params.seed < 0 || params.seed > 0xffffffff) {
    throw new RangeError(`MinHash seed must be an integer in 0..2^32-1, got ${params.seed}`)
  }
}

/** The per-hash coefficients of one seed, and the signature computation over them. */
export class MinHasher {
  readonly params: MinHashParams
  /** bands × rows: the signature length. */
  readonly length: number
  private readonly a: Int32Array
  private readonly b: Int32Array
  private readonly buffer = new ShingleBuffer()

  constructor(params: MinHashParams = DEFAULT_MINHASH) {
    checkParams(params)
    this.params = { bands: params.bands, rows: params.rows, ngram: params.ngram, seed: params.seed }
    this.length = params.bands * params.rows
    this.a = new Int32Array(this.length)
    this.b = new Int32Array(this.length)
    const next = splitmix32(params.seed)
    for (let i = 0; i < this.length; i++) {
      this.a[i] = next() | 1 // odd, so x ↦ a·x + b is a bijection mod 2^32
      this.b[i] = next()
    }
  }

  /**
   * Writes the `length` minima over `shingles` to out[offset..offset+length). No shingles (an empty
   * text) gives every entry 0xffffffff: all empty texts look identical, so callers should leave them
   * out of LSH.
   */
  signature(shingles: Uint32Array, out: Uint32Array, offset = 0): Uint32Array {
    if (offset < 0 || offset + this.length > out.length) throw new RangeError("signature output too short")
    const { a, b, length } = this
    const m = shingles.length
    for (let i = 0; i < length; i++) {
      const ai = a[i]!
      const bi = b[i]!
      let min = 0xffffffff
      for (let j = 0; j < m; j++) {
        // Shingle hashes are already fmix32 outputs (well mixed), so the linear map alone orders them
        // like a random permutation; a second mix per hash function measured 1.7x slower for the same
        // accuracy (see the comment on the class).
        const h = (Math.imul(ai, shingles[j]!) + bi) >>> 0
        if (h < min) min = h
      }
      out[offset + i] = min
    }
    return out
  }

  /** Normalise, shingle and hash a text, reusing this hasher's shingle buffer. */
  signatureOfText(text: string, normalization: ShingleNormalization = DEFAULT_NORMALIZATION, out = new Uint32Array(this.length), offset = 0): Uint32Array {
    const shingles = shingleHashes(normalizeForShingles(text, normalization), this.params.ngram, this.buffer)
    return this.signature(shingles, out, offset)
  }
}

/** A text's signature under `hasher` (a fresh array of hasher.length entries). */
export function signatureOfText(text: string, hasher: MinHasher, normalization: ShingleNormalization = DEFAULT_NORMALIZATION): Uint32Array {
  return hasher.signatureOfText(text, normalization)
}

// ---------------------------------------------------------------------------------------------------
// LSH band keys
//
// A band's key hashes its `rows` entries, and the band index, twice with independent chains (different
// start states and multipliers) into a 64-bit value hi·2^32 + lo. The band index is inside the hash,
// so a key alone names (band, rows): one BIGINT column of keys can be self-joined without a band
// column, and keys of different bands never meet. Two different row tuples share a key with
// probability ~2^-64, so "same key" means "same rows" for any corpus size in practice.

const KEY_SEED_HI = 0x27d4eb2f
const KEY_SEED_LO = 0x165667b1
const KEY_MUL_HI = 0x9e3779b1
const KEY_MUL_LO = 0x85ebca77

/** One chain of the band key: start state mixed with the band, then each row in order. */
function bandChain(signature: Uint32Array, start: number, rows: number, band: number, seed: number, mul: number): number {
  let h = fmix32(seed ^ band)
  for (let r = 0; r < rows; r++) h = fmix32(Math.imul(h, mul) ^ signature[start + r]!)
  return h
}

/** The two 32-bit halves of band `band`'s key of the signature at `offset`. */
export function bandKeyWords(signature: Uint32Array, offset: number, band: number, rows: number): { hi: number; lo: number } {
  const start = offset + band * rows
  if (start < 0 || start + rows > signature.length) throw new RangeError(`band ${band} lies outside the signature`)
  return {
    hi: bandChain(signature, start, rows, band, KEY_SEED_HI, KEY_MUL_HI),
    lo: bandChain(signature, start, rows, band, KEY_SEED_LO, KEY_MUL_LO)
  }
}

/** A key as an unsigned 64-bit bigint. */
export const bandKeyToBigInt = (hi: number, lo: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)

/** A key as a signed 64-bit bigint (same bits), the range of a DuckDB BIGINT column. */
export const bandKeyToSigned = (hi: number, lo: number): bigint => BigInt.asIntN(64, bandKeyToBigInt(hi, lo))

/**
 * A 53-bit key (hi's low 21 bits and lo), exact as a JS number and a DuckDB DOUBLE or BIGINT, for code
 * that avoids bigints. Unrelated bands share such a key with probability ~2^-53 per pair: among 10M
 * documents about one false candidate pair per corpus, which verification by estimated Jaccard drops.
 */
export function bandKey53(signature: Uint32Array, offset: number, band: number, rows: number): number {
  const { hi, lo } = bandKeyWords(signature, offset, band, rows)
  return (hi & 0x1fffff) * 0x100000000 + lo
}

/** Where bandKeys writes: two Uint32Arrays of halves, or 64-bit bigints (BigInt64Array holds them signed). */
export type BandKeyOutput = { readonly hi: Uint32Array; readonly lo: Uint32Array } | BigUint64Array | BigInt64Array

/** Writes the `params.bands` keys of the signature at `offset` to out[outOffset..outOffset+bands). */
export function bandKeys(signature: Uint32Array, offset: number, params: Pick<MinHashParams, "bands" | "rows">, out: BandKeyOutput, outOffset = 0): void {
  for (let band = 0; band < params.bands; band++) {
    const { hi, lo } = bandKeyWords(signature, offset, band, params.rows)
    if (out instanceof BigUint64Array || out instanceof BigInt64Array) {
      // A BigInt64Array stores the value modulo 2^64 as signed: the same bits as bandKeyToSigned.
      out[outOffset + band] = bandKeyToBigInt(hi, lo)
    } else {
      out.hi[outOffset + band] = hi
      out.lo[outOffset + band] = lo
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Similarity

/** The fraction of equal entries of two signatures: MinHash's unbiased estimate of their Jaccard. */
export function estimatedJaccard(sigA: Uint32Array, offA: number, sigB: Uint32Array, offB: number, length: number): number {
  if (length <= 0) return 0
  let equal = 0
  for (let i = 0; i < length; i++) if (sigA[offA + i] === sigB[offB + i]) equal++
  return equal / length
}

/** Sorted distinct values of a set of shingle hashes. */
function sortedSet(values: Uint32Array): Uint32Array {
  const sorted = Uint32Array.from(values).sort()
  let n = 0
  for (let i = 0; i < sorted.length; i++) if (n === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i]!
  return sorted.subarray(0, n)
}

/** |A ∩ B| / |A ∪ B| over the *sets* of shingle hashes (repeats ignored). Two empty sets count as identical (1). */
export function exactJaccard(shinglesA: Uint32Array, shinglesB: Uint32Array): number {
  const a = sortedSet(shinglesA)
  const b = sortedSet(shinglesB)
  if (a.length === 0 && b.length === 0) return 1
  let i = 0
  let j = 0
  let common = 0
  while (i < a.length && j < b.length) {
    if (a[i]! < b[j]!) i++
    else if (a[i]! > b[j]!) j++
    else (common++, i++, j++)
  }
  return common / (a.length + b.length - common)
}

/**
 * The LSH S-curve: the probability that a pair of Jaccard `similarity` shares at least one band, i.e.
 * 1 - (1 - s^r)^b. With 14 bands × 8 rows it rises through ~0.72, see DEFAULT_MINHASH.
 */
export function candidateProbability(similarity: number, bands: number, rows: number): number {
  return 1 - Math.pow(1 - Math.pow(similarity, rows), bands)
}

/** The customary estimate of the S-curve's threshold, (1/b)^(1/r): ≈ 0.719 for 14 × 8 (the curve is at 0.65 there). */
export const candidateThreshold = (bands: number, rows: number): number => Math.pow(1 / bands, 1 / rows)
