/**
 * The local executor: runs a plan's pending tasks as worker processes on this machine, at most `workers`
 * at a time. Processes (not threads) because a task owns a DuckDB instance and a WASM tokenizer, and
 * because a Slurm array element runs exactly the same entry point (`task-main.ts PLAN RANK`).
 */
import { fork } from "node:child_process"
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { StageFailed } from "../core/errors.ts"
import { stageLayout } from "../core/layout.ts"
import type { StagePlan } from "../core/stage.ts"
import type { TaskStats } from "../core/stats.ts"

const TASK_MAIN = fileURLToPath(new URL("./task-main.ts", import.meta.url))

export interface ExecutorEvents {
  readonly onProgress: (records: number, bytes: number) => void
  readonly onTaskDone: (rank: number, stats: TaskStats | null) => void
}

export interface LocalExecutorOptions {
  readonly workers: number
}

export const pendingRanks = (plan: StagePlan): number[] => {
  const layout = stageLayout(plan.dir)
  return Array.from({ length: plan.world }, (_, r) => r).filter((r) => !fs.existsSync(layout.done(r)))
}

export const runLocal = (
  plan: StagePlan,
  planFile: string,
  options: LocalExecutorOptions,
  events: ExecutorEvents
): Effect.Effect<void, StageFailed> =>
  Effect.gen(function* () {
    const ranks = pendingRanks(plan)
    const failures: Array<{ rank: number; detail: string }> = []
    yield* Effect.forEach(
      ranks,
      (rank) =>
        runWorker(planFile, rank, events).pipe(
          Effect.catch((detail: string) => Effect.sync(() => failures.push({ rank, detail })))
        ),
      { concurrency: Math.max(1, options.workers), discard: true }
    )
    if (failures.length > 0) {
      failures.sort((a, b) => a.rank - b.rank)
      return yield* new StageFailed({ stage: plan.stage, failures })
    }
  })

/** One worker process for one task; fails with the tail of its stderr. Interruption kills the process. */
const runWorker = (planFile: string, rank: number, events: ExecutorEvents): Effect.Effect<void, string> =>
  Effect.callback<void, string>((resume, signal) => {
    const child = fork(TASK_MAIN, [planFile, String(rank)], {
      stdio: ["ignore", "inherit", "pipe", "ipc"],
      execArgv: ["--disable-warning=ExperimentalWarning"]
    })
    let stderr = ""
    let stats: TaskStats | null = null
    child.stderr?.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString("utf8")).slice(-4000)
    })
    child.on("message", (m: { type: string; records?: number; bytes?: number; outcome?: { _tag: string; stats?: TaskStats } }) => {
      if (m.type === "progress") events.onProgress(m.records ?? 0, m.bytes ?? 0)
      else if (m.type === "done") stats = m.outcome?.stats ?? null
    })
    const onAbort = () => child.kill("SIGTERM")
    signal.addEventListener("abort", onAbort)
    child.on("error", (e) => resume(Effect.fail(`could not start worker: ${e.message}`)))
    child.on("exit", (code, sig) => {
      signal.removeEventListener("abort", onAbort)
      if (code === 0) {
        events.onTaskDone(rank, stats)
        resume(Effect.void)
      } else resume(Effect.fail(stderr.trim() || `worker exited with ${sig ?? `code ${code}`}`))
    })
  })
