/**
 * The local executor: runs a plan's pending tasks in worker processes on this machine, `workers` at a
 * time. Processes (not threads) because a task owns a DuckDB instance and a WASM tokenizer, and because a
 * Slurm array element runs the same code (`task-main.ts PLAN RANK`). Workers serve task after task, and a
 * pool lives for a whole `run`, so process start-up is paid once per worker, not once per task or stage.
 *
 * A watchdog per input: a task says which input it starts and its budget (time, resident memory); a
 * worker that overruns it, or dies of heap exhaustion while on it, is killed, the input is recorded in
 * the stage folder's `_poisoned/<rank>.jsonl`, and the task is run again on a fresh worker, rejecting
 * that input unopened. A hung promise (pdfjs) and a synchronous runaway (a catastrophic regex) alike
 * can only be stopped from outside the process, which is why the executor, not the task, does it.
 */
import { fork, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { StageFailed } from "../core/errors.ts"
import { stageLayout } from "../core/layout.ts"
import { isTaskDone, type PoisonedInput, type StagePlan, type WatchedInput } from "../core/stage.ts"
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

/** How a worker's task ended: done, failed, or stopped by the watchdog on an input (to be run again, that input rejected). */
type TaskEnd = { readonly _tag: "Done" } | { readonly _tag: "Failed"; readonly failure: Failure } | { readonly _tag: "Retry" }

/** One worker process and the task it is running, if any. */
interface Worker {
  readonly child: ChildProcess
  stderr: string
  current: number | null
  /** The stage folder of the current task (where the watchdog records a poisoned input). */
  planDir: string | null
  /** The input the current task is reading, with its watchdog timers. */
  input: { readonly watched: WatchedInput; readonly timer: NodeJS.Timeout; readonly memory: NodeJS.Timeout | null } | null
  /** Set when the watchdog killed the worker: its task is run again. */
  poisoned: boolean
  /** Called when the worker finishes its current task (or dies); set by the run that gave it the task. */
  onIdle: ((end: TaskEnd) => void) | null
}

/** A task stopped this many times by the watchdog fails: each stop rejects one more input, so this is a runaway. */
const MAX_WATCHDOG_RESTARTS = 1000
/** How often a worker's resident memory is checked while it reads an input that has a memory limit. */
const MEMORY_POLL_MS = 200

/** Resident memory of a process in bytes (Linux /proc), or null where it cannot be read. */
function residentBytes(pid: number): number | null {
  try {
    const pages = Number(fs.readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1])
    return Number.isFinite(pages) ? pages * 4096 : null
  } catch {
    return null
  }
}

/**
 * Record that a task must reject `key` without opening it, then stop the worker (see WorkerPool):
 * appended as one JSON line, so the rerun of the task finds it whatever happens next.
 */
function poison(worker: Worker, entry: PoisonedInput): void {
  if (worker.planDir === null || worker.current === null || worker.poisoned) return
  const file = stageLayout(worker.planDir).poisoned(worker.current)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.appendFileSync(file, JSON.stringify(entry) + "\n")
  worker.poisoned = true
  worker.child.kill("SIGKILL")
}

const seconds = (ms: number): string => `${Number((ms / 1000).toPrecision(3))} s`

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
    const worker: Worker = { child, stderr: "", current: null, planDir: null, input: null, poisoned: false, onIdle: null }
    this.workers.add(worker)
    child.stderr?.on("data", (d: Buffer) => {
      worker.stderr = (worker.stderr + d.toString("utf8")).slice(-4000)
    })
    const idle = (end: TaskEnd) => {
      this.unwatch(worker)
      const done = worker.onIdle
      worker.current = null
      worker.onIdle = null
      done?.(end)
    }
    child.on("message", (m: FromWorker) => {
      if (m.type === "progress") this.events?.onProgress(m.records, m.bytes)
      else if (m.type === "input") this.watch(worker, m.input)
      else if (m.type === "done") {
        this.events?.onTaskDone(m.rank, m.outcome._tag === "Ran" ? m.outcome.stats : null)
        idle({ _tag: "Done" })
      } else if (m.type === "failed") idle({ _tag: "Failed", failure: { rank: m.rank, detail: m.error.trim() } })
    })
    child.on("error", (e) => {
      if (worker.current !== null) worker.stderr += `\nworker error: ${e.message}`
    })
    child.on("exit", (code, sig) => {
      this.workers.delete(worker)
      if (worker.current === null) return
      // Out of heap while reading an input: that input is too big for this worker, not the task broken.
      const input = worker.input?.watched
      if (input && !worker.poisoned && (/heap out of memory|Reached heap limit/i.test(worker.stderr) || sig === "SIGABRT" || code === 134)) {
        poison(worker, { key: input.key, reason: "too-much-memory", detail: `the worker ran out of memory (heap cap ${WORKER_HEAP_MB} MB) while reading it` })
      }
      if (worker.poisoned) idle({ _tag: "Retry" })
      else idle({ _tag: "Failed", failure: { rank: worker.current, detail: worker.stderr.trim() || `worker died (${sig ?? `exit code ${code}`})` } })
    })
    return worker
  }

  /** Start (or stop, for null) timing the input a worker reads; overrunning its budget poisons it. */
  private watch(worker: Worker, input: WatchedInput | null): void {
    this.unwatch(worker)
    if (input === null || worker.current === null) return
    const timer = setTimeout(() => {
      poison(worker, { key: input.key, reason: "timeout", detail: `still being read after its time budget of ${seconds(input.budgetMs)} (watchdog: base_seconds + seconds_per_mb × size)` })
    }, input.budgetMs)
    const limit = input.maxRssBytes
    const memory =
      limit === null
        ? null
        : setInterval(() => {
            const rss = worker.child.pid === undefined ? null : residentBytes(worker.child.pid)
            if (rss !== null && rss > limit) {
              poison(worker, { key: input.key, reason: "too-much-memory", detail: `the worker's resident memory passed ${Math.round(limit / 1048576)} MB (watchdog max_rss_mb) while reading it` })
            }
          }, MEMORY_POLL_MS)
    worker.input = { watched: input, timer, memory }
  }

  private unwatch(worker: Worker): void {
    if (worker.input === null) return
    clearTimeout(worker.input.timer)
    if (worker.input.memory !== null) clearInterval(worker.input.memory)
    worker.input = null
  }

  /** Run `ranks` of the plan in `planFile`; resolves with the failed tasks once all have ended. */
  run(planFile: string, ranks: ReadonlyArray<number>, events: ExecutorEvents, signal: AbortSignal): Promise<Failure[]> {
    this.events = events
    const queue = [...ranks]
    const failures: Failure[] = []
    const restarts = new Map<number, number>()
    const planDir = path.dirname(planFile)
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
        worker.planDir = planDir
        worker.stderr = "" // a failure report carries this task's output, not an earlier one's
        worker.onIdle = (end) => {
          running--
          if (end._tag === "Failed") failures.push(end.failure)
          else if (end._tag === "Retry") {
            // The watchdog stopped the task on one input (recorded): run it again on a fresh worker, at once.
            const n = (restarts.get(rank) ?? 0) + 1
            restarts.set(rank, n)
            if (n > MAX_WATCHDOG_RESTARTS) failures.push({ rank, detail: `stopped by the watchdog ${n} times; giving up` })
            else queue.unshift(rank)
          }
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
