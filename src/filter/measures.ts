/**
 * The numbers the filter stage judges a document by (see rules.ts for the thresholds). Pure and fast:
 * one pass over the characters for lines, paragraphs and words, one over data tokens, then the n-gram
 * counts over the words' hashes (typed arrays, no string per word). Which measures a document gets
 * depends on its kind:
 * - prose (paper, text): the Gopher quality and repetition, C4 and FineWeb families, the data-dump and
 *   binary measures, mojibake; papers also the PDF text-layer quality ingest computes (textQuality).
 *   The word measures need spaces between words: text mostly in Han, kana or Thai script goes without
 *   them, and text mostly in non-Latin script without the stop-word count (language is the language
 *   stage's business, not Gopher's English rules');
 * - code: the StarCoder-style content measures ingest applies (contentMeasures, shared with ingest);
 *   code read as plain text also gets the data-dump and binary measures;
 * - simulation: nothing. Those documents are summaries scicurate's own readers wrote from logs and data
 *   files, mostly numbers by design; prose rules would remove every one of them.
 * Every value is rounded with round4 so scores are stable text in `_filtered/` records and reports.
 */
import { contentMeasures } from "../ingest/code/filters.ts"
import { garbageGlyphs, textQuality } from "../ingest/pdf/quality.ts"
import { round4, type QualityDocument, type Scores } from "../quality/document.ts"

/** Formats whose documents are read as plain text, so the data-dump rules apply whatever their kind. */
const PLAIN_TEXT_FORMATS: ReadonlySet<string> = new Set(["plain-text", "text", "txt", "markdown"])

/**
 * Gopher's stop words ("the be to of and that have with") plus the commonest function words of the
 * other major languages of science (de, fr, es, it, pt, nl). Gopher's rule is an English detector; here
 * it should only tell prose from non-prose, language is the language stage's business. No one-letter
 * words ("y", "e", "o"): they are the variables of mathematics.
 */
const STOP_WORDS: ReadonlySet<string> = new Set([
  "the", "be", "to", "of", "and", "that", "have", "with",
  "der", "die", "das", "und", "ist", "mit", "von", "den",
  "le", "la", "les", "et", "des", "est", "une", "du",
  "el", "los", "las", "en", "que", "por", "con",
  "il", "di", "che", "per", "della",
  "os", "da", "do", "em", "um", "uma",
  "het", "een", "van", "zijn"
])
const MAX_STOP_WORD_LENGTH = 5

/**
 * C4's page-level boilerplate: cookie banners, privacy and terms notices, "enable JavaScript" walls,
 * navigation. C4 drops every line that says "javascript"; a paper about JavaScript engines says it on
 * every page, so only the phrases of a browser notice count here, per 100 words (not per line: an
 * abstract is one line, and one about privacy policies may name one).
 */
const BOILERPLATE_PHRASES: ReadonlyArray<string> = [
  "(?:uses?|use of|accept(?: all)?|we use|this (?:site|website) uses|manage|necessary) cookies",
  "cookie (?:policy|settings|preferences|consent)",
  "privacy (?:policy|notice|statement)",
  "terms (?:of|and) (?:use|service|conditions)",
  "(?:enable|enabling) javascript",
  "javascript (?:is )?(?:disabled|required)",
  "requires javascript",
  "skip to (?:main )?content",
  "all rights reserved",
  "subscribe to (?:our|the) newsletter",
  "sign (?:in|up) (?:to|for)",
  "log in to",
  "share (?:this|on) (?:article|page|facebook|twitter)",
  "back to top",
  "main menu",
  "toggle navigation",
  "follow us on"
]
const BOILERPLATE = new RegExp(`\\b(?:${BOILERPLATE_PHRASES.join("|")})\\b`, "gi")

/**
 * UTF-8 read as Latin-1 or Windows-1252: a lead byte shown as Â..ô followed by continuation bytes shown
 * as U+0080..U+00BF or the cp1252 characters of 0x80..0x9F ("Ã©" for é, "â€™" for ’, "Î”" for Δ).
 */
