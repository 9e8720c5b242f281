/**
 * The dedup stage's last phase: task r reads the input shards i with i mod W = r and writes, in their
 * order, the documents that neither the exact pass nor a near-duplicate cluster removed; beside them,
 * one removal record per document it took out (cluster, kept document, method, similarity). Its stats
 * account for the whole stage: every document of its shards is kept or counted as a duplicate.
 */
import * as fs from "node:fs"
import { Effect } from "effect"
import { DOCUMENT_COLUMNS } from "../core/document.ts"
import { DuckDB, sqlString } from "../core/duckdb.ts"
import { DatasetError } from "../core/errors.ts"
import { stageLayout } from "../core/layout.ts"
import { copyToParquet, rowGroupRowsFor } from "../core/parquet.ts"
import type { Stage } from "../core/stage.ts"
import { keyedSlicesSql } from "./exact.ts"
import { sliceSql, taskSlices, type RowSlice } from "../core/slices.ts"
import { KEY_RANK, nearOptionsOf, phaseDirs } from "./options.ts"

/** Columns of a removal record, for exact copies and near duplicates alike. */
export const REMOVAL_COLUMNS =
  "cluster_id, id, source_path, source_index, kept_id, kept_source_path, kept_source_index, cluster_size, method, similarity"

export const filterStage: Stage = {
  name: "dedup",
  runTask: (ctx) =>
    Effect.gen(function* () {
      const db = yield* DuckDB
      const { input } = ctx.plan
      if (input.kind !== "dataset") return yield* Effect.die(new Error("dedup plans take a dataset"))
      const dirs = phaseDirs(ctx.plan.dir)
      const exactShards = Array.from({ length: ctx.world }, (_, r) => stageLayout(dirs.exact).shard(r, ctx.world))
      const clustersFile = stageLayout(dirs.clusters).shard(0, 1)
      // Whether near duplicates were looked for is the plan's to say, not a file's presence.
      const near = nearOptionsOf(ctx.plan) !== null
      if (near && !fs.existsSync(clustersFile)) return yield* Effect.die(new Error(`dedup: ${clustersFile} is missing although its phase is done`))
      const mine = taskSlices(input, ctx.rank, ctx.world)
      const target = ctx.layout.shard(ctx.rank, ctx.world)
      const fail = (operation: string) => (cause: unknown) => new DatasetError({ path: target, operation, cause })
      // Keys of this task's rows: row j of shard i is i·2^32 + j.
      const keyRange = (s: RowSlice) => [s.shard * KEY_RANK + s.start, s.shard * KEY_RANK + Math.min(s.end, KEY_RANK)] as const
      const inMine = (column: string) => (mine.length === 0 ? "false" : mine.map((s) => `(${column} >= ${keyRange(s)[0]} AND ${column} < ${keyRange(s)[1]})`).join(" OR "))
      const nearRows = near ? `read_parquet(${sqlString(clustersFile)})` : "(SELECT NULL::BIGINT AS doc, NULL AS kept_id, NULL AS kept_source_path, NULL::BIGINT AS kept_source_index, NULL::BIGINT AS cluster_size, NULL::DOUBLE AS similarity, NULL AS id, NULL AS source_path, NULL::BIGINT AS source_index WHERE false)"
      // An exact copy whose kept twin was then removed as a near duplicate points at that cluster's
      // kept document instead, so no record names a document that is not in the output.
      yield* db.run(
        `CREATE TABLE removed AS
           SELECT e.doc, coalesce(n.kept_id, e.id) AS cluster_id, e.id, e.source_path, e.source_index,
                  coalesce(n.kept_id, e.id) AS kept_id, coalesce(n.kept_source_path, e.kept_source_path) AS kept_source_path,
                  coalesce(n.kept_source_index, e.kept_source_index) AS kept_source_index,
                  coalesce(n.cluster_size + e.cluster_size - 1, e.cluster_size) AS cluster_size, 'exact' AS method, coalesce(n.similarity, 1.0)::DOUBLE AS similarity
           FROM read_parquet([${exactShards.map(sqlString).join(", ")}]) e LEFT JOIN ${nearRows} n ON n.doc = e.kept_doc
           WHERE ${inMine("e.doc")}
           UNION ALL
           SELECT doc, kept_id AS cluster_id, id, source_path, source_index, kept_id, kept_source_path, kept_source_index,
                  cluster_size, 'minhash' AS method, similarity
           FROM ${nearRows} WHERE ${inMine("doc")}`
      )
      const documents = mine.length === 0 ? null : keyedSlicesSql(input.shards, mine, DOCUMENT_COLUMNS.map(([c]) => `"${c}"`).join(", "))
      const [totals] = yield* db.rows(
        documents === null
          ? "SELECT 0 AS records, 0 AS bytes, 0 AS average"
          : `SELECT count(*) AS records, coalesce(sum(strlen(text)), 0) AS bytes, coalesce(avg(strlen(text)), 0) AS average FROM (${documents})`
      )
      const cols = DOCUMENT_COLUMNS.map(([c]) => `"${c}"`).join(", ")
      yield* Effect.tryPromise({
        try: async () => {
          // Shard by shard, rows in file order: scans keep insertion order (preserve_insertion_order
          // is on and the task runs one thread), so no sort has to hold the texts.
          const kept = mine.map((s) =>
            sliceSql(input.shards, s, cols, `file_row_number NOT IN (SELECT doc - ${s.shard * KEY_RANK} FROM removed WHERE doc >= ${keyRange(s)[0]} AND doc < ${keyRange(s)[1]})`)
          )
          await copyToParquet(
            db.connection,
            kept.length === 0 ? `SELECT ${DOCUMENT_COLUMNS.map(([c, t]) => `NULL::${t} AS "${c}"`).join(", ")} WHERE false` : kept.join(" UNION ALL "),
            target,
            rowGroupRowsFor(Number(totals!.average))
          )
          await copyToParquet(db.connection, `SELECT ${REMOVAL_COLUMNS} FROM removed ORDER BY method, cluster_id, source_path, source_index, doc`, ctx.layout.removed(ctx.rank))
        },
        catch: fail("write dedup shard")
      })
      const [counts] = yield* db.rows(
        `SELECT count(*) FILTER (WHERE method = 'exact') AS exact, count(*) FILTER (WHERE method = 'minhash') AS near,
                (SELECT count(*) FROM read_parquet(${sqlString(target)})) AS kept,
                (SELECT coalesce(sum(strlen(text)), 0) FROM read_parquet(${sqlString(target)})) AS bytes_out
         FROM removed`
      )
      ctx.counter.recordsIn += Number(totals!.records)
      ctx.counter.bytesIn += Number(totals!.bytes)
      if (Number(counts!.exact) > 0) ctx.counter.count("duplicate", "exact", Number(counts!.exact))
      if (Number(counts!.near) > 0) ctx.counter.count("duplicate", "minhash", Number(counts!.near))
      ctx.counter.documentsOut += Number(counts!.kept)
      ctx.counter.bytesOut += Number(counts!.bytes_out)
      ctx.progress(Number(totals!.records), Number(totals!.bytes))
      yield* db.run("DROP TABLE removed")
    })
}
