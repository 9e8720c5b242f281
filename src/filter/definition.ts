/**
 * The filter stage, declared (see StageDefinition): document-level quality heuristics (the Gopher, C4 and
 * FineWeb families tuned for science text, PDF text-layer quality, StarCoder-style code rules, numbers
 * dumped as text). Every removal has a reason and the scores behind it; every threshold is a setting,
 * overridable per bundle definition.
 */
import { Schema } from "effect"
import { qualityStageDefinition } from "../quality/definition.ts"
import { tasksSetting, slurmSetting } from "../core/settings.ts"
import { definitionsWithQuality, filterOverrides } from "../quality/bundles.ts"
import { FILTER_RULES, resolveFilterConfig, type FilterConfig } from "./rules.ts"

export const FilterStage = Schema.Struct({
  stage: Schema.Literal("filter"),
  tasks: tasksSetting,
  slurm: slurmSetting,
  thresholds: Schema.optionalKey(Schema.Record(Schema.String, Schema.Finite)).annotate({
    description: "Thresholds by rule name (e.g. gopher.min_words: 30); `scicurate quality-report` lists the rules, their defaults and what they remove"
  }),
  disabled: Schema.optionalKey(Schema.Array(Schema.String)).annotate({ description: "Rules not applied, by name" }),
  bundles: Schema.optionalKey(Schema.String).annotate({
    description: "Folder of bundle definitions whose `quality` sections override the thresholds per bundle (default: scicurate's bundles/)"
  })
}).annotate({
  title: "FilterStage",
  description: "Remove documents that fail quality heuristics; each removal goes to _filtered/ with its reason and scores"
})

export const filterDefinition = qualityStageDefinition({
  name: "filter",
  settings: FilterStage,
  why: "it judges documents",
  plan: (ctx) => {
    const { bundles, thresholds, disabled, ...rest } = ctx.settings as { bundles?: string; thresholds?: Record<string, number>; disabled?: string[] }
    const definitions = definitionsWithQuality(bundles, ctx.base, "filter")
    if (typeof definitions === "string") return definitions
    const perBundle = filterOverrides(definitions)
    const config: FilterConfig = {
      ...(thresholds ? { thresholds } : {}),
      ...(disabled ? { disabled } : {}),
      ...(Object.keys(perBundle).length > 0 ? { bundles: perBundle } : {})
    }
    // Checked now, so a misspelt rule name stops the run before any task starts.
    const resolved = resolveFilterConfig(config)
    if (typeof resolved === "string") return `filter: ${resolved}`
    // The definitions go into the plan only when some bundle overrides the filter: tasks route with them.
    const changed = [
      ...Object.entries(thresholds ?? {}).map(([rule, value]) => `${rule} ${value}`),
      ...(disabled ?? []).map((rule) => `${rule} off`),
      ...Object.keys(perBundle).map((name) => `bundle ${name} overrides`)
    ]
    return {
      params: { ...rest, config, ...(Object.keys(perBundle).length > 0 ? { definitions } : {}) },
      provenance: {
        summary: `${FILTER_RULES.length - (disabled?.length ?? 0)} quality rules (Gopher, C4, FineWeb, repetition, PDF text layer, code, numeric dumps); ${changed.length > 0 ? `changed from the defaults: ${changed.join(", ")}` : "default thresholds"}`,
        facts: { ...config }
      }
    }
  },
  cli: {
    description: "Remove documents that fail the quality heuristics (Gopher, C4, FineWeb, PDF text quality, code rules, numeric dumps); reasons and scores go to OUT/_filtered/",
    argument: ["input", "Dataset folder of part-*.parquet shards"],
    flags: { disabled: "Rules not applied, comma-separated names", bundles: "Folder of bundle definitions with per-bundle quality overrides (default: scicurate's bundles/)" },
    listFlags: ["disabled"]
  },
  runner: async () => (await import("./stage.ts")).filterStage
})
