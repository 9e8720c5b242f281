/**
 * The document model: one row per training document, the same columns in every stage's Parquet shards.
 * Defined once as Effect Schemas; the JSON Schemas in `schemas/` and the DuckDB column list derive from here.
 */
import { Schema } from "effect"

export const DocumentKind = Schema.Literals(["paper", "code", "simulation", "text"]).annotate({
  description: "What family of material the document came from"
})
export type DocumentKind = typeof DocumentKind.Type

const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

export const Document = Schema.Struct({
  id: Schema.String.annotate({ description: "sha256 (hex) of the normalised text: equal texts have equal ids" }),
  text: Schema.String.annotate({ description: "The normalised training text" }),
  kind: DocumentKind,
  format: Schema.String.annotate({ description: "Input format, e.g. pdf, jsonl, markdown, plain-text, python, lammps-log" }),
  source_path: Schema.String.annotate({
    description: "Path of the input file relative to the parent of the input root it was found under"
  }),
  source_sha256: Schema.String.annotate({ description: "sha256 (hex) of the input file's bytes" }),
  source_index: NonNegativeInt.annotate({
    description: "Position of the document within its source file (JSONL: 1-based line number; 0 for whole files)"
  }),
  license: Schema.NullOr(Schema.String).annotate({ description: "SPDX license id, or null when unknown" }),
  title: Schema.NullOr(Schema.String),
  domain: Schema.NullOr(Schema.String),
  bundle: Schema.NullOr(Schema.String),
  metadata: Schema.String.annotate({ description: "A JSON object serialised as a string (format-specific facts)" })
}).annotate({ title: "Document", description: "One training document as stored in every stage's Parquet shards" })
export type Document = typeof Document.Type

/** A document after the tokenize stage: the document columns plus its token count. */
export const TokenizedDocument = Schema.Struct({
  ...Document.fields,
  n_tokens: NonNegativeInt.annotate({ description: "Number of tokens under the pipeline's tokenizer" })
}).annotate({ title: "TokenizedDocument" })
export type TokenizedDocument = typeof TokenizedDocument.Type

/** DuckDB column types, in schema order. The single place that maps the model onto SQL. */
export const DOCUMENT_COLUMNS = [
  ["id", "VARCHAR"],
  ["text", "VARCHAR"],
  ["kind", "VARCHAR"],
  ["format", "VARCHAR"],
  ["source_path", "VARCHAR"],
  ["source_sha256", "VARCHAR"],
  ["source_index", "BIGINT"],
  ["license", "VARCHAR"],
  ["title", "VARCHAR"],
  ["domain", "VARCHAR"],
  ["bundle", "VARCHAR"],
  ["metadata", "VARCHAR"]
] as const satisfies ReadonlyArray<readonly [keyof Document, string]>

/** The document columns by name: what every stage after ingest needs from its input. */
export const DOCUMENT_COLUMN_NAMES: ReadonlyArray<string> = DOCUMENT_COLUMNS.map(([c]) => c)
export const TOKENIZED_COLUMNS = [...DOCUMENT_COLUMNS, ["n_tokens", "BIGINT"]] as const

/**
 * A document after the classify stage: `bundle` is set (null = unrouted) and the routing is explained.
 * Bundle shards keep TOKENIZED_COLUMNS only; the routing columns stay in the classify dataset, where
 * curators query them, and are summarised in each manifest.
 */
export const ClassifiedDocument = Schema.Struct({
  ...TokenizedDocument.fields,
  route_score: Schema.Finite.annotate({ description: "Score of the chosen bundle (of the best one when unrouted)" }),
  route_reason: Schema.String.annotate({ description: "What decided: the format rule and the top lexicon terms, or why nothing fit" }),
  route_second: Schema.NullOr(Schema.String).annotate({ description: "The runner-up bundle, or null" }),
  route_second_score: Schema.Finite.annotate({ description: "Score of the runner-up (0 when none)" })
}).annotate({ title: "ClassifiedDocument" })
export type ClassifiedDocument = typeof ClassifiedDocument.Type

/**
 * What the tokenize stage writes: the tokenized document plus where its token ids are kept
 * (`<tokenize dir>/<token_file>`, from id number `token_offset`, `n_tokens` of them; see
 * tokenize/token-file.ts). Carried through classify to the bundle stage, never into bundle shards.
 */
export const TOKEN_LOCATOR_COLUMNS = [
  ["token_file", "VARCHAR"],
  ["token_offset", "BIGINT"]
] as const
export const TOKENIZE_OUTPUT_COLUMNS = [...TOKENIZED_COLUMNS, ...TOKEN_LOCATOR_COLUMNS] as const

export const CLASSIFIED_COLUMNS = [
  ...TOKENIZE_OUTPUT_COLUMNS,
  ["route_score", "DOUBLE"],
  ["route_reason", "VARCHAR"],
  ["route_second", "VARCHAR"],
  ["route_second_score", "DOUBLE"]
] as const

/**
 * A rejected input: one JSON line in `<stage>/_rejects/part-<rank>.jsonl`.
 * `reason` is a short stable code that scripts can count; `detail` is for people.
 */
export const Reject = Schema.Struct({
  source_path: Schema.String,
  stage: Schema.String,
  reason: Schema.String.annotate({ description: "Stable code, e.g. no-text-layer, invalid-utf8, corrupt-pdf, binary-file" }),
  detail: Schema.String,
  location: Schema.optionalKey(Schema.String).annotate({ description: "Where inside the file, e.g. line 17" })
}).annotate({ title: "Reject" })
export type Reject = typeof Reject.Type
