/**
 * The filter stage's rules: each one a measure of measures.ts, a bound and a default threshold, so a
 * curator can read why a document was removed ("12 words < 20"), change the threshold in the pipeline
 * file (per bundle too), and see a distribution per rule in the quality report.
 *
 * Defaults come from the papers (Gopher: Rae et al. 2021, app. A; C4: Raffel et al. 2020; FineWeb:
 * Penedo et al. 2024 / datatrove; The Stack / StarCoder for code), changed where real science text fails
 * them; each change says why, with the value measured on the shared corpus (papers, abstracts, LaTeX
 * sources, bibliographies) that the paper's threshold would have removed.
 */
import type { DocumentKind } from "../core/document.ts"
import type { Judge, QualityDocument, Scores, Verdict } from "../quality/document.ts"
import { measureDocument } from "./measures.ts"

export type FilterFamily = "gopher" | "c4" | "fineweb" | "repetition" | "pdf" | "code" | "data"

export interface FilterRule {
  /** Stable id for settings and reports, e.g. "gopher.min_words". */
  readonly name: string
  /** The filtered:<reason> code, e.g. "too-few-words". */
  readonly reason: string
  readonly family: FilterFamily
  readonly kinds: ReadonlyArray<DocumentKind>
  /** Key of the Scores (measures.ts). A document without that score is not judged by the rule. */
  readonly measure: string
  /** Removed when value < threshold (min) or > threshold (max). */
  readonly bound: "min" | "max"
  /** Default threshold. */
  readonly threshold: number
  /**
   * Whether the rule runs without being asked for. A rule that is off by default still has its measure
   * in the scores and the quality report; it runs when the pipeline sets its threshold.
   */
  readonly enabled: boolean
  readonly description: string
}

const PROSE: ReadonlyArray<DocumentKind> = ["paper", "text"]
const PLAIN: ReadonlyArray<DocumentKind> = ["paper", "text", "code"]
const CODE: ReadonlyArray<DocumentKind> = ["code"]

const rule = (
  name: string,
  reason: string,
  family: FilterFamily,
  kinds: ReadonlyArray<DocumentKind>,
  measure: string,
  bound: "min" | "max",
  threshold: number,
  description: string,
  enabled = true
): FilterRule => ({ name, reason, family, kinds, measure, bound, threshold, enabled, description })

