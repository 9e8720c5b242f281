import { Minhash } from "minhash"
import { describe, expect, it } from "vitest"
import { UnionFind, clusterRepresentatives, keepsBefore, type KeepPriority } from "../../src/dedup/minhash/clusters.ts"
import { DEFAULT_NORMALIZATION, normalizeForShingles } from "../../src/dedup/minhash/normalize.ts"
import { ShingleBuffer, combineWordHashes, fmix32, shingleHashes, wordHash, wordHashes } from "../../src/dedup/minhash/shingles.ts"
import {
  DEFAULT_MINHASH,
  MinHasher,
  bandKey53,
  bandKeyToBigInt,
  bandKeyToSigned,
  bandKeyWords,
  bandKeys,
  candidateProbability,
  candidateThreshold,
  estimatedJaccard,
  exactJaccard,
  signatureOfText,
  splitmix32
} from "../../src/dedup/minhash/signature.ts"

const hex = (values: Iterable<number>): string[] => Array.from(values, (v) => (v >>> 0).toString(16).padStart(8, "0"))

/** The tests' own seeded generator (mulberry32), independent of the code under test. Floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed | 0
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function shuffled<T>(items: ReadonlyArray<T>, random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

const FOX = "the quick brown fox jumps over the lazy dog"

describe("normalizeForShingles", () => {
  it("lower-cases and strips diacritics", () => {
    expect(normalizeForShingles("Café NAÏVE Résumé Ångström")).toBe("cafe naive resume angstrom")
  })

  it("folds every decimal digit, in any script, to 0", () => {
    expect(normalizeForShingles("In 2023, 42 cells; ٣ more")).toBe("in 0000 00 cells 0 more")
  })

  it("turns punctuation and symbols into word breaks", () => {
    expect(normalizeForShingles("e.g. x=y, a–b (see [1]) p<0.05")).toBe("e g x y a b see 0 p 0 00")
  })

  it("collapses whitespace of every kind and trims the ends", () => {
    expect(normalizeForShingles("  tab\there\n\nnew line\u00a0nbsp \r\n ")).toBe("tab here new line nbsp")
  })

  it("makes texts that differ only in those respects identical", () => {
    const a = normalizeForShingles("The Naïve model, fit in 2019, scored 0.93!")
    const b = normalizeForShingles("the naive   MODEL (fit in 2021) scored 1.74")
    expect(a).toBe(b)
  })

  it("skips each step that is switched off", () => {
    const off = { lowercase: false, stripDiacritics: false, foldDigits: false, removePunctuation: false }
    expect(normalizeForShingles("Café  42!", off)).toBe("Café 42!")
    expect(normalizeForShingles("Café 42!", { ...DEFAULT_NORMALIZATION, foldDigits: false })).toBe("cafe 42")
  })
})

describe("shingleHashes", () => {
  it("hashes words with FNV-1a over UTF-16 code units (published FNV-1a test vectors)", () => {
    expect(hex([wordHash(""), wordHash("a"), wordHash("foobar")])).toEqual(["811c9dc5", "e40c292c", "bf9cf968"])
  })

  it("mixes with murmur3's fmix32", () => {
    expect(hex([fmix32(0), fmix32(1), fmix32(0xdeadbeef)])).toEqual(["00000000", "514e28b7", "0de5c6a9"])
  })

  it("gives the same hashes on every machine (pinned values)", () => {
    expect(hex(shingleHashes(FOX, 5))).toEqual(["69de80c9", "891ee8bc", "d0d8c7bd", "12f0eb12", "38ebe067"])
  })

  it("makes one shingle per window of n words, the chain of those words' hashes", () => {
    const words = FOX.split(" ").map(wordHash)
    const shingles = shingleHashes(FOX, 3)
    expect(shingles.length).toBe(words.length - 2)
    for (let i = 0; i < shingles.length; i++) expect(shingles[i]).toBe(combineWordHashes(words, i, 3))
    expect(Array.from(shingleHashes(FOX, 1))).toEqual(words.map((w) => combineWordHashes([w])))
  })

  it("is sensitive to word order", () => {
    expect(hex(shingleHashes("brown fox", 5))).toEqual(["1f92773e"])
    expect(hex(shingleHashes("fox brown", 5))).toEqual(["b6d44e20"])
    // Swapping two adjacent words changes exactly the windows that contain one of them, not the others.
    const swapped = FOX.replace("brown fox", "fox brown")
    const a = shingleHashes(FOX, 2)
    const b = shingleHashes(swapped, 2)
    const changed = Array.from(a, (v, i) => v !== b[i])
    expect(changed).toEqual([false, true, true, true, false, false, false, false])
  })

  it("gives a short document one shingle of all its words, and an empty one none", () => {
    expect(Array.from(shingleHashes("brown fox", 5))).toEqual([combineWordHashes([wordHash("brown"), wordHash("fox")])])
    expect(shingleHashes("fox", 5).length).toBe(1)
    expect(shingleHashes("one two three four five", 5).length).toBe(1)
    expect(shingleHashes("one two three four five six", 5).length).toBe(2)
    expect(shingleHashes("", 5).length).toBe(0)
    expect(shingleHashes("   ", 5).length).toBe(0)
    // Fewer words than n is not the same shingle as the first n words of a longer text.
    expect(shingleHashes("one two three", 5)[0]).not.toBe(shingleHashes("one two three four five", 5)[0])
  })

  it("treats runs of spaces as one break", () => {
    expect(Array.from(shingleHashes("  a  b   c ", 2))).toEqual(Array.from(shingleHashes("a b c", 2)))
  })

  it("gives the same result through a reused, growing buffer", () => {
    const random = mulberry32(7)
    const texts = [3000, 10, 0, 1200].map((n) => Array.from({ length: n }, () => `w${Math.floor(random() * 500)}`).join(" "))
    const buffer = new ShingleBuffer(16)
    for (const text of texts) {
      const viaBuffer = Array.from(shingleHashes(text, 5, buffer))
      expect(viaBuffer).toEqual(Array.from(shingleHashes(text, 5)))
    }
    expect(buffer.data.length).toBeGreaterThanOrEqual(3000)
    expect(wordHashes("alpha beta", buffer)).toBe(2)
  })

  it("rejects a shingle size that is not a positive integer", () => {
    expect(() => shingleHashes(FOX, 0)).toThrow(RangeError)
    expect(() => shingleHashes(FOX, 2.5)).toThrow(RangeError)
  })
})

/** Two sets of distinct random (or consecutive) uint32 values with exactly `common` shared of `union`. */
function setPair(union: number, common: number, random: () => number, consecutiveFrom?: number): { a: Uint32Array; b: Uint32Array } {
  const values = new Uint32Array(union)
  if (consecutiveFrom !== undefined) {
    for (let i = 0; i < union; i++) values[i] = consecutiveFrom + i
  } else {
    const seen = new Set<number>()
    for (let i = 0; i < union; ) {
      const v = Math.floor(random() * 4294967296)
      if (!seen.has(v)) (seen.add(v), (values[i++] = v))
    }
  }
  const onlyA = Math.floor((union - common) / 2)
  const a = values.slice(0, common + onlyA)
  const b = new Uint32Array(union - onlyA)
  b.set(values.subarray(0, common))
  b.set(values.subarray(common + onlyA), common)
  return { a, b }
}

