/**
 * The one abstraction every executor runs. A stage knows how to run one task `(rank, world)` of a plan;
 * an executor (local worker processes now, Slurm later) decides where tasks run and knows nothing of what
 * they do. Everything a task needs is in its plan file, so any machine that can read the plan can run it.
 */
import type { Effect } from "effect"
import type { DuckDB } from "./duckdb.ts"
import type { ConfigError, DatasetError } from "./errors.ts"
import type { StageLayout } from "./layout.ts"
import type { TaskCounter } from "./stats.ts"

/** One input file of an ingest task (serialisable: it travels in the plan file). */
export interface PlannedFile {
  readonly absPath: string
  readonly sourcePath: string
  readonly size: number
  readonly license: string | null
  readonly domain: string | null
}

export type PlanInput =
  | { readonly kind: "files"; readonly assignments: ReadonlyArray<ReadonlyArray<PlannedFile>> }
  | { readonly kind: "dataset"; readonly dir: string; readonly shards: ReadonlyArray<string> }

/** Written to `<stage dir>/_plan.json` by the coordinator; read by every task. */
export interface StagePlan {
  readonly format: "scicurate-plan/1"
  readonly stage: string
  /** Position of the stage in its pipeline (status lists stages in this order). */
  readonly position: number
  readonly world: number
  readonly params: Readonly<Record<string, unknown>>
  readonly input: PlanInput
  readonly dir: string
  readonly pipeline: {
    readonly name: string
    readonly file: string | null
    readonly configSha256: string
    readonly tokenizer: string
    readonly output: string
    /** The work folder, so the bundle stage can collect the accounting of earlier stages. */
    readonly work: string | null
  }
  /** Identity of what the stage computes: params, inputs (paths, sizes, mtimes) and upstream plan hashes. */
  readonly hash: string
}

export interface RejectRecord {
  readonly source_path: string
  readonly reason: string
  readonly detail: string
  readonly location?: string
}

/** What a running task may use besides DuckDB. */
export interface TaskContext {
  readonly plan: StagePlan
  readonly rank: number
  readonly world: number
  readonly layout: StageLayout
  /** Scratch folder for this task, emptied when it ends. */
  readonly tmpDir: string
  readonly counter: TaskCounter
  /** Record a rejected input (written to `_rejects/`, counted under `rejected:<reason>`). */
  readonly reject: (record: RejectRecord) => void
  /** Record an input that was deliberately left out (written to `_filtered/`, counted under `filtered:<reason>`). */
  readonly filter: (record: RejectRecord) => void
  /** Report progress to the executor (records and input bytes done since the last call). */
  readonly progress: (records: number, bytes: number) => void
}

export type TaskError = DatasetError | ConfigError

export interface Stage {
  readonly name: string
  /** Run task `ctx.rank` of `ctx.plan`. Writes its outputs atomically; counts every input in `ctx.counter`. */
  readonly runTask: (ctx: TaskContext) => Effect.Effect<void, TaskError, DuckDB>
}
