/**
 * Progress for people: a one-line bar redrawn on a terminal, plain log lines elsewhere (CI logs, files),
 * so logs stay readable and terminals stay calm.
 */
import type { TaskStats } from "../core/stats.ts"
import type { ExecutorEvents } from "./local.ts"

export interface ProgressReporter extends ExecutorEvents {
  readonly finish: () => void
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1)

export function progressReporter(
  stage: string,
  totals: { tasks: number; pending: number; records: number | null; bytes: number | null },
  out: NodeJS.WriteStream = process.stderr
): ProgressReporter {
  const tty = out.isTTY === true
  const started = performance.now()
  let records = 0
  let bytes = 0
  let tasksDone = totals.tasks - totals.pending
  let lastLog = started
  let lastDraw = 0
  const elapsed = () => (performance.now() - started) / 1000
  const line = () => {
    const frac = totals.bytes ? bytes / totals.bytes : totals.records ? records / totals.records : tasksDone / Math.max(1, totals.tasks)
    const width = 24
    const filled = Math.min(width, Math.round(Math.min(1, frac) * width))
    const rate = records / Math.max(elapsed(), 1e-3)
    return `${stage.padEnd(9)} [${"#".repeat(filled)}${" ".repeat(width - filled)}] tasks ${tasksDone}/${totals.tasks}  ${records} records  ${mb(bytes)} MB  ${rate.toFixed(0)} rec/s`
  }
  const draw = (force = false) => {
    const now = performance.now()
    if (tty) {
      if (!force && now - lastDraw < 100) return
      lastDraw = now
      out.write(`\r${line()}\x1b[K`)
    } else if (force || now - lastLog > 10_000) {
      lastLog = now
      out.write(`${line()}\n`)
    }
  }
  return {
    onProgress: (r, b) => {
      records += r
      bytes += b
      draw()
    },
    onTaskDone: (rank: number, stats: TaskStats | null) => {
      tasksDone++
      if (tty) draw(true)
      else if (stats)
        out.write(
          `${stage}: task ${rank + 1}/${totals.tasks} done: ${stats.records_in} in, ${stats.documents_out} out, ` +
            `${stats.filtered} filtered, ${stats.duplicates} duplicates, ${stats.rejected} rejected (${stats.seconds.toFixed(1)} s)\n`
        )
    },
    finish: () => {
      if (tty) out.write(`\r${line()}\x1b[K\n`)
    }
  }
}
