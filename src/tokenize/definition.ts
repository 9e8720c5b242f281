/**
 * The tokenize stage, declared (see StageDefinition): counts tokens per document and writes the ids to
 * a token file beside each shard, which the bundle stage follows instead of tokenizing again.
 */
import { Schema } from "effect"
import { DOCUMENT_COLUMN_NAMES, TOKEN_LOCATOR_COLUMNS } from "../core/document.ts"
import { TokenizerName, tasksSetting, slurmSetting } from "../core/settings.ts"
import { tokenizerOf, type StageDefinition } from "../core/stage.ts"

export const TokenizeStage = Schema.Struct({
  stage: Schema.Literal("tokenize"),
  tasks: tasksSetting,
  slurm: slurmSetting,
  tokenizer: Schema.optionalKey(TokenizerName).annotate({ description: "Overrides the pipeline's tokenizer" })
}).annotate({ title: "TokenizeStage", description: "Count tokens per document" })

export const tokenizeDefinition: StageDefinition = {
  name: "tokenize",
  settings: TokenizeStage,
  reads: "dataset",
  needs: [{ columns: DOCUMENT_COLUMN_NAMES, madeBy: "ingest", why: "it tokenizes documents" }],
  writes: { keeps: DOCUMENT_COLUMN_NAMES, adds: ["n_tokens", ...TOKEN_LOCATOR_COLUMNS.map(([c]) => c)] },
  outputs: { shard: true, beside: [".tokens"], receipt: false },
  // From here on every plan names the tokenizer that counted its documents' n_tokens.
  plan: (ctx) => ({ params: ctx.settings, tokenizer: tokenizerOf({ params: ctx.settings, pipeline: ctx.pipeline }) }),
  cli: {
    description: "Tokenize every document: its token count (n_tokens) in the shards, and its token ids in a .tokens file beside each shard (bundle copies them into Megatron token shards)",
    argument: ["input", "Dataset folder of part-*.parquet shards"],
    flags: { tokenizer: "o200k_base (default) or cl100k_base" }
  },
  runners: { tokenize: async () => (await import("./stage.ts")).tokenizeStage }
}