interface AccuracyStats {
  meanAbsError: number
  bias: number
  /** Mean of (error² / binomial variance J(1-J)/k): 1 when the hash functions act independently. */
  varianceRatio: number
}

function accuracy(hasher: MinHasher, pairs: number, seed: number, consecutive: boolean): AccuracyStats {
  const random = mulberry32(seed)
  const k = hasher.length
  const sigA = new Uint32Array(k)
  const sigB = new Uint32Array(k)
  let absError = 0
  let error = 0
  let ratio = 0
  for (let p = 0; p < pairs; p++) {
    const target = 0.2 + 0.75 * random()
    const union = 200 + Math.floor(random() * 1800)
    const common = Math.round(target * union)
    const pair = setPair(union, common, random, consecutive ? p * 4096 : undefined)
    // Structured shingles reach the hasher as shingleHashes delivers them: chained through fmix32.
    const { a, b } = consecutive ? { a: pair.a.map((x) => combineWordHashes([x])), b: pair.b.map((x) => combineWordHashes([x])) } : pair
    const truth = common / union
    expect(exactJaccard(a, b)).toBeCloseTo(truth, 12)
    hasher.signature(a, sigA)
    hasher.signature(b, sigB)
    const e = estimatedJaccard(sigA, 0, sigB, 0, k) - truth
    absError += Math.abs(e)
    error += e
    ratio += (e * e) / ((truth * (1 - truth)) / k)
  }
  return { meanAbsError: absError / pairs, bias: error / pairs, varianceRatio: ratio / pairs }
}

