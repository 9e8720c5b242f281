/**
 * The domain classifier: routes one document to one bundle from the bundle definitions (bundles/*.yaml).
 * Pure and synchronous — no I/O, no Effect, no model calls — so the classify stage can call it in a
 * plain loop over DuckDB column batches. Compiled once per definition set; routing a document costs
 * one pass over the characters of a text prefix (case folded through a table, words looked up in an
 * open-addressing hash of the lexicon vocabulary without being sliced out), then a walk of a word trie
 * for phrases. No allocation per word.
 *
 * Evidence, strongest first:
 *  1. an explicit `domain` on the document naming a bundle routes there ("input domain");
 *  2. the document's `format` listed in a definition's `formats` (a program's output or a code
 *     language: lammps-log → materials, gaussian-log → chemistry, python → code-python) adds
 *     FORMAT_SCORE, enough on its own to route;
 *  3. lexicon terms in the text (and, counted once more each, in the title): see `route` below.
 * A bundle only ever receives the kinds it lists, and its license policy is applied after scoring:
 * a document the best bundle may not take falls to the next one that may.
 */
import { isAllowed } from "../ingest/code/license.ts"
import { BundleDefinitionError, type BundleDefinition } from "./definitions.ts"

/**
 * What routing reads of a document. `metadata` is part of the contract but not read today: the readers
 * already render what matters of it (program, variables, attributes) into `text`.
 */
export interface RoutableDocument {
  readonly kind: string
  readonly format: string
  readonly title: string | null
  readonly text: string
  readonly metadata: string
  readonly domain: string | null
  readonly license: string | null
}

/**
 * A routing decision. Routed: `bundle` and its `score`; `second`/`secondScore` the best other bundle
 * that could take the document's kind (null/0 when none scored above 0). Unrouted (`bundle` null):
 * `score` is the best bundle's score and `second`/`secondScore` name that best bundle — the one that
 * came closest — so curators can see what almost claimed the document. `reason` is short, human
 * readable and deterministic.
 */
export interface Routing {
  readonly bundle: string | null
  readonly score: number
  readonly reason: string
  readonly second: string | null
  readonly secondScore: number
}

export interface ClassifierOptions {
  /** Documents whose best (license-eligible) bundle scores below this stay unrouted. */
  readonly minScore?: number
  /** Only this many leading characters of the text are scanned. */
  readonly maxChars?: number
}

export interface Classifier {
  /** Bundle names, in definition order. */
  readonly bundles: ReadonlyArray<string>
  route(doc: RoutableDocument): Routing
}

/**
 * Default threshold. One strong, specific term used a couple of times in a short text (e.g. a `co2`
 * column in a small CSV: 2.5 × (1 + ln 3) ≈ 5.2) or two moderate ones pass; a single incidental
 * general word ("cell", "model", weight ≤ 2, once) does not, and neither does a long text whose
 * scattered mentions normalise away.
 */
export const DEFAULT_MIN_SCORE = 3
/** 200k characters ≈ 30k words: far more than a paper's abstract, introduction and methods need. */
export const DEFAULT_MAX_CHARS = 200_000
/** A format listed by the bundle: strong evidence, alone above DEFAULT_MIN_SCORE; lexicons can still outvote it. */
export const FORMAT_SCORE = 10
/** Each distinct lexicon term in the title (or a non-bundle `domain` string) adds its weight × this. */
export const TITLE_WEIGHT = 1
/** Words up to which no length normalisation applies (an abstract). */
export const NORM_WORDS = 300

// ---------------------------------------------------------------------------------------------------
// Words. A word is a maximal run of ASCII letters and digits, Latin-1/Latin Extended, Greek or
// Cyrillic letters (and µ). Everything else separates words — spaces, punctuation, hyphens and
// underscores — so `Hartree-Fock` and `hartree fock` are the same bigram, and the CF standard name
// `sea_surface_temperature` or an HDF5 dataset `/significant_wave_height` matches the phrase
// "sea surface temperature" / "significant wave height". Lexicon terms are split the same way.

