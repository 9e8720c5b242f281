/**
 * The Slurm executor: a pipeline becomes a chain of job arrays, one per stage and per phase, each
 * `afterok` on the one before (with `--kill-on-invalid-dep=yes`: a failed task cancels what depends on
 * it instead of leaving it pending forever). Array elements run `task-main.ts PLAN RANK`, the entry
 * point of the local executor's workers, so a task is the same code, writing the same bytes, wherever
 * it runs. `run` follows the jobs to the end unless `--detach`; the job ids are recorded in
 * `<work>/_slurm/submission.json` as they are submitted, so a `run` that was killed re-attaches to the
 * live jobs instead of submitting them twice, and `run` after a failure submits only unfinished tasks.
 *
 * Planning versus chaining. A plan fixes what each task reads. Ingest's plan follows from the input
 * files, and every phase's plan from its stage's plan (dedup's phases read shards whose names are known in
 * advance; bundle-shards places documents by counts every task computes alike at task start). But a
 * stage that reads a dataset cuts it into row slices of equal bytes from the Parquet metadata of the
 * shards the stage before it wrote (slices.ts), and those slices are in the plan and its hash; they
 * cannot be known before that stage has run. Computing them up front from estimates would give other
 * slices, so other shards, than a local run. So:
 *
 * - stages are planned at submission, exactly as the local runner plans them, for as long as the stage
 *   before is complete (the first stage, or every stage of a rerun up to the first unfinished one); their
 *   arrays hold only the unfinished ranks;
 * - each later stage gets a one-task planning job (`slurm-plan-job.ts`), `afterok` on the stage before,
 *   which checks that stage's accounting and then plans the stage with the same functions (planStage,
 *   withRowGroups, settlePlan): deterministic, from the same bytes, so the plan is the local run's. Its
 *   arrays, submitted at once `afterok` on it, hold every rank (the stage's `tasks` fixes the world at
 *   submission; nothing of it can be done yet, and a task that finds its marker exits at once).
 *
 * Only one process writes a plan file at a time (the submitting `run`, under the work folder's lock, or
 * the one planning job, which runs alone in the chain), so tasks never see a plan change under them.
 * Planning at the start of every array task instead would save a job per stage, but each task would then
 * race to empty a folder whose plan changed while others already write into it; and a fixed world with
 * slices cut at task start would need the same guard for the plan file and its hash. The price of the
 * planning job is one more short job per stage in the queue (it asks for the same partition and account).
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import { AccountingError, ConfigError, LockedError, SlurmError } from "../core/errors.ts"
import { readJson, removeStaleTemporaries, stageLayout, writeFileAtomic } from "../core/layout.ts"
import type { SlurmJobSettings, SlurmSettings } from "../core/settings.ts"
import { isTaskDone, type StagePlan } from "../core/stage.ts"
import { sumStats } from "../core/stats.ts"
import { shellWord } from "../core/text.ts"
import { SCICURATE_VERSION } from "../core/version.ts"
import type { ResolvedPipeline } from "../pipeline/config.ts"
import { incompleteDataset, planStage, upstreamOf, withRowGroups, type Upstream } from "../pipeline/plan.ts"
import { readStageStats, settlePlan, stageAccountingProblem, withLock, type StageTiming } from "../pipeline/run.ts"
import { stageNamed } from "../pipeline/stages.ts"
import { pendingRanks } from "./local.ts"
import { chunkRanks, dependencyArgs, expandArraySpec, jobScript, jobSettings, type ArrayChunk, type JobSpec, type ScriptContext } from "./slurm-jobs.ts"

const TASK_MAIN = fileURLToPath(new URL("./task-main.ts", import.meta.url))
const PLAN_JOB = fileURLToPath(new URL("./slurm-plan-job.ts", import.meta.url))
const WORKER_HEAP_MB = Number(process.env.SCICURATE_WORKER_HEAP_MB) || 2048

/** One job as submitted: its spec and the Slurm job id of each chunk of its ranks. */
export interface SubmittedJob extends JobSpec {
  readonly chunks: ReadonlyArray<ArrayChunk & { readonly id: string }>
}

