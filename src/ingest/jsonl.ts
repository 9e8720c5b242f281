/**
 * JSON Lines: one document per non-blank line. Files can be many GB, so everything here streams: the
 * file hash is a separate streaming pass (every document carries it, so it must be known before the
 * first one is yielded), and lines come from a chunked splitter that holds one line at a time.
 */
import { createHash } from "node:crypto"
import { createReadStream } from "node:fs"
import { isUtf8 } from "node:buffer"
import { findInvalidUtf8, hasUtf8Bom } from "./sniff.ts"
import { cleanTitle, makeDocument, rejected, type Extracted, type IngestOptions, type InputFile } from "./types.ts"

const CHUNK_BYTES = 1 << 20

export interface RawLine {
  /** The line's bytes without the newline (and without a trailing CR or a leading BOM). */
  readonly bytes: Buffer
  /** 1-based line number. */
  readonly lineNo: number
  /** Byte offset of the line's first byte in the file. */
  readonly offset: number
}

/**
 * Split a file into lines on LF without decoding it: decoding happens per line, so one line's invalid
 * UTF-8 rejects only that line. `maxLineBytes` bounds memory against a file with no newlines at all.
 */
export async function* readLines(absPath: string, maxLineBytes = Number.MAX_SAFE_INTEGER): AsyncGenerator<RawLine> {
  const stream = createReadStream(absPath, { highWaterMark: CHUNK_BYTES })
  let pending: Buffer[] = []
  let pendingBytes = 0
  let lineNo = 0
  let lineStart = 0 // file offset of the current line's first byte
  let fileOffset = 0 // file offset of the current chunk's first byte
  const finish = (tail: Buffer): RawLine => {
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
    return { bytes, lineNo, offset }
  }
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let start = 0
      for (;;) {
        const nl = chunk.indexOf(0x0a, start)
        if (nl < 0) break
        yield finish(chunk.subarray(start, nl))
        start = nl + 1
        lineStart = fileOffset + start
      }
      if (start < chunk.length) {
        const rest = chunk.subarray(start)
        pendingBytes += rest.length
        if (pendingBytes > maxLineBytes) throw new Error(`line ${lineNo + 1} is longer than ${maxLineBytes} bytes`)
        // Copy: the stream may reuse its buffers, and a pending piece outlives this chunk.
        pending.push(Buffer.from(rest))
      }
      fileOffset += chunk.length
    }
    if (pendingBytes > 0) yield finish(Buffer.alloc(0))
  } finally {
    stream.destroy()
  }
}

/** sha256 of a file's bytes, streaming. */
export async function hashFile(absPath: string): Promise<string> {
  const hash = createHash("sha256")
  const stream = createReadStream(absPath, { highWaterMark: CHUNK_BYTES })
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk)
  } finally {
    stream.destroy()
  }
  return hash.digest("hex")
}

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

/** True when the file's first non-blank line is a JSON object: the content test that tells JSONL from text. */
export async function firstLineIsJsonObject(absPath: string, maxLineBytes: number): Promise<boolean> {
  for await (const line of readLines(absPath, maxLineBytes)) {
    if (isBlank(line.bytes)) continue
    if (!isUtf8(line.bytes)) return false
    try {
      return isPlainObject(JSON.parse(utf8.decode(line.bytes)))
    } catch {
      return false
    }
  }
  return false
}

const kindOf = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v)

/** One record's result. Exported for tests and for callers that already hold a line. */
export function extractJsonlLine(
  line: RawLine,
  file: InputFile,
  options: IngestOptions,
  sourceSha256: string
): Extracted {
  const location = `line ${line.lineNo}`
  const bad = findInvalidUtf8(line.bytes)
  if (bad >= 0) {
    return rejected("invalid-utf8", `invalid UTF-8 at byte offset ${line.offset + bad} (byte ${bad} of the line)`, location)
  }
  let value: unknown
  try {
    value = JSON.parse(utf8.decode(line.bytes))
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

/** All records of a JSONL file, one item per non-blank line, in file order. */
export async function* extractJsonl(file: InputFile, options: IngestOptions): AsyncGenerator<Extracted> {
  const sha = await hashFile(file.absPath)
  for await (const line of readLines(file.absPath, options.maxFileBytes)) {
    if (isBlank(line.bytes)) continue
    yield extractJsonlLine(line, file, options, sha)
  }
}