describe("MinHasher", () => {
  const hasher = new MinHasher()

  it("defaults to 14 bands × 8 rows over 5-grams", () => {
    expect(DEFAULT_MINHASH).toEqual({ bands: 14, rows: 8, ngram: 5, seed: 1 })
    expect(hasher.length).toBe(112)
  })

  it("draws its coefficients from splitmix32 (pinned values)", () => {
    const next = splitmix32(1)
    expect(hex([next(), next(), next(), next()])).toEqual(["5e2d1772", "14e498f0", "d20ea1fd", "b382f339"])
    expect(hex(hasher.signatureOfText("The quick brown fox jumps over the lazy dog.").subarray(0, 8))).toEqual([
      "12bf823b",
      "10628004",
      "135cec77",
      "0bfd34a2",
      "5b52ce83",
      "03a040fd",
      "1c9970d7",
      "04c4c65b"
    ])
  })

  it("gives the same signature from two hashers with the same seed, another from another seed", () => {
    const text = "Deterministic signatures let released data be deduplicated against later runs on other machines."
    const a = signatureOfText(text, new MinHasher(DEFAULT_MINHASH), DEFAULT_NORMALIZATION)
    const b = signatureOfText(text, new MinHasher({ ...DEFAULT_MINHASH }), DEFAULT_NORMALIZATION)
    const c = signatureOfText(text, new MinHasher({ ...DEFAULT_MINHASH, seed: 2 }), DEFAULT_NORMALIZATION)
    expect(Array.from(a)).toEqual(Array.from(b))
    expect(estimatedJaccard(a, 0, c, 0, a.length)).toBeLessThan(0.1)
  })

  it("writes at an offset and leaves the rest of the output alone", () => {
    const shingles = shingleHashes(FOX, 5)
    const out = new Uint32Array(3 * hasher.length).fill(7)
    hasher.signature(shingles, out, hasher.length)
    const alone = hasher.signature(shingles, new Uint32Array(hasher.length))
    expect(Array.from(out.subarray(hasher.length, 2 * hasher.length))).toEqual(Array.from(alone))
    expect(out.subarray(0, hasher.length).every((v) => v === 7)).toBe(true)
    expect(out.subarray(2 * hasher.length).every((v) => v === 7)).toBe(true)
    expect(() => hasher.signature(shingles, out, 2 * hasher.length + 1)).toThrow(RangeError)
  })

  it("gives texts equal after normalisation equal signatures, and an empty text the all-max signature", () => {
    const a = hasher.signatureOfText("The Naïve model, fit in 2019, scored 0.93 on the held-out set!")
    const b = hasher.signatureOfText("the naive MODEL (fit in 2021) scored 1.74 on the held out set")
    expect(Array.from(a)).toEqual(Array.from(b))
    expect(hasher.signatureOfText(" ... ").every((v) => v === 0xffffffff)).toBe(true)
  })

  it("rejects bad parameters", () => {
    expect(() => new MinHasher({ ...DEFAULT_MINHASH, bands: 0 })).toThrow(RangeError)
    expect(() => new MinHasher({ ...DEFAULT_MINHASH, rows: 1.5 })).toThrow(RangeError)
    expect(() => new MinHasher({ ...DEFAULT_MINHASH, seed: -1 })).toThrow(RangeError)
  })

  it("estimates Jaccard without bias on random sets of known Jaccard 0.2–0.95", () => {
    const stats = accuracy(hasher, 300, 12345, false)
    expect(stats.meanAbsError).toBeLessThanOrEqual(0.05)
    expect(Math.abs(stats.bias)).toBeLessThanOrEqual(0.02)
    // Correlated hash functions would inflate the error beyond the binomial J(1-J)/k.
    expect(stats.varianceRatio).toBeGreaterThan(0.7)
    expect(stats.varianceRatio).toBeLessThan(1.35)
  })

  it("stays accurate on structured shingles (consecutive word hashes, as shingleHashes mixes them)", () => {
    const stats = accuracy(hasher, 300, 777, true)
    expect(stats.meanAbsError).toBeLessThanOrEqual(0.05)
    expect(Math.abs(stats.bias)).toBeLessThanOrEqual(0.02)
    expect(stats.varianceRatio).toBeLessThan(1.35)
  })

  it("makes pairs above the S-curve's threshold share a band and pairs far below it not", () => {
    const random = mulberry32(99)
    const keys = (sig: Uint32Array) => {
      const out = new BigUint64Array(DEFAULT_MINHASH.bands)
      bandKeys(sig, 0, DEFAULT_MINHASH, out)
      return out
    }
    const sharesBand = (j: number) => {
      const { a, b } = setPair(1000, Math.round(j * 1000), random)
      const ka = keys(hasher.signature(a, new Uint32Array(hasher.length)))
      const kb = keys(hasher.signature(b, new Uint32Array(hasher.length)))
      return ka.some((k, band) => k === kb[band])
    }
    for (let i = 0; i < 40; i++) expect(sharesBand(0.95)).toBe(true)
    for (let i = 0; i < 40; i++) expect(sharesBand(0.3)).toBe(false)
  })
})

