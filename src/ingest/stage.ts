/**
 * The ingest stage: each task reads its share of the input files (planned by size, so tasks get similar
 * amounts of bytes), sniffs and extracts them, and writes one Parquet shard of documents in input order.
 */
import { Effect } from "effect"
import { DOCUMENT_COLUMNS, type Document } from "../core/document.ts"
import { DuckDB } from "../core/duckdb.ts"
import { DatasetError } from "../core/errors.ts"
import { ShardWriter, type ColumnBatch } from "../core/parquet.ts"
import type { PlannedFile, Stage, TaskContext } from "../core/stage.ts"
import { extractFile, type IngestOptions } from "./extract.ts"
import { DEFAULT_MAX_RECORD_BYTES } from "./types.ts"

export const DEFAULT_MIN_CHARS = 1
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024
const BATCH_DOCUMENTS = 1024

export const ingestStage: Stage = {
  name: "ingest",
  runTask: (ctx) =>
    Effect.gen(function* () {
      const db = yield* DuckDB
      const target = ctx.layout.shard(ctx.rank, ctx.world)
      yield* Effect.tryPromise({
        try: () => ingestFiles(db.connection, ctx, target),
        catch: (cause) => new DatasetError({ path: target, operation: "write ingest shard", cause })
      })
    })
}

async function ingestFiles(connection: import("@duckdb/node-api").DuckDBConnection, ctx: TaskContext, target: string): Promise<void> {
  const { input, params } = ctx.plan
  if (input.kind !== "files") throw new Error("ingest plans take files")
  const files: ReadonlyArray<PlannedFile> = input.assignments[ctx.rank] ?? []
  const options: IngestOptions = {
    minChars: (params.min_chars as number | undefined) ?? DEFAULT_MIN_CHARS,
    maxFileBytes: (params.max_file_bytes as number | undefined) ?? DEFAULT_MAX_FILE_BYTES,
    maxRecordBytes: (params.max_record_bytes as number | undefined) ?? DEFAULT_MAX_RECORD_BYTES
  }
  const writer = await ShardWriter.open(connection, DOCUMENT_COLUMNS, ctx.tmpDir)
  let batch: Document[] = []
  const flush = async () => {
    if (batch.length === 0) return
    await writer.append(toColumns(batch), batch.length)
    batch = []
  }
  for (const file of files) {
    if (file.problem) {
      // Planning found it unreadable (broken link, FIFO, non-UTF-8 name): rejected, never opened.
      ctx.counter.recordsIn++
      ctx.reject({ source_path: file.sourcePath, ...file.problem })
      ctx.progress(1, 0)
      continue
    }
    let records = 0
    ctx.counter.bytesIn += file.size
    for await (const item of extractFile(file, options)) {
      records++
      ctx.counter.recordsIn++
      if (item._tag === "Document") {
        ctx.counter.documentsOut++
        ctx.counter.bytesOut += Buffer.byteLength(item.doc.text)
        batch.push(item.doc)
        if (batch.length >= BATCH_DOCUMENTS) await flush()
      } else {
        const record = { source_path: file.sourcePath, reason: item.reason, detail: item.detail, ...(item.location ? { location: item.location } : {}) }
        if (item._tag === "Rejected") ctx.reject(record)
        else ctx.filter(record)
      }
      if (records % 256 === 0) ctx.progress(256, 0)
    }
    ctx.progress(records % 256, file.size)
  }
  await flush()
  await writer.finish(target)
}

function toColumns(docs: ReadonlyArray<Document>): ColumnBatch {
  const batch: ColumnBatch = {}
  for (const [col] of DOCUMENT_COLUMNS) batch[col] = docs.map((d) => d[col])
  return batch
}
