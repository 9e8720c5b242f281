/** Cutting strings for rendered documents and metadata (shared by render.ts and summary.ts). */
import { redactSecrets } from "../code/secrets.ts"

/**
 * Cut to `max` characters with an ellipsis, collapsing whitespace runs. Secrets are redacted before
 * cutting: a token cut in half no longer matches its pattern, so the document-level redaction (see
 * ingest/types.ts) would let its first half through.
 */
export function clip(s: string, max: number): string {
  return cut(s.replace(/\s+/g, " ").trim(), max)
}

/** Cut to `max` characters with an ellipsis, as is (no whitespace collapsing); secrets redacted first, as in clip. */
export function cut(s: string, max: number, ellipsis = "…"): string {
  if (s.length <= max) return s
  const r = redactSecrets(s).text
  return r.length <= max ? r : `${r.slice(0, Math.max(0, max - ellipsis.length))}${ellipsis}`
}

