/**
 * The release index (`<releases>/<name>/release.json`) and its detached signature
 * (`release.json.sig`): what a trainer pulls and checks. A release is a folder:
 *
 *   <to>/<name>/release.json          this index (canonical JSON, 2-space indent)
 *   <to>/<name>/release.json.sig      Ed25519 signature over the exact bytes of release.json (optional)
 *   <to>/<name>/bundles/<bundle>/...  each approved bundle as the bundle stage wrote it (hard links or copies)
 *
 * Every file of every bundle is listed with its sha256 and size, so a puller verifies while it streams
 * and never trusts a file the index does not name. The index is the only thing signed: the files are
 * bound to it by their hashes.
 */
import { Schema } from "effect"

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Sha256 = Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/))

export const RELEASE_INDEX = "release.json"
export const RELEASE_SIGNATURE = "release.json.sig"

export const ReleaseFile = Schema.Struct({
  path: Schema.String.annotate({ description: "Relative to the release folder, '/'-separated, e.g. bundles/chemistry/data/train-00000-of-00001.parquet" }),
  sha256: Sha256,
  bytes: Count,
  split: Schema.NullOr(Schema.Literals(["train", "validation"])).annotate({ description: "The split a shard belongs to; null for manifest, card and other files" })
})
export type ReleaseFile = typeof ReleaseFile.Type

export const ReleaseReview = Schema.Struct({
  decision: Schema.Literals(["approve", "reject", "request-changes"]),
  curator: Schema.String,
  note: Schema.String,
  at: Schema.String,
  via: Schema.Literals(["web", "cli"]),
  content_sha256: Sha256
})

export const ReleaseBundle = Schema.Struct({
  name: Schema.String,
  path: Schema.String.annotate({ description: "The bundle's folder, relative to the release folder: bundles/<name>" }),
  manifest_sha256: Sha256.annotate({ description: "sha256 of the bundle's manifest.json bytes" }),
  content_sha256: Sha256.annotate({ description: "The manifest's content_sha256, the hash the approval is bound to" }),
  approval: ReleaseReview.annotate({ description: "The decision that let the bundle in" }),
  reviews: Schema.Array(ReleaseReview).annotate({ description: "Every decision on this bundle's content, oldest first" }),
  documents: Count,
  tokens: Count,
  files: Schema.Array(ReleaseFile)
})
export type ReleaseBundle = typeof ReleaseBundle.Type

export const MixEntry = Schema.Struct({
  bundle: Schema.String,
  weight: Schema.Finite.annotate({ description: "The bundle's sampling weight, normalised so the released bundles' weights sum to 1" }),
  sampling_weight: Schema.Finite.annotate({ description: "The weight from the bundle definition, as written" }),
  tokens: Schema.Struct({ train: Count, validation: Count }),
  token_prefixes: Schema.Array(
    Schema.Struct({
      prefix: Schema.String.annotate({ description: "Megatron --data-path prefix relative to the release folder (no .bin/.idx)" }),
      split: Schema.Literals(["train", "validation"]),
      tokens: Count
    })
  )
})
export type MixEntry = typeof MixEntry.Type

export const ReleaseIndex = Schema.Struct({
  format: Schema.Literal("scicurate-release/1"),
  name: Schema.String,
  created_at: Schema.String.annotate({ description: "ISO 8601; from SOURCE_DATE_EPOCH when set" }),
  scicurate_version: Schema.String,
  tokenizer: Schema.Struct({ name: Schema.String, eos_token_id: Count, vocabulary_size: Count }),
  bundles: Schema.Array(ReleaseBundle),
  left_out: Schema.Array(
    Schema.Struct({
      name: Schema.String,
      content_sha256: Sha256,
      state: Schema.Literals(["needs-review", "rejected", "changes-requested"]),
      reason: Schema.String.annotate({ description: "Why it is not in the release, in words" })
    })
  ),
  mixing: Schema.Array(MixEntry),
  totals: Schema.Struct({ bundles: Count, files: Count, bytes: Count, documents: Count, tokens: Count })
}).annotate({ title: "ReleaseIndex", description: "release.json of a scicurate release" })
export type ReleaseIndex = typeof ReleaseIndex.Type

export const ReleaseSignature = Schema.Struct({
  format: Schema.Literal("scicurate-signature/1"),
  algorithm: Schema.Literal("ed25519"),
  key_id: Schema.String.annotate({ description: "sha256 of the public key's SPKI DER, hex: names the key that signed" }),
  signature: Schema.String.annotate({ description: "base64 Ed25519 signature over the exact bytes of release.json" })
}).annotate({ title: "ReleaseSignature", description: "release.json.sig of a scicurate release" })
export type ReleaseSignature = typeof ReleaseSignature.Type
