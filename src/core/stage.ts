/**
 * The one abstraction every executor runs. A stage knows how to run one task `(rank, world)` of a plan;
 * an executor (local worker processes now, Slurm later) decides where tasks run and knows nothing of what
 * they do. Everything a task needs is in its plan file, so any machine that can read the plan can run it.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { Effect } from "effect"
import type { DuckDB } from "./duckdb.ts"
import type { AccountingError, ConfigError, DatasetError } from "./errors.ts"
import { stageLayout, type StageLayout } from "./layout.ts"
import type { TaskCounter } from "./stats.ts"

/** One input file of an ingest task (serialisable: it travels in the plan file). */
export interface PlannedFile {
  readonly absPath: string
  readonly sourcePath: string
  /**
   * The input root (absolute folder) the file was found under; a root that is a single file gives its
   * folder. Searches that climb folders (license files) stop here and never read above the input.
   */
  readonly root: string
  readonly size: number
  readonly license: string | null
  readonly domain: string | null
  /**
   * Set when planning already knows the entry cannot be read (a broken link, a FIFO, a name that is not
   * UTF-8): the ingest task rejects it with this reason instead of opening it, so it is still accounted for.
   */
  readonly problem?: { readonly reason: string; readonly detail: string }
  /**
   * Set when planning leaves the entry out on purpose without opening it (hidden files and folders,
   * credential files): the ingest task counts it as filtered with this reason, so no input goes unaccounted.
   */
  readonly filter?: { readonly reason: string; readonly detail: string }
  /**
   * The file's modification time when it was planned: a file whose size or time differ when it is read
   * has changed since (or while being read) and is rejected as changed-during-read.
   */
  readonly mtimeMs?: number
  /** Set when a large JSONL file is split across tasks: this entry is the lines in `[start, end)`. */
  readonly range?: ByteRange
}

/**
 * A part of a JSONL file, cut at line boundaries when planning. Planning reads the file once to find the
 * cuts, the line number each part starts at, and the file's sha256, so no task has to read all of it.
 */
export interface ByteRange {
  readonly start: number
  readonly end: number
  /** 1-based number of the first line in the range. */
  readonly firstLine: number
  /** sha256 of the whole file. */
  readonly fileSha256: string
  /** The file's size and modification time when it was split, to reuse the split on a rerun. */
  readonly fileSize: number
  readonly fileMtimeMs: number
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
  /** Folders of the stages this one descends from, in order (what the bundle's accounting sums). */
  readonly lineage: ReadonlyArray<string>
  /** The tokenizer of the documents' `n_tokens`, from the tokenize stage on. */
  readonly tokenizer?: string
  readonly pipeline: {
    readonly name: string
    readonly file: string | null
    readonly configSha256: string
    readonly tokenizer: string
    readonly output: string
  }
  /**
   * Identity of what the stage computes: scicurate version, params, inputs (paths, sizes, mtimes) and the
   * upstream plan hash. Written into each `_done` marker: a marker from another plan does not count.
   */
  readonly hash: string
}

/** The list of bundles a bundle task published (`<stage dir>/_bundles/<rank>.json`). */
export const bundleReceipt = (plan: Pick<StagePlan, "dir">, rank: number): string => path.join(plan.dir, "_bundles", `${rank}.json`)

/** The files a finished task must have left; a task whose outputs are gone is run again. */
export function taskOutputs(plan: StagePlan, rank: number): string[] {
  const shard = stageLayout(plan.dir).shard(rank, plan.world)
  if (plan.stage === "tokenize") return [shard, shard.replace(/\.parquet$/, ".tokens")]
  if (plan.stage !== "bundle") return [shard]
  const receipt = bundleReceipt(plan, rank)
  if (!fs.existsSync(receipt)) return [receipt]
  const { bundles } = JSON.parse(fs.readFileSync(receipt, "utf8")) as { bundles: string[] }
  return [receipt, ...bundles.map((b) => path.join(plan.pipeline.output, b, "manifest.json"))]
}

/** A task is done when its marker names this plan and its outputs exist. */
export function isTaskDone(plan: StagePlan, rank: number): boolean {
  const marker = stageLayout(plan.dir).done(rank)
  if (!fs.existsSync(marker) || fs.readFileSync(marker, "utf8") !== plan.hash) return false
  return taskOutputs(plan, rank).every((f) => fs.existsSync(f))
}

/** An input left out of a stage's output: rejected (could not be used) or filtered (left out on purpose). */
export interface ExcludedInput {
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
  readonly reject: (record: ExcludedInput) => void
  /** Record an input that was deliberately left out (written to `_filtered/`, counted under `filtered:<reason>`). */
  readonly filter: (record: ExcludedInput) => void
  /** Report progress to the executor (records and input bytes done since the last call). */
  readonly progress: (records: number, bytes: number) => void
  /**
   * Tell the executor which input the task starts (`key`, unique in the task) and its budget, or that it
   * is done with it (null). An executor that watches (the local one) stops a task that overruns, records
   * the input in `layout.poisoned(rank)` with the reason, and reruns the task, which rejects it unopened.
   */
  readonly watch: (input: WatchedInput | null) => void
}

export interface WatchedInput {
  readonly key: string
  readonly budgetMs: number
  /** Resident memory the worker may reach while on this input; null for no limit besides the heap cap. */
  readonly maxRssBytes: number | null
}

/** An input the executor stopped a task on, as recorded in `<stage>/_poisoned/<rank>.jsonl`. */
export interface PoisonedInput {
  readonly key: string
  readonly reason: "timeout" | "too-much-memory"
  readonly detail: string
}

/** The inputs of task `rank` that must be rejected without being opened (read by the stage at task start). */
export function readPoisoned(layout: StageLayout, rank: number): Map<string, PoisonedInput> {
  const file = layout.poisoned(rank)
  if (!fs.existsSync(file)) return new Map()
  const lines = fs.readFileSync(file, "utf8").split("\n").filter(Boolean)
  // A line cut short by a crash of the coordinator mid-write is ignored: that input is simply tried again.
  const entries = lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as PoisonedInput]
    } catch {
      return []
    }
  })
  return new Map(entries.map((p) => [p.key, p]))
}

export type TaskError = DatasetError | ConfigError | AccountingError

export interface Stage {
  readonly name: string
  /** Run task `ctx.rank` of `ctx.plan`. Writes its outputs atomically; counts every input in `ctx.counter`. */
  readonly runTask: (ctx: TaskContext) => Effect.Effect<void, TaskError, DuckDB>
}
