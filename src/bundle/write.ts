/**
 * Writing one bundle's shards in memory bounded by the shard size, whatever the bundle's size, in
 * three steps (an external shuffle):
 *
 *  1. place:   the bundle's small columns only (no text kept) in shuffle order, md5(seed:id) within
 *              each split; a plain loop cuts them into shards (ShardCutter) and records every row's
 *              split, shard and position in a DuckDB table. Memory: a few dozen bytes per document,
 *              spilled by DuckDB past its limit.
 *  2. scatter: one scan of the bundle's rows joined to their placement, written by DuckDB as one
 *              partition folder per (split, shard) in the task's scratch space.
 *  3. write:   per shard, its partition sorted by position — a sort of one shard, never of the whole
 *              bundle — copied to the ZSTD Parquet shard; then its token ids, in the same order, copied
 *              from the tokenize stage's token files into the Megatron shard (or tokenized again when a
 *              row has no locator).
 *
 * Parquet shard k and token shard k of a split hold the same documents in the same order, so a
 * trainer can go from a token sequence back to its document.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { DuckDBConnection } from "@duckdb/node-api"
import { TOKENIZED_COLUMNS } from "../core/document.ts"
import { sqlString } from "../core/duckdb.ts"
import { sha256File } from "../core/files.ts"
import { temporaryName } from "../core/layout.ts"
import { readBatches, rowGroupRowsFor } from "../core/parquet.ts"
import { IndexedDatasetWriter, type TokenDType } from "../tokenize/megatron.ts"
import type { TokenFileReader } from "../tokenize/token-file.ts"
import type { Tokenizer } from "../tokenize/tokenizer.ts"
import type { ShardEntry, TokenShardEntry } from "./manifest.ts"
import { ShardCutter, parquetShardPath, shuffleOrderSql, splitSql, SPLITS, tokenShardPrefix, type SplitName } from "./split.ts"

export interface BundleSpec {
  /** The classified dataset's shards. */
  readonly inputs: ReadonlyArray<string>
  /** The bundle's name, or null for the unrouted set (documents whose `bundle` is null). */
  readonly bundle: string | null
  readonly validationFraction: number
  readonly seed: number
  readonly limit: { readonly unit: "bytes" | "tokens"; readonly value: number }
  /** Where the bundle is being built (renamed into place by the caller once complete). */
  readonly buildDir: string
  /** Scratch space for the scattered partitions; emptied here when done. */
  readonly scratchDir: string
  /**
   * Token shards: the tokenizer and the dtype of ids, and the reader of the tokenize stage's token
   * files that rows point to (null, or a row without a locator: the text is tokenized again); null to
   * write Parquet only.
   */
  readonly tokens: { readonly tokenizer: Tokenizer; readonly dtype: TokenDType; readonly source: TokenFileReader | null } | null
  readonly onProgress: (rows: number, bytes: number) => void
}

export interface BundleFiles {
  readonly shards: ShardEntry[]
  readonly tokenShards: TokenShardEntry[]
  readonly documents: number
  readonly tokens: number
  readonly textBytes: number
}

/** SQL condition selecting one bundle's documents. */
export const bundleFilterSql = (bundle: string | null): string => (bundle === null ? "bundle IS NULL" : `bundle = ${sqlString(bundle)}`)

const inputSql = (files: ReadonlyArray<string>): string =>
  `read_parquet([${files.map(sqlString).join(", ")}], filename = true, file_row_number = true, hive_partitioning = false)`

interface ShardTally {
  rows: number
  tokens: number
  bytes: number
}

let placementCounter = 0
/** Text per row group of the scattered partitions, and partition files open at once: their product bounds the scatter's buffers. */
const SCATTER_ROW_GROUP_BYTES = 4 * 1024 * 1024
const SCATTER_OPEN_FILES = 32
/** Text the scatter buffers before it flushes rows to the partitions. */
const SCATTER_BUFFER_BYTES = 64 * 1024 * 1024

/**
 * Write every shard of one bundle into `spec.buildDir`. `db` runs the statements and scans; `side` is a
 * second connection to the same database for appending while `db` streams (a statement on a streaming
 * connection ends its stream).
 */
