/**
 * What the quality stages (filter, language, pii, decontaminate) see of a document and what they say
 * of it. Their judges are pure functions over plain data, one document at a time inside a batch loop
 * (see document-stage.ts for the I/O around them): unit-tested without DuckDB or Effect.
 */
import type { DocumentKind } from "../core/document.ts"

/** The columns of a document a judge may read. `metadata` is the JSON object string of the shard. */
export interface QualityDocument {
  readonly id: string
  readonly text: string
  readonly kind: DocumentKind
  readonly format: string
  readonly source_path: string
  readonly source_index: number
  readonly title: string | null
  readonly metadata: string
  /** Set when a classify stage ran before (per-bundle thresholds); null otherwise. */
  readonly bundle: string | null
}

/** Named numbers a judge measured on a document (rounded to 4 decimals, so they are stable text). */
export type Scores = Readonly<Record<string, number>>

/**
 * A judge's verdict on one document:
 * - keep: the document goes on, its text possibly changed (pii, passages cut) and facts added to its
 *   metadata under the stage's key (`quality`, `language`, `pii`, `decontamination`);
 * - remove: the document is left out with a stable reason code (counted as `filtered:<reason>`), a
 *   detail a curator can read (the measured value against the threshold) and the scores behind it.
 */
export type Verdict =
  | { readonly keep: true; readonly text?: string; readonly facts?: Readonly<Record<string, unknown>> }
  | { readonly keep: false; readonly reason: string; readonly detail: string; readonly scores: Scores; readonly facts?: Readonly<Record<string, unknown>> }

/** A judge built once per task from the stage's planned params; called for every document in order. */
export type Judge = (doc: QualityDocument) => Verdict

export const round4 = (x: number): number => Math.round(x * 10000) / 10000