/** 1 for the code units words are made of (both cases). */
const WORD_CHAR = new Uint8Array(65536)
/** Each code unit's lower case when that is one code unit (else itself): folding without toLowerCase. */
const LOWER = new Uint16Array(65536)
{
  const mark = (from: number, to: number) => {
    for (let c = from; c <= to; c++) WORD_CHAR[c] = 1
  }
  mark(0x30, 0x39)
  mark(0x41, 0x5a)
  mark(0x61, 0x7a)
  WORD_CHAR[0xb5] = 1
  mark(0xc0, 0x24f)
  WORD_CHAR[0xd7] = 0 // ×
  WORD_CHAR[0xf7] = 0 // ÷
  mark(0x370, 0x3ff)
  mark(0x400, 0x4ff)
  for (let c = 0; c < 65536; c++) {
    const l = c >= 0xd800 && c <= 0xdfff ? "" : String.fromCharCode(c).toLowerCase()
    LOWER[c] = l.length === 1 ? l.charCodeAt(0) : c
  }
}

/** The lower-cased words of a string (used for terms and tests; the hot path scans without allocating). */
export function words(text: string): string[] {
  const out: string[] = []
  const n = text.length
  let i = 0
  while (i < n) {
    while (i < n && WORD_CHAR[text.charCodeAt(i)] === 0) i++
    const start = i
    while (i < n && WORD_CHAR[text.charCodeAt(i)] === 1) i++
    if (i > start) {
      let w = ""
      for (let k = start; k < i; k++) w += String.fromCharCode(LOWER[text.charCodeAt(k)]!)
      out.push(w)
    }
  }
  return out
}

/** Hash of lower-cased code units, computed while scanning (FNV-1a style, 32 bits). */
const hashStep = (h: number, c: number): number => Math.imul(h ^ c, 0x01000193)
const HASH_SEED = 0x811c9dc5 | 0

/** Latin letters without their diacritics (niño → nino), so a term matches either spelling. */
const fold = (s: string): string => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "")

// ---------------------------------------------------------------------------------------------------
// The compiled lexicon: every word used by any term gets an integer id; terms are word-id sequences in
// a trie; each term carries its weight in every bundle that lists it.

interface TrieNode {
  /** Term index ending here, or -1. */
  term: number
  next: Map<number, TrieNode> | null
}

interface Term {
  /** The lexicon spelling shown in reasons (the first seen, in bundle order). */
  readonly display: string
  readonly bundles: number[]
  readonly weights: number[]
}

interface Bundle {
  readonly name: string
  readonly kinds: ReadonlySet<string>
  readonly allowed: ReadonlyArray<string> | null
  readonly keepUnknown: boolean
}

/** Per-classifier scratch space, reused from document to document (routing is synchronous). */
interface Scratch {
  seq: Int32Array
  counts: Int32Array
  touched: Int32Array
  nTouched: number
  titleSeen: Uint8Array
}

const fmt = (x: number): string => (Math.round(x * 10) / 10).toFixed(1)

