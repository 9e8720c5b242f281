/**
 * The decontaminate stage's judge. A document sharing n-grams with an evaluation item is
 * - mode "remove": left out, reason `contaminated`, the detail naming the set and item with the most
 *   matched n-grams (and how many more items matched), the matches in its facts;
 * - mode "cut": kept with each matched passage cut out, unless more than `remove_above` of its words
 *   (default one half) are covered by matched n-grams: a document that mostly is an evaluation item
 *   has nothing left worth training on, so it is removed as in "remove" mode.
 * A cut passage is replaced by nothing, not by a marker: a marker would be a token pattern the model
 * learns. Punctuation attached to the passage's first and last words goes with it, and the whitespace
 * on either side is folded into one separator (a newline when the passage started or ended a line, a
 * space otherwise), so the words around it stay apart.
 */
import { round4, type Judge, type Scores } from "../quality/document.ts"
import { scanContamination, type ContaminationMatch, type ContaminationScan, type EvalIndex } from "./index.ts"
import { NgramBuffer } from "./ngrams.ts"

export interface DecontaminateConfig {
  readonly mode: "remove" | "cut"
  /** An item counts as matched from this many shared n-grams on (default 1). */
  readonly min_matches?: number
  /** In cut mode, documents with more than this fraction of their words matched are removed (default 0.5). */
  readonly remove_above?: number
}

export const DEFAULT_MIN_MATCHES = 1
export const DEFAULT_REMOVE_ABOVE = 0.5

/** The character ranges of `matches`, merged across items where they overlap or touch, in order. */
export function mergedRanges(matches: ReadonlyArray<ContaminationMatch>): Array<[number, number]> {
  const ranges = matches.map((m): [number, number] => [m.start, m.end]).sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const merged: Array<[number, number]> = []
  for (const r of ranges) {
    const last = merged[merged.length - 1]
    if (last !== undefined && r[0] <= last[1]) last[1] = Math.max(last[1], r[1])
    else merged.push([r[0], r[1]])
  }
  return merged
}

/** Punctuation stuck to a passage's first or last word goes with it (a cut sentence takes its full stop). */
const OPENING = "([{\"'“‘«"
const CLOSING = ".,;:!?)]}\"'”’»"

const isSpace = (c: string): boolean => c === " " || c === "\t" || c === "\n" || c === "\r"

/** `text` without the given ranges; see the module comment for the whitespace around a cut. */
export function cutPassages(text: string, ranges: ReadonlyArray<readonly [number, number]>): string {
  let out = ""
  let at = 0
  for (const [start, end] of ranges) {
    let left = start
    while (left > at && OPENING.includes(text[left - 1]!)) left--
    while (left > at && isSpace(text[left - 1]!)) left--
    let right = end
    while (right < text.length && CLOSING.includes(text[right]!)) right++
    while (right < text.length && isSpace(text[right]!)) right++
    const around = text.slice(left, start) + text.slice(end, right)
    out += text.slice(at, left)
    if (out.length > 0 && right < text.length) out += around.includes("\n\n") ? "\n\n" : around.includes("\n") ? "\n" : " "
    at = right
  }
  return out + text.slice(at)
}

const summary = (m: ContaminationMatch) => ({ set: m.set, item: m.item, ngrams: m.ngrams, start: m.start, end: m.end })

function removal(scan: ContaminationScan, scores: Scores, n: number) {
  // The item behind the most matched n-grams, summed over its passages.
  const perItem = new Map<string, { set: string; item: string; ngrams: number }>()
  for (const m of scan.matches) {
    const key = `${m.set}\u0000${m.item}`
    const entry = perItem.get(key) ?? { set: m.set, item: m.item, ngrams: 0 }
    entry.ngrams += m.ngrams
    perItem.set(key, entry)
  }
  const ranked = [...perItem.values()].sort((a, b) => b.ngrams - a.ngrams || (a.set + a.item < b.set + b.item ? -1 : 1))
  const top = ranked[0]!
  const more = ranked.length > 1 ? `; ${ranked.length - 1} more item${ranked.length > 2 ? "s" : ""} matched` : ""
  return {
    keep: false as const,
    reason: "contaminated",
    detail: `${n}-gram overlap with ${top.set} item ${top.item} (${top.ngrams} matches)${more}`,
    scores,
    facts: { decontamination: scan.matches.map(summary) }
  }
}

export function judgeDecontaminate(index: EvalIndex, config: DecontaminateConfig): Judge {
  const minMatches = config.min_matches ?? DEFAULT_MIN_MATCHES
  const removeAbove = config.remove_above ?? DEFAULT_REMOVE_ABOVE
  if (!Number.isInteger(minMatches) || minMatches < 1) throw new RangeError(`min_matches must be a positive integer, got ${minMatches}`)
  if (!(removeAbove >= 0 && removeAbove <= 1)) throw new RangeError(`remove_above must be between 0 and 1, got ${removeAbove}`)
  const buffer = new NgramBuffer()
  return (doc) => {
    const scan = scanContamination(doc.text, index, minMatches, buffer)
    if (scan.matches.length === 0) return { keep: true }
    const matchedFraction = scan.words === 0 ? 0 : scan.coveredWords / scan.words
    const scores = { matched_ngrams: scan.matchedGrams, matched_fraction: round4(matchedFraction) }
    if (config.mode === "remove" || matchedFraction > removeAbove) return removal(scan, scores, index.n)
    return { keep: true, text: cutPassages(doc.text, mergedRanges(scan.matches)), facts: { decontamination: scan.matches.map(summary) } }
  }
}
