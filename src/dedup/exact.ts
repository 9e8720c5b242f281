/**
 * The dedup stage's first phase, exact deduplication (in `<stage>/_exact/`): documents with the same
 * id (the sha256 of their normalised text) are copies. Each task owns the ids whose first 32 bits fall
 * in its residue class, so copies always meet in the same task whatever shard they came from, and tasks
 * need no coordination. The copy kept is the first by (source_path, source_index): a stated order, not
 * an accident of scheduling.
 *
 * A cheap first pass: it reads ids and positions only, never the texts, and writes just the copies to
 * drop, each with its input shard and row (`doc`). The later phases skip those rows as they read.
 */
import { Effect } from "effect"
import { DuckDB, sqlString } from "../core/duckdb.ts"
import { DatasetError } from "../core/errors.ts"
import { copyToParquet } from "../core/parquet.ts"
import { sliceSql, type RowSlice } from "../core/slices.ts"
import type { Stage } from "../core/stage.ts"
import { KEY_RANK } from "./options.ts"

/** SQL: the task (0..world-1) that owns a document id. Stable across machines and DuckDB versions. */
export const idPartitionSql = (world: number): string => `(('0x' || substr(id, 1, 8))::UBIGINT % ${world})`

/**
 * SQL over input shards with each row's key: its shard's position in `shards` and its row in that
 * shard (`doc`), a number that does not depend on how many tasks read them.
 */
export function keyedShardsSql(shards: ReadonlyArray<string>, indices: ReadonlyArray<number>, columns: string, where = "true"): string {
  return keyedSlicesSql(shards, indices.map((i) => ({ shard: i, start: 0, end: Number.MAX_SAFE_INTEGER })), columns, where)
}

/** The same over slices of rows (a task's share, see core/slices.ts): the keys do not depend on the slicing. */
export function keyedSlicesSql(shards: ReadonlyArray<string>, slices: ReadonlyArray<RowSlice>, columns: string, where = "true"): string {
  return slices.map((s) => sliceSql(shards, s, `${columns}, ${s.shard}::BIGINT * ${KEY_RANK} + file_row_number AS doc`, where)).join(" UNION ALL ")
}

export const exactStage: Stage = {
  name: "dedup-exact",
  runTask: (ctx) =>
    Effect.gen(function* () {
      const db = yield* DuckDB
      const { input } = ctx.plan
      if (input.kind !== "dataset") return yield* Effect.die(new Error("dedup plans take a dataset"))
      const target = ctx.layout.shard(ctx.rank, ctx.world)
      const all = keyedShardsSql(input.shards, input.shards.map((_, i) => i), "id, source_path, source_index")
      yield* db.run(
        `CREATE TABLE ranked AS
           SELECT id, doc, source_path, source_index,
                  row_number() OVER w AS copy_rank,
                  first_value(source_path) OVER w AS kept_source_path,
                  first_value(source_index) OVER w AS kept_source_index,
                  first_value(doc) OVER w AS kept_doc,
                  count(*) OVER (PARTITION BY id) AS cluster_size
           FROM (${all})
           WHERE ${idPartitionSql(ctx.world)} = ${ctx.rank}
           WINDOW w AS (PARTITION BY id ORDER BY source_path, source_index, doc ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)`
      )
      yield* Effect.tryPromise({
        try: () =>
          copyToParquet(
            db.connection,
            `SELECT doc, id, source_path, source_index, kept_doc, kept_source_path, kept_source_index, cluster_size
             FROM ranked WHERE copy_rank > 1 ORDER BY doc`,
            target
          ),
        catch: (cause) => new DatasetError({ path: target, operation: "write exact copies", cause })
      })
      // What this phase did, for its progress and summary lines (it has no documents in or out of its own).
      const [counts] = yield* db.rows("SELECT count(*)::INTEGER AS hashed, count(*) FILTER (WHERE copy_rank > 1)::INTEGER AS copies FROM ranked")
      ctx.counter.note("documents-hashed", Number(counts?.hashed ?? 0))
      ctx.counter.note("exact-copies", Number(counts?.copies ?? 0))
      yield* db.run("DROP TABLE ranked")
      ctx.progress(Number(counts?.hashed ?? 0), 0)
    })
}