const CP1252_HIGH = [
  0x20ac, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x017d, 0x2018, 0x2019, 0x201c,
  0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x017e, 0x0178
]
const CONT = `[\\u0080-\\u00BF${CP1252_HIGH.map((c) => `\\u${c.toString(16).padStart(4, "0")}`).join("")}]`
const MOJIBAKE = new RegExp(`[\\u00C2-\\u00DF]${CONT}|[\\u00E0-\\u00EF]${CONT}{2}|[\\u00F0-\\u00F4]${CONT}{3}`, "g")

const countMatches = (re: RegExp, text: string): number => {
  re.lastIndex = 0
  let n = 0
  while (re.exec(text) !== null) n++
  return n
}

const isAsciiLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
const isDigit = (c: number): boolean => c >= 48 && c <= 57
const LETTER = /\p{L}/u
const isLetterAt = (text: string, i: number, c: number): boolean => isAsciiLetter(c) || (c >= 128 && LETTER.test(text[i]!))
const isSpace = (c: number): boolean => c === 32 || c === 10 || c === 9 || c === 13 || c === 12 || c === 11 || c === 0xa0 || c === 0x3000
/** Punctuation stripped from a word's ends before its length is taken (Gopher measures words, not quotes). */
const isEdgePunct = (c: number): boolean =>
  (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126) || (c >= 0x2010 && c <= 0x205e)
/** How a sentence or a prose line ends: FineWeb's stop characters plus the closing typographic quote. */
const isTerminal = (c: number): boolean => c === 46 || c === 33 || c === 63 || c === 34 || c === 39 || c === 0x201d || c === 0x2019
/** Bullets a list line starts with (Gopher's "•" and "-", and the others PDFs and markdown use). */
const isBullet = (c: number): boolean =>
  c === 0x2022 || c === 45 || c === 42 || c === 0x2023 || c === 0x25aa || c === 0x25cf || c === 0x25e6 || c === 0x00b7 || c === 0x2013 || c === 0x25a0
/**
 * The line-shape fractions with an upper bound (bullets, ellipses, short lines) are taken over at least
 * this many lines: they tell lists and menus from prose, and a one-line abstract that opens with "•" or
 * ends in "..." is neither (counted as if it had blank lines to make up 5).
 */
const LINE_FLOOR = 5
/** "&", "=", "\\\\", "\\begin{…}", "\\end{…}": the structure words of LaTeX tables and equations. */
function isLatexGlue(text: string, s: number, e: number): boolean {
  const c = text.charCodeAt(s)
  if (e - s === 1) return c === 38 || c === 61
  if (c !== 92) return false
  return endsLatexRow(text, s, e) || text.startsWith("\\begin{", s)
}
const endsLatexRow = (text: string, s: number, e: number): boolean =>
  (e - s === 2 && text.charCodeAt(s + 1) === 92) || text.startsWith("\\end{", s)

/** A token with "://" or starting "www.": a link, whose length says nothing about words. */
function isUrl(text: string, s: number, e: number): boolean {
  if (text.startsWith("www.", s)) return true
  for (let i = s; i + 3 <= e; i++) if (text.charCodeAt(i) === 58 && text.charCodeAt(i + 1) === 47 && text.charCodeAt(i + 2) === 47) return true
  return false
}

/** Lines of this length or less are "short" (FineWeb's short_line_length). */
const SHORT_LINE = 30

/** C0 control characters that are not layout, DEL, and U+FFFD: what binary read as text is full of. */
const isBinaryChar = (c: number): boolean => (c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12 && c !== 11) || c === 127 || c === 0xfffd

/** A separator of data tokens: whitespace and the delimiters of CSV, TSV and tables. */
const isDataSeparator = (c: number): boolean => isSpace(c) || c === 44 || c === 59 || c === 124 || c === 61 || c === 40 || c === 41 || c === 91 || c === 93

