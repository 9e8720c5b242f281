/**
 * Which extractor a text file goes to, decided from its name and first characters only. Pure: the same
 * decision for a file on disk and for a member of an archive, so a C header or a LAMMPS log is read
 * the same way wherever it was found.
 *
 * Order, and why:
 *  1. names that are not training text: license files (they give the license of the files beside
 *     them) and credential files (`.env`, private keys), which are never read into a document;
 *  2. code that the extension or shebang makes certain (confidence ≥ 0.8);
 *  (on disk, JSONL recognised by content comes here: it needs the file, not only its head)
 *  3. logs of a known program, by content: a Gaussian log named `run.h` is still a Gaussian log;
 *  4. code that only content suggests (`.h`, `.m`, `.inc`, extension-less files with `#include`):
 *     confident enough once no program's log matched;
 *  5. prose formats (Markdown, reStructuredText, TeX...) are text, whatever tables they contain;
 *  6. delimited tables, then the output of unknown programs (repeating columns of numbers);
 *  7. everything else is text.
 */
import { detectLanguage, languageKind } from "./code/language.ts"
import { isLicenseFileName } from "./code/license.ts"
import { detectLogProgram, looksLikeLog } from "./simulation/detect.ts"
import type { LogProgram } from "./simulation/types.ts"
import { looksLikeTable } from "./simulation/table.ts"
import { looksLikeMarkdown } from "./text.ts"

export type TextRoute =
  | { readonly kind: "license-file" }
  | { readonly kind: "credentials-file"; readonly detail: string }
  | { readonly kind: "code"; readonly language: string }
  | { readonly kind: "log"; readonly program: LogProgram }
  | { readonly kind: "table" }
  | { readonly kind: "generic-log" }
  | { readonly kind: "text" }

/** Language detection this sure (extension, shebang) makes a file code before any content check. */
export const CERTAIN_CODE = 0.8
/** Language detection this sure (content only) makes a file code when no program's log matched. */
export const LIKELY_CODE = 0.5
/** A head scoring this much as a table (consistent delimited columns) is read as one. */
const TABLE_THRESHOLD = 0.6

/**
 * Files that hold credentials by convention. They are filtered by name before being read: redaction
 * inside documents (see types.ts) is the second line of defence, not the first.
 */
const CREDENTIAL_NAME = /^(\.env(\.(?!example$|sample$|template$|dist$)[\w.-]+)?|\.netrc|\.pgpass|\.pypirc|\.npmrc|\.htpasswd|id_(rsa|dsa|ecdsa|ed25519)|credentials\.json|[\w.-]+\.(pem|key|p12|pfx|jks|keystore|ppk))$/i

/** The delimiter row of a GFM pipe table (`|---|:--:|`): Markdown, not a delimited data file. */
const MARKDOWN_TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$/m

const baseName = (p: string): string => p.slice(p.replace(/\\/g, "/").lastIndexOf("/") + 1)

/** Why a file name says "credentials", or null. */
export function credentialsFileName(name: string): string | null {
  return CREDENTIAL_NAME.test(baseName(name)) ? `${baseName(name)} holds credentials by convention; it is not read` : null
}

const isCode = (language: string): boolean => languageKind(language) !== "docs"

/** Steps 1–2: routes that the name (and a shebang) decide before any content sniffing. */
export function routeByName(name: string, head: string): TextRoute | null {
  if (isLicenseFileName(baseName(name))) return { kind: "license-file" }
  const credentials = credentialsFileName(name)
  if (credentials !== null) return { kind: "credentials-file", detail: credentials }
  const language = detectLanguage(name, head)
  if (language === null || language.confidence < CERTAIN_CODE || !isCode(language.language)) return null
  // Config formats (XML, JSON, YAML...) are also what programs write their results in (vasprun.xml):
  // a known program's output wins over the name.
  if (languageKind(language.language) === "config") {
    const program = detectLogProgram(head)
    if (program !== null) return { kind: "log", program }
  }
  return { kind: "code", language: language.language }
}

/** Steps 3–7: routes decided by content, once the name decided nothing. */
export function routeByContent(name: string, head: string): TextRoute {
  const language = detectLanguage(name, head)
  // Prose formats named as such (.md, .rst, .tex) stay text even when they quote program output.
  if (language !== null && language.confidence >= CERTAIN_CODE && !isCode(language.language)) return { kind: "text" }
  const program = detectLogProgram(head)
  if (program !== null) return { kind: "log", program }
  if (language !== null && language.confidence >= LIKELY_CODE) {
    if (isCode(language.language)) return { kind: "code", language: language.language }
    return { kind: "text" }
  }
  if (looksLikeMarkdown(head) || MARKDOWN_TABLE_RULE.test(head)) return { kind: "text" }
  if (looksLikeTable(head) >= TABLE_THRESHOLD) return { kind: "table" }
  if (looksLikeLog(head) >= 0.4 && (hasNumericColumns(head) || periodicNumericShare(head) >= 0.8)) return { kind: "generic-log" }
  return { kind: "text" }
}

/** The whole decision, for text whose bytes are at hand (archive members). */
export const routeText = (name: string, head: string): TextRoute => routeByName(name, head) ?? routeByContent(name, head)

const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][-+]?\d+)?/g

/**
 * Share of the non-blank lines that repeat the numeric shape (count of numbers, at least 2) of the line
 * `period` lines later, for the best period of 2–4: logs whose records span lines of different shapes
 * (an optimiser's "Step 1: E = -76.02 dE = 1.2e-03" then "max force 0.041 rms force 0.010") repeat
 * with the record's period. Prose mentions numbers, but without a period.
 */
export function periodicNumericShare(head: string): number {
  const lines = head.split("\n", 400).filter((l) => l.trim() !== "")
  if (lines.length < 8) return 0
  const shapes = lines.map((l) => l.match(NUMBER)?.length ?? 0)
  let best = 0
  for (let period = 2; period <= 4; period++) {
    let same = 0
    for (let i = 0; i + period < shapes.length; i++) if (shapes[i]! >= 2 && shapes[i] === shapes[i + period]) same++
    best = Math.max(best, same / (shapes.length - period))
  }
  return best
}

/**
 * Whether a head holds program output: runs of at least 4 consecutive lines with the same count (≥ 2)
 * of numbers, where numbers are at least a third of the words, covering at least 40% of the non-blank
 * lines. Prose mentions numbers (years, percentages, sample sizes) but not in repeating columns.
 */
export function hasNumericColumns(head: string): boolean {
  const lines = head.split("\n", 400).filter((l) => l.trim() !== "")
  if (lines.length < 4) return false
  let inRuns = 0
  let runShape = -1
  let runLength = 0
  const close = () => {
    if (runShape >= 2 && runLength >= 4) inRuns += runLength
  }
  for (const line of lines) {
    const numbers = line.match(NUMBER)?.length ?? 0
    const words = line.trim().split(/\s+/).length
    const shape = numbers >= 2 && numbers * 3 >= words ? numbers : -1
    if (shape === runShape) runLength++
    else {
      close()
      runShape = shape
      runLength = 1
    }
  }
  close()
  return inRuns >= 0.4 * lines.length
}