/** `<work>/_slurm/submission.json`: what the last `run --executor slurm` submitted, written after every sbatch. */
export interface Submission {
  readonly format: "scicurate-slurm/1"
  readonly submitted_at: string
  /** The pipeline as resolved at submission: the planning jobs plan from it, not from a file that may have changed since. */
  readonly pipeline: ResolvedPipeline
  /** False while jobs are still being submitted (a `run` killed then leaves a partial chain). */
  readonly complete: boolean
  readonly jobs: ReadonlyArray<SubmittedJob>
}

export const slurmDir = (work: string): string => path.join(work, "_slurm")
export const submissionFile = (work: string): string => path.join(slurmDir(work), "submission.json")

export function readSubmission(work: string): Submission | null {
  const file = submissionFile(work)
  return fs.existsSync(file) ? readJson<Submission>(file) : null
}

// ---------------------------------------------------------------------------------------- commands ---

/** Run a Slurm command; its stdout, or a SlurmError naming the command and what it said. */
function slurmCommand(command: string, args: ReadonlyArray<string>): string | SlurmError {
  const r = spawnSync(command, args, { encoding: "utf8", timeout: 120_000 })
  if (r.error) return new SlurmError({ message: `${command}: ${(r.error as NodeJS.ErrnoException).code === "ENOENT" ? "not found (is this a Slurm login node?)" : r.error.message}` })
  if (r.status !== 0) return new SlurmError({ message: `${[command, ...args].map(shellWord).join(" ")} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split("\n")[0]}` })
  return r.stdout
}

const orFail = <A>(value: A | SlurmError): Effect.Effect<A, SlurmError> => (value instanceof SlurmError ? Effect.fail(value) : Effect.succeed(value))

/** A value of `scontrol show config` (e.g. MaxArraySize), or null. */
function clusterConfig(key: string): string | null {
  const out = slurmCommand("scontrol", ["show", "config"])
  if (out instanceof SlurmError) return null
  return new RegExp(`^${key}\\s*=\\s*(.*)$`, "m").exec(out)?.[1]?.trim() ?? null
}

/**
 * The largest array index + 1 the cluster accepts. SCICURATE_SLURM_MAX_ARRAY_SIZE can only lower it
 * (the tests split arrays on a cluster whose limit is 1001).
 */
export function maxArraySize(): number {
  const cluster = Number(clusterConfig("MaxArraySize")) || 1001
  const cap = Number(process.env.SCICURATE_SLURM_MAX_ARRAY_SIZE)
  return cap > 0 ? Math.min(cap, cluster) : cluster
}

// --------------------------------------------------------------------------------------- planning ---

/** What submission decides: the jobs in chain order, and the stages it planned itself. */
interface Chain {
  readonly jobs: JobSpec[]
  readonly notes: string[]
}

/** Documents the stage after `plan` will read (its stats), when the stage is complete; else null. */
export function documentsOut(plan: StagePlan): number | null {
  const stats = readStageStats(plan)
  return stats.length === plan.world ? sumStats(plan.stage, stats).documents_out : null
}

/**
 * The jobs a submission is made of, planning (and, unless `dryRun`, settling: writing plans, clearing
 * folders whose plan changed) every stage whose input is complete, as the local runner would.
 */
