/** Plain-text and Markdown files: one document per file. */
import path from "node:path"
import { sha256Hex } from "../core/text.ts"
import { BINARY_CONTROL_SHARE, controlShare, decodeText } from "./encoding.ts"
import { cleanTitle, makeDocument, rejected, withNotes, type Extracted, type IngestOptions, type InputFile } from "./types.ts"

const MARKDOWN_EXTENSIONS = new Set([".md", ".markdown", ".mdown", ".mkd"])

/** How many lines the Markdown detector reads: structure shows early, and big logs should stay cheap. */
const DETECT_LINES = 400

const ATX_HEADING = /^ {0,3}#{1,6}[ \t]+\S/
const FENCE = /^ {0,3}(```|~~~)/
const LIST_ITEM = /^ {0,3}(?:[-*+]|\d{1,3}[.)])[ \t]+\S/
const LINK = /\[[^\]\n]+\]\([^)\s]+\)/
// `**word**` / `__word__`, not the `*****` banners and `____` rules that program output is full of.
const EMPHASIS = /(?<![*_\w])(\*\*|__)[\p{L}\d][^*_\n]*?(?<=[^\s*_])\1(?![*_\w])/u

/**
 * "Clear Markdown structure" for files without a Markdown extension. Headings alone are not enough:
 * simulation logs, CSV headers and shell output use `# comment` lines, and `-----` underlines are
 * everywhere in program output (so Setext headings are not counted at all). We require an ATX heading
 * *plus* a construct that logs do not produce by accident (a code fence pair, a link, a list, bold
 * text, or headings set off by blank lines as prose documents do), and headings must not dominate
 * the file (a log full of `# step` lines).
 */
export function looksLikeMarkdown(text: string): boolean {
  const lines = text.split("\n", DETECT_LINES)
  let headings = 0
  let spacedHeadings = 0
  let fences = 0
  let lists = 0
  let links = 0
  let emphasis = 0
  let nonBlank = 0
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (line.trim() !== "") nonBlank++
    if (ATX_HEADING.test(line)) {
      headings++
      const next = lines[i + 1]
      if (next === undefined || next.trim() === "") spacedHeadings++
    } else if (FENCE.test(line)) fences++
    else if (LIST_ITEM.test(line)) lists++
    if (LINK.test(line)) links++
    if (EMPHASIS.test(line)) emphasis++
  }
  if (headings === 0 || headings > Math.max(3, nonBlank * 0.3)) return false
  return spacedHeadings >= 2 || fences >= 2 || links >= 1 || lists >= 2 || emphasis >= 1
}

/** The first level-1 ATX heading (`# Title`) outside fenced code, or null. */
export function markdownTitle(text: string): string | null {
  let inFence = false
  for (const line of text.split("\n")) {
    if (FENCE.test(line)) {
      inFence = !inFence
      continue
    }
    if (inFence) continue
    const m = /^ {0,3}#[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$/.exec(line)
    if (m) return cleanTitle(m[1])
  }
  return null
}

/**
 * Extract a whole text file already read into memory (the caller enforces maxFileBytes). Any common
 * encoding is decoded (see encoding.ts): a non-UTF-8 file records `metadata.encoding` and counts
 * `noted:decoded:<encoding>`; stray invalid bytes in UTF-8 become U+FFFD, counted in
 * `metadata.invalid_bytes_replaced` and `noted:invalid-utf8-replaced`. Only content that still reads as
 * control characters once decoded is rejected, as binary. `member` places it inside an archive.
 */
export function extractTextFile(bytes: Uint8Array, file: InputFile, options: IngestOptions, member?: { readonly index: number; readonly path: string }): Extracted {
  const sha = sha256Hex(bytes)
  const decoded = decodeText(bytes)
  const location = member === undefined ? undefined : `member ${member.path}`
  // Binary past a text header (FITS: 28 KB of ASCII cards, then pixels): NUL bytes anywhere in a
  // byte-oriented encoding, or control characters anywhere in the decoded text, not only in the head.
  const wide = decoded.encoding.startsWith("utf-16") || decoded.encoding.startsWith("utf-32")
  const nul = wide ? -1 : bytes.indexOf(0)
  if (nul >= 0) return rejected("binary-file", `unknown binary (a NUL byte at offset ${nul})`, location)
  const share = controlShare(decoded.text, true)
  if (share > BINARY_CONTROL_SHARE) {
    return rejected("binary-file", `unknown binary (${(100 * share).toFixed(1)}% control characters as ${decoded.encoding})`, location)
  }
  const raw = decoded.text
  const name = member?.path ?? file.absPath
  const ext = path.extname(name).toLowerCase()
  const markdown = MARKDOWN_EXTENSIONS.has(ext) || looksLikeMarkdown(raw.replace(/\r\n?/g, "\n"))
  const plainUtf8 = decoded.encoding === "utf-8" && decoded.replaced === 0
  const metadata: Record<string, unknown> = {}
  if (!plainUtf8) metadata.encoding = decoded.encoding
  if (decoded.replaced > 0) metadata.invalid_bytes_replaced = decoded.replaced
  if (member !== undefined) metadata.archive_member = member.path
  const made = makeDocument(file, options, {
    rawText: raw,
    kind: "text",
    format: markdown ? "markdown" : "plain-text",
    sourceSha256: sha,
    sourceIndex: member?.index ?? 0,
    // Only Markdown gets a title: in plain text a leading `# ` line is usually a comment, not a title.
    // (An archive member without one is titled by its path.)
    title: (markdown ? markdownTitle(raw.replace(/\r\n?/g, "\n")) : null) ?? member?.path ?? null,
    metadata,
    ...(location !== undefined ? { location } : {})
  })
  const notes: Record<string, number> = {}
  if (decoded.encoding !== "utf-8") notes[`decoded:${decoded.encoding}`] = 1
  if (decoded.replaced > 0) notes["invalid-utf8-replaced"] = 1
  return withNotes(made, notes)
}
