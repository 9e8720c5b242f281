/**
 * Routing accuracy against the labels of a corpus's SOURCES.md (labels.ts): used by
 * scripts/routing-accuracy.ts, the accuracy test and the benchmark.
 *
 * Whole files (papers, simulation outputs, data files) get one vote each: a file that yields several
 * documents (an archive, a split file) counts by the majority of its documents' bundles. Text
 * collections (labels on files under `text/`, JSONL with one record per document) are scored per
 * record, separately. A vote is correct when the bundle is among `acceptableBundles(label)`.
 */
import { openDuckDB } from "../core/duckdb.ts"
import { readBatches, readParquetSql } from "../core/parquet.ts"
import { listShards } from "../core/layout.ts"
import { acceptableBundles, LabelError, unknownLabelWords, type SourceLabel } from "./labels.ts"
import type { Classifier, RoutableDocument, Routing } from "./route.ts"

export interface LabelledDocument extends RoutableDocument {
  readonly source_path: string
}

export const UNROUTED_VOTE = "(unrouted)"

export interface FileResult {
  readonly file: string
  readonly label: string
  readonly acceptable: ReadonlyArray<string>
  readonly documents: number
  /** Bundle (or UNROUTED_VOTE) → documents of the file routed there. */
  readonly votes: Readonly<Record<string, number>>
  /** The majority bundle (ties: the name first in order), or UNROUTED_VOTE. */
  readonly bundle: string
  readonly correct: boolean
  /** The reason given for the first document that voted for the majority bundle. */
  readonly reason: string
  readonly score: number
  readonly second: string | null
  readonly secondScore: number
}

export interface Tally {
  readonly total: number
  readonly correct: number
  readonly accuracy: number
}

export interface AccuracyReport {
  /** Papers, simulation outputs and data files: one vote per file. */
  readonly files: Tally
  /** Records of the text collections. */
  readonly text: Tally
  readonly fileResults: ReadonlyArray<FileResult>
  readonly textResults: ReadonlyArray<FileResult>
  /** label → bundle → files (papers and simulation). */
  readonly confusion: Readonly<Record<string, Readonly<Record<string, number>>>>
  /** label → bundle → records (text collections). */
  readonly textConfusion: Readonly<Record<string, Readonly<Record<string, number>>>>
  /** Labelled files with no document in the dataset (rejected at ingest, or not ingested). */
  readonly missing: ReadonlyArray<string>
  /** Documents whose source has no label. */
  readonly unlabelled: number
  /** Labels that name no known field (their files are not scored), and words of scored labels the field table lacks. */
  readonly unscorable: ReadonlyArray<string>
  readonly unknownWords: ReadonlyArray<string>
}

/** Is a label's file a text collection scored per record? */
export const isTextCollection = (file: string): boolean => file.startsWith("text/")

const tally = (total: number, correct: number): Tally => ({ total, correct, accuracy: total === 0 ? 0 : correct / total })

/** Route every labelled document and score the result. */
export function routingAccuracy(docs: Iterable<LabelledDocument>, labels: ReadonlyArray<SourceLabel>, classifier: Classifier): AccuracyReport {
  return scoreRouting(
    (function* () {
      for (const doc of docs) yield { source_path: doc.source_path, ...classifier.route(doc) }
    })(),
    labels
  )
}

/** A document as some earlier routing left it: a classify stage's output rows (bundle null = unrouted). */
export interface RoutedDocument extends Routing {
  readonly source_path: string
}

/**
 * Score routings already made (e.g. the `bundle`, `route_*` columns of a pipeline's classify output)
 * against the labels. Only labelled documents are scored; the rest are counted as unlabelled.
 */