const buildChain = (
  pipeline: ResolvedPipeline,
  cli: SlurmJobSettings,
  dryRun: boolean,
  log: (line: string) => void
): Effect.Effect<Chain, ConfigError | AccountingError> =>
  Effect.gen(function* () {
    const jobs: JobSpec[] = []
    const notes: string[] = []
    const logs = path.join(slurmDir(pipeline.work), "logs")
    let upstream: Upstream | null = null
    let upstreamPlan: StagePlan | null = null
    /** False from the first stage that cannot be planned now (its input is not complete yet). */
    let plannable = true
    for (const [position, config] of pipeline.config.stages.entries()) {
      const stageSlurm = config.slurm as SlurmSettings | undefined
      const documents = upstreamPlan && plannable ? documentsOut(upstreamPlan) : null
      const tasksJob = (plan: StagePlan, ranks: ReadonlyArray<number>): JobSpec => ({
        name: plan.stage,
        stage: config.stage,
        kind: "tasks",
        position,
        planFile: stageLayout(plan.dir).planFile,
        world: plan.world,
        ranks,
        settings: jobSettings(cli, stageSlurm, plan.stage, documents),
        logDir: path.join(logs, plan.stage)
      })
      if (plannable) {
        if (upstreamPlan) {
          const problem = stageAccountingProblem(upstreamPlan)
          if (problem) return yield* problem
        }
        const plan = planStage(pipeline, config, position, upstream === null ? null : yield* Effect.promise(() => withRowGroups(upstream!)))
        if (plan instanceof ConfigError) return yield* plan
        const phases = stageNamed(plan.stage).phases?.(plan) ?? []
        if (!dryRun) settlePlan(plan, false, log)
        const pending = pendingRanks(plan)
        if (pending.length === 0) {
          notes.push(`${plan.stage}: all ${plan.world} task(s) already done`)
        } else {
          for (const phase of phases) {
            if (!dryRun) settlePlan(phase, false, log)
            if (!dryRun) removeStaleTemporaries(phase.dir)
            const left = pendingRanks(phase)
            if (left.length > 0) jobs.push(tasksJob(phase, left))
            else notes.push(`${phase.stage}: all ${phase.world} task(s) already done`)
          }
          if (!dryRun) removeStaleTemporaries(plan.dir)
          jobs.push(tasksJob(plan, pending))
          plannable = false
        }
        upstream = upstreamOf(plan)
        upstreamPlan = plan
      } else {
        // Planned by a job once the stage before has run; the world and the phases are known now.
        const provisional = planStage(pipeline, config, position, upstream)
        if (provisional instanceof ConfigError) return yield* provisional
        jobs.push({
          name: `plan-${config.stage}`,
          stage: config.stage,
          kind: "plan",
          position,
          planFile: stageLayout(provisional.dir).planFile,
          world: 1,
          ranks: [0],
          settings: jobSettings(cli, stageSlurm, `plan-${config.stage}`, null),
          logDir: path.join(logs, config.stage)
        })
        const all = (p: StagePlan) => Array.from({ length: p.world }, (_, r) => r)
        for (const phase of stageNamed(provisional.stage).phases?.(provisional) ?? []) jobs.push(tasksJob(phase, all(phase)))
        jobs.push(tasksJob(provisional, all(provisional)))
        upstream = upstreamOf(provisional)
        upstreamPlan = provisional
      }
    }
    return { jobs, notes }
  })

const scriptContext = (pipeline: ResolvedPipeline): ScriptContext => {
  // What the tasks must see whatever the cluster exports: reproducible times and scicurate's own knobs.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => v !== undefined && (k === "SOURCE_DATE_EPOCH" || (k.startsWith("SCICURATE_") && k !== "SCICURATE_SCRATCH")))
  ) as Record<string, string>
  return {
    node: process.execPath,
    taskMain: TASK_MAIN,
    planJob: PLAN_JOB,
    submissionFile: submissionFile(pipeline.work),
    pipelineName: pipeline.config.name,
    version: SCICURATE_VERSION,
    heapMb: WORKER_HEAP_MB,
    env
  }
}

/** What `--dry-run` prints: one shell script that would submit the chain, each job's script inline. */
export function dryRunScript(pipeline: ResolvedPipeline, chain: Chain, maxArray: number): string {
  const ctx = scriptContext(pipeline)
  const out = [
    "#!/bin/bash",
    `# scicurate run --executor slurm --dry-run: pipeline ${pipeline.config.name}, work ${pipeline.work}`,
    `# MaxArraySize ${maxArray}: ranks at or above it go to further arrays (rank = offset + SLURM_ARRAY_TASK_ID).`,
    `# A real run records the job ids in ${submissionFile(pipeline.work)} (the planning jobs read the pipeline from it).`,
    ...chain.notes.map((n) => `# ${n}`),
    "set -e"
  ]
  let previous: string[] = []
  for (const [i, job] of chain.jobs.entries()) {
    const vars: string[] = []
    for (const [c, chunk] of chunkRanks(job.ranks, maxArray).entries()) {
      const v = `job${i + 1}${c > 0 ? `_${c}` : ""}`
      const deps = dependencyArgs(previous.map((p) => `\${${p}%%;*}`))
      out.push("", `# ${job.name}: ${job.kind === "plan" ? "plans the stage once the stage before it has run" : `ranks ${job.ranks.length === job.world ? `all ${job.world}` : job.ranks.join(",")}`}`)
      out.push(`${v}=$(sbatch --parsable ${deps.join(" ")} <<'SBATCH'`.replace("  <<", " <<"), jobScript(job, chunk, ctx).trimEnd(), "SBATCH", ")")
      vars.push(v)
    }
    previous = vars
  }
  return out.join("\n") + "\n"
}