export function compileClassifier(defs: ReadonlyArray<BundleDefinition>, options: ClassifierOptions = {}): Classifier {
  const minScore = options.minScore ?? DEFAULT_MIN_SCORE
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS
  const bundles: Bundle[] = defs.map((d) => ({
    name: d.name,
    kinds: new Set(d.kinds),
    allowed: d.license?.allowed ?? null,
    keepUnknown: d.license?.keep_unknown ?? true
  }))
  const byName = new Map(bundles.map((b, i) => [b.name, i] as const))
  if (byName.size !== bundles.length) throw new BundleDefinitionError("two bundle definitions share a name")

  const formatOwner = new Map<string, number>()
  defs.forEach((d, i) => {
    for (const f of d.formats ?? []) {
      const owner = formatOwner.get(f)
      if (owner !== undefined && owner !== i) throw new BundleDefinitionError(`format ${f} is claimed by both ${bundles[owner]!.name} and ${d.name}`)
      formatOwner.set(f, i)
    }
  })

  const vocab = new Map<string, number>()
  const vocabWords: string[] = []
  let maxWordLength = 0
  const root: Map<number, TrieNode> = new Map()
  const terms: Term[] = []
  const wordId = (w: string): number => {
    let id = vocab.get(w)
    if (id === undefined) {
      id = vocab.size
      vocab.set(w, id)
      vocabWords.push(w)
      if (w.length > maxWordLength) maxWordLength = w.length
    }
    return id
  }
  const addTerm = (ws: ReadonlyArray<string>, display: string, bundle: number, weight: number) => {
    let level = root
    let node: TrieNode | undefined
    for (let k = 0; k < ws.length; k++) {
      const id = wordId(ws[k]!)
      node = level.get(id)
      if (node === undefined) {
        node = { term: -1, next: null }
        level.set(id, node)
      }
      if (k < ws.length - 1) level = node.next ??= new Map()
    }
    if (node!.term === -1) {
      node!.term = terms.length
      terms.push({ display, bundles: [], weights: [] })
    }
    const t = terms[node!.term]!
    const at = t.bundles.indexOf(bundle)
    // Two spellings of one term in a bundle ("hartree-fock", "hartree fock") count once, at the higher weight.
    if (at === -1) {
      t.bundles.push(bundle)
      t.weights.push(weight)
    } else t.weights[at] = Math.max(t.weights[at]!, weight)
  }
  defs.forEach((d, b) => {
    for (const [term, weight] of Object.entries(d.lexicon)) {
      const ws = words(term)
      if (ws.length === 0) throw new BundleDefinitionError(`bundle ${d.name}: lexicon term ${JSON.stringify(term)} has no words (letters or digits)`)
      addTerm(ws, term, b, weight)
      const folded = ws.map(fold)
      if (folded.some((w, k) => w !== ws[k])) addTerm(folded, term, b, weight)
    }
  })

  // The vocabulary as an open-addressing hash table over the scan hash: the scanner looks words up
  // without slicing them out of the text (most words of a document are in no lexicon).
  let tableBits = 4
  while (1 << tableBits < vocabWords.length * 4) tableBits++
  const tableMask = (1 << tableBits) - 1
  const table = new Int32Array(1 << tableBits).fill(-1)
  const wordHash = new Int32Array(vocabWords.length)
  vocabWords.forEach((w, id) => {
    let h = HASH_SEED
    for (let k = 0; k < w.length; k++) h = hashStep(h, w.charCodeAt(k))
    wordHash[id] = h
    let slot = h & tableMask
    while (table[slot] !== -1) slot = (slot + 1) & tableMask
    table[slot] = id
  })
  /** Id of the word text[start, end) with scan hash h, or -1. */
  const lookup = (text: string, start: number, end: number, h: number): number => {
    let slot = h & tableMask
    for (;;) {
      const id = table[slot]!
      if (id === -1) return -1
      if (wordHash[id] === h) {
        const w = vocabWords[id]!
        if (w.length === end - start) {
          let k = 0
          while (k < w.length && w.charCodeAt(k) === LOWER[text.charCodeAt(start + k)]) k++
          if (k === w.length) return id
        }
      }
      slot = (slot + 1) & tableMask
    }
  }

  const nBundles = bundles.length
  const kindBundles = new Map<string, number[]>()
  const bundlesForKind = (kind: string): number[] => {
    let list = kindBundles.get(kind)
    if (list === undefined) {
      list = []
      for (let b = 0; b < nBundles; b++) if (bundles[b]!.kinds.has(kind)) list.push(b)
      kindBundles.set(kind, list)
    }
    return list
  }
  const licenseCache = new Map<string, boolean>()
  const licenseOk = (b: number, license: string | null): boolean => {
    const bundle = bundles[b]!
    if (license === null || license.trim() === "") return bundle.keepUnknown
    if (bundle.allowed === null) return true
    const key = `${b}\u0000${license}`
    let ok = licenseCache.get(key)
    if (ok === undefined) {
      ok = isAllowed(license, bundle.allowed)
      licenseCache.set(key, ok)
    }
    return ok
  }

  const scratch: Scratch = {
    seq: new Int32Array(4096),
    counts: new Int32Array(terms.length),
    touched: new Int32Array(terms.length),
    nTouched: 0,
    titleSeen: new Uint8Array(terms.length)
  }

  /**
   * Turn text into the sequence of vocabulary word ids, runs of other words collapsed to one -1 (a
   * phrase cannot span them), folding case on the fly. Returns [sequence length, word count]; words
   * that start with a digit (numbers, table cells) do not count towards the length normalisation.
   */
  const encode = (text: string, len: number): [number, number] => {
    let seq = scratch.seq
    let n = 0
    let nWords = 0
    let gap = true
    let i = 0
    while (i < len) {
      while (i < len && WORD_CHAR[text.charCodeAt(i)] === 0) i++
      if (i >= len) break
      const start = i
      const first = text.charCodeAt(i)
      let h = HASH_SEED
      let c = first
      while (i < len && WORD_CHAR[(c = text.charCodeAt(i))] === 1) {
        h = hashStep(h, LOWER[c]!)
        i++
      }
      if (first > 0x39) nWords++
      const id = i - start <= maxWordLength ? lookup(text, start, i, h) : -1
      if (id === -1 && gap) continue
      if (n === seq.length) {
        const grown = new Int32Array(seq.length * 2)
        grown.set(seq)
        scratch.seq = seq = grown
      }
      seq[n++] = id
      gap = id === -1
    }
    return [n, nWords]
  }

  /** Greedy longest match of lexicon terms over an encoded sequence; calls `hit(term)` per match. */
  const match = (n: number, hit: (term: number) => void) => {
    const seq = scratch.seq
    let i = 0
    while (i < n) {
      const id = seq[i]!
      let node = id >= 0 ? root.get(id) : undefined
      if (node === undefined) {
        i++
        continue
      }
      let best = node.term
      let bestEnd = i + 1
      let j = i + 1
      while (node.next !== null && j < n) {
        const nid = seq[j]!
        if (nid < 0) break
        const child: TrieNode | undefined = node.next.get(nid)
        if (child === undefined) break
        node = child
        j++
        if (node.term >= 0) {
          best = node.term
          bestEnd = j
        }
      }
      if (best >= 0) {
        hit(best)
        i = bestEnd
      } else i++
    }
  }

  const countHit = (t: number) => {
    const c = scratch.counts[t]!
    scratch.counts[t] = c + 1
    if (c === 0) scratch.touched[scratch.nTouched++] = t
  }

  const route = (doc: RoutableDocument): Routing => {
    const eligible = bundlesForKind(doc.kind)
    const score = new Float64Array(nBundles)
    const titleScore = new Float64Array(nBundles)

    // Lexicon evidence in the text. Each matched term adds weight × (1 + ln count): the first mention
    // is the evidence, repetitions add less and less (a paper that says "galaxy" 80 times is not 80
    // times more about galaxies than one that says it 3 times). The sum is divided by
    // 1 + ln(words / NORM_WORDS) (1 up to 300 words): a long paper mentions many terms of many fields
    // in passing, and without this its scores would dwarf any threshold that suits a 150-word abstract
    // or a short simulation summary. Logarithmic, not linear, because the number of distinct terms a
    // text uses keeps growing with its length (and a long paper really is stronger evidence).
    scratch.nTouched = 0
    // Scanning stops at maxChars (mid-word at worst: one word lost).
    const [n, nWords] = encode(doc.text, Math.min(doc.text.length, maxChars))
    match(n, countHit)
    const norm = 1 + Math.log(Math.max(1, nWords / NORM_WORDS))
    const touched = scratch.touched
    const nTouched = scratch.nTouched
    for (let k = 0; k < nTouched; k++) {
      const t = touched[k]!
      const f = 1 + Math.log(scratch.counts[t]!)
      const term = terms[t]!
      for (let j = 0; j < term.bundles.length; j++) {
        const b = term.bundles[j]!
        score[b] = score[b]! + (term.weights[j]! * f) / norm
      }
    }

    // The title (and a domain string that names no bundle) is what the document says it is about:
    // each distinct term there counts once more, at full weight whatever the text's length.
    const domainBundle = doc.domain !== null ? byName.get(doc.domain) : undefined
    const titleTerms: number[] = []
    const seeTitleTerm = (t: number) => {
      if (scratch.titleSeen[t] === 0) {
        scratch.titleSeen[t] = 1
        titleTerms.push(t)
      }
    }
    for (const extra of [doc.title, domainBundle === undefined ? doc.domain : null]) {
      if (extra === null || extra === "") continue
      const [m] = encode(extra, extra.length)
      match(m, seeTitleTerm)
    }
    if (titleTerms.length > 0) {
      for (const t of titleTerms) {
        scratch.titleSeen[t] = 0
        const term = terms[t]!
        for (let j = 0; j < term.bundles.length; j++) {
          const b = term.bundles[j]!
          titleScore[b] = titleScore[b]! + term.weights[j]! * TITLE_WEIGHT
        }
      }
    }

    const owner = formatOwner.get(doc.format)
    for (let b = 0; b < nBundles; b++) score[b] = score[b]! + titleScore[b]! + (owner === b ? FORMAT_SCORE : 0)

    // Candidates: bundles that take this kind, best first, ties by name.
    const order = eligible.slice().sort((a, b) => score[b]! - score[a]! || (bundles[a]!.name < bundles[b]!.name ? -1 : 1))

    const explain = (b: number): string => {
      const parts: string[] = []
      if (owner === b) parts.push(`format ${doc.format}`)
      const contrib: Array<{ t: number; c: number }> = []
      for (let k = 0; k < nTouched; k++) {
        const t = touched[k]!
        const j = terms[t]!.bundles.indexOf(b)
        if (j >= 0) contrib.push({ t, c: terms[t]!.weights[j]! * (1 + Math.log(scratch.counts[t]!)) })
      }
      contrib.sort((x, y) => y.c - x.c || (terms[x.t]!.display < terms[y.t]!.display ? -1 : 1))
      if (contrib.length > 0) parts.push(`terms: ${contrib.slice(0, 5).map(({ t }) => `${terms[t]!.display}×${scratch.counts[t]}`).join(", ")}`)
      const inTitle = titleTerms.filter((t) => terms[t]!.bundles.includes(b)).map((t) => terms[t]!.display).sort()
      if (inTitle.length > 0) parts.push(`title: ${inTitle.slice(0, 3).join(", ")}`)
      return parts.length > 0 ? parts.join("; ") : "no evidence"
    }
    const runnerUp = (chosen: number): { second: string | null; secondScore: number } => {
      for (const b of order) if (b !== chosen && score[b]! > 0) return { second: bundles[b]!.name, secondScore: score[b]! }
      return { second: null, secondScore: 0 }
    }
    const finish = (chosen: number, reason: string): Routing => {
      const r = { bundle: bundles[chosen]!.name, score: score[chosen]!, reason, ...runnerUp(chosen) }
      for (let k = 0; k < nTouched; k++) scratch.counts[touched[k]!] = 0
      return r
    }
    const licenseName = doc.license === null || doc.license.trim() === "" ? "unknown" : doc.license

    // 1. An explicit domain naming a bundle that takes this kind and license.
    if (domainBundle !== undefined && eligible.includes(domainBundle) && licenseOk(domainBundle, doc.license)) {
      return finish(domainBundle, "input domain")
    }

    // 2. The best-scoring bundle at or above the threshold whose license policy admits the document.
    const refused: number[] = []
    for (const b of order) {
      if (score[b]! < minScore) break
      if (licenseOk(b, doc.license)) {
        const skipped = refused.length > 0 ? `license ${licenseName} not allowed by ${refused.map((r) => bundles[r]!.name).join(", ")}; ` : ""
        return finish(b, skipped + explain(b))
      }
      refused.push(b)
    }

    // 3. Unrouted.
    const best = order[0]
    let reason: string
    if (best === undefined) reason = `no bundle takes kind ${doc.kind}`
    else if (refused.length > 0) {
      reason = `license ${licenseName} not allowed by ${refused.map((r) => `${bundles[r]!.name} (${fmt(score[r]!)})`).join(", ")}; no other bundle scored ≥ ${fmt(minScore)}`
    } else if (score[best]! <= 0) reason = `no bundle scored ≥ ${fmt(minScore)} (no evidence)`
    else reason = `no bundle scored ≥ ${fmt(minScore)} (best ${bundles[best]!.name} ${fmt(score[best]!)}: ${explain(best)})`
    const top = best !== undefined && score[best]! > 0 ? best : undefined
    const r: Routing = {
      bundle: null,
      score: top !== undefined ? score[top]! : 0,
      reason,
      second: top !== undefined ? bundles[top]!.name : null,
      secondScore: top !== undefined ? score[top]! : 0
    }
    for (let k = 0; k < nTouched; k++) scratch.counts[touched[k]!] = 0
    return r
  }

  return { bundles: bundles.map((b) => b.name), route }
}
