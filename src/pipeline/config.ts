/**
 * Pipeline definitions: YAML files in `pipelines/`, validated against the Effect Schema below (from which
 * `schemas/pipeline.schema.json` is generated). Errors name the file, the line, the key and what was expected.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from "yaml"
import { DocumentKind } from "../core/document.ts"
import { ConfigError } from "../core/errors.ts"
import { canonicalJson } from "../core/layout.ts"
import { sha256Hex } from "../core/text.ts"

const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))
const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const TokenizerName = Schema.Literals(["o200k_base", "cl100k_base"]).annotate({
  description: "tiktoken encoding, shipped offline with the tiktoken package"
})
export type TokenizerName = typeof TokenizerName.Type

export const InputEntry = Schema.Union([
  Schema.String.annotate({ description: "A file or folder, relative to the pipeline file" }),
  Schema.Struct({
    path: Schema.String.annotate({ description: "A file or folder, relative to the pipeline file" }),
    license: Schema.optionalKey(Schema.NullOr(Schema.String)).annotate({ description: "SPDX id given to every document from here" }),
    domain: Schema.optionalKey(Schema.NullOr(Schema.String)).annotate({ description: "Domain label given to every document from here" })
  })
])
export type InputEntry = typeof InputEntry.Type

const tasks = Schema.optionalKey(PositiveInt).annotate({
  description: "Number of tasks the stage is split into (independent of --workers, so outputs do not depend on it)"
})

export const PdfSettings = Schema.Struct({
  references: Schema.optionalKey(Schema.Literals(["keep", "drop", "separate"])).annotate({
    description: "The references section: kept in the text, dropped, or moved to metadata.references (default separate)"
  }),
  ocr: Schema.optionalKey(Schema.Boolean).annotate({
    description: "OCR pages without a text layer with tesseract when it is installed; otherwise such PDFs are rejected (default false)"
  }),
  ocr_languages: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[a-z_]+(\+[a-z_]+)*$/))).annotate({
    description: "tesseract languages joined by '+', e.g. eng+deu (default eng)"
  }),
  ocr_dpi: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(72), Schema.isLessThanOrEqualTo(600))).annotate({
    description: "Resolution pages are rendered at for OCR (default 300)"
  })
}).annotate({ title: "PdfSettings", description: "How PDFs become documents" })

export const CodeSettings = Schema.Struct({
  allowed_licenses: Schema.optionalKey(Schema.Array(Schema.String)).annotate({
    description: "SPDX ids whose files are kept (expressions like 'MIT OR GPL-2.0-only' pass when one side is allowed); others are filtered as license-not-allowed. Default: keep every license"
  }),
  keep_unknown_license: Schema.optionalKey(Schema.Boolean).annotate({
    description: "With allowed_licenses: keep files whose license is unknown (they are counted as noted:license-unknown either way; default false)"
  }),
  max_file_bytes: Schema.optionalKey(PositiveInt).annotate({ description: "Source files (and archive members) above this size are filtered as too-large (default 1 MiB)" }),
  max_line_length: Schema.optionalKey(PositiveInt).annotate({ description: "Files with a longer line are filtered as long-lines (default 1000)" }),
  max_avg_line_length: Schema.optionalKey(PositiveInt).annotate({ description: "Files with a longer mean line are filtered as long-lines (default 100)" }),
  min_alnum_fraction: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(1))).annotate({
    description: "Files with a smaller share of letters and digits are filtered as low-alnum (default 0.25)"
  })
}).annotate({ title: "CodeSettings", description: "How source code becomes documents" })

const PositiveNumber = Schema.Finite.check(Schema.isGreaterThan(0))

export const WatchdogSettings = Schema.Struct({
  base_seconds: Schema.optionalKey(PositiveNumber).annotate({ description: "Time every file may take, whatever its size (default 300)" }),
  seconds_per_mb: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))).annotate({
    description: "Time added per MB of the file (default 10); a file still being read past its budget is rejected as timeout"
  }),
  max_rss_mb: Schema.optionalKey(PositiveNumber).annotate({
    description: "Resident memory a worker may reach while reading one file; past it the file is rejected as too-much-memory (default: no limit besides the worker's heap cap, whose exhaustion also rejects the file as too-much-memory)"
  })
}).annotate({
  title: "WatchdogSettings",
  description: "A time budget and a memory guard per input file: a file that overruns them is rejected and the task goes on (its worker is restarted when it must be stopped)"
})

export const IngestStage = Schema.Struct({
  stage: Schema.Literal("ingest"),
  tasks,
  min_chars: Schema.optionalKey(NonNegativeInt).annotate({ description: "Documents with fewer characters are filtered (default 1)" }),
  max_file_bytes: Schema.optionalKey(PositiveInt).annotate({
    description: "Files read whole (text, Markdown, PDF) above this size are rejected (default 256 MiB); JSONL is streamed"
  }),
  max_record_bytes: Schema.optionalKey(PositiveInt).annotate({ description: "JSONL lines above this size are rejected (default 64 MiB)" }),
  split_bytes: Schema.optionalKey(PositiveInt).annotate({
    description: "JSONL files (by extension) larger than this are cut at line boundaries into parts read by different tasks (default 128 MiB)"
  }),
  watchdog: Schema.optionalKey(WatchdogSettings),
  follow_links_outside_input: Schema.optionalKey(Schema.Boolean).annotate({
    description: "Follow symbolic links that lead outside the input folder they are found in (default false: they are rejected as link-outside-input)"
  }),
  pdf: Schema.optionalKey(PdfSettings),
  code: Schema.optionalKey(CodeSettings)
}).annotate({ title: "IngestStage", description: "Read input files and turn them into documents" })

export const NearDedupSettings = Schema.Struct({
  ngram: Schema.optionalKey(PositiveInt).annotate({ description: "Words per shingle (default 5)" }),
  bands: Schema.optionalKey(PositiveInt.check(Schema.isLessThanOrEqualTo(256))).annotate({ description: "LSH bands (default 14, at most 256); hashes = bands × rows" }),
  rows: Schema.optionalKey(PositiveInt.check(Schema.isLessThanOrEqualTo(32))).annotate({ description: "Hashes per band (default 8, at most 32)" }),
  seed: Schema.optionalKey(NonNegativeInt.check(Schema.isLessThanOrEqualTo(4294967295))).annotate({
    description: "Seed of the hash functions (default 1, below 2^32); signatures compare only under the same seed"
  }),
  lowercase: Schema.optionalKey(Schema.Boolean).annotate({ description: "Lower-case before shingling (default true)" }),
  strip_diacritics: Schema.optionalKey(Schema.Boolean).annotate({ description: "Remove accents before shingling (default true)" }),
  fold_digits: Schema.optionalKey(Schema.Boolean).annotate({ description: "Replace every digit by 0 before shingling (default true)" }),
  remove_punctuation: Schema.optionalKey(Schema.Boolean).annotate({ description: "Turn punctuation into spaces before shingling (default true)" }),
  verify: Schema.optionalKey(Schema.Literals(["estimated", "none"])).annotate({
    description: "Check candidate pairs: estimated Jaccard from the signatures against `threshold` (default), or keep every LSH candidate"
  }),
  threshold: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(1))).annotate({
    description: "Estimated Jaccard a candidate pair needs when verify is estimated (default 0.7; unused with verify: none)"
  }),
  keep: Schema.optionalKey(Schema.Literals(["longest", "first"])).annotate({
    description: "Which document a cluster keeps: the longest text (default) or the first by source path and position; ties by id"
  }),
  kinds: Schema.optionalKey(Schema.Array(DocumentKind)).annotate({
    description:
      "Document kinds compared for near duplicates (default paper, text, code). Simulation summaries are left out by default: runs of a parameter sweep differ mostly in numbers, which shingling folds away"
  }),
  against: Schema.optionalKey(Schema.Array(Schema.String)).annotate({
    description:
      "Earlier dedup output folders (relative to the pipeline file) whose stored signatures new data is deduplicated against, without their texts; their documents are always kept"
  })
}).annotate({ title: "NearDedupSettings", description: "MinHash LSH near-duplicate removal" })

export const DedupStage = Schema.Struct({
  stage: Schema.Literal("dedup"),
  tasks,
  near: Schema.optionalKey(Schema.Union([Schema.Literal(false), NearDedupSettings])).annotate({
    description: "Near-duplicate removal after the exact pass (on by default; false turns it off)"
  })
}).annotate({
  title: "DedupStage",
  description: "Remove exact duplicates (same normalised text), then near duplicates (MinHash LSH); removal records sit in _removed/"
})

export const TokenizeStage = Schema.Struct({
  stage: Schema.Literal("tokenize"),
  tasks,
  tokenizer: Schema.optionalKey(TokenizerName).annotate({ description: "Overrides the pipeline's tokenizer" })
}).annotate({ title: "TokenizeStage", description: "Count tokens per document" })

export const ClassifyStage = Schema.Struct({
  stage: Schema.Literal("classify"),
  tasks,
  bundles: Schema.optionalKey(Schema.String).annotate({
    description: "Folder of bundle definitions (bundles/*.yaml), relative to the pipeline file (default: the bundles/ folder shipped with scicurate)"
  }),
  min_score: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0))).annotate({
    description: "Documents whose best bundle scores below this go to the unrouted set (default: the classifier's)"
  })
}).annotate({
  title: "ClassifyStage",
  description: "Route every document to a domain bundle (score, reason, runner-up); documents that fit nowhere are marked unrouted"
})

export const BundleStage = Schema.Struct({
  stage: Schema.Literal("bundle"),
  tasks,
  version: Schema.optionalKey(Schema.String).annotate({ description: "Bundle version recorded in the manifests (default 0.1.0)" }),
  validation_fraction: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThan(1))).annotate({
    description: "Share of documents held out as the validation split, chosen by the document id (a content hash), so a document never changes split between runs (default 0.01)"
  }),
  seed: Schema.optionalKey(NonNegativeInt).annotate({ description: "Seed of the row shuffle within each split (default 0)" }),
  shard_bytes: Schema.optionalKey(PositiveInt).annotate({ description: "Target text bytes per shard (default 256 MiB); the Parquet and token shards of one number hold the same documents" }),
  shard_tokens: Schema.optionalKey(PositiveInt).annotate({ description: "Target tokens per shard instead of bytes (overrides shard_bytes)" }),
  token_shards: Schema.optionalKey(Schema.Boolean).annotate({ description: "Write Megatron indexed datasets (.bin/.idx) beside the Parquet shards (default true)" })
}).annotate({
  title: "BundleStage",
  description: "Write one checksummed bundle per routed domain: Parquet train/validation shards, Megatron token shards, manifest.json and a dataset card"
})

export const StageConfig = Schema.Union([IngestStage, DedupStage, TokenizeStage, ClassifyStage, BundleStage])
export type StageConfig = typeof StageConfig.Type
export type StageName = StageConfig["stage"]
export const STAGE_NAMES: ReadonlyArray<StageName> = ["ingest", "dedup", "tokenize", "classify", "bundle"]

export const PipelineConfig = Schema.Struct({
  name: Schema.String.check(Schema.isPattern(/^[a-z0-9][a-z0-9._-]*$/)).annotate({
    description: "Pipeline name: lower case letters, digits, '.', '_' and '-'"
  }),
  description: Schema.optionalKey(Schema.String),
  inputs: Schema.Array(InputEntry).check(Schema.isMinLength(1)).annotate({ description: "Files and folders to ingest" }),
  work: Schema.optionalKey(Schema.String).annotate({ description: "Work folder for stage datasets (default work/<name>, relative to the current folder)" }),
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

/** Expand `${VAR}` and `${VAR:-default}` so a pipeline can point at data whose place differs per machine. */
export function expandEnv(s: string, env: NodeJS.ProcessEnv = process.env): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) => env[name] ?? fallback ?? "")
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
 * Each stage reads what the one before it wrote, so the order is fixed: ingest first, each stage at most
 * once, in the order of STAGE_NAMES (dedup keeps the document columns only, so it must come before
 * tokenize), and a bundle needs token counts.
 */
