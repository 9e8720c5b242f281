/**
 * Word-level agreement between an extraction and a reference extraction of the same PDF (e.g.
 * `pdftotext -layout`), ignoring order: the bag-of-words F1 used by the tests and `make bench`.
 *
 * Words are maximal runs of letters (NFKC, lower case); digits end a word and numbers are not words:
 * page and line numbers are dropped on purpose, and in typeset mathematics where an index goes
 * ("s'_2" comes out "s02" here, "s2" plus a "0" on another line there) is layout, not wording.
 * `tokens: "alnum"` compares runs of letters and digits instead (those with a letter), the stricter
 * figure the bench shows beside it. A reference made without de-hyphenation holds "spe-" +
 * "cialization" where a good extraction holds "specialization"; such a joined word counts as a match
 * when the reference has both fragments unmatched and the first was followed by a hyphen.
 */

export interface Agreement {
  readonly precision: number
  readonly recall: number
  readonly f1: number
  /** Word counts on each side (after pairing hyphen fragments in the reference). */
  readonly words: number
  readonly referenceWords: number
  /** The most frequent unmatched words on each side, for diagnosis. */
  readonly missing: ReadonlyArray<readonly [string, number]>
  readonly extra: ReadonlyArray<readonly [string, number]>
}

const LETTERS = /[\p{L}\p{M}]+/gu
const ALNUM = /[\p{L}\p{M}\p{N}]+/gu
const HAS_LETTER = /\p{L}/u

export type TokenKind = "words" | "alnum"

/** Words of `text`; `hyphenated` collects words directly followed by a hyphen (fragment candidates). */
function words(text: string, kind: TokenKind, hyphenated?: Map<string, number>): Map<string, number> {
  const bag = new Map<string, number>()
  const t = text.normalize("NFKC").toLowerCase()
  for (const m of t.matchAll(kind === "words" ? LETTERS : ALNUM)) {
    const w = m[0]
    if (!HAS_LETTER.test(w)) continue
    bag.set(w, (bag.get(w) ?? 0) + 1)
    if (hyphenated !== undefined) {
      const next = t[m.index + w.length]
      if (next === "-" || next === "\u2010" || next === "\u00ad") hyphenated.set(w, (hyphenated.get(w) ?? 0) + 1)
    }
  }
  return bag
}

const total = (bag: Map<string, number>): number => {
  let n = 0
  for (const c of bag.values()) n += c
  return n
}

const top = (bag: Map<string, number>, n: number): Array<readonly [string, number]> =>
  [...bag.entries()].filter(([, c]) => c > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n)

/**
 * `removed`: text the extraction dropped on purpose and reported (running headers and footers, each
 * with how often it was cut); its words are taken out of the reference before comparing, so the
 * figure measures what was lost or garbled besides that.
 */
export function wordAgreement(
  text: string,
  reference: string,
  removed: ReadonlyArray<{ readonly text: string; readonly times: number }> = [],
  tokens: TokenKind = "words"
): Agreement {
  const hyphenated = new Map<string, number>()
  const ours = words(text, tokens)
  const ref = words(reference, tokens, hyphenated)
  for (const r of removed) {
    for (const [w, c] of words(r.text, tokens)) {
      const have = ref.get(w)
      if (have !== undefined) ref.set(w, Math.max(0, have - c * r.times))
    }
  }
  let referenceWords = total(ref)
  let matched = 0
  const extra = new Map<string, number>()
  const missing = new Map(ref)
  for (const [w, c] of ours) {
    const r = missing.get(w) ?? 0
    const m = Math.min(c, r)
    matched += m
    missing.set(w, r - m)
    if (c > m) extra.set(w, c - m)
  }
  // Pair joined words with unmatched hyphen fragments of the reference.
  for (const [w, c] of extra) {
    let left = c
    for (let cut = 1; cut < w.length && left > 0; cut++) {
      const head = w.slice(0, cut)
      const tail = w.slice(cut)
      while (left > 0 && (hyphenated.get(head) ?? 0) > 0 && (missing.get(head) ?? 0) > 0 && (missing.get(tail) ?? 0) > 0) {
        hyphenated.set(head, hyphenated.get(head)! - 1)
        missing.set(head, missing.get(head)! - 1)
        missing.set(tail, missing.get(tail)! - 1)
        // Two reference words become one: the reference, read de-hyphenated, has one word here.
        referenceWords -= 1
        matched += 1
        left -= 1
      }
    }
    extra.set(w, left)
  }
  const n = total(ours)
  const precision = n === 0 ? 0 : matched / n
  const recall = referenceWords === 0 ? 0 : matched / referenceWords
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
  return { precision, recall, f1, words: n, referenceWords, missing: top(missing, 15), extra: top(extra, 15) }
}