/** In order: the first failing rule decides, so the most specific diagnoses come first. */
export const FILTER_RULES: ReadonlyArray<FilterRule> = [
  // Data read as text: what no prose threshold should have to catch.
  rule("data.max_binary_chars", "binary-text", "data", PLAIN, "binary_chars", "max", 0.01,
    "Control characters (not tab/newline), DEL and U+FFFD per character: binary read as text. Clean text has none."),
  rule("pdf.max_garbage", "pdf-garbage", "pdf", PROSE, "garbage_per_100_tokens", "max", 2,
    "(cid:N) runs, U+FFFD and private-use glyphs per 100 whitespace tokens (ingest's textQuality for papers; the same count for text " +
      "a PDF tool wrote). The shared corpus's papers reach 0.48."),
  rule("pdf.max_mojibake", "mojibake", "pdf", PROSE, "mojibake_per_1k", "max", 0.5,
    "UTF-8 read as Latin-1/cp1252 ('Ã©', 'â€™', 'Î”') per 1,000 characters. Real text has none; one damaged quote in 2,000 characters is tolerated."),
  rule("data.max_number_tokens", "numeric-dump", "data", PLAIN, "number_tokens", "max", 0.6,
    "Share of tokens (split on spaces, commas, semicolons, bars, brackets) that are numbers: a checkpoint, a coordinate table or a CSV " +
      "read as text (0.9 and more). Papers with tables reach 0.20, abstracts 0.23, CIF files 0.48, a markdown data summary with a sample table 0.52."),
  rule("data.min_letter_fraction", "numeric-dump", "data", PLAIN, "letter_fraction", "min", 0.25,
    "Letters among non-space characters: numbers and symbols with a few labels (an XYZ frame: 0.16). Papers go down to 0.63 " +
      "(OCR'd equations), CIF files to 0.39."),
  rule("pdf.min_quality", "pdf-text-quality", "pdf", ["paper"], "pdf_quality", "min", 0.45,
    "Ingest's text-layer score (letters, word-like tokens, broken spacing, garbage glyphs). Ingest flags below 0.6 for review; " +
      "an OCR'd 1999 paper with mangled equations and real prose scores 0.54, so removal starts lower, at symbol soup."),
  // C4's page rules.
  rule("c4.lorem_ipsum", "lorem-ipsum", "c4", PROSE, "lorem_ipsum", "max", 0, "Occurrences of 'lorem ipsum' (C4 removes any page with it)."),
  rule("c4.max_boilerplate", "boilerplate", "c4", PROSE, "boilerplate_per_100_words", "max", 2,
    "Cookie, privacy, terms-of-use, 'enable JavaScript' and navigation phrases per 100 words. C4 drops every line saying 'javascript'; " +
      "a paper about a JavaScript engine says it on every page, so only the phrases of a web notice count, and a few are tolerated " +
      "(a study of privacy policies mentions them)."),
  // Gopher's length rules, before the ratios that say little on very short texts.
  rule("gopher.min_words", "too-few-words", "gopher", PROSE, "words", "min", 20,
    "Words (whitespace tokens with a letter or digit). Gopher keeps 50..100,000; real SciTLDR abstracts have 30 words, so 20."),
  rule("gopher.max_words", "too-many-words", "gopher", PROSE, "words", "max", 500_000,
    "Gopher's 100,000 would remove theses and monographs (a 300-page thesis has ~100,000 words); 500,000 catches concatenated dumps."),
  // Repetition (Gopher), on lines, paragraphs and word n-grams.
  rule("repetition.max_dup_lines", "repeated-lines", "repetition", PROSE, "dup_lines", "max", 0.5,
    "Share of non-blank lines seen before in the document. Gopher: 0.3; bibliographies repeat short lines ('},', 'year = {2016},') " +
      "and PDF tables repeat cells: a .bib file reaches 0.35."),
  rule("fineweb.max_dup_line_chars", "repeated-lines", "fineweb", PROSE, "dup_line_chars", "max", 0.25,
    "Characters in lines seen before, over all characters. FineWeb: 0.01, Gopher: 0.2; .bib files reach 0.17, GenBank records 0.11."),
  rule("repetition.max_dup_paragraphs", "repeated-paragraphs", "repetition", PROSE, "dup_paragraphs", "max", 0.3,
    "Share of paragraphs (split on blank lines) seen before (Gopher's value)."),
  rule("repetition.max_dup_paragraph_chars", "repeated-paragraphs", "repetition", PROSE, "dup_paragraph_chars", "max", 0.2,
    "Characters in paragraphs seen before, over all characters (Gopher's value)."),
  ...[2, 3, 4].map((n, i) =>
    rule(`repetition.max_top_${n}gram`, "repeated-ngrams", "repetition", PROSE, `top_${n}gram`, "max", [0.3, 0.28, 0.26][i]!,
      `Word characters covered by the most frequent ${n}-gram. Gopher: ${[0.2, 0.18, 0.16][i]}; short abstracts repeat their ` +
        "technical term ('prostate specific antigen', 'anomaly detection') and reach 0.19 (2-gram) and 0.21 (4-gram).")
  ),
  ...[5, 6, 7, 8, 9, 10].map((n, i) =>
    rule(`repetition.max_dup_${n}gram`, "repeated-ngrams", "repetition", PROSE, `dup_${n}gram`, "max", [0.3, 0.28, 0.27, 0.26, 0.25, 0.25][i]!,
      `Word characters in ${n}-grams seen before (datatrove's find_all_duplicate). Gopher: ${[0.15, 0.14, 0.13, 0.12, 0.11, 0.1][i]}; ` +
        "abstracts that repeat a long term or a sentence reach 0.25 (5-gram) and 0.19 (10-gram), bibliographies 0.19 and 0.16.")
  ),
  // Gopher's quality ratios.
  rule("gopher.min_mean_word_length", "word-length", "gopher", PROSE, "mean_word_length", "min", 2.5,
    "Mean word length, punctuation stripped. Gopher: 3; the shared corpus's papers go down to 4.1 (an OCR'd paper of equations), and " +
      "dense mathematics is full of one-letter variables, so 2.5: broken spacing ('T h e r e s u l t s') is near 1."),
  rule("gopher.max_mean_word_length", "word-length", "gopher", PROSE, "mean_word_length", "max", 15,
    "Gopher: 10; science has DOIs, file paths, chemical and gene names (URLs are left out of the mean): a data-provenance README " +
      "reaches 11.1, a GenBank record 10.0. Above 15: sequences (FASTA 20-54, SMILES 28-35) and text without spaces."),
  rule("gopher.max_symbol_ratio", "symbols", "gopher", PROSE, "symbol_word_ratio", "max", 0.1, "'#' and ellipses per word (Gopher's value)."),
  rule("gopher.max_bullet_lines", "bullet-lines", "gopher", PROSE, "bullet_lines", "max", 0.9, "Share of lines starting with a bullet (Gopher's value)."),
  rule("gopher.max_ellipsis_lines", "ellipsis-lines", "gopher", PROSE, "ellipsis_lines", "max", 0.3, "Share of lines ending in an ellipsis (Gopher's value)."),
  rule("gopher.min_alpha_words", "few-alphabetic-words", "gopher", PROSE, "alpha_words", "min", 0.4,
    "Share of words with a letter. Gopher: 0.8; papers with tables and equations go down to 0.70, crystallography (CIF) files " +
      "read as text to 0.50. Numbers-only texts are numeric dumps (above)."),
  rule("gopher.min_stop_words", "no-stop-words", "gopher", PROSE, "stop_words", "min", 1,
    "Occurrences of function words (Gopher's 'the be to of and that have with', plus de/fr/es/it/pt/nl ones: language is the language " +
      "stage's business; and LaTeX's '&', '=', '\\\\', '\\begin', '\\end', so an equation or a table is not word salad). Gopher: 2; " +
      "a real 37-word abstract has one."),
  // C4 and FineWeb line rules.
  rule("c4.max_curly_braces", "curly-braces", "c4", PROSE, "curly_braces", "max", 0.25,
    "Braces per non-space character. C4 removes any page with '{' (code); LaTeX sources reach 0.17 (a bmatrix), so only texts made of braces go."),
  rule("c4.min_sentences", "no-sentences", "c4", PROSE, "sentences", "min", 1,
    "Words ending a sentence (. ! ? or a closing quote; a LaTeX row end '\\\\' or '\\end{...}'). C4 wants 3 lines ending in terminal " +
      "punctuation; abstracts are one line, and a real one-sentence abstract exists, so 1: lists and sequences without a sentence."),
  rule("fineweb.min_punct_lines", "few-punctuated-lines", "fineweb", PROSE, "punct_lines", "min", 0.12,
    "Share of lines ending in . ! ? or a quote (FineWeb's value). Off by default: hard-wrapped text (arXiv abstracts, LaTeX, PDF " +
      "layers) breaks lines mid-sentence (abstracts go down to 0, bibliographies to 0.001).", false),
  rule("fineweb.max_short_lines", "short-lines", "fineweb", PROSE, "short_lines", "max", 0.8,
    "Share of lines of 30 characters or less. FineWeb: 0.67; LaTeX preambles and bibliographies reach 0.75, PDF tables 0.51."),
  // Code: ingest's StarCoder-style content rules (src/ingest/code/filters.ts), in its order and with its defaults.
  rule("code.empty", "empty", "code", CODE, "code_empty", "max", 0, "Only whitespace."),
  rule("code.generated", "generated", "code", CODE, "code_generated", "max", 0, "A generated-code marker in the header ('DO NOT EDIT', 'Generated by ...')."),
  rule("code.minified", "minified", "code", CODE, "code_minified", "max", 0, "A JS/CSS-like file of very long lines."),
  rule("code.max_encoded", "data-blob", "code", CODE, "code_encoded", "max", 0.5, "Share of characters in base64/hex runs."),
  rule("code.max_numeric", "data-blob", "code", CODE, "code_numeric", "max", 0.85, "Share of numeric literals (files of 2,048 characters or more)."),
  rule("code.max_line_length", "long-lines", "code", CODE, "code_max_line", "max", 1000, "Longest line (The Stack)."),
  rule("code.max_mean_line_length", "long-lines", "code", CODE, "code_mean_line", "max", 100, "Mean line length (The Stack)."),
  rule("code.min_alnum", "low-alnum", "code", CODE, "code_alnum", "min", 0.25, "Share of alphanumeric characters (The Stack).")
]

