/**
 * An offline multilingual evaluation set for language identification, cut from Debian's translated
 * manual pages (`manpages-de`, `manpages-fr`, ...: /usr/share/man/<locale>/man?/) and the English ones
 * (/usr/share/man/man?/). Tests and the bench build it the same way, with the same seed, so the figures
 * they report are about the same samples.
 *
 * Pure part: roff source → prose paragraphs (headers, synopses, option tags, no-fill blocks, tables and
 * code-like lines dropped), label-noise filtering, word spans (CJK: two characters count as one word) and
 * the seeded choice of 20- and 200-word samples. I/O part: `readManpageEvaluationSet` reads the pages.
 *
 * Label noise: translated pages often keep passages in English (untranslated strings fall back to the
 * original). A paragraph of a non-English page is dropped when it equals, once normalised, a paragraph of
 * the English page of the same name, or when English-only function words make up a large share of its
 * words (`looksEnglish`). Paragraphs repeated within a language (translator credits, licence notes,
 * colophons) are kept once.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"

/** One labelled sample: `words` words of prose from one manual page. */
export interface LanguageSample {
  readonly id: string
  /** ISO 639-1 code of the page's translation ("en" for the untranslated pages). */
  readonly language: string
  readonly words: number
  readonly text: string
}

/** The prose of one manual page, ready to cut. */
export interface ManPage {
  readonly language: string
  /** e.g. "man1/ls.1" (unique within a language). */
  readonly name: string
  readonly paragraphs: ReadonlyArray<string>
}

/**
 * Locale directory under /usr/share/man → ISO 639-1 label and the Debian package that fills it. English
 * lives in /usr/share/man/man?/ and comes with `manpages` (installed by default).
 */
export const MANPAGE_LOCALES: Readonly<Record<string, { readonly language: string; readonly package: string }>> = {
  en: { language: "en", package: "manpages" },
  de: { language: "de", package: "manpages-de" },
  fr: { language: "fr", package: "manpages-fr" },
  es: { language: "es", package: "manpages-es" },
  it: { language: "it", package: "manpages-it" },
  nl: { language: "nl", package: "manpages-nl" },
  pl: { language: "pl", package: "manpages-pl" },
  pt_BR: { language: "pt", package: "manpages-pt-br" },
  ru: { language: "ru", package: "manpages-ru" },
  uk: { language: "uk", package: "manpages-uk" },
  cs: { language: "cs", package: "manpages-cs" },
  sv: { language: "sv", package: "manpages-sv" },
  fi: { language: "fi", package: "manpages-fi" },
  hu: { language: "hu", package: "manpages-hu" },
  ja: { language: "ja", package: "manpages-ja" },
  zh_CN: { language: "zh", package: "manpages-zh" },
  tr: { language: "tr", package: "manpages-tr" },
  vi: { language: "vi", package: "manpages-vi" },
  da: { language: "da", package: "manpages-da" },
  ro: { language: "ro", package: "manpages-ro" },
  id: { language: "id", package: "manpages-id" }
}

/** The Debian packages of the set, for `apt-get install --no-install-recommends`. */
export const MANPAGE_PACKAGES: ReadonlyArray<string> = Object.values(MANPAGE_LOCALES).map((l) => l.package)

export const SAMPLE_LENGTHS: ReadonlyArray<number> = [20, 200]

// ---------------------------------------------------------------------------------------------------
// roff → prose

const NAMED_GLYPHS: Readonly<Record<string, string>> = {
  em: "—", en: "–", hy: "-", lq: "“", rq: "”", oq: "‘", cq: "’", aq: "'", dq: '"', bu: "•", co: "©", rg: "®",
  tm: "™", dg: "†", "Fo": "«", "Fc": "»", fo: "‹", fc: "›", "<=": "≤", ">=": "≥", mu: "×", di: "÷", pl: "+", mi: "−",
  ti: "~", ha: "^", rs: "\\", sl: "/", ga: "`", aa: "´", "->": "→", "<-": "←", de: "°", "+-": "±"
}

