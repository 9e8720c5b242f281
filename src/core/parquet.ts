/**
 * Document shards through DuckDB: `ShardWriter` turns batches of rows into one ZSTD Parquet shard in
 * bounded memory, under a temporary name then renamed, so a shard appears only complete; `readBatches`
 * streams a query's rows back as column batches.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { BIGINT, DOUBLE, DuckDBDataChunk, VARCHAR, type DuckDBAppender, type DuckDBConnection } from "@duckdb/node-api"
import { sqlString } from "./duckdb.ts"
import { temporaryName } from "./layout.ts"

export type ColumnType = "VARCHAR" | "BIGINT" | "DOUBLE"
export type ColumnSpec = ReadonlyArray<readonly [string, ColumnType]>
export type CellValue = string | number | bigint | null
/** A batch in columnar form: one array per column, all of the same length. */
export type ColumnBatch = Record<string, Array<CellValue>>

const CHUNK_ROWS = 2048
/** Rows per Parquet row group at most; fewer when documents are large (see rowGroupRowsFor). */
export const ROW_GROUP_ROWS = 8192
/** Text per row group to aim for: writers and readers hold a row group in memory at once. */
const ROW_GROUP_TEXT_BYTES = 32 * 1024 * 1024

/**
 * Rows per row group for documents of this average size. DuckDB cannot size row groups by bytes while
 * it preserves insertion order (which determinism needs), so the row count is chosen from the data:
 * 8192 abstracts, or 512 papers of 64 kB, are both about 32 MB.
 */
export const rowGroupRowsFor = (averageTextBytes: number): number =>
  Math.max(16, Math.min(ROW_GROUP_ROWS, Math.floor(ROW_GROUP_TEXT_BYTES / Math.max(1, averageTextBytes))))

let tableCounter = 0

/** Text bytes collected in DuckDB before they are spilled to a run file (see ShardWriter). */
export const DEFAULT_RUN_BYTES = 64 * 1024 * 1024

/**
 * Writes one Parquet shard from batches of rows, in memory bounded by `runBytes` whatever the shard's
 * size. Rows are appended to a DuckDB table (as 2048-row data chunks: ~20x faster than row-by-row);
 * when the table holds `runBytes` of text it is copied to a run file in the scratch folder and emptied
 * (DuckDB keeps appended rows in memory past its memory limit, so a table must not grow unbounded).
 * `finish` streams the runs, in order, into the final ZSTD shard under a temporary name, then renames.
 */
export class ShardWriter {
  private readonly connection: DuckDBConnection
  private readonly columns: ColumnSpec
  private readonly scratchDir: string
  private readonly runBytes: number
  private readonly name: string
  private appender: DuckDBAppender
  private readonly chunk: DuckDBDataChunk
  private readonly runs: string[] = []
  private bytesInTable = 0
  private rowsInTable = 0
  private totalBytes = 0
  private totalRows = 0

  private constructor(connection: DuckDBConnection, columns: ColumnSpec, scratchDir: string, runBytes: number, name: string, appender: DuckDBAppender) {
    this.connection = connection
    this.columns = columns
    this.scratchDir = scratchDir
    this.runBytes = runBytes
    this.name = name
    this.appender = appender
    // One chunk reused for every append (the appender copies it): a chunk's native memory is released
    // only when V8 collects the chunk, and with a roomy heap that comes late.
    this.chunk = DuckDBDataChunk.create(columns.map(([, type]) => (type === "BIGINT" ? BIGINT : type === "DOUBLE" ? DOUBLE : VARCHAR)), CHUNK_ROWS)
  }

  static async open(connection: DuckDBConnection, columns: ColumnSpec, scratchDir: string, runBytes = DEFAULT_RUN_BYTES): Promise<ShardWriter> {
    const name = `rows_${++tableCounter}`
    const ddl = columns.map(([col, type]) => `"${col}" ${type}`).join(", ")
    await connection.run(`CREATE TABLE ${name} (${ddl})`)
    fs.mkdirSync(scratchDir, { recursive: true })
    return new ShardWriter(connection, columns, scratchDir, runBytes, name, await connection.createAppender(name))
  }

