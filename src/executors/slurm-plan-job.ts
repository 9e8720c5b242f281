/**
 * The planning job of the Slurm executor (see slurm.ts): `node slurm-plan-job.ts SUBMISSION POSITION`.
 * Runs once the stage before has run (afterok), checks that stage is complete and accounted for, then
 * plans stage POSITION exactly as the local runner does (row slices from the Parquet metadata of the
 * input), and settles the stage folder and its phases' folders: a folder whose plan changed is emptied,
 * and the plans are written (atomically). The task arrays after it read those plans.
 *
 * Exit code 0 when planned; 1 with the reason on stderr (the job's log), which makes Slurm cancel the
 * jobs after it (--kill-on-invalid-dep).
 */
import { spawnSync } from "node:child_process"
import * as path from "node:path"
import { ConfigError } from "../core/errors.ts"
import { readJson, removeStaleTemporaries, stageLayout } from "../core/layout.ts"
import type { StagePlan } from "../core/stage.ts"
import { incompleteDataset, planStage, upstreamOf, withRowGroups } from "../pipeline/plan.ts"
import { settlePlan, stageAccountingProblem } from "../pipeline/run.ts"
import { stageNamed } from "../pipeline/stages.ts"
import { documentsOut, type Submission } from "./slurm.ts"
import { TASK_BASE_MB, taskMemoryMb } from "./slurm-jobs.ts"

const fail = (message: string): never => {
  process.stderr.write(`scicurate: ${message}\n`)
  process.exit(1)
}

const [submissionFile, positionArg] = process.argv.slice(2)
if (!submissionFile || positionArg === undefined || !/^\d+$/.test(positionArg)) {
  process.stderr.write("usage: slurm-plan-job SUBMISSION_FILE POSITION\n")
  process.exit(2)
}
const { pipeline } = readJson<Submission>(submissionFile)
const position = Number(positionArg)
const config = pipeline.config.stages[position]
const before = pipeline.config.stages[position - 1]
if (!config || !before) fail(`${submissionFile}: the pipeline has no stage ${position} with one before it`)

const upstreamDir = path.join(pipeline.work, before!.stage)
const incomplete = incompleteDataset(upstreamDir)
if (incomplete) fail(`cannot plan ${config!.stage}: ${incomplete}`)
const upstreamPlan: StagePlan = { ...readJson<StagePlan>(stageLayout(upstreamDir).planFile), dir: upstreamDir }
const accounting = stageAccountingProblem(upstreamPlan)
if (accounting) fail(accounting.message)

const plan = planStage(pipeline, config!, position, await withRowGroups(upstreamOf(upstreamPlan)))
if (plan instanceof ConfigError) fail(plan.message)
const planned = plan as StagePlan
const log = (line: string) => process.stdout.write(`${line}\n`)
// The stage's folder first (it holds its phases' folders), then each phase's, as the local runner does.
for (const p of [planned, ...(stageNamed(planned.stage).phases?.(planned) ?? [])]) {
  settlePlan(p, false, log)
  removeStaleTemporaries(p.dir)
}
// The clusters task's memory grows with the documents (see taskMemoryMb), known only now: a job left at
// the default --mem is raised before it starts (a --mem that was set is left as it is).
const documents = documentsOut(upstreamPlan)
for (const job of readJson<Submission>(submissionFile).jobs.filter((j) => j.position === position && j.kind === "tasks")) {
  const needed = taskMemoryMb(job.name, documents)
  if (job.settings.mem !== `${TASK_BASE_MB}M` || needed <= TASK_BASE_MB) continue
  for (const chunk of job.chunks) {
    const r = spawnSync("scontrol", ["update", `JobId=${chunk.id}`, `MinMemoryNode=${needed}`], { encoding: "utf8" })
    log(`scicurate: ${job.name} (job ${chunk.id}): --mem ${needed}M for ${documents} documents${r.status === 0 ? "" : `, but scontrol update failed: ${(r.stderr || "").trim()}`}`)
  }
}
log(`scicurate: planned ${planned.stage}: ${planned.world} task(s), plan ${planned.hash.slice(0, 12)} in ${stageLayout(planned.dir).planFile}`)