export async function writeBundle(db: DuckDBConnection, side: DuckDBConnection, spec: BundleSpec): Promise<BundleFiles> {
  const from = `${inputSql(spec.inputs)} WHERE ${bundleFilterSql(spec.bundle)}`
  fs.rmSync(spec.scratchDir, { recursive: true, force: true })
  fs.mkdirSync(spec.scratchDir, { recursive: true })

  // 1. place (rows are keyed by their input file's position in the list and their row in it: a few bytes each)
  const fileIndex = (column: string) => `list_position([${spec.inputs.map(sqlString).join(", ")}], ${column})`
  // A table of the task's database (not TEMP: the appending connection must see it).
  const placement = `placement_${++placementCounter}`
  await db.run(`CREATE OR REPLACE TABLE ${placement} (file INTEGER, file_row_number BIGINT, split VARCHAR, shard INTEGER, pos BIGINT)`)
  const tallies: Record<SplitName, ShardTally[]> = { train: [], validation: [] }
  {
    const appender = await side.createAppender(placement)
    const cutters: Record<SplitName, ShardCutter> = { train: new ShardCutter(spec.limit.value), validation: new ShardCutter(spec.limit.value) }
    const positions: Record<SplitName, number> = { train: 0, validation: 0 }
    const query =
      `SELECT ${fileIndex("filename")} AS file, file_row_number, ${splitSql(spec.validationFraction)} AS split, strlen(text) AS text_bytes, n_tokens FROM ${from} ` +
      `ORDER BY split, ${shuffleOrderSql(spec.seed)}`
    try {
      for await (const { batch, rowCount } of readBatches(db, query)) {
        for (let i = 0; i < rowCount; i++) {
          const split = batch.split![i] as SplitName
          const bytes = Number(batch.text_bytes![i])
          const tokens = Number(batch.n_tokens![i])
          const shard = cutters[split].place(spec.limit.unit === "bytes" ? bytes : tokens)
          const t = (tallies[split][shard] ??= { rows: 0, tokens: 0, bytes: 0 })
          t.rows++
          t.tokens += tokens
          t.bytes += bytes
          const file = batch.file![i]
          if (file === null || file === undefined) throw new Error(`input file ${String(batch.filename)} not found among the bundle's inputs`)
          appender.appendInteger(Number(file))
          appender.appendBigInt(BigInt(batch.file_row_number![i] as bigint | number))
          appender.appendVarchar(split)
          appender.appendInteger(shard)
          appender.appendBigInt(BigInt(positions[split]++))
          appender.endRow()
        }
      }
    } finally {
      appender.closeSync()
    }
  }

  // 2. scatter. Every open partition file buffers a row group, so row groups here are small (~4 MB of
  // text) and at most SCATTER_OPEN_FILES are open at once (DuckDB starts another file past that).
  const partitions = path.join(spec.scratchDir, "parts")
  const placed = SPLITS.flatMap((s) => tallies[s])
  const averageBytes = placed.reduce((a, t) => a + t.bytes, 0) / Math.max(1, placed.reduce((a, t) => a + t.rows, 0))
  const scatterRows = Math.max(16, Math.min(8192, Math.floor(SCATTER_ROW_GROUP_BYTES / Math.max(1, averageBytes))))
  await db.run(`SET partitioned_write_max_open_files = ${SCATTER_OPEN_FILES}`)
  // DuckDB buffers this many rows before flushing partitions: bound it by bytes, not rows.
  await db.run(`SET partitioned_write_flush_threshold = ${Math.max(2048, Math.floor(SCATTER_BUFFER_BYTES / Math.max(1, averageBytes)))}`)
  const keep = [...TOKENIZED_COLUMNS.map(([c]) => `i."${c}"`), "i.token_file", "i.token_offset", "p.split", "p.shard", "p.pos"].join(", ")
  await db.run(
    `COPY (SELECT ${keep} FROM ${inputSql(spec.inputs)} i JOIN ${placement} p ON ${fileIndex("i.filename")} = p.file AND i.file_row_number = p.file_row_number ` +
      `WHERE ${bundleFilterSql(spec.bundle).replace(/^bundle/, "i.bundle")}) ` +
      `TO ${sqlString(partitions)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (split, shard), ROW_GROUP_SIZE ${scatterRows})`
  )
  await db.run(`DROP TABLE ${placement}`)

  // 3. write
  const cols = TOKENIZED_COLUMNS.map(([c]) => `"${c}"`).join(", ")
  const shards: ShardEntry[] = []
  const tokenShards: TokenShardEntry[] = []
  let documents = 0
  let tokens = 0
  let textBytes = 0
  for (const split of SPLITS) {
    const n = tallies[split].length
    for (let k = 0; k < n; k++) {
      const tally = tallies[split][k]!
      // The partition's files listed, not globbed: a work folder may contain glob characters.
      const partDir = path.join(partitions, `split=${split}`, `shard=${k}`)
      const partFiles = fs.existsSync(partDir) ? fs.readdirSync(partDir).filter((f) => f.endsWith(".parquet")).sort().map((f) => path.join(partDir, f)) : []
      if (partFiles.length === 0) throw new Error(`${partDir}: the scatter wrote no rows for ${tally.rows} placed documents`)
      const part = `read_parquet([${partFiles.map(sqlString).join(", ")}], hive_partitioning = false)`
      const rel = parquetShardPath(split, k, n)
      const file = path.join(spec.buildDir, rel)
      fs.mkdirSync(path.dirname(file), { recursive: true })
      const tmp = temporaryName(file)
      await db.run(
        `COPY (SELECT ${cols} FROM ${part} ORDER BY pos) TO ${sqlString(tmp)} ` +
          `(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupRowsFor(tally.bytes / Math.max(1, tally.rows))})`
      )
      const written = (await db.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlString(tmp)})`)).getRows()[0]![0]
      if (Number(written) !== tally.rows) throw new Error(`${rel}: ${String(written)} rows written, ${tally.rows} placed`)
      fs.renameSync(tmp, file)
      shards.push({ path: rel, split, sha256: sha256File(file), bytes: fs.statSync(file).size, rows: tally.rows, tokens: tally.tokens })
      if (spec.tokens) tokenShards.push(await writeTokenShard(db, part, spec, split, k, n, tally))
      documents += tally.rows
      tokens += tally.tokens
      textBytes += tally.bytes
      spec.onProgress(tally.rows, tally.bytes)
    }
  }
  fs.rmSync(spec.scratchDir, { recursive: true, force: true })
  return { shards, tokenShards, documents, tokens, textBytes }
}

/** The Megatron shard of one Parquet shard: the same rows in the same order, ids copied (or re-encoded). */
async function writeTokenShard(db: DuckDBConnection, part: string, spec: BundleSpec, split: SplitName, k: number, n: number, tally: ShardTally): Promise<TokenShardEntry> {
  const { tokenizer, dtype, source } = spec.tokens!
  const prefix = tokenShardPrefix(tokenizer.name, split, k, n)
  fs.mkdirSync(path.dirname(path.join(spec.buildDir, prefix)), { recursive: true })
  const writer = new IndexedDatasetWriter(path.join(spec.buildDir, prefix), dtype, tokenizer.eos)
  try {
    // The text only for rows without a locator (they are tokenized again).
    const query = `SELECT id, n_tokens, token_file, token_offset, CASE WHEN ${source === null ? "TRUE" : "token_file IS NULL"} THEN text END AS text FROM ${part} ORDER BY pos`
    for await (const { batch, rowCount } of readBatches(db, query)) {
      for (let i = 0; i < rowCount; i++) {
        const nTokens = Number(batch.n_tokens![i])
        const file = batch.token_file![i] as string | null
        const ids = source !== null && file !== null ? source.read(file, Number(batch.token_offset![i]), nTokens) : tokenizer.ids((batch.text![i] as string | null) ?? "")
        // The Parquet rows say n_tokens; the token shard must hold exactly that many (plus EOS).
        if (ids.length !== nTokens) {
          throw new Error(`document ${String(batch.id![i])}: the tokenizer gives ${ids.length} tokens but n_tokens says ${nTokens} (was the dataset tokenized with ${tokenizer.name}?)`)
        }
        writer.add(ids)
      }
    }
  } catch (e) {
    writer.abort()
    throw e
  }
  const done = writer.finish()
  if (done.documents !== tally.rows) throw new Error(`${prefix}: ${done.documents} documents written, ${tally.rows} placed`)
  const entry = (ext: "bin" | "idx") => {
    const file = path.join(spec.buildDir, `${prefix}.${ext}`)
    return { path: `${prefix}.${ext}`, sha256: sha256File(file), bytes: fs.statSync(file).size }
  }
  return { prefix, split, bin: entry("bin"), idx: entry("idx"), documents: done.documents, tokens: done.tokens, dtype }
}
