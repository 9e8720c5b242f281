/**
 * Planning: turn a pipeline's stage into a plan file, before anything runs (DuckDB's split of planning
 * from execution). A plan fixes the number of tasks and what each one reads, so the outcome never depends
 * on how many workers run it or in what order tasks finish.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { ConfigError } from "../core/errors.ts"
import { canonicalJson, readJson, stageLayout } from "../core/layout.ts"
import { isTaskDone, type StagePlan, type Upstream } from "../core/stage.ts"
import { sha256Hex } from "../core/text.ts"
import { SCICURATE_VERSION } from "../core/version.ts"
import { openDuckDB } from "../core/duckdb.ts"
import { rowGroupSizes, sliceRows } from "../core/slices.ts"
import type { ResolvedPipeline, StageConfig } from "./config.ts"
import { stageNamed } from "./stages.ts"

export type { Upstream } from "../core/stage.ts"

export const DEFAULT_TASKS = 4

/**
 * Build the plan of one stage. `upstream` is the plan of the stage before (null for a stage that reads
 * files). The stage plans its own part (params, files, tokenizer); this adds what every plan has.
 */
export function planStage(
  pipeline: ResolvedPipeline,
  stage: StageConfig,
  position: number,
  upstream: Upstream | null,
  dir: string = path.join(pipeline.work, stage.stage)
): StagePlan | ConfigError {
  // `slurm` says where tasks run, not what they compute: it stays out of the plan (and its hash).
  const { stage: name, slurm: _executor, ...settings } = stage
  const definition = stageNamed(name)
  const file = pipeline.file ?? "(command line)"
  if (definition.reads === "dataset" && !upstream) return new ConfigError({ file, message: `stage ${name} needs an earlier stage to read from` })
  const world = stage.tasks ?? DEFAULT_TASKS
  const planPipeline = {
    name: pipeline.config.name,
    file: pipeline.file,
    configSha256: pipeline.configSha256,
    tokenizer: pipeline.tokenizer,
    output: pipeline.output
  }
  const planning = definition.plan({
    settings,
    pipeline: planPipeline,
    inputs: pipeline.inputs,
    work: pipeline.work,
    base: pipeline.file ? path.dirname(pipeline.file) : process.cwd(),
    file,
    dir,
    upstream,
    world
  })
  if (typeof planning === "string") return new ConfigError({ file, message: planning })
  // Tasks share a dataset by rows of about equal bytes (see slices.ts), not by whole shards.
  const slices = upstream?.rowGroups ? sliceRows(upstream.rowGroups, world) : undefined
  const input = planning.input ?? (upstream ? { kind: "dataset" as const, dir: upstream.dir, shards: [...upstream.shards], ...(slices ? { slices } : {}) } : null)
  if (input === null) return new ConfigError({ file, message: `stage ${name} planned no input` })
  // From the tokenize stage on, every plan names the tokenizer that counted its documents' n_tokens.
  const tokenizer = planning.tokenizer ?? upstream?.tokenizer ?? null
  return {
    format: "scicurate-plan/1",
    stage: name,
    position,
    params: planning.params,
    dir,
    lineage: upstream?.lineage ?? [],
    pipeline: planPipeline,
    world,
    input,
    ...(tokenizer ? { tokenizer } : {}),
    ...(planning.provenance ? { provenance: planning.provenance } : {}),
    outputs: definition.outputs,
    version: SCICURATE_VERSION,
    identity: planning.identity ?? null,
    upstreamHash: upstream?.hash ?? null,
    hash: hashOf(name, planning.params, world, tokenizer, planning.identity ?? null, upstream?.hash ?? null, slices ?? null)
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

/**
 * The upstream with the sizes of its shards' row groups, when all its shards exist (a stage is planned
 * after the one before it ran), so that the tasks can be balanced by bytes. A shard that cannot be read
 * leaves the upstream as it is: the stage then fails on it with a message of its own.
 */
export async function withRowGroups(upstream: Upstream): Promise<Upstream> {
  if (upstream.shards.length === 0 || !upstream.shards.every((s) => fs.existsSync(s))) return upstream
  const db = await openDuckDB()
  try {
    return { ...upstream, rowGroups: await rowGroupSizes(db.connection, upstream.shards) }
  } catch {
    return upstream
  } finally {
    db.connection.closeSync()
    db.instance.closeSync()
  }
}

/**
 * Why a stage folder cannot be read as a finished dataset (unfinished tasks, missing stats), or null.
 * A folder without a plan is just a folder of shards and is taken as it is.
 */
export function incompleteDataset(dir: string): string | null {
  const layout = stageLayout(dir)
  if (!fs.existsSync(layout.planFile)) return null
  const plan = { ...readJson<StagePlan>(layout.planFile), dir }
  const unfinished = Array.from({ length: plan.world }, (_, r) => r).filter((r) => !isTaskDone(plan, r) || !fs.existsSync(layout.stats(r)))
  // Task numbers shown to people are 1-based ("task 2 of 4"), like the progress lines; shard names keep 0-based ranks.
  return unfinished.length === 0 ? null : `task(s) ${unfinished.map((r) => r + 1).join(", ")} of ${plan.world} in ${dir} are not finished`
}

/** Outputs also depend on the code that made them: a new scicurate version redoes the stages. */
const hashOf = (...parts: unknown[]): string => sha256Hex(canonicalJson([SCICURATE_VERSION, ...parts]))

/**
 * What differs between the plan a stage folder holds and the new one, in words ("setting near.threshold
 * (0.7 -> 0.8)", "input data/a.jsonl changed"), so that "redoing" says why. Empty when nothing the hash
 * covers differs as far as the old plan records it.
 */
export function planChanges(previous: StagePlan, next: StagePlan): string[] {
  const out: string[] = []
  if (previous.version !== undefined && previous.version !== next.version) out.push(`scicurate version (${previous.version} -> ${next.version})`)
  out.push(...settingChanges(previous.params, next.params, ""))
  if (previous.world !== next.world) out.push(`tasks (${previous.world} -> ${next.world})`)
  if ((previous.tokenizer ?? null) !== (next.tokenizer ?? null)) out.push(`tokenizer (${previous.tokenizer ?? "none"} -> ${next.tokenizer ?? "none"})`)
  if (previous.identity !== undefined && canonicalJson(previous.identity) !== canonicalJson(next.identity ?? null)) out.push(...identityChanges(previous.identity, next.identity))
  if (previous.upstreamHash !== undefined && previous.upstreamHash !== next.upstreamHash) {
    out.push(`its input ${next.input.kind === "dataset" ? next.input.dir : ""} (the stage before it was redone)`.replace("  ", " "))
  }
  if (out.length === 0 && previous.hash !== next.hash) out.push(previous.version === undefined ? "the plan (written by an older scicurate)" : "the plan")
  return out
}

const MAX_NAMED = 5

/** Settings that differ, by dotted key; a long value (classify's definitions) is named, not shown. */
function settingChanges(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>, prefix: string): string[] {
  const out: string[] = []
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const [x, y] = [a[key], b[key]]
    if (canonicalJson(x ?? null) === canonicalJson(y ?? null)) continue
    const isObject = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v)
    if (isObject(x) && isObject(y)) {
      out.push(...settingChanges(x as Record<string, unknown>, y as Record<string, unknown>, `${prefix}${key}.`))
      continue
    }
    const show = (v: unknown) => (v === undefined ? "unset" : JSON.stringify(v))
    const values = show(x).length + show(y).length <= 60 ? ` (${show(x)} -> ${show(y)})` : ""
    out.push(`setting ${prefix}${key}${values}`)
  }
  return out
}

/** Inputs added, removed or changed, when the identity is a list of entries keyed by their first element (a path). */
function identityChanges(a: unknown, b: unknown): string[] {
  const keyed = (v: unknown): Map<string, string> | null =>
    Array.isArray(v) && v.every((e) => Array.isArray(e) && typeof e[0] === "string")
      ? new Map((v as unknown[][]).map((e) => [`${e[0] as string}${e.length > 4 && e[4] ? `@${String(e[4])}` : ""}`, canonicalJson(e)]))
      : null
  const [x, y] = [keyed(a), keyed(b)]
  if (x === null || y === null) return ["its inputs"]
  const changes: string[] = []
  for (const k of y.keys()) if (!x.has(k)) changes.push(`input ${k} added`)
  for (const k of x.keys()) if (!y.has(k)) changes.push(`input ${k} removed`)
  for (const [k, v] of y) if (x.has(k) && x.get(k) !== v) changes.push(`input ${k} changed`)
  return changes.length > MAX_NAMED ? [...changes.slice(0, MAX_NAMED), `${changes.length - MAX_NAMED} more input changes`] : changes
}
