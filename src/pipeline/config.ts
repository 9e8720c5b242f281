/**
 * Pipeline definitions: YAML files in `pipelines/`, validated against the Effect Schema below (from which
 * `schemas/pipeline.schema.json` is generated). Errors name the file, the line, the key and what was expected.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml"
import { ConfigError } from "../core/errors.ts"
import { canonicalJson } from "../core/layout.ts"
import { expandEnv, TokenizerName } from "../core/settings.ts"
import { sha256Hex } from "../core/text.ts"
import { STAGE_NAMES, STAGES, stageNamed } from "./stages.ts"

export { expandEnv, TokenizerName } from "../core/settings.ts"

export const InputEntry = Schema.Union([
  Schema.String.annotate({ description: "A file or folder, relative to the pipeline file" }),
  Schema.Struct({
    path: Schema.String.annotate({ description: "A file or folder, relative to the pipeline file" }),
    license: Schema.optionalKey(Schema.NullOr(Schema.String)).annotate({ description: "SPDX id given to every document from here" }),
    domain: Schema.optionalKey(Schema.NullOr(Schema.String)).annotate({ description: "Domain label given to every document from here" })
  })
])
export type InputEntry = typeof InputEntry.Type

/**
 * One `- stage: ...` entry: the union of the settings schemas the stages declare (see pipeline/stages.ts).
 * The pipeline knows a stage's settings only through its schema: `stage` and `tasks` are all it reads.
 */
export const StageConfig = Schema.Union(STAGES.map((s) => s.settings)) as unknown as Schema.Codec<StageConfig, unknown>
export interface StageConfig {
  readonly stage: string
  readonly tasks?: number
  readonly [setting: string]: unknown
}
export type StageName = string

export const PipelineConfig = Schema.Struct({
  name: Schema.String.check(Schema.isPattern(/^[a-z0-9][a-z0-9._-]*$/)).annotate({
    description: "Pipeline name: lower case letters, digits, '.', '_' and '-'"
  }),
  description: Schema.optionalKey(Schema.String),
  inputs: Schema.Array(InputEntry).check(Schema.isMinLength(1)).annotate({ description: "Files and folders to ingest" }),
  work: Schema.optionalKey(Schema.String).annotate({ description: "Work folder for stage datasets, relative to the pipeline file (default work/<name> beside it)" }),
  output: Schema.optionalKey(Schema.String).annotate({ description: "Where bundles are written (default <work>/bundles)" }),
  tokenizer: Schema.optionalKey(TokenizerName),
  stages: Schema.Array(StageConfig).check(Schema.isMinLength(1))
}).annotate({ title: "Pipeline", description: "A scicurate pipeline definition (pipelines/*.yaml)" })
export type PipelineConfig = typeof PipelineConfig.Type

export const PARSE_OPTIONS = { errors: "all", onExcessProperty: "error" } as const

/** A pipeline ready to run: validated, paths resolved, defaults filled in. */
export interface ResolvedPipeline {
  readonly file: string | null
  readonly config: PipelineConfig
  readonly inputs: ReadonlyArray<{ path: string; license: string | null; domain: string | null }>
  readonly work: string
  readonly output: string
  readonly tokenizer: TokenizerName
  /** sha256 of the canonical JSON of the validated config: what the manifest records. */
  readonly configSha256: string
}

