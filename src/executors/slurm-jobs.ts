/**
 * The Slurm executor's pure part: which jobs a pipeline becomes, their sbatch settings and memory, how a
 * list of ranks becomes `--array` specs under the cluster's MaxArraySize, and the job scripts. No I/O
 * here (slurm.ts submits, follows and reads Slurm's view), so all of it is tested without a cluster.
 *
 * One job per stage and per phase (dedup-exact, minhash-signatures, minhash-buckets, minhash-clusters,
 * dedup; bundle-shards, bundle; ...), an array with one index per unfinished task, each depending
 * `afterok` on the job before it. A stage whose plan depends on what the stage before it wrote (row
 * slices from the Parquet metadata of its input) is preceded by a one-task planning job; see slurm.ts.
 */
import type { SlurmJobSettings, SlurmSettings } from "../core/settings.ts"
import { shellWord } from "../core/text.ts"

/** What one submitted job runs: a plan's tasks, or the planning of a stage whose input is not written yet. */
export interface JobSpec {
  /** The plan's stage name (a phase's own name: dedup-exact, bundle-shards, ...), or `plan-<stage>`. */
  readonly name: string
  /** The pipeline stage it belongs to. */
  readonly stage: string
  readonly kind: "tasks" | "plan"
  /** Position of the stage in the pipeline. */
  readonly position: number
  /** The plan file the tasks read (tasks), or the stage's plan file the planning job writes (plan). */
  readonly planFile: string
  readonly world: number
  /** The ranks to run (tasks); [0] for a planning job. */
  readonly ranks: ReadonlyArray<number>
  readonly settings: SlurmJobSettings
  /** Where the per-task logs go: `<logDir>/<rank>.log` (a planning job: `<logDir>/plan.log`). */
  readonly logDir: string
}

/** One sbatch submission of a job: array indices `indices` stand for ranks `offset + index`. */
export interface ArrayChunk {
  readonly offset: number
  readonly indices: ReadonlyArray<number>
}

/**
 * Memory a task needs, in MiB, by phase, as a function of the documents of the stage's input (null when
 * not known yet). Every task streams its input through DuckDB, which spills to the scratch folder past
 * its memory limit, so most phases need a constant: the worker's JS heap cap (2 GiB, as the local
 * executor's, SCICURATE_WORKER_HEAP_MB), DuckDB's limit (1 GiB, SCICURATE_TASK_MEMORY) and 1 GiB for the
 * rest (Node itself, the tokenizer's WASM, pdfjs, buffers). The one task that gathers the whole corpus,
 * minhash-clusters, also holds a union-find and keep scores as typed arrays outside the heap: about 48
 * bytes per document that is in some candidate pair, bounded here by every input document. The bundle
 * phases keep a few dozen bytes per document in DuckDB, which spills them, so they stay constant.
 */
export const TASK_BASE_MB = 4096
export const CLUSTER_BYTES_PER_DOCUMENT = 48

export function taskMemoryMb(name: string, documents: number | null): number {
  if (name !== "minhash-clusters" || documents === null) return TASK_BASE_MB
  return TASK_BASE_MB + Math.ceil((documents * CLUSTER_BYTES_PER_DOCUMENT) / 1048576)
}

/**
 * The settings of one job: the command line's, then the stage's `slurm:` block, then the block's
 * `phases.<name>` (the more specific wins); sbatch arguments add up. Memory defaults to the model above.
 */
export function jobSettings(cli: SlurmJobSettings, stage: SlurmSettings | undefined, name: string, documents: number | null): SlurmJobSettings {
  const { phases, ...stageOwn } = stage ?? {}
  const phase = phases?.[name] ?? {}
  const merged: SlurmJobSettings = { ...cli, ...stageOwn, ...phase }
  const args = [...(cli.sbatch_args ?? []), ...(stageOwn.sbatch_args ?? []), ...(phase.sbatch_args ?? [])]
  return { ...merged, mem: merged.mem ?? `${taskMemoryMb(name, documents)}M`, ...(args.length > 0 ? { sbatch_args: args } : {}) }
}

/**
 * Ranks cut into arrays a cluster accepts: an array index must be below MaxArraySize, so rank r goes to
 * the chunk of offset `floor(r / max) * max` as index `r - offset`. Sorted, without duplicates.
 */
export function chunkRanks(ranks: ReadonlyArray<number>, maxArraySize: number): ArrayChunk[] {
  const max = Math.max(1, Math.floor(maxArraySize))
  const chunks = new Map<number, number[]>()
  for (const r of [...new Set(ranks)].sort((a, b) => a - b)) {
    const offset = Math.floor(r / max) * max
    chunks.set(offset, [...(chunks.get(offset) ?? []), r - offset])
  }
  return [...chunks].map(([offset, indices]) => ({ offset, indices }))
}

