/**
 * Document shards through DuckDB: batches of rows are appended to a temporary table (as 2048-row data
 * chunks, ~20x faster than row-by-row appends) and copied to a ZSTD Parquet file under a temporary name,
 * then renamed, so a shard appears only complete. Reading streams DuckDB chunks as column batches.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { BIGINT, DuckDBDataChunk, VARCHAR, type DuckDBAppender, type DuckDBConnection } from "@duckdb/node-api"
import { sqlString } from "./duckdb.ts"
import { temporaryName } from "./layout.ts"

export type ColumnType = "VARCHAR" | "BIGINT"
export type ColumnSpec = ReadonlyArray<readonly [string, ColumnType]>
export type CellValue = string | number | bigint | null
/** A batch in columnar form: one array per column, all of the same length. */
export type ColumnBatch = Record<string, Array<CellValue>>

const CHUNK_ROWS = 2048
/** Rows per Parquet row group: small enough that a reader streams a shard in pieces of a few MB. */
export const ROW_GROUP_ROWS = 8192

let tableCounter = 0

/** A temporary DuckDB table that collects rows before they are written out as Parquet. */
export class RowTable {
  private readonly connection: DuckDBConnection
  readonly name: string
  readonly columns: ColumnSpec
  private readonly appender: DuckDBAppender
  private readonly chunk: DuckDBDataChunk

  private constructor(connection: DuckDBConnection, name: string, columns: ColumnSpec, appender: DuckDBAppender) {
    this.connection = connection
    this.name = name
    this.columns = columns
    this.appender = appender
    this.chunk = DuckDBDataChunk.create(columns.map(([, type]) => (type === "BIGINT" ? BIGINT : VARCHAR)), CHUNK_ROWS)
  }

  static async create(connection: DuckDBConnection, columns: ColumnSpec): Promise<RowTable> {
    const name = `rows_${++tableCounter}`
    const ddl = columns.map(([col, type]) => `"${col}" ${type}`).join(", ")
    await connection.run(`CREATE TABLE ${name} (${ddl})`)
    const appender = await connection.createAppender(name)
    return new RowTable(connection, name, columns, appender)
  }

  /**
   * Append a columnar batch of any length. One data chunk is reused for every append (the appender
   * copies it): a chunk's native memory is released only when V8 collects the chunk, and with a roomy
   * heap that comes late.
   */
  append(batch: ColumnBatch, rowCount: number): void {
    for (let start = 0; start < rowCount; start += CHUNK_ROWS) {
      const n = Math.min(CHUNK_ROWS, rowCount - start)
      const chunk = this.chunk
      chunk.reset()
      chunk.rowCount = n
      this.columns.forEach(([col, type], i) => {
        const values = batch[col]!.slice(start, start + n)
        chunk.setColumnValues(i, type === "BIGINT" ? values.map(toBigInt) : (values as Array<string | null>))
      })
      this.appender.appendDataChunk(chunk)
    }
  }

  /** Append row objects (convenience for small batches). */
  appendRows(rows: ReadonlyArray<Record<string, CellValue>>): void {
    if (rows.length === 0) return
    const batch: ColumnBatch = {}
    for (const [col] of this.columns) batch[col] = rows.map((r) => r[col] ?? null)
    this.append(batch, rows.length)
  }

  /** Make appended rows visible to SQL. */
  flush(): void {
    this.appender.flushSync()
  }

  /** Write `SELECT <columns> FROM table [WHERE ...] [ORDER BY ...]` to a Parquet file atomically. */
  async writeParquet(target: string, options: { orderBy?: string; where?: string } = {}): Promise<void> {
    this.flush()
    const cols = this.columns.map(([c]) => `"${c}"`).join(", ")
    const sql = `SELECT ${cols} FROM ${this.name}${options.where ? ` WHERE ${options.where}` : ""}${options.orderBy ? ` ORDER BY ${options.orderBy}` : ""}`
    await copyToParquet(this.connection, sql, target)
  }

  async drop(): Promise<void> {
    this.appender.closeSync()
    await this.connection.run(`DROP TABLE IF EXISTS ${this.name}`)
  }
}

/** `COPY (query) TO target` as ZSTD Parquet under a temporary name, then rename into place. */
export async function copyToParquet(connection: DuckDBConnection, query: string, target: string): Promise<void> {
  fs.mkdirSync(path.dirname(target), { recursive: true })
  const tmp = temporaryName(target)
  await connection.run(
    `COPY (${query}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP_ROWS})`
  )
  fs.renameSync(tmp, target)
}

/**
 * Stream the rows of a query as columnar batches of DuckDB's chunk size (2048 rows).
 * BIGINT columns arrive as bigint; the callback gets the column arrays by name.
 */
export async function scanBatches(
  connection: DuckDBConnection,
  query: string,
  onBatch: (batch: ColumnBatch, rowCount: number) => void | Promise<void>
): Promise<void> {
  const result = await connection.stream(query)
  const names = result.columnNames()
  for (;;) {
    const chunk = await result.fetchChunk()
    if (!chunk || chunk.rowCount === 0) break
    const batch: ColumnBatch = {}
    names.forEach((name, i) => {
      batch[name] = chunk.getColumnValues(i) as Array<CellValue>
    })
    await onBatch(batch, chunk.rowCount)
  }
}

/** `read_parquet([...])` over a list of files. */
export const readParquetSql = (files: ReadonlyArray<string>): string => `read_parquet([${files.map(sqlString).join(", ")}])`

const toBigInt = (v: CellValue): bigint | null => (v === null ? null : typeof v === "bigint" ? v : BigInt(v))
