/**
 * Writing bundles' shards in memory bounded by the shard size, whatever a bundle's size, in three steps
 * (an external shuffle), split so that tasks share the work by shards rather than by bundles:
 *
 *  1. place:   (every task alike) the small columns only (no text kept) of every bundle, in shuffle
 *              order, md5(seed:id) within each split; a plain loop cuts them into shards (ShardCutter)
 *              and records every row's bundle, split, shard and position in a DuckDB table. Memory: a
 *              few dozen bytes per document, spilled by DuckDB past its limit. The shards found are the
 *              units of work, which every task assigns alike (assignUnits).
 *  2. scatter: one scan of the rows of the task's own units joined to their placement, written by
 *              DuckDB as one partition folder per unit in the task's scratch space.
 *  3. write:   per unit, its partition sorted by position — a sort of one shard, never of a whole
 *              bundle — copied to the ZSTD Parquet shard; then its token ids, in the same order, copied
 *              from the tokenize stage's token files into the Megatron shard (or tokenized again when a
 *              row has no locator).
 *
 * A shard's bytes follow from its rows, their order and its row-group size alone, so they do not
 * depend on which task wrote it or what else that task wrote. Parquet shard k and token shard k of a
 * split hold the same documents in the same order, so a trainer can go from a token sequence back to
 * its document.
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
import { UNROUTED } from "../classify/definitions.ts"
import { ShardCutter, parquetShardPath, shuffleOrderSql, splitSql, SPLITS, tokenShardPrefix, type ShardUnit, type SplitName } from "./split.ts"

export interface PlacementSpec {
  /** The classified dataset's shards. */
  readonly inputs: ReadonlyArray<string>
  readonly validationFraction: number
  readonly seed: number
  readonly limit: { readonly unit: "bytes" | "tokens"; readonly value: number }
}

/**
 * Token shards: the tokenizer and the dtype of ids, and the reader of the tokenize stage's token files
 * that rows point to (null, or a row without a locator: the text is tokenized again).
 */
export interface TokenSpec {
  readonly tokenizer: Tokenizer
  readonly dtype: TokenDType
  readonly source: TokenFileReader | null
}

export interface UnitsSpec {
  readonly inputs: ReadonlyArray<string>
  /** The placement table `placeBundles` made. */
  readonly placement: string
  /** The units to write (this task's). */
  readonly units: ReadonlyArray<ShardUnit>
  /** Where the shards go: `<staging>/<bundle>/data/...` and `<staging>/<bundle>/tokens/...`. */
  readonly stagingDir: string
  /** Scratch space for the scattered partitions; emptied here when done. */
  readonly scratchDir: string
  /** null to write Parquet only. */
  readonly tokens: TokenSpec | null
  readonly onProgress: (rows: number, bytes: number) => void
}