describe("band keys", () => {
  const { bands, rows } = DEFAULT_MINHASH
  const randomSignature = (random: () => number) => Uint32Array.from({ length: bands * rows }, () => Math.floor(random() * 4294967296))

  it("are equal exactly in the bands whose rows are equal", () => {
    const random = mulberry32(5)
    for (let trial = 0; trial < 20; trial++) {
      const a = randomSignature(random)
      const b = Uint32Array.from(a)
      const sameBands = new Set<number>()
      for (let band = 0; band < bands; band++) {
        if (random() < 0.5) sameBands.add(band)
        else b[band * rows + Math.floor(random() * rows)]! ^= 1 << Math.floor(random() * 32)
      }
      for (let band = 0; band < bands; band++) {
        const ka = bandKeyWords(a, 0, band, rows)
        const kb = bandKeyWords(b, 0, band, rows)
        expect(ka.hi === kb.hi && ka.lo === kb.lo).toBe(sameBands.has(band))
        expect(bandKey53(a, 0, band, rows) === bandKey53(b, 0, band, rows)).toBe(sameBands.has(band))
      }
    }
  })

  it("hash the band index too: equal rows in different bands give different keys", () => {
    const sig = new Uint32Array(bands * rows).fill(42)
    const keys = new BigUint64Array(bands)
    bandKeys(sig, 0, DEFAULT_MINHASH, keys)
    expect(new Set(keys).size).toBe(bands)
  })

  it("depend on the order of the rows", () => {
    const sig = Uint32Array.from({ length: rows }, (_, i) => i + 1)
    const reversed = Uint32Array.from(sig).reverse()
    expect(bandKeyWords(sig, 0, 0, rows)).not.toEqual(bandKeyWords(reversed, 0, 0, rows))
  })

  it("do not collide over many random bands", () => {
    const random = mulberry32(11)
    const seen = new Set<bigint>()
    const sig = new Uint32Array(rows)
    for (let i = 0; i < 20000; i++) {
      for (let r = 0; r < rows; r++) sig[r] = Math.floor(random() * 4294967296)
      const { hi, lo } = bandKeyWords(sig, 0, 0, rows)
      seen.add(bandKeyToBigInt(hi, lo))
    }
    expect(seen.size).toBe(20000)
  })

  it("agree across the output forms: hi/lo words, unsigned and signed 64-bit, 53-bit number", () => {
    const random = mulberry32(3)
    const sig = new Uint32Array(2 * bands * rows)
    sig.set(randomSignature(random), bands * rows)
    const words = { hi: new Uint32Array(bands + 1), lo: new Uint32Array(bands + 1) }
    const unsigned = new BigUint64Array(bands)
    const signed = new BigInt64Array(bands)
    bandKeys(sig, bands * rows, DEFAULT_MINHASH, words, 1)
    bandKeys(sig, bands * rows, DEFAULT_MINHASH, unsigned)
    bandKeys(sig, bands * rows, DEFAULT_MINHASH, signed)
    for (let band = 0; band < bands; band++) {
      const hi = words.hi[band + 1]!
      const lo = words.lo[band + 1]!
      expect(unsigned[band]).toBe((BigInt(hi) << 32n) | BigInt(lo))
      expect(signed[band]).toBe(bandKeyToSigned(hi, lo))
      expect(BigInt.asUintN(64, signed[band]!)).toBe(unsigned[band])
      const k53 = bandKey53(sig, bands * rows, band, rows)
      expect(Number.isSafeInteger(k53) && k53 >= 0).toBe(true)
      expect(k53).toBe((hi & 0x1fffff) * 2 ** 32 + lo)
    }
    // Signed keys cover the BIGINT range, negative ones included.
    expect(bandKeyToSigned(0xffffffff, 0xffffffff)).toBe(-1n)
    expect(bandKeyToSigned(0x7fffffff, 0xffffffff)).toBe(2n ** 63n - 1n)
  })

  it("are the same on every machine (pinned values)", () => {
    const sig = new MinHasher().signatureOfText("The quick brown fox jumps over the lazy dog.")
    const { hi, lo } = bandKeyWords(sig, 0, 0, rows)
    expect(hex([hi, lo])).toEqual(["937135f8", "f44c1cff"])
    expect(bandKeyToSigned(hi, lo)).toBe(-7822411734399050497n)
    expect(bandKey53(sig, 0, 0, rows)).toBe(4844417970871551)
  })
})

