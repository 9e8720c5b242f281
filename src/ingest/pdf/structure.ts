/**
 * The structure of a paper from its paragraphs: title, authors, abstract, section headings and the
 * references section; DOI and arXiv id; and the training text assembled from them. Pure.
 */
import { cleanTitle } from "../types.ts"
import type { ReferencesPolicy } from "./options.ts"
import { NAMED_HEADING, NUMBERED_HEADING, type Paragraph } from "./paragraphs.ts"

/**
 * Info-dictionary titles are often tool artefacts: the source file name ("paper.dvi",
 * "Microsoft Word - 02. 206.doc"), a job id ("OECS12_Matthiesen-Atature") or a placeholder.
 */
export function plausibleTitle(raw: string | null): string | null {
  const t = cleanTitle(raw)
  if (t === null) return null
  if (/^microsoft (word|powerpoint|excel)\b/i.test(t)) return null
  if (/\.(dvi|docx?|tex|pdf|ps|eps|rtf|odt|indd|qxd|txt|pages|wpd)$/i.test(t)) return null
  if (/^(untitled|title|no title|none|null|unknown|document\d*)$/i.test(t)) return null
  // A real title has at least two words with letters; a single token is a file or job name.
  const words = t.split(" ").filter((w) => /\p{L}/u.test(w))
  if (words.length < 2) return null
  return t
}

const DOI = /\b(10\.\d{4,9}\/[-._;()/:A-Za-z0-9]+)/
const ARXIV_NEW = /\barXiv:\s*(\d{4}\.\d{4,5})(?:v\d+)?/i
const ARXIV_OLD = /\barXiv:\s*([a-z-]+(?:\.[A-Z]{2})?\/\d{7})(?:v\d+)?/i

/** The first DOI in `text`, without trailing sentence punctuation or an unbalanced closing bracket. */
export function findDoi(text: string): string | null {
  const m = DOI.exec(text)
  if (!m) return null
  let doi = m[1]!
  for (;;) {
    if (/[.,;:]$/.test(doi)) doi = doi.slice(0, -1)
    else if (doi.endsWith(")") && (doi.match(/\(/g)?.length ?? 0) < (doi.match(/\)/g)?.length ?? 0)) doi = doi.slice(0, -1)
    else break
  }
  return doi
}

export function findArxivId(text: string): string | null {
  return ARXIV_NEW.exec(text)?.[1] ?? ARXIV_OLD.exec(text)?.[1] ?? null
}

const REFERENCES_HEADING = /^(?:\d{1,2}\.?\s+|[IVX]{1,5}\.\s+)?(?:references(?: and notes)?|bibliography|literature cited|works cited|literature)\s*:?$/i
const AFTER_REFERENCES_HEADING = /^(?:\d{1,2}\.?\s+|[A-Z]\.?\s+)?(?:appendi(?:x|ces)\b|supplementary|supporting information)/i
/** A numbered or conventionally named section heading (not merely a line in another font). */
const isSectionHeading = (text: string): boolean => NUMBERED_HEADING.test(text) || NAMED_HEADING.test(text)

const ABSTRACT_LABEL = /^(?:abstract|summary)\b\s*[.:—–-]?\s*/i
// Word starts (universi- matches University, Universiteit, Universität) and whole words.
const AFFILIATION =
  /\b(?:universi|institu|departm|dept\.|laborato|school|college|cent(?:er|re)\b|corporation|inc\.|ltd\b|gmbh|facult|hospital|academ|e-?mail|street|avenue|road\b|usa\b|germany|france|china|japan|africa|america|kingdom|canada|australia|india|brazil|italy|spain|netherlands|switzerland|sweden|poland|received|accepted|published|journal|vol\.|doi\b)|@|https?:/i

