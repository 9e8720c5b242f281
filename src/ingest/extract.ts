/**
 * The ingest entry point: sniff a file's content and hand it to the matching extractor.
 *
 * Contract: one item per input record (a whole file, one JSONL line, or one archive member), in file order; bad input
 * never throws: it becomes a Rejected item with a stable reason code and a detail naming the cause.
 * Plain async code on purpose: this runs once per file or line, where per-item Effects would cost
 * more than the work itself.
 *
 * Memory: text and PDF files are read whole, so `maxFileBytes` applies to them; JSONL is streamed
 * line by line, so only `maxRecordBytes` (per line) applies and a JSONL file may be any size.
 */
import { open } from "node:fs/promises"
import path from "node:path"
import { extractJsonl, hasJsonlExtension, looksLikeJsonl } from "./jsonl.ts"
import { extractBinaryData, extractLines, formatOf, lineReaderFor } from "./outputs.ts"
import { extractPdf } from "./pdf/extract.ts"
import type { ScientificBinaryType } from "./simulation/binary.ts"
import { hasUtf8Bom, SNIFF_BYTES, sniff } from "./sniff.ts"
import { detectArchive } from "./code/archive.ts"
import { routeByContent, routeByName } from "./route.ts"
import { extractArchive, extractCodeFile } from "./source.ts"
import { extractTextFile } from "./text.ts"
import { describeFailure, errorMessage, filtered, recordLimit, rejected, type Extracted, type IngestOptions, type InputFile } from "./types.ts"

export type { Extracted, IngestOptions, InputFile } from "./types.ts"

/** How much of a text file the content detectors (logs, tables) look at. */
const TEXT_HEAD_BYTES = 64 * 1024
/**
 * Zip files that are data containers, not archives of software: NumPy .npz arrays, office documents,
 * Java/Android packages. They stay binary-file rejects instead of yielding a record per array.
 */
const DATA_CONTAINER = /\.(npz|xlsx|xlsm|docx|pptx|odt|ods|odp|jar|war|apk|whl|egg|nupkg)$/i

const SCIENTIFIC_BINARIES: ReadonlySet<string> = new Set(["HDF5", "netCDF classic", "netCDF 64-bit offset", "netCDF CDF-5"])
const isScientificBinary = (type: string): type is ScientificBinaryType => SCIENTIFIC_BINARIES.has(type)

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

/**
 * A whole file for the extractors that need it in memory, or a Rejected item. The size is checked on
 * the open handle, not only the caller's earlier stat, so a file that grew since planning cannot
 * slip past the limit.
 */
