/**
 * The language stage, declared (see StageDefinition): a language and a confidence per document (in its
 * metadata, under `language`), with an offline detector; documents outside the keep list (the
 * pipeline's, or the bundle definition's `quality.languages`) are removed with the reason. Code and
 * simulation outputs are exempt by default: their words are identifiers and numbers.
 */
import { Schema } from "effect"
import { DocumentKind } from "../core/document.ts"
import { qualityStageDefinition } from "../quality/definition.ts"
import { tasksSetting, slurmSetting } from "../core/settings.ts"
import { definitionsWithQuality, languageOverrides } from "../quality/bundles.ts"

const LanguageCode = Schema.String.check(Schema.isPattern(/^[a-z]{2,3}$/)).annotate({ description: "ISO 639-1 code (639-3 where there is none), e.g. en" })

export const LanguageStage = Schema.Struct({
  stage: Schema.Literal("language"),
  tasks: tasksSetting,
  slurm: slurmSetting,
  keep: Schema.optionalKey(Schema.Array(LanguageCode)).annotate({
    description: "Languages kept (e.g. [en]); absent: every document is kept and only tagged"
  }),
  min_confidence: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(1))).annotate({
    description: "Documents detected with less confidence are removed as language-uncertain (default 0: none)"
  }),
  foreign_min_confidence: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThanOrEqualTo(1))).annotate({
    description:
      "A document outside the keep list is removed only when its language is detected at least this confidently (default 0.5): a data file read as text gets a weak guess, not a removal"
  }),
  exempt_kinds: Schema.optionalKey(Schema.Array(DocumentKind)).annotate({ description: "Document kinds not judged (default [code, simulation])" }),
  bundles: Schema.optionalKey(Schema.String).annotate({
    description: "Folder of bundle definitions whose `quality.languages` override the keep list per bundle (default: scicurate's bundles/)"
  })
}).annotate({ title: "LanguageStage", description: "Tag every document with its language and a confidence; remove those outside the keep list" })

export const languageDefinition = qualityStageDefinition({
  name: "language",
  settings: LanguageStage,
  why: "it reads documents' text",
  plan: (ctx) => {
    const { bundles, ...rest } = ctx.settings as { bundles?: string }
    const definitions = definitionsWithQuality(bundles, ctx.base, "language")
    if (typeof definitions === "string") return definitions
    const perBundle = languageOverrides(definitions)
    const { keep, min_confidence, exempt_kinds } = rest as { keep?: string[]; min_confidence?: number; exempt_kinds?: string[] }
    const exempt = exempt_kinds ?? ["code", "simulation"]
    const bundleLists = Object.entries(perBundle).map(([name, list]) => `${name}: ${list.join(", ")}`)
    const summary =
      (keep && keep.length > 0 ? `languages kept: ${keep.join(", ")}` : "every document tagged with its language, none removed for it") +
      (min_confidence ? `; confidence at least ${min_confidence}` : "") +
      (bundleLists.length > 0 ? `; per bundle: ${bundleLists.join("; ")}` : "") +
      `; ${exempt.length > 0 ? `${exempt.join(" and ")} exempt` : "no kind exempt"}`
    return {
      params: { ...rest, ...(Object.keys(perBundle).length > 0 ? { bundle_keep: perBundle, definitions } : {}) },
      provenance: { summary, facts: { keep: keep ?? null, min_confidence: min_confidence ?? 0, exempt_kinds: exempt, per_bundle: perBundle } }
    }
  },
  cli: {
    description: "Tag every document with its language and a confidence (metadata.language); remove those outside --keep",
    argument: ["input", "Dataset folder of part-*.parquet shards"],
    flags: { keep: "Languages kept, comma-separated ISO 639-1 codes (e.g. en,de); default: keep all, tag only", bundles: "Folder of bundle definitions with per-bundle language lists (default: scicurate's bundles/)" },
    listFlags: ["keep"]
  },
  runner: async () => (await import("./stage.ts")).languageStage
})
