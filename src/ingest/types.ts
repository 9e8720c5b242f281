/**
 * Shared types of the extractors and the one place that turns extracted text into a Document, so that
 * every format normalises, hashes and length-filters the same way.
 */
import type { Document, DocumentKind } from "../core/document.ts"
import type { ByteRange } from "../core/stage.ts"
import { documentId, normalizeText } from "../core/text.ts"
import { mayHoldSecret, redactSecrets } from "./code/secrets.ts"
import type { PdfOptions } from "./pdf/options.ts"
import type { CodeOptions } from "./code/options.ts"

export interface InputFile {
  /** Where to read it. */
  absPath: string
  /** Stable relative name stored in documents and rejects (given by the caller). */
  sourcePath: string
  /**
   * The input root (absolute folder) it was found under. License search climbs from the file's folder up
   * to here and no further; without it, only the file's own folder is searched.
   */
  root?: string
  size: number
  /** Defaults from the pipeline's input entry. */
  license: string | null
  domain: string | null
  /** Only these lines of a JSONL file (a large file split across tasks when planning). */
  range?: ByteRange
  /**
   * Set by the router, not by callers: metadata every document of this content gets after its own
   * (`reader`: which reader made it and why; `compression`), serialised and redacted with the rest.
   */
  provenance?: Readonly<Record<string, unknown>>
}

/** Where a document came from inside its file: an archive member's (or decompressed content's) index and path. */
export interface Member {
  readonly index: number
  readonly path: string
}

export interface IngestOptions {
  /** Documents whose normalised text is shorter are *filtered* (reason "too-short"). */
  minChars: number
  /**
   * Limit for formats read whole into memory (text, Markdown, PDF): larger files are rejected
   * (reason "file-too-large") before being read whole. JSONL is streamed, so it has no file-size limit.
   */
  maxFileBytes: number
  /**
   * Limit on one JSONL line (its bytes without the line terminator): longer lines are rejected
   * (reason "record-too-large") and skipped without being buffered, and the rest of the file is read.
   * This, not the file size, bounds the memory a JSONL file needs.
   */
  maxRecordBytes: number
  /** PDF handling; DEFAULT_PDF_OPTIONS when absent. */
  pdf?: PdfOptions
  /** Source-code handling (license policy, filters); DEFAULT_CODE_OPTIONS when absent. */
  code?: CodeOptions
  /** Bomb limits of archives and compressed files; DEFAULT_CONTAINER_LIMITS when absent. */
  containers?: ContainerLimits
}

/**
 * Limits on what archives and compressed files may expand to, per input file: how deep containers may
 * nest (a .tar.gz is two containers: the gzip layer and the tar), how many bytes all their content may add up to once
 * unpacked, and the expansion ratio (unpacked over packed bytes) allowed past the first
 * `ratioFloorBytes` (small files compress well; bombs expand a thousandfold and more).
 */
export interface ContainerLimits {
  readonly maxDepth: number
  readonly maxTotalBytes: number
  readonly maxRatio: number
  readonly ratioFloorBytes: number
}

export const DEFAULT_CONTAINER_LIMITS: ContainerLimits = {
  maxDepth: 4,
  maxTotalBytes: 16 * 1024 * 1024 * 1024,
  maxRatio: 1000,
  ratioFloorBytes: 64 * 1024 * 1024
}

/**
 * Used when `maxRecordBytes` is missing or not a positive number: Node strips types without checking
 * them, so a caller that predates the option would otherwise leave JSONL lines unbounded in memory.
 */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024

/** The record limit to enforce: `options.maxRecordBytes`, or the default when it is unusable. */
export const recordLimit = (options: IngestOptions): number => {
  const n: unknown = options.maxRecordBytes
  return typeof n === "number" && n > 0 ? n : DEFAULT_MAX_RECORD_BYTES
}

export type Extracted =
  | {
      readonly _tag: "Document"
      readonly doc: Document
      /** Events to count in the task's stats as noted:<code> (redactions, unknown licenses). */
      readonly notes?: Readonly<Record<string, number>>
    }
  | { readonly _tag: "Rejected"; readonly reason: string; readonly detail: string; readonly location?: string }
  | { readonly _tag: "Filtered"; readonly reason: string; readonly detail: string; readonly location?: string }

/** `item` with `notes` added to its own (documents only; other items carry no notes). */
export function withNotes(item: Extracted, notes: Readonly<Record<string, number>>): Extracted {
  if (item._tag !== "Document" || Object.keys(notes).length === 0) return item
  const merged: Record<string, number> = { ...item.notes }
  for (const [k, n] of Object.entries(notes)) merged[k] = (merged[k] ?? 0) + n
  return { ...item, notes: merged }
}

