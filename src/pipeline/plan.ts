/**
 * Planning: turn a pipeline's stage into a plan file, before anything runs (DuckDB's split of planning
 * from execution). A plan fixes the number of tasks and what each one reads, so the outcome never depends
 * on how many workers run it or in what order tasks finish.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { ConfigError } from "../core/errors.ts"
import { canonicalJson, readJson, stageLayout } from "../core/layout.ts"
import { isTaskDone, type PlannedFile, type StagePlan } from "../core/stage.ts"
import { sha256Hex } from "../core/text.ts"
import { DEFAULT_SPLIT_BYTES, splitLargeFiles } from "./split.ts"
import { byPosition, listInputFiles } from "../ingest/inputs.ts"
import { SCICURATE_VERSION } from "../core/version.ts"
import type { ResolvedPipeline, StageConfig } from "./config.ts"
import { resolveReferences } from "../dedup/options.ts"
import { BundleDefinitionError, DEFAULT_BUNDLES_DIR, loadBundleDefinitions } from "../classify/definitions.ts"

export const DEFAULT_TASKS = 4

/** The input entries of the ingest plan already in `dir`, if any (to reuse its JSONL splits). */
function previousFiles(dir: string): PlannedFile[] {
  const file = stageLayout(dir).planFile
  if (!fs.existsSync(file)) return []
  const plan = readJson<StagePlan>(file)
  return plan.input.kind === "files" ? plan.input.assignments.flat() : []
}

/** Largest file first to the task with the fewest bytes so far (ties: lowest rank); each task then reads in path order. */
export function assignBySize(files: ReadonlyArray<PlannedFile>, world: number): PlannedFile[][] {
  const tasks: PlannedFile[][] = Array.from({ length: world }, () => [])
  const load = new Array<number>(world).fill(0)
  const bySize = [...files].sort((a, b) => b.size - a.size || byPosition(a, b))
  for (const f of bySize) {
    let best = 0
    for (let r = 1; r < world; r++) if (load[r]! < load[best]!) best = r
    tasks[best]!.push(f)
    load[best]! += Math.max(f.size, 1)
  }
  for (const t of tasks) t.sort(byPosition)
  return tasks
}

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
}

