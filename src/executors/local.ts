/**
 * The local executor: runs a plan's pending tasks in worker processes on this machine, `workers` at a
 * time. Processes (not threads) because a task owns a DuckDB instance and a WASM tokenizer, and because a
 * Slurm array element runs the same code (`task-main.ts PLAN RANK`). Workers serve task after task, and a
 * pool lives for a whole `run`, so process start-up is paid once per worker, not once per task or stage.
 */
import { fork, type ChildProcess } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { StageFailed } from "../core/errors.ts"
import { isTaskDone, type StagePlan } from "../core/stage.ts"
import type { TaskStats } from "../core/stats.ts"
import type { FromWorker, ToWorker } from "./task-main.ts"

const TASK_MAIN = fileURLToPath(new URL("./task-main.ts", import.meta.url))
/** Caps a worker's JS heap, so a runaway document fails its task with an out-of-memory error instead of exhausting the machine. */
const WORKER_HEAP_MB = Number(process.env.SCICURATE_WORKER_HEAP_MB) || 2048

export interface ExecutorEvents {
  readonly onProgress: (records: number, bytes: number) => void
  readonly onTaskDone: (rank: number, stats: TaskStats | null) => void
}

export const pendingRanks = (plan: StagePlan): number[] => Array.from({ length: plan.world }, (_, r) => r).filter((r) => !isTaskDone(plan, r))

type Failure = { rank: number; detail: string }

/** One worker process and the task it is running, if any. */
interface Worker {
  readonly child: ChildProcess
  stderr: string
  current: number | null
  /** Called when the worker finishes its current task (or dies); set by the run that gave it the task. */
  onIdle: ((failure: Failure | null) => void) | null
}

/**
 * A pool of at most `size` worker processes, started on demand and kept until `close`. One stage runs
 * through it at a time (`run`): ranks go to workers as they become free; a failing task is recorded and
 * the others go on; a worker that dies takes only its current task down and is replaced.
 */
export class WorkerPool {
  private readonly size: number
  private readonly workers = new Set<Worker>()
  private events: ExecutorEvents | null = null

  constructor(size: number) {
    this.size = Math.max(1, size)
  }

  private start(): Worker {
    const child = fork(TASK_MAIN, ["--serve"], {
      stdio: ["ignore", "inherit", "pipe", "ipc"],
      execArgv: ["--disable-warning=ExperimentalWarning", `--max-old-space-size=${WORKER_HEAP_MB}`]
    })
    const worker: Worker = { child, stderr: "", current: null, onIdle: null }
    this.workers.add(worker)
    child.stderr?.on("data", (d: Buffer) => {
      worker.stderr = (worker.stderr + d.toString("utf8")).slice(-4000)
    })
    const idle = (failure: Failure | null) => {
      const done = worker.onIdle
      worker.current = null
      worker.onIdle = null
      done?.(failure)
    }
    child.on("message", (m: FromWorker) => {
      if (m.type === "progress") this.events?.onProgress(m.records, m.bytes)
      else if (m.type === "done") {
        this.events?.onTaskDone(m.rank, m.outcome._tag === "Ran" ? m.outcome.stats : null)
        idle(null)
      } else if (m.type === "failed") idle({ rank: m.rank, detail: m.error.trim() })
    })
    child.on("error", (e) => {
      if (worker.current !== null) worker.stderr += `\nworker error: ${e.message}`
    })
    child.on("exit", (code, sig) => {
      this.workers.delete(worker)
      if (worker.current !== null) idle({ rank: worker.current, detail: worker.stderr.trim() || `worker died (${sig ?? `exit code ${code}`})` })
    })
    return worker
  }

  /** Run `ranks` of the plan in `planFile`; resolves with the failed tasks once all have ended. */
  run(planFile: string, ranks: ReadonlyArray<number>, events: ExecutorEvents, signal: AbortSignal): Promise<Failure[]> {
    this.events = events
    const queue = [...ranks]
    const failures: Failure[] = []
    let running = 0
    return new Promise((resolve) => {
      const onAbort = () => {
        for (const w of this.workers) w.child.kill("SIGTERM")
      }
      signal.addEventListener("abort", onAbort)
      const dispatch = (worker: Worker) => {
        const rank = queue.shift()
        if (rank === undefined || signal.aborted) return false
        running++
        worker.current = rank
        worker.stderr = "" // a failure report carries this task's output, not an earlier one's
        worker.onIdle = (failure) => {
          running--
          if (failure) failures.push(failure)
          fill()
        }
        worker.child.send({ type: "run", planFile, rank } satisfies ToWorker)
        return true
      }
      const fill = () => {
        for (const w of this.workers) if (w.current === null && !dispatch(w)) break
        while (queue.length > 0 && !signal.aborted && this.workers.size < this.size) if (!dispatch(this.start())) break
        if (running === 0 && (queue.length === 0 || signal.aborted)) {
          signal.removeEventListener("abort", onAbort)
          this.events = null
          resolve(failures)
        }
      }
      fill()
    })
  }

  /**
   * Let every worker exit, and resolve once they all have. An idle worker is asked to leave; one still in
   * a task (the run was interrupted: Ctrl-C, SIGTERM) is stopped, and killed if it has not ended within
   * `graceMs`, so nothing writes into the work folder once its lock is released.
   */
  close(graceMs = 5000): Promise<void> {
    const exits = [...this.workers].map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve()
          w.child.once("exit", () => resolve())
          if (w.current === null && w.child.connected) w.child.send({ type: "exit" } satisfies ToWorker)
          else w.child.kill("SIGTERM")
          setTimeout(() => w.child.kill("SIGKILL"), graceMs).unref()
        })
    )
    this.workers.clear()
    return Promise.all(exits).then(() => undefined)
  }
}

/** A pool for the duration of a scope; closing it waits until every worker has exited. */
export const workerPool = (size: number) =>
  Effect.acquireRelease(
    Effect.sync(() => new WorkerPool(size)),
    (pool) => Effect.promise(() => pool.close())
  )

export const runLocal = (plan: StagePlan, planFile: string, pool: WorkerPool, events: ExecutorEvents): Effect.Effect<void, StageFailed> =>
  Effect.gen(function* () {
    const failures = yield* Effect.promise((signal) => pool.run(planFile, pendingRanks(plan), events, signal))
    if (failures.length > 0) return yield* new StageFailed({ stage: plan.stage, failures: failures.sort((a, b) => a.rank - b.rank) })
  })
