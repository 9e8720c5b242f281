/**
 * From rows in reading order to paragraphs: lines merged where a paragraph continues (also across a
 * column or page break), words hyphenated at a line break joined again, headings recognised. Pure.
 */
import type { Row } from "./layout.ts"

/** A row and the page it is on (1-based). */
export interface PageRow extends Row {
  readonly page: number
}

export interface Paragraph {
  readonly text: string
  readonly heading: boolean
  readonly page: number
  /** Font size of the paragraph's first row, and its font. */
  readonly size: number
  readonly font: string
  /** The rows it was made of (their texts), for the structure pass (titles, author lines). */
  readonly rows: ReadonlyArray<PageRow>
}

const HYPHENS = "-\u2010\u00AD"
const LETTER = /\p{L}/u
const TRAILING_WORD = /\p{L}+$/u

/**
 * The word before a hyphen that ends `text` ("spe-" → ["spe", "-"]), or null. Checked from the end
 * by hand: an end-anchored regex is tried at every position of the row, which costs more than all the
 * rest of paragraph building on long documents.
 */
function hyphenEnd(text: string): [word: string, hyphen: string] | null {
  const hyphen = text[text.length - 1]
  if (hyphen === undefined || !HYPHENS.includes(hyphen)) return null
  const before = text[text.length - 2]
  if (before === undefined || !LETTER.test(before)) return null
  // Only the last few dozen characters can hold the word.
  const word = TRAILING_WORD.exec(text.slice(Math.max(0, text.length - 65), -1))?.[0]
  return word === undefined ? null : [word, hyphen]
}
const LOWER_START = /^(\p{Ll}[\p{L}\p{M}]*)/u
const CJK = "\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}\\u3000-\\u303F\\uFF00-\\uFFEF"
const CJK_END = new RegExp(`[${CJK}]$`, "u")
const CJK_START = new RegExp(`^[${CJK}]`, "u")
const WORD_START = /^([\p{L}\p{M}]+)/u
const SENTENCE_END = /[.!?:;]["'’”)\]]*$/u

/** Words and hyphenated compounds of the document, lower case: the vocabulary de-hyphenation consults. */
export function vocabulary(rows: ReadonlyArray<{ text: string }>): Map<string, number> {
  const vocab = new Map<string, number>()
  for (const r of rows) {
    // A word at the very end of a row may be a hyphenation fragment; it does not count.
    const end = hyphenEnd(r.text)
    const text = end === null ? r.text : r.text.slice(0, r.text.length - end[0].length - 1)
    for (const m of text.toLowerCase().matchAll(/[\p{L}\p{M}]+(?:[-\u2010][\p{L}\p{M}]+)*/gu)) {
      vocab.set(m[0], (vocab.get(m[0]) ?? 0) + 1)
    }
  }
  return vocab
}

/**
 * Join `left` (ending in "word-") and `right` (starting with a lower-case word). The hyphen goes when
 * it was a typesetter's (the joined word occurs elsewhere in the document, or the hyphen is soft, or
 * nothing says otherwise); it stays when the document spells the compound with a hyphen elsewhere or
 * both halves are words of their own ("dynamically-" + "typed").
 */
export function joinHyphenated(left: string, right: string, vocab: ReadonlyMap<string, number>): string {
  const m = hyphenEnd(left)
  const n = LOWER_START.exec(right)
  if (m === null) return `${left} ${right}`
  const stem = left.slice(0, -1)
  if (n === null) {
    // An upper-case continuation joins only into a word the document spells whole ("Trace-" + "Monkey").
    const word = WORD_START.exec(right)?.[1]
    return word !== undefined && vocab.has((m[0] + word).toLowerCase()) ? stem + right : `${left} ${right}`
  }
  const head = m[0].toLowerCase()
  const tail = n[1]!.toLowerCase()
  if (m[1] === "\u00AD") return stem + right
  if (vocab.has(head + tail)) return stem + right
  if (vocab.has(`${head}-${tail}`)) return `${stem}-${right}`
  if (head.length >= 3 && tail.length >= 3 && vocab.has(head) && vocab.has(tail)) return `${stem}-${right}`
  return stem + right
}

export const NUMBERED_HEADING = /^(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?|[IVX]{1,5}\.|[A-H]\.)\s+\p{Lu}/u
const NUMBERING = /^(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?|[IVX]{1,5}\.|[A-H]\.)\s+/u
export const NAMED_HEADING =
  /^(?:\d{1,2}\.?\s+)?(?:abstract|introduction|background|methods?|materials and methods|methods and materials|methodology|results|results and discussion|discussion|conclusions?|concluding remarks|summary|acknowledge?ments?|references|bibliography|literature cited|appendix(?: [a-z])?|supplementary (?:material|information)|supporting information|related work|experiments?|evaluation|data availability|author contributions|competing interests|funding|keywords|key words)\s*:?$/iu

/** Whether `next` continues a word hyphenated at the end of `prev`. */
const continuesWord = (prev: string, next: string, vocab: ReadonlyMap<string, number>): boolean => {
  const m = hyphenEnd(prev)
  if (m === null) return false
  if (LOWER_START.test(next)) return true
  const word = WORD_START.exec(next)?.[1]
  return word !== undefined && vocab.has((m[0] + word).toLowerCase())
}

/** Whether a standalone row reads like a section heading. `body` is the body text's size and font. */
export function isHeadingText(text: string, size: number, font: string, body: { size: number; font: string }): boolean {
  const t = text.trim()
  if (t.length < 3 || t.length > 120) return false
  if (NAMED_HEADING.test(t)) return true
  const words = t.split(/\s+/)
  if (words.length > 14) return false
  // Sentences and captions end with a period; headings do not (a numbered "2." alone is not a heading).
  if (/[.,;]$/.test(t) && !NAMED_HEADING.test(t.slice(0, -1))) return false
  const letters = t.replace(/[^\p{L}]/gu, "").length
  if (letters < 0.6 * t.replace(/\s/g, "").length) return false
  // A numbered reference entry ("5. O'Malley KF, Ross SE: Pulmonary embolism. J") has sentences in it.
  if (NUMBERED_HEADING.test(t)) return size >= body.size * 0.95 && !/\p{L}{2}\. \p{L}/u.test(t.replace(NUMBERING, ""))
  // Unnumbered: set apart by a larger size or another font (bold) than the body text, and not code
  // or a figure's axis label ("R> library(x)", "Mass (GeV)").
  if (!/^\p{Lu}/u.test(t) || /[<>$~={}_;\\()[\]]/.test(t)) return false
  return size > body.size * 1.12 || (font !== body.font && size >= body.size * 0.95 && words.length <= 10)
}

/**
 * Whether `r` follows `p` in the same column: the same block, or the next block straight below it
 * (the layout cuts a column into blocks at every wider gap, which in 1.5- or double-spaced text is
 * every line; the paragraph logic must still see one column there).
 */
function sameFlow(p: PageRow, r: PageRow): boolean {
  if (p.page !== r.page) return false
  if (p.block === r.block) return true
  const overlap = Math.min(p.blockX1, r.blockX1) - Math.max(p.blockX0, r.blockX0)
  const narrower = Math.min(p.blockX1 - p.blockX0, r.blockX1 - r.blockX0)
  const dy = p.y - r.y
  return narrower > 0 && overlap >= 0.5 * narrower && dy > 0 && dy < 3 * Math.max(p.size, r.size)
}

/** Typical distance between consecutive baselines per font size (rounded), from rows in one column. */
function lineSpacings(rows: ReadonlyArray<PageRow>): Map<number, number> {
  const samples = new Map<number, number[]>()
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1]!
    const b = rows[i]!
    if (!sameFlow(a, b)) continue
    const key = Math.round(b.size)
    if (Math.round(a.size) !== key) continue
    const dy = a.y - b.y
    if (dy <= 0 || dy > 3 * b.size) continue
    const list = samples.get(key) ?? []
    list.push(dy)
    samples.set(key, list)
  }
  const out = new Map<number, number>()
  for (const [key, list] of samples) {
    list.sort((x, y) => x - y)
    out.set(key, list[Math.floor(list.length / 2)]!)
  }
  return out
}