/** groff's composite glyph names: an accent mark then a letter (`\(:a` ä, `\('e` é, `\(oa` å, `\(vs` š). */
const ACCENT_MARKS: Readonly<Record<string, string>> = { ":": "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", ",": "\u0327", o: "\u030A", v: "\u030C" }
const LIGATURES: Readonly<Record<string, string>> = { ss: "ß", ae: "æ", AE: "Æ", oe: "œ", OE: "Œ", "/o": "ø", "/O": "Ø", "/l": "ł", "/L": "Ł", "-D": "Đ", Sd: "ð", TP: "Þ", Tp: "þ" }

function glyph(name: string): string {
  const named = NAMED_GLYPHS[name] ?? LIGATURES[name]
  if (named !== undefined) return named
  const mark = name.length === 2 ? ACCENT_MARKS[name[0]!] : undefined
  return mark !== undefined && /[A-Za-z]/.test(name[1]!) ? (name[1]! + mark).normalize("NFC") : ""
}

/** Inline roff escapes → text: fonts and sizes dropped, glyphs named by `\(xx`, `\[xx]` and `\[uXXXX]` resolved. */
export function unescapeRoff(line: string): string {
  // \" starts a comment that runs to the end of the line
  const comment = line.indexOf('\\"')
  const s = comment >= 0 ? line.slice(0, comment) : line
  return s.replace(/\\(?:f(?:\[[^\]]*\]|\(..|.)|s[-+]?(?:\(\d\d|\d)|\*(?:\[[^\]]*\]|\(..|.)|\((..)|\[([^\]]*)\]|[nkgm](?:\[[^\]]*\]|\(..|.)|[hvwlLNDoXZbx]'[^']*'|(.))/g,
    (_escape: string, two?: string, bracket?: string, single?: string) => {
      if (two !== undefined) return glyph(two)
      if (bracket !== undefined) {
        const code = /^u([0-9A-Fa-f]{4,6})(?:_|$)/.exec(bracket)
        return code ? String.fromCodePoint(parseInt(code[1]!, 16)) : glyph(bracket)
      }
      if (single === undefined) return "" // font, size, string, register, motion: no text
      switch (single) {
        case "-": return "-"
        case "e": case "\\": return "\\"
        case " ": case "~": case "0": return " "
        case "'": return "´"
        case "`": return "`"
        case ".": return "."
        default: return "" // \& \% \| \^ \, \/ \c \: and the like print nothing
      }
    })
}

/** Splits a macro's arguments, honouring double quotes (`.B "two words"`). */
function macroArguments(rest: string): string[] {
  const out: string[] = []
  const re = /"((?:[^"]|"")*)"?|(\S+)/g
  for (let m = re.exec(rest); m; m = re.exec(rest)) out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!)
  return out
}

const FONT_MACROS = new Set(["B", "I", "SM", "SB"])
const ALTERNATING_MACROS = new Set(["BR", "RB", "BI", "IB", "IR", "RI"])
const BREAK_MACROS = new Set(["PP", "LP", "P", "IP", "TP", "TQ", "HP", "sp", "br", "SH", "SS", "RS", "RE", "in", "ti", "bp", "ne"])
/** The first two sections (NAME and SYNOPSIS, under whatever translated heading) hold no prose: skipped by position. */
const SKIPPED_SECTION_INDEXES = 2

/**
 * The paragraphs of filled text of a manual page's roff source, escapes resolved and whitespace folded.
 * No-fill blocks (.nf/.EX), tables (.TS), macro definitions, the tag line of .TP items and the NAME and
 * SYNOPSIS sections (the first two) are left out; whether a paragraph is prose is `isProse`'s call.
 */
