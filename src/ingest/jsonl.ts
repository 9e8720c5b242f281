/**
 * JSON Lines: one document per non-blank line. Files can be many GB, so everything here streams: the
 * file hash is a separate streaming pass (every document carries it, so it must be known before the
 * first one is yielded), and lines come from a chunked splitter that holds at most one line, itself
 * bounded by the record limit. There is no file-size limit: memory does not grow with the file.
 */
import type { ByteRange } from "../core/stage.ts"
import path from "node:path"
import { fileChunks, hashFile } from "./files.ts"
import { findInvalidUtf8, hasUtf8Bom } from "./sniff.ts"
import {
  cleanTitle,
  describeFailure,
  makeDocument,
  recordLimit,
  rejected,
  type Extracted,
  type IngestOptions,
  type InputFile
} from "./types.ts"

/**
 * Bytes a line may hold beyond the limit before the splitter gives up on it: a BOM (3) and a CR (1)
 * are stripped later and do not count towards the limit, so a line is only known to be too long once
 * it passes the limit by more than that.
 */
const LINE_SLACK = 4

export interface Line {
  readonly _tag: "Line"
  /** The line's bytes without the newline (and without a trailing CR or a leading BOM). */
  readonly bytes: Buffer
  /** 1-based line number. */
  readonly lineNo: number
  /** Byte offset of the line's first byte in the file. */
  readonly offset: number
}

/** A line longer than the limit; its bytes were not kept. */
export interface TooLongLine {
  readonly _tag: "TooLong"
  readonly lineNo: number
}

export type RawLine = Line | TooLongLine

/**
 * Split a file into lines on LF without decoding it: decoding happens per line, so one line's invalid
 * UTF-8 rejects only that line. A line longer than `maxLineBytes` (not counting its CR/LF or a BOM) is
 * reported as `TooLong` as soon as it crosses the limit, and its remaining bytes are dropped up to the
 * next LF rather than collected: memory stays at one line of at most `maxLineBytes` (briefly twice,
 * while its pieces are joined) plus one read chunk, even for a multi-GB file without a newline. A caller may stop at a `TooLong` item without
 * the file being read to the end of that line.
 */
export async function* readLines(
  /** A file's path, or its content as chunks (an archive member, a decompressed stream). */
  source: string | AsyncIterable<Uint8Array>,
  maxLineBytes: number,
  range?: ByteRange,
  /** Sees every chunk read, e.g. to hash the file in the same pass. */
  onChunk?: (chunk: Buffer) => void
): AsyncGenerator<RawLine> {
  // A range starts right after a newline (planning cut it there) and ends just after one, or at the end.
  const stream: AsyncIterable<Uint8Array> = typeof source === "string" ? fileChunks(source, range) : source
  let pending: Buffer[] = []
  let pendingBytes = 0
  // True while inside a line that has already been reported TooLong: its bytes are dropped up to the next LF.
  let skipping = false
  let lineNo = range ? range.firstLine - 1 : 0
  let lineStart = range?.start ?? 0 // file offset of the current line's first byte
  let fileOffset = range?.start ?? 0 // file offset of the current chunk's first byte
  const complete = (tail: Buffer): RawLine => {
    let bytes = pending.length === 0 ? tail : Buffer.concat([...pending, tail])
    pending = []
    pendingBytes = 0
    lineNo++
    let offset = lineStart
    if (lineNo === 1 && hasUtf8Bom(bytes)) {
      bytes = bytes.subarray(3)
      offset += 3
    }
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1)
    // A line that fits in one chunk is never buffered, so it is only measured here.
    if (bytes.length > maxLineBytes) return { _tag: "TooLong", lineNo }
    return { _tag: "Line", bytes, lineNo, offset }
  }
  {
    for await (const raw of stream) {
      const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
      onChunk?.(chunk)
      let start = 0
      for (;;) {
        const nl = chunk.indexOf(0x0a, start)
        if (nl < 0) break
        if (skipping) skipping = false // the over-long line ends here; it was reported when it crossed the limit
        else yield complete(chunk.subarray(start, nl))
        start = nl + 1
        lineStart = fileOffset + start
      }
      if (start < chunk.length && !skipping) {
        const rest = chunk.subarray(start)
        if (pendingBytes + rest.length > maxLineBytes + LINE_SLACK) {
          pending = []
          pendingBytes = 0
          skipping = true
          yield { _tag: "TooLong", lineNo: ++lineNo }
        } else {
          // Copy: the stream may reuse its buffers, and a pending piece outlives this chunk.
          pending.push(Buffer.from(rest))
          pendingBytes += rest.length
        }
      }
      fileOffset += chunk.length
    }
    // The last line, when the file does not end with a newline.
    if (pendingBytes > 0) yield complete(Buffer.alloc(0))
  }
}

export { hashFile }

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v)

const isBlank = (bytes: Buffer): boolean => {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0b && b !== 0x0c) return false
  }
  return true
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** Extensions that declare a file JSONL whatever its first line holds. */
export const JSONL_EXTENSIONS: ReadonlySet<string> = new Set([".jsonl", ".ndjson", ".jsonlines"])

export const hasJsonlExtension = (file: InputFile): boolean => JSONL_EXTENSIONS.has(path.extname(file.absPath).toLowerCase())