// -------------------------------------------------------------------------------------- submitting ---

/** Submit the chain, recording each job id in the submission file as soon as sbatch returns it. */
const submitChain = (pipeline: ResolvedPipeline, chain: Chain, maxArray: number, log: (line: string) => void): Effect.Effect<Submission, SlurmError> =>
  Effect.gen(function* () {
    const ctx = scriptContext(pipeline)
    const scripts = path.join(slurmDir(pipeline.work), "scripts")
    fs.mkdirSync(scripts, { recursive: true })
    const jobs: SubmittedJob[] = []
    let submission: Submission = { format: "scicurate-slurm/1", submitted_at: new Date().toISOString(), pipeline, complete: false, jobs }
    const record = () => writeFileAtomic(submissionFile(pipeline.work), JSON.stringify(submission, null, 2) + "\n")
    record()
    let previous: string[] = []
    for (const job of chain.jobs) {
      const chunks: Array<ArrayChunk & { id: string }> = []
      jobs.push({ ...job, chunks })
      for (const [c, chunk] of chunkRanks(job.ranks, maxArray).entries()) {
        const script = path.join(scripts, `${job.name}${c > 0 ? `.${c}` : ""}.sh`)
        writeFileAtomic(script, jobScript(job, chunk, ctx))
        const out = yield* orFail(slurmCommand("sbatch", ["--parsable", ...dependencyArgs(previous), script]))
        chunks.push({ ...chunk, id: out.trim().split(";")[0]! })
        record()
      }
      log(`slurm: ${job.name}: job ${chunks.map((c) => c.id).join(", ")} (${job.kind === "plan" ? "planning" : `${job.ranks.length} of ${job.world} task(s)`})${previous.length > 0 ? `, after ${previous.join(", ")}` : ""}`)
      previous = chunks.map((c) => c.id)
    }
    submission = { ...submission, complete: true }
    record()
    return submission
  })

// ---------------------------------------------------------------------------------- Slurm's view ---

/** A task as Slurm sees it: its state (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, ...), reason and exit code. */
export interface SlurmTaskState {
  readonly state: string
  readonly reason: string | null
  readonly exitCode: string | null
  /** When it started and ended (ms since the epoch), when Slurm says. */
  readonly start?: number
  readonly end?: number
}

/** Parse `scontrol show job -o` or jobcomp lines: per array index (or -1 for a plain job) of each job id. */
export function parseJobLines(text: string, into: Map<string, Map<number, SlurmTaskState>>): void {
  for (const line of text.split("\n")) {
    const field = (k: string) => new RegExp(`(?:^|\\s)${k}=(\\S*)`).exec(line)?.[1] ?? null
    const state = field("JobState")
    if (state === null) continue
    const id = field("ArrayJobId") ?? field("JobId")
    if (id === null) continue
    const tasks = field("ArrayTaskId")
    const indices = tasks === null ? [-1] : expandArraySpec(tasks)
    const reason = field("Reason")
    // Slurm prints local times without a zone, which Date reads as local time too.
    const time = (k: string) => {
      const t = Date.parse(field(k) ?? "")
      return Number.isFinite(t) ? { [k === "StartTime" ? "start" : "end"]: t } : {}
    }
    const entry = { state, reason: reason === "None" ? null : reason, exitCode: field("ExitCode"), ...time("StartTime"), ...time("EndTime") }
    const known = into.get(id) ?? new Map<number, SlurmTaskState>()
    for (const i of indices) known.set(i, entry)
    into.set(id, known)
  }
}

/** Live jobs (pending, running, ...) of ours, by array job id and index, from one `squeue`. */
function liveTasks(): Map<string, Map<number, SlurmTaskState>> | SlurmError {
  const out = slurmCommand("squeue", ["--me", "-h", "-r", "-o", "%F|%K|%T|%r"])
  if (out instanceof SlurmError) return out
  const live = new Map<string, Map<number, SlurmTaskState>>()
  for (const line of out.split("\n")) {
    const [id, index, state, reason] = line.trim().split("|")
    if (!id || !state) continue
    const known = live.get(id) ?? new Map<number, SlurmTaskState>()
    const indices = index === undefined || index === "N/A" ? [-1] : expandArraySpec(index)
    for (const i of indices) known.set(i, { state, reason: reason && reason !== "None" ? reason : null, exitCode: null })
    live.set(id, known)
  }
  return live
}