async function readWhole(file: InputFile, maxFileBytes: number): Promise<Buffer | Extracted> {
  const tooLarge = (size: number) => rejected("file-too-large", `${size} bytes, limit for text and PDF files is ${maxFileBytes}`)
  if (file.size > maxFileBytes) return tooLarge(file.size)
  try {
    const handle = await open(file.absPath, "r")
    try {
      const { size } = await handle.stat()
      if (size > maxFileBytes) return tooLarge(size)
      return await handle.readFile()
    } finally {
      await handle.close()
    }
  } catch (e) {
    return rejected("read-error", errorMessage(e))
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

/** The records of a JSONL file (or of one range of it), with I/O errors and record-less files reported. */
async function* jsonlRecords(file: InputFile, options: IngestOptions): AsyncGenerator<Extracted> {
  let lastLocation: string | undefined
  try {
    for await (const item of extractJsonl(file, options)) {
      if (item._tag !== "Document") lastLocation = item.location
      else lastLocation = `line ${item.doc.source_index}`
      yield item
    }
  } catch (e) {
    // Records never throw (see extractJsonlLine), so this is an I/O error mid-file: report it
    // once, after the records already yielded, since the rest of the file cannot be read.
    const after = lastLocation === undefined ? "before the first record" : `after ${lastLocation}`
    yield rejected("read-error", `${errorMessage(e)} (${after})`)
    return
  }
  // A `.jsonl` of blank lines has no records, hence no items: say so rather than let it vanish.
  // (A range of a larger file with only blank lines simply holds no records.)
  if (lastLocation === undefined && !file.range) yield rejected("empty-file", "no records: every line is blank")
}

/** Yields exactly one item per input record (a whole file, one JSONL line or one archive member), in a deterministic order. Never throws for bad input: bad input becomes Rejected. */
export async function* extractFile(file: InputFile, options: IngestOptions): AsyncGenerator<Extracted> {
  // A part of a large JSONL file: planning already knows the format and cut it at line boundaries.
  if (file.range) {
    yield* jsonlRecords(file, options)
    return
  }
  if (file.size === 0) {
    yield rejected("empty-file", "the file has 0 bytes")
    return
  }
  // No size check yet: the limit depends on the format, and a JSONL file may be any size.
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
    if (isScientificBinary(sniffed.type)) yield await extractBinaryData(file, options, sniffed.type)
    // The archive reader's own detection decides (tar has no magic number the sniffer knows).
    else if (detectArchive(head) !== null && !DATA_CONTAINER.test(file.absPath)) yield* extractArchive(file, options)
    else yield rejected("binary-file", binaryDetail(sniffed.type, file))
    return
  }
  if (sniffed._tag === "Pdf") {
    const bytes = await readWhole(file, options.maxFileBytes)
    if (!Buffer.isBuffer(bytes)) {
      yield bytes
      return
    }
    let item: Extracted
    try {
      item = await extractPdf(bytes, file, options)
    } catch (e) {
      // extractPdf catches what pdfjs throws while reading; this is the last resort for the contract.
      item = rejected("extract-error", describeFailure(e, "PDF extraction failed"))
    }
    yield item
    return
  }
  // Text family. A file is JSONL when its extension says so, whatever its first line holds (a bad
  // first record must be rejected on its own, not turn the file into one document of raw JSON).
  if (hasJsonlExtension(file)) {
    yield* jsonlRecords(file, options)
    return
  }
  let textHead: string
  try {
    textHead = (await readHead(file.absPath, TEXT_HEAD_BYTES)).toString("utf8")
  } catch (e) {
    yield rejected("read-error", errorMessage(e))
    return
  }
  // Names decide first (license and credential files, code by extension or shebang); see route.ts.
  const named = routeByName(file.absPath, textHead)
  if (named !== null && named.kind !== "code" && named.kind !== "log") {
    yield named.kind === "license-file"
      ? filtered("license-file", "a license text: it gives the license of the files beside it")
      : filtered("credentials-file", named.kind === "credentials-file" ? named.detail : "")
    return
  }
  if (named === null) {
    // Whatever the extension, JSONL when the first non-space character is `{` and most of the first
    // lines parse as JSON objects. (A `.json` file is code by name and does not get here.)
    const start = firstNonSpace(head, hasUtf8Bom(head) ? 3 : 0)
    if (start >= 0 && head[start] === 0x7b) {
      let jsonl: boolean
      try {
        jsonl = await looksLikeJsonl(file.absPath, recordLimit(options))
      } catch (e) {
        yield rejected("read-error", errorMessage(e))
        return
      }
      if (jsonl) {
        yield* jsonlRecords(file, options)
        return
      }
    }
  }
  const route = named ?? routeByContent(file.absPath, textHead)
  if (route.kind === "code") {
    const bytes = await readWhole(file, options.maxFileBytes)
    if (!Buffer.isBuffer(bytes)) {
      yield bytes
      return
    }
    try {
      yield extractCodeFile(bytes, file, options, route.language)
    } catch (e) {
      yield rejected("extract-error", describeFailure(e, "source code extraction failed"))
    }
    return
  }
  // Simulation outputs and tables are streamed line by line (no size limit: the readers keep bounded
  // summaries); the output of an unknown program is summarised like a log, not kept verbatim.
  if (route.kind === "log" || route.kind === "table" || route.kind === "generic-log") {
    yield await extractLines(file, options, lineReaderFor(route, file.absPath), formatOf(route))
    return
  }
  const bytes = await readWhole(file, options.maxFileBytes)
  if (!Buffer.isBuffer(bytes)) {
    yield bytes
    return
  }
  let item: Extracted
  try {
    item = extractTextFile(bytes, file, options)
  } catch (e) {
    // E.g. a file past V8's string length limit (~512 MiB of text) when maxFileBytes is set above it.
    item = rejected("extract-error", describeFailure(e, "text extraction failed"))
  }
  yield item
}
