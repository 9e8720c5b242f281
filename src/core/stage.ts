/**
 * The one abstraction every executor runs. A stage knows how to run one task `(rank, world)` of a plan;
 * an executor (local worker processes now, Slurm later) decides where tasks run and knows nothing of what
 * they do. Everything a task needs is in its plan file, so any machine that can read the plan can run it.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { Effect, Schema } from "effect"
import type { DuckDB } from "./duckdb.ts"
import type { AccountingError, ConfigError, DatasetError } from "./errors.ts"
import { stageLayout, type StageLayout } from "./layout.ts"
import type { RowGroupSize, RowSlice } from "./slices.ts"
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
  /** The part size it was cut for (absent in older plans). */
  readonly splitBytes?: number
  /** The file's size and modification time when it was split, to reuse the split on a rerun. */
  readonly fileSize: number
  readonly fileMtimeMs: number
}

export type PlanInput =
  | { readonly kind: "files"; readonly assignments: ReadonlyArray<ReadonlyArray<PlannedFile>> }
  | {
      readonly kind: "dataset"
      readonly dir: string
      readonly shards: ReadonlyArray<string>
      /** Per task, the rows of the shards it reads (see slices.ts); absent: whole shards i mod world. */
      readonly slices?: ReadonlyArray<ReadonlyArray<RowSlice>>
    }

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
  /** What the stage did to the data, for the manifests of the bundles that descend from it (see StageProvenance). */
  readonly provenance?: StageProvenance
  /**
   * What the hash covers besides params, world and tokenizer, kept so that a rerun can say what changed:
   * the scicurate version, the stage's input identity (ingest: every file's place, size and time) and
   * the upstream plan's hash. Absent in plans of older versions.
   */
  readonly version?: string
  readonly identity?: unknown
  readonly upstreamHash?: string | null
  /** What each task leaves behind (declared by the stage); absent in old plans: the shard only. */
  readonly outputs?: TaskOutputsSpec
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

/**
 * What a finished task must have left, as data in the plan so that whoever checks a task (the
 * coordinator, a worker on another machine) needs no stage code: its Parquet shard, files beside it
 * (the shard name with another extension), and a receipt listing files it published elsewhere.
 */
export interface TaskOutputsSpec {
  readonly shard: boolean
  /** Extensions replacing `.parquet` in the shard's name, e.g. `.tokens`. */
  readonly beside: ReadonlyArray<string>
  /** The task writes `taskReceipt(plan, rank)`, `{ "files": [...] }`: paths relative to the pipeline's output folder. */
  readonly receipt: boolean
}

export const SHARD_ONLY: TaskOutputsSpec = { shard: true, beside: [], receipt: false }

/** The list of files a task published outside its stage folder (`<stage dir>/_published/<rank>.json`). */
export const taskReceipt = (plan: Pick<StagePlan, "dir">, rank: number): string => path.join(plan.dir, "_published", `${rank}.json`)