/** An author line: names separated by commas or "and", with affiliation marks stripped. */
export function authorNames(line: string): string[] | null {
  if (AFFILIATION.test(line)) return null
  const cleaned = line
    .replace(/[*∗†‡§¶#$+]/g, " ")
    .replace(/(\p{L})\d+(?:,\d+)*/gu, "$1")
    .replace(/\s+/g, " ")
    .trim()
  const parts = cleaned
    .split(/\s*(?:,|;|&|\band\b)\s*/i)
    .map((p) => p.trim())
    .filter((p) => p !== "" && !/^\d+$/.test(p) && !/^[a-z]$/.test(p))
  if (parts.length === 0) return null
  const NAME_WORD = /^(?:\p{Lu}[\p{L}'’-]*\.?|\p{Lu}\.(?:-?\p{Lu}\.)*|(?:van|von|der|de|da|di|del|le|la|du|dos|ter|den)|\p{Lu}\p{Ll}*-\p{Lu}\p{Ll}*)$/u
  for (const p of parts) {
    const words = p.split(" ")
    if (words.length < 2 || words.length > 5) return null
    if (!words.every((w) => NAME_WORD.test(w))) return null
    if (!words.some((w) => /^\p{Lu}\p{Ll}{1,}/u.test(w))) return null
  }
  return parts
}

export interface PaperStructure {
  readonly title: string | null
  readonly authors: ReadonlyArray<string>
  readonly abstract: string | null
  readonly sections: ReadonlyArray<string>
  /** The references section's text (one reference per line where the layout shows it), or null. */
  readonly references: string | null
  /** The training text under the references policy. */
  readonly text: string
}

const MASTHEAD = /\bjournal\b|www\.|https?:|\.org\b|\.com\b|proceedings|\bvol\.|\bissn\b/i

/** The title: the largest text on the first page (at least 20% above the body size), its rows joined. */
function findTitle(paragraphs: ReadonlyArray<Paragraph>, bodySize: number): { title: string; index: number } | null {
  let best: { size: number; index: number } | null = null
  paragraphs.forEach((p, index) => {
    if (p.page !== 1) return
    const letters = p.text.replace(/[^\p{L}]/gu, "").length
    if (letters < 8 || p.text.length > 300 || p.size < bodySize * 1.2) return
    // Identifiers and dates stamped large on a preprint's cover ("hep-ph/9412269 09 Dec 94") are not titles.
    if (/^arxiv:/i.test(p.text) || letters < 0.6 * p.text.replace(/\s/g, "").length) return
    // Journal mastheads are set large on the first page too.
    if (MASTHEAD.test(p.text)) return
    if (best === null || p.size > best.size + 0.1) best = { size: p.size, index }
  })
  if (best === null) return null
  const { index } = best as { size: number; index: number }
  const title = cleanTitle(paragraphs[index]!.text.replace(/[*∗†‡]+$/u, ""))
  return title === null ? null : { title, index }
}

/**
 * Split a paper into its parts. `infoTitle` (the PDF's Info dictionary) is used when the layout shows
 * no title. Headings are kept in the text as Markdown headings ("## 2 Methods"), the title as "# ...".
 */
export function analyseStructure(
  paragraphs: ReadonlyArray<Paragraph>,
  bodySize: number,
  infoTitle: string | null,
  policy: ReferencesPolicy
): PaperStructure {
  const found = findTitle(paragraphs, bodySize)
  // The Info title, when it is printed on the first page, is the title as the authors wrote it; the
  // largest text can be a badge plus the title's first line ("OPEN Complex networks of marine").
  const info = plausibleTitle(infoTitle)
  const flat = (t: string) => t.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim()
  const firstPage = flat(paragraphs.filter((p) => p.page === 1).map((p) => p.text).join(" "))
  const title = info !== null && firstPage.includes(flat(info)) ? info : (found?.title ?? info)

  // Authors: name lines right after the title, before the abstract or a section heading. Author
  // lines are often set in their own font and size, so they may have been taken for a heading.
  const authors: string[] = []
  const authorParagraphs = new Set<number>()
  if (found !== null) {
    for (let i = found.index + 1; i < Math.min(paragraphs.length, found.index + 8); i++) {
      const p = paragraphs[i]!
      if (ABSTRACT_LABEL.test(p.text) || (p.heading && isSectionHeading(p.text))) break
      for (const row of p.rows) {
        const names = authorNames(row.text)
        if (names !== null) {
          authors.push(...names)
          authorParagraphs.add(i)
        }
      }
    }
  }

  // Abstract: a paragraph labelled "Abstract" (inline or as a heading followed by its paragraphs).
  let abstract: string | null = null
  for (let i = 0; i < paragraphs.length && abstract === null; i++) {
    const p = paragraphs[i]!
    if (p.page > 2 || !ABSTRACT_LABEL.test(p.text)) continue
    const inline = p.text.replace(ABSTRACT_LABEL, "").trim()
    if (!p.heading && inline.length > 100) abstract = inline
    else if (p.heading || inline === "") {
      const parts: string[] = []
      for (let j = i + 1; j < paragraphs.length && !paragraphs[j]!.heading && parts.length < 4; j++) parts.push(paragraphs[j]!.text)
      if (parts.length > 0) abstract = parts.join("\n\n")
    }
  }

  // References: from the last references heading to the end or to an appendix.
  let refStart = -1
  for (let i = paragraphs.length - 1; i >= 0; i--) {
    const p = paragraphs[i]!
    if (REFERENCES_HEADING.test(p.text.trim())) {
      refStart = i
      break
    }
  }
  let refEnd = paragraphs.length
  if (refStart >= 0) {
    for (let i = refStart + 1; i < paragraphs.length; i++) {
      if (paragraphs[i]!.heading && AFTER_REFERENCES_HEADING.test(paragraphs[i]!.text)) {
        refEnd = i
        break
      }
    }
  }
  const references =
    refStart >= 0
      ? paragraphs
          .slice(refStart + 1, refEnd)
          .flatMap((p) => p.rows.map((r) => r.text))
          .join("\n")
      : null

  const sections: string[] = []
  const parts: string[] = []
  paragraphs.forEach((p, i) => {
    const inReferences = refStart >= 0 && i >= refStart && i < refEnd
    if (inReferences && policy !== "keep") return
    if (found !== null && i === found.index) parts.push(`# ${found.title}`)
    else if (p.heading && !authorParagraphs.has(i)) {
      sections.push(p.text)
      parts.push(`## ${p.text}`)
    } else parts.push(p.text)
  })
  return {
    title,
    authors,
    abstract,
    sections,
    references: references === null || references.trim() === "" ? null : references,
    text: parts.join("\n\n")
  }
}