/** The job ids of a submission that Slurm still has pending or running. */
export function liveJobIds(submission: Submission): string[] | SlurmError {
  const live = liveTasks()
  if (live instanceof SlurmError) return live
  return submission.jobs.flatMap((j) => j.chunks.map((c) => c.id)).filter((id) => live.has(id))
}

/**
 * What Slurm knows of the ended tasks of `ids`: `scontrol show job -o` (kept MinJobAge seconds after the
 * end), then, for jobs it has forgotten, the jobcomp log when the cluster writes one (no slurmdbd, so no
 * sacct). Later lines win (a rerun's job under the same id cannot happen; a requeue's can).
 */
function endedTasks(ids: ReadonlyArray<string>): Map<string, Map<number, SlurmTaskState>> {
  const known = new Map<string, Map<number, SlurmTaskState>>()
  const forgotten: string[] = []
  for (const id of ids) {
    const out = slurmCommand("scontrol", ["show", "job", "-o", id])
    if (out instanceof SlurmError) forgotten.push(id)
    else parseJobLines(out, known)
  }
  if (forgotten.length > 0 && clusterConfig("JobCompType") === "jobcomp/filetxt") {
    const file = clusterConfig("JobCompLoc")
    if (file && fs.existsSync(file)) {
      const wanted = new Set(forgotten)
      const lines = fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => {
          const id = /(?:^|\s)ArrayJobId=(\d+)/.exec(l)?.[1] ?? /^JobId=(\d+)/.exec(l)?.[1]
          return id !== undefined && wanted.has(id)
        })
      parseJobLines(lines.join("\n"), known)
    }
  }
  return known
}

/** One task of a submission, merged: its done marker first, then Slurm's view. */
export interface TaskView {
  readonly job: string
  readonly rank: number
  readonly world: number
  /** `id_index` as Slurm names it (or the job id of a planning job). */
  readonly slurmId: string
  readonly status: "done" | "running" | "pending" | "failed" | "cancelled" | "unknown"
  readonly detail: string
  readonly log: string
}

export interface SubmissionView {
  readonly submission: Submission
  readonly tasks: ReadonlyArray<TaskView>
  readonly live: number
  /** Per job, from the first start to the last end of its ended tasks, as Slurm recorded them. */
  readonly spans: ReadonlyMap<string, { readonly start: number; readonly end: number }>
}

/** A plan as its folder holds it now (null when not planned yet). */
function planAt(planFile: string): StagePlan | null {
  return fs.existsSync(planFile) ? { ...readJson<StagePlan>(planFile), dir: path.dirname(planFile) } : null
}

const exitText = (code: string | null): string => {
  if (code === null) return ""
  const [status, signal] = code.split(":")
  return signal && signal !== "0" ? `, killed by signal ${signal}` : `, exit code ${status}`
}

/** The last non-empty line of a log: what a failed task said last (its error). */
export function lastLogLine(file: string): string | null {
  try {
    const lines = fs.readFileSync(file, "utf8").split("\n").map((l) => l.trim()).filter(Boolean)
    return lines.at(-1) ?? null
  } catch {
    return null
  }
}

