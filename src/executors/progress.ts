/**
 * Progress for people: a one-line bar redrawn on a terminal, a plain log line now and then elsewhere
 * (CI logs, files), so logs stay readable and terminals stay calm. Progress is measured in the work a
 * stage does (bytes of input files for ingest, documents and their text bytes otherwise), not in tasks:
 * one large task would otherwise hold the bar still for most of a run.
 */
import type { TaskStats } from "../core/stats.ts"
import type { ExecutorEvents } from "./local.ts"

export interface ProgressReporter extends ExecutorEvents {
  readonly finish: () => void
}

/** How much work a stage has, as far as it is known before it runs. */
export interface ProgressTotals {
  readonly tasks: number
  readonly pending: number
  /** Records the whole stage reads (documents of its input dataset); null when unknown (ingest: JSONL lines are counted as read). */
  readonly records: number | null
  /** Bytes the whole stage reads (input files for ingest, document text otherwise); null when unknown. */
  readonly bytes: number | null
  /** Records and bytes read by tasks finished before this execution (a resumed stage). */
  readonly doneRecords: number
  readonly doneBytes: number
}

/** Seconds between two progress lines off a terminal (`SCICURATE_PROGRESS_SECONDS`, default 10; 0 prints every update). */
export const logInterval = (): number => {
  const v = Number(process.env.SCICURATE_PROGRESS_SECONDS)
  return Number.isFinite(v) && v >= 0 ? v : 10
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString("en-US")

export function fmtBytes(b: number): string {
  if (b < 1e3) return `${Math.round(b)} B`
  if (b < 1e6) return `${(b / 1e3).toFixed(1)} kB`
  if (b < 1e9) return `${(b / 1e6).toFixed(1)} MB`
  return `${(b / 1e9).toFixed(2)} GB`
}

export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?"
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`
}

/** The state of a stage's progress, as numbers; `progressLine` renders it. */
export interface ProgressState {
  readonly stage: string
  readonly totals: ProgressTotals
  /** Read so far, including what finished tasks had read before this execution. */
  readonly records: number
  readonly bytes: number
  readonly tasksDone: number
  /** Seconds since this execution of the stage started. */
  readonly elapsed: number
}

/**
 * What progress is measured in: bytes when their total is known and the stage reports bytes (or nothing
 * else is known: ingest), else records when their total is known (a phase that reads no text reports only
 * records), else null (finished tasks).
 */
function measure(p: ProgressState): { total: number; done: number; doneBefore: number } | null {
  const { totals } = p
  const bytesReported = p.bytes > totals.doneBytes || p.records === totals.doneRecords
  if (totals.bytes && (bytesReported || totals.records === null)) return { total: totals.bytes, done: p.bytes, doneBefore: totals.doneBytes }
  if (totals.records) return { total: totals.records, done: p.records, doneBefore: totals.doneRecords }
  return null
}

/** Fraction done in [0, 1]: by bytes or records (see `measure`), else by finished tasks. */
export function fractionDone(p: ProgressState): number {
  if (p.tasksDone >= p.totals.tasks) return 1
  const m = measure(p)
  const f = m ? m.done / m.total : p.tasksDone / Math.max(1, p.totals.tasks)
  // Never 100% while a task still runs (a total can be an estimate).
  return Math.min(0.99, Math.max(0, f))
}

/** Seconds left, from the rate of this execution; null until there is a rate to go by. */
export function secondsLeft(p: ProgressState): number | null {
  if (fractionDone(p) >= 1) return 0
  const m = measure(p)
  if (m === null || m.done <= m.doneBefore || p.elapsed <= 0) return null
  return Math.max(0, m.total - m.done) / ((m.done - m.doneBefore) / p.elapsed)
}

/**
 * One line: `tokenize  [#####-----]  45%  1,234/2,700 records  1.2/2.7 MB  850 rec/s  0.8 MB/s  ETA 2 s  tasks 1/2`.
 * When the stage is done: the rates are over the whole execution and `done in` replaces the ETA.
 */
export function progressLine(p: ProgressState, width = 20): string {
  const f = fractionDone(p)
  const filled = Math.round(f * width)
  const { totals } = p
  const seconds = Math.max(p.elapsed, 1e-3)
  const records = totals.records !== null ? `${fmtInt(p.records)}/${fmtInt(totals.records)} records` : `${fmtInt(p.records)} records`
  const bytes = totals.bytes !== null ? `${fmtBytes(p.bytes)}/${fmtBytes(totals.bytes)}` : fmtBytes(p.bytes)
  const rate = `${fmtInt((p.records - totals.doneRecords) / seconds)} rec/s  ${fmtBytes((p.bytes - totals.doneBytes) / seconds)}/s`
  const left = secondsLeft(p)
  const eta = f >= 1 ? `done in ${fmtDuration(p.elapsed)}` : `ETA ${left === null ? "?" : fmtDuration(left)}`
  return [
    p.stage.padEnd(9),
    `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`,
    `${String(Math.floor(f * 100)).padStart(3)}%`,
    records,
    bytes,
    rate,
    eta,
    `tasks ${p.tasksDone}/${totals.tasks}`
  ].join("  ")
}

/** What a task of a phase did, from its notes (`noted:<what>` counts): "52 documents hashed, 5 exact copies". */
export function phaseWork(stats: Pick<TaskStats, "reasons">): string | null {
  const parts = Object.entries(stats.reasons)
    .filter(([k]) => k.startsWith("noted:"))
    .map(([k, v]) => `${fmtInt(v)} ${k.slice("noted:".length).replaceAll("-", " ")}`)
  return parts.length > 0 ? parts.join(", ") : null
}

export function progressReporter(stage: string, totals: ProgressTotals, out: NodeJS.WriteStream = process.stderr): ProgressReporter {
  const tty = out.isTTY === true
  const started = performance.now()
  const interval = logInterval() * 1000
  let records = totals.doneRecords
  let bytes = totals.doneBytes
  let tasksDone = totals.tasks - totals.pending
  let lastLog = started
  let lastDraw = 0
  const state = (): ProgressState => ({ stage, totals, records, bytes, tasksDone, elapsed: (performance.now() - started) / 1000 })
  const draw = (force = false) => {
    const now = performance.now()
    if (tty) {
      if (!force && now - lastDraw < 100) return
      lastDraw = now
      out.write(`\r${progressLine(state())}\x1b[K`)
    } else if (force || now - lastLog >= interval) {
      lastLog = now
      out.write(`${progressLine(state())}\n`)
    }
  }
  return {
    onProgress: (r, b) => {
      records += r
      bytes += b
      draw()
    },
    onTaskDone: (_rank: number, _stats: TaskStats | null) => {
      tasksDone++
      if (tty) draw(true)
    },
    finish: () => {
      if (tty) out.write(`\r${progressLine(state())}\x1b[K\n`)
      else out.write(`${progressLine(state())}\n`)
    }
  }
}
