/**
 * The dedup stage, declared (see StageDefinition): exact duplicates, then near duplicates (MinHash LSH),
 * as a chain of phases (see phases.ts) before the stage's own tasks write the kept documents.
 */
import { Schema } from "effect"
import { DOCUMENT_COLUMN_NAMES, DocumentKind } from "../core/document.ts"
import { NonNegativeInt, PositiveInt, tasksSetting, slurmSetting } from "../core/settings.ts"
import { SHARD_ONLY, type StageDefinition } from "../core/stage.ts"
import { resolveReferences, type NearSettings } from "./options.ts"
import { dedupPhases } from "./phases.ts"

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
  tasks: tasksSetting,
  slurm: slurmSetting,
  near: Schema.optionalKey(Schema.Union([Schema.Literal(false), NearDedupSettings])).annotate({
    description: "Near-duplicate removal after the exact pass (on by default; false turns it off)"
  })
}).annotate({
  title: "DedupStage",
  description: "Remove exact duplicates (same normalised text), then near duplicates (MinHash LSH); removal records sit in _removed/"
})

export const dedupDefinition: StageDefinition = {
  name: "dedup",
  settings: DedupStage,
  reads: "dataset",
  needs: [{ columns: DOCUMENT_COLUMN_NAMES, madeBy: "ingest", why: "it compares documents" }],
  // Only the document columns: whatever a later stage adds must be made after duplicates are gone.
  writes: { keeps: DOCUMENT_COLUMN_NAMES, adds: [] },
  outputs: SHARD_ONLY,
  phases: dedupPhases,
  plan: (ctx) => {
    // Released signatures are inputs too: resolved and checked now, and part of the plan's hash.
    const references = resolveReferences(ctx.settings.near as NearSettings | false | undefined, ctx.base, [ctx.dir, ctx.work])
    if (typeof references === "string") return references
    return { params: references.length > 0 ? { ...ctx.settings, references } : ctx.settings }
  },
  cli: {
    description: "Remove exact, then near duplicates (MinHash LSH) from a dataset; removal records go to OUT/_removed/",
    argument: ["input", "Dataset folder of part-*.parquet shards"]
  },
  // dedup runs as phases (see phases.ts); "dedup" itself is the last one, which writes the output.
  runners: {
    "dedup-exact": async () => (await import("./exact.ts")).exactStage,
    "minhash-signatures": async () => (await import("./signatures.ts")).signaturesStage,
    "minhash-buckets": async () => (await import("./buckets.ts")).bucketsStage,
    "minhash-clusters": async () => (await import("./clusters.ts")).clustersStage,
    dedup: async () => (await import("./filter.ts")).filterStage
  }
}
