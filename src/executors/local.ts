/**
 * The local executor: runs a plan's pending tasks in worker processes on this machine, `workers` at a
 * time. Processes (not threads) because a task owns a DuckDB instance and a WASM tokenizer, and because a
 * Slurm array element runs the same code (`task-main.ts PLAN RANK`). Each worker serves several tasks in
 * turn, so start-up is paid once per worker, not once per task.
 */
import { fork, type ChildProcess } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { StageFailed } from "../core/errors.ts"
import { isTaskDone, type StagePlan } from "../core/stage.ts"
import type { TaskStats } from "../core/stats.ts"
import type { FromWorker, ToWorker } from "./task-main.ts"

const TASK_MAIN = fileURLToPath(new URL("./task-main.ts", import.meta.url))
const WORKER_HEAP_MB = Number(process.env.SCICURATE_WORKER_HEAP_MB) || 2048

export interface ExecutorEvents {
  readonly onProgress: (records: number, bytes: number) => void
  readonly onTaskDone: (rank: number, stats: TaskStats | null) => void
}

export interface LocalExecutorOptions {
  readonly workers: number
}

export const pendingRanks = (plan: StagePlan): number[] => Array.from({ length: plan.world }, (_, r) => r).filter((r) => !isTaskDone(plan, r))

type Failure = { rank: number; detail: string }

export const runLocal = (
  plan: StagePlan,
  planFile: string,
  options: LocalExecutorOptions,
  events: ExecutorEvents
): Effect.Effect<void, StageFailed> =>
  Effect.gen(function* () {
    const queue = pendingRanks(plan)
    const workers = Math.min(Math.max(1, options.workers), queue.length)
    const failures = yield* Effect.promise((signal) => runPool(planFile, queue, workers, events, signal))
    if (failures.length > 0) return yield* new StageFailed({ stage: plan.stage, failures: failures.sort((a, b) => a.rank - b.rank) })
  })

/**
 * Hand ranks to workers as they become free. A task that fails is recorded and the others go on; a worker
 * that dies takes only its current task down, and a new worker takes over the rest of the queue.
 */
function runPool(planFile: string, queue: number[], workers: number, events: ExecutorEvents, signal: AbortSignal): Promise<Failure[]> {
  return new Promise((resolve) => {
    const failures: Failure[] = []
    const live = new Set<ChildProcess>()
    const finish = () => {
      if (live.size === 0) resolve(failures)
    }
    signal.addEventListener("abort", () => {
      for (const child of live) child.kill("SIGTERM")
    })

    const startWorker = () => {
      const child = fork(TASK_MAIN, ["--serve"], {
        stdio: ["ignore", "inherit", "pipe", "ipc"],
        // A bounded V8 heap makes the collector run before garbage strings (whole batches of documents)
        // pile up to gigabytes; DuckDB's own memory is capped separately (SCICURATE_TASK_MEMORY).
        execArgv: ["--disable-warning=ExperimentalWarning", `--max-old-space-size=${WORKER_HEAP_MB}`]
      })
      live.add(child)
      let current: number | null = null
      let stderr = ""
      child.stderr?.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString("utf8")).slice(-4000)
      })
      const next = () => {
        const rank = queue.shift()
        if (rank === undefined || signal.aborted) {
          current = null
          child.send({ type: "exit" } satisfies ToWorker)
          return
        }
        current = rank
        stderr = "" // a failure report should carry this task's output, not an earlier one's
        child.send({ type: "run", planFile, rank } satisfies ToWorker)
      }
      child.on("message", (m: FromWorker) => {
        if (m.type === "progress") events.onProgress(m.records, m.bytes)
        else if (m.type === "done") {
          events.onTaskDone(m.rank, m.outcome._tag === "Ran" ? m.outcome.stats : null)
          next()
        } else if (m.type === "failed") {
          failures.push({ rank: m.rank, detail: m.error.trim() })
          next()
        }
      })
      child.on("error", (e) => {
        if (current !== null) failures.push({ rank: current, detail: `worker error: ${e.message}` })
      })
      child.on("exit", (code, sig) => {
        live.delete(child)
        if (current !== null) {
          failures.push({ rank: current, detail: stderr.trim() || `worker died (${sig ?? `exit code ${code}`})` })
          if (queue.length > 0 && !signal.aborted) startWorker()
        }
        finish()
      })
      next()
    }
    for (let i = 0; i < workers; i++) startWorker()
    finish()
  })
}
