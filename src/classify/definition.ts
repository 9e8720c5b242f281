/**
 * The classify stage, declared (see StageDefinition): routes every document to a domain bundle. It
 * needs documents only; token counts pass through when its input has them.
 */
import * as path from "node:path"
import { Schema } from "effect"
import { DOCUMENT_COLUMN_NAMES } from "../core/document.ts"
import { tasksSetting, slurmSetting } from "../core/settings.ts"
import { SHARD_ONLY, type StageDefinition } from "../core/stage.ts"
import { BundleDefinitionError, DEFAULT_BUNDLES_DIR, loadBundleDefinitions } from "./definitions.ts"

export const ClassifyStage = Schema.Struct({
  stage: Schema.Literal("classify"),
  tasks: tasksSetting,
  slurm: slurmSetting,
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

/** The columns classify adds (ClassifiedDocument). */
export const ROUTING_COLUMNS = ["route_score", "route_reason", "route_second", "route_second_score"] as const

export const classifyDefinition: StageDefinition = {
  name: "classify",
  settings: ClassifyStage,
  reads: "dataset",
  needs: [{ columns: DOCUMENT_COLUMN_NAMES, madeBy: "ingest", why: "it routes documents" }],
  writes: { keeps: "all", adds: ROUTING_COLUMNS },
  outputs: SHARD_ONLY,
  plan: (ctx) => {
    // The definitions themselves go into the plan (and so its hash): editing a lexicon reroutes, and
    // tasks route with exactly what was planned even if the files change while they run.
    const { bundles, ...rest } = ctx.settings as { bundles?: string }
    const bundlesDir = bundles ? path.resolve(ctx.base, bundles) : DEFAULT_BUNDLES_DIR
    try {
      return { params: { ...rest, definitions: loadBundleDefinitions(bundlesDir) } }
    } catch (e) {
      return `classify: ${e instanceof BundleDefinitionError ? e.message : `${bundlesDir}: ${(e as Error).message}`}`
    }
  },
  cli: {
    description: "Route every document of a dataset to a domain bundle (score, reason, runner-up); the rest are marked unrouted",
    argument: ["input", "Dataset folder of part-*.parquet shards"],
    flags: { bundles: "Folder of bundle definitions (default: scicurate's bundles/)" }
  },
  runners: { classify: async () => (await import("./stage.ts")).classifyStage }
}