export function viewSubmission(submission: Submission): SubmissionView | SlurmError {
  const live = liveTasks()
  if (live instanceof SlurmError) return live
  const ids = submission.jobs.flatMap((j) => j.chunks.map((c) => c.id))
  const ended = endedTasks(ids)
  const tasks: TaskView[] = []
  const spans = new Map<string, { start: number; end: number }>()
  for (const job of submission.jobs) {
    const plan = job.kind === "tasks" ? planAt(job.planFile) : null
    for (const chunk of job.chunks) {
      for (const index of chunk.indices) {
        const rank = chunk.offset + index
        const key = job.kind === "plan" ? -1 : index
        const slurmId = job.kind === "plan" ? chunk.id : `${chunk.id}_${index}`
        const log = job.kind === "plan" ? path.join(job.logDir, "plan.log") : path.join(job.logDir, `${rank}.log`)
        const base = { job: job.name, rank, world: job.world, slurmId, log }
        const seen = live.get(chunk.id)?.get(key) ?? ended.get(chunk.id)?.get(key) ?? null
        const span = spans.get(job.name)
        if (seen?.start !== undefined && seen.end !== undefined && seen.end >= seen.start) {
          spans.set(job.name, { start: Math.min(span?.start ?? seen.start, seen.start), end: Math.max(span?.end ?? seen.end, seen.end) })
        }
        // A planning job leaves no marker: done when Slurm says so, or, once Slurm has forgotten it, when
        // the plan it writes is newer than the submission.
        const planDone =
          job.kind === "plan" &&
          (seen?.state === "COMPLETED" || (seen === null && fs.existsSync(job.planFile) && fs.statSync(job.planFile).mtime.toISOString() > submission.submitted_at))
        if ((plan !== null && isTaskDone(plan, rank)) || planDone) {
          tasks.push({ ...base, status: "done", detail: "" })
        } else if (seen === null && (live.has(chunk.id) || ended.has(chunk.id))) {
          // Slurm drops a pending array task that is scancel'led from the array's record, jobcomp included.
          tasks.push({ ...base, status: "cancelled", detail: "cancelled before it started (Slurm keeps no record of a pending array task that is cancelled)" })
        } else if (seen === null) {
          tasks.push({ ...base, status: "unknown", detail: "not in squeue, scontrol or the jobcomp log" })
        } else if (seen.state === "PENDING") {
          tasks.push({ ...base, status: "pending", detail: seen.reason ?? "" })
        } else if (["RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING"].includes(seen.state)) {
          tasks.push({ ...base, status: "running", detail: seen.state === "RUNNING" ? "" : seen.state })
        } else if (seen.state === "CANCELLED") {
          const why = seen.reason === "DependencyNeverSatisfied" ? "an earlier job failed or was cancelled (dependency never satisfied)" : `cancelled${seen.reason ? ` (${seen.reason})` : ""}`
          tasks.push({ ...base, status: "cancelled", detail: why })
        } else if (seen.state === "COMPLETED") {
          tasks.push({ ...base, status: "failed", detail: "ended without its done marker (its outputs are missing or its plan changed)" })
        } else {
          tasks.push({ ...base, status: "failed", detail: `${seen.state}${exitText(seen.exitCode)}${seen.reason ? ` (${seen.reason})` : ""}` })
        }
      }
    }
  }
  return { submission, tasks, live: ids.filter((id) => live.has(id)).length, spans }
}

/** The Slurm part of `status`: per job, tasks by state; then each failed or cancelled task, with its log and last line. */
export function renderSubmission(view: SubmissionView): string {
  const byJob = new Map<string, TaskView[]>()
  for (const t of view.tasks) byJob.set(t.job, [...(byJob.get(t.job) ?? []), t])
  const header = ["job", "slurm id", "tasks", "done", "running", "pending", "failed", "cancelled"]
  const rows = view.submission.jobs.map((j) => {
    const ts = byJob.get(j.name) ?? []
    const n = (s: TaskView["status"]) => String(ts.filter((t) => t.status === s).length)
    return [j.name, j.chunks.map((c) => c.id).join(",") || "-", String(ts.length), n("done"), n("running"), n("pending"), n("failed"), String(ts.filter((t) => t.status === "cancelled" || t.status === "unknown").length)]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()
  const out = [
    `slurm: submitted ${view.submission.submitted_at}${view.submission.complete ? "" : " (submission interrupted: run again to finish it)"}, ${view.live} job(s) still in the queue`,
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line)
  ]
  const what = (t: TaskView) => (t.job.startsWith("plan-") ? `${t.job} (job ${t.slurmId})` : `${t.job} task ${t.rank + 1} of ${t.world} (job ${t.slurmId})`)
  // A task that ran has a log, and what it said last is usually why it failed.
  for (const t of view.tasks.filter((t) => t.status === "failed" || ((t.status === "cancelled" || t.status === "unknown") && fs.existsSync(t.log)))) {
    out.push(`${t.status}: ${what(t)}: ${t.detail}; log ${t.log}`)
    const last = lastLogLine(t.log)
    if (last) out.push(`  last line of the log: ${last}`)
  }
  // Tasks that never started: one line per job and reason.
  const unstarted = new Map<string, TaskView[]>()
  for (const t of view.tasks.filter((t) => (t.status === "cancelled" || t.status === "unknown") && !fs.existsSync(t.log))) {
    const key = `${t.status}: ${t.job} (job ${t.slurmId.split("_")[0]}): ${t.detail}`
    unstarted.set(key, [...(unstarted.get(key) ?? []), t])
  }
  for (const [key, ts] of unstarted) out.push(`${key.replace(/\): /, `, ${ts.length} task(s) never started): `)}`)
  const waiting = view.tasks.find((t) => t.status === "pending" && t.detail)
  if (waiting) out.push(`pending: ${what(waiting)}: ${waiting.detail}`)
  return out.join("\n")
}