export interface CharacterMeasures {
  /** C0 controls that are not layout, DEL and U+FFFD per character: binary read as text. */
  readonly binary_chars: number
  /** Tokens that are numbers (1, -0.25, 1.5e-3, 1.0D+02, 12%, 2014-01-29) among all data tokens. */
  readonly number_tokens: number
  /** Letters among non-space characters. */
  readonly letter_fraction: number
  /** Letters in Latin script, among letters (1 when there are none). */
  readonly latin_share: number
  /** Letters of scripts written without spaces between words (Han, kana, Thai, Lao, Khmer, Myanmar), among letters. */
  readonly unspaced_share: number
}

const isUnspacedScript = (c: number): boolean =>
  (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) ||
  (c >= 0x0e00 && c <= 0x0eff) || (c >= 0x1780 && c <= 0x17ff) || (c >= 0x1000 && c <= 0x109f)

/**
 * The character-level measures in one pass over data tokens (split on whitespace and the delimiters of
 * CSV, TSV and tables): a checkpoint file or a table with no words read as text, binary decoded as text,
 * and which scripts the letters are in.
 */
export function characterMeasures(text: string): CharacterMeasures {
  let tokens = 0
  let numbers = 0
  let nonSpace = 0
  let letters = 0
  let latin = 0
  let unspaced = 0
  let binary = 0
  const n = text.length
  let i = 0
  while (i < n) {
    let c = text.charCodeAt(i)
    if (isDataSeparator(c)) {
      if (!isSpace(c)) nonSpace++
      i++
      continue
    }
    // One token: a number is digits with at most the characters of a number around them.
    let digits = 0
    let other = 0
    let expLetters = 0
    while (i < n && !isDataSeparator((c = text.charCodeAt(i)))) {
      nonSpace++
      if (isDigit(c)) digits++
      else if (c === 101 || c === 69 || c === 100 || c === 68) {
        expLetters++
        letters++
        latin++
      } else {
        if (c !== 46 && c !== 43 && c !== 45 && c !== 37 && c !== 58 && c !== 47 && c !== 0x2212) other++
        if (c < 128) {
          if (isAsciiLetter(c)) {
            letters++
            latin++
          } else if (isBinaryChar(c)) binary++
        } else if (c === 0xfffd) binary++
        else if (LETTER.test(text[i]!)) {
          letters++
          if ((c >= 0xc0 && c <= 0x24f) || (c >= 0x1e00 && c <= 0x1eff)) latin++
          else if (isUnspacedScript(c)) unspaced++
        }
      }
      i++
    }
    tokens++
    if (digits > 0 && other === 0 && expLetters <= 1) numbers++
  }
  return {
    binary_chars: n === 0 ? 0 : binary / n,
    number_tokens: tokens === 0 ? 0 : numbers / tokens,
    letter_fraction: nonSpace === 0 ? 0 : letters / nonSpace,
    latin_share: letters === 0 ? 1 : latin / letters,
    unspaced_share: letters === 0 ? 0 : unspaced / letters
  }
}

/** Measures that need words separated by spaces: left out for text in scripts without them. */
const WORD_MEASURES: ReadonlyArray<string> = [
  "words", "mean_word_length", "symbol_word_ratio", "alpha_words", "stop_words", "sentences", "boilerplate_per_100_words",
  "top_2gram", "top_3gram", "top_4gram", "dup_5gram", "dup_6gram", "dup_7gram", "dup_8gram", "dup_9gram", "dup_10gram"
]
/** Above this share of letters in unspaced scripts, the word measures are left out. */
const UNSPACED_SHARE = 0.3
/** Below this share of Latin letters, the stop-word count (of Latin-script languages) is left out. */
const LATIN_SHARE = 0.5


// 32-bit FNV-1a and a second multiplicative hash per word, combined per n-gram into two 32-bit hashes
// that are counted without building the n-gram's string (collisions of 64 bits: negligible).
const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
const SECOND_SEED = 0x9e3779b9
const SECOND_PRIME = 0x85ebca6b

