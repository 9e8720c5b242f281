/**
 * JSON Lines (src/ingest/jsonl.ts): one document per record, streamed. A `.jsonl` / `.ndjson` /
 * `.jsonlines` name decides whatever line 1 holds (a bad first record is rejected on its own); without
 * one, most of the first lines must parse as JSON objects.
 */
import { extractJsonl, headLooksLikeJsonl, JSONL_EXTENSIONS } from "../jsonl.ts"
import type { Reader, Target } from "../reader.ts"
import { errorMessage, rejected, type Extracted, type IngestOptions } from "../types.ts"

export const JSONL_BY_NAME = 0.99
export const JSONL_BY_CONTENT = 0.93

export const jsonlReader: Reader = {
  id: "jsonl",
  kind: "text",
  format: "jsonl",
  priority: 90,
  ceiling: JSONL_BY_NAME,
  detectsOn: "extension .jsonl/.ndjson/.jsonlines, or first lines that are JSON objects",
  examples: ["abstracts.jsonl", "corpus.ndjson", "shard-00.jsonl.zst"],
  detect(probe) {
    if (probe.sniffed._tag !== "Text" || !probe.asciiCompatible) return null
    if (JSONL_EXTENSIONS.has(probe.extension)) return { score: JSONL_BY_NAME, reason: `extension ${probe.extension}` }
    const whole = probe.size >= 0 && probe.head.length >= probe.size
    if (headLooksLikeJsonl(probe.text, whole)) return { score: JSONL_BY_CONTENT, reason: "first lines are JSON objects" }
    return null
  },
  read: (target, ctx) => records(target, ctx.options)
}

/** The records, with I/O errors and record-less files reported. */
async function* records(target: Target, options: IngestOptions): AsyncGenerator<Extracted> {
  const file = target.file
  const member = target.member?.path
  let lastLocation: string | undefined
  try {
    const from = target.path !== null ? undefined : { chunks: target.chunks(), sha256: await target.sha256(), ...(member !== undefined ? { member } : {}) }
    for await (const item of extractJsonl(file, options, from)) {
      if (item._tag !== "Document") lastLocation = item.location
      else lastLocation = `line ${item.doc.source_index}`
      yield item
    }
  } catch (e) {
    // Records never throw (see extractJsonlLine), so this is an I/O error mid-file: report it
    // once, after the records already yielded, since the rest of the file cannot be read.
    const after = lastLocation === undefined ? "before the first record" : `after ${lastLocation}`
    yield rejected("read-error", `${errorMessage(e)} (${after})`, member && `member ${member}`)
    return
  }
  // A `.jsonl` of blank lines has no records, hence no items: say so rather than let it vanish.
  // (A range of a larger file with only blank lines simply holds no records.)
  if (lastLocation === undefined && !file.range) yield rejected("empty-file", "no records: every line is blank", member && `member ${member}`)
}