// ------------------------------------------------------------------------------------ run, cancel ---

export interface SlurmRunOptions {
  readonly settings: SlurmJobSettings
  readonly detach: boolean
  readonly dryRun: boolean
  readonly log: (line: string) => void
  /** Where --dry-run prints the scripts. */
  readonly print: (text: string) => void
  readonly pollMs?: number
}

export type SlurmOutcome = { readonly _tag: "Finished" } | { readonly _tag: "Detached"; readonly submission: Submission | null } | { readonly _tag: "DryRun" }

/**
 * `run --executor slurm`: attach to the jobs of an earlier submission that are still queued, or submit
 * the unfinished tasks; then follow them to the end (unless detached) and check the pipeline's accounting.
 */
export const runOnSlurm = (
  pipeline: ResolvedPipeline,
  options: SlurmRunOptions
): Effect.Effect<SlurmOutcome, SlurmError | ConfigError | AccountingError | LockedError> =>
  Effect.gen(function* () {
    const maxArray = maxArraySize()
    if (options.dryRun) {
      const chain = yield* buildChain(pipeline, options.settings, true, options.log)
      options.print(dryRunScript(pipeline, chain, maxArray))
      return { _tag: "DryRun" } as const
    }
    // Before anything is planned or written: a machine without Slurm says so at once.
    yield* orFail(slurmCommand("sbatch", ["--version"]))
    const previous = readSubmission(pipeline.work)
    if (previous) {
      const live = yield* orFail(liveJobIds(previous))
      if (live.length > 0) {
        options.log(`slurm: attaching to ${live.length} job(s) still queued from the submission of ${previous.submitted_at} (${live.join(", ")}); nothing submitted`)
        if (options.detach) return { _tag: "Detached", submission: previous } as const
        return yield* follow(pipeline, previous, options)
      }
    }
    const submission = yield* withLock(
      pipeline.work,
      Effect.gen(function* () {
        const chain = yield* buildChain(pipeline, options.settings, false, options.log)
        for (const note of chain.notes) options.log(note)
        if (chain.jobs.length === 0) return null
        return yield* submitChain(pipeline, chain, maxArray, options.log)
      })
    )
    if (submission === null) {
      options.log("slurm: every task is done; nothing to submit")
      yield* checkFinished(pipeline)
      return { _tag: "Finished" } as const
    }
    if (options.detach) {
      options.log(`slurm: submitted; follow with: scicurate status ${pipeline.work}`)
      return { _tag: "Detached", submission } as const
    }
    return yield* follow(pipeline, submission, options)
  })

/** Poll until none of the submission's jobs is queued, saying what changes; then say how it ended. */
const follow = (pipeline: ResolvedPipeline, submission: Submission, options: SlurmRunOptions): Effect.Effect<SlurmOutcome, SlurmError | AccountingError> =>
  Effect.gen(function* () {
    const poll = options.pollMs ?? (Number(process.env.SCICURATE_SLURM_POLL_MS) || 5000)
    const tasksJobs = submission.jobs.filter((j) => j.kind === "tasks")
    const total = tasksJobs.reduce((a, j) => a + j.ranks.length, 0)
    let said = ""
    let failures = 0
    while (true) {
      // One squeue and one listing of each job's `_done` folder per poll: cheap for slurmctld and the
      // metadata server alike; Slurm's records of ended tasks (scontrol, jobcomp) are read once, at the end.
      const polled = liveTasks()
      // A busy slurmctld times out now and then; the jobs are not affected, so keep following a while.
      if (polled instanceof SlurmError && ++failures < MAX_POLL_FAILURES) {
        options.log(`slurm: ${polled.message} (retrying)`)
        yield* Effect.sleep(poll)
        continue
      }
      failures = 0
      const live = yield* orFail(polled)
      const states = (job: SubmittedJob) => job.chunks.flatMap((c) => [...(live.get(c.id)?.values() ?? [])].map((t) => t.state))
      const running = tasksJobs.filter((j) => states(j).includes("RUNNING"))
      const count = (state: string) => tasksJobs.reduce((a, j) => a + states(j).filter((s) => s === state).length, 0)
      const done = tasksJobs.reduce((a, j) => a + doneRanks(j), 0)
      const line = `slurm: ${done}/${total} task(s) done, ${count("RUNNING")} running${running.length ? ` (${running.map((j) => j.name).join(", ")})` : ""}, ${count("PENDING")} pending`
      if (line !== said) options.log(line)
      said = line
      if (!submission.jobs.some((j) => j.chunks.some((c) => live.has(c.id)))) {
        const view = yield* orFail(viewSubmission(submission))
        if (view.tasks.every((t) => t.status === "done") && submission.complete) {
          writeTimings(submission, view)
          yield* checkFinished(pipeline)
          return { _tag: "Finished" } as const
        }
        options.log(renderSubmission(view))
        return yield* new SlurmError({
          message: `${view.tasks.filter((t) => t.status !== "done").length} task(s) did not finish (see above, or scicurate status ${pipeline.work}); fix the cause and run again: only the unfinished tasks are submitted`
        })
      }
      yield* Effect.sleep(poll)
    }
  })

