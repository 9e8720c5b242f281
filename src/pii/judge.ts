/**
 * The pii stage's judge: every document is kept; when identifiers were replaced, the redacted text
 * goes on and the counts per type are recorded in the document's metadata (`{ pii: { EMAIL: 2, ... } }`).
 */
import type { Judge, Verdict } from "../quality/document.ts"
import { redactPii, type PiiType } from "./redact.ts"

export interface PiiConfig {
  /** The types to redact; every type of PII_TYPES by default. */
  readonly types?: ReadonlyArray<PiiType>
}

export function judgePii(config: PiiConfig = {}): Judge {
  const options = config.types === undefined ? {} : { types: config.types }
  return (doc) => {
    const { text, counts } = redactPii(doc.text, options)
    return text === doc.text ? { keep: true } : { keep: true, text, facts: { pii: counts } }
  }
}

/** The stage's counters for a verdict of judgePii: `pii:<TYPE>` per replacement (for DocumentStageSpec.notes). */
export function piiNotes(verdict: Verdict): Readonly<Record<string, number>> | null {
  const counts = verdict.keep ? (verdict.facts?.pii as Partial<Record<PiiType, number>> | undefined) : undefined
  if (counts === undefined) return null
  return Object.fromEntries(Object.entries(counts).map(([type, n]) => [`pii:${type}`, n ?? 0]))
}
