/**
 * Exact deduplication: documents with the same id (the sha256 of their normalised text) are copies.
 * Each task owns the ids whose first 32 bits fall in its residue class, so copies always meet in the
 * same task whatever shard they came from, and tasks need no coordination. The copy kept is the first
 * by (source_path, source_index): a stated order, not an accident of scheduling.
 */
import { Effect } from "effect"
import { DOCUMENT_COLUMNS } from "../core/document.ts"
import { DuckDB } from "../core/duckdb.ts"
import { DatasetError } from "../core/errors.ts"
import { copyToParquet, readParquetSql, rowGroupRowsFor } from "../core/parquet.ts"
import type { Stage } from "../core/stage.ts"

/** SQL: the task (0..world-1) that owns a document id. Stable across machines and DuckDB versions. */
export const idPartitionSql = (world: number): string => `(('0x' || substr(id, 1, 8))::UBIGINT % ${world})`

export const dedupStage: Stage = {
  name: "dedup",
  runTask: (ctx) =>
    Effect.gen(function* () {
      const db = yield* DuckDB
      const { input } = ctx.plan
      if (input.kind !== "dataset") return yield* Effect.die(new Error("dedup plans take a dataset"))
      const target = ctx.layout.shard(ctx.rank, ctx.world)
      const cols = DOCUMENT_COLUMNS.map(([c]) => `"${c}"`).join(", ")
      const fail = (operation: string) => (cause: unknown) => new DatasetError({ path: ctx.layout.dir, operation, cause })
      // Rank only the keys: a window over whole rows (text included) must hold them all in memory.
      yield* db.run(
        `CREATE TABLE ranked AS
           SELECT id, source_path, source_index, strlen(text) AS text_bytes,
                  row_number() OVER w AS copy_rank,
                  first_value(source_path) OVER w AS kept_source_path,
                  first_value(source_index) OVER w AS kept_source_index,
                  count(*) OVER (PARTITION BY id) AS cluster_size
           FROM ${readParquetSql(input.shards)}
           WHERE ${idPartitionSql(ctx.world)} = ${ctx.rank}
           WINDOW w AS (PARTITION BY id ORDER BY source_path, source_index ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)`
      )
      const [{ average } = { average: 0 }] = yield* db.rows(`SELECT coalesce(avg(text_bytes), 0) AS average FROM ranked WHERE copy_rank = 1`)
      yield* Effect.tryPromise({
        try: async () => {
          // The kept rows, read again from the shards and sorted by id (DuckDB's sort spills to disk).
          await copyToParquet(
            db.connection,
            `SELECT ${cols} FROM ${readParquetSql(input.shards)} d
             SEMI JOIN (SELECT id, source_path, source_index FROM ranked WHERE copy_rank = 1) k USING (id, source_path, source_index)
             WHERE ${idPartitionSql(ctx.world)} = ${ctx.rank}
             ORDER BY id, source_path, source_index`,
            target,
            rowGroupRowsFor(Number(average))
          )
          // Curators see what was removed and which copy stands for it: the cluster is the shared id.
          await copyToParquet(
            db.connection,
            `SELECT id AS cluster_id, source_path, source_index, kept_source_path, kept_source_index,
                    cluster_size, 'exact' AS method, 1.0 AS similarity
             FROM ranked WHERE copy_rank > 1 ORDER BY id, source_path, source_index`,
            ctx.layout.removed(ctx.rank)
          )
        },
        catch: fail("write dedup shard")
      })
      const [counts] = yield* db.rows(
        `SELECT count(*) AS records, count(*) FILTER (WHERE copy_rank = 1) AS kept,
                coalesce(sum(text_bytes), 0) AS bytes_in,
                coalesce(sum(text_bytes) FILTER (WHERE copy_rank = 1), 0) AS bytes_out
         FROM ranked`
      )
      const records = Number(counts!.records)
      const kept = Number(counts!.kept)
      ctx.counter.recordsIn += records
      ctx.counter.bytesIn += Number(counts!.bytes_in)
      ctx.counter.documentsOut += kept
      ctx.counter.bytesOut += Number(counts!.bytes_out)
      if (records > kept) ctx.counter.count("duplicate", "exact", records - kept)
      ctx.progress(records, Number(counts!.bytes_in))
      yield* db.run("DROP TABLE ranked")
    })
}
