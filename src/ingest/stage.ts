/**
 * The ingest stage: each task reads its share of the input files (planned by size, so tasks get similar
 * amounts of bytes), sniffs and extracts them, and writes one Parquet shard of documents in input order.
 *
 * The task is an Effect Stream: files -> extracted records (plain async code per record, see router.ts)
 * -> rejects and filtered records routed to the task's ledgers -> documents grouped in batches -> the
 * shard writer. Per-record work stays in plain functions; Effect carries the batches and the errors.
 */
import * as fs from "node:fs"
import { Effect, Stream } from "effect"
import { DOCUMENT_COLUMNS, type Document } from "../core/document.ts"
import { DuckDB } from "../core/duckdb.ts"
import { DatasetError } from "../core/errors.ts"
import { ShardWriter, type ColumnBatch } from "../core/parquet.ts"
import { readPoisoned, type ExcludedInput, type PlannedFile, type PoisonedInput, type Stage, type TaskContext, type WatchedInput } from "../core/stage.ts"
import { extractFile, type Extracted, type IngestOptions } from "./extract.ts"
import type { CodeSettings, PdfSettings, WatchdogSettings } from "./settings.ts"
import { pdfOptionsOf } from "./pdf/options.ts"
import { DEFAULT_CODE_OPTIONS, type CodeOptions } from "./code/options.ts"
import { readErrorReason } from "./inputs.ts"
import { DEFAULT_MAX_RECORD_BYTES, rejected } from "./types.ts"

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
      const watchdog = watchdogOf(params.watchdog as typeof WatchdogSettings.Type | undefined)
      const poisoned = readPoisoned(ctx.layout, ctx.rank)
      const target = ctx.layout.shard(ctx.rank, ctx.world)
      const fail = (operation: string) => (cause: unknown) => new DatasetError({ path: target, operation, cause })
      const writer = yield* Effect.tryPromise({ try: () => ShardWriter.open(db.connection, DOCUMENT_COLUMNS, ctx.tmpDir), catch: fail("open shard writer") })

      yield* Stream.fromIterable(files).pipe(
        Stream.flatMap((file) => documentsOf(file, options, ctx, watchdog, poisoned)),
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
function documentsOf(
  file: PlannedFile,
  options: IngestOptions,
  ctx: TaskContext,
  watchdog: Watchdog,
  poisoned: ReadonlyMap<string, PoisonedInput>
): Stream.Stream<Document, DatasetError> {
  const key = watchKey(file)
  const stopped = poisoned.get(key)
  // Inputs never opened are still accounted for: one record each, rejected or filtered with the reason.
  const unopened = (ledger: "reject" | "filter", record: ExcludedInput, bytes: number) =>
    Stream.fromEffect(
      Effect.sync(() => {
        ctx.counter.recordsIn++
        ctx[ledger](record)
        ctx.progress(1, bytes)
      })
    ).pipe(Stream.drain)
  // A previous attempt of this task was stopped on this file (time or memory): rejected, never opened again.
  if (stopped !== undefined) {
    const location = file.range ? { location: `bytes ${file.range.start}-${file.range.end}` } : {}
    return unopened("reject", { source_path: file.sourcePath, reason: stopped.reason, detail: stopped.detail, ...location }, file.size)
  }
  // Planning found it unreadable (broken link, FIFO, non-UTF-8 name) or left it out on purpose (hidden, credentials).
  if (file.problem) return unopened("reject", { source_path: file.sourcePath, ...file.problem }, 0)
  if (file.filter) return unopened("filter", { source_path: file.sourcePath, ...file.filter }, 0)
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
  const input = { key, budgetMs: watchdog.budgetMs(file.size), maxRssBytes: watchdog.maxRssBytes }
  return Stream.fromAsyncIterable(watched(input, ctx, unchangedWhileRead(file, extractFile(file, options))), (cause) => new DatasetError({ path: file.absPath, operation: "extract", cause })).pipe(
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

interface Watchdog {
  budgetMs(size: number): number
  readonly maxRssBytes: number | null
}

export const DEFAULT_WATCHDOG_BASE_SECONDS = 300
export const DEFAULT_WATCHDOG_SECONDS_PER_MB = 10

function watchdogOf(settings: typeof WatchdogSettings.Type | undefined): Watchdog {
  const base = settings?.base_seconds ?? DEFAULT_WATCHDOG_BASE_SECONDS
  const perMb = settings?.seconds_per_mb ?? DEFAULT_WATCHDOG_SECONDS_PER_MB
  return {
    budgetMs: (size) => Math.ceil(1000 * (base + (perMb * size) / 1048576)),
    maxRssBytes: settings?.max_rss_mb === undefined ? null : settings.max_rss_mb * 1048576
  }
}

/** An input's name for the watchdog: unique in a task (parts of a split file differ by where they start). */
const watchKey = (file: PlannedFile): string => (file.range ? `${file.sourcePath}@${file.range.start}` : file.sourcePath)

/** The items of one input, with the executor's watchdog timing it from the first read to the last item. */
async function* watched(input: WatchedInput, ctx: TaskContext, items: AsyncIterable<Extracted>): AsyncGenerator<Extracted> {
  ctx.watch(input)
  try {
    yield* items
  } finally {
    ctx.watch(null)
  }
}

/** How much document text of one file is held back until the file is known not to have changed while it was read. */
const HOLD_TEXT_CHARS = 16 * 1024 * 1024

/**
 * The items of one file, guarded against a file that other people's jobs modify while we read it (a
 * shared file system): the file must be readable and have the size and modification time it had when
 * it was planned, before and after it is read. Otherwise it is rejected (`permission-denied`,
 * `changed-during-read`) and what was read of it is dropped. Items are held back until the check after
 * the read (bounded: past HOLD_TEXT_CHARS of text, e.g. a large JSONL file, they are passed on, and a
 * change found at the end rejects the rest of the file after the records already kept, as a read error
 * half-way does).
 */
export async function* unchangedWhileRead(file: PlannedFile, items: AsyncIterable<Extracted>): AsyncGenerator<Extracted> {
  const before = inputState(file, true)
  if (before !== null) {
    yield rejected(before.reason, before.detail)
    return
  }
  let held: Extracted[] | null = []
  let heldChars = 0
  let passed = 0
  for await (const item of items) {
    if (held === null) {
      passed++
      yield item
      continue
    }
    held.push(item)
    if (item._tag === "Document") heldChars += item.doc.text.length
    if (heldChars > HOLD_TEXT_CHARS) {
      passed = held.length
      yield* held
      held = null
    }
  }
  const after = inputState(file, false)
  if (after === null) {
    if (held !== null) yield* held
  } else if (held !== null) {
    yield rejected(after.reason, after.detail)
  } else {
    yield rejected(after.reason, `${after.detail}; the ${passed} record(s) read before were kept`, `after record ${passed}`)
  }
}

/** Null when `file` can be read and still has its planned size and time, else why not (opening it when `open`). */
function inputState(file: PlannedFile, open: boolean): { reason: string; detail: string } | null {
  let st: fs.Stats
  try {
    if (open) {
      const fd = fs.openSync(file.absPath, "r")
      try {
        st = fs.fstatSync(fd)
      } finally {
        fs.closeSync(fd)
      }
    } else st = fs.statSync(file.absPath)
  } catch (e) {
    const reason = readErrorReason(e)
    return { reason, detail: reason === "permission-denied" ? `cannot open: ${(e as Error).message}` : `${open ? "cannot open" : "gone after reading"}: ${(e as Error).message}` }
  }
  const size = file.range?.fileSize ?? file.size
  const mtimeMs = file.range?.fileMtimeMs ?? file.mtimeMs
  if (st.size !== size) return { reason: "changed-during-read", detail: `${st.size} bytes, ${size} when planned: the file changed ${open ? "since it was planned" : "while it was read"}` }
  if (mtimeMs !== undefined && st.mtimeMs !== mtimeMs) {
    return { reason: "changed-during-read", detail: `modified at ${new Date(st.mtimeMs).toISOString()}, after it was planned: the file changed ${open ? "since it was planned" : "while it was read"}` }
  }
  return null
}

function toColumns(docs: ReadonlyArray<Document>): ColumnBatch {
  const batch: ColumnBatch = {}
  for (const [col] of DOCUMENT_COLUMNS) batch[col] = docs.map((d) => d[col])
  return batch
}
