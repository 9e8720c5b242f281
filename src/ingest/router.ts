/**
 * The router: one entry point (`readFile`) that turns an input file into items, by asking every reader
 * in READERS how sure it is (a pure `detect` over a Probe) and reading with the best. Archive members and
 * decompressed streams come back here through the ReadContext, so they are routed exactly like files
 * on disk, under one Budget per input file (depth, unpacked bytes, expansion ratio).
 *
 * Scale of scores (ties by the readers' priority), which reproduces the order files were routed in
 * before the registry:
 *   1      magic numbers: PDF, HDF5, netCDF, archives, compression layers
 *   0.99   JSONL by extension (a bad first record is rejected on its own)
 *   0.98   license and credential files by name (filtered, never read)
 *   0.96   code whose extension or shebang is certain
 *   0.957  prose by name (.md, .rst, .tex): a Markdown page quoting a LAMMPS run stays text
 *   0.95+  simulation program output by content (0.95 + 0.005 × the program detector's score)
 *   0.94   config formats by name (XML, JSON, YAML, Makefile): they yield to program output (vasprun.xml)
 *   0.93   JSONL by content
 *   0.85   code by content (.h, .m, #include); 0.84 prose by content
 *   0.8    Markdown structure
 *   0.66–0.7 delimited tables; 0.5 unknown program output; 0.1 any other text
 *
 * Contract (as for every reader): one item per input record (a whole file, a JSONL line, an archive
 * member), in order; bad input never throws, it becomes a Rejected item with a stable reason and a
 * detail naming the cause. Plain async code on purpose: this runs once per file or record, where
 * per-item Effects would cost more than the work itself.
 */
import { CorruptStream } from "./compression.ts"
import { fileChunks, hashFile, readFileHead } from "./files.ts"
import { Probe, PROBE_BYTES } from "./probe.ts"
import { Budget, locationOf, type Choice, type Detection, type ReadContext, type Reader, type Target } from "./reader.ts"
import { jsonlReader } from "./readers/jsonl.ts"
import { READERS } from "./readers/index.ts"
import { describeFailure, errorMessage, rejected, type Extracted, type IngestOptions, type InputFile } from "./types.ts"

export { READERS }
export type { Extracted, IngestOptions, InputFile } from "./types.ts"

/** Highest ceiling first, then highest priority: the order the router asks readers in. */
const byCeiling = (a: Reader, b: Reader): number => b.ceiling - a.ceiling || b.priority - a.priority
const SORTED: ReadonlyArray<Reader> = [...READERS].sort(byCeiling)

const beats = (a: Choice, b: Choice): boolean => a.detection.score > b.detection.score || (a.detection.score === b.detection.score && a.reader.priority > b.reader.priority)

/** Every reader's detection for a probe, best first (for `scicurate formats`, diagnostics and tests). */
export function scoreReaders(probe: Probe, readers: ReadonlyArray<Reader> = READERS): Choice[] {
  const out: Choice[] = []
  for (const reader of readers) {
    const detection = reader.detect(probe)
    if (detection !== null && detection.score > 0) out.push({ reader, detection })
  }
  return out.sort((a, b) => (beats(a, b) ? -1 : beats(b, a) ? 1 : 0))
}

/**
 * The best reader for a probe, or null. Pure. Readers are asked in order of their ceiling and asking
 * stops once no remaining reader could beat the best score: a `.py` file never runs the log detectors.
 */
export function chooseReader(probe: Probe, readers: ReadonlyArray<Reader> = SORTED): Choice | null {
  let best: Choice | null = null
  for (const reader of readers) {
    if (best !== null && reader.ceiling < best.detection.score) break
    const detection = reader.detect(probe)
    if (detection === null || detection.score <= 0) continue
    const choice = { reader, detection }
    if (best === null || beats(choice, best)) best = choice
  }
  return best
}

/** What a document records about how it was read: metadata.reader. */
const readerMetadata = (choice: Choice, target: Target): Record<string, unknown> => ({
  id: choice.reader.id,
  score: Math.round(choice.detection.score * 1000) / 1000,
  reason: choice.detection.reason,
  ...(target.via !== undefined && target.via.length > 0 ? { via: target.via } : {})
})

