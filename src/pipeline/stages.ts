/** The stage registry: adding a stage is adding it here and to the pipeline schema. */
import type { Stage } from "../core/stage.ts"
import { bundleStage } from "../bundle/stage.ts"
import { dedupStage } from "../dedup/exact.ts"
import { ingestStage } from "../ingest/stage.ts"
import { tokenizeStage } from "../tokenize/stage.ts"

const STAGES: Record<string, Stage> = {
  ingest: ingestStage,
  dedup: dedupStage,
  tokenize: tokenizeStage,
  bundle: bundleStage
}

export function stageByName(name: string): Stage {
  const stage = STAGES[name]
  if (!stage) throw new Error(`unknown stage ${JSON.stringify(name)}`)
  return stage
}
