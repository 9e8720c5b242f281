/** The bundle stage's pure rules: split by id (JS and SQL agree), shard cuts, task assignment, names. */
import { DuckDBInstance } from "@duckdb/node-api"
import { createHash } from "node:crypto"
import { describe, expect, it } from "vitest"
import { assignBundles, assignUnits, parquetShardPath, ShardCutter, splitOf, splitSql, tokenShardPrefix, type ShardUnit } from "../../src/bundle/split.ts"

const sha = (s: string) => createHash("sha256").update(s).digest("hex")

describe("splits", () => {
  const ids = Array.from({ length: 20_000 }, (_, i) => sha(`document ${i}`))

  it("puts about the requested fraction in validation, and the same ids whatever else is in the data", () => {
    const val = ids.filter((id) => splitOf(id, 0.05) === "validation")
    expect(val.length / ids.length).toBeGreaterThan(0.04)
    expect(val.length / ids.length).toBeLessThan(0.06)
    // A document's split depends on its id only: a subset of the data splits it the same way.
    const subset = ids.slice(0, 1000)
    expect(subset.filter((id) => splitOf(id, 0.05) === "validation")).toEqual(val.filter((id) => subset.includes(id)))
    // A larger fraction only adds documents to validation; none moves back to train.
    const wider = new Set(ids.filter((id) => splitOf(id, 0.1) === "validation"))
    expect(val.every((id) => wider.has(id))).toBe(true)
    expect(ids.every((id) => splitOf(id, 0) === "train")).toBe(true)
  })

  it("is the same rule in SQL as in JS, for hex ids and for foreign ids", async () => {
    const db = await DuckDBInstance.create(":memory:")
    const c = await db.connect()
    const sample = [...ids.slice(0, 3000), "not-a-hex-id", "Zebra 42", "", "abc", "ab_cdef0123", "ABCDEF01zz"]
    await c.run("CREATE TABLE t (id VARCHAR)")
    const appender = await c.createAppender("t")
    for (const id of sample) {
      appender.appendVarchar(id)
      appender.endRow()
    }
    appender.closeSync()
    const rows = (await c.runAndReadAll(`SELECT id, ${splitSql(0.2)} AS split FROM t`)).getRowObjects()
    for (const r of rows) expect(r.split, String(r.id)).toBe(splitOf(String(r.id), 0.2))
    expect(rows.filter((r) => r.split === "validation").length).toBeGreaterThan(450)
    c.closeSync()
  })
})

describe("ShardCutter", () => {
  it("starts a new shard before a document that would overflow, never leaves one empty", () => {
    const cut = new ShardCutter(100)
    expect([40, 50, 20, 100, 250, 1, 99, 1].map((s) => cut.place(s))).toEqual([0, 0, 1, 2, 3, 4, 4, 5])
    expect(cut.shards).toBe(6)
    expect(new ShardCutter(10).shards).toBe(0)
  })
})

describe("assignBundles", () => {
  it("balances bundles over tasks largest first and gives every task the same answer", () => {
    const sizes = [
      { name: "chemistry", documents: 10, tokens: 1000 },
      { name: "biology", documents: 10, tokens: 900 },
      { name: "unrouted", documents: 5, tokens: 100 },
      { name: "climate", documents: 10, tokens: 800 }
    ]
    const a = assignBundles(sizes, 2)
    expect(Object.fromEntries(a)).toEqual({ chemistry: 0, biology: 1, climate: 1, unrouted: 0 })
    expect(Object.fromEntries(assignBundles([...sizes].reverse(), 2))).toEqual(Object.fromEntries(a))
    expect(new Set(assignBundles(sizes, 1).values())).toEqual(new Set([0]))
  })
})

describe("assignUnits", () => {
  // One bundle with 90% of the bytes in 18 shards, two small ones: shards, not bundles, are shared out.
  const unit = (bundle: string, shard: number, of: number, bytes: number): ShardUnit => ({ bundle, split: "train", shard, of, rows: Math.ceil(bytes / 100), tokens: bytes / 4, bytes })
  const units = [
    ...Array.from({ length: 18 }, (_, k) => unit("climate", k, 18, k === 17 ? 40_000 : 100_000)),
    unit("biology", 0, 1, 90_000),
    unit("unrouted", 0, 1, 50_000)
  ]
  const loads = (assignment: number[], world: number, of: ReadonlyArray<ShardUnit> = units) => {
    const load = new Array<number>(world).fill(0)
    assignment.forEach((r, i) => (load[r]! += of[i]!.bytes))
    return load
  }

  it("keeps every task within the mean plus one shard, and gives every task the same answer whatever the order", () => {
    for (const world of [1, 2, 3, 4, 7]) {
      const a = assignUnits(units, world)
      const load = loads(a, world)
      const mean = load.reduce((x, y) => x + y, 0) / world
      for (const l of load) expect(l).toBeLessThanOrEqual(mean + 100_000)
      if (world <= 4) for (const l of load) expect(l).toBeLessThanOrEqual(1.5 * mean)
      const reversed = assignUnits([...units].reverse(), world).reverse()
      expect(reversed).toEqual(a)
    }
    // The dominant bundle's shards land on every task.
    const a = assignUnits(units, 4)
    expect(new Set(units.flatMap((u, i) => (u.bundle === "climate" ? [a[i]] : [])))).toEqual(new Set([0, 1, 2, 3]))
  })

  it("cannot split a shard: one shard larger than a task's share is one task's work", () => {
    const big = [unit("climate", 0, 1, 900_000), unit("biology", 0, 1, 100_000)]
    expect(loads(assignUnits(big, 4), 4, big).sort((x, y) => y - x)).toEqual([900_000, 100_000, 0, 0])
  })
})

it("names shards the Hugging Face way and token shards as Megatron prefixes", () => {
  expect(parquetShardPath("train", 0, 3)).toBe("data/train-00000-of-00003.parquet")
  expect(parquetShardPath("validation", 12, 13)).toBe("data/validation-00012-of-00013.parquet")
  expect(tokenShardPrefix("o200k_base", "train", 1, 2)).toBe("tokens/o200k_base/train-00001-of-00002")
})