export function scoreRouting(docs: Iterable<RoutedDocument>, allLabels: ReadonlyArray<SourceLabel>): AccuracyReport {
  // A label that names no known field cannot judge a routing: its files are left out and listed.
  const unscorable: string[] = []
  const labels = allLabels.filter((l) => {
    try {
      acceptableBundles(l.label)
      return true
    } catch (e) {
      if (!(e instanceof LabelError)) throw e
      unscorable.push(`${l.file}: ${l.label}`)
      return false
    }
  })
  const byFile = new Map<string, SourceLabel>()
  // Matched against every label, so a file with an unscorable label is skipped rather than taken for another.
  for (const l of allLabels) byFile.set(l.file, l)
  const scorable = new Set(labels)
  // A source_path is relative to the parent of the input root it was found under; match the label's
  // `<folder>/<name>` against its trailing components so deeper roots work too.
  // A file given as an input by itself has just its name as source_path: match such names when unique.
  const byName = new Map<string, SourceLabel | null>()
  for (const l of allLabels) {
    const name = l.file.split("/").pop()!
    byName.set(name, byName.has(name) ? null : l)
  }
  const labelOf = (sourcePath: string): SourceLabel | undefined => {
    const parts = sourcePath.split(/[\\/]/)
    for (let k = 0; k < parts.length; k++) {
      const hit = byFile.get(parts.slice(k).join("/"))
      if (hit !== undefined) return hit
    }
    return parts.length === 1 ? (byName.get(parts[0]!) ?? undefined) : undefined
  }

  interface Acc {
    label: SourceLabel
    documents: number
    correctDocs: number
    votes: Map<string, number>
    first: Map<string, { reason: string; score: number; second: string | null; secondScore: number }>
  }
  const acc = new Map<string, Acc>()
  let unlabelled = 0
  for (const doc of docs) {
    const label = labelOf(doc.source_path)
    if (label === undefined) {
      unlabelled++
      continue
    }
    if (!scorable.has(label)) continue
    const r = doc
    const vote = r.bundle ?? UNROUTED_VOTE
    let a = acc.get(label.file)
    if (a === undefined) {
      a = { label, documents: 0, correctDocs: 0, votes: new Map(), first: new Map() }
      acc.set(label.file, a)
    }
    a.documents++
    if (r.bundle !== null && acceptableBundles(label.label).includes(r.bundle)) a.correctDocs++
    a.votes.set(vote, (a.votes.get(vote) ?? 0) + 1)
    if (!a.first.has(vote)) a.first.set(vote, { reason: r.reason, score: r.score, second: r.second, secondScore: r.secondScore })
  }

  const results: FileResult[] = []
  for (const l of labels) {
    const a = acc.get(l.file)
    if (a === undefined) continue
    const ranked = [...a.votes.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    const bundle = ranked[0]![0]
    const acceptable = acceptableBundles(l.label)
    const info = a.first.get(bundle)!
    results.push({
      file: l.file,
      label: l.label,
      acceptable,
      documents: a.documents,
      votes: Object.fromEntries(ranked),
      bundle,
      correct: acceptable.includes(bundle),
      ...info
    })
  }
  const fileResults = results.filter((r) => !isTextCollection(r.file))
  const textResults = results.filter((r) => isTextCollection(r.file))

  const confusionOf = (rs: ReadonlyArray<FileResult>, perRecord: boolean) => {
    const out: Record<string, Record<string, number>> = {}
    for (const r of rs) {
      const row = (out[r.label] ??= {})
      if (perRecord) for (const [b, n] of Object.entries(r.votes)) row[b] = (row[b] ?? 0) + n
      else row[r.bundle] = (row[r.bundle] ?? 0) + 1
    }
    return out
  }
  let textTotal = 0
  let textCorrect = 0
  for (const r of textResults) {
    textTotal += r.documents
    textCorrect += acc.get(r.file)!.correctDocs
  }
  return {
    files: tally(fileResults.length, fileResults.filter((r) => r.correct).length),
    text: tally(textTotal, textCorrect),
    fileResults,
    textResults,
    confusion: confusionOf(fileResults, false),
    textConfusion: confusionOf(textResults, true),
    missing: labels.filter((l) => !acc.has(l.file)).map((l) => l.file),
    unlabelled,
    unscorable,
    unknownWords: [...new Set(labels.flatMap((l) => unknownLabelWords(l.label)))].sort()
  }
}

const pct = (t: Tally): string => `${t.correct}/${t.total} = ${(100 * t.accuracy).toFixed(1)}%`

function confusionTable(c: Readonly<Record<string, Readonly<Record<string, number>>>>): string[] {
  const lines: string[] = []
  const labels = Object.keys(c).sort()
  const width = Math.max(5, ...labels.map((l) => l.length))
  for (const l of labels) {
    const row = Object.entries(c[l]!).sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
    const ok = new Set(acceptableBundles(l))
    lines.push(`  ${l.padEnd(width)}  ${row.map(([b, n]) => `${ok.has(b) ? "" : "✗ "}${b} ${n}`).join(", ")}`)
  }
  return lines
}

/** A plain-text report: the two accuracies, the confusion tables and the misrouted files with reasons. */
export function formatAccuracyReport(report: AccuracyReport): string {
  const lines: string[] = []
  lines.push(`files (papers + simulation, one vote per file): ${pct(report.files)}`)
  lines.push(`text records: ${pct(report.text)}`)
  for (const r of report.textResults) {
    const ok = r.acceptable
    const right = Object.entries(r.votes).filter(([b]) => ok.includes(b)).reduce((s, [, n]) => s + n, 0)
    lines.push(`  ${r.file} (${r.label}): ${right}/${r.documents} = ${((100 * right) / Math.max(1, r.documents)).toFixed(1)}%`)
  }
  if (report.missing.length > 0) lines.push(`labelled files without documents (not scored): ${report.missing.join(", ")}`)
  if (report.unlabelled > 0) lines.push(`documents without a label (not scored): ${report.unlabelled}`)
  if (report.unscorable.length > 0) lines.push(`labels naming no known field (files not scored): ${report.unscorable.join("; ")}`)
  if (report.unknownWords.length > 0) lines.push(`label words the field table lacks (ignored): ${report.unknownWords.join(", ")}`)
  lines.push("", "confusion, files (label → bundle files; ✗ = not acceptable):", ...confusionTable(report.confusion))
  lines.push("", "confusion, text records (label → bundle records):", ...confusionTable(report.textConfusion))
  const wrong = report.fileResults.filter((r) => !r.correct)
  lines.push("", `misrouted files (${wrong.length}):`)
  for (const r of wrong) {
    lines.push(`  ${r.file} [${r.label}; acceptable: ${r.acceptable.join(", ")}] → ${r.bundle} (score ${r.score.toFixed(2)}; second ${r.second ?? "-"} ${r.secondScore.toFixed(2)})`)
    lines.push(`      ${r.reason}`)
  }
  return lines.join("\n")
}

/** Every document of a dataset folder's `part-*.parquet` shards, with the columns routing needs. */
export async function readDatasetDocuments(dir: string): Promise<LabelledDocument[]> {
  const shards = listShards(dir)
  if (shards.length === 0) throw new Error(`${dir}: no part-*.parquet shards`)
  const { instance, connection } = await openDuckDB()
  const out: LabelledDocument[] = []
  try {
    const sql = `SELECT kind, format, title, text, metadata, domain, license, source_path FROM ${readParquetSql(shards)} ORDER BY source_path, source_index`
    for await (const { batch, rowCount } of readBatches(connection, sql)) {
      for (let i = 0; i < rowCount; i++) {
        out.push({
          kind: String(batch.kind![i]),
          format: String(batch.format![i]),
          title: (batch.title![i] as string | null) ?? null,
          text: (batch.text![i] as string | null) ?? "",
          metadata: (batch.metadata![i] as string | null) ?? "{}",
          domain: (batch.domain![i] as string | null) ?? null,
          license: (batch.license![i] as string | null) ?? null,
          source_path: String(batch.source_path![i])
        })
      }
    }
  } finally {
    connection.closeSync()
    instance.closeSync?.()
  }
  return out
}

/** The routings a classify stage wrote (its `part-*.parquet`), in source order, for scoreRouting. */
export async function readRoutedDocuments(classifyDir: string): Promise<RoutedDocument[]> {
  const shards = listShards(classifyDir)
  if (shards.length === 0) throw new Error(`${classifyDir}: no part-*.parquet shards`)
  const { instance, connection } = await openDuckDB()
  try {
    const sql = `SELECT source_path, bundle, route_score, route_reason, route_second, route_second_score FROM ${readParquetSql(shards)} ORDER BY source_path, source_index`
    const rows = (await connection.runAndReadAll(sql)).getRowObjectsJS()
    return rows.map((r) => ({
      source_path: String(r.source_path),
      bundle: (r.bundle as string | null) ?? null,
      score: Number(r.route_score),
      reason: String(r.route_reason),
      second: (r.route_second as string | null) ?? null,
      secondScore: Number(r.route_second_score)
    }))
  } finally {
    connection.closeSync()
    instance.closeSync?.()
  }
}
