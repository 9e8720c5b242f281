/**
 * The ingest entry point: sniff a file's content and hand it to the matching extractor.
 *
 * Contract: one item per input record (a whole file, or one JSONL line), in file order, and bad input
 * never throws: it becomes a Rejected item with a stable reason code. Plain async code on purpose:
 * this runs once per file or line, where per-item Effects would cost more than the work itself.
 */
import { open, readFile } from "node:fs/promises"
import path from "node:path"
import { extractJsonl, firstLineIsJsonObject } from "./jsonl.ts"
import { extractPdf } from "./pdf.ts"
import { hasUtf8Bom, SNIFF_BYTES, sniff } from "./sniff.ts"
import { extractTextFile } from "./text.ts"
import { errorMessage, rejected, type Extracted, type IngestOptions, type InputFile } from "./types.ts"

export type { Extracted, IngestOptions, InputFile } from "./types.ts"

/** The first `n` bytes of a file (fewer if it is shorter). */
async function readHead(absPath: string, n: number): Promise<Buffer> {
  const handle = await open(absPath, "r")
  try {
    const buf = Buffer.alloc(n)
    const { bytesRead } = await handle.read(buf, 0, n, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

/** Index of the first byte that is not ASCII whitespace, or -1. */
const firstNonSpace = (bytes: Uint8Array, from: number): number => {
  for (let i = from; i < bytes.length; i++) {
    const b = bytes[i]!
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0b && b !== 0x0c) return i
  }
  return -1
}

const binaryDetail = (type: string, file: InputFile): string => {
  const ext = path.extname(file.absPath).toLowerCase()
  // netCDF-4 files are HDF5 containers: name both so the reject is not mistaken for a mislabelled file.
  const label = type === "HDF5" && ext === ".nc" ? "netCDF-4 (HDF5) file" : `${type} file`
  return `${label}: no extractor for binary formats yet`
}

/** Yields exactly one item per input record (a whole file, or one JSONL line), in a deterministic order. Never throws for bad input: bad input becomes Rejected. */
export async function* extractFile(file: InputFile, options: IngestOptions): AsyncGenerator<Extracted> {
  if (file.size > options.maxFileBytes) {
    yield rejected("file-too-large", `${file.size} bytes, limit is ${options.maxFileBytes}`)
    return
  }
  if (file.size === 0) {
    yield rejected("empty-file", "the file has 0 bytes")
    return
  }
  let head: Buffer
  try {
    head = await readHead(file.absPath, SNIFF_BYTES)
  } catch (e) {
    yield rejected("read-error", errorMessage(e))
    return
  }
  // The size came from an earlier stat; trust the bytes if the file was emptied since.
  if (head.length === 0) {
    yield rejected("empty-file", "the file has 0 bytes")
    return
  }
  const sniffed = sniff(head)
  if (sniffed._tag === "Binary") {
    yield rejected("binary-file", binaryDetail(sniffed.type, file))
    return
  }
  if (sniffed._tag === "Pdf") {
    let bytes: Buffer
    try {
      bytes = await readFile(file.absPath)
    } catch (e) {
      yield rejected("read-error", errorMessage(e))
      return
    }
    yield await extractPdf(bytes, file, options)
    return
  }
  // Text family. JSONL is recognised by content, whatever the extension: first non-space character `{`
  // and a first line that parses as a JSON object (a pretty-printed JSON file fails the second test).
  const start = firstNonSpace(head, hasUtf8Bom(head) ? 3 : 0)
  let jsonl = false
  if (start >= 0 && head[start] === 0x7b) {
    try {
      jsonl = await firstLineIsJsonObject(file.absPath, options.maxFileBytes)
    } catch (e) {
      yield rejected("read-error", errorMessage(e))
      return
    }
  }
  if (jsonl) {
    let lastLocation: string | undefined
    try {
      for await (const item of extractJsonl(file, options)) {
        if (item._tag !== "Document") lastLocation = item.location
        else lastLocation = `line ${item.doc.source_index}`
        yield item
      }
    } catch (e) {
      // An I/O error mid-file: report it once, after the records already yielded.
      const after = lastLocation === undefined ? "before the first record" : `after ${lastLocation}`
      yield rejected("read-error", `${errorMessage(e)} (${after})`)
    }
    return
  }
  let bytes: Buffer
  try {
    bytes = await readFile(file.absPath)
  } catch (e) {
    yield rejected("read-error", errorMessage(e))
    return
  }
  yield extractTextFile(bytes, file, options)
}