export function parsePipelineYaml(file: string, text: string): Effect.Effect<PipelineConfig, ConfigError> {
  return Effect.gen(function* () {
    const lineCounter = new LineCounter()
    const doc = parseDocument(text, { lineCounter, prettyErrors: false })
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!
      const at = lineCounter.linePos(e.pos[0])
      return yield* new ConfigError({ file, message: `${file}${at ? `:${at.line}:${at.col}` : ""}: invalid YAML: ${e.message.split("\n")[0]}` })
    }
    const raw: unknown = doc.toJS()
    const unknownStage = firstUnknownStage(raw)
    if (unknownStage) {
      const line = lineOf(doc.contents, ["stages", unknownStage.index, "stage"], lineCounter)
      return yield* new ConfigError({
        file,
        message: `${file}${line ? `:${line}` : ""}: stages[${unknownStage.index}].stage: unknown stage ${JSON.stringify(unknownStage.value)}, expected one of ${STAGE_NAMES.join(", ")}`
      })
    }
    const config = yield* Schema.decodeUnknownEffect(PipelineConfig)(raw, PARSE_OPTIONS).pipe(
      Effect.mapError((error) => new ConfigError({ file, message: formatSchemaError(file, error.message, doc.contents, lineCounter) }))
    )
    const order = stageOrderProblem(config.stages.map((s) => s.stage))
    if (order) {
      const line = lineOf(doc.contents, ["stages", order.index, "stage"], lineCounter)
      return yield* new ConfigError({ file, message: `${file}${line ? `:${line}` : ""}: stages[${order.index}].stage: ${order.message}` })
    }
    return config
  })
}

/**
 * Each stage reads what the one before it wrote, so the order follows from what the stages declare: a
 * stage that reads files comes first, each stage runs at most once, a stage needs the columns it reads
 * to be made by an earlier stage and kept by those in between, a stage must not drop what an earlier
 * stage added (dedup keeps the document columns only, so it comes before tokenize), and nothing comes
 * after a stage that writes no dataset.
 */
export function stageOrderProblem(names: ReadonlyArray<StageName>): { index: number; message: string } | null {
  const readsFiles = STAGES.filter((s) => s.reads === "files").map((s) => s.name)
  /** Each column of the dataset so far, with the stage that made it. */
  let columns = new Map<string, string>()
  for (const [i, name] of names.entries()) {
    const stage = stageNamed(name)
    if (i === 0 && stage.reads !== "files") return { index: 0, message: `the first stage must be ${readsFiles.join(" or ")} (it reads the inputs), not ${name}` }
    if (names.indexOf(name) < i) return { index: i, message: `${name} appears twice; each stage runs once` }
    if (i === 0) {
      columns = new Map((stage.writes?.adds ?? []).map((c) => [c, name]))
      continue
    }
    const previous = stageNamed(names[i - 1]!)
    if (stage.reads === "files") return { index: i, message: `${name} reads the inputs, so it can only be the first stage` }
    if (previous.writes === null) return { index: i, message: `${name} cannot come after ${previous.name} (it writes no dataset to read)` }
    const unmet = stage.needs.filter((need) => need.columns.some((c) => !columns.has(c)))
    const cut = unmet.find((need) => names.slice(0, i).includes(need.madeBy))
    if (cut) {
      const lost = cut.columns.filter((c) => !columns.has(c))
      return { index: i, message: `${name} needs the columns ${cut.madeBy} makes (${lost.join(", ")}), but a stage between them drops them; put ${name} after ${cut.madeBy} with nothing dropping them in between` }
    }
    if (unmet.length > 0) {
      return { index: i, message: `${name} needs ${unmet.map((n) => `a ${n.madeBy} stage`).join(" and ")} before it (${unmet.map((n) => n.why).join("; ")})` }
    }
    const writes = stage.writes
    if (writes === null) continue
    const kept = writes.keeps === "all" ? columns : new Map([...columns].filter(([c]) => writes.keeps.includes(c)))
    const dropped = [...columns].filter(([c]) => !kept.has(c))
    if (dropped.length > 0) {
      const maker = dropped[0]![1]
      const theirs = dropped.filter(([, by]) => by === maker).map(([c]) => c)
      return { index: i, message: `${name} cannot come after ${maker} (it would drop the columns ${maker} adds: ${theirs.join(", ")}; order: ${STAGE_NAMES.join(", ")})` }
    }
    columns = new Map([...kept, ...writes.adds.map((c) => [c, name] as const)])
  }
  return null
}

/** The union error for a misspelt stage lists every branch; find that case first and say it plainly. */
function firstUnknownStage(raw: unknown): { index: number; value: unknown } | null {
  const stages = (raw as { stages?: unknown } | null)?.stages
  if (!Array.isArray(stages)) return null
  for (const [index, s] of stages.entries()) {
    const value = (s as { stage?: unknown } | null)?.stage
    if (!STAGE_NAMES.includes(value as string)) return { index, value }
  }
  return null
}

