/** Text normalisation shared by every extractor, and the content hash that makes a document's id. */
import { createHash } from "node:crypto"

/**
 * Normalise text for storage and hashing: Unicode NFKC (ligatures, full-width and compatibility forms,
 * e.g. the Kangxi radicals some PDFs emit), Unix newlines, no NULs or stray control characters, no
 * trailing spaces on lines, at most one blank line in a row, trimmed ends.
 */
export function normalizeText(raw: string): string {
  // U+2028/U+2029 (line/paragraph separators, seen in PubMed abstracts) are line breaks too.
  let s = raw.normalize("NFKC").replace(/\r\n?|[\u2028\u2029]/g, "\n")
  // Control characters other than tab and newline carry nothing for training and break some readers.
  s = s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, "")
  s = s.replace(/[ \t\u00A0]+\n/g, "\n").replace(/\n{3,}/g, "\n\n")
  return s.trim()
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex")
}

/** A document's id: the sha256 of its normalised text. */
export const documentId = (normalizedText: string): string => sha256Hex(normalizedText)

/** A word for a shell command line: as it is when safe, else single-quoted (what to print for a user to copy). */
export const shellWord = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`)
