import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api"
import { openDuckDB } from "../../src/core/duckdb.ts"
import { ShardWriter, readBatches, readParquetSql, type ColumnBatch, type ColumnSpec } from "../../src/core/parquet.ts"
import { tempDir } from "../helpers.ts"

const COLUMNS: ColumnSpec = [
  ["id", "VARCHAR"],
  ["text", "VARCHAR"],
  ["n", "BIGINT"]
]

function batchOf(from: number, count: number): ColumnBatch {
  const ids = Array.from({ length: count }, (_, i) => `doc-${String(from + i).padStart(6, "0")}`)
  return {
    id: ids,
    text: ids.map((id, i) => (i % 7 === 0 ? null : `${id} `.repeat(1 + ((from + i) % 13)))),
    n: ids.map((_, i) => from + i)
  }
}

describe("ShardWriter", () => {
  let db: { instance: DuckDBInstance; connection: DuckDBConnection }
  const dir = tempDir()
  beforeAll(async () => {
    db = await openDuckDB()
  })
  afterAll(() => {
    db.connection.closeSync()
    db.instance.closeSync()
  })

  const countRows = async (file: string) =>
    (await db.connection.runAndReadAll(`SELECT count(*) AS n FROM ${readParquetSql([file])}`)).getRowObjectsJS()[0]!.n

  const write = async (target: string, runBytes: number) => {
    const writer = await ShardWriter.open(db.connection, COLUMNS, path.join(dir, `scratch-${runBytes}`), runBytes)
    for (let from = 0; from < 10_000; from += 999) await writer.append(batchOf(from, Math.min(999, 10_000 - from)), Math.min(999, 10_000 - from))
    await writer.finish(target)
  }

  it("keeps every row in order whether or not it spills to runs, and cleans up its runs", async () => {
    const whole = path.join(dir, "whole.parquet")
    const spilled = path.join(dir, "spilled.parquet")
    await write(whole, 1 << 30)
    await write(spilled, 20_000) // ~50 runs
    expect(fs.readdirSync(path.join(dir, "scratch-20000"))).toEqual([])
    const read = async (file: string) => {
      const rows: unknown[] = []
      for await (const { batch: b, rowCount: n } of readBatches(db.connection, `SELECT * FROM ${readParquetSql([file])}`)) {
        for (let i = 0; i < n; i++) rows.push([b.id![i], b.text![i], b.n![i]])
      }
      return rows
    }
    const a = await read(whole)
    const b = await read(spilled)
    expect(a.length).toBe(10_000)
    expect(b).toEqual(a)
    expect(a[7]).toEqual(["doc-000007", null, 7n])
    expect(a[9_999]).toEqual(["doc-009999", "doc-009999 ".repeat(1 + (9_999 % 13)), 9_999n])
  })

  it("spills while a scan streams on another connection without cutting the scan short", async () => {
    const source = path.join(dir, "whole.parquet")
    const target = path.join(dir, "copied.parquet")
    const writeConnection = await db.instance.connect()
    const writer = await ShardWriter.open(writeConnection, COLUMNS, path.join(dir, "scratch-scan"), 5_000)
    let seen = 0
    for await (const { batch, rowCount } of readBatches(db.connection, `SELECT * FROM ${readParquetSql([source])}`)) {
      seen += rowCount
      await writer.append(batch, rowCount)
    }
    await writer.finish(target)
    writeConnection.closeSync()
    expect(seen).toBe(10_000)
    expect(await countRows(target)).toBe(10_000n)
  })

  it("keeps rows whose text columns are all empty or null, even right after a spill", async () => {
    const target = path.join(dir, "empties.parquet")
    const writer = await ShardWriter.open(db.connection, COLUMNS, path.join(dir, "scratch-empties"), 1)
    await writer.append(batchOf(0, 10), 10)
    await writer.append({ id: ["", "", null], text: [null, "", null], n: [1, 2, 3] }, 3)
    await writer.finish(target)
    expect(await countRows(target)).toBe(13n)
  })

  it("leaves no file at the target until the shard is complete", async () => {
    const target = path.join(dir, "atomic.parquet")
    const writer = await ShardWriter.open(db.connection, COLUMNS, path.join(dir, "scratch-atomic"), 1000)
    await writer.append(batchOf(0, 500), 500)
    expect(fs.existsSync(target)).toBe(false)
    await writer.finish(target)
    expect(fs.existsSync(target)).toBe(true)
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([])
  })
})