/**
 * Rewrite Effect's schema messages (`Expected number\n  at ["stages"][0]["tasks"]`) as
 * `file:line: stages[0].tasks: expected number`, one line per problem.
 */
function formatSchemaError(file: string, message: string, root: YamlNode | null, lines: LineCounter): string {
  const out: string[] = []
  const blocks = message.split(/\n(?=\S)/)
  for (const block of blocks) {
    const [what, ...rest] = block.split("\n")
    const atLine = rest.find((l) => l.trim().startsWith("at "))
    const pathParts = atLine ? [...atLine.matchAll(/\[("(?:[^"\\]|\\.)*"|\d+)\]/g)].map((m) => (m[1]!.startsWith('"') ? JSON.parse(m[1]!) as string : Number(m[1]))) : []
    const key = pathParts.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("") || "(top level)"
    const line = lineOf(root, pathParts, lines)
    out.push(`${file}${line ? `:${line}` : ""}: ${key}: ${what!.trim().replace(/^Expected no excess property$/, "unknown key").replace(/^Expected/, "expected")}`)
  }
  return out.join("\n")
}

function lineOf(root: YamlNode | null, parts: ReadonlyArray<string | number>, lines: LineCounter): number | null {
  let node: unknown = root
  let last: number | null = null
  for (const part of parts) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === part)
      if (!pair) break
      const keyRange = (pair.key as { range?: [number, number, number] }).range
      if (keyRange) last = lines.linePos(keyRange[0]).line
      node = pair.value
    } else if (isSeq(node) && typeof part === "number") {
      node = node.items[part]
      const range = (node as { range?: [number, number, number] } | undefined)?.range
      if (range) last = lines.linePos(range[0]).line
    } else break
  }
  if (last === null && node && typeof node === "object" && "range" in node) {
    const range = (node as { range?: [number, number, number] }).range
    if (range) last = lines.linePos(range[0]).line
  }
  return last
}

export function loadPipeline(file: string, overrides: { work?: string | undefined } = {}): Effect.Effect<ResolvedPipeline, ConfigError> {
  return Effect.gen(function* () {
    const text = yield* Effect.try({
      try: () => fs.readFileSync(file, "utf8"),
      catch: (cause) => new ConfigError({ file, message: `${file}: cannot read pipeline: ${(cause as Error).message}` })
    })
    const config = yield* parsePipelineYaml(file, text)
    return resolvePipeline(config, file, overrides)
  })
}

export function resolvePipeline(config: PipelineConfig, file: string | null, overrides: { work?: string | undefined } = {}): ResolvedPipeline {
  const base = file ? path.dirname(path.resolve(file)) : process.cwd()
  const inputs = config.inputs.map((entry) => {
    const e = typeof entry === "string" ? { path: entry } : entry
    return {
      path: path.resolve(base, expandEnv(e.path)),
      license: "license" in e ? (e.license ?? null) : null,
      domain: "domain" in e ? (e.domain ?? null) : null
    }
  })
  // Every path in a pipeline file is relative to the file (the default work folder too); --work, like
  // every command-line path, is relative to the current folder.
  const work = path.resolve(overrides.work ?? path.resolve(base, config.work ? expandEnv(config.work) : path.join("work", config.name)))
  const output = config.output ? path.resolve(base, expandEnv(config.output)) : path.join(work, "bundles")
  return {
    file: file ? path.resolve(file) : null,
    config,
    inputs,
    work,
    output,
    tokenizer: config.tokenizer ?? "o200k_base",
    // Paths are left out of the hash on purpose: the same pipeline run from another checkout is the same data.
    // Executor settings (a stage's `slurm` block) do not change outputs, so they do not change the manifest's config hash.
    configSha256: sha256Hex(canonicalJson({ ...config, work: undefined, output: undefined, stages: config.stages.map(({ slurm: _executor, ...s }) => s) }))
  }
}
