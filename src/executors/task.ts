/**
 * Running one task of a plan, wherever it runs (a local worker process, a Slurm array element).
 * The order of writes is what makes resuming safe: the stage's outputs (each renamed into place),
 * then rejects and filtered records, then stats, and the `_done` marker last. A task without its marker
 * is simply run again from scratch; one with it is never touched.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { makeDuckDBLayer } from "../core/duckdb.ts"
import { AccountingError, DatasetError, describeCause } from "../core/errors.ts"
import { readJson, stageLayout, temporaryName, writeFileAtomic } from "../core/layout.ts"
import { isTaskDone, type ExcludedInput, type StagePlan, type TaskContext, type TaskError, type WatchedInput } from "../core/stage.ts"
import { TaskCounter, type TaskStats } from "../core/stats.ts"
import { loadStage } from "../pipeline/stages.ts"

export type TaskOutcome = { readonly _tag: "Skipped" } | { readonly _tag: "Ran"; readonly stats: TaskStats }

/** Appends JSON lines to a temporary file that is renamed into place when the task succeeds. */
class JsonLines {
  private readonly tmp: string
  private fd: number | null = null
  private buffered: string[] = []
  private readonly target: string
  constructor(target: string) {
    this.target = target
    this.tmp = temporaryName(target)
  }
  write(record: unknown): void {
    this.buffered.push(JSON.stringify(record))
    if (this.buffered.length >= 1000) this.flush()
  }
  private flush(): void {
    if (this.buffered.length === 0) return
    if (this.fd === null) {
      fs.mkdirSync(path.dirname(this.target), { recursive: true })
      this.fd = fs.openSync(this.tmp, "w")
    }
    fs.writeSync(this.fd, this.buffered.join("\n") + "\n")
    this.buffered = []
  }
  /** Publish the file (an empty list leaves no file). */
  commit(): void {
    this.flush()
    if (this.fd === null) return fs.rmSync(this.target, { force: true })
    fs.closeSync(this.fd)
    this.fd = null
    fs.renameSync(this.tmp, this.target)
  }
  abort(): void {
    if (this.fd !== null) fs.closeSync(this.fd)
    fs.rmSync(this.tmp, { force: true })
  }
}

/** Whether an error (or anything in its cause chain) is the file system running out of space. */
function isDiskFull(e: unknown): boolean {
  for (let c: unknown = e, depth = 0; c !== null && c !== undefined && depth < 8; c = (c as { cause?: unknown }).cause, depth++) {
    if ((c as NodeJS.ErrnoException).code === "ENOSPC" || (c as NodeJS.ErrnoException).code === "EDQUOT") return true
    if (/No space left on device|ENOSPC|Disk quota exceeded/i.test(c instanceof Error ? c.message : typeof c === "string" ? c : "")) return true
  }
  return false
}

const diskFull = (dir: string, cause: unknown): DatasetError =>
  new DatasetError({
    path: dir,
    operation: "no space left on the device (or quota) holding",
    cause: `${describeCause(cause)}. Nothing partial was published; free space there and rerun to resume (finished tasks are kept)`
  })

export const runTask = (
  planFile: string,
  rank: number,
  onProgress: (records: number, bytes: number) => void = () => {},
  onWatch: (input: WatchedInput | null) => void = () => {}
): Effect.Effect<TaskOutcome, TaskError> =>
  Effect.gen(function* () {
    const plan = yield* Effect.try({
      try: () => readJson<StagePlan>(planFile),
      catch: (cause) => new DatasetError({ path: planFile, operation: "read plan", cause })
    })
    const layout = stageLayout(path.dirname(planFile))
    if (isTaskDone(plan, rank)) return { _tag: "Skipped" } as const
    fs.rmSync(layout.done(rank), { force: true })
    const stage = yield* Effect.tryPromise({
      try: () => loadStage(plan.stage),
      catch: (cause) => new DatasetError({ path: planFile, operation: "load stage", cause })
    })
    const started = performance.now()
    // On a cluster the scratch goes to node-local storage (SCICURATE_SCRATCH, set by the Slurm executor's
    // job script): DuckDB's spill files would otherwise load the shared file system. Only temporaries go
    // there; every output is written beside its target and renamed, so nothing crosses file systems.
    const scratch = process.env.SCICURATE_SCRATCH
    const tmpDir = scratch ? path.join(scratch, `scicurate-${process.env.SLURM_JOB_ID ?? process.pid}-${plan.stage}-${rank}`) : layout.tmp(rank)
    fs.rmSync(tmpDir, { recursive: true, force: true })
    fs.mkdirSync(tmpDir, { recursive: true })
    const rejects = new JsonLines(layout.rejects(rank))
    const filtered = new JsonLines(layout.filtered(rank))
    const counter = new TaskCounter()
    const ctx: TaskContext = {
      plan,
      rank,
      world: plan.world,
      layout,
      tmpDir,
      counter,
      reject: (r: ExcludedInput) => {
        counter.count("rejected", r.reason)
        rejects.write({ source_path: r.source_path, stage: plan.stage, reason: r.reason, detail: r.detail, ...(r.location ? { location: r.location } : {}) })
      },
      filter: (r: ExcludedInput) => {
        counter.count("filtered", r.reason)
        filtered.write({
          source_path: r.source_path,
          stage: plan.stage,
          reason: r.reason,
          detail: r.detail,
          ...(r.location ? { location: r.location } : {}),
          ...(r.id ? { id: r.id } : {}),
          ...(r.scores ? { scores: r.scores } : {})
        })
      },
      progress: onProgress,
      watch: onWatch
    }
    const duckdb = makeDuckDBLayer({
      path: path.join(tmpDir, "task.duckdb"),
      threads: 1,
      tempDirectory: tmpDir,
      memoryLimit: process.env.SCICURATE_TASK_MEMORY ?? "1GB"
    })
    yield* stage.runTask(ctx).pipe(
      Effect.provide(duckdb),
      // On any failure, defects included: a long-lived worker must not keep the files open, and the
      // scratch folder goes at once (on a full disk it is what holds the space).
      Effect.onError(() => Effect.sync(() => (rejects.abort(), filtered.abort(), fs.rmSync(tmpDir, { recursive: true, force: true }))))
    )
    const imbalance = counter.imbalance()
    if (imbalance) {
      rejects.abort()
      filtered.abort()
      return yield* new AccountingError({ stage: plan.stage, rank, detail: imbalance })
    }
    rejects.commit()
    filtered.commit()
    const stats = counter.toStats(plan.stage, rank, plan.world, (performance.now() - started) / 1000, process.resourceUsage().maxRSS * 1024)
    writeFileAtomic(layout.stats(rank), JSON.stringify(stats, null, 2) + "\n")
    writeFileAtomic(layout.done(rank), plan.hash)
    fs.rmSync(tmpDir, { recursive: true, force: true })
    try {
      if (!scratch) fs.rmdirSync(path.dirname(tmpDir)) // `_tmp/` itself, once the last task is done with it
    } catch {
      // other tasks still use it
    }
    return { _tag: "Ran", stats } as const
  }).pipe(
    // A full disk is the user's to fix, not a bug: one message naming the folder, whatever layer hit it
    // (DuckDB writing the shard, the ledgers, the stats or the marker).
    Effect.mapError((e) => (isDiskFull(e) ? diskFull(path.dirname(planFile), e) : e)),
    Effect.catchDefect((defect) => (isDiskFull(defect) ? Effect.fail(diskFull(path.dirname(planFile), defect)) : Effect.die(defect)))
  )
