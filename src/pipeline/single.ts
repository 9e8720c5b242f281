/**
 * The per-stage commands (`scicurate ingest|dedup|tokenize|classify|bundle IN --out DIR`): a one-stage pipeline
 * whose stage folder is DIR. Stage parameters come from `--config PIPELINE.yaml` (the first stage of that
 * name) or the defaults. A dataset input is any folder of `part-*.parquet` shards.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { openDuckDB } from "../core/duckdb.ts"
import { ConfigError } from "../core/errors.ts"
import { isStageDirOrEmpty, listShards, readJson, stageLayout } from "../core/layout.ts"
import { readParquetSql } from "../core/parquet.ts"
import type { StageDefinition, StagePlan } from "../core/stage.ts"
import { sha256Hex } from "../core/text.ts"
import { loadPipeline, PARSE_OPTIONS, resolvePipeline, StageConfig, type PipelineConfig, type StageName } from "./config.ts"
import { incompleteDataset, planStage, upstreamOf, withRowGroups, type Upstream } from "./plan.ts"
import { STAGES, stageNamed } from "./stages.ts"

export interface SingleStageRequest {
  readonly stage: StageName
  /** Paths to ingest (a stage that reads files), or one dataset folder (the other stages). */
  readonly inputs: ReadonlyArray<string>
  readonly out: string
  readonly configFile?: string | undefined
  /** Overrides on top of the config's stage params (e.g. --tokenizer for tokenize). */
  readonly params?: Readonly<Record<string, unknown>>
}

export const planSingleStage = (req: SingleStageRequest): Effect.Effect<StagePlan, ConfigError> =>
  Effect.gen(function* () {
    const definition = stageNamed(req.stage)
    const base = req.configFile ? yield* loadPipeline(req.configFile) : null
    const fromConfig = base?.config.stages.find((s) => s.stage === req.stage)
    // Flags go through the same schema as a pipeline file: `--tasks 0` or `--name ..` are config errors.
    const stage = yield* Schema.decodeUnknownEffect(StageConfig)({ ...(fromConfig ?? { stage: req.stage }), ...(req.params ?? {}) }, PARSE_OPTIONS).pipe(
      Effect.mapError((e) => new ConfigError({ file: "(command line)", message: `invalid ${req.stage} options: ${e.message.replace(/\n\s*/g, " ")}` }))
    )
    const readsFiles = definition.reads === "files"
    const config: PipelineConfig = {
      name: base?.config.name ?? req.stage,
      inputs: readsFiles ? req.inputs : ["."],
      ...(base?.config.tokenizer ? { tokenizer: base.config.tokenizer } : {}),
      stages: [stage]
    }
    const out = path.resolve(req.out)
    const pipeline = {
      ...resolvePipeline(config, null, { work: out }),
      file: base?.file ?? null,
      // A stage that publishes outside its folder (bundle) publishes into OUT itself.
      output: out
    }
    const stageDir = definition.cli.stageDir?.(out) ?? out
    if (!isStageDirOrEmpty(stageDir)) {
      return yield* new ConfigError({ file: "(command line)", message: `--out ${req.out}: the folder holds files scicurate did not write; choose an empty or new folder` })
    }
    const fail = (message: string) => new ConfigError({ file: "(command line)", message })
    let upstream: Upstream | null = null
    for (const given of readsFiles ? req.inputs : []) {
      // A stage folder is scicurate's own output: a files stage would find nothing in it to read.
      const planFile = stageLayout(path.resolve(given)).planFile
      if (!fs.existsSync(planFile)) continue
      const readers = STAGES.filter((s) => s.reads === "dataset").map((s) => s.name)
      return yield* fail(`${req.stage}: ${given} is a dataset written by \`scicurate ${readJson<StagePlan>(planFile).stage}\`, not files to read; the stages that read datasets are ${readers.join(", ")}`)
    }
    if (!readsFiles) {
      if (req.inputs.length !== 1) return yield* fail(`${req.stage} takes exactly one input dataset folder`)
      const input = path.resolve(req.inputs[0]!)
      // Writing into (or around) the input would delete it when the stage starts over.
      if (isInside(out, input) || isInside(input, out)) return yield* fail(`--out ${req.out} overlaps the input ${req.inputs[0]}; write to another folder`)
      const incomplete = incompleteDataset(input)
      if (incomplete) return yield* fail(`input ${req.inputs[0]} is not a finished dataset: ${incomplete}`)
      upstream = datasetUpstream(input)
      if (upstream.shards.length === 0) {
        const makers = STAGES.filter((s) => s.reads === "files").map((s) => `scicurate ${s.name}`)
        return yield* fail(`${req.stage}: ${req.inputs[0]} is not a dataset (no part-*.parquet shards in it); make one with ${makers.join(" or ")}`)
      }
      const problem = yield* Effect.promise(() => inputProblem(definition, req.inputs[0]!, upstream!.shards))
      if (problem) return yield* fail(problem)
      upstream = yield* Effect.promise(() => withRowGroups(upstream!))
    }
    const plan = planStage(pipeline, stage, 0, upstream, stageDir)
    if (plan instanceof ConfigError) return yield* plan
    return plan
  })

/**
 * Why a dataset cannot be read by a stage, in one line: the columns it lacks and the commands that
 * make them; null when it has what the stage needs. Asked of the shards themselves (their Parquet
 * schema), so a plain folder of shards is checked like a stage's output, and no engine error (a
 * Binder Error on a missing column) ever reaches the user.
 */
async function inputProblem(definition: StageDefinition, shown: string, shards: ReadonlyArray<string>): Promise<string | null> {
  let columns: Set<string>
  const db = await openDuckDB()
  try {
    const rows = (await db.connection.runAndReadAll(`DESCRIBE SELECT * FROM ${readParquetSql(shards)}`)).getRowObjectsJS()
    columns = new Set(rows.map((r) => String(r.column_name)))
  } catch {
    return `${definition.name}: ${shown} is not a readable dataset (its part-*.parquet shards are not Parquet files with the same columns)`
  } finally {
    db.connection.closeSync()
    db.instance.closeSync()
  }
  const missing = definition.needs
    .map((need) => ({ need, absent: need.columns.filter((c) => !columns.has(c)) }))
    .filter(({ absent }) => absent.length > 0)
  if (missing.length === 0) return null
  const parts = missing.map(({ need, absent }) => `${absent.join(", ")} (made by \`scicurate ${need.madeBy}\`: ${definition.name} needs them because ${need.why})`)
  return `${definition.name}: ${shown} lacks the column(s) ${parts.join("; and ")}`
}
/** A folder of shards as the input of a stage: its own plan when it has one, else its files' sizes and times. */
function datasetUpstream(dir: string): Upstream {
  const planFile = stageLayout(dir).planFile
  if (fs.existsSync(planFile)) return upstreamOf(readJson<StagePlan>(planFile), dir)
  const shards = listShards(dir)
  const hash = sha256Hex(JSON.stringify(shards.map((s) => [path.basename(s), fs.statSync(s).size, fs.statSync(s).mtimeMs])))
  // Plain shards: assume n_tokens, if present, came from the pipeline's default tokenizer.
  return { dir, shards, hash, lineage: [dir], tokenizer: "o200k_base", stage: null }
}

const isInside = (child: string, parent: string): boolean => {
  const rel = path.relative(parent, child)
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))
}
