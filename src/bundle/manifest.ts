/**
 * The bundle manifest: what a curator reviews and a trainer checks before pulling. Every shard with its
 * sha256, bytes, rows and tokens; the token shards; totals and breakdowns; how documents were routed and
 * split; the accounting of the stages that led here; and a content hash a review can cite.
 * Same inputs + same config + same SOURCE_DATE_EPOCH = the same manifest bytes.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { canonicalJson } from "../core/layout.ts"
import { sha256Hex } from "../core/text.ts"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Sha256 = Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/))
const Split = Schema.Literals(["train", "validation"])

export const ShardEntry = Schema.Struct({
  path: Schema.String.annotate({ description: "Relative to the bundle folder, e.g. data/train-00000-of-00002.parquet" }),
  split: Split,
  sha256: Sha256,
  bytes: Count,
  rows: Count,
  tokens: Count.annotate({ description: "Sum of n_tokens over the shard's rows (no EOS)" })
})
export type ShardEntry = typeof ShardEntry.Type

const FileEntry = Schema.Struct({ path: Schema.String, sha256: Sha256, bytes: Count })

export const TokenShardEntry = Schema.Struct({
  prefix: Schema.String.annotate({ description: "Path without extension, as Megatron's --data-path takes it, e.g. tokens/o200k_base/train-00000-of-00002" }),
  split: Split,
  bin: FileEntry,
  idx: FileEntry,
  documents: Count,
  tokens: Count.annotate({ description: "Tokens in the .bin, one EOS after each document included" }),
  dtype: Schema.Literals(["uint16", "int32"])
})
export type TokenShardEntry = typeof TokenShardEntry.Type

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

const Quantiles = Schema.Struct({ min: Schema.Finite, p10: Schema.Finite, p50: Schema.Finite, p90: Schema.Finite, max: Schema.Finite, mean: Schema.Finite })

export const Manifest = Schema.Struct({
  format: Schema.Literal("scicurate-bundle/2"),
  name: Schema.String,
  title: Schema.String,
  description: Schema.String,
  version: Schema.String,
  created_at: Schema.String.annotate({ description: "ISO 8601; taken from SOURCE_DATE_EPOCH when set" }),
  scicurate_version: Schema.String,
  pipeline: Schema.Struct({
    name: Schema.String,
    file: Schema.NullOr(Schema.String).annotate({ description: "File name of the pipeline definition" }),
    config_sha256: Sha256.annotate({ description: "sha256 of the validated pipeline config (canonical JSON)" })
  }),
  definition: Schema.NullOr(
    Schema.Struct({
      kinds: Schema.Array(Schema.String),
      formats: Schema.Array(Schema.String),
      token_target: Schema.NullOr(Count),
      sampling_weight: Schema.Finite,
      sha256: Sha256.annotate({ description: "sha256 of the definition (canonical JSON) the documents were routed with" })
    })
  ).annotate({ description: "The bundle definition (bundles/<name>.yaml); null for the unrouted set" }),
  tokenizer: Schema.Struct({ name: Schema.String, eos_token_id: Count, vocabulary_size: Count }),
  split: Schema.Struct({
    validation_fraction: Schema.Finite,
    rule: Schema.String.annotate({ description: "How a document's split follows from its id" }),
    seed: Count,
    order: Schema.String.annotate({ description: "How rows are ordered within a split" })
  }),
  shard_limit: Schema.Struct({ unit: Schema.Literals(["bytes", "tokens"]), value: Count }),
  shards: Schema.Array(ShardEntry),
  token_shards: Schema.Array(TokenShardEntry),
  totals: Schema.Struct({
    shards: Count,
    documents: Count,
    tokens: Count,
    text_bytes: Count,
    bytes: Count.annotate({ description: "Bytes of the Parquet shards" }),
    token_bytes: Count.annotate({ description: "Bytes of the token shards (.bin + .idx)" }),
    train: Schema.Struct({ documents: Count, tokens: Count }),
    validation: Schema.Struct({ documents: Count, tokens: Count })
  }),
  by_kind: Breakdown,
  by_format: Breakdown,
  by_license: Breakdown,
  by_source: Breakdown.annotate({ description: "By input: the first component of source_path (the input root's name)" }),
  routing: Schema.Struct({
    score: Quantiles,
    histogram: Schema.Array(Schema.Struct({ from: Schema.Finite, to: Schema.NullOr(Schema.Finite), documents: Count })),
    runner_up: Schema.Record(Schema.String, Count).annotate({
      description: "Documents per second-choice bundle ('none' when there was none); for the unrouted set, per bundle that came closest"
    }),
    close_calls: Count.annotate({
      description: "Documents whose runner-up scored at least 80% of the chosen bundle's score (unrouted set: documents that scored at least 80% of the threshold): worth a curator's look"
    })
  }),
  quality: Schema.optionalKey(
    Schema.Record(Schema.String, Schema.Struct({ summary: Schema.String, facts: Schema.Record(Schema.String, Schema.Unknown) }))
  ).annotate({
    description:
      "Per quality stage of the run (filter, language, pii, decontaminate): what it did to the data, e.g. its thresholds, the languages kept, the evaluation sets (file, sha256, items) the bundle was decontaminated against; the counts per reason are under accounting"
  }),
  duplicates_removed: Schema.Record(Schema.String, Count).annotate({
    description: "Per dedup method (exact, minhash): documents removed as duplicates whose kept copy is in this bundle"
  }),
  samples: Schema.Array(Schema.Struct({ id: Schema.String, title: Schema.NullOr(Schema.String), source_path: Schema.String, route_reason: Schema.String })),
  accounting: Schema.Record(Schema.String, StageAccounting).annotate({
    description: "Per stage of the run that produced the bundle (the whole run, all bundles): inputs = documents_out + filtered + duplicates + rejected"
  }),
  content_sha256: Sha256.annotate({ description: "sha256 of this manifest's canonical JSON without content_sha256, created_at and pipeline.file: the same data from the same config gives the same hash" })
}).annotate({ title: "BundleManifest", description: "manifest.json of a scicurate bundle" })
export type Manifest = typeof Manifest.Type

/**
 * sha256 of the manifest's canonical JSON without its own hash, its creation time and the pipeline's
 * file name: the same data from the same config gives the same hash, whatever the pipeline file is called
 * (the name stays in the manifest as provenance, outside the hash).
 */
export function manifestContentHash(m: Omit<Manifest, "content_sha256"> | Manifest): string {
  const { content_sha256: _hash, created_at: _created, pipeline, ...rest } = m as Manifest
  const { file: _file, ...hashedPipeline } = pipeline
  return sha256Hex(canonicalJson({ ...rest, pipeline: hashedPipeline }))
}

/** A bundle's manifest, validated; or why it cannot be shown (missing, not JSON, another format). */
export function readManifest(dir: string): Manifest | string {
  const file = path.join(dir, "manifest.json")
  if (!fs.existsSync(file)) return `no bundle at ${dir} (manifest.json missing)`
  try {
    return Schema.decodeUnknownSync(Manifest)(JSON.parse(fs.readFileSync(file, "utf8")))
  } catch (e) {
    return `${file}: not a scicurate-bundle/2 manifest (${(e as Error).message.split("\n")[0]}); run scicurate verify for details`
  }
}