/**
 * Each stage's wall time, for `status` (as the local runner writes it): from the first start to the last
 * end of its jobs (its planning job and phases included) as Slurm recorded them; `workers` is the widest
 * array, the tasks that could run at once.
 */
function writeTimings(submission: Submission, view: SubmissionView): void {
  for (const stage of new Set(submission.jobs.map((j) => j.stage))) {
    const jobs = submission.jobs.filter((j) => j.stage === stage)
    const spans = jobs.flatMap((j) => view.spans.get(j.name) ?? [])
    const stageJob = jobs.find((j) => j.name === stage)
    if (spans.length === 0 || !stageJob) continue
    const timing: StageTiming = {
      wall_seconds: (Math.max(...spans.map((s) => s.end)) - Math.min(...spans.map((s) => s.start))) / 1000,
      workers: Math.max(...jobs.map((j) => j.ranks.length)),
      tasks_run: stageJob.ranks.length,
      coordinator_peak_rss_bytes: process.resourceUsage().maxRSS * 1024
    }
    writeFileAtomic(stageLayout(path.dirname(stageJob.planFile)).timing, JSON.stringify(timing, null, 2) + "\n")
  }
}

/** How many of a job's ranks have a done marker (counted from one listing; `status` checks markers fully). */
function doneRanks(job: SubmittedJob): number {
  const dir = path.dirname(stageLayout(path.dirname(job.planFile)).done(0))
  const ranks = new Set(job.ranks.map(String))
  try {
    return fs.readdirSync(dir).filter((name) => ranks.has(name)).length
  } catch {
    return 0
  }
}

const MAX_POLL_FAILURES = 10

/** After the last job: every stage complete and accounted for, as the local runner checks after each stage. */
const checkFinished = (pipeline: ResolvedPipeline): Effect.Effect<void, SlurmError | AccountingError> =>
  Effect.gen(function* () {
    for (const config of pipeline.config.stages) {
      const dir = path.join(pipeline.work, config.stage)
      const problem = fs.existsSync(stageLayout(dir).planFile) ? incompleteDataset(dir) : `${dir} has no plan`
      if (problem) return yield* new SlurmError({ message: `the jobs ended but ${problem}; run again` })
      const accounting = stageAccountingProblem(planAt(stageLayout(dir).planFile)!)
      if (accounting) return yield* accounting
    }
  })

/** `scicurate cancel WORK`: scancel every job of the last submission that is still queued. */
export const cancelSubmission = (work: string): Effect.Effect<string, SlurmError> =>
  Effect.gen(function* () {
    const submission = readSubmission(work)
    if (submission === null) return yield* new SlurmError({ message: `${work}: nothing was submitted to Slurm from here (no ${submissionFile(work)})` })
    const live = yield* orFail(liveJobIds(submission))
    if (live.length === 0) return "slurm: no job of the last submission is still queued; nothing to cancel"
    yield* orFail(slurmCommand("scancel", live))
    return `slurm: cancelled ${live.length} job(s): ${live.join(", ")}; finished tasks are kept, run again to resubmit the rest`
  })
