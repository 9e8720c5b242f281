/**
 * The bundle stage (one task): all documents into one bundle folder,
 *
 *   <output>/<name>/data/train-XXXXX-of-YYYYY.parquet   shards of about `shard_bytes` of text each
 *   <output>/<name>/manifest.json                        checksums, counts, accounting
 *
 * Rows are ordered by id (a content hash, so effectively a seeded shuffle that is the same on every run and
 * does not depend on how many tasks earlier stages had). The folder is built under a temporary name and
 * renamed into place, so a bundle appears only complete.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { TOKENIZED_COLUMNS } from "../core/document.ts"
import { DuckDB, type DuckDBService } from "../core/duckdb.ts"
import { DatasetError } from "../core/errors.ts"
import { canonicalJson, readJson, stageLayout, writeFileAtomic } from "../core/layout.ts"
import { copyToParquet, readParquetSql, rowGroupRowsFor } from "../core/parquet.ts"
import { bundleDirOf, type Stage, type StagePlan } from "../core/stage.ts"
import { sumStats, type TaskStats } from "../core/stats.ts"
import { sha256File } from "../core/files.ts"
import { creationTime, SCICURATE_VERSION } from "../core/version.ts"
import type { Manifest, ShardEntry } from "./manifest.ts"

export const DEFAULT_SHARD_BYTES = 256 * 1024 * 1024
const pad = (n: number): string => String(n).padStart(5, "0")

export const bundleStage: Stage = {
  name: "bundle",
  runTask: (ctx) =>
    Effect.gen(function* () {
      const db = yield* DuckDB
      const { plan } = ctx
      if (plan.input.kind !== "dataset") return yield* Effect.die(new Error("bundle plans take a dataset"))
      const name = bundleName(plan)
      const finalDir = bundleDirOf(plan)
      const buildDir = path.join(plan.pipeline.output, `.${name}.${process.pid}.tmp`)
      removeStaleBuilds(plan.pipeline.output, name)
      const shardBytes = (plan.params.shard_bytes as number | undefined) ?? DEFAULT_SHARD_BYTES
      const cols = TOKENIZED_COLUMNS.map(([c]) => `"${c}"`).join(", ")

      // Place each document in a shard by the running sum of text bytes in id order; dense_rank closes the
      // gaps a document larger than a shard would leave.
      yield* db.run(
        `CREATE TEMP TABLE placed AS
         WITH ordered AS (
           SELECT ${cols}, strlen(text) AS text_bytes,
                  sum(strlen(text)) OVER (ORDER BY id, source_path, source_index ROWS UNBOUNDED PRECEDING) - strlen(text) AS start_byte
           FROM ${readParquetSql(plan.input.shards)})
         SELECT *, dense_rank() OVER (ORDER BY floor(start_byte / ${shardBytes})) - 1 AS shard FROM ordered`
      )
      const [{ n_shards, docs, bytes } = {}] = yield* db.rows(
        `SELECT coalesce(max(shard) + 1, 1) AS n_shards, count(*) AS docs, coalesce(sum(text_bytes), 0) AS bytes FROM placed`
      )
      const shardCount = Number(n_shards)
      const shards: ShardEntry[] = []
      for (let i = 0; i < shardCount; i++) {
        const rel = `data/train-${pad(i)}-of-${pad(shardCount)}.parquet`
        const file = path.join(buildDir, rel)
        yield* Effect.tryPromise({
          try: () =>
            copyToParquet(db.connection, `SELECT ${cols} FROM placed WHERE shard = ${i} ORDER BY id, source_path, source_index`, file, rowGroupRowsFor(Number(bytes) / Math.max(1, Number(docs)))),
          catch: (cause) => new DatasetError({ path: file, operation: "write bundle shard", cause })
        })
        const [row] = yield* db.rows(`SELECT count(*) AS rows, coalesce(sum(n_tokens), 0) AS tokens FROM placed WHERE shard = ${i}`)
        shards.push({ path: rel, split: "train", sha256: sha256File(file), bytes: fs.statSync(file).size, rows: Number(row!.rows), tokens: Number(row!.tokens) })
        ctx.progress(Number(row!.rows), 0)
      }
      const manifest: Manifest = {
        format: "scicurate-bundle/1",
        name,
        version: (plan.params.version as string | undefined) ?? "0.1.0",
        created_at: creationTime(),
        scicurate_version: SCICURATE_VERSION,
        pipeline: { name: plan.pipeline.name, file: plan.pipeline.file ? path.basename(plan.pipeline.file) : null, config_sha256: plan.pipeline.configSha256 },
        tokenizer: plan.tokenizer ?? plan.pipeline.tokenizer,
        shards,
        totals: {
          shards: shards.length,
          documents: Number(docs),
          tokens: shards.reduce((a, s) => a + s.tokens, 0),
          text_bytes: Number(bytes),
          bytes: shards.reduce((a, s) => a + s.bytes, 0)
        },
        by_kind: yield* breakdown(db, "kind"),
        by_format: yield* breakdown(db, "format"),
        by_license: yield* breakdown(db, "coalesce(license, 'unknown')"),
        accounting: upstreamAccounting(plan)
      }
      writeFileAtomic(path.join(buildDir, "manifest.json"), canonicalJson(manifest, 2) + "\n")
      yield* Effect.try({
        try: () => publish(buildDir, finalDir),
        catch: (cause) => new DatasetError({ path: finalDir, operation: "publish bundle", cause })
      })
      ctx.counter.recordsIn += Number(docs)
      ctx.counter.documentsOut += Number(docs)
      ctx.counter.bytesIn += Number(bytes)
      ctx.counter.bytesOut += Number(bytes)
      ctx.counter.tokensOut += manifest.totals.tokens
      yield* db.run("DROP TABLE placed")
    })
}

export const bundleName = (plan: StagePlan): string => path.basename(bundleDirOf(plan))

function breakdown(db: DuckDBService, expr: string) {
  return db
    .rows(`SELECT ${expr} AS key, count(*) AS documents, coalesce(sum(n_tokens), 0) AS tokens FROM placed GROUP BY 1 ORDER BY 1`)
    .pipe(Effect.map((rows) => Object.fromEntries(rows.map((r) => [String(r.key), { documents: Number(r.documents), tokens: Number(r.tokens) }]))))
}

/** Counts (never timings, so the manifest stays reproducible) of the stages this bundle descends from. */
function upstreamAccounting(plan: StagePlan): Manifest["accounting"] {
  const out: Record<string, Manifest["accounting"][string]> = {}
  for (const dir of plan.lineage) {
    const layout = stageLayout(dir)
    if (!fs.existsSync(layout.planFile)) continue
    const p = readJson<StagePlan>(layout.planFile)
    const stats: TaskStats[] = []
    for (let r = 0; r < p.world; r++) if (fs.existsSync(layout.stats(r))) stats.push(readJson<TaskStats>(layout.stats(r)))
    const sum = sumStats(p.stage, stats)
    out[p.stage] = {
      tasks: sum.tasks,
      records_in: sum.records_in,
      documents_out: sum.documents_out,
      filtered: sum.filtered,
      duplicates: sum.duplicates,
      rejected: sum.rejected,
      reasons: sum.reasons
    }
  }
  return out
}

