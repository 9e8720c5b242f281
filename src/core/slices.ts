/**
 * Balanced tasks over a dataset: the rows of the input shards, in order, cut into `world` contiguous
 * slices of about equal bytes, so that a stage's tasks share the work whatever the shape of its input
 * (one shard holding everything, many tiny shards). Planning reads the shards' Parquet metadata (rows
 * and compressed bytes per row group); a row group is cut inside by rows, in proportion to its bytes.
 * A task reads its slices with `file_row_number` filters, so a document keeps its (shard, row) key.
 */
import type { DuckDBConnection } from "@duckdb/node-api"
import { sqlString } from "./duckdb.ts"

/** Rows `[start, end)` of input shard number `shard` (an index into the plan's shards). */
export interface RowSlice {
  readonly shard: number
  readonly start: number
  readonly end: number
}

export interface RowGroupSize {
  readonly shard: number
  readonly rows: number
  readonly bytes: number
}

/** Rows and compressed bytes of every row group of `shards`, in shard order then file order. */
export async function rowGroupSizes(connection: DuckDBConnection, shards: ReadonlyArray<string>): Promise<RowGroupSize[]> {
  const out: RowGroupSize[] = []
  // One shard at a time, so that each row group is surely its shard's (no matching of file names).
  for (const [shard, file] of shards.entries()) {
    const rows = (
      await connection.runAndReadAll(
        `SELECT row_group_id, any_value(row_group_num_rows) AS rows, sum(total_compressed_size) AS bytes
         FROM parquet_metadata(${sqlString(file)}) GROUP BY 1 ORDER BY 1`
      )
    ).getRowObjectsJS()
    for (const r of rows) if (Number(r.rows) > 0) out.push({ shard, rows: Number(r.rows), bytes: Number(r.bytes) })
  }
  return out
}

/**
 * Cut the row groups, in order, into `world` slices of about total/world bytes each: task r takes the
 * rows whose cumulative bytes fall in [r·total/world, (r+1)·total/world). Rows inside a row group are
 * taken to be of equal size. Pure, so the same input always gives the same slices.
 */
export function sliceRows(groups: ReadonlyArray<RowGroupSize>, world: number): RowSlice[][] {
  const total = groups.reduce((a, g) => a + Math.max(g.bytes, 1), 0)
  const tasks: RowSlice[][] = Array.from({ length: world }, () => [])
  const rowStart = new Map<number, number>()
  let before = 0
  for (const g of groups) {
    const first = rowStart.get(g.shard) ?? 0
    rowStart.set(g.shard, first + g.rows)
    const bytes = Math.max(g.bytes, 1)
    // The row at which each task's byte boundary falls inside this group.
    const rowAt = (boundary: number) => Math.min(g.rows, Math.max(0, Math.round(((boundary - before) / bytes) * g.rows)))
    for (let r = 0; r < world; r++) {
      const from = rowAt((r * total) / world)
      const to = r === world - 1 ? g.rows : rowAt(((r + 1) * total) / world)
      if (to <= from) continue
      const mine = tasks[r]!
      const last = mine.at(-1)
      if (last && last.shard === g.shard && last.end === first + from) mine[mine.length - 1] = { ...last, end: first + to }
      else mine.push({ shard: g.shard, start: first + from, end: first + to })
    }
    before += bytes
  }
  return tasks
}

/** SQL reading `columns` of one slice, with `doc` (shard·2^32 + row) when `keyRank` is given. */
export function sliceSql(shards: ReadonlyArray<string>, slice: RowSlice, columns: string, where = "true"): string {
  return `SELECT ${columns} FROM read_parquet(${sqlString(shards[slice.shard]!)}, file_row_number = true)
          WHERE file_row_number >= ${slice.start} AND file_row_number < ${slice.end} AND (${where})`
}

/**
 * The slices task `rank` reads: the plan's when it has them, else (a plan of an older version) whole
 * shards `i` with `i mod world = rank`.
 */
export function taskSlices(input: { readonly shards: ReadonlyArray<string>; readonly slices?: ReadonlyArray<ReadonlyArray<RowSlice>> }, rank: number, world: number): RowSlice[] {
  if (input.slices) return [...(input.slices[rank] ?? [])]
  return input.shards.flatMap((_, i) => (i % world === rank ? [{ shard: i, start: 0, end: Number.MAX_SAFE_INTEGER }] : []))
}

/** One query over a task's slices in order (UNION ALL keeps the order with one thread and insertion order on). */
export const slicesSql = (shards: ReadonlyArray<string>, slices: ReadonlyArray<RowSlice>, columns: string, where = "true"): string =>
  slices.map((s) => sliceSql(shards, s, columns, where)).join(" UNION ALL ")
