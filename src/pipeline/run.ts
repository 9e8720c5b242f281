/**
 * Running a pipeline: plan every stage in order, then execute the selected ones, resuming where a
 * previous run stopped. A stage whose plan changed (new params, new inputs, a changed upstream) starts
 * over from an empty folder; a stage whose plan is unchanged keeps its finished tasks.
 */
import * as fs from "node:fs"
import { Effect } from "effect"
import { AccountingError, ConfigError, LockedError, StageFailed } from "../core/errors.ts"
import { clearStageDir, lockDir, readJson, recordLockStage, removeStaleTemporaries, stageLayout, writeFileAtomic } from "../core/layout.ts"
import { isTaskDone, type StagePlan } from "../core/stage.ts"
import { sumStats, type TaskStats } from "../core/stats.ts"
import { pendingRanks, runLocal, workerPool, type WorkerPool } from "../executors/local.ts"
import { phaseWork, progressReporter, type ProgressTotals } from "../executors/progress.ts"
import type { ResolvedPipeline, StageName } from "./config.ts"
import { planChanges, planStage, upstreamOf, withRowGroups, type Upstream } from "./plan.ts"
import { stageNamed } from "./stages.ts"

export interface RunOptions {
  readonly workers: number
  /** Redo this stage and every later one; earlier stages resume as usual. */
  readonly from?: StageName | undefined
  /** Run only this stage (redone from scratch); earlier stages must be complete. */
  readonly only?: StageName | undefined
  readonly log: (line: string) => void
  readonly progress?: NodeJS.WriteStream
}

export interface StageTiming {
  readonly wall_seconds: number
  readonly workers: number
  readonly tasks_run: number
  readonly coordinator_peak_rss_bytes: number
}

export type StageSummary = ReturnType<typeof sumStats>

export interface StageReport {
  readonly plan: StagePlan
  readonly executed: boolean
  readonly tasksRun: number
  readonly summary: StageSummary
}

export const runPipeline = (
  pipeline: ResolvedPipeline,
  options: RunOptions
): Effect.Effect<ReadonlyArray<StageReport>, ConfigError | StageFailed | AccountingError | LockedError> =>
  withLock(pipeline.work, Effect.scoped(Effect.flatMap(workerPool(options.workers), (pool) => runStages(pipeline, options, pool))))

