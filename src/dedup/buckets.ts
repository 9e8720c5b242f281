/**
 * MinHash phase 2, buckets: task b of W takes the band keys with `key mod W = b` from every signature
 * shard (and from the reference signatures of released data), groups them by (band, key) in DuckDB —
 * which sorts and spills out of core, so a task's memory does not grow with the corpus — and turns each
 * bucket of two or more documents into candidate pairs. With verification on, a pair is kept only when
 * the documents' signatures agree on at least `threshold` of their hashes (estimated Jaccard).
 *
 * Pairs in a bucket: every pair when the bucket is small (the usual case: a document and its copies);
 * for a large bucket, each member paired with the bucket's first member by id, which connects the
 * bucket at linear cost. Members are ordered by id, never by task-dependent keys, so the pairs — and
 * the clusters — are the same whatever the number of tasks.
 */
import { DOUBLE, DuckDBDataChunk, type DuckDBValue } from "@duckdb/node-api"
import { Effect, Stream } from "effect"
import { DuckDB, sqlString } from "../core/duckdb.ts"
import { DatasetError } from "../core/errors.ts"
import { copyToParquet, readBatches } from "../core/parquet.ts"
import type { Stage } from "../core/stage.ts"
import { estimatedJaccard } from "./minhash/signature.ts"
import { KEY_RANK, nearOptionsOf, REFERENCE_RANK_BASE, signatureShardsIn } from "./options.ts"

/** Buckets up to this size yield all their pairs; larger ones a star around their first member. */
export const ALL_PAIRS_MAX = 20
const CHUNK_ROWS = 2048

/**
 * SQL over every signature row a dedup plan compares: its own shards, then each reference shard with
 * its documents re-keyed into the reference range (2^20 + the file's number, then the row in key
 * order), so keys never collide with this run's or each other's.
 */
export function allSignaturesSql(shards: ReadonlyArray<string>, against: ReadonlyArray<string>, columns: string): string {
  const parts = [`SELECT ${columns} FROM read_parquet([${shards.map(sqlString).join(", ")}])`]
  const references = against.flatMap((dir) => signatureShardsIn(dir))
  references.forEach((file, i) => {
    // A reference file holds documents of several shards: renumber its rows (in key order) instead.
    const rekeyed = columns.replace(/\bdoc\b/, `((${REFERENCE_RANK_BASE + i})::BIGINT * ${KEY_RANK} + row_number() OVER (ORDER BY doc) - 1) AS doc`)
    parts.push(`SELECT ${rekeyed} FROM read_parquet(${sqlString(file)})`)
  })
  return parts.join(" UNION ALL ")
}

export const isReference = (doc: number): boolean => doc >= REFERENCE_RANK_BASE * KEY_RANK

export const bucketsStage: Stage = {
  name: "minhash-buckets",
  runTask: (ctx) =>
    Effect.gen(function* () {
      const db = yield* DuckDB
      const { input } = ctx.plan
      if (input.kind !== "dataset") return yield* Effect.die(new Error("minhash-buckets plans take a dataset"))
      const options = nearOptionsOf(ctx.plan)
      if (options === null) return yield* Effect.die(new Error("minhash-buckets planned with near: false"))
      const target = ctx.layout.shard(ctx.rank, ctx.world)
      const fail = (operation: string) => (cause: unknown) => new DatasetError({ path: target, operation, cause })
      const bandCols = Array.from({ length: options.bands }, (_, b) => `b${b}`)
      const source = allSignaturesSql(input.shards, options.against, `doc, idkey, ${bandCols.join(", ")}`)
      // This task's share of the band keys (keys are hashes, so `mod W` splits them evenly).
      yield* db.run(
        `CREATE TABLE groups AS
           SELECT list(doc ORDER BY idkey, doc) AS docs
           FROM (UNPIVOT (${source}) ON ${bandCols.join(", ")} INTO NAME band VALUE key)
           WHERE key % ${ctx.world} = ${ctx.rank}
           GROUP BY band, key HAVING count(*) > 1`
      )
      // Signatures of the documents that are in some bucket, for verification.
      const signatures = new Map<number, Uint32Array>()
      if (options.verify === "estimated") {
        yield* Stream.fromAsyncIterable(
          readBatches(
            db.connection,
            `SELECT doc, sig FROM (${allSignaturesSql(input.shards, options.against, "doc, sig")}) s
             SEMI JOIN (SELECT DISTINCT unnest(docs) AS doc FROM groups) c USING (doc)`
          ),
          fail("read candidate signatures")
        ).pipe(
          Stream.runForEach(({ batch, rowCount }) =>
            Effect.sync(() => {
              for (let i = 0; i < rowCount; i++) {
                const blob = batch.sig![i] as unknown as { bytes: Uint8Array }
                const bytes = blob.bytes
                signatures.set(Number(batch.doc![i]), new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)))
              }
            })
          )
        )
      }
      const width = options.bands * options.rows
      const similarity = (a: number, b: number): number | null => {
        if (options.verify === "none") return null
        return estimatedJaccard(signatures.get(a)!, 0, signatures.get(b)!, 0, width)
      }
      yield* db.run("CREATE TABLE pairs (a DOUBLE, b DOUBLE, similarity DOUBLE)")
      const writer = yield* Effect.tryPromise({ try: () => db.connect(), catch: fail("connect") })
      const appender = yield* Effect.tryPromise({ try: () => writer.createAppender("pairs"), catch: fail("open appender") })
      const chunk = DuckDBDataChunk.create([DOUBLE, DOUBLE, DOUBLE], CHUNK_ROWS)
      let as: DuckDBValue[] = []
      let bs: DuckDBValue[] = []
      let ss: DuckDBValue[] = []
      const flush = () => {
        if (as.length === 0) return
        chunk.reset()
        chunk.rowCount = as.length
        chunk.setColumnValues(0, as)
        chunk.setColumnValues(1, bs)
        chunk.setColumnValues(2, ss)
        appender.appendDataChunk(chunk)
        as = []
        bs = []
        ss = []
      }
      const emit = (x: number, y: number) => {
        if (isReference(x) && isReference(y)) return // released data against itself is not this run's business
        const s = similarity(x, y)
        if (s !== null && s < options.threshold) return
        as.push(Math.min(x, y))
        bs.push(Math.max(x, y))
        ss.push(s)
        if (as.length === CHUNK_ROWS) flush()
      }
      yield* Stream.fromAsyncIterable(readBatches(db.connection, "SELECT docs FROM groups"), fail("read buckets")).pipe(
        Stream.runForEach(({ batch, rowCount }) =>
          Effect.try({
            try: () => {
              for (let i = 0; i < rowCount; i++) {
                const list = (batch.docs![i] as unknown as { items: bigint[] }).items.map(Number)
                if (list.length <= ALL_PAIRS_MAX) {
                  for (let x = 0; x < list.length; x++) for (let y = x + 1; y < list.length; y++) emit(list[x]!, list[y]!)
                } else {
                  for (let y = 1; y < list.length; y++) emit(list[0]!, list[y]!)
                }
              }
              ctx.progress(0, 0)
            },
            catch: fail("pair buckets")
          })
        )
      )
      yield* Effect.try({ try: () => (flush(), appender.flushSync(), appender.closeSync(), writer.closeSync()), catch: fail("flush pairs") })
      yield* Effect.tryPromise({
        try: () => copyToParquet(db.connection, "SELECT a::BIGINT AS a, b::BIGINT AS b, similarity FROM pairs ORDER BY a, b", target),
        catch: fail("write pairs")
      })
      yield* db.run("DROP TABLE pairs")
      yield* db.run("DROP TABLE groups")
    })
}