/** The files a finished task must have left; a task whose outputs are gone is run again. */
export function taskOutputs(plan: StagePlan, rank: number): string[] {
  const spec = plan.outputs ?? SHARD_ONLY
  const shard = stageLayout(plan.dir).shard(rank, plan.world)
  const out = spec.shard ? [shard] : []
  for (const ext of spec.beside) out.push(shard.replace(/\.parquet$/, ext))
  if (!spec.receipt) return out
  const receipt = taskReceipt(plan, rank)
  if (!fs.existsSync(receipt)) return [...out, receipt]
  const { files } = JSON.parse(fs.readFileSync(receipt, "utf8")) as { files?: string[] }
  return [...out, receipt, ...(files ?? []).map((f) => path.join(plan.pipeline.output, f))]
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
  /** The document's id, when the input left out is a document (the quality stages). */
  readonly id?: string
  /** The measured values behind the decision (the quality stages), for curators to check the threshold. */
  readonly scores?: Readonly<Record<string, number>>
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

/** A dataset a stage reads: the shards the stage before it writes (or a plain folder of shards). */
export interface Upstream {
  readonly dir: string
  readonly shards: ReadonlyArray<string>
  readonly hash: string
  /** The stage folders that led to this dataset, oldest first, ending with `dir`. */
  readonly lineage: ReadonlyArray<string>
  /** The tokenizer that counted this dataset's `n_tokens`, once a tokenize stage is in its lineage. */
  readonly tokenizer: string | null
  /** The stage that wrote the dataset; null for a plain folder of shards. */
  readonly stage: string | null
  /** The row groups of `shards`, when they exist: what tasks are balanced by (see slices.ts). */
  readonly rowGroups?: ReadonlyArray<RowGroupSize>
}

/** The pipeline facts a plan records (and a stage may read when it plans). */
export type PlanPipeline = StagePlan["pipeline"]

/** What a stage is given to plan itself. */
export interface PlanContext {
  /** The stage's validated settings, without `stage`. */
  readonly settings: Readonly<Record<string, unknown>>
  readonly pipeline: PlanPipeline
  /** The pipeline's inputs, resolved (files stages read them). */
  readonly inputs: ReadonlyArray<{ readonly path: string; readonly license: string | null; readonly domain: string | null }>
  /** The work folder and the bundle output folder (a stage must not read them as inputs). */
  readonly work: string
  /** The folder relative paths in the settings are resolved against (the pipeline file's). */
  readonly base: string
  /** Where the config came from, for error messages. */
  readonly file: string
  /** The stage's own folder. */
  readonly dir: string
  /** The dataset it reads; null for a stage that reads files. */
  readonly upstream: Upstream | null
  readonly world: number
}

/** A stage's own part of its plan. A string is a configuration problem, said to the user as it is. */
export interface StagePlanning {
  /** What tasks read from the plan (and what its hash covers). */
  readonly params: Readonly<Record<string, unknown>>
  /** A files stage's input (its assignment of files to tasks); dataset stages read `upstream`. */
  readonly input?: PlanInput
  /** What else the outputs depend on, beyond params and input (hashed, not given to tasks). */
  readonly identity?: unknown
  /** The tokenizer of the output's `n_tokens`, when the stage counts tokens itself. */
  readonly tokenizer?: string
  /** What the stage did to the data, said in the manifest of every bundle that descends from it. */
  readonly provenance?: StageProvenance
}

/**
 * A stage's account of what it did to the data (the quality stages: thresholds, languages kept,
 * evaluation sets decontaminated against), copied into the `quality` section of bundle manifests.
 */
export interface StageProvenance {
  /** One sentence for the dataset card. */
  readonly summary: string
  readonly facts: Readonly<Record<string, unknown>>
}

/** Columns a stage reads from its input, and the stage (and command) that makes them. */
export interface ColumnNeed {
  readonly columns: ReadonlyArray<string>
  readonly madeBy: string
  /** Why the stage needs them: said when they are missing. */
  readonly why: string
}

/**
 * A stage, declared: everything the pipeline, the planner, the executors and the command line need to
 * know about it, so that none of them tests a stage's name. This module is light (schemas and
 * planning); the code that runs tasks loads lazily through `runners`, so a worker running dedup never
 * loads the PDF reader or a tokenizer.
 */
export interface StageDefinition {
  readonly name: string
  /** The settings schema of `- stage: <name>` in a pipeline file (a Struct with `stage: Literal(name)`). */
  readonly settings: Schema.Top
  /** "files": reads the pipeline's inputs, so it comes first; "dataset": reads the stage before it. */
  readonly reads: "files" | "dataset"
  readonly needs: ReadonlyArray<ColumnNeed>
  /** Its output dataset's columns: those kept from the input plus those it adds; null when it writes no dataset. */
  readonly writes: { readonly keeps: "all" | ReadonlyArray<string>; readonly adds: ReadonlyArray<string> } | null
  readonly outputs: TaskOutputsSpec
  /** Plans that run, in order, before the stage's own tasks (each a plan with tasks of its own). */
  readonly phases?: (plan: StagePlan) => StagePlan[]
  readonly plan: (ctx: PlanContext) => StagePlanning | string
  readonly cli: {
    readonly description: string
    /** The positional argument: name and description. */
    readonly argument: readonly [string, string]
    /** Extra string flags, passed as settings of the same name. */
    readonly flags?: Readonly<Record<string, string>>
    /** Those of `flags` whose setting is a list: the flag's value is split at commas. */
    readonly listFlags?: ReadonlyArray<string>
    /** The stage's folder for `--out OUT` (default OUT itself). */
    readonly stageDir?: (out: string) => string
    /** Folders of what the command made, to print after its status (bundle: its bundle table). */
    readonly showsBundles?: boolean
  }
  /** The task code of the stage and of each of its phases, by plan name, loaded on demand. */
  readonly runners: Readonly<Record<string, () => Promise<Stage>>>
}

/** The tokenizer a stage that counts tokens uses: its own `tokenizer` setting, else the pipeline's. */
export const tokenizerOf = (plan: { readonly params: Readonly<Record<string, unknown>>; readonly pipeline: Pick<PlanPipeline, "tokenizer"> }): string =>
  (plan.params.tokenizer as string | undefined) ?? plan.pipeline.tokenizer