/** Words of a text as the repetition measures see them: lowercased hashes and lengths (punctuation stripped). */
interface Words {
  count: number
  hashA: Uint32Array
  hashB: Uint32Array
  length: Uint32Array
  totalChars: number
}

/**
 * Repetition is measured on the first this many words: the tables stay under ~50 MB for any document,
 * and a text this long is removed by gopher.max_words anyway.
 */
const MAX_NGRAM_WORDS = 500_000

/** The words of the document being measured: arrays reused from one document to the next (grown as needed). */
const WORDS: Words = { count: 0, hashA: new Uint32Array(4096), hashB: new Uint32Array(4096), length: new Uint32Array(4096), totalChars: 0 }

/**
 * The hashes and word characters of the n-grams starting at each word, for the current n: extended in
 * place from the (n-1)-grams' by one more word each (`extendNgrams`), so every n costs one step per word.
 */
let gramA = new Int32Array(4096)
let gramB = new Int32Array(4096)
let gramChars = new Int32Array(4096)

/** Make the n-gram arrays hold 1-grams (the words). */
function startNgrams(w: Words): void {
  if (gramA.length < w.count) {
    gramA = new Int32Array(w.hashA.length)
    gramB = new Int32Array(w.hashA.length)
    gramChars = new Int32Array(w.hashA.length)
  }
  for (let i = 0; i < w.count; i++) {
    gramA[i] = Math.imul(FNV_OFFSET ^ w.hashA[i]!, FNV_PRIME)
    gramB[i] = Math.imul(SECOND_SEED + w.hashB[i]!, SECOND_PRIME) ^ (SECOND_SEED >>> 15)
    gramChars[i] = w.length[i]!
  }
}

/** From (n-1)-grams to n-grams: each one takes the word after it. */
function extendNgrams(w: Words, n: number): void {
  for (let i = 0; i + n <= w.count; i++) {
    const k = i + n - 1
    const b = gramB[i]!
    gramA[i] = Math.imul(gramA[i]! ^ w.hashA[k]!, FNV_PRIME)
    gramB[i] = Math.imul(b + w.hashB[k]!, SECOND_PRIME) ^ (b >>> 15)
    gramChars[i] = gramChars[i]! + w.length[k]!
  }
}

/** The current n-gram at `i` (module slots read by `bump`). */
let ngA = 0
let ngB = 0
let ngChars = 0
function ngramAt(i: number): void {
  ngA = gramA[i]!
  ngB = gramB[i]!
  ngChars = gramChars[i]!
}

/**
 * Counts of n-grams by their 64-bit hash in an open-addressing table of typed arrays, reused across
 * documents: a Map keyed by numbers past 2^31 boxes every key and was 60% of the filter's time. An entry
 * belongs to the current count only when its stamp is the current generation, so nothing is cleared.
 */
let tableMask = -1
let tableA = new Int32Array(0)
let tableB = new Int32Array(0)
let tableCount = new Int32Array(0)
let tableStamp = new Uint32Array(0)
let generation = 0

function resetTable(entries: number): void {
  let size = 1024
  while (size < entries * 2) size *= 2
  if (size > tableMask + 1) {
    tableA = new Int32Array(size)
    tableB = new Int32Array(size)
    tableCount = new Int32Array(size)
    tableStamp = new Uint32Array(size)
    tableMask = size - 1
    generation = 0
  }
  if (++generation === 0xffffffff) {
    tableStamp.fill(0)
    generation = 1
  }
}

/** Count the n-gram last hashed once more; its count so far. */
function bump(): number {
  let i = (ngA ^ Math.imul(ngB, 0x27d4eb2d)) & tableMask
  while (tableStamp[i] === generation) {
    if (tableA[i] === ngA && tableB[i] === ngB) return ++tableCount[i]!
    i = (i + 1) & tableMask
  }
  tableStamp[i] = generation
  tableA[i] = ngA
  tableB[i] = ngB
  tableCount[i] = 1
  return 1
}