export function stageOrderProblem(names: ReadonlyArray<StageName>): { index: number; message: string } | null {
  if (names[0] !== "ingest") return { index: 0, message: `the first stage must be ingest (it reads the inputs), not ${names[0]}` }
  for (let i = 1; i < names.length; i++) {
    const here = STAGE_NAMES.indexOf(names[i]!)
    if (names.indexOf(names[i]!) < i) return { index: i, message: `${names[i]} appears twice; each stage runs once` }
    if (here < STAGE_NAMES.indexOf(names[i - 1]!)) return { index: i, message: `${names[i]} cannot come after ${names[i - 1]} (order: ${STAGE_NAMES.join(", ")})` }
    if (names[i] === "classify" && !names.includes("tokenize")) return { index: i, message: "classify needs a tokenize stage before it (it carries the token counts to the bundles)" }
    if (names[i] === "bundle" && !names.includes("tokenize")) return { index: i, message: "bundle needs a tokenize stage before it (manifests count tokens)" }
    if (names[i] === "bundle" && names[i - 1] !== "classify") return { index: i, message: "bundle needs a classify stage right before it (it writes one bundle per routed domain)" }
  }
  return null
}

/** The union error for a misspelt stage lists every branch; find that case first and say it plainly. */
function firstUnknownStage(raw: unknown): { index: number; value: unknown } | null {
  const stages = (raw as { stages?: unknown } | null)?.stages
  if (!Array.isArray(stages)) return null
  for (const [index, s] of stages.entries()) {
    const value = (s as { stage?: unknown } | null)?.stage
    if (!STAGE_NAMES.includes(value as StageName)) return { index, value }
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
  const work = path.resolve(overrides.work ?? (config.work ? path.resolve(base, expandEnv(config.work)) : path.join("work", config.name)))
  const output = config.output ? path.resolve(base, expandEnv(config.output)) : path.join(work, "bundles")
  return {
    file: file ? path.resolve(file) : null,
    config,
    inputs,
    work,
    output,
    tokenizer: config.tokenizer ?? "o200k_base",
    // Paths are left out of the hash on purpose: the same pipeline run from another checkout is the same data.
    configSha256: sha256Hex(canonicalJson({ ...config, work: undefined, output: undefined }))
  }
}
