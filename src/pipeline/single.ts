/**
 * The per-stage commands (`scicurate ingest|dedup|tokenize|classify|bundle IN --out DIR`): a one-stage pipeline
 * whose stage folder is DIR. Stage parameters come from `--config PIPELINE.yaml` (the first stage of that
 * name) or the defaults. A dataset input is any folder of `part-*.parquet` shards.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { ConfigError } from "../core/errors.ts"
import { isStageDirOrEmpty, listShards, readJson, stageLayout } from "../core/layout.ts"
import type { StagePlan } from "../core/stage.ts"
import { sha256Hex } from "../core/text.ts"
import { loadPipeline, PARSE_OPTIONS, resolvePipeline, StageConfig, type PipelineConfig, type StageName } from "./config.ts"
import { incompleteDataset, planStage, upstreamOf, type Upstream } from "./plan.ts"

export interface SingleStageRequest {
  readonly stage: StageName
  /** Paths to ingest (ingest), or one dataset folder (the other stages). */
  readonly inputs: ReadonlyArray<string>
  readonly out: string
  readonly configFile?: string | undefined
  /** Overrides on top of the config's stage params (e.g. --name for bundle). */
  readonly params?: Readonly<Record<string, unknown>>
}

export const planSingleStage = (req: SingleStageRequest): Effect.Effect<StagePlan, ConfigError> =>
  Effect.gen(function* () {
    const base = req.configFile ? yield* loadPipeline(req.configFile) : null
    const fromConfig = base?.config.stages.find((s) => s.stage === req.stage)
    // Flags go through the same schema as a pipeline file: `--tasks 0` or `--name ..` are config errors.
    const stage = yield* Schema.decodeUnknownEffect(StageConfig)({ ...(fromConfig ?? { stage: req.stage }), ...(req.params ?? {}) }, PARSE_OPTIONS).pipe(
      Effect.mapError((e) => new ConfigError({ file: "(command line)", message: `invalid ${req.stage} options: ${e.message.replace(/\n\s*/g, " ")}` }))
    )
    const config: PipelineConfig = {
      name: base?.config.name ?? req.stage,
      inputs: req.stage === "ingest" ? req.inputs : ["."],
      ...(base?.config.tokenizer ? { tokenizer: base.config.tokenizer } : {}),
      stages: [stage]
    }
    const out = path.resolve(req.out)
    const pipeline = {
      ...resolvePipeline(config, null, { work: out }),
      file: base?.file ?? null,
      // bundle: DIR/<name>/...; the stage's own bookkeeping lives beside it in DIR/.bundle-stage
      output: out
    }
    const stageDir = req.stage === "bundle" ? path.join(out, ".bundle-stage") : out
    if (!isStageDirOrEmpty(stageDir)) {
      return yield* new ConfigError({ file: "(command line)", message: `--out ${req.out}: the folder holds files scicurate did not write; choose an empty or new folder` })
    }
    const fail = (message: string) => new ConfigError({ file: "(command line)", message })
    let upstream: Upstream | null = null
    if (req.stage !== "ingest") {
      if (req.inputs.length !== 1) return yield* fail(`${req.stage} takes exactly one input dataset folder`)
      const input = path.resolve(req.inputs[0]!)
      // Writing into (or around) the input would delete it when the stage starts over.
      if (isInside(out, input) || isInside(input, out)) return yield* fail(`--out ${req.out} overlaps the input ${req.inputs[0]}; write to another folder`)
      const incomplete = incompleteDataset(input)
      if (incomplete) return yield* fail(`input ${req.inputs[0]} is not a finished dataset: ${incomplete}`)
      upstream = datasetUpstream(input)
      if (upstream.shards.length === 0) return yield* fail(`${req.inputs[0]}: no part-*.parquet shards found`)
    }
    const plan = planStage(pipeline, stage, 0, upstream, stageDir)
    if (plan instanceof ConfigError) return yield* plan
    return plan
  })

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