/**
 * Gopher's repetition measures on n-grams of words (characters of words, spaces not counted):
 * - top: characters covered by the most frequent n-gram (count × its length) over all word characters;
 * - dup: characters in n-grams seen before, each n-gram counted once and skipped past, as in datatrove's
 *   find_all_duplicate, over all word characters.
 */
function topNgramFraction(w: Words, n: number): number {
  if (w.count < n || w.totalChars === 0) return 0
  resetTable(w.count)
  let bestCount = 0
  let bestChars = 0
  for (let i = 0; i + n <= w.count; i++) {
    ngramAt(i)
    const c = bump()
    if (c > bestCount || (c === bestCount && ngChars > bestChars)) {
      bestCount = c
      bestChars = ngChars
    }
  }
  // An n-gram seen once is not repetition.
  return bestCount < 2 ? 0 : Math.min(1, (bestCount * bestChars) / w.totalChars)
}

function duplicateNgramFraction(w: Words, n: number): number {
  if (w.count < n || w.totalChars === 0) return 0
  resetTable(w.count)
  let repeated = 0
  let i = 0
  while (i + n <= w.count) {
    ngramAt(i)
    if (bump() > 1) {
      repeated += ngChars
      i += n
    } else i++
  }
  return Math.min(1, repeated / w.totalChars)
}

/** Counts duplicates of `item` in `seen`: returns true when it was there before. */
const seenBefore = (seen: Set<string>, item: string): boolean => {
  if (seen.has(item)) return true
  seen.add(item)
  return false
}

/**
 * The prose measures, one pass over the characters (lines, paragraphs, words) plus the n-gram counts.
 * Lines are compared trimmed and blank lines ignored, as datatrove splits on runs of newlines.
 */