const RULES_BY_NAME: ReadonlyMap<string, FilterRule> = new Map(FILTER_RULES.map((r) => [r.name, r]))
const FAMILIES: ReadonlySet<string> = new Set(FILTER_RULES.map((r) => r.family))

/** Whether `scores` fail `rule` at `threshold`; a document without the rule's measure does not fail it. */
export function ruleFails(rule: FilterRule, threshold: number, scores: Scores): boolean {
  const v = scores[rule.measure]
  if (v === undefined) return false
  return rule.bound === "min" ? v < threshold : v > threshold
}

export interface FilterOverrides {
  /** Threshold per rule name; setting one turns on a rule that is off by default. */
  readonly thresholds?: Readonly<Record<string, number>>
  /** Rule names or family names ("fineweb") to switch off. */
  readonly disabled?: ReadonlyArray<string>
}

export interface FilterConfig extends FilterOverrides {
  /** Per bundle definition, applied on top of the pipeline's settings to documents routed to it. */
  readonly bundles?: Readonly<Record<string, FilterOverrides>>
}

/** A rule with the threshold it runs at. */
export interface ActiveRule {
  readonly rule: FilterRule
  readonly threshold: number
}

export interface ResolvedFilter {
  /** The rules that run on documents without a bundle (or of a bundle without overrides), in order. */
  readonly rules: ReadonlyArray<ActiveRule>
  readonly bundles: ReadonlyMap<string, ReadonlyArray<ActiveRule>>
}