describe("similarity helpers", () => {
  it("estimatedJaccard is the fraction of equal entries at the given offsets", () => {
    const a = Uint32Array.of(9, 1, 2, 3, 4)
    const b = Uint32Array.of(1, 2, 0, 4, 8, 8)
    expect(estimatedJaccard(a, 1, b, 0, 4)).toBe(0.75) // 1, 2, 4 equal; 3 ≠ 0
    expect(estimatedJaccard(a, 0, b, 0, 4)).toBe(0)
    expect(estimatedJaccard(a, 1, a, 1, 4)).toBe(1)
  })

  it("exactJaccard works on sets: repeats ignored, values above 2^31 ordered as unsigned", () => {
    expect(exactJaccard(Uint32Array.of(1, 2, 3), Uint32Array.of(2, 3, 4))).toBe(0.5)
    expect(exactJaccard(Uint32Array.of(1, 1, 2), Uint32Array.of(2, 1, 2, 2))).toBe(1)
    expect(exactJaccard(Uint32Array.of(0xffffffff, 0x80000000, 5), Uint32Array.of(5, 0xffffffff))).toBeCloseTo(2 / 3, 12)
    expect(exactJaccard(Uint32Array.of(1), Uint32Array.of(2))).toBe(0)
    expect(exactJaccard(new Uint32Array(0), Uint32Array.of(2))).toBe(0)
    expect(exactJaccard(new Uint32Array(0), new Uint32Array(0))).toBe(1)
  })

  it("candidateProbability is the S-curve 1 - (1 - s^r)^b", () => {
    expect(candidateProbability(0, 14, 8)).toBe(0)
    expect(candidateProbability(1, 14, 8)).toBe(1)
    expect(candidateProbability(0.5, 14, 8)).toBeCloseTo(0.0533, 4)
    expect(candidateProbability(0.7, 14, 8)).toBeCloseTo(0.5645, 4)
    expect(candidateProbability(0.8, 14, 8)).toBeCloseTo(0.9235, 4)
    expect(candidateProbability(0.5, 1, 1)).toBe(0.5)
    expect(candidateThreshold(14, 8)).toBeCloseTo(0.719, 3)
    // The curve passes one half a little below the (1/b)^(1/r) approximation, at s ≈ 0.685.
    expect(candidateProbability(0.68, 14, 8)).toBeLessThan(0.5)
    expect(candidateProbability(0.69, 14, 8)).toBeGreaterThan(0.5)
    expect(candidateProbability(0.719, 14, 8)).toBeCloseTo(0.646, 3)
  })
})

// ---------------------------------------------------------------------------------------------------
// Against an independent implementation: the `minhash` npm package (its own string hash and
// (a·x + b) mod p permutations), fed the same normalised 5-word shingles as strings.

