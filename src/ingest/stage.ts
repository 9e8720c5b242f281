/**
 * The ingest stage: each task reads its share of the input files (planned by size, so tasks get similar
 * amounts of bytes), sniffs and extracts them, and writes one Parquet shard of documents in input order.
 *
 * The task is an Effect Stream: files -> extracted records (plain async code per record, see router.ts)
 * -> rejects and filtered records routed to the task's ledgers -> documents grouped in batches -> the
 * shard writer. Per-record work stays in plain functions; Effect carries the batches and the errors.
 */
import { Effect, Stream } from "effect"
import { DOCUMENT_COLUMNS, type Document } from "../core/document.ts"
import { DuckDB } from "../core/duckdb.ts"
import { DatasetError } from "../core/errors.ts"
import { ShardWriter, type ColumnBatch } from "../core/parquet.ts"
import type { PlannedFile, Stage, TaskContext } from "../core/stage.ts"
import { extractFile, type Extracted, type IngestOptions } from "./extract.ts"
import type { CodeSettings, PdfSettings } from "./settings.ts"
import { pdfOptionsOf } from "./pdf/options.ts"
import { DEFAULT_CODE_OPTIONS, type CodeOptions } from "./code/options.ts"
import { DEFAULT_MAX_RECORD_BYTES } from "./types.ts"

export const DEFAULT_MIN_CHARS = 1
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024
/** A batch goes to the writer at this many documents or this much text, whichever comes first. */
const BATCH_DOCUMENTS = 1024
const BATCH_TEXT_CHARS = 16 * 1024 * 1024

interface Batch {
  readonly docs: Document[]
  chars: number
}

/** Group documents into batches bounded by count and by text size, so a run of huge documents stays small. */
const batchDocuments = Stream.mapAccum(
  (): Batch => ({ docs: [], chars: 0 }),
  (batch: Batch, doc: Document): readonly [Batch, ReadonlyArray<Document[]>] => {
    batch.docs.push(doc)
    batch.chars += doc.text.length
    return batch.docs.length >= BATCH_DOCUMENTS || batch.chars >= BATCH_TEXT_CHARS ? [{ docs: [], chars: 0 }, [batch.docs]] : [batch, []]
  },
  { onHalt: (batch) => (batch.docs.length > 0 ? [batch.docs] : []) }
)

export const ingestStage: Stage = {
  name: "ingest",
  runTask: (ctx) =>
    Effect.gen(function* () {
      const db = yield* DuckDB
      const { input, params } = ctx.plan
      if (input.kind !== "files") return yield* Effect.die(new Error("ingest plans take files"))
      const files: ReadonlyArray<PlannedFile> = input.assignments[ctx.rank] ?? []
      const options: IngestOptions = {
        minChars: (params.min_chars as number | undefined) ?? DEFAULT_MIN_CHARS,
        maxFileBytes: (params.max_file_bytes as number | undefined) ?? DEFAULT_MAX_FILE_BYTES,
        maxRecordBytes: (params.max_record_bytes as number | undefined) ?? DEFAULT_MAX_RECORD_BYTES,
        pdf: pdfOptionsOf(params.pdf as typeof PdfSettings.Type | undefined),
        code: codeOptionsOf(params.code as typeof CodeSettings.Type | undefined)
      }
      const target = ctx.layout.shard(ctx.rank, ctx.world)
      const fail = (operation: string) => (cause: unknown) => new DatasetError({ path: target, operation, cause })
      const writer = yield* Effect.tryPromise({ try: () => ShardWriter.open(db.connection, DOCUMENT_COLUMNS, ctx.tmpDir), catch: fail("open shard writer") })

      yield* Stream.fromIterable(files).pipe(
        Stream.flatMap((file) => documentsOf(file, options, ctx)),
        batchDocuments,
        Stream.runForEach((batch) => Effect.tryPromise({ try: () => writer.append(toColumns(batch), batch.length), catch: fail("append to shard") }))
      )
      yield* Effect.tryPromise({ try: () => writer.finish(target), catch: fail("write ingest shard") })
    })
}

/** The options of an ingest stage's `code:` block (snake_case, all optional) with defaults filled in. */
function codeOptionsOf(settings: typeof CodeSettings.Type | undefined): CodeOptions {
  if (settings === undefined) return DEFAULT_CODE_OPTIONS
  return {
    allowedLicenses: settings.allowed_licenses ?? null,
    keepUnknownLicense: settings.keep_unknown_license ?? false,
    filters: {
      ...(settings.max_file_bytes !== undefined ? { maxBytes: settings.max_file_bytes } : {}),
      ...(settings.max_line_length !== undefined ? { maxLineLength: settings.max_line_length } : {}),
      ...(settings.max_avg_line_length !== undefined ? { maxAvgLineLength: settings.max_avg_line_length } : {}),
      ...(settings.min_alnum_fraction !== undefined ? { minAlnumFraction: settings.min_alnum_fraction } : {})
    }
  }
}

/** The documents of one input file; its rejected and filtered records go to the task's ledgers on the way. */
function documentsOf(file: PlannedFile, options: IngestOptions, ctx: TaskContext): Stream.Stream<Document, DatasetError> {
  if (file.problem) {
    // Planning found it unreadable (broken link, FIFO, non-UTF-8 name): rejected, never opened.
    return Stream.fromEffect(
      Effect.sync(() => {
        ctx.counter.recordsIn++
        ctx.reject({ source_path: file.sourcePath, ...file.problem! })
        ctx.progress(1, 0)
      })
    ).pipe(Stream.drain)
  }
  let records = 0
  const route = (item: Extracted): Document | null => {
    records++
    ctx.counter.recordsIn++
    if (records % 256 === 0) ctx.progress(256, 0)
    if (item._tag === "Document") {
      for (const [code, n] of Object.entries(item.notes ?? {})) ctx.counter.note(code, n)
      ctx.counter.documentsOut++
      ctx.counter.bytesOut += Buffer.byteLength(item.doc.text)
      return item.doc
    }
    const record = { source_path: file.sourcePath, reason: item.reason, detail: item.detail, ...(item.location ? { location: item.location } : {}) }
    if (item._tag === "Rejected") ctx.reject(record)
    else ctx.filter(record)
    return null
  }
  return Stream.fromAsyncIterable(extractFile(file, options), (cause) => new DatasetError({ path: file.absPath, operation: "extract", cause })).pipe(
    Stream.map(route),
    Stream.filter((doc): doc is Document => doc !== null),
    Stream.onEnd(
      Effect.sync(() => {
        ctx.counter.bytesIn += file.size
        ctx.progress(records % 256, file.size)
      })
    )
  )
}

function toColumns(docs: ReadonlyArray<Document>): ColumnBatch {
  const batch: ColumnBatch = {}
  for (const [col] of DOCUMENT_COLUMNS) batch[col] = docs.map((d) => d[col])
  return batch
}
