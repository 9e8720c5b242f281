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
import { keyedShardsSql } from "./exact.ts"
import { KEY_RANK, phaseDirs } from "./options.ts"

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
      const near = fs.existsSync(clustersFile)
      const mine = input.shards.flatMap((_, i) => (i % ctx.world === ctx.rank ? [i] : []))
      const target = ctx.layout.shard(ctx.rank, ctx.world)
      const fail = (operation: string) => (cause: unknown) => new DatasetError({ path: target, operation, cause })
      // Keys of this task's shards: shard i's rows are i·2^32 + row.
      const inMine = (column: string) => (mine.length === 0 ? "false" : mine.map((i) => `(${column} >= ${i * KEY_RANK} AND ${column} < ${(i + 1) * KEY_RANK})`).join(" OR "))
      yield* db.run(
        `CREATE TABLE removed AS
           SELECT doc, id AS cluster_id, id, source_path, source_index, id AS kept_id, kept_source_path, kept_source_index,
                  cluster_size, 'exact' AS method, 1.0::DOUBLE AS similarity
           FROM read_parquet([${exactShards.map(sqlString).join(", ")}]) WHERE ${inMine("doc")}
           ${near
             ? `UNION ALL
                SELECT doc, kept_id AS cluster_id, id, source_path, source_index, kept_id, kept_source_path, kept_source_index,
                       cluster_size, 'minhash' AS method, similarity
                FROM read_parquet(${sqlString(clustersFile)}) WHERE ${inMine("doc")}`
             : ""}`
      )
      const documents = mine.length === 0 ? null : keyedShardsSql(input.shards, mine, DOCUMENT_COLUMNS.map(([c]) => `"${c}"`).join(", "))
      const [totals] = yield* db.rows(
        documents === null
          ? "SELECT 0 AS records, 0 AS bytes, 0 AS average"
          : `SELECT count(*) AS records, coalesce(sum(strlen(text)), 0) AS bytes, coalesce(avg(strlen(text)), 0) AS average FROM (${documents})`
      )
      const cols = DOCUMENT_COLUMNS.map(([c]) => `d."${c}"`).join(", ")
      yield* Effect.tryPromise({
        try: async () => {
          await copyToParquet(
            db.connection,
            documents === null
              ? `SELECT ${cols} FROM (SELECT ${DOCUMENT_COLUMNS.map(([c, t]) => `NULL::${t} AS "${c}"`).join(", ")}) d WHERE false`
              : `SELECT ${cols} FROM (${documents}) d ANTI JOIN removed r USING (doc) ORDER BY d.doc`,
            target,
            rowGroupRowsFor(Number(totals!.average))
          )
          await copyToParquet(db.connection, `SELECT ${REMOVAL_COLUMNS} FROM removed ORDER BY method, cluster_id, source_path, source_index`, ctx.layout.removed(ctx.rank))
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