const PARAGRAPHS = [
  `Protein folding is the physical process by which a polypeptide chain acquires its native three-dimensional
  structure. The sequence of amino acids determines the final conformation, but the path the chain takes through
  its energy landscape can involve transient intermediates, misfolded states and aggregation. Molecular chaperones
  such as Hsp70 and GroEL assist folding in the crowded cellular environment, where the concentration of
  macromolecules reaches 300–400 g/L. Experimental techniques including NMR spectroscopy, hydrogen–deuterium
  exchange and single-molecule FRET have revealed folding times ranging from microseconds for small domains to
  minutes for large multidomain proteins.`,
  `The Navier–Stokes equations describe the motion of viscous fluids and express conservation of momentum and mass.
  For an incompressible Newtonian fluid the velocity field satisfies a nonlinear partial differential equation whose
  solutions exhibit laminar flow at low Reynolds number and turbulence when Re exceeds roughly 2300 in a pipe.
  Direct numerical simulation resolves every scale of motion down to the Kolmogorov length, but its cost grows
  approximately as Re³, so engineering calculations rely on Reynolds-averaged models or large-eddy simulation with
  a subgrid closure. Whether smooth solutions exist for all time in three dimensions remains one of the Millennium
  Prize problems.`,
  `Gradient descent minimises a differentiable objective by repeatedly stepping against the gradient. With a step
  size below 2/L, where L is the Lipschitz constant of the gradient, the iterates of a convex problem converge at a
  rate of O(1/k); strong convexity improves this to a linear rate. Stochastic variants estimate the gradient from a
  small batch of examples, trading noise for a much lower cost per step, and momentum methods such as Nesterov's
  accelerated scheme reach the optimal O(1/k²) rate for smooth convex functions. In deep learning, adaptive methods
  like Adam rescale each coordinate by running estimates of the first and second moments of the gradient.`,
  `Radiocarbon dating measures the decay of carbon-14, which forms in the upper atmosphere when cosmic-ray neutrons
  strike nitrogen. Living organisms exchange carbon with their surroundings and keep a nearly constant ratio of
  ¹⁴C to ¹²C; after death the ratio falls with a half-life of 5,730 ± 40 years. Accelerator mass spectrometry counts
  individual atoms and needs only milligrams of sample, extending the useful range to about 50,000 years.
  Calibration curves built from tree rings, corals and lake sediments correct for past variations in atmospheric
  production, which otherwise bias raw ages by several centuries.`,
  `Superconductivity appears in many metals and ceramics cooled below a critical temperature, where electrical
  resistance vanishes and magnetic flux is expelled from the interior, the Meissner effect. The
  Bardeen–Cooper–Schrieffer theory explains conventional superconductors through the pairing of electrons mediated
  by lattice vibrations, with an energy gap that opens at the Fermi surface. Cuprate compounds discovered in 1986
  superconduct above 77 K, the boiling point of liquid nitrogen, yet their pairing mechanism is still debated.
  Applications include MRI magnets, particle accelerators and sensitive magnetometers built from Josephson junctions.`
]

const wordsOf = (text: string): string[] => text.split(/\s+/).filter((w) => w.length > 0)

/** Every k-th word replaced by a misspelling: each edit touches the 5 shingles that contain it. */
const typoEvery = (text: string, k: number, from = 0): string =>
  wordsOf(text)
    .map((w, i) => (i >= from && (i - from) % k === k - 1 ? `${w}zq` : w))
    .join(" ")

const insertEvery = (text: string, k: number, sentence: string): string =>
  wordsOf(text)
    .map((w, i) => (i % k === k - 1 ? `${w} ${sentence}` : w))
    .join(" ")

const join = (...indices: number[]): string => indices.map((i) => PARAGRAPHS[i]!).join("\n\n")
const firstWords = (text: string, fraction: number): string => {
  const words = wordsOf(text)
  return words.slice(0, Math.round(words.length * fraction)).join(" ")
}

/** ~30 pairs of a document and an edited copy, from identical to unrelated. */
function editedPairs(): Array<{ name: string; a: string; b: string }> {
  const base = join(0, 1, 2, 3)
  const other = join(1, 2, 3, 4)
  const pairs: Array<{ name: string; a: string; b: string }> = [
    { name: "formatting only", a: base, b: base.toUpperCase().replace(/[0-9]/g, "7").replace(/\./g, " ;") },
    { name: "paragraphs swapped", a: base, b: join(0, 2, 1, 3) },
    { name: "one paragraph more", a: base, b: join(0, 1, 2, 3, 4) },
    { name: "shifted window", a: base, b: other },
    { name: "half overlap", a: join(0, 1), b: join(1, 2) },
    { name: "unrelated", a: join(0, 1), b: join(3, 4) },
    { name: "first half", a: base, b: firstWords(base, 0.5) },
    { name: "first three quarters", a: base, b: firstWords(base, 0.75) },
    { name: "edited other", a: base, b: typoEvery(other, 9) },
    { name: "sentence inserted every 60 words", a: base, b: insertEvery(base, 60, "As noted above.") },
    { name: "sentence inserted every 25 words", a: base, b: insertEvery(base, 25, "See the supplementary material for details.") }
  ]
  for (const k of [80, 50, 35, 25, 18, 12, 9, 7, 5, 4, 3]) pairs.push({ name: `typo every ${k} words`, a: base, b: typoEvery(base, k) })
  for (const p of [0, 1, 2, 3]) pairs.push({ name: `paragraph ${p} dropped`, a: base, b: join(...[0, 1, 2, 3].filter((i) => i !== p)) })
  pairs.push({ name: "typos in the second half only", a: base, b: typoEvery(base, 6, 250) })
  pairs.push({ name: "single paragraph, light typos", a: join(4), b: typoEvery(join(4), 30) })
  pairs.push({ name: "single paragraph, heavy typos", a: join(2), b: typoEvery(join(2), 6) })
  pairs.push({ name: "both sides edited", a: typoEvery(base, 40, 3), b: typoEvery(base, 40, 20) })
  return pairs
}

