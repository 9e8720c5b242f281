/** Plain-text and Markdown files: one document per file. */
import path from "node:path"
import { sha256Hex } from "../core/text.ts"
import { findInvalidUtf8, hasUtf8Bom } from "./sniff.ts"
import { cleanTitle, makeDocument, rejected, type Extracted, type IngestOptions, type InputFile } from "./types.ts"

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

/** Extract a whole text file already read into memory (the caller enforces maxFileBytes). */
export function extractTextFile(bytes: Uint8Array, file: InputFile, options: IngestOptions): Extracted {
  const sha = sha256Hex(bytes)
  const body = hasUtf8Bom(bytes) ? bytes.subarray(3) : bytes
  const bad = findInvalidUtf8(body)
  if (bad >= 0) {
    const offset = bad + (body === bytes ? 0 : 3)
    const sample = Array.from(body.subarray(bad, bad + 4), (b) => b.toString(16).padStart(2, "0")).join(" ")
    return rejected("invalid-utf8", `invalid UTF-8 at byte offset ${offset} (bytes ${sample})`)
  }
  const raw = new TextDecoder("utf-8").decode(body)
  const ext = path.extname(file.absPath).toLowerCase()
  const markdown = MARKDOWN_EXTENSIONS.has(ext) || looksLikeMarkdown(raw.replace(/\r\n?/g, "\n"))
  return makeDocument(file, options, {
    rawText: raw,
    kind: "text",
    format: markdown ? "markdown" : "plain-text",
    sourceSha256: sha,
    sourceIndex: 0,
    // Only Markdown gets a title: in plain text a leading `# ` line is usually a comment, not a title.
    title: markdown ? markdownTitle(raw.replace(/\r\n?/g, "\n")) : null,
    metadata: {}
  })
}