export function proseMeasures(text: string): Record<string, number> {
  const n = text.length
  // Lines and paragraphs.
  let lines = 0
  let bulletLines = 0
  let ellipsisLines = 0
  let punctLines = 0
  let shortLines = 0
  let dupLines = 0
  let dupLineChars = 0
  let paragraphs = 0
  let dupParagraphs = 0
  let dupParagraphChars = 0
  const lineSeen = new Set<string>()
  const paraSeen = new Set<string>()
  let paraStart = -1
  let paraEnd = -1
  // Words.
  const w = WORDS
  w.count = 0
  w.totalChars = 0
  let words = 0
  let lengthWords = 0
  let lengthChars = 0
  let alphaWords = 0
  let stopWords = 0
  let hashes = 0
  let ellipses = 0
  let sentences = 0
  let braces = 0
  let nonSpace = 0

  const endParagraph = () => {
    if (paraStart < 0) return
    paragraphs++
    const p = text.slice(paraStart, paraEnd)
    if (seenBefore(paraSeen, p)) {
      dupParagraphs++
      dupParagraphChars += p.length
    }
    paraStart = -1
  }

  let lineStart = 0
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 10
    if (c !== 10) continue
    // The line [lineStart, i), trimmed.
    let s = lineStart
    let e = i
    while (s < e && isSpace(text.charCodeAt(s))) s++
    while (e > s && isSpace(text.charCodeAt(e - 1))) e--
    lineStart = i + 1
    if (s === e) {
      endParagraph()
      continue
    }
    lines++
    if (paraStart < 0) paraStart = s
    paraEnd = e
    const first = text.charCodeAt(s)
    const last = text.charCodeAt(e - 1)
    if (isBullet(first)) bulletLines++
    if (last === 0x2026 || (last === 46 && e - s >= 3 && text.charCodeAt(e - 2) === 46 && text.charCodeAt(e - 3) === 46)) ellipsisLines++
    if (isTerminal(last)) punctLines++
    if (e - s <= SHORT_LINE) shortLines++
    const line = text.slice(s, e)
    if (seenBefore(lineSeen, line)) {
      dupLines++
      dupLineChars += line.length
    }
    // The words of the line.
    let j = s
    while (j < e) {
      let cj = text.charCodeAt(j)
      if (isSpace(cj)) {
        j++
        continue
      }
      const ts = j
      while (j < e && !isSpace(text.charCodeAt(j))) j++
      const te = j
      nonSpace += te - ts
      // Counted on the raw token: symbols, braces, sentence ends. A markdown heading's "##" opening a line
      // is structure, not the hashtags Gopher counts.
      let heading = ts === s
      for (let k = ts; heading && k < te; k++) heading = text.charCodeAt(k) === 35
      for (let k = ts; k < te; k++) {
        cj = text.charCodeAt(k)
        if (cj === 35) hashes += heading ? 0 : 1
        else if (cj === 0x2026) ellipses++
        else if (cj === 123 || cj === 125) braces++
        else if (cj === 46 && k + 2 < te && text.charCodeAt(k + 1) === 46 && text.charCodeAt(k + 2) === 46) {
          ellipses++
          k += 2
        }
      }
      if (isTerminal(text.charCodeAt(te - 1)) && te - ts >= 2 && !isTerminal(text.charCodeAt(te - 2))) sentences++
      else if (isLatexGlue(text, ts, te)) {
        // A table or equation in LaTeX has no sentences and no stop words; its rows ("\\", "\end{...}")
        // and its glue ("&", "=", "\begin{...}") play their part, so a paper's table or equation kept as its
        // own file is not taken for word salad.
        stopWords++
        if (endsLatexRow(text, ts, te)) sentences++
      }
      // The word without the punctuation around it.
      let ws = ts
      let we = te
      while (ws < we && isEdgePunct(text.charCodeAt(ws))) ws++
      while (we > ws && isEdgePunct(text.charCodeAt(we - 1))) we--
      if (ws === we) continue // only symbols: not a word (Gopher's non-symbol words)
      words++
      const len = we - ws
      // A URL is not a word: reference lists and link tables would otherwise read as text without spaces.
      if (!isUrl(text, ws, we)) {
        lengthWords++
        lengthChars += len
      }
      let a = FNV_OFFSET
      let b = SECOND_SEED
      let alpha = false
      for (let k = ws; k < we; k++) {
        let ck = text.charCodeAt(k)
        if (ck >= 65 && ck <= 90) ck += 32
        if (!alpha && isLetterAt(text, k, ck)) alpha = true
        a = Math.imul(a ^ ck, FNV_PRIME)
        b = Math.imul(b + ck, SECOND_PRIME) ^ (b >>> 13)
      }
      if (alpha) alphaWords++
      if (len <= MAX_STOP_WORD_LENGTH && alpha && STOP_WORDS.has(text.slice(ws, we).toLowerCase())) stopWords++
      if (w.count < MAX_NGRAM_WORDS) {
        const idx = w.count++
        if (idx >= w.hashA.length) growWords(w)
        w.hashA[idx] = a
        w.hashB[idx] = b
        w.length[idx] = len
        w.totalChars += len
      }
    }
  }
  endParagraph()

  const out: Record<string, number> = {
    words,
    mean_word_length: lengthWords === 0 ? 0 : lengthChars / lengthWords,
    symbol_word_ratio: words === 0 ? 0 : (hashes + ellipses) / words,
    bullet_lines: bulletLines / Math.max(LINE_FLOOR, lines),
    ellipsis_lines: ellipsisLines / Math.max(LINE_FLOOR, lines),
    alpha_words: words === 0 ? 0 : alphaWords / words,
    stop_words: stopWords,
    sentences,
    boilerplate_per_100_words: words === 0 ? 0 : (countMatches(BOILERPLATE, text) * 100) / words,
    lorem_ipsum: countMatches(/lorem ipsum/gi, text),
    curly_braces: nonSpace === 0 ? 0 : braces / nonSpace,
    punct_lines: lines === 0 ? 0 : punctLines / lines,
    short_lines: shortLines / Math.max(LINE_FLOOR, lines),
    dup_lines: lines === 0 ? 0 : dupLines / lines,
    dup_line_chars: n === 0 ? 0 : dupLineChars / n,
    dup_paragraphs: paragraphs === 0 ? 0 : dupParagraphs / paragraphs,
    dup_paragraph_chars: n === 0 ? 0 : dupParagraphChars / n
  }
  startNgrams(w)
  for (let k = 2; k <= 10; k++) {
    extendNgrams(w, k)
    if (k <= 4) out[`top_${k}gram`] = topNgramFraction(w, k)
    else out[`dup_${k}gram`] = duplicateNgramFraction(w, k)
  }
  return out
}

