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
import { SCICURATE_VERSION } from "../core/version.ts"
import type { ResolvedPipeline, StageConfig } from "./config.ts"

export const DEFAULT_TASKS = 4

export interface InputRoot {
  readonly path: string
  readonly license: string | null
  readonly domain: string | null
}

/**
 * Every input file under the input roots, sorted by its source path: the path relative to the common
 * ancestor of the roots' parent folders, so it is unique, stable across machines, and keeps each root's
 * own name (`text/abstracts.jsonl`, `papers/x.pdf`). Hidden files and folders (`.git`, editor droppings)
 * are skipped. Entries that cannot be read as files — broken or cyclic links, FIFOs and devices, names
 * that are not UTF-8, unreadable folders — are planned with a `problem`, so ingest rejects them by name
 * instead of the run crashing or dropping them. A missing root, overlapping roots or no files at all are
 * config errors.
 */
export function listInputFiles(roots: ReadonlyArray<InputRoot>, configFile: string): PlannedFile[] | ConfigError {
  const fail = (message: string) => new ConfigError({ file: configFile, message: `${configFile}: ${message}` })
  for (const root of roots) if (!fs.existsSync(root.path)) return fail(`input not found: ${root.path}`)
  const base = commonAncestor(roots.map((r) => path.dirname(path.resolve(r.path))))
  const files: PlannedFile[] = []
  for (const root of roots) walkInput(path.resolve(root.path), base, root, new Set(), files)
  files.sort((a, b) => compareStrings(a.sourcePath, b.sourcePath))
  for (let i = 1; i < files.length; i++) {
    if (files[i]!.sourcePath === files[i - 1]!.sourcePath) return fail(`inputs overlap: ${files[i]!.absPath} is listed twice`)
  }
  if (files.length === 0) return fail(`no input files under ${roots.map((r) => r.path).join(", ")}`)
  return files
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

function walkInput(abs: string, base: string, root: InputRoot, ancestors: Set<string>, out: PlannedFile[]): void {
  const sourcePath = path.relative(base, abs).split(path.sep).join("/")
  const entry = (size: number, problem?: PlannedFile["problem"]): PlannedFile => ({
    absPath: abs,
    sourcePath,
    size,
    license: root.license,
    domain: root.domain,
    ...(problem ? { problem } : {})
  })
  let st: fs.Stats
  try {
    const link = fs.lstatSync(abs)
    st = link.isSymbolicLink() ? fs.statSync(abs) : link
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const reason = code === "ENOENT" || code === "ELOOP" ? "broken-link" : "read-error"
    out.push(entry(0, { reason, detail: `cannot stat: ${(e as Error).message}` }))
    return
  }
  if (st.isFile()) {
    out.push(entry(st.size))
    return
  }
  if (!st.isDirectory()) {
    out.push(entry(0, { reason: "not-a-regular-file", detail: "a FIFO, socket or device, not a file" }))
    return
  }
  const real = fs.realpathSync(abs)
  if (ancestors.has(real)) {
    out.push(entry(0, { reason: "broken-link", detail: `a link back to ${real}: following it would loop` }))
    return
  }
  let names: Buffer[]
  try {
    names = fs.readdirSync(abs, { encoding: "buffer" })
  } catch (e) {
    out.push(entry(0, { reason: "read-error", detail: `cannot list folder: ${(e as Error).message}` }))
    return
  }
  const inner = new Set(ancestors).add(real)
  for (const raw of names.sort(Buffer.compare)) {
    let name: string
    try {
      name = utf8.decode(raw)
    } catch {
      // The name cannot be stored faithfully in the plan or in a document's source_path: say so.
      out.push({
        absPath: path.join(abs, raw.toString("latin1")),
        sourcePath: `${sourcePath}/${raw.toString("utf8")}`,
        size: 0,
        license: root.license,
        domain: root.domain,
        problem: { reason: "invalid-file-name", detail: `file name is not valid UTF-8 (bytes ${raw.toString("hex")})` }
      })
      continue
    }
    if (!name.startsWith(".")) walkInput(path.join(abs, name), base, root, inner, out)
  }
}

/** The deepest folder that contains all of `dirs`. */
function commonAncestor(dirs: ReadonlyArray<string>): string {
  const split = dirs.map((d) => d.split(path.sep))
  const first = split[0] ?? []
  let n = 0
  while (n < first.length && split.every((parts) => parts[n] === first[n])) n++
  return first.slice(0, n).join(path.sep) || path.sep
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Largest file first to the task with the fewest bytes so far (ties: lowest rank); each task then reads in path order. */
export function assignBySize(files: ReadonlyArray<PlannedFile>, world: number): PlannedFile[][] {
  const tasks: PlannedFile[][] = Array.from({ length: world }, () => [])
  const load = new Array<number>(world).fill(0)
  const bySize = [...files].sort((a, b) => b.size - a.size || compareStrings(a.sourcePath, b.sourcePath))
  for (const f of bySize) {
    let best = 0
    for (let r = 1; r < world; r++) if (load[r]! < load[best]!) best = r
    tasks[best]!.push(f)
    load[best]! += Math.max(f.size, 1)
  }
  for (const t of tasks) t.sort((a, b) => compareStrings(a.sourcePath, b.sourcePath))
  return tasks
}

export interface Upstream {
  readonly dir: string
  readonly shards: ReadonlyArray<string>
  readonly hash: string
  /** The stage folders that led to this dataset, oldest first, ending with `dir`. */
  readonly lineage: ReadonlyArray<string>
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
    lineage: upstream?.lineage ?? [],
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
    const identity = files.map((f) => [f.sourcePath, f.absPath, f.size, f.problem ? f.problem.reason : fs.statSync(f.absPath).mtimeMs, f.license, f.domain])
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
  hash: plan.hash,
  lineage: [...plan.lineage, plan.dir]
})

/** Outputs also depend on the code that made them: a new scicurate version redoes the stages. */
const hashOf = (...parts: unknown[]): string => sha256Hex(canonicalJson([SCICURATE_VERSION, ...parts]))