/** A written unit: its Parquet shard and its token shard (paths relative to the bundle folder). */
export interface WrittenUnit {
  readonly unit: ShardUnit
  readonly shard: ShardEntry
  readonly tokenShard: TokenShardEntry | null
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

/** Rows are keyed by their input file's position in the list and their row in it: a few bytes each. */
const fileIndexSql = (files: ReadonlyArray<string>, column: string): string => `list_position([${files.map(sqlString).join(", ")}], ${column})`

interface ShardTally {
  rows: number
  tokens: number
  bytes: number
}

let tableCounter = 0
/** Text per row group of the scattered partitions, and partition files open at once: their product bounds the scatter's buffers. */
const SCATTER_ROW_GROUP_BYTES = 4 * 1024 * 1024
const SCATTER_OPEN_FILES = 32
/** Text the scatter buffers before it flushes rows to the partitions. */
const SCATTER_BUFFER_BYTES = 64 * 1024 * 1024

/**
 * Step 1: where every document of every bundle goes. Returns the placement table (in `db`'s database)
 * and the shards found, by bundle, split and shard number. `side` is a second connection to the same
 * database for appending while `db` streams (a statement on a streaming connection ends its stream).
 */
export async function placeBundles(db: DuckDBConnection, side: DuckDBConnection, spec: PlacementSpec): Promise<{ placement: string; units: ShardUnit[] }> {
  // A table of the task's database (not TEMP: the appending connection must see it).
  const placement = `placement_${++tableCounter}`
  await db.run(`CREATE OR REPLACE TABLE ${placement} (bundle VARCHAR, file INTEGER, file_row_number BIGINT, split VARCHAR, shard INTEGER, pos BIGINT)`)
  const tallies = new Map<string, Record<SplitName, ShardTally[]>>()
  const appender = await side.createAppender(placement)
  try {
    let current: { bundle: string; split: SplitName; cutter: ShardCutter; pos: number } | null = null
    const query =
      `SELECT coalesce(bundle, ${sqlString(UNROUTED)}) AS bundle_name, ${fileIndexSql(spec.inputs, "filename")} AS file, file_row_number, ` +
      `${splitSql(spec.validationFraction)} AS split, strlen(text) AS text_bytes, n_tokens FROM ${inputSql(spec.inputs)} ` +
      // Within a bundle and split, the order of the shuffle; the file and row only order exact copies, whose order does not show.
      `ORDER BY bundle_name, split, ${shuffleOrderSql(spec.seed)}, file, file_row_number`
    for await (const { batch, rowCount } of readBatches(db, query)) {
      for (let i = 0; i < rowCount; i++) {
        const bundle = String(batch.bundle_name![i])
        const split = batch.split![i] as SplitName
        if (current === null || current.bundle !== bundle || current.split !== split) current = { bundle, split, cutter: new ShardCutter(spec.limit.value), pos: 0 }
        const bytes = Number(batch.text_bytes![i])
        const tokens = Number(batch.n_tokens![i])
        const shard = current.cutter.place(spec.limit.unit === "bytes" ? bytes : tokens)
        let perSplit = tallies.get(bundle)
        if (perSplit === undefined) tallies.set(bundle, (perSplit = { train: [], validation: [] }))
        const t = (perSplit[split][shard] ??= { rows: 0, tokens: 0, bytes: 0 })
        t.rows++
        t.tokens += tokens
        t.bytes += bytes
        const file = batch.file![i]
        if (file === null || file === undefined) throw new Error(`input file ${String(batch.filename)} not found among the bundle stage's inputs`)
        appender.appendVarchar(bundle)
        appender.appendInteger(Number(file))
        appender.appendBigInt(BigInt(batch.file_row_number![i] as bigint | number))
        appender.appendVarchar(split)
        appender.appendInteger(shard)
        appender.appendBigInt(BigInt(current.pos++))
        appender.endRow()
      }
    }
  } finally {
    appender.closeSync()
  }
  const units: ShardUnit[] = []
  for (const bundle of [...tallies.keys()].sort()) {
    for (const split of SPLITS) {
      const shards = tallies.get(bundle)![split]
      shards.forEach((t, shard) => units.push({ bundle, split, shard, of: shards.length, rows: t.rows, tokens: t.tokens, bytes: t.bytes }))
    }
  }
  return { placement, units }
}

/** Steps 2 and 3: write the Parquet and token shards of `spec.units` into the staging folder. */
export async function writeUnits(db: DuckDBConnection, spec: UnitsSpec): Promise<WrittenUnit[]> {
  fs.rmSync(spec.scratchDir, { recursive: true, force: true })
  fs.mkdirSync(spec.scratchDir, { recursive: true })
  if (spec.units.length === 0) return []
  // 2. scatter. Every open partition file buffers a row group, so row groups here are small (~4 MB of
  // text) and at most SCATTER_OPEN_FILES are open at once (DuckDB starts another file past that).
  const mine = `units_${++tableCounter}`
  await db.run(`CREATE OR REPLACE TABLE ${mine} (bundle VARCHAR, split VARCHAR, shard INTEGER, unit INTEGER)`)
  await db.run(
    `INSERT INTO ${mine} VALUES ${spec.units.map((u, i) => `(${sqlString(u.bundle)}, ${sqlString(u.split)}, ${u.shard}, ${i})`).join(", ")}`
  )
  const partitions = path.join(spec.scratchDir, "parts")
  const averageBytes = spec.units.reduce((a, t) => a + t.bytes, 0) / Math.max(1, spec.units.reduce((a, t) => a + t.rows, 0))
  const scatterRows = Math.max(16, Math.min(8192, Math.floor(SCATTER_ROW_GROUP_BYTES / Math.max(1, averageBytes))))
  await db.run(`SET partitioned_write_max_open_files = ${SCATTER_OPEN_FILES}`)
  // DuckDB buffers this many rows before flushing partitions: bound it by bytes, not rows.
  await db.run(`SET partitioned_write_flush_threshold = ${Math.max(2048, Math.floor(SCATTER_BUFFER_BYTES / Math.max(1, averageBytes)))}`)
  const keep = [...TOKENIZED_COLUMNS.map(([c]) => `i."${c}"`), "i.token_file", "i.token_offset", "u.unit", "p.pos"].join(", ")
  await db.run(
    `COPY (SELECT ${keep} FROM ${inputSql(spec.inputs)} i ` +
      `JOIN ${spec.placement} p ON ${fileIndexSql(spec.inputs, "i.filename")} = p.file AND i.file_row_number = p.file_row_number ` +
      `JOIN ${mine} u ON p.bundle = u.bundle AND p.split = u.split AND p.shard = u.shard) ` +
      `TO ${sqlString(partitions)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (unit), ROW_GROUP_SIZE ${scatterRows})`
  )
  await db.run(`DROP TABLE ${mine}`)

  // 3. write
  const cols = TOKENIZED_COLUMNS.map(([c]) => `"${c}"`).join(", ")
  const written: WrittenUnit[] = []
  for (const [i, unit] of spec.units.entries()) {
    // The partition's files listed, not globbed: a work folder may contain glob characters.
    const partDir = path.join(partitions, `unit=${i}`)
    const partFiles = fs.existsSync(partDir) ? fs.readdirSync(partDir).filter((f) => f.endsWith(".parquet")).sort().map((f) => path.join(partDir, f)) : []
    if (partFiles.length === 0) throw new Error(`${partDir}: the scatter wrote no rows for ${unit.rows} placed documents`)
    const part = `read_parquet([${partFiles.map(sqlString).join(", ")}], hive_partitioning = false)`
    const bundleDir = path.join(spec.stagingDir, unit.bundle)
    const rel = parquetShardPath(unit.split, unit.shard, unit.of)
    const file = path.join(bundleDir, rel)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const tmp = temporaryName(file)
    await db.run(
      `COPY (SELECT ${cols} FROM ${part} ORDER BY pos) TO ${sqlString(tmp)} ` +
        `(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupRowsFor(unit.bytes / Math.max(1, unit.rows))})`
    )
    const count = (await db.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlString(tmp)})`)).getRows()[0]![0]
    if (Number(count) !== unit.rows) throw new Error(`${unit.bundle}/${rel}: ${String(count)} rows written, ${unit.rows} placed`)
    fs.renameSync(tmp, file)
    const shard: ShardEntry = { path: rel, split: unit.split, sha256: sha256File(file), bytes: fs.statSync(file).size, rows: unit.rows, tokens: unit.tokens }
    const tokenShard = spec.tokens ? await writeTokenShard(db, part, spec.tokens, bundleDir, unit) : null
    written.push({ unit, shard, tokenShard })
    spec.onProgress(unit.rows, unit.bytes)
  }
  fs.rmSync(spec.scratchDir, { recursive: true, force: true })
  return written
}

/** What a bundle's manifest lists, from its written units (in any order): shards by split, then number. */
export function bundleFiles(units: ReadonlyArray<WrittenUnit>): BundleFiles {
  const ordered = [...units].sort((a, b) => SPLITS.indexOf(a.unit.split) - SPLITS.indexOf(b.unit.split) || a.unit.shard - b.unit.shard)
  return {
    shards: ordered.map((u) => u.shard),
    tokenShards: ordered.flatMap((u) => (u.tokenShard ? [u.tokenShard] : [])),
    documents: ordered.reduce((a, u) => a + u.unit.rows, 0),
    tokens: ordered.reduce((a, u) => a + u.unit.tokens, 0),
    textBytes: ordered.reduce((a, u) => a + u.unit.bytes, 0)
  }
}

/** The Megatron shard of one Parquet shard: the same rows in the same order, ids copied (or re-encoded). */
async function writeTokenShard(db: DuckDBConnection, part: string, tokens: TokenSpec, bundleDir: string, unit: ShardUnit): Promise<TokenShardEntry> {
  const { tokenizer, dtype, source } = tokens
  const { split } = unit
  const prefix = tokenShardPrefix(tokenizer.name, split, unit.shard, unit.of)
  fs.mkdirSync(path.dirname(path.join(bundleDir, prefix)), { recursive: true })
  const writer = new IndexedDatasetWriter(path.join(bundleDir, prefix), dtype, tokenizer.eos)
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
  if (done.documents !== unit.rows) throw new Error(`${unit.bundle}/${prefix}: ${done.documents} documents written, ${unit.rows} placed`)
  const entry = (ext: "bin" | "idx") => {
    const file = path.join(bundleDir, `${prefix}.${ext}`)
    return { path: `${prefix}.${ext}`, sha256: sha256File(file), bytes: fs.statSync(file).size }
  }
  return { prefix, split, bin: entry("bin"), idx: entry("idx"), documents: done.documents, tokens: done.tokens, dtype }
}
