import { describe, expect, it } from "vitest"
import { sliceRows, type RowGroupSize } from "../../src/core/slices.ts"
import type { StagePlan } from "../../src/core/stage.ts"
import { planChanges } from "../../src/pipeline/plan.ts"

/** Bytes each task gets, rows taken as equal in size within a row group. */
const bytesPerTask = (groups: ReadonlyArray<RowGroupSize>, world: number): number[] => {
  const slices = sliceRows(groups, world)
  return slices.map((mine) =>
    mine.reduce((sum, s) => {
      // Walk the shard's groups to price the slice's rows.
      let first = 0
      let bytes = 0
      for (const g of groups.filter((g) => g.shard === s.shard)) {
        const from = Math.max(s.start, first)
        const to = Math.min(s.end, first + g.rows)
        if (to > from) bytes += ((to - from) / g.rows) * g.bytes
        first += g.rows
      }
      return sum + bytes
    }, 0)
  )
}

describe("row slices", () => {
  const shapes: Record<string, RowGroupSize[]> = {
    "one shard, one row group": [{ shard: 0, rows: 10_000, bytes: 100_000_000 }],
    "one shard holding everything, others empty": [{ shard: 0, rows: 5000, bytes: 40_000_000 }, { shard: 0, rows: 5000, bytes: 40_000_000 }, { shard: 1, rows: 1, bytes: 10 }],
    "many tiny shards": Array.from({ length: 37 }, (_, i) => ({ shard: i, rows: 3 + (i % 5), bytes: 1000 + i * 17 })),
    "uneven shards": [{ shard: 0, rows: 100, bytes: 9_000_000 }, { shard: 1, rows: 10, bytes: 100_000 }, { shard: 2, rows: 1000, bytes: 3_000_000 }]
  }
  for (const [name, groups] of Object.entries(shapes)) {
    it(`cover every row once, in order, with no task above 1.5x the mean bytes: ${name}`, () => {
      for (const world of [1, 2, 3, 4, 7]) {
        const slices = sliceRows(groups, world)
        expect(slices).toHaveLength(world)
        // Every row of every shard exactly once, and the tasks in rank order read the rows in order.
        const flat = slices.flat()
        const rowsOf = new Map<number, number>()
        for (const g of groups) rowsOf.set(g.shard, (rowsOf.get(g.shard) ?? 0) + g.rows)
        let at = { shard: -1, row: 0 }
        for (const s of flat) {
          if (s.shard !== at.shard) {
            expect(s.shard).toBeGreaterThan(at.shard)
            if (at.shard >= 0) expect(at.row).toBe(rowsOf.get(at.shard))
            at = { shard: s.shard, row: 0 }
          }
          expect(s.start).toBe(at.row)
          expect(s.end).toBeGreaterThan(s.start)
          at.row = s.end
        }
        expect(at.row).toBe(rowsOf.get(at.shard))
        const bytes = bytesPerTask(groups, world)
        const mean = bytes.reduce((a, b) => a + b, 0) / world
        const rows = [...rowsOf.values()].reduce((a, b) => a + b, 0)
        // Rows are indivisible: a task may be off by the largest row's bytes.
        const largestRow = Math.max(...groups.map((g) => g.bytes / g.rows))
        if (rows >= world * 4) for (const b of bytes) expect(b).toBeLessThanOrEqual(1.5 * mean + largestRow)
        expect(sliceRows(groups, world)).toEqual(slices)
      }
    })
  }
})

describe("what changed between two plans", () => {
  const plan = (over: Partial<StagePlan>): StagePlan => ({
    format: "scicurate-plan/1",
    stage: "ingest",
    position: 0,
    world: 4,
    params: { min_chars: 20, near: { threshold: 0.7 } },
    input: { kind: "files", assignments: [] },
    dir: "/w/ingest",
    lineage: [],
    pipeline: { name: "p", file: null, configSha256: "c", tokenizer: "o200k_base", output: "/w/bundles" },
    version: "1",
    identity: [["a.jsonl", "/d/a.jsonl", 10, 1, 0, null, null], ["b.txt", "/d/b.txt", 5, 1, 0, null, null]],
    upstreamHash: null,
    hash: "h1",
    ...over
  })
  it("names the settings, the tasks and the inputs that changed", () => {
    const before = plan({})
    const after = plan({
      hash: "h2",
      world: 8,
      params: { min_chars: 400, near: { threshold: 0.8 } },
      identity: [["a.jsonl", "/d/a.jsonl", 11, 2, 0, null, null], ["c.txt", "/d/c.txt", 5, 1, 0, null, null]]
    })
    expect(planChanges(before, after)).toEqual([
      "setting min_chars (20 -> 400)",
      "setting near.threshold (0.7 -> 0.8)",
      "tasks (4 -> 8)",
      "input c.txt added",
      "input b.txt removed",
      "input a.jsonl changed"
    ])
  })
  it("says when the stage before was redone, and when only an old plan without the details differs", () => {
    expect(planChanges(plan({ upstreamHash: "u1" }), plan({ upstreamHash: "u2", hash: "h2", input: { kind: "dataset", dir: "/w/ingest", shards: [] } }))).toEqual([
      "its input /w/ingest (the stage before it was redone)"
    ])
    const { version: _v, identity: _i, upstreamHash: _u, ...old } = plan({})
    expect(planChanges(old as StagePlan, plan({ hash: "h2" }))).toEqual(["the plan (written by an older scicurate)"])
  })
})
