/**
 * The pii stage, declared (see StageDefinition): e-mail addresses, phone numbers, IP addresses and like
 * identifiers replaced by typed placeholders (`<EMAIL>`, ...) and counted (metadata.pii, and
 * `noted:pii:<TYPE>` in the stats); DOIs, arXiv ids, ORCIDs, accession and CAS numbers and numeric data
 * are left alone. No document is removed.
 */
import { Schema } from "effect"
import { qualityStageDefinition } from "../quality/definition.ts"
import { tasksSetting, slurmSetting } from "../core/settings.ts"
import { beforeTokenize } from "../quality/text-changes.ts"
import { PII_TYPES } from "./redact.ts"

export const PiiStage = Schema.Struct({
  stage: Schema.Literal("pii"),
  tasks: tasksSetting,
  slurm: slurmSetting,
  types: Schema.optionalKey(Schema.Array(Schema.Literals(PII_TYPES))).annotate({ description: "Identifier types replaced (default: all)" })
}).annotate({ title: "PiiStage", description: "Replace personal identifiers (e-mail, phone, IP address, ...) by typed placeholders, and count them" })

export const piiDefinition = qualityStageDefinition({
  name: "pii",
  settings: PiiStage,
  why: "it rewrites documents' text",
  plan: (ctx) => {
    const types = (ctx.settings.types as ReadonlyArray<string> | undefined) ?? PII_TYPES
    return (
      beforeTokenize(ctx, "pii") ?? {
        params: ctx.settings,
        provenance: { summary: `personal identifiers replaced by typed placeholders: ${types.map((t) => `<${t}>`).join(", ")}`, facts: { types } }
      }
    )
  },
  cli: {
    description: "Replace e-mail addresses, phone numbers, IP addresses and like identifiers by typed placeholders (<EMAIL>, ...) and count them",
    argument: ["input", "Dataset folder of part-*.parquet shards"]
  },
  runner: async () => (await import("./stage.ts")).piiStage
})