  /** Append a columnar batch of any length. */
  async append(batch: ColumnBatch, rowCount: number): Promise<void> {
    for (let start = 0; start < rowCount; start += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rowCount - start)
      const chunk = this.chunk
      const bytesBefore = this.bytesInTable
      chunk.reset()
      chunk.rowCount = n
      this.columns.forEach(([col, type], i) => {
        const values = batch[col]!.slice(start, start + n)
        if (type === "BIGINT") chunk.setColumnValues(i, values.map(toBigInt))
        else if (type === "DOUBLE") chunk.setColumnValues(i, values.map((v) => (v === null ? null : Number(v))))
        else {
          for (const v of values) if (typeof v === "string") this.bytesInTable += v.length
          chunk.setColumnValues(i, values as Array<string | null>)
        }
      })
      this.appender.appendDataChunk(chunk)
      this.totalBytes += this.bytesInTable - bytesBefore
      this.rowsInTable += n
      this.totalRows += n
      // Checked per chunk, not per batch, so a batch of huge documents cannot overshoot by much.
      if (this.bytesInTable >= this.runBytes) await this.spill()
    }
  }

  /** Copy the table's rows to the next run file and empty it. Runs are Snappy: written once, read once. */
  private async spill(): Promise<void> {
    this.appender.flushSync()
    const run = path.join(this.scratchDir, `run-${String(this.runs.length).padStart(5, "0")}.parquet`)
    await this.connection.run(`COPY ${this.name} TO ${sqlString(run)} (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${this.rowGroupRows()})`)
    this.runs.push(run)
    this.appender.closeSync()
    await this.connection.run(`TRUNCATE ${this.name}`)
    this.appender = await this.connection.createAppender(this.name)
    this.bytesInTable = 0
    this.rowsInTable = 0
  }

  private rowGroupRows(): number {
    return rowGroupRowsFor(this.totalRows === 0 ? 0 : this.totalBytes / this.totalRows)
  }

  /** Write everything appended, in order, to `target` (atomically), and release the table and runs. */
  async finish(target: string): Promise<void> {
    const cols = this.columns.map(([c]) => `"${c}"`).join(", ")
    if (this.runs.length === 0) {
      this.appender.flushSync()
      await copyToParquet(this.connection, `SELECT ${cols} FROM ${this.name}`, target, this.rowGroupRows())
    } else {
      if (this.rowsInTable > 0) await this.spill()
      await copyToParquet(this.connection, `SELECT ${cols} FROM ${readParquetSql(this.runs)}`, target, this.rowGroupRows())
    }
    this.appender.closeSync()
    await this.connection.run(`DROP TABLE IF EXISTS ${this.name}`)
    for (const run of this.runs) fs.rmSync(run, { force: true })
  }
}

/** `COPY (query) TO target` as ZSTD Parquet under a temporary name, then rename into place. */
export async function copyToParquet(connection: DuckDBConnection, query: string, target: string, rowGroupRows = ROW_GROUP_ROWS): Promise<void> {
  fs.mkdirSync(path.dirname(target), { recursive: true })
  const tmp = temporaryName(target)
  await connection.run(`COPY (${query}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupRows})`)
  fs.renameSync(tmp, target)
}

/**
 * The rows of a query as columnar batches of DuckDB's chunk size (2048 rows); BIGINT columns arrive as
 * bigint. Do not run statements on the same connection while iterating: that ends the stream early.
 */
export async function* readBatches(connection: DuckDBConnection, query: string): AsyncGenerator<{ batch: ColumnBatch; rowCount: number }> {
  const result = await connection.stream(query)
  const names = result.columnNames()
  for (;;) {
    const chunk = await result.fetchChunk()
    if (!chunk || chunk.rowCount === 0) return
    const batch: ColumnBatch = {}
    names.forEach((name, i) => {
      batch[name] = chunk.getColumnValues(i) as Array<CellValue>
    })
    yield { batch, rowCount: chunk.rowCount }
  }
}

/** `read_parquet([...])` over a list of files. */
export const readParquetSql = (files: ReadonlyArray<string>): string => `read_parquet([${files.map(sqlString).join(", ")}])`

const toBigInt = (v: CellValue): bigint | null => (v === null ? null : typeof v === "bigint" ? v : BigInt(v))
