/**
 * The evaluation-set n-gram index and the scan of a document against it.
 *
 * buildEvalIndex hashes every n-gram of every evaluation item (ngrams.ts) into an open-addressing table
 * held in one typed array (linear probing, the slot from the low half, which is already mixed); each
 * slot heads a linked list of postings (item numbers), so an n-gram shared by several items or sets
 * names all of them. An item with fewer than n words is not indexed: it is listed
 * in `tooShort` (set, item, words) for the stage to report. A shorter whole-item "gram" would flag every
 * document that contains a short answer ("Yes.", "The mitochondria") and say nothing useful; a curator
 * who wants them checked lowers n.
 *
 * findContamination hashes the document's n-grams with the same code and looks each one up; per matched
 * item, the matched n-grams become character ranges of the original text, merged when they overlap or
 * when fewer than n words separate them (the words around an edit inside a copied item break the
 * n-grams that cover them, not the copy).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { NgramBuffer, ngrams, tokenize } from "./ngrams.ts"

export interface EvalItem {
  readonly id: string
  readonly text: string
}

export interface EvalSet {
  readonly name: string
  readonly items: ReadonlyArray<EvalItem>
}

export interface EvalIndex {
  readonly n: number
  readonly sets: ReadonlyArray<string>
  /** Per indexed item: its set (index into `sets`), id and number of distinct n-grams. */
  readonly itemSet: Int32Array
  readonly itemIds: ReadonlyArray<string>
  readonly itemGrams: Int32Array
  /** Items with fewer than n words, not indexed. */
  readonly tooShort: ReadonlyArray<{ readonly set: string; readonly item: string; readonly words: number }>
  /** Slots - 1 (the slot count is a power of two). */
  readonly mask: number
  /**
   * The open-addressing table, four words per slot: the n-gram's hash (lo, hi), 1 + its first posting
   * (0: empty slot), padding. One slot is one 16-byte read, so a probe costs one cache miss, not three.
   */
  readonly slots: Uint32Array
  readonly postingItem: Int32Array
  /** 1 + the next posting of the same n-gram, 0 at the end. */
  readonly postingNext: Int32Array
  /** Distinct n-grams in the table. */
  readonly distinctGrams: number
  /** Bytes held by the typed arrays. */
  readonly bytes: number
}

export interface ContaminationMatch {
  readonly set: string
  readonly item: string
  /** Character range in the original text: from the first matched word's start to the last one's end. */
  readonly start: number
  readonly end: number
  /** Document n-grams inside this range that are n-grams of the item. */
  readonly ngrams: number
}

const nextPowerOfTwo = (x: number): number => 2 ** Math.ceil(Math.log2(Math.max(16, x)))

/** The offset in `slots` of the slot holding (lo, hi), or of the empty slot where it would go (linear probing). */
function probe(slots: Uint32Array, mask: number, lo: number, hi: number): number {
  let at = (lo & mask) << 2
  while (slots[at + 2] !== 0 && (slots[at] !== lo || slots[at + 1] !== hi)) at = (at + 4) & (mask << 2 | 3)
  return at
}

