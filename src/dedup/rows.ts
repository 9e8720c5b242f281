/**
 * Moving rows between DuckDB and the phases' JS loops: appending DOUBLE rows in 2048-row chunks, and
 * reading signature BLOBs back as 32-bit words.
 */
import { DOUBLE, DuckDBDataChunk, type DuckDBValue } from "@duckdb/node-api"
import { Effect } from "effect"
import type { DuckDBService } from "../core/duckdb.ts"
import type { DatasetError } from "../core/errors.ts"

const CHUNK_ROWS = 2048

/** A signature BLOB as 32-bit words (copied: DuckDB's buffer need not be 4-byte aligned). */
export const asWords = (blob: unknown): Uint32Array => {
  const bytes = (blob as { bytes: Uint8Array }).bytes
  return new Uint32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
}

/**
 * Append rows of `columns` DOUBLE values to `table` through an appender on a second connection (the
 * first one may be streaming the rows' source), 2048 rows per chunk; `produce` gets the row sink.
 */
export function appendRows<E>(
  db: DuckDBService,
  table: string,
  columns: number,
  fail: (operation: string) => (cause: unknown) => DatasetError,
  produce: (emit: (...values: Array<number | null>) => void) => Effect.Effect<void, E>
): Effect.Effect<void, E | DatasetError> {
  return Effect.gen(function* () {
    const connection = yield* Effect.tryPromise({ try: () => db.connect(), catch: fail("connect") })
    const appender = yield* Effect.tryPromise({ try: () => connection.createAppender(table), catch: fail("open appender") })
    const chunk = DuckDBDataChunk.create(Array.from({ length: columns }, () => DOUBLE), CHUNK_ROWS)
    const cols: DuckDBValue[][] = Array.from({ length: columns }, () => [])
    const flush = () => {
      if (cols[0]!.length === 0) return
      chunk.reset()
      chunk.rowCount = cols[0]!.length
      cols.forEach((c, j) => chunk.setColumnValues(j, c))
      appender.appendDataChunk(chunk)
      for (const c of cols) c.length = 0
    }
    yield* produce((...values) => {
      for (let j = 0; j < columns; j++) cols[j]!.push(values[j]!)
      if (cols[0]!.length === CHUNK_ROWS) flush()
    })
    yield* Effect.try({ try: () => (flush(), appender.flushSync(), appender.closeSync(), connection.closeSync()), catch: fail("flush rows") })
  })
}
