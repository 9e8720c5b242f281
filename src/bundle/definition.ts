/**
 * The bundle stage, declared (see StageDefinition): writes one checksummed bundle per routed domain from
 * a classified dataset with token counts. It writes bundles, not a dataset, so nothing comes after it.
 */
import * as path from "node:path"
import { Schema } from "effect"
import { NonNegativeInt, PositiveInt, tasksSetting, slurmSetting } from "../core/settings.ts"
import type { StageDefinition } from "../core/stage.ts"
import { sha256Hex } from "../core/text.ts"
import { ROUTING_COLUMNS } from "../classify/definition.ts"
import { shardsPhaseDir } from "./layout.ts"

export const BundleStage = Schema.Struct({
  stage: Schema.Literal("bundle"),
  tasks: tasksSetting,
  slurm: slurmSetting,
  version: Schema.optionalKey(Schema.String).annotate({ description: "Bundle version recorded in the manifests (default 0.1.0)" }),
  validation_fraction: Schema.optionalKey(Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThan(1))).annotate({
    description: "Share of documents held out as the validation split, chosen by the document id (a content hash), so a document never changes split between runs (default 0.01)"
  }),
  seed: Schema.optionalKey(NonNegativeInt).annotate({ description: "Seed of the row shuffle within each split (default 0)" }),
  shard_bytes: Schema.optionalKey(PositiveInt).annotate({ description: "Target text bytes per shard (default 256 MiB); the Parquet and token shards of one number hold the same documents" }),
  shard_tokens: Schema.optionalKey(PositiveInt).annotate({ description: "Target tokens per shard instead of bytes (overrides shard_bytes)" }),
  token_shards: Schema.optionalKey(Schema.Boolean).annotate({ description: "Write Megatron indexed datasets (.bin/.idx) beside the Parquet shards (default true)" })
}).annotate({
  title: "BundleStage",
  description: "Write one checksummed bundle per routed domain: Parquet train/validation shards, Megatron token shards, manifest.json and a dataset card"
})


export const bundleDefinition: StageDefinition = {
  name: "bundle",
  settings: BundleStage,
  reads: "dataset",
  needs: [
    { columns: ["n_tokens"], madeBy: "tokenize", why: "manifests count tokens" },
    { columns: ROUTING_COLUMNS, madeBy: "classify", why: "it writes one bundle per routed domain" }
  ],
  writes: null,
  // No shard: a task publishes whole bundles in the output folder and lists their manifests in a receipt.
  outputs: { shard: false, beside: [], receipt: true },
  // The shards are written first, shared by bytes over the tasks (see stage.ts); the stage's own tasks assemble bundles.
  phases: (plan) => [
    {
      ...plan,
      stage: "bundle-shards",
      dir: shardsPhaseDir(plan.dir),
      // A receipt listing the staged shards (its `files` is empty: nothing is published outside).
      outputs: { shard: false, beside: [], receipt: true },
      hash: sha256Hex(JSON.stringify([plan.hash, "bundle-shards"]))
    }
  ],
  plan: (ctx) => {
    if (!ctx.upstream?.tokenizer) return `bundle: its input ${ctx.upstream?.dir ?? ""} has no token counts (run tokenize first)`
    // What else the bundles depend on: the manifest's pipeline facts and where they are published.
    return { params: ctx.settings, identity: { output: ctx.pipeline.output, pipeline: ctx.pipeline.name, config: ctx.pipeline.configSha256 } }
  },
  cli: {
    description: "Write a classified dataset as one checksummed bundle per domain: OUT/<bundle>/{data/*.parquet, tokens/, manifest.json, README.md}",
    argument: ["input", "Dataset folder of part-*.parquet shards"],
    // The bundles go to OUT/<bundle>/; the stage's own bookkeeping lives beside them.
    stageDir: (out) => path.join(out, ".bundle-stage"),
    showsBundles: true
  },
  runners: {
    "bundle-shards": async () => (await import("./stage.ts")).bundleShardsStage,
    bundle: async () => (await import("./stage.ts")).bundleStage
  }
}