export function manPageParagraphs(roff: string): string[] {
  const paragraphs: string[] = []
  let current: string[] = []
  let section = -1
  let noFill = false
  let inTable = false
  let inMacroDefinition = false
  let skipTagLine = false
  const flush = (): void => {
    if (current.length > 0) {
      const text = current.join(" ").replace(/\s+/g, " ").trim()
      if (text.length > 0 && section >= SKIPPED_SECTION_INDEXES) paragraphs.push(text)
      current = []
    }
  }
  for (const rawLine of roff.split("\n")) {
    const line = rawLine.replace(/\r$/, "")
    if (inMacroDefinition) {
      if (line.startsWith("..")) inMacroDefinition = false
      continue
    }
    const request = /^[.'][ \t]*([A-Za-z][A-Za-z0-9]*|\\")?[ \t]*(.*)$/.exec(line)
    if (request) {
      const name = request[1] ?? ""
      const rest = request[2] ?? ""
      if (name === "" || name === '\\"') continue
      if (name === "de" || name === "am" || name === "ig") { inMacroDefinition = true; continue }
      if (name === "TS") { flush(); inTable = true; continue }
      if (name === "TE") { inTable = false; continue }
      if (name === "nf" || name === "EX") { flush(); noFill = true; continue }
      if (name === "fi" || name === "EE") { noFill = false; continue }
      if (inTable || noFill) continue
      if (name === "SH") { flush(); section++; continue }
      if (BREAK_MACROS.has(name)) {
        flush()
        if (name === "TP" || name === "TQ") skipTagLine = true
        continue
      }
      if (FONT_MACROS.has(name) || ALTERNATING_MACROS.has(name)) {
        if (skipTagLine) { skipTagLine = false; continue }
        const args = macroArguments(rest)
        current.push(unescapeRoff(FONT_MACROS.has(name) ? args.join(" ") : args.join("")))
        continue
      }
      continue // every other request (.UR, .MT, .TH, .so, .if, ...) carries no prose
    }
    if (inTable || noFill) continue
    if (skipTagLine) { skipTagLine = false; continue }
    if (line.trim() === "") { flush(); continue }
    current.push(unescapeRoff(line))
  }
  flush()
  return paragraphs
}

// ---------------------------------------------------------------------------------------------------
// words, prose, label noise

/** Han, kana, hangul: scripts written without spaces, where two characters stand for about one word. */
const isCjk = (c: number): boolean =>
  (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xac00 && c <= 0xd7af)
/** ASCII and the common Unicode spaces (the text is folded already; no need for the whole \s class). */
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x3000 || (c >= 0x2000 && c <= 0x200a)

/**
 * Word spans of a text as [start, end) pairs in a flat array: whitespace-separated tokens, except that
 * runs of CJK characters count one word per two characters (so a "20-word" Japanese sample is ~40 characters).
 */
export function wordSpans(text: string): number[] {
  const spans: number[] = []
  const n = text.length
  let i = 0
  while (i < n) {
    while (i < n && isSpace(text.charCodeAt(i))) i++
    if (i >= n) break
    let start = i
    let cjkRun = 0
    while (i < n && !isSpace(text.charCodeAt(i))) {
      if (isCjk(text.charCodeAt(i))) {
        cjkRun++
        if (cjkRun === 2) { spans.push(start, i + 1); start = i + 1; cjkRun = 0 }
      } else if (cjkRun > 0) {
        cjkRun = 0
      }
      i++
    }
    if (start < i) spans.push(start, i)
  }
  return spans
}

export const countWords = (text: string): number => wordSpans(text).length / 2

/**
 * A paragraph of running text rather than an option list, a command line or a table row: at least 6
 * words, letters at least 75% of the non-space characters, few code characters.
 */
export function isProse(paragraph: string): boolean {
  if (countWords(paragraph) < 6) return false
  const visible = paragraph.length - (paragraph.match(/\s/g)?.length ?? 0)
  const letters = paragraph.match(/\p{L}/gu)?.length ?? 0
  const code = paragraph.match(/[{}[\]<>=;$|\\_#*/@]/g)?.length ?? 0
  if (visible === 0 || letters / visible < 0.75 || code / visible > 0.03) return false
  // option lists that survive as running text: "-iuclc -ixany -imaxbel ..."
  const tokens = paragraph.split(/\s+/)
  let options = 0
  for (const t of tokens) if (t.startsWith("-")) options++
  return options / tokens.length <= 0.2
}

/** Function words that are English and not also common words of the other languages of the set. */
const ENGLISH_ONLY_WORDS = new Set([
  "the", "of", "and", "to", "that", "for", "with", "are", "this", "by", "which", "from", "it", "not", "or", "when",
  "will", "can", "these", "has", "have", "been", "was", "their", "its", "you", "your", "should", "would", "there",
  "than", "then", "only", "also", "such", "other", "any", "each", "if", "is", "be", "on", "as", "an", "at", "all"
])

/** Share of a text's words that are English-only function words (0..1). */
export function englishWordShare(text: string): number {
  const words = text.toLowerCase().match(/\p{L}+/gu)
  if (!words || words.length === 0) return 0
  let hits = 0
  for (const w of words) if (ENGLISH_ONLY_WORDS.has(w)) hits++
  return hits / words.length
}

/** English prose runs at 25–40% on that list; German, Dutch, French... stay under 10%. */
export const looksEnglish = (text: string): boolean => englishWordShare(text) >= 0.18

export const normalizeParagraph = (p: string): string => p.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim()

/**
 * The prose paragraphs of a page worth labelling `language`: prose only, and for a translation, not a
 * passage left in English (equal to a paragraph of the English page, or looking English).
 */
export function labelledParagraphs(language: string, paragraphs: ReadonlyArray<string>, englishPage: ReadonlySet<string>): string[] {
  const out: string[] = []
  for (const p of paragraphs) {
    if (!isProse(p)) continue
    if (language !== "en" && (englishPage.has(normalizeParagraph(p)) || looksEnglish(p))) continue
    out.push(p)
  }
  return out
}

// ---------------------------------------------------------------------------------------------------
// seeded choice of samples

/** FNV-1a (32 bits) of a string with a seed folded in first: a stable rank, not a cryptographic hash. */
export function seededHash(seed: number, s: string): number {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  // final avalanche so that ids differing in their last characters spread over the whole range
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b) >>> 0
  h ^= h >>> 13
  return h >>> 0
}

export interface CutOptions {
  readonly seed: number
  readonly perLanguage: number
  readonly lengths: ReadonlyArray<number>
}

export const DEFAULT_CUT: CutOptions = { seed: 15, perLanguage: 300, lengths: SAMPLE_LENGTHS }

/**
 * Cuts non-overlapping windows of `length` words from each page's prose (paragraphs joined, so a 200-word
 * window may span paragraphs of one page, never two pages), drops windows that are not prose or, for a
 * translation, look English (the same label-noise tests as for paragraphs), then keeps, per language and length, the
 * `perLanguage` windows ranked first by the seeded hash of their id. Paragraphs repeated within a
 * language are kept once (first page in name order wins). Output is sorted by language, length, id.
 */
export function cutSamples(pages: ReadonlyArray<ManPage>, options: CutOptions = DEFAULT_CUT): LanguageSample[] {
  const byLanguage = new Map<string, ManPage[]>()
  for (const page of pages) {
    const list = byLanguage.get(page.language) ?? []
    list.push(page)
    byLanguage.set(page.language, list)
  }
  const out: LanguageSample[] = []
  for (const language of [...byLanguage.keys()].sort()) {
    const langPages = byLanguage.get(language)!.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const seen = new Set<string>()
    const proses: Array<{ name: string; text: string; spans: number[] }> = []
    for (const page of langPages) {
      const unique = page.paragraphs.filter((p) => {
        const key = normalizeParagraph(p)
        if (seen.has(key)) return false
        seen.add(key)
        return true
      })
      if (unique.length === 0) continue
      const text = unique.join("\n\n")
      proses.push({ name: page.name, text, spans: wordSpans(text) })
    }
    for (const length of options.lengths) {
      // rank every window by its id's hash first, then test windows in rank order until enough pass:
      // cheaper than testing them all, and the outcome is the same
      const windows: Array<{ rank: number; id: string; prose: number; start: number; end: number }> = []
      proses.forEach((prose, index) => {
        const words = prose.spans.length / 2
        for (let k = 0; (k + 1) * length <= words; k++) {
          const id = `${language}/${prose.name}#${length}:${k}`
          windows.push({ rank: seededHash(options.seed, id), id, prose: index, start: prose.spans[2 * k * length]!, end: prose.spans[2 * ((k + 1) * length - 1) + 1]! })
        }
      })
      windows.sort((a, b) => a.rank - b.rank || (a.id < b.id ? -1 : 1))
      const chosen: LanguageSample[] = []
      for (const w of windows) {
        if (chosen.length >= options.perLanguage) break
        const text = proses[w.prose]!.text.slice(w.start, w.end).replace(/\s+/g, " ")
        // a window may still straddle an English passage or a command line: label noise, left out
        if (!isProse(text) || (language !== "en" && looksEnglish(text))) continue
        chosen.push({ id: w.id, language, words: length, text })
      }
      chosen.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      out.push(...chosen)
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------------
// I/O: reading the installed pages

export const MAN_ROOT = "/usr/share/man"

export interface ReadOptions extends CutOptions {
  readonly root: string
  /** Locale directories to read (keys of MANPAGE_LOCALES); absent: those whose package is installed. */
  readonly locales?: ReadonlyArray<string>
  /** Stop reading a language's pages once this many prose words are in: enough windows to choose from. */
  readonly wordBudget: number
}

export const DEFAULT_READ: ReadOptions = { ...DEFAULT_CUT, root: MAN_ROOT, wordBudget: 150_000 }

/** Roff source of a (gzipped) page; null for `.so` redirections, unreadable or non-UTF-8 files. */
function readRoff(file: string): string | null {
  let bytes: Buffer
  try {
    bytes = fs.readFileSync(file)
    if (file.endsWith(".gz")) bytes = zlib.gunzipSync(bytes)
  } catch {
    return null
  }
  const text = bytes.toString("utf8")
  const redirection = text.length < 200 && /^\.so\s/m.test(text)
  if (redirection || text.includes("\uFFFD")) return null
  return text
}

/** Page files of a man tree (`<dir>/man?/*`), relative names sorted. */
function pageNames(dir: string): string[] {
  const out: string[] = []
  let sections: string[]
  try {
    sections = fs.readdirSync(dir).filter((d) => /^man[1-9n]$/.test(d))
  } catch {
    return out
  }
  for (const section of sections) {
    for (const f of fs.readdirSync(path.join(dir, section))) out.push(`${section}/${f}`)
  }
  return out.sort()
}

/**
 * Locales whose Debian package is installed (its /usr/share/doc/<package> directory exists). Other
 * packages drop a few translated pages into the same directories; without the package, a language would
 * be represented by a handful of pages and its figures would mean little.
 */
export function installedLocales(docRoot = "/usr/share/doc"): string[] {
  return Object.keys(MANPAGE_LOCALES).filter((locale) => fs.existsSync(path.join(docRoot, MANPAGE_LOCALES[locale]!.package)))
}

/**
 * Reads the installed pages of each locale in seeded order until `wordBudget` prose words are in, and cuts
 * the samples. Deterministic for a given set of installed packages. Locales with no pages are skipped.
 */
export function readManpageEvaluationSet(options: ReadOptions = DEFAULT_READ): LanguageSample[] {
  const pages: ManPage[] = []
  const englishParagraphs = (name: string): Set<string> => {
    const roff = readRoff(path.join(options.root, name))
    return new Set(roff === null ? [] : manPageParagraphs(roff).map(normalizeParagraph))
  }
  for (const locale of options.locales ?? installedLocales()) {
    const language = MANPAGE_LOCALES[locale]?.language
    if (language === undefined) continue
    const dir = locale === "en" ? options.root : path.join(options.root, locale)
    const names = pageNames(dir).sort((a, b) => seededHash(options.seed, a) - seededHash(options.seed, b) || (a < b ? -1 : 1))
    let words = 0
    for (const name of names) {
      if (words >= options.wordBudget) break
      const roff = readRoff(path.join(dir, name))
      if (roff === null) continue
      const english = language === "en" ? new Set<string>() : englishParagraphs(name)
      const paragraphs = labelledParagraphs(language, manPageParagraphs(roff), english)
      if (paragraphs.length === 0) continue
      for (const p of paragraphs) words += countWords(p)
      pages.push({ language, name, paragraphs })
    }
  }
  return cutSamples(pages, options)
}