/**
 * Put a finished bundle folder in place of the old one. The old one is renamed aside first and removed
 * after, so there is never a moment without a complete bundle, and a folder that is not a scicurate
 * bundle is never replaced.
 */
function publish(buildDir: string, finalDir: string): void {
  if (fs.existsSync(finalDir) && !fs.existsSync(path.join(finalDir, "manifest.json"))) {
    throw new Error(`refusing to replace ${finalDir}: it exists and is not a scicurate bundle (no manifest.json)`)
  }
  const old = `${path.join(path.dirname(finalDir), `.${path.basename(finalDir)}`)}.${process.pid}.old.tmp`
  if (fs.existsSync(finalDir)) fs.renameSync(finalDir, old)
  fs.renameSync(buildDir, finalDir)
  fs.rmSync(old, { recursive: true, force: true })
}

/** Remove the build and swap folders a killed bundle task left beside the bundle (only this bundle's). */
function removeStaleBuilds(output: string, name: string): void {
  if (!fs.existsSync(output)) return
  const stale = new RegExp(`^\\.${name.replace(/[.]/g, "\\.")}\\.\\d+(\\.old)?\\.tmp$`)
  for (const entry of fs.readdirSync(output)) if (stale.test(entry)) fs.rmSync(path.join(output, entry), { recursive: true, force: true })
}