/** `--array` value: runs of consecutive indices as ranges (`0-3,5,7-9`), `%K` to run at most K at once. */
export function arraySpec(indices: ReadonlyArray<number>, maxParallel?: number): string {
  const parts: string[] = []
  const sorted = [...new Set(indices)].sort((a, b) => a - b)
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++
    parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`)
    i = j + 1
  }
  return parts.join(",") + (maxParallel ? `%${maxParallel}` : "")
}

/** The indices of an `ArrayTaskId`/`--array` value as Slurm prints it (`1,3-5`, `0-7:2`, `2-3%4`). */
export function expandArraySpec(spec: string): number[] {
  const out: number[] = []
  for (const part of spec.replace(/%\d+$/, "").split(",")) {
    const m = /^(\d+)(?:-(\d+)(?::(\d+))?)?$/.exec(part.trim())
    if (!m) continue
    const [from, to, step] = [Number(m[1]), m[2] === undefined ? Number(m[1]) : Number(m[2]), m[3] === undefined ? 1 : Number(m[3])]
    for (let i = from; i <= to; i += Math.max(1, step)) out.push(i)
  }
  return out
}


/** What every job script needs to know about where it runs. */
export interface ScriptContext {
  readonly node: string
  /** task-main.ts, run as `task-main.ts PLAN RANK`. */
  readonly taskMain: string
  /** slurm-plan-job.ts, run as `slurm-plan-job.ts SUBMISSION POSITION`. */
  readonly planJob: string
  /** The submission record the planning jobs read the pipeline from. */
  readonly submissionFile: string
  readonly pipelineName: string
  readonly version: string
  /** The worker heap cap in MiB (as the local executor's). */
  readonly heapMb: number
  /** Variables the tasks must see whatever sbatch exports (SOURCE_DATE_EPOCH, SCICURATE_*). */
  readonly env: Readonly<Record<string, string>>
}

/** The sbatch options of a job, one `#SBATCH` line each. */
function sbatchOptions(job: JobSpec, chunk: ArrayChunk, ctx: ScriptContext): string[] {
  const s = job.settings
  const out = [`--job-name=scicurate-${ctx.pipelineName}-${job.name}`, "--output=/dev/null", "--ntasks=1", `--cpus-per-task=${s.cpus_per_task ?? 1}`, `--mem=${s.mem ?? `${TASK_BASE_MB}M`}`]
  if (job.kind === "tasks") out.push(`--array=${arraySpec(chunk.indices, s.max_parallel)}`)
  if (s.partition) out.push(`--partition=${s.partition}`)
  if (s.account) out.push(`--account=${s.account}`)
  if (s.time) out.push(`--time=${s.time}`)
  return [...out, ...(s.sbatch_args ?? [])]
}

/**
 * The batch script of one job (one chunk of its ranks). Its output goes to one log per task in the work
 * folder, which `status` names; temporaries go to node-local scratch. The task is the same entry point
 * the local executor's workers run, with the rank from SLURM_ARRAY_TASK_ID (plus the chunk's offset).
 */
export function jobScript(job: JobSpec, chunk: ArrayChunk, ctx: ScriptContext): string {
  const lines = ["#!/bin/bash", ...sbatchOptions(job, chunk, ctx).map((o) => `#SBATCH ${o}`)]
  lines.push(`# scicurate ${ctx.version}, pipeline ${ctx.pipelineName}: ${job.kind === "plan" ? `planning of stage ${job.stage}` : `${job.name}, ${job.ranks.length} of ${job.world} task(s)`}`)
  lines.push("set -eu")
  const scratch = job.settings.scratch ? shellWord(job.settings.scratch) : '"${SCICURATE_SCRATCH:-${TMPDIR:-/tmp}}"'
  const env = Object.entries(ctx.env).map(([k, v]) => `export ${k}=${shellWord(v)}`)
  const node = `${shellWord(ctx.node)} --disable-warning=ExperimentalWarning --max-old-space-size=${ctx.heapMb}`
  if (job.kind === "plan") {
    lines.push(`mkdir -p ${shellWord(job.logDir)}`, `exec >${shellWord(`${job.logDir}/plan.log`)} 2>&1`, ...env)
    lines.push(`echo "scicurate: planning ${job.stage}, job $SLURM_JOB_ID on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ)"`)
    lines.push(`exec ${node} ${shellWord(ctx.planJob)} ${shellWord(ctx.submissionFile)} ${job.position}`)
  } else {
    lines.push(`rank=$((SLURM_ARRAY_TASK_ID + ${chunk.offset}))`, `mkdir -p ${shellWord(job.logDir)}`, `exec >${shellWord(job.logDir)}/"$rank.log" 2>&1`, ...env)
    lines.push(`export SCICURATE_SCRATCH=${scratch}`)
    lines.push(`echo "scicurate: ${job.name} task $rank of ${job.world}, job \${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID} on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ), scratch $SCICURATE_SCRATCH"`)
    lines.push(`exec ${node} ${shellWord(ctx.taskMain)} ${shellWord(job.planFile)} "$rank"`)
  }
  return lines.join("\n") + "\n"
}

/** The dependency options of a job that waits for `ids`: a failed one cancels it instead of leaving it pending forever. */
export const dependencyArgs = (ids: ReadonlyArray<string>): string[] => (ids.length === 0 ? [] : [`--dependency=afterok:${ids.join(":")}`, "--kill-on-invalid-dep=yes"])
