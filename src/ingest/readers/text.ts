/**
 * Plain text, the fallback for any content that decodes as text (UTF-8, UTF-16/32, Latin-1,
 * Windows-1252 and other legacy charsets; see encoding.ts): one `text` document per file.
 */
import { placeAtMember, wholeContent, type Reader, type Target } from "../reader.ts"
import { extractTextFile } from "../text.ts"
import { describeFailure, rejected, type Extracted, type IngestOptions } from "../types.ts"

export const TEXT_FALLBACK = 0.1

export const textReader: Reader = {
  id: "text",
  kind: "text",
  format: "plain-text, markdown",
  priority: 0,
  ceiling: TEXT_FALLBACK,
  detectsOn: "anything that decodes as text (fallback)",
  examples: ["notes.txt", "README", "abstract.txt.gz"],
  detect: (probe) => (probe.sniffed._tag === "Text" ? { score: TEXT_FALLBACK, reason: `text (${probe.encoding.encoding}); no other reader claimed it` } : null),
  read: (target, ctx) => readTextTarget(target, ctx.options)
}

/** A whole text document from a target (shared with the Markdown reader). */
export async function* readTextTarget(target: Target, options: IngestOptions): AsyncGenerator<Extracted> {
  const bytes = await wholeContent(target, options.maxFileBytes)
  if (!(bytes instanceof Uint8Array)) {
    yield placeAtMember(bytes, target.member)
    return
  }
  try {
    yield extractTextFile(bytes, target.file, options, target.member)
  } catch (e) {
    // E.g. a file past V8's string length limit (~512 MiB of text) when maxFileBytes is set above it.
    yield placeAtMember(rejected("extract-error", describeFailure(e, "text extraction failed")), target.member)
  }
}
