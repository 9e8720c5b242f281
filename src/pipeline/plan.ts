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
import { SCICURATE_VERSION } from "../core/version.ts"
import type { ResolvedPipeline, StageConfig } from "./config.ts"
import { resolveReferences } from "../dedup/options.ts"
import { BundleDefinitionError, DEFAULT_BUNDLES_DIR, loadBundleDefinitions } from "../classify/definitions.ts"

export const DEFAULT_TASKS = 4

export interface InputRoot {
  readonly path: string
  readonly license: string | null
  readonly domain: string | null
}

/**
 * Every input file under the input roots, sorted by its source path: `<root label>/<path inside the
 * root>`, where a root's label is its own name (`text/abstracts.jsonl`, `papers/x.pdf`), lengthened by
 * parent folder names only where two roots share a name (`a/data/…`, `b/data/…`). Source paths are so
 * unique and the same on every machine. Hidden files and folders (`.git`, editor droppings) are skipped,
 * and so are scicurate's own folders (`skip`: the work and output folders; any folder with a stage plan
 * or a run lock), so a run never ingests its own output. Entries that cannot be read as files — broken
 * or cyclic links, FIFOs and devices, names that are not UTF-8, unreadable folders — are planned with a
 * `problem`, so ingest rejects them by name instead of the run crashing or dropping them. A missing
 * root, overlapping roots or no files at all are config errors.
 */
export function listInputFiles(roots: ReadonlyArray<InputRoot>, configFile: string, skip: ReadonlyArray<string> = []): PlannedFile[] | ConfigError {
  const fail = (message: string) => new ConfigError({ file: configFile, message: `${configFile}: ${message}` })
  for (const root of roots) if (!fs.existsSync(root.path)) return fail(`input not found: ${root.path}`)
  const absRoots = roots.map((r) => path.resolve(r.path))
  const labels = rootLabels(absRoots)
  const skipped = new Set(skip.map((d) => path.resolve(d)))
  const files: PlannedFile[] = []
  roots.forEach((root, i) => {
    const abs = absRoots[i]!
    const top = fs.statSync(abs).isDirectory() ? abs : path.dirname(abs)
    walkInput(abs, labels[i]!, { ...root, top }, new Set(), skipped, files)
  })
  files.sort(byPosition)
  const seen = new Map<string, string>()
  for (const f of files) {
    // The same path reached from two roots (one inside the other). Symlinked copies are fine: dedup sees them.
    const other = seen.get(f.absPath)
    if (other !== undefined) return fail(`inputs overlap: ${f.absPath} is listed as ${other} and as ${f.sourcePath}`)
    seen.set(f.absPath, f.sourcePath)
  }
  if (files.length === 0) return fail(`no input files under ${roots.map((r) => r.path).join(", ")}`)
  return files
}

/** Each root's name, with as many parent folders as it takes to tell roots of the same name apart. */
function rootLabels(absRoots: ReadonlyArray<string>): string[] {
  const parts = absRoots.map((r) => r.split(path.sep).filter(Boolean))
  const depth = parts.map(() => 1)
  for (let changed = true; changed; ) {
    changed = false
    const labels = parts.map((p, i) => p.slice(-depth[i]!).join("/"))
    labels.forEach((label, i) => {
      if (labels.some((other, j) => j !== i && other === label) && depth[i]! < parts[i]!.length) {
        depth[i]!++
        changed = true
      }
    })
  }
  return parts.map((p, i) => p.slice(-depth[i]!).join("/") || "/")
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** A file name as text: itself when it is UTF-8, else with every non-ASCII byte written as %XX. */
function nameOf(raw: Buffer): { name: string; valid: boolean } {
  try {
    return { name: utf8.decode(raw), valid: true }
  } catch {
    let name = ""
    for (const b of raw) name += b < 0x80 && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`
    return { name, valid: false }
  }
}

/** A folder scicurate itself wrote: a stage folder (plan) or a work folder (lock). */
const isScicurateFolder = (dir: string): boolean => fs.existsSync(path.join(dir, "_plan.json")) || fs.existsSync(path.join(dir, ".scicurate.lock"))

function walkInput(abs: string, sourcePath: string, root: InputRoot & { readonly top: string }, ancestors: Set<string>, skip: Set<string>, out: PlannedFile[]): void {
  const entry = (size: number, problem?: PlannedFile["problem"]): PlannedFile => ({
    absPath: abs,
    sourcePath,
    root: root.top,
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
  if (skip.has(abs) || isScicurateFolder(abs)) return
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
    const { name, valid } = nameOf(raw)
    if (!valid) {
      // The name cannot be stored faithfully in the plan or in a document's source_path: say so.
      out.push({
        absPath: path.join(abs, name),
        sourcePath: `${sourcePath}/${name}`,
        root: root.top,
        size: 0,
        license: root.license,
        domain: root.domain,
        problem: { reason: "invalid-file-name", detail: `file name is not valid UTF-8 (bytes ${raw.toString("hex")})` }
      })
      continue
    }
    if (!name.startsWith(".")) walkInput(path.join(abs, name), `${sourcePath}/${name}`, root, inner, skip, out)
  }
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
/** Input order: by source path, then (parts of a split file) by where the part starts. */
const byPosition = (a: PlannedFile, b: PlannedFile): number => compareStrings(a.sourcePath, b.sourcePath) || (a.range?.start ?? 0) - (b.range?.start ?? 0)

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
    const listed = listInputFiles(pipeline.inputs, pipeline.file ?? "(command line)", [pipeline.work, pipeline.output, dir])
    if (listed instanceof ConfigError) return listed
    const files = splitLargeFiles(listed, stage.split_bytes ?? DEFAULT_SPLIT_BYTES, previousFiles(dir))
    const world = stage.tasks ?? DEFAULT_TASKS
    const identity = files.map((f) => [f.sourcePath, f.absPath, f.size, f.problem ? f.problem.reason : fs.statSync(f.absPath).mtimeMs, f.range?.start ?? 0, f.license, f.domain])
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