export const rejected = (reason: string, detail: string, location?: string): Extracted =>
  location === undefined ? { _tag: "Rejected", reason, detail } : { _tag: "Rejected", reason, detail, location }

export const filtered = (reason: string, detail: string, location?: string): Extracted =>
  location === undefined ? { _tag: "Filtered", reason, detail } : { _tag: "Filtered", reason, detail, location }

/** What an extractor knows about one document; the rest of the row comes from the InputFile. */
export interface DocumentParts {
  readonly rawText: string
  readonly kind: DocumentKind
  readonly format: string
  readonly sourceSha256: string
  readonly sourceIndex: number
  readonly title: string | null
  readonly metadata: Record<string, unknown>
  /** For Filtered items of multi-record files, e.g. "line 17". */
  readonly location?: string
}

/**
 * Normalise, length-filter and assemble a Document. The id is computed from the *normalised* text so
 * that identical content from different formats or files collapses to one id for dedup.
 */
export function makeDocument(file: InputFile, options: IngestOptions, parts: DocumentParts): Extracted {
  // Every document passes here, so no format can carry a secret out: code, text, tables, logs, PDFs.
  const redacted = redactSecrets(normalizeText(parts.rawText))
  const text = redacted.text
  if (text.length < options.minChars) {
    return filtered("too-short", `${text.length} chars after normalisation, minimum is ${options.minChars}`, parts.location)
  }
  // Metadata holds values too (a table's most frequent cells, a log's settings) and the title comes
  // from content (a Markdown heading, a JSONL field, a PDF's title): redacted the same way. Metadata is
  // redacted value by value, not as JSON text, where escaped quotes would hide `password="..."`.
  const counts = new Map<string, number>()
  const all = file.provenance === undefined ? parts.metadata : { ...parts.metadata, ...file.provenance }
  const json = JSON.stringify(all)
  // One scan of the serialised metadata decides whether any value can hold a secret at all.
  const metadataValue = mayHoldSecret(json) ? redactStrings(all, counts) : null
  const title = parts.title === null ? null : redactStrings(parts.title, counts)
  const metadata = { text: metadataValue === null ? json : JSON.stringify(metadataValue), total: [...counts.values()].reduce((a, b) => a + b, 0), redactions: Object.fromEntries(counts) }
  const doc: Document = {
    id: documentId(text),
    text,
    kind: parts.kind,
    format: parts.format,
    source_path: file.sourcePath,
    source_sha256: parts.sourceSha256,
    source_index: parts.sourceIndex,
    license: file.license,
    title,
    domain: file.domain,
    bundle: null,
    metadata: metadata.text
  }
  if (redacted.total === 0 && metadata.total === 0) return { _tag: "Document", doc }
  // The same value often sits in both (a table cell in the text and among the column's top values):
  // per kind, the larger of the two counts.
  const notes: Record<string, number> = {}
  for (const counts of [redacted.redactions, metadata.redactions]) {
    for (const [kind, n] of Object.entries(counts)) if (n) notes[`secret-redacted:${kind}`] = Math.max(n, notes[`secret-redacted:${kind}`] ?? 0)
  }
  return { _tag: "Document", doc, notes }
}

/** `value` with secrets redacted in every string it holds (keys included), counting per kind into `counts`. */
function redactStrings<T>(value: T, counts: Map<string, number>): T {
  const one = (s: string): string => {
    const r = redactSecrets(s)
    for (const [kind, n] of Object.entries(r.redactions)) if (n) counts.set(kind, (counts.get(kind) ?? 0) + n)
    return r.text
  }
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return one(v)
    if (Array.isArray(v)) return v.map(walk)
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [one(k), walk(x)]))
    return v
  }
  return walk(value) as T
}

/** A short human-readable message for any thrown value. */
export const errorMessage = (e: unknown): string => {
  if (e instanceof Error) return e.message
  if (typeof e === "object" && e !== null && "message" in e) return String((e as { message: unknown }).message)
  return String(e)
}

/**
 * Detail for an exception that no check anticipated, prefixed by what was being done. A stack
 * overflow on valid input means deeply nested data, so the detail says so rather than only quoting V8.
 */
export const describeFailure = (e: unknown, doing: string): string => {
  const what = e instanceof Error ? `${e.name}: ${e.message}` : errorMessage(e)
  if (e instanceof RangeError && /call stack/i.test(e.message)) return `${doing}: the data is nested too deeply (${what})`
  return `${doing}: ${what}`
}

/** Titles are stored on one line: NFKC like the text, whitespace runs collapsed; empty becomes null. */
export const cleanTitle = (raw: string | null | undefined): string | null => {
  if (typeof raw !== "string") return null
  const t = normalizeText(raw).replace(/\s+/g, " ")
  return t.length > 0 ? t : null
}