/** Build the plan of one stage. `upstream` is the plan of the stage before (null for ingest). */
export function planStage(
  pipeline: ResolvedPipeline,
  stage: StageConfig,
  position: number,
  upstream: Upstream | null,
  dir: string = path.join(pipeline.work, stage.stage)
): StagePlan | ConfigError {
  const { stage: name, ...settings } = stage
  let params: Record<string, unknown> = settings
  if (stage.stage === "dedup") {
    // Released signatures are inputs too: resolved and checked now, and part of the plan's hash.
    const base = pipeline.file ? path.dirname(pipeline.file) : process.cwd()
    const references = resolveReferences(stage.near, base, [dir, pipeline.work])
    if (typeof references === "string") return new ConfigError({ file: pipeline.file ?? "(command line)", message: references })
    if (references.length > 0) params = { ...settings, references }
  }
  if (stage.stage === "classify") {
    // The definitions themselves go into the plan (and so its hash): editing a lexicon reroutes, and
    // tasks route with exactly what was planned even if the files change while they run.
    const base = pipeline.file ? path.dirname(pipeline.file) : process.cwd()
    const { bundles, ...rest } = settings as { bundles?: string }
    const bundlesDir = bundles ? path.resolve(base, bundles) : DEFAULT_BUNDLES_DIR
    try {
      params = { ...rest, definitions: loadBundleDefinitions(bundlesDir) }
    } catch (e) {
      const message = e instanceof BundleDefinitionError ? e.message : `${bundlesDir}: ${(e as Error).message}`
      return new ConfigError({ file: pipeline.file ?? "(command line)", message: `classify: ${message}` })
    }
  }
  const common = {
    format: "scicurate-plan/1" as const,
    stage: name,
    position,
    params,
    dir,
    lineage: upstream?.lineage ?? [],
    pipeline: {
      name: pipeline.config.name,
      file: pipeline.file,
      configSha256: pipeline.configSha256,
      tokenizer: pipeline.tokenizer,
      output: pipeline.output
    }
  }
  if (name === "ingest") {
    const listed = listInputFiles(pipeline.inputs, pipeline.file ?? "(command line)", [pipeline.work, pipeline.output, dir], {
      followLinksOutsideInput: stage.follow_links_outside_input === true
    })
    if (listed instanceof ConfigError) return listed
    const files = splitLargeFiles(listed, stage.split_bytes ?? DEFAULT_SPLIT_BYTES, previousFiles(dir))
    const world = stage.tasks ?? DEFAULT_TASKS
    const identity = files.map((f) => [f.sourcePath, f.absPath, f.size, f.mtimeMs ?? (f.problem ?? f.filter)?.reason ?? null, f.range?.start ?? 0, f.license, f.domain])
    return { ...common, world, input: { kind: "files", assignments: assignBySize(files, world) }, hash: hashOf(name, params, world, identity) }
  }
  if (!upstream) return new ConfigError({ file: pipeline.file ?? "(command line)", message: `stage ${name} needs an earlier stage to read from` })

  const shards = upstream.shards
  const world = ("tasks" in stage && stage.tasks) || DEFAULT_TASKS
  // What else the bundle depends on: the manifest's pipeline facts and where it is published.
  const extra = name === "bundle" ? { output: pipeline.output, pipeline: pipeline.config.name, config: pipeline.configSha256 } : {}
  // From the tokenize stage on, every plan names the tokenizer that counted its documents' n_tokens.
  const tokenizer = name === "tokenize" ? tokenizerOf({ params, pipeline: common.pipeline }) : upstream.tokenizer
  if (name === "bundle" && upstream.stage !== null && upstream.stage !== "classify") {
    return new ConfigError({ file: pipeline.file ?? "(command line)", message: `bundle: its input ${upstream.dir} was written by ${upstream.stage}; bundle reads the output of a classify stage (run classify first)` })
  }
  if (name === "bundle" && !tokenizer) {
    return new ConfigError({ file: pipeline.file ?? "(command line)", message: `bundle: its input ${upstream.dir} has no token counts (run tokenize first)` })
  }
  return {
    ...common,
    world,
    input: { kind: "dataset", dir: upstream.dir, shards: [...shards] },
    ...(tokenizer ? { tokenizer } : {}),
    hash: hashOf(name, { ...params, ...extra, world, tokenizer }, upstream.hash)
  }
}

/** What a finished plan offers the stage after it: the shards it will have written. */
export const upstreamOf = (plan: StagePlan, dir: string = plan.dir): Upstream => ({
  dir,
  shards: Array.from({ length: plan.world }, (_, r) => stageLayout(dir).shard(r, plan.world)),
  hash: plan.hash,
  lineage: [...plan.lineage, dir],
  tokenizer: plan.tokenizer ?? null,
  stage: plan.stage
})

/** The tokenizer a tokenize stage uses: its own setting, else the pipeline's. */
export const tokenizerOf = (plan: Pick<StagePlan, "params" | "pipeline">): string => (plan.params.tokenizer as string | undefined) ?? plan.pipeline.tokenizer

/**
 * Why a stage folder cannot be read as a finished dataset (unfinished tasks, missing stats), or null.
 * A folder without a plan is just a folder of shards and is taken as it is.
 */
export function incompleteDataset(dir: string): string | null {
  const layout = stageLayout(dir)
  if (!fs.existsSync(layout.planFile)) return null
  const plan = { ...readJson<StagePlan>(layout.planFile), dir }
  const unfinished = Array.from({ length: plan.world }, (_, r) => r).filter((r) => !isTaskDone(plan, r) || !fs.existsSync(layout.stats(r)))
  return unfinished.length === 0 ? null : `task(s) ${unfinished.join(", ")} of ${plan.world} in ${dir} are not finished`
}

/** Outputs also depend on the code that made them: a new scicurate version redoes the stages. */
const hashOf = (...parts: unknown[]): string => sha256Hex(canonicalJson([SCICURATE_VERSION, ...parts]))