/**
 * Non-blank lines the content test samples: enough that one bad first record (truncated, an array, a
 * stray byte) is outvoted by the good ones after it, few enough to stay cheap on text files.
 */
const PROBE_LINES = 5

const kindOf = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v)

/**
 * One record's result; never throws. Exported for tests and for callers that already hold a line.
 * Beyond the checks below, a valid record can still fail to become a Document (fields nested too
 * deeply for JSON.stringify, or a line too long for one JS string when the record limit is raised
 * past ~512 MiB): that rejects this record as `extract-error` instead of ending the whole file.
 */
export function extractJsonlLine(line: Line, file: InputFile, options: IngestOptions, sourceSha256: string, member?: string): Extracted {
  const location = member === undefined ? `line ${line.lineNo}` : `member ${member}, line ${line.lineNo}`
  try {
    return recordToItem(line, location, file, options, sourceSha256, member)
  } catch (e) {
    return rejected("extract-error", describeFailure(e, "could not convert the record"), location)
  }
}

function recordToItem(line: Line, location: string, file: InputFile, options: IngestOptions, sourceSha256: string, member: string | undefined): Extracted {
  const bad = findInvalidUtf8(line.bytes)
  if (bad >= 0) {
    return rejected("invalid-utf8", `invalid UTF-8 at byte offset ${line.offset + bad} (byte ${bad} of the line)`, location)
  }
  // Outside the try below: the bytes are valid UTF-8, so decoding can only fail for want of memory,
  // which must not be reported as bad JSON.
  const json = utf8.decode(line.bytes)
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch (e) {
    // V8 appends "(line 1 column N)", which reads as a file position: the location says the line.
    const message = (e instanceof Error ? e.message : String(e)).replace(/\s*\(line \d+ column \d+\)$/, "")
    return rejected("invalid-json", `not valid JSON: ${message}`, location)
  }
  if (!isPlainObject(value)) {
    return rejected("missing-text-field", `expected a JSON object with a string "text" field, got ${kindOf(value)}`, location)
  }
  const text = value["text"]
  if (typeof text !== "string") {
    const got = text === undefined ? "no \"text\" field" : `"text" is ${kindOf(text)}`
    return rejected("missing-text-field", `expected a string "text" field: ${got}`, location)
  }
  // Every other field is kept, in input order; the record's own `id` is renamed so it cannot be
  // confused with our content id. (JS objects list integer-like keys first: a rare reordering we accept.)
  const metadata: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    if (k === "text") continue
    metadata[k === "id" ? "source_id" : k] = v
  }
  if (member !== undefined) metadata.archive_member = member
  const title = value["title"]
  return makeDocument(file, options, {
    rawText: text,
    kind: "text",
    format: "jsonl",
    sourceSha256,
    sourceIndex: line.lineNo,
    title: typeof title === "string" ? cleanTitle(title) : null,
    metadata,
    location
  })
}

/**
 * All records of a JSONL file, one item per non-blank line, in file order. A line over the record
 * limit is rejected and skipped; the file goes on. I/O errors are thrown (the caller reports them).
 */
export async function* extractJsonl(file: InputFile, options: IngestOptions, from?: JsonlSource): AsyncGenerator<Extracted> {
  const limit = recordLimit(options)
  const sha = from?.sha256 ?? file.range?.fileSha256 ?? (await hashFile(file.absPath))
  const member = from?.member
  for await (const line of readLines(from?.chunks ?? file.absPath, limit, from ? undefined : file.range)) {
    if (line._tag === "TooLong") {
      const where = member === undefined ? `line ${line.lineNo}` : `member ${member}, line ${line.lineNo}`
      yield rejected("record-too-large", `the line is longer than the record limit of ${limit} bytes; skipped to the next line`, where)
      continue
    }
    if (isBlank(line.bytes)) continue
    yield extractJsonlLine(line, file, options, sha, member)
  }
}

/** JSONL content that is not a plain file on disk: an archive member or a decompressed stream. */
export interface JsonlSource {
  readonly chunks: AsyncIterable<Uint8Array>
  /** The hash every record carries (of the member, or of the compressed file). */
  readonly sha256: string
  /** Where in the input file, for locations ("member x.jsonl, line 3") and metadata.archive_member. */
  readonly member?: string
}

/**
 * The content test for a decoded head without a JSONL extension: the first non-space character is
 * `{` and most of the first PROBE_LINES complete non-blank lines parse as JSON objects. A pretty-printed
 * JSON file fails it (`{` alone, then `"key": value,` lines), and so does prose that merely starts with
 * a JSON line. Only lines that end inside the head count.
 */
export function headLooksLikeJsonl(head: string, headIsWhole: boolean): boolean {
  const start = head.search(/\S/)
  if (start < 0 || head.charCodeAt(start) !== 0x7b) return false
  let sampled = 0
  let objects = 0
  let from = 0
  while (sampled < PROBE_LINES && from < head.length) {
    let nl = head.indexOf("\n", from)
    if (nl < 0) {
      if (!headIsWhole) break
      nl = head.length
    }
    const line = head.slice(from, nl)
    from = nl + 1
    if (line.trim() === "") continue
    sampled++
    try {
      if (isPlainObject(JSON.parse(line))) objects++
    } catch {
      // not an object: counts against
    }
  }
  // A first record longer than the head cannot be sampled: nothing says JSONL, so the file is text.
  return sampled > 0 && objects * 2 > sampled
}
