/**
 * I/O for simulation outputs and data files: feeds a text file line by line to a reader (logs of
 * LAMMPS, Quantum ESPRESSO, Gaussian..., CSV/TSV tables) while hashing its bytes, or opens a
 * netCDF/HDF5 file for the slice-by-slice readers, and turns the rendered SimulationDocument into a
 * Document. The readers themselves (src/ingest/simulation/) are pure and keep bounded summaries, so
 * a 1 GB log or trajectory costs the memory of its summary, not of its size.
 */
import { createHash } from "node:crypto"
import { createReadStream } from "node:fs"
import { createInterface } from "node:readline"
import { sha256File } from "../core/files.ts"
import { extractScientificBinary, type ScientificBinaryType } from "./simulation/binary.ts"
import type { SimulationDocument } from "./simulation/types.ts"
import { describeFailure, errorMessage, makeDocument, rejected, type Extracted, type IngestOptions, type InputFile } from "./types.ts"

/** Something that consumes a text file's lines and renders a document: a log reader or a table reader. */
export interface LineConsumer {
  feed(line: string): void
  finish(): SimulationDocument
}

/** The document of a rendered simulation output or data file; `kind` is always "simulation". */
export function simulationDocument(file: InputFile, options: IngestOptions, sha: string, sim: SimulationDocument): Extracted {
  return makeDocument(file, options, {
    rawText: sim.text,
    kind: "simulation",
    format: sim.format,
    sourceSha256: sha,
    sourceIndex: 0,
    title: sim.title,
    metadata: { program: sim.program, ...sim.metadata }
  })
}

/**
 * Stream `file` line by line into `consumer` (readline handles \n and \r\n) while hashing its bytes.
 * Invalid UTF-8 is decoded with replacement characters: a log with one stray byte still has its
 * science in it; the replacement count is recorded.
 */
export async function extractLines(file: InputFile, options: IngestOptions, consumer: LineConsumer, what: string): Promise<Extracted> {
  const hash = createHash("sha256")
  let replaced = 0
  try {
    const stream = createReadStream(file.absPath)
    stream.on("data", (chunk) => hash.update(chunk))
    const lines = createInterface({ input: stream, crlfDelay: Infinity })
    let first = true
    for await (const raw of lines) {
      let line = raw
      // A byte-order mark is not part of the first line's content.
      if (first && line.charCodeAt(0) === 0xfeff) line = line.slice(1)
      first = false
      if (line.includes("\uFFFD")) replaced++
      consumer.feed(line)
    }
  } catch (e) {
    return rejected("read-error", errorMessage(e))
  }
  let sim: SimulationDocument
  try {
    sim = consumer.finish()
  } catch (e) {
    return rejected("extract-error", describeFailure(e, `${what} rendering failed`))
  }
  const withNote = replaced > 0 ? { ...sim, metadata: { ...sim.metadata, lines_with_invalid_utf8: replaced } } : sim
  return simulationDocument(file, options, hash.digest("hex"), withNote)
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
