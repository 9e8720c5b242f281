/**
 * The filter's speed for `make bench`: the judge (measures and rules at the default settings) over
 * documents already in memory, so the bench can set it against a bare read of the same shards. Pure:
 * returns numbers, prints nothing.
 */
import type { QualityDocument } from "../quality/document.ts"
import { judgeFilter, resolveFilterConfig } from "./rules.ts"

export interface FilterThroughput {
  readonly docsPerSecond: number
  /** UTF-8 megabytes (10^6 bytes) of document text per second. */
  readonly mbPerSecond: number
}

export function measureThroughput(docs: ReadonlyArray<QualityDocument>, rounds: number): FilterThroughput {
  const resolved = resolveFilterConfig({})
  if (typeof resolved === "string") throw new Error(resolved)
  const judge = judgeFilter(resolved)
  let bytes = 0
  for (const d of docs) bytes += Buffer.byteLength(d.text, "utf8")
  // One unmeasured round lets the JIT compile the hot loops, as a long stage run would.
  let kept = 0
  for (const d of docs) if (judge(d).keep) kept++
  const start = performance.now()
  for (let r = 0; r < rounds; r++) for (const d of docs) if (judge(d).keep) kept++
  const seconds = Math.max(1e-9, (performance.now() - start) / 1000)
  // `kept` is read so the loop cannot be optimised away.
  if (kept < 0) throw new Error("unreachable")
  return { docsPerSecond: (docs.length * rounds) / seconds, mbPerSecond: (bytes * rounds) / 1e6 / seconds }
}