/** Run `effect` holding the lock on `dir`, released however it ends. */
export const withLock = <A, E, R>(dir: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | LockedError, R> =>
  Effect.acquireUseRelease(
    Effect.suspend(() => {
      const lock = lockDir(dir)
      return "heldBy" in lock ? Effect.fail(new LockedError({ dir, pid: lock.heldBy, file: lock.file })) : Effect.succeed(lock)
    }),
    () => effect,
    (lock) => Effect.sync(() => lock.release())
  )

const runStages = (
  pipeline: ResolvedPipeline,
  options: RunOptions,
  pool: WorkerPool
): Effect.Effect<ReadonlyArray<StageReport>, ConfigError | StageFailed | AccountingError> =>
  Effect.gen(function* () {
    const stages = pipeline.config.stages
    const names = stages.map((s) => s.stage)
    const file = pipeline.file ?? "(command line)"
    for (const [flag, value] of [["--from", options.from], ["--only", options.only]] as const) {
      if (value && !names.includes(value)) return yield* new ConfigError({ file, message: `${flag} ${value}: the pipeline has no such stage (it has ${names.join(", ")})` })
    }
    const fromIndex = options.from ? names.indexOf(options.from) : -1
    const reports: StageReport[] = []
    let upstream: Upstream | null = null
    for (const [position, stageConfig] of stages.entries()) {
      const plan = planStage(pipeline, stageConfig, position, upstream === null ? null : yield* Effect.promise(() => withRowGroups(upstream!)))
      if (plan instanceof ConfigError) return yield* plan
      const selected = options.only ? stageConfig.stage === options.only : true
      const forced = options.only === stageConfig.stage || (fromIndex >= 0 && position >= fromIndex)
      if (selected) {
        reports.push(yield* executeStage(plan, { ...options, forced, pool }))
      } else if (position < names.indexOf(options.only!)) {
        // --only X reads what the stages before X produced: they must be finished and current.
        const problem = staleness(plan)
        if (problem) return yield* new ConfigError({ file, message: `--only ${options.only}: stage ${plan.stage} ${problem}; run the pipeline without --only first` })
      }
      upstream = upstreamOf(plan)
    }
    return reports
  })

/** Why a stage's outputs cannot be used as they are, or null when they can. */
function staleness(plan: StagePlan): string | null {
  const layout = stageLayout(plan.dir)
  if (!fs.existsSync(layout.planFile)) return "has not run"
  const previous = readJson<StagePlan>(layout.planFile)
  if (previous.hash !== plan.hash) return `is out of date (${planChanges(previous, plan).join(", ")} changed)`
  const pending = pendingRanks(plan).length
  return pending > 0 ? `has ${pending} unfinished task(s)` : null
}

/**
 * Write (or reuse) a plan and run its pending tasks: a stage's, or one phase of a stage. A plan whose
 * hash changed (or a forced one) starts over from an empty folder. `before` runs after the folder is
 * settled and before the tasks (the phases of a stage); null for none. Returns the tasks it ran.
 */
const runPlan = (
  plan: StagePlan,
  options: Pick<RunOptions, "workers" | "log" | "progress"> & { readonly forced?: boolean; readonly pool?: WorkerPool },
  before: Effect.Effect<void, StageFailed> | null
): Effect.Effect<number, StageFailed> =>
  Effect.gen(function* () {
    const layout = stageLayout(plan.dir)
    settlePlan(plan, options.forced ?? false, options.log)
    const pending = pendingRanks(plan)
    if (pending.length === 0) {
      options.log(`${plan.stage}: all ${plan.world} task(s) already done, skipping`)
      return 0
    }
    // The stage's wall time includes its phases (dedup's exact pass and MinHash phases).
    const started = performance.now()
    if (before !== null) yield* before
    removeStaleTemporaries(plan.dir)
    // After the phases (each records itself): `status` then names what runs now.
    recordLockStage(plan.stage)
    const reporter = progressReporter(plan.stage, progressTotals(plan, pending.length), options.progress)
    // The stage's time ends when its last task does: a pool made for this stage alone then waits for
    // its workers to exit, which is the command's time, not the stage's (a `run` shares one pool).
    let ended = 0
    const tasks = (pool: WorkerPool) => runLocal(plan, layout.planFile, pool, reporter).pipe(Effect.tap(() => Effect.sync(() => (ended = performance.now()))))
    const result = yield* Effect.result(options.pool ? tasks(options.pool) : Effect.scoped(Effect.flatMap(workerPool(options.workers), tasks)))
    reporter.finish()
    if (result._tag === "Failure") return yield* result.failure
    // Wall time of this execution, for `status` and `make bench` (kept out of stats and manifests,
    // which must not change between identical runs).
    const timing: StageTiming = {
      wall_seconds: (ended - started) / 1000,
      workers: options.workers,
      tasks_run: pending.length,
      coordinator_peak_rss_bytes: process.resourceUsage().maxRSS * 1024
    }
    writeFileAtomic(layout.timing, JSON.stringify(timing, null, 2) + "\n")
    return pending.length
  })

/**
 * Make a stage (or phase) folder hold `plan`: a folder whose plan has another hash (or a forced redo)
 * is emptied first, then the plan is written. What every executor does before it runs a plan's tasks.
 */
export function settlePlan(plan: StagePlan, forced: boolean, log: (line: string) => void): void {
  const layout = stageLayout(plan.dir)
  const previous = fs.existsSync(layout.planFile) ? readJson<StagePlan>(layout.planFile) : null
  if (previous && (previous.hash !== plan.hash || forced)) {
    log(`${plan.stage}: ${forced ? "redoing" : `${planChanges(previous, plan).join(", ")} changed, redoing`} (${plan.dir})`)
    clearStageDir(plan.dir)
  }
  // Rewritten when only paths changed (same hash, e.g. a moved work folder): tasks read their inputs from it.
  const planJson = JSON.stringify(plan, null, 2) + "\n"
  if (!fs.existsSync(layout.planFile) || fs.readFileSync(layout.planFile, "utf8") !== planJson) writeFileAtomic(layout.planFile, planJson)
}

/** Write (or reuse) the plan of one stage and run its pending tasks. Used by `run` and the per-stage commands. */
export const executeStage = (
  plan: StagePlan,
  options: Pick<RunOptions, "workers" | "log" | "progress"> & { readonly forced?: boolean; readonly pool?: WorkerPool }
): Effect.Effect<StageReport, StageFailed | AccountingError> =>
  Effect.gen(function* () {
    // A stage made of phases (dedup) runs them first, each resuming where it stopped.
    const phasesOf = stageNamed(plan.stage).phases
    const phases = phasesOf
      ? Effect.forEach(
          phasesOf(plan),
          (phase) =>
            Effect.map(runPlan(phase, { ...options, forced: false }, null), (ran) => {
              // A phase has no documents in or out of its own: say what it did instead.
              if (ran > 0) options.log(`${phase.stage}: ${phaseWork(sumStats(phase.stage, readStageStats(phase))) ?? "done"}`)
            }),
          { discard: true }
        )
      : null
    const pending = yield* runPlan(plan, options, phases)
    const summary = sumStats(plan.stage, readStageStats(plan))
    options.log(summaryLine(summary))
    const problem = stageAccountingProblem(plan, summary)
    if (problem) return yield* problem
    return { plan, executed: pending > 0, tasksRun: pending, summary }
  })

/** Across stages: a finished stage must have read every document its input dataset holds. Null when it did. */
export function stageAccountingProblem(plan: StagePlan, summary: StageSummary = sumStats(plan.stage, readStageStats(plan))): AccountingError | null {
  const upstreamOut = datasetDocuments(plan)
  if (upstreamOut === null || upstreamOut === summary.records_in) return null
  return new AccountingError({
    stage: plan.stage,
    rank: null,
    detail:
      upstreamOut < 0
        ? `the stats of its input ${plan.input.kind === "dataset" ? plan.input.dir : ""} are incomplete, so the ${summary.records_in} documents it read cannot be checked`
        : `it read ${summary.records_in} documents but ${plan.input.kind === "dataset" ? plan.input.dir : "its input"} holds ${upstreamOut}`
  })
}

/**
 * How much a stage has to do, for its progress line: the planned input bytes for a stage that reads
 * files; for one that reads a dataset, the documents and text bytes the upstream stage wrote (its stats).
 * Tasks finished before (a resumed stage) count as done with what their stats say they read.
 */
function progressTotals(plan: StagePlan, pending: number): ProgressTotals {
  const finished = readStageStats(plan).filter((s) => isTaskDone(plan, s.rank))
  const doneRecords = finished.reduce((a, s) => a + s.records_in, 0)
  const doneBytes = finished.reduce((a, s) => a + s.bytes_in, 0)
  const base = { tasks: plan.world, pending, doneRecords, doneBytes }
  if (plan.input.kind === "files") return { ...base, records: null, bytes: plan.input.assignments.flat().reduce((a, f) => a + f.size, 0) }
  const upstream = upstreamStats(plan)
  // A phase's own input (signatures, pairs) has no documents out: its progress goes by tasks.
  if (upstream === null || upstream.documents_out === 0) return { ...base, records: null, bytes: null }
  return { ...base, records: upstream.documents_out, bytes: upstream.bytes_out }
}

/** The summed stats of the stage that wrote a plan's input dataset, when it has them all; else null. */
function upstreamStats(plan: StagePlan): StageSummary | null {
  if (plan.input.kind !== "dataset") return null
  const layout = stageLayout(plan.input.dir)
  if (!fs.existsSync(layout.planFile)) return null
  const upstream = { ...readJson<StagePlan>(layout.planFile), dir: plan.input.dir }
  const stats = readStageStats(upstream)
  return stats.length === upstream.world ? sumStats(upstream.stage, stats) : null
}

/**
 * Documents in a stage's input dataset according to the stats of the stage that wrote it; null for a
 * plain folder of shards (no plan, so no stats to check against). Missing stats count as a mismatch.
 */
function datasetDocuments(plan: StagePlan): number | null {
  if (plan.input.kind !== "dataset" || !fs.existsSync(stageLayout(plan.input.dir).planFile)) return null
  return upstreamStats(plan)?.documents_out ?? -1
}

export function readStageStats(plan: Pick<StagePlan, "dir" | "world">): TaskStats[] {
  const layout = stageLayout(plan.dir)
  const out: TaskStats[] = []
  for (let r = 0; r < plan.world; r++) if (fs.existsSync(layout.stats(r))) out.push(readJson<TaskStats>(layout.stats(r)))
  return out
}

export function summaryLine(s: StageSummary): string {
  return (
    `${s.stage}: ${s.records_in} in -> ${s.documents_out} out, ${s.filtered} filtered, ${s.duplicates} duplicates, ` +
    `${s.rejected} rejected${s.tokens_out ? `, ${s.tokens_out} tokens` : ""}`
  )
}