const shingleStrings = (normalized: string, n: number): string[] => {
  const words = normalized.split(" ").filter((w) => w.length > 0)
  if (words.length === 0) return []
  if (words.length < n) return [words.join(" ")]
  return Array.from({ length: words.length - n + 1 }, (_, i) => words.slice(i, i + n).join(" "))
}

function referenceMinhash(shingles: ReadonlyArray<string>): Minhash {
  const m = new Minhash({ numPerm: 128, seed: 1 })
  for (const s of new Set(shingles)) m.update(s)
  return m
}

/** Jaccard of the sets of shingle strings: the ground truth, independent of any hash. */
function stringJaccard(a: ReadonlyArray<string>, b: ReadonlyArray<string>): number {
  const sa = new Set(a)
  const sb = new Set(b)
  let common = 0
  for (const s of sa) if (sb.has(s)) common++
  return common / (sa.size + sb.size - common)
}

describe("agreement with the minhash npm package", () => {
  it("estimates the same Jaccard on ~30 document pairs with known edits, and both match the exact value", () => {
    const hasher = new MinHasher()
    const n = DEFAULT_MINHASH.ngram
    const pairs = editedPairs()
    expect(pairs.length).toBeGreaterThanOrEqual(30)
    const rows = pairs.map(({ name, a, b }) => {
      const na = normalizeForShingles(a)
      const nb = normalizeForShingles(b)
      const truth = stringJaccard(shingleStrings(na, n), shingleStrings(nb, n))
      const ha = shingleHashes(na, n)
      const hb = shingleHashes(nb, n)
      const ours = estimatedJaccard(hasher.signature(ha, new Uint32Array(hasher.length)), 0, hasher.signature(hb, new Uint32Array(hasher.length)), 0, hasher.length)
      const reference = referenceMinhash(shingleStrings(na, n)).jaccard(referenceMinhash(shingleStrings(nb, n)))
      return { name, truth, hashed: exactJaccard(ha, hb), ours, reference }
    })
    // The pairs span the range, so agreement is not just "both say 0" or "both say 1".
    const truths = rows.map((r) => r.truth)
    expect(Math.min(...truths)).toBeLessThan(0.05)
    expect(Math.max(...truths)).toBe(1)
    expect(truths.filter((t) => t > 0.2 && t < 0.8).length).toBeGreaterThanOrEqual(10)
    for (const r of rows) {
      // 32-bit shingle hashes keep the sets apart: the exact Jaccard is that of the shingle strings.
      expect(r.hashed, r.name).toBeCloseTo(r.truth, 12)
      // One pair's estimate has a standard deviation up to 0.047 (J = 0.5, 112 hashes): 0.15 is ~3σ;
      // the means below are the tight check.
      expect(Math.abs(r.ours - r.reference), r.name).toBeLessThanOrEqual(0.15)
      expect(Math.abs(r.ours - r.truth), r.name).toBeLessThanOrEqual(0.15)
      expect(Math.abs(r.reference - r.truth), r.name).toBeLessThanOrEqual(0.15)
    }
    const mean = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length
    expect(mean((r) => Math.abs(r.ours - r.truth))).toBeLessThanOrEqual(0.04)
    expect(mean((r) => Math.abs(r.reference - r.truth))).toBeLessThanOrEqual(0.04)
  })
})

// ---------------------------------------------------------------------------------------------------
// Clusters

