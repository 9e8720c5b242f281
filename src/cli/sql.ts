/**
 * `scicurate sql DIR "select ..."`: query a work folder, a dataset or a folder of bundles with the
 * embedded DuckDB, so no DuckDB command-line tool is needed (Debian has none). Each stage's shards are a
 * view named after the stage; the command is read-only (one query statement, no file access outside DIR,
 * no extension installs) and an SQL error is one line, never a stack trace.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { DuckDBTypeId, type DuckDBConnection, type DuckDBType } from "@duckdb/node-api"
import { StatementType } from "@duckdb/node-api"
import { Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { openDuckDB, sqlString } from "../core/duckdb.ts"
import { UsageError } from "../core/errors.ts"
import { listShards } from "../core/layout.ts"
import { bundleFoldersIn } from "../bundle/verify.ts"

/** One view the query can use: its name and the SQL it stands for. */
export interface SqlView {
  readonly name: string
  readonly sql: string
  /** Where it reads from, for `--views` and error messages. */
  readonly source: string
}

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`
const parquetOver = (files: ReadonlyArray<string>): string => `SELECT * FROM read_parquet([${files.map(sqlString).join(", ")}], union_by_name = true)`
const jsonLinesOver = (files: ReadonlyArray<string>): string =>
  `SELECT * FROM read_json([${files.map(sqlString).join(", ")}], format = 'newline_delimited', ` +
  `columns = {source_path: 'VARCHAR', stage: 'VARCHAR', reason: 'VARCHAR', detail: 'VARCHAR', location: 'VARCHAR', id: 'VARCHAR', scores: 'JSON'})`

const filesIn = (dir: string, pattern: RegExp): string[] =>
  fs.existsSync(dir) && fs.statSync(dir).isDirectory()
    ? fs
        .readdirSync(dir)
        .filter((f) => pattern.test(f))
        .sort()
        .map((f) => path.join(dir, f))
    : []

/**
 * The views of one dataset folder under `name`: its shards, and `<name>_removed` (dedup's removal
 * records), `<name>_filtered_documents` (the quality stages' removed documents), `<name>_rejects` and
 * `<name>_filtered` when the stage wrote any.
 */
function datasetViews(dir: string, name: string): SqlView[] {
  const views: SqlView[] = []
  const shards = listShards(dir)
  if (shards.length > 0) views.push({ name, sql: parquetOver(shards), source: dir })
  const removed = filesIn(path.join(dir, "_removed"), /^part-\d+\.parquet$/)
  if (removed.length > 0) views.push({ name: `${name}_removed`, sql: parquetOver(removed), source: path.join(dir, "_removed") })
  // The quality stages keep the documents they left out, whole, with reason, detail and scores.
  const filteredDocuments = filesIn(path.join(dir, "_filtered"), /^part-\d+\.parquet$/)
  if (filteredDocuments.length > 0) views.push({ name: `${name}_filtered_documents`, sql: parquetOver(filteredDocuments), source: path.join(dir, "_filtered") })
  for (const ledger of ["rejects", "filtered"]) {
    const files = filesIn(path.join(dir, `_${ledger}`), /^part-\d+\.jsonl$/)
    if (files.length > 0) views.push({ name: `${name}_${ledger}`, sql: jsonLinesOver(files), source: path.join(dir, `_${ledger}`) })
  }
  return views
}

/**
 * The views of DIR: a dataset folder (its own shards) gives `data`; a bundle folder gives `data` over
 * data/*.parquet; a folder of bundles gives one view per bundle; a work folder gives one view per stage
 * folder (named after the folder, e.g. `ingest`, `dedup`).
 */
export function sqlViews(dir: string): SqlView[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return []
  if (listShards(dir).length > 0) return datasetViews(dir, "data")
  const bundles = bundleFoldersIn(dir)
  if (bundles.length > 0) {
    const single = bundles.length === 1 && bundles[0] === dir
    return bundles.flatMap((b) => {
      const shards = filesIn(path.join(b, "data"), /\.parquet$/)
      return shards.length > 0 ? [{ name: single ? "data" : path.basename(b), sql: parquetOver(shards), source: path.join(b, "data") }] : []
    })
  }
  return fs
    .readdirSync(dir)
    .filter((d) => !d.startsWith(".") && !d.startsWith("_") && fs.statSync(path.join(dir, d)).isDirectory())
    .sort()
    .flatMap((d) => datasetViews(path.join(dir, d), d))
}

/** A DuckDB error as one line: the kind and the problem, without the echoed query and its caret. */
export function oneLineSqlError(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e)
  return text
    .replace(/^Failed to extract statements: /, "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !/^LINE \d+:/.test(l) && !/^\^+$/.test(l))
    .join(" ")
}

/** Statements that only read: queries, DESCRIBE/SHOW (which DuckDB parses as queries) and EXPLAIN. */
const READ_ONLY = new Set<number>([StatementType.SELECT, StatementType.EXPLAIN])

export type SqlFormat = "table" | "csv" | "jsonl"

/** A DuckDB value (as the JS converter gives it) as JSON: BIGINT as a number when exact, else a string. */
function jsonValue(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()
  if (v instanceof Date) return v.toISOString()
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex")
  if (Array.isArray(v)) return v.map(jsonValue)
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]))
  return v
}

/** A cell as text: strings as they are, other values as JSON; null as NULL in a table, empty in CSV. */
function cellText(v: unknown, nullText: string): string {
  if (v === null || v === undefined) return nullText
  if (typeof v === "string") return v
  const j = jsonValue(v)
  return typeof j === "string" ? j : JSON.stringify(j)
}

const csvField = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s)

const NUMERIC = new Set<number>([
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.DECIMAL
])

/** Widest a table cell gets; longer values (document texts) are cut with "…". */
const TABLE_CELL_CHARS = 60

/** Rows a table shows at most; the rest are counted (CSV and JSON lines have no limit). */
export const TABLE_MAX_ROWS = 1000

/** Render rows as an aligned text table: numbers right-aligned, one line per row (newlines shown as ⏎). */
export function renderTable(names: ReadonlyArray<string>, types: ReadonlyArray<DuckDBType>, rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  const cut = (s: string) => {
    const flat = s.replace(/\r?\n/g, "⏎").replace(/\t/g, " ")
    return flat.length > TABLE_CELL_CHARS ? `${flat.slice(0, TABLE_CELL_CHARS - 1)}…` : flat
  }
  const cells = rows.map((r) => r.map((v) => cut(cellText(v, "NULL"))))
  const widths = names.map((n, i) => Math.max(n.length, ...cells.map((r) => r[i]!.length)))
  const right = types.map((t) => NUMERIC.has(t.typeId))
  const line = (r: ReadonlyArray<string>) => r.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd()
  return [line(names), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n")
}

/** Writes to stdout, waiting when the pipe is full; a closed pipe (`| head`) ends the output quietly. */
async function writeOut(text: string): Promise<void> {
  if (process.stdout.write(text)) return
  await new Promise<void>((resolve) => {
    process.stdout.once("drain", resolve)
    process.stdout.once("error", () => resolve())
  })
}

/** Run one read-only query over the views of `dir` and print its rows in `format`. */
export async function runSql(dir: string, query: string, format: SqlFormat): Promise<void> {
  const views = sqlViews(dir)
  if (views.length === 0) {
    throw new UsageError({ message: `${dir}: no Parquet shards here (give a work folder, a stage's dataset folder or a folder of bundles)` })
  }
  const root = path.resolve(dir)
  const { instance, connection } = await openDuckDB({ threads: 2 })
  try {
    for (const v of views) await connection.run(`CREATE VIEW ${quoteIdent(v.name)} AS ${v.sql}`)
    // Read-only from here: no file outside DIR, no writes (COPY, EXPORT), no setting changed back.
    await connection.run(`SET allowed_directories = [${sqlString(root + path.sep)}]`)
    await connection.run("SET enable_external_access = false")
    await connection.run("SET lock_configuration = true")
    await checkReadOnly(connection, query, views)
    const result = await connection.stream(query).catch((e: unknown) => {
      throw sqlError(e, views)
    })
    const names = result.deduplicatedColumnNames()
    const types = result.columnTypes()
    if (format === "csv") await writeOut(names.map(csvField).join(",") + "\n")
    const tableRows: unknown[][] = []
    let total = 0
    try {
      for await (const rows of result.yieldRowsJs()) {
        total += rows.length
        if (format === "table") {
          for (const r of rows) if (tableRows.length < TABLE_MAX_ROWS) tableRows.push(r)
        } else if (format === "csv") {
          await writeOut(rows.map((r) => r.map((v) => csvField(cellText(v, ""))).join(",") + "\n").join(""))
        } else {
          await writeOut(rows.map((r) => JSON.stringify(Object.fromEntries(names.map((n, i) => [n, jsonValue(r[i] ?? null)]))) + "\n").join(""))
        }
      }
    } catch (e) {
      throw sqlError(e, views)
    }
    if (format === "table") {
      const more = total > tableRows.length ? `\n(${total} rows, first ${tableRows.length} shown; --format csv or jsonl prints all)` : `\n(${total} row${total === 1 ? "" : "s"})`
      await writeOut(renderTable(names, types, tableRows) + more + "\n")
    }
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

/** One statement, and one that only reads: anything else is refused before it runs. */
async function checkReadOnly(connection: DuckDBConnection, query: string, views: ReadonlyArray<SqlView>): Promise<void> {
  const statements = await connection.extractStatements(query).catch((e: unknown) => {
    throw sqlError(e, views)
  })
  if (statements.count !== 1) throw new UsageError({ message: `SQL: give exactly one statement (got ${statements.count})` })
  const prepared = await statements.prepare(0).catch((e: unknown) => {
    throw sqlError(e, views)
  })
  if (!READ_ONLY.has(prepared.statementType)) {
    throw new UsageError({ message: "SQL: only queries (SELECT, DESCRIBE, SHOW, EXPLAIN) are allowed; scicurate sql is read-only" })
  }
}

function sqlError(e: unknown, views: ReadonlyArray<SqlView>): UsageError {
  const message = oneLineSqlError(e)
  // A misspelt view is the likeliest mistake: name the ones there are.
  const hint = /Table with name .* does not exist/.test(message) ? ` (views: ${views.map((v) => v.name).join(", ")})` : ""
  return new UsageError({ message: `SQL: ${message}${hint}` })
}

export const sqlCommand = Command.make(
  "sql",
  {
    dir: Argument.String("dir").pipe(
      Argument.withDescription(
        "A work folder (one view per stage: ingest, dedup, tokenize, classify, with <stage>_rejects, <stage>_filtered, dedup_removed), " +
          "a dataset folder (view data) or a folder of bundles (one view per bundle)"
      )
    ),
    query: Argument.String("query").pipe(Argument.withDescription('One SQL query, e.g. "select kind, count(*) from ingest group by all"')),
    format: Flag.Literals("format", ["table", "csv", "jsonl"]).pipe(
      Flag.withDescription(`Output: an aligned table (default; at most ${TABLE_MAX_ROWS} rows, long values cut), CSV or JSON lines`),
      Flag.withDefault("table" as const)
    )
  },
  (args) =>
    Effect.tryPromise({
      try: () => runSql(args.dir, args.query, args.format),
      catch: (e) => (e instanceof UsageError ? e : new UsageError({ message: `SQL: ${oneLineSqlError(e)}` }))
    })
).pipe(Command.withDescription("Query stage datasets or bundles with SQL (embedded DuckDB, read-only): each stage's shards are a view named after the stage"))