function growWords(w: Words): void {
  const grow = (a: Uint32Array) => {
    const b = new Uint32Array(a.length * 2)
    b.set(a)
    return b
  }
  w.hashA = grow(w.hashA)
  w.hashB = grow(w.hashB)
  w.length = grow(w.length)
}

/** UTF-8-read-as-Latin-1 sequences per 1,000 characters. */
export function mojibakePer1k(text: string): number {
  return text.length === 0 ? 0 : (countMatches(MOJIBAKE, text) * 1000) / text.length
}

function whitespaceTokens(text: string): number {
  let tokens = 0
  let inToken = false
  for (let i = 0; i < text.length; i++) {
    const space = isSpace(text.charCodeAt(i))
    if (!space && !inToken) tokens++
    inToken = !space
  }
  return tokens
}

const isProse = (doc: QualityDocument): boolean => doc.kind === "paper" || doc.kind === "text"

/** The measures that apply to `doc`'s kind (and format), rounded to 4 decimals. */
export function measureDocument(doc: QualityDocument): Scores {
  const out: Record<string, number> = {}
  const text = doc.text
  let chars: CharacterMeasures | null = null
  if (isProse(doc) || PLAIN_TEXT_FORMATS.has(doc.format)) {
    chars = characterMeasures(text)
    out.binary_chars = chars.binary_chars
    out.number_tokens = chars.number_tokens
    out.letter_fraction = chars.letter_fraction
  }
  if (isProse(doc)) {
    out.mojibake_per_1k = mojibakePer1k(text)
    if (doc.kind === "paper") {
      // Ingest's own judgement of the PDF text layer, shared rather than recomputed differently.
      const q = textQuality(text)
      out.pdf_quality = q.score
      out.garbage_per_100_tokens = q.garbage_per_100_tokens
    } else {
      // Text made by a PDF tool (pdftotext output kept as .txt) carries the same (cid:N) runs: same measure.
      const glyphs = garbageGlyphs(text)
      out.garbage_per_100_tokens = glyphs === 0 ? 0 : (glyphs * 100) / Math.max(1, whitespaceTokens(text))
    }
    Object.assign(out, proseMeasures(text))
    // Gopher's word rules read English (and here other Latin-script languages); a rule whose measure is
    // absent does not judge, and the language stage decides about Chinese, Japanese, Russian or Greek text.
    if (chars !== null && chars.unspaced_share > UNSPACED_SHARE) for (const k of WORD_MEASURES) delete out[k]
    else if (chars !== null && chars.latin_share < LATIN_SHARE) delete out.stop_words
  } else if (doc.kind === "code") {
    const m = contentMeasures(doc.source_path, text)
    out.code_empty = m.empty ? 1 : 0
    out.code_generated = m.generated === null ? 0 : 1
    out.code_minified = m.minified ? 1 : 0
    out.code_encoded = m.encodedFraction
    // Short files are never numeric data (ingest's numericMinChars): their fraction counts as 0.
    out.code_numeric = m.numericFraction ?? 0
    out.code_max_line = m.stats.maxLineLength
    out.code_mean_line = m.stats.avgLineLength
    out.code_alnum = m.stats.alnumFraction
  }
  for (const k in out) out[k] = round4(out[k]!)
  return out
}
