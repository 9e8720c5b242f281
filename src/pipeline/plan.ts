/**
 * Planning: turn a pipeline's stage into a plan file, before anything runs (DuckDB's split of planning
 * from execution). A plan fixes the number of tasks and what each one reads, so the outcome never depends
 * on how many workers run it or in what order tasks finish.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { ConfigError } from "../core/errors.ts"
import { canonicalJson, stageLayout } from "../core/layout.ts"
import type { PlannedFile, StagePlan } from "../core/stage.ts"
import { sha256Hex } from "../core/text.ts"
import type { ResolvedPipeline, StageConfig } from "./config.ts"

export const DEFAULT_TASKS = 4

export interface InputRoot {
  readonly path: string
  readonly license: string | null
  readonly domain: string | null
}

/**
 * Every regular file under the input roots, sorted by its stable source path. Hidden files and folders
 * (`.git`, editor droppings) are skipped; a missing root is a config error, not an empty run.
 */
export function listInputFiles(roots: ReadonlyArray<InputRoot>, configFile: string): PlannedFile[] | ConfigError {
  const files: PlannedFile[] = []
  for (const root of roots) {
    if (!fs.existsSync(root.path)) return new ConfigError({ file: configFile, message: `${configFile}: input not found: ${root.path}` })
    const parent = path.dirname(root.path)
    const walk = (p: string) => {
      const st = fs.statSync(p)
      if (st.isDirectory()) {
        for (const name of fs.readdirSync(p).sort()) if (!name.startsWith(".")) walk(path.join(p, name))
      } else if (st.isFile()) {
        files.push({ absPath: p, sourcePath: path.relative(parent, p).split(path.sep).join("/"), size: st.size, license: root.license, domain: root.domain })
      }
    }
    walk(root.path)
  }
  files.sort((a, b) => (a.sourcePath < b.sourcePath ? -1 : a.sourcePath > b.sourcePath ? 1 : 0))
  return files
}

/** Largest file first to the task with the fewest bytes so far (ties: lowest rank); each task then reads in path order. */
export function assignBySize(files: ReadonlyArray<PlannedFile>, world: number): PlannedFile[][] {
  const tasks: PlannedFile[][] = Array.from({ length: world }, () => [])
  const load = new Array<number>(world).fill(0)
  const bySize = [...files].sort((a, b) => b.size - a.size || (a.sourcePath < b.sourcePath ? -1 : 1))
  for (const f of bySize) {
    let best = 0
    for (let r = 1; r < world; r++) if (load[r]! < load[best]!) best = r
    tasks[best]!.push(f)
    load[best]! += Math.max(f.size, 1)
  }
  for (const t of tasks) t.sort((a, b) => (a.sourcePath < b.sourcePath ? -1 : 1))
  return tasks
}

export interface Upstream {
  readonly dir: string
  readonly shards: ReadonlyArray<string>
  readonly hash: string
}

/** Build the plan of one stage. `upstream` is the plan of the stage before (null for ingest). */
export function planStage(
  pipeline: ResolvedPipeline,
  stage: StageConfig,
  position: number,
  upstream: Upstream | null,
  dir: string = path.join(pipeline.work, stage.stage)
): StagePlan | ConfigError {
  const { stage: name, ...params } = stage
  const common = {
    format: "scicurate-plan/1" as const,
    stage: name,
    position,
    params,
    dir,
    pipeline: {
      name: pipeline.config.name,
      file: pipeline.file,
      configSha256: pipeline.configSha256,
      tokenizer: pipeline.tokenizer,
      output: pipeline.output,
      work: pipeline.work
    }
  }
  if (name === "ingest") {
    const files = listInputFiles(pipeline.inputs, pipeline.file ?? "(command line)")
    if (files instanceof ConfigError) return files
    const world = stage.tasks ?? DEFAULT_TASKS
    const identity = files.map((f) => [f.sourcePath, f.absPath, f.size, fs.statSync(f.absPath).mtimeMs, f.license, f.domain])
    return { ...common, world, input: { kind: "files", assignments: assignBySize(files, world) }, hash: hashOf(name, params, world, identity) }
  }
  if (!upstream) return new ConfigError({ file: pipeline.file ?? "(command line)", message: `stage ${name} needs an earlier stage to read from` })
  const shards = upstream.shards
  const world = name === "bundle" ? 1 : ("tasks" in stage && stage.tasks) || DEFAULT_TASKS
  // What else the stage's output depends on: the tokenizer, and for the bundle the manifest's pipeline facts.
  const extra =
    name === "tokenize" ? { tokenizer: pipeline.tokenizer }
    : name === "bundle" ? { tokenizer: pipeline.tokenizer, output: pipeline.output, pipeline: pipeline.config.name, config: pipeline.configSha256 }
    : {}
  return { ...common, world, input: { kind: "dataset", dir: upstream.dir, shards: [...shards] }, hash: hashOf(name, { ...params, ...extra, world }, upstream.hash) }
}

/** What a finished plan offers the stage after it: the shards it will have written. */
export const upstreamOf = (plan: StagePlan): Upstream => ({
  dir: plan.dir,
  shards: Array.from({ length: plan.world }, (_, r) => stageLayout(plan.dir).shard(r, plan.world)),
  hash: plan.hash
})

const hashOf = (...parts: unknown[]): string => sha256Hex(canonicalJson(parts))
