/**
 * Prose formats (Markdown, reStructuredText, TeX...): a `text` document per file (src/ingest/text.ts),
 * format "markdown" when it is Markdown. A prose name (.md, .rst, .tex) wins over program output it
 * quotes; without one, clear Markdown structure (headings with lists, links, fences; a GFM table rule)
 * makes a file prose before the table and log detectors are asked.
 */
import { LIKELY_CODE, CERTAIN_CODE } from "../code/language-tiers.ts"
import { languageKind } from "../code/language.ts"
import type { Reader } from "../reader.ts"
import { readTextTarget } from "./text.ts"

export const PROSE_BY_NAME = 0.957
export const PROSE_BY_CONTENT = 0.84
export const MARKDOWN_STRUCTURE = 0.8

/** The delimiter row of a GFM pipe table (`|---|:--:|`): Markdown, not a delimited data file. */
const MARKDOWN_TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$/m

export const markdownReader: Reader = {
  id: "markdown",
  kind: "text",
  format: "markdown, plain-text",
  priority: 40,
  ceiling: PROSE_BY_NAME,
  detectsOn: "prose extension (.md, .rst, .tex), or Markdown structure in the head",
  examples: ["README.md", "notes.rst", "paper.tex"],
  detect(probe) {
    if (probe.sniffed._tag !== "Text") return null
    const language = probe.language
    if (language !== null && languageKind(language.language) === "docs") {
      if (language.confidence >= CERTAIN_CODE) return { score: PROSE_BY_NAME, reason: `name: ${language.language}` }
      if (language.confidence >= LIKELY_CODE) return { score: PROSE_BY_CONTENT, reason: `content: ${language.language}` }
    }
    if (probe.markdown) return { score: MARKDOWN_STRUCTURE, reason: "Markdown structure (headings with lists, links or fences)" }
    if (MARKDOWN_TABLE_RULE.test(probe.text)) return { score: MARKDOWN_STRUCTURE, reason: "Markdown table rule" }
    return null
  },
  read: (target, ctx) => readTextTarget(target, ctx.options)
}
