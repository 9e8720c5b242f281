/**
 * DuckDB as a scoped Effect service: one in-process database per task (or command), closed on exit.
 * Parquet I/O and SQL over shards go through it. Never downloads extensions: parquet and json are built in,
 * and autoinstall is off so a missing extension fails at once instead of trying the network.
 */
import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api"
import { Context, Effect, Layer } from "effect"
import { DatasetError } from "./errors.ts"

export interface DuckDBOptions {
  /**
   * A database file. Tasks use one in their scratch folder, so the rows they collect before writing a
   * shard live on disk under DuckDB's buffer manager rather than all in memory. Default: in memory.
   */
  readonly path?: string
  /** Worker threads inside DuckDB. Tasks use 1: parallelism comes from tasks, and 1 keeps writes deterministic. */
  readonly threads?: number
  readonly memoryLimit?: string
  /** Where DuckDB may spill when a sort or a table outgrows memory. */
  readonly tempDirectory?: string
}

export interface DuckDBService {
  readonly connection: DuckDBConnection
  /**
   * Another connection to the same database. A statement run on a connection ends any result still
   * streaming on it, so code that writes while it scans must write through a connection of its own.
   */
  readonly connect: () => Promise<DuckDBConnection>
  /** Run a statement for its effect. */
  readonly run: (sql: string, params?: ReadonlyArray<unknown>) => Effect.Effect<void, DatasetError>
  /** Run a query and return its rows as plain JS objects (BIGINT as bigint). For small results only. */
  readonly rows: (sql: string, params?: ReadonlyArray<unknown>) => Effect.Effect<Array<Record<string, unknown>>, DatasetError>
}

export class DuckDB extends Context.Service<DuckDB, DuckDBService>()("scicurate/DuckDB") {}

export async function openDuckDB(options: DuckDBOptions = {}): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  const config: Record<string, string> = {
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
    threads: String(options.threads ?? 1),
    preserve_insertion_order: "true"
  }
  if (options.memoryLimit) config.memory_limit = options.memoryLimit
  if (options.tempDirectory) config.temp_directory = options.tempDirectory
  const instance = await DuckDBInstance.create(options.path ?? ":memory:", config)
  const connection = await instance.connect()
  return { instance, connection }
}

/** Quote a string as a SQL literal (paths in COPY/read_parquet cannot be bound as parameters). */
export const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`

export const makeDuckDBLayer = (options: DuckDBOptions = {}): Layer.Layer<DuckDB, DatasetError> =>
  Layer.effect(
    DuckDB,
    Effect.acquireRelease(
      Effect.tryPromise({
        try: () => openDuckDB(options),
        catch: (cause) => new DatasetError({ path: ":memory:", operation: "open DuckDB", cause })
      }),
      ({ connection, instance }) =>
        Effect.sync(() => {
          connection.closeSync()
          instance.closeSync()
        })
    ).pipe(
      Effect.map(({ connection, instance }): DuckDBService => ({
        connection,
        connect: () => instance.connect(),
        run: (sql, params) =>
          Effect.tryPromise({
            try: () => connection.run(sql, params as never).then(() => undefined),
            catch: (cause) => new DatasetError({ path: firstLine(sql), operation: "run SQL", cause })
          }),
        rows: (sql, params) =>
          Effect.tryPromise({
            try: async () => (await connection.runAndReadAll(sql, params as never)).getRowObjectsJS() as Array<Record<string, unknown>>,
            catch: (cause) => new DatasetError({ path: firstLine(sql), operation: "query", cause })
          })
      }))
    )
  )

const firstLine = (sql: string): string => sql.trim().split("\n")[0]!.slice(0, 120)