export function buildEvalIndex(sets: ReadonlyArray<EvalSet>, n: number): EvalIndex {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n-gram size must be a positive integer, got ${n}`)
  const buffer = new NgramBuffer()
  // Pass 1: every item's grams into one growing pair of arrays (items in order), to size the table once.
  let allLo = new Uint32Array(1 << 16)
  let allHi = new Uint32Array(1 << 16)
  let total = 0
  const itemSet: number[] = []
  const itemIds: string[] = []
  const itemEnd: number[] = []
  const tooShort: Array<{ set: string; item: string; words: number }> = []
  sets.forEach((set, s) => {
    for (const item of set.items) {
      const words = tokenize(item.text, buffer)
      if (words < n) {
        tooShort.push({ set: set.name, item: item.id, words })
        continue
      }
      const count = ngrams(buffer, n)
      if (total + count > allLo.length) {
        const size = Math.max(total + count, allLo.length * 2)
        const lo = new Uint32Array(size)
        const hi = new Uint32Array(size)
        lo.set(allLo.subarray(0, total))
        hi.set(allHi.subarray(0, total))
        allLo = lo
        allHi = hi
      }
      allLo.set(buffer.gramLo.subarray(0, count), total)
      allHi.set(buffer.gramHi.subarray(0, count), total)
      total += count
      itemSet.push(s)
      itemIds.push(item.id)
      itemEnd.push(total)
    }
  })
  // Pass 2: insert, at most one posting per (gram, item).
  // At most 70% full even when every n-gram is distinct (evaluation sets rarely repeat themselves).
  const capacity = nextPowerOfTwo(total / 0.7)
  const mask = capacity - 1
  const slots = new Uint32Array(capacity * 4)
  const postingItem = new Int32Array(Math.max(1, total))
  const postingNext = new Int32Array(Math.max(1, total))
  const itemGrams = new Int32Array(itemIds.length)
  let postings = 0
  let distinct = 0
  let g = 0
  for (let item = 0; item < itemIds.length; item++) {
    for (; g < itemEnd[item]!; g++) {
      const lo = allLo[g]!
      const hi = allHi[g]!
      const at = probe(slots, mask, lo, hi)
      if (slots[at + 2] === 0) {
        slots[at] = lo
        slots[at + 1] = hi
        distinct++
      } else if (postingItem[slots[at + 2]! - 1] === item) continue // a repeat inside the same item
      postingItem[postings] = item
      postingNext[postings] = slots[at + 2]!
      slots[at + 2] = ++postings
      itemGrams[item]!++
    }
  }
  const bytes = slots.byteLength + postingItem.byteLength + postingNext.byteLength + itemGrams.byteLength
  return {
    n,
    sets: sets.map((s) => s.name),
    itemSet: Int32Array.from(itemSet),
    itemIds,
    itemGrams,
    tooShort,
    mask,
    slots,
    postingItem,
    postingNext,
    distinctGrams: distinct,
    bytes
  }
}

/** Per evaluation set: items read, indexed and too short (for the stage's stats and the bundle manifest). */
export interface EvalSetSummary {
  readonly name: string
  readonly items: number
  readonly indexed: number
  readonly too_short: number
}

export function evalIndexSummary(index: EvalIndex): { readonly n: number; readonly sets: ReadonlyArray<EvalSetSummary> } {
  const indexed = new Array<number>(index.sets.length).fill(0)
  for (const s of index.itemSet) indexed[s]!++
  const short = new Map<string, number>()
  for (const t of index.tooShort) short.set(t.set, (short.get(t.set) ?? 0) + 1)
  return {
    n: index.n,
    sets: index.sets.map((name, s) => ({ name, items: indexed[s]! + (short.get(name) ?? 0), indexed: indexed[s]!, too_short: short.get(name) ?? 0 }))
  }
}

/** What a scan of one document found, with the totals the judge scores. */
export interface ContaminationScan {
  readonly matches: ReadonlyArray<ContaminationMatch>
  readonly words: number
  readonly grams: number
  /** Document n-grams (positions) that are an n-gram of a reported item. */
  readonly matchedGrams: number
  /** Document words covered by those n-grams. */
  readonly coveredWords: number
}

const NOTHING: ContaminationScan = { matches: [], words: 0, grams: 0, matchedGrams: 0, coveredWords: 0 }

/**
 * Scans `text` against `index`. Items matched by fewer than `minMatches` of the document's n-grams are
 * not reported. `buffer` is reused storage (one per worker); a fresh one is made without it.
 */
export function scanContamination(text: string, index: EvalIndex, minMatches = 1, buffer = new NgramBuffer()): ContaminationScan {
  const words = tokenize(text, buffer)
  const grams = ngrams(buffer, index.n)
  if (grams === 0) return { ...NOTHING, words }
  const { slots, mask, postingItem, postingNext } = index
  const { gramLo, gramHi } = buffer
  // Matched (item, position) pairs, in position order; allocated only when something matches.
  let hits: Map<number, number[]> | null = null
  for (let i = 0; i < grams; i++) {
    const lo = gramLo[i]!
    const hi = gramHi[i]!
    for (let p = slots[probe(slots, mask, lo, hi) + 2]!; p !== 0; p = postingNext[p - 1]!) {
      hits ??= new Map()
      const item = postingItem[p - 1]!
      const list = hits.get(item)
      if (list === undefined) hits.set(item, [i])
      else list.push(i)
    }
  }
  if (hits === null) return { ...NOTHING, words, grams }
  const n = index.n
  const matches: ContaminationMatch[] = []
  const matchedPositions = new Uint8Array(grams)
  for (const [item, positions] of [...hits].sort((a, b) => a[0] - b[0])) {
    if (positions.length < minMatches) continue
    let first = positions[0]!
    let last = first
    let count = 1
    const flush = () => {
      matches.push({
        set: index.sets[index.itemSet[item]!]!,
        item: index.itemIds[item]!,
        start: buffer.wordStart[first]!,
        end: buffer.wordEnd[last + n - 1]!,
        ngrams: count
      })
    }
    for (let k = 1; k < positions.length; k++) {
      const p = positions[k]!
      // Gram p starts within n words after the run's last word (last + n - 1): same passage.
      if (p - (last + n - 1) <= n) {
        last = p
        count++
      } else {
        flush()
        first = last = p
        count = 1
      }
    }
    flush()
    for (const p of positions) matchedPositions[p] = 1
  }
  if (matches.length === 0) return { ...NOTHING, words, grams }
  // Words covered by matched grams: a sweep over positions.
  let matchedGrams = 0
  let coveredWords = 0
  let coveredUpTo = 0
  for (let i = 0; i < grams; i++) {
    if (matchedPositions[i] === 0) continue
    matchedGrams++
    const from = Math.max(i, coveredUpTo)
    coveredWords += i + n - from
    coveredUpTo = i + n
  }
  matches.sort((a, b) => a.start - b.start || a.end - b.end || (a.set < b.set ? -1 : a.set > b.set ? 1 : a.item < b.item ? -1 : 1))
  return { matches, words, grams, matchedGrams, coveredWords }
}

/** The passages of `text` that share n-grams with evaluation items: per item, merged character ranges. */
export function findContamination(text: string, index: EvalIndex): ContaminationMatch[] {
  return [...scanContamination(text, index).matches]
}

// ---------------------------------------------------------------------------------------------------
// Reading evaluation sets (the small I/O part).

export class EvalSetError extends Error {
  readonly file: string
  readonly line: number | null
  constructor(file: string, line: number | null, message: string) {
    super(`${file}${line === null ? "" : ` line ${line}`}: ${message}`)
    this.name = "EvalSetError"
    this.file = file
    this.line = line
  }
}

/** A field by name, or by a dotted path into nested objects ("answer.text"). */
function fieldOf(record: Record<string, unknown>, field: string): unknown {
  if (field in record) return record[field]
  let value: unknown = record
  for (const key of field.split(".")) {
    if (value === null || typeof value !== "object") return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

/** A field's value as text: strings and numbers as they are, arrays of them one per line; null/absent as "". */
function textOf(value: unknown): string | null {
  if (value === undefined || value === null) return ""
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  if (Array.isArray(value)) {
    const parts = value.map(textOf)
    return parts.some((p) => p === null) ? null : parts.join("\n")
  }
  return null
}

/**
 * An evaluation set from JSONL `content`: each non-blank line an object whose `fields` (joined by a
 * newline) are the item's text, and whose `idField` (or, without one, the 1-based line number) is its
 * id. Errors name `file` and the line.
 */
export function parseEvalSet(name: string, content: string, fields: ReadonlyArray<string>, idField: string | undefined, file: string): EvalSet {
  if (fields.length === 0) throw new EvalSetError(file, null, "no fields configured: say which fields hold the question and answer")
  const items: EvalItem[] = []
  const seen = new Set<string>()
  const lines = content.split("\n")
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l]!.trim()
    if (line === "") continue
    const lineNo = l + 1
    let record: unknown
    try {
      record = JSON.parse(line)
    } catch (e) {
      throw new EvalSetError(file, lineNo, `not valid JSON (${(e as Error).message})`)
    }
    if (record === null || typeof record !== "object" || Array.isArray(record)) throw new EvalSetError(file, lineNo, "not a JSON object")
    const parts: string[] = []
    for (const field of fields) {
      const text = textOf(fieldOf(record as Record<string, unknown>, field))
      if (text === null) throw new EvalSetError(file, lineNo, `field "${field}" is neither text nor a list of texts`)
      if (text.trim() !== "") parts.push(text)
    }
    if (parts.length === 0) throw new EvalSetError(file, lineNo, `none of the fields ${fields.map((f) => `"${f}"`).join(", ")} has text`)
    let id = String(lineNo)
    if (idField !== undefined) {
      const value = fieldOf(record as Record<string, unknown>, idField)
      if (typeof value !== "string" && typeof value !== "number") {
        throw new EvalSetError(file, lineNo, `id field "${idField}" is missing or not a string or number`)
      }
      id = String(value)
    }
    if (seen.has(id)) throw new EvalSetError(file, lineNo, `id "${id}" appears twice`)
    seen.add(id)
    items.push({ id, text: parts.join("\n") })
  }
  return { name, items }
}

/** The evaluation set in JSONL `file`, named after the file (without .jsonl); see parseEvalSet. */
export function readEvalSet(file: string, fields: ReadonlyArray<string>, idField?: string): EvalSet {
  let content: string
  try {
    content = fs.readFileSync(file, "utf8")
  } catch (e) {
    throw new EvalSetError(file, null, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
  }
  return parseEvalSet(path.basename(file).replace(/\.jsonl$/i, ""), content, fields, idField, file)
}