describe("UnionFind", () => {
  it("roots every set at its smallest index, whatever the order of unions", () => {
    const edges: Array<[number, number]> = [
      [5, 9],
      [9, 2],
      [7, 8],
      [2, 4],
      [8, 1]
    ]
    const random = mulberry32(21)
    const roots = new Set<string>()
    for (let trial = 0; trial < 8; trial++) {
      const sets = new UnionFind(10)
      for (const [a, b] of shuffled(edges, random)) (random() < 0.5 ? sets.union(a, b) : sets.union(b, a))
      roots.add(Array.from({ length: 10 }, (_, i) => sets.find(i)).join(","))
    }
    expect([...roots]).toEqual(["0,1,2,3,2,2,6,1,1,2"])
  })

  it("reports whether a union joined two sets", () => {
    const sets = new UnionFind(4)
    expect(sets.unionAll(Int32Array.of(0, 1, 0), Int32Array.of(1, 2, 2))).toBe(2)
    expect(sets.union(2, 0)).toBe(false)
    expect(sets.union(3, 2)).toBe(true)
    expect(sets.find(3)).toBe(0)
  })
})

describe("clusterRepresentatives", () => {
  const priority = (score: number[], tieRank: number[]): KeepPriority => ({ score: Float64Array.from(score), tieRank: Int32Array.from(tieRank) })

  it("keeps the highest score, then the smallest tie rank, then the smallest index", () => {
    const p = priority([10, 30, 30, 5, NaN, 30], [5, 4, 2, 0, 0, 2])
    expect(keepsBefore(p, 1, 0)).toBe(true) // higher score
    expect(keepsBefore(p, 2, 1)).toBe(true) // same score, smaller tie rank
    expect(keepsBefore(p, 2, 5)).toBe(true) // same score and rank, smaller index
    expect(keepsBefore(p, 5, 2)).toBe(false)
    expect(keepsBefore(p, 3, 4)).toBe(true) // NaN counts as -∞
    expect(keepsBefore(p, 4, 3)).toBe(false)
  })

  it("names each cluster by its kept document and lists the others with their cluster size", () => {
    // Clusters {0,1,2}, {3,4}, {5}: kept 2 (longest), 4 (tie on length, smaller id rank), 5 alone.
    const sets = new UnionFind(6)
    sets.unionAll(Int32Array.of(0, 1, 3), Int32Array.of(1, 2, 4))
    const result = clusterRepresentatives(sets, priority([100, 50, 120, 80, 80, 10], [0, 1, 2, 4, 3, 5]))
    expect(Array.from(result.keptOf)).toEqual([2, 2, 2, 4, 4, 5])
    expect(Array.from(result.removed)).toEqual([0, 1, 3])
    expect(Array.from(result.removedKept)).toEqual([2, 2, 4])
    expect(Array.from(result.clusterSize)).toEqual([3, 3, 2])
  })

  it("gives the same result for any order of the edges (checked against a brute force)", () => {
    const random = mulberry32(2024)
    const n = 3000
    const edges: Array<[number, number]> = Array.from({ length: 2200 }, () => [Math.floor(random() * n), Math.floor(random() * n)])
    // Integer scores with many ties, so the tie rank (a permutation, like ranks of sorted ids) matters.
    const p = priority(
      Array.from({ length: n }, () => Math.floor(random() * 5)),
      shuffled(Array.from({ length: n }, (_, i) => i), random)
    )
    const results = Array.from({ length: 5 }, (_, trial) => {
      const order = trial === 0 ? edges : shuffled(edges, random)
      const sets = new UnionFind(n)
      for (const [a, b] of order) (trial % 2 === 0 ? sets.union(a, b) : sets.union(b, a))
      const r = clusterRepresentatives(sets, p)
      return { keptOf: Array.from(r.keptOf), removed: Array.from(r.removed), removedKept: Array.from(r.removedKept), clusterSize: Array.from(r.clusterSize) }
    })
    for (const r of results.slice(1)) expect(r).toEqual(results[0])
    expect(results[0]!.removed.length).toBeGreaterThan(500)

    // Brute force: components by graph search, kept = the best member by sorting on the stated policy.
    const adjacency = Array.from({ length: n }, () => [] as number[])
    for (const [a, b] of edges) (adjacency[a]!.push(b), adjacency[b]!.push(a))
    const expected = new Array<number>(n).fill(-1)
    for (let start = 0; start < n; start++) {
      if (expected[start] !== -1) continue
      const members = [start]
      const seen = new Set(members)
      for (let k = 0; k < members.length; k++) for (const m of adjacency[members[k]!]!) if (!seen.has(m)) (seen.add(m), members.push(m))
      const best = [...members].sort((i, j) => p.score[j]! - p.score[i]! || p.tieRank[i]! - p.tieRank[j]!)[0]!
      for (const m of members) expected[m] = best
    }
    expect(results[0]!.keptOf).toEqual(expected)
  })
})
