/**
 * What the four quality stages declare alike (see StageDefinition): they read a dataset of documents,
 * keep every column, write one shard per task and record what they leave out in `_filtered/`. Each
 * stage folder gives only its name, settings, planning, command line and task code.
 */
import type { Schema } from "effect"
import { DOCUMENT_COLUMN_NAMES } from "../core/document.ts"
import { SHARD_ONLY, type Stage, type StageDefinition } from "../core/stage.ts"

export interface QualityStageSpec {
  readonly name: string
  readonly settings: Schema.Top
  /** Why the stage needs the document columns (said when they are missing). */
  readonly why: string
  readonly plan: StageDefinition["plan"]
  readonly cli: StageDefinition["cli"]
  readonly runner: () => Promise<Stage>
}

export const qualityStageDefinition = (spec: QualityStageSpec): StageDefinition => ({
  name: spec.name,
  settings: spec.settings,
  reads: "dataset",
  needs: [{ columns: DOCUMENT_COLUMN_NAMES, madeBy: "ingest", why: spec.why }],
  // Every input column goes on (a quality stage may run after tokenize or classify as well as before).
  writes: { keeps: "all", adds: [] },
  outputs: SHARD_ONLY,
  plan: spec.plan,
  cli: spec.cli,
  runners: { [spec.name]: spec.runner }
})