type Settings = Map<string, number | null> // rule name → threshold, null = off

function applyOverrides(base: Settings, o: FilterOverrides, where: string): Settings | string {
  const out = new Map(base)
  for (const [name, value] of Object.entries(o.thresholds ?? {})) {
    if (!RULES_BY_NAME.has(name)) return `${where}thresholds: unknown filter rule "${name}" (known: ${[...RULES_BY_NAME.keys()].join(", ")})`
    if (typeof value !== "number" || !Number.isFinite(value)) return `${where}thresholds.${name}: ${JSON.stringify(value)} is not a finite number`
    out.set(name, value)
  }
  for (const name of o.disabled ?? []) {
    if (RULES_BY_NAME.has(name)) out.set(name, null)
    else if (FAMILIES.has(name)) for (const r of FILTER_RULES) r.family === name && out.set(r.name, null)
    else return `${where}disabled: "${name}" is neither a filter rule nor a family (${[...FAMILIES].join(", ")})`
  }
  return out
}

const activeRules = (s: Settings): ReadonlyArray<ActiveRule> =>
  FILTER_RULES.flatMap((rule) => {
    const t = s.get(rule.name)
    return t === null || t === undefined ? [] : [{ rule, threshold: t }]
  })

/** The rules and thresholds a config asks for, or an error naming the unknown rule or bad value. */
export function resolveFilterConfig(config: FilterConfig = {}): ResolvedFilter | string {
  const defaults: Settings = new Map(FILTER_RULES.map((r) => [r.name, r.enabled ? r.threshold : null]))
  const base = applyOverrides(defaults, config, "")
  if (typeof base === "string") return base
  const bundles = new Map<string, ReadonlyArray<ActiveRule>>()
  for (const [bundle, o] of Object.entries(config.bundles ?? {})) {
    const s = applyOverrides(base, o, `bundles.${bundle}.`)
    if (typeof s === "string") return s
    bundles.set(bundle, activeRules(s))
  }
  return { rules: activeRules(base), bundles }
}

/**
 * The threshold `ruleName` runs at for a document of `bundle` (its overrides, else the pipeline's), or
 * null when the rule is off there: what the quality report's `thresholdOf` needs.
 */
export function thresholdOf(resolved: ResolvedFilter, ruleName: string, bundle: string | null): number | null {
  const rules = (bundle !== null ? resolved.bundles.get(bundle) : undefined) ?? resolved.rules
  return rules.find((a) => a.rule.name === ruleName)?.threshold ?? null
}

/** A number as a detail shows it: integers as they are, others to 4 decimals at most. */
const show = (x: number): string => (Number.isInteger(x) ? String(x) : String(Math.round(x * 10000) / 10000))

/** The first rule `scores` fail among `rules` for a document of `kind`, or null. */
export function firstFailure(rules: ReadonlyArray<ActiveRule>, kind: DocumentKind, scores: Scores): ActiveRule | null {
  for (const a of rules) if (a.rule.kinds.includes(kind) && ruleFails(a.rule, a.threshold, scores)) return a
  return null
}

/** "12 words < 20": the measured value against the threshold, as a curator reads it. */
export const failureDetail = (a: ActiveRule, scores: Scores): string =>
  `${show(scores[a.rule.measure]!)} ${a.rule.measure} ${a.rule.bound === "min" ? "<" : ">"} ${show(a.threshold)}`

/**
 * The filter's judge: measure the document, then the first failing rule (in FILTER_RULES order, with
 * the document's bundle's overrides when it has one) removes it; otherwise it is kept with its scores.
 */
export function judgeFilter(resolved: ResolvedFilter): Judge {
  return (doc: QualityDocument): Verdict => {
    const scores = measureDocument(doc)
    const rules = (doc.bundle !== null ? resolved.bundles.get(doc.bundle) : undefined) ?? resolved.rules
    const failed = firstFailure(rules, doc.kind, scores)
    if (failed === null) return { keep: true, facts: { quality: scores } }
    return { keep: false, reason: failed.rule.reason, detail: failureDetail(failed, scores), scores }
  }
}
