/**
 * Per-task statistics, written to `<stage>/_stats/<rank>.json`. The accounting identity
 * `records_in = documents_out + filtered + duplicates + rejected` must hold for every task:
 * a task that would break it fails instead of writing its marker.
 */
import { Schema } from "effect"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const TaskStats = Schema.Struct({
  stage: Schema.String,
  rank: Count,
  world: Count,
  records_in: Count.annotate({ description: "Input records: files (or JSONL lines) for ingest, documents otherwise" }),
  bytes_in: Count,
  documents_out: Count,
  bytes_out: Count.annotate({ description: "UTF-8 bytes of the output documents' text" }),
  tokens_out: Count,
  filtered: Count,
  duplicates: Count,
  rejected: Count,
  reasons: Schema.Record(Schema.String, Count).annotate({
    description:
      "Counts per reason code, prefixed by outcome: rejected:<code>, filtered:<code>, duplicate:<kind>; noted:<code> counts events on records that went out (e.g. noted:secret-redacted:aws-access-key)"
  }),
  seconds: Schema.Finite,
  peak_rss_bytes: Count.annotate({
    description: "Peak resident memory of the worker process up to the end of this task (a worker may serve several tasks)"
  })
}).annotate({ title: "TaskStats" })
export type TaskStats = typeof TaskStats.Type

/** The counters a stage's task fills in while it runs; timings are added by the task runner. */
export class TaskCounter {
  recordsIn = 0
  bytesIn = 0
  documentsOut = 0
  bytesOut = 0
  tokensOut = 0
  filtered = 0
  duplicates = 0
  rejected = 0
  readonly reasons: Record<string, number> = {}

  /**
   * Count something that happened to a record that still went out (a redacted secret, an unknown
   * license): `noted:<code>` in the reasons, outside the accounting identity.
   */
  note(code: string, n = 1): void {
    const key = `noted:${code}`
    this.reasons[key] = (this.reasons[key] ?? 0) + n
  }

  count(outcome: "rejected" | "filtered" | "duplicate", reason: string, n = 1): void {
    const key = `${outcome}:${reason}`
    this.reasons[key] = (this.reasons[key] ?? 0) + n
    if (outcome === "rejected") this.rejected += n
    else if (outcome === "filtered") this.filtered += n
    else this.duplicates += n
  }

  /** Returns a description of the imbalance, or null when every input is accounted for. */
  imbalance(): string | null {
    const accounted = this.documentsOut + this.filtered + this.duplicates + this.rejected
    return accounted === this.recordsIn
      ? null
      : `records_in ${this.recordsIn} != out ${this.documentsOut} + filtered ${this.filtered} + duplicates ${this.duplicates} + rejected ${this.rejected}`
  }

  toStats(stage: string, rank: number, world: number, seconds: number, peakRssBytes: number): TaskStats {
    const reasons: Record<string, number> = {}
    for (const key of Object.keys(this.reasons).sort()) reasons[key] = this.reasons[key]!
    return {
      stage,
      rank,
      world,
      records_in: this.recordsIn,
      bytes_in: this.bytesIn,
      documents_out: this.documentsOut,
      bytes_out: this.bytesOut,
      tokens_out: this.tokensOut,
      filtered: this.filtered,
      duplicates: this.duplicates,
      rejected: this.rejected,
      reasons,
      seconds,
      peak_rss_bytes: peakRssBytes
    }
  }
}

/** Sum the stats of a stage's tasks. */
export function sumStats(stage: string, all: ReadonlyArray<TaskStats>): Omit<TaskStats, "rank"> & { tasks: number } {
  const reasons: Record<string, number> = {}
  let seconds = 0
  let peak = 0
  const total = { records_in: 0, bytes_in: 0, documents_out: 0, bytes_out: 0, tokens_out: 0, filtered: 0, duplicates: 0, rejected: 0 }
  for (const s of all) {
    for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += s[k]
    for (const [k, v] of Object.entries(s.reasons)) reasons[k] = (reasons[k] ?? 0) + v
    seconds = Math.max(seconds, s.seconds)
    peak = Math.max(peak, s.peak_rss_bytes)
  }
  const sortedReasons: Record<string, number> = {}
  for (const k of Object.keys(reasons).sort()) sortedReasons[k] = reasons[k]!
  return { stage, world: all[0]?.world ?? 0, tasks: all.length, ...total, reasons: sortedReasons, seconds, peak_rss_bytes: peak }
}