/**
 * A first-line indent is one to a few ems from the column's left edge (that of `r`'s block and its
 * neighbour's `o`, which in spaced-out text are blocks of one line); a line further in is centred
 * (titles) or a display.
 */
const indented = (r: Row, o: Row): boolean => {
  const offset = r.x0 - Math.min(r.blockX0, o.blockX0)
  return offset > 0.8 * r.size && offset < 3.5 * r.size
}
const sizeChanged = (a: Row, b: Row): boolean => Math.abs(a.size - b.size) > 0.12 * Math.max(a.size, b.size)

/**
 * Paragraphs of the whole document. Within a block a paragraph ends at extra vertical space, a change
 * of font size, an indented first line, or a short line ending a sentence. Across blocks (a column or
 * page break) it continues when the previous line does not end a sentence and the next starts in lower
 * case, as a sentence broken across columns does.
 */
export function buildParagraphs(rows: ReadonlyArray<PageRow>, body: { size: number; font: string }): Paragraph[] {
  const vocab = vocabulary(rows)
  const spacing = lineSpacings(rows)
  // Break decisions first, then headings (a heading is a paragraph of its own), then text.
  const starts: boolean[] = rows.map((r, i) => {
    if (i === 0) return true
    const p = rows[i - 1]!
    const continues = continuesWord(p.text, r.text, vocab)
    // "References", "Acknowledgements" on a line of their own always start a paragraph.
    if (NAMED_HEADING.test(r.text.trim()) || NAMED_HEADING.test(p.text.trim())) return true
    if (!sameFlow(p, r)) {
      // A sentence broken by a column or page break: the line before it does not end a sentence and
      // either runs to the right edge of its column (justified text, not a heading) or the next
      // line starts in lower case.
      const full = p.x1 >= p.blockX1 - 1.5 * p.size && p.blockX1 - p.blockX0 > 15 * p.size
      return !(continues || (!SENTENCE_END.test(p.text) && (full || LOWER_START.test(r.text)) && !sizeChanged(p, r)))
    }
    if (sizeChanged(p, r)) return true
    const dy = p.y - r.y
    const typical = spacing.get(Math.round(r.size)) ?? 1.2 * r.size
    if (dy > typical * 1.4 || dy < 0) return !continues
    if (continues) return false
    if (indented(r, p) && !indented(p, r)) return true
    // A line that ends a sentence well short of the column's right edge ends its paragraph (styles
    // without indent or spacing); ragged-right lines fall short by a word, not by a quarter.
    const left = Math.min(p.blockX0, r.blockX0)
    const right = Math.max(p.blockX1, r.blockX1)
    if (p.x1 < left + 0.75 * (right - left) && SENTENCE_END.test(p.text) && /^[\p{Lu}\d]/u.test(r.text)) return true
    return false
  })
  // A standalone heading-like row is a paragraph of its own; so is the row after it.
  const heading: boolean[] = rows.map(() => false)
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!
    const next = rows[i + 1]
    // Standalone: a paragraph starts here and the next row does not continue it (a row ending in a
    // hyphenated word, or followed by a lower-case continuation, is the first line of a paragraph
    // with a run-in heading, not a heading).
    const standalone =
      starts[i]! &&
      hyphenEnd(r.text) === null &&
      (next === undefined || ((starts[i + 1]! || next.font !== r.font || sizeChanged(r, next)) && !LOWER_START.test(next.text)))
    // A heading introduces text: the next row is running text or another heading (not a figure label).
    const introduces =
      next === undefined || next.text.length >= 30 || NUMBERED_HEADING.test(next.text) || NAMED_HEADING.test(next.text.trim()) || NAMED_HEADING.test(r.text.trim())
    if (standalone && introduces && isHeadingText(r.text, r.size, r.font, body)) {
      heading[i] = true
      if (i + 1 < rows.length) starts[i + 1] = true
    }
  }
  const out: Paragraph[] = []
  let text = ""
  let members: PageRow[] = []
  const flush = (isHeading: boolean) => {
    if (members.length > 0 && text.trim() !== "") {
      const first = members[0]!
      out.push({ text: text.trim(), heading: isHeading, page: first.page, size: first.size, font: first.font, rows: members })
    }
    text = ""
    members = []
  }
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!
    if (starts[i]) flush(heading[i - members.length] ?? false)
    const prev = members[members.length - 1]
    if (prev === undefined) text = r.text
    // Tested on the previous row, not the growing paragraph: an anchored regex over the whole
    // paragraph would make long paragraphs quadratic.
    else if (continuesWord(prev.text, r.text, vocab)) {
      const joined = joinHyphenated(prev.text, r.text, vocab)
      text = text.slice(0, text.length - prev.text.length) + joined
    } else if (CJK_END.test(prev.text) && CJK_START.test(r.text)) text += r.text // no spaces between CJK lines
    else text = `${text} ${r.text}`
    members.push(r)
  }
  flush(heading[rows.length - members.length] ?? false)
  return out
}
