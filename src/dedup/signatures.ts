/**
 * MinHash phase 1, signatures: task r reads the input shards i with i mod W = r (less the exact
 * pass's copies) and writes, per document, its
 * MinHash signature and one LSH key per band, with what later phases need to name it (id, source,
 * length) so that nothing after this phase reads the texts again — and so that released data can be
 * deduplicated against from its stored signatures alone.
 *
 * The per-document work (normalise, shingle, hash) is plain code over typed arrays; DuckDB receives
 * 2048-row chunks through an appender.
 */
import { BLOB, blobValue, DOUBLE, DuckDBDataChunk, VARCHAR, type DuckDBType, type DuckDBValue } from "@duckdb/node-api"
import { Effect, Stream } from "effect"
import { DuckDB, sqlString } from "../core/duckdb.ts"
import { copyToParquet, readBatches } from "../core/parquet.ts"
import type { Stage } from "../core/stage.ts"
import { MinHasher, bandKey53 } from "./minhash/signature.ts"
import { ShingleBuffer, shingleHashesOfText } from "./minhash/shingles.ts"
import { keyedSlicesSql } from "./exact.ts"
import { nearPhase } from "./options.ts"
import { taskSlices } from "../core/slices.ts"

const CHUNK_ROWS = 2048

/** Columns of a signature shard; `b<i>` is band i's key, null for a document without words. */
export const signatureColumns = (bands: number): ReadonlyArray<readonly [string, "DOUBLE" | "VARCHAR" | "BLOB"]> => [
  ["doc", "DOUBLE"],
  ["id", "VARCHAR"],
  ["idkey", "DOUBLE"],
  ["source_path", "VARCHAR"],
  ["source_index", "DOUBLE"],
  ["text_bytes", "DOUBLE"],
  ["sig", "BLOB"],
  ...Array.from({ length: bands }, (_, b) => [`b${b}`, "DOUBLE"] as const)
]

/** A sortable 52-bit prefix of a document id (hex sha256): orders documents the same on every run and task count. */
export const idKey = (id: string): number => parseInt(id.slice(0, 13), 16)

export const signaturesStage: Stage = {
  name: "minhash-signatures",
  runTask: (ctx) =>
    Effect.gen(function* () {
      const db = yield* DuckDB
      const { shards, options, target, fail } = yield* nearPhase(ctx)
      const params = ctx.plan.params as { exactShards?: string[] }
      const mine = taskSlices({ shards, ...(ctx.plan.input.kind === "dataset" && ctx.plan.input.slices ? { slices: ctx.plan.input.slices } : {}) }, ctx.rank, ctx.world)
      const columns = signatureColumns(options.bands)
      const types: DuckDBType[] = columns.map(([, t]) => (t === "DOUBLE" ? DOUBLE : t === "BLOB" ? BLOB : VARCHAR))
      ctx.counter.note("signatures", 0) // named even when this task has no documents
      yield* db.run(`CREATE TABLE sigs (${columns.map(([c, t]) => `"${c}" ${t}`).join(", ")})`)
      const writer = yield* Effect.tryPromise({ try: () => db.connect(), catch: fail("connect") })
      const appender = yield* Effect.tryPromise({ try: () => writer.createAppender("sigs"), catch: fail("open appender") })
      const hasher = new MinHasher({ bands: options.bands, rows: options.rows, ngram: options.ngram, seed: options.seed })
      const width = options.bands * options.rows
      const buffer = new ShingleBuffer()
      const chunk = DuckDBDataChunk.create(types, CHUNK_ROWS)
      yield* Stream.fromAsyncIterable(
        // This task's input shards, without the copies the exact pass dropped. Order does not matter
        // here: the signature shard is sorted by key when written.
        readBatches(
          db.connection,
          mine.length === 0
            ? "SELECT NULL AS id WHERE false"
            : `SELECT d.id, d.text, d.source_path, d.source_index, strlen(d.text) AS text_bytes, d.doc
               FROM (${keyedSlicesSql(shards, mine, "id, text, source_path, source_index", `kind IN (${options.kinds.map(sqlString).join(", ")})`)}) d
               ANTI JOIN (SELECT doc FROM read_parquet([${(params.exactShards ?? []).map(sqlString).join(", ")}])) x USING (doc)`
        ),
        fail("read input shards")
      ).pipe(
        Stream.runForEach(({ batch, rowCount }) =>
          Effect.try({
            try: () => {
              const ids = batch.id as string[]
              const texts = batch.text as string[]
              const keys = batch.doc as bigint[]
              const bytes = batch.text_bytes as bigint[]
              const cols: DuckDBValue[][] = columns.map(() => new Array<DuckDBValue>(rowCount))
              const sig = new Uint32Array(width)
              let textBytes = 0
              for (let i = 0; i < rowCount; i++) {
                const shingles = shingleHashesOfText(texts[i]!, options.ngram, options.normalization, buffer)
                hasher.signature(shingles, sig, 0)
                cols[0]![i] = Number(keys[i])
                cols[1]![i] = ids[i]!
                cols[2]![i] = idKey(ids[i]!)
                cols[3]![i] = batch.source_path![i] as string
                cols[4]![i] = Number(batch.source_index![i])
                cols[5]![i] = Number(bytes[i])
                cols[6]![i] = blobValue(new Uint8Array(sig.buffer.slice(0)))
                // A document without words has no shingles: it cannot be anyone's near duplicate.
                for (let b = 0; b < options.bands; b++) cols[7 + b]![i] = shingles.length === 0 ? null : bandKey53(sig, 0, b, options.rows)
                textBytes += Number(bytes[i])
              }
              for (let start = 0; start < rowCount; start += CHUNK_ROWS) {
                const n = Math.min(CHUNK_ROWS, rowCount - start)
                chunk.reset()
                chunk.rowCount = n
                cols.forEach((values, c) => chunk.setColumnValues(c, values.slice(start, start + n)))
                appender.appendDataChunk(chunk)
              }
              ctx.counter.note("signatures", rowCount)
              ctx.progress(rowCount, textBytes)
            },
            catch: fail("compute signatures")
          })
        )
      )
      yield* Effect.try({ try: () => (appender.flushSync(), appender.closeSync(), writer.closeSync()), catch: fail("flush signatures") })
      const select = columns.map(([c, t]) => (t === "DOUBLE" ? `"${c}"::BIGINT AS "${c}"` : `"${c}"`)).join(", ")
      yield* Effect.tryPromise({ try: () => copyToParquet(db.connection, `SELECT ${select} FROM sigs ORDER BY doc`, target, 8192), catch: fail("write signature shard") })
      yield* db.run("DROP TABLE sigs")
    })
}
