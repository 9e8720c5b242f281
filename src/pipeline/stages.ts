/**
 * The stage list: adding a stage is adding its folder (with a `definition.ts`, see StageDefinition) and
 * one line here. The order is the order `scicurate --help` lists the commands in. Definitions are
 * light; the code that runs tasks loads lazily, so a worker running dedup never loads the PDF reader or
 * a tokenizer.
 */
import type { Stage, StageDefinition } from "../core/stage.ts"
import { ingestDefinition } from "../ingest/definition.ts"
import { dedupDefinition } from "../dedup/definition.ts"
import { filterDefinition } from "../filter/definition.ts"
import { languageDefinition } from "../language/definition.ts"
import { piiDefinition } from "../pii/definition.ts"
import { decontaminateDefinition } from "../decontaminate/definition.ts"
import { tokenizeDefinition } from "../tokenize/definition.ts"
import { classifyDefinition } from "../classify/definition.ts"
import { bundleDefinition } from "../bundle/definition.ts"

export const STAGES: ReadonlyArray<StageDefinition> = [
  ingestDefinition,
  dedupDefinition,
  filterDefinition,
  languageDefinition,
  piiDefinition,
  decontaminateDefinition,
  tokenizeDefinition,
  classifyDefinition,
  bundleDefinition
]

export const STAGE_NAMES: ReadonlyArray<string> = STAGES.map((s) => s.name)

/** The definition of a stage by name; a plan of a phase (dedup-exact, ...) is run by its stage's runners. */
export function stageNamed(name: string): StageDefinition {
  const found = STAGES.find((s) => s.name === name)
  if (!found) throw new Error(`unknown stage ${JSON.stringify(name)}`)
  return found
}

/** The task code of a plan: a stage's or one of its phases'. */
export async function loadStage(name: string): Promise<Stage> {
  const load = STAGES.map((s) => s.runners[name]).find((r) => r !== undefined)
  if (!load) throw new Error(`unknown stage ${JSON.stringify(name)}`)
  return load()
}
