/**
 * I/O for simulation outputs and data files: feeds a text file line by line to a reader (logs of
 * LAMMPS, Quantum ESPRESSO, Gaussian..., CSV/TSV tables) while hashing its bytes, or opens a
 * netCDF/HDF5 file for the slice-by-slice readers, and turns the rendered SimulationDocument into a
 * Document. The readers themselves (src/ingest/simulation/) are pure and keep bounded summaries, so
 * a 1 GB log or trajectory costs the memory of its summary, not of its size.
 */
import { createHash } from "node:crypto"
import { sha256File } from "../core/files.ts"
import { sha256Hex } from "../core/text.ts"
import { extractScientificBinary, type ScientificBinaryType } from "./simulation/binary.ts"
import { InputRejected, type SimulationDocument } from "./simulation/types.ts"
import { readLines } from "./jsonl.ts"
import { describeFailure, errorMessage, makeDocument, recordLimit, rejected, type Extracted, type IngestOptions, type InputFile, type Member } from "./types.ts"

/** Something that consumes a text file's lines and renders a document: a log reader or a table reader. */
export interface LineConsumer {
  feed(line: string): void
  finish(): SimulationDocument
}

export type { Member } from "./types.ts"

/** The document of a rendered simulation output or data file; `kind` is always "simulation". */
export function simulationDocument(file: InputFile, options: IngestOptions, sha: string, sim: SimulationDocument, member?: Member): Extracted {
  return makeDocument(file, options, {
    rawText: sim.text,
    kind: "simulation",
    format: sim.format,
    sourceSha256: sha,
    sourceIndex: member?.index ?? 0,
    title: sim.title ?? member?.path ?? null,
    metadata: { program: sim.program, ...sim.metadata, ...(member !== undefined ? { archive_member: member.path } : {}) },
    ...(member !== undefined ? { location: `member ${member.path}` } : {})
  })
}

/** Finish a reader and make its document, with the line counts that were noted on the way. */
function finishLines(file: InputFile, options: IngestOptions, consumer: LineConsumer, what: string, sha: string, notes: Record<string, number>, member?: Member): Extracted {
  let sim: SimulationDocument
  try {
    sim = consumer.finish()
  } catch (e) {
    if (e instanceof InputRejected) return rejected(e.reason, e.detail, member && `member ${member.path}`)
    return rejected("extract-error", describeFailure(e, `${what} rendering failed`), member && `member ${member.path}`)
  }
  const withNote = Object.keys(notes).length > 0 ? { ...sim, metadata: { ...sim.metadata, ...notes } } : sim
  return simulationDocument(file, options, sha, withNote, member)
}

/**
 * An archive member already in memory (bounded by the archive's member size limit), fed line by line
 * like a file on disk; lines past the record limit are skipped and counted the same way.
 */
export function extractMemberLines(bytes: Uint8Array, file: InputFile, options: IngestOptions, consumer: LineConsumer, what: string, member: Member): Extracted {
  const limit = recordLimit(options)
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")
  let replaced = 0
  let tooLong = 0
  let start = 0
  while (start < text.length) {
    let end = text.indexOf("\n", start)
    if (end === -1) end = text.length
    const line = text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end)
    start = end + 1
    if (line.length > limit) {
      tooLong++
      continue
    }
    if (line.includes("\uFFFD")) replaced++
    consumer.feed(line)
  }
  const notes = { ...(replaced > 0 ? { lines_with_invalid_utf8: replaced } : {}), ...(tooLong > 0 ? { lines_too_long: tooLong } : {}) }
  return finishLines(file, options, consumer, what, sha256Hex(bytes), notes, member)
}

/**
 * Stream `file` line by line into `consumer` while hashing its bytes, with the same size-limited line
 * reader as JSONL: a line longer than the record limit is skipped without being buffered (and counted
 * in metadata.lines_too_long), so one pathological line cannot exhaust memory. Invalid UTF-8 is
 * decoded with replacement characters: a log with one stray byte still has its science in it; the
 * count is recorded.
 */
export async function extractLines(file: InputFile, options: IngestOptions, consumer: LineConsumer, what: string, from?: LineSource): Promise<Extracted> {
  const hash = from === undefined ? createHash("sha256") : null
  let replaced = 0
  let tooLong = 0
  try {
    for await (const line of readLines(from?.chunks ?? file.absPath, recordLimit(options), undefined, hash === null ? undefined : (chunk) => hash.update(chunk))) {
      if (line._tag === "TooLong") {
        tooLong++
        continue
      }
      const text = line.bytes.toString("utf8")
      if (text.includes("\uFFFD")) replaced++
      consumer.feed(text)
    }
  } catch (e) {
    return rejected("read-error", errorMessage(e), from?.member && `member ${from.member.path}`)
  }
  const notes = { ...(replaced > 0 ? { lines_with_invalid_utf8: replaced } : {}), ...(tooLong > 0 ? { lines_too_long: tooLong } : {}) }
  return finishLines(file, options, consumer, what, hash?.digest("hex") ?? from!.sha256, notes, from?.member)
}

/** Lines that are not a plain file on disk: a decompressed stream (hashed by the caller, placed as a member). */
export interface LineSource {
  readonly chunks: AsyncIterable<Uint8Array>
  readonly sha256: string
  readonly member?: Member
}

/** A netCDF or HDF5 file (the type comes from the sniffer), read by variable slices. */
export async function extractBinaryData(file: InputFile, options: IngestOptions, type: ScientificBinaryType): Promise<Extracted> {
  let sim: SimulationDocument
  try {
    sim = await extractScientificBinary(file.absPath, type)
  } catch (e) {
    const message = errorMessage(e)
    if (/not supported/i.test(message)) return rejected("unsupported-format", `${type}: ${message}`)
    return rejected("corrupt-data", `${type}: ${message}`)
  }
  let sha: string
  try {
    sha = sha256File(file.absPath)
  } catch (e) {
    return rejected("read-error", errorMessage(e))
  }
  return simulationDocument(file, options, sha, sim)
}
