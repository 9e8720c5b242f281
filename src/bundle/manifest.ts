/**
 * The bundle manifest: what a curator reviews and a trainer checks before pulling. Every shard with its
 * sha256, bytes, rows and tokens; totals and breakdowns; the accounting of the stages that led here.
 * Same inputs + same config + same SOURCE_DATE_EPOCH = the same manifest bytes.
 */
import { Schema } from "effect"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Sha256 = Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/))

export const ShardEntry = Schema.Struct({
  path: Schema.String.annotate({ description: "Relative to the bundle folder, e.g. data/train-00000-of-00002.parquet" }),
  split: Schema.Literals(["train", "validation"]),
  sha256: Sha256,
  bytes: Count,
  rows: Count,
  tokens: Count
})
export type ShardEntry = typeof ShardEntry.Type

const Breakdown = Schema.Record(Schema.String, Schema.Struct({ documents: Count, tokens: Count }))

export const StageAccounting = Schema.Struct({
  tasks: Count,
  records_in: Count,
  documents_out: Count,
  filtered: Count,
  duplicates: Count,
  rejected: Count,
  reasons: Schema.Record(Schema.String, Count)
})

export const Manifest = Schema.Struct({
  format: Schema.Literal("scicurate-bundle/1"),
  name: Schema.String,
  version: Schema.String,
  created_at: Schema.String.annotate({ description: "ISO 8601; taken from SOURCE_DATE_EPOCH when set" }),
  scicurate_version: Schema.String,
  pipeline: Schema.Struct({
    name: Schema.String,
    file: Schema.NullOr(Schema.String).annotate({ description: "File name of the pipeline definition" }),
    config_sha256: Sha256.annotate({ description: "sha256 of the validated pipeline config (canonical JSON)" })
  }),
  tokenizer: Schema.String,
  shards: Schema.Array(ShardEntry),
  totals: Schema.Struct({ shards: Count, documents: Count, tokens: Count, text_bytes: Count, bytes: Count }),
  by_kind: Breakdown,
  by_format: Breakdown,
  by_license: Breakdown,
  accounting: Schema.Record(Schema.String, StageAccounting).annotate({
    description: "Per stage of the run that produced the bundle: inputs = documents_out + filtered + duplicates + rejected"
  })
}).annotate({ title: "BundleManifest", description: "manifest.json of a scicurate bundle" })
export type Manifest = typeof Manifest.Type