const binaryDetail = (type: string, name: string): string => {
  const ext = name.slice(name.lastIndexOf(".")).toLowerCase()
  // netCDF-4 files are HDF5 containers: name both so the reject is not mistaken for a mislabelled file.
  const label = type === "HDF5" && ext === ".nc" ? "netCDF-4 (HDF5) file" : `${type} file`
  return `${label}: no extractor for binary formats yet`
}

/** Reason codes that a crossed budget explains better (the reader saw only a broken stream). */
const BUDGET_SYMPTOMS: ReadonlySet<string> = new Set(["read-error", "corrupt-archive", "extract-error"])

function makeContext(options: IngestOptions): ReadContext {
  const ctx: ReadContext = {
    options,
    choose: (probe) => chooseReader(probe),
    async *readWith(choice, target) {
      const file: InputFile = { ...target.file, provenance: { reader: readerMetadata(choice, target) } }
      const budget = target.budget
      try {
        for await (const item of choice.reader.read({ ...target, file }, ctx)) {
          if (item._tag === "Rejected" && budget.exceeded !== null && BUDGET_SYMPTOMS.has(item.reason)) {
            yield rejected(budget.exceeded.reason, budget.exceeded.detail, item.location)
          } else yield item
        }
      } catch (e) {
        // Readers turn bad input into rejects; this is the last resort for the contract.
        const exceeded = budget.exceeded
        yield exceeded !== null
          ? rejected(exceeded.reason, exceeded.detail, locationOf(target))
          : e instanceof CorruptStream
            ? rejected("corrupt-archive", e.message, locationOf(target))
            : rejected("extract-error", describeFailure(e, `the ${choice.reader.id} reader failed`), locationOf(target))
      }
    },
    async *route(target) {
      let choice: Choice | null
      try {
        choice = ctx.choose(target.probe)
      } catch (e) {
        // A detector that throws on odd input is a bug; the file is still accounted for.
        yield rejected("extract-error", describeFailure(e, "detecting the format failed"), locationOf(target))
        return
      }
      if (choice !== null) {
        yield* ctx.readWith(choice, target)
        return
      }
      const sniffed = target.probe.sniffed
      const detail = sniffed._tag === "Binary" ? binaryDetail(sniffed.type, target.probe.name) : "no reader recognised the content"
      yield rejected("binary-file", detail, locationOf(target))
    }
  }
  return ctx
}

/** A part of a large JSONL file: planning already knows the format and cut it at line boundaries. */
const PLANNED_JSONL: Detection = { score: 1, reason: "part of a JSONL file split at line boundaries when planning" }

/**
 * The items of one input file (the registry's entry point): exactly one item per input record (a whole
 * file, one JSONL line or one archive member), in a deterministic order. Never throws for bad input.
 * The only place ingest opens an input file for routing (see files.ts for the reads themselves).
 */
export async function* readFile(file: InputFile, options: IngestOptions): AsyncGenerator<Extracted> {
  const ctx = makeContext(options)
  const budget = new Budget(options.containers)
  const onDisk = (probe: Probe): Target => ({
    file,
    probe,
    path: file.absPath,
    bytes: null,
    chunks: () => fileChunks(file.absPath),
    sha256: () => hashFile(file.absPath),
    depth: 0,
    budget
  })
  if (file.range) {
    // The same detection as the whole file gets (planning splits by the JSONL extension), so that a
    // document's metadata does not depend on how planning cut the file.
    const probe = new Probe(file.absPath, new Uint8Array(0), file.size)
    yield* ctx.readWith({ reader: jsonlReader, detection: jsonlReader.detect(probe) ?? PLANNED_JSONL }, onDisk(probe))
    return
  }
  if (file.size === 0) {
    yield rejected("empty-file", "the file has 0 bytes")
    return
  }
  let head: Uint8Array
  try {
    head = await readFileHead(file.absPath, PROBE_BYTES)
  } catch (e) {
    yield rejected("read-error", errorMessage(e))
    return
  }
  // The size came from an earlier stat; trust the bytes if the file was emptied since.
  if (head.length === 0) {
    yield rejected("empty-file", "the file has 0 bytes")
    return
  }
  yield* ctx.route(onDisk(new Probe(file.absPath, head, file.size)))
}
