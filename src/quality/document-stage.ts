/**
 * The I/O shared by the quality stages (filter, language, pii, decontaminate): each task takes its slice
 * of the input rows (see core/slices.ts), asks the stage's judge about every document, and writes
 *  - the kept documents, with every input column, their metadata extended with the judge's facts (and
 *    their text and id changed when the judge changed the text), to the task's shard;
 *  - the documents left out, whole, with reason, detail and scores, to `_filtered/part-<rank>.parquet`,
 *    and one ledger line each (reason, detail, scores) to `_filtered/part-<rank>.jsonl`, counted as
 *    `filtered:<reason>` so the bundle manifests count them per reason.
 * Like tokenize and classify: a stream of DuckDB's column batches with a plain loop inside each batch.
 */
import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect, Stream } from "effect"
import { DOCUMENT_COLUMNS, type DocumentKind } from "../core/document.ts"
import { DuckDB } from "../core/duckdb.ts"
import { DatasetError } from "../core/errors.ts"
import { ShardWriter, readBatches, readParquetSql, type ColumnBatch, type ColumnSpec, type ColumnType } from "../core/parquet.ts"
import { slicesSql, taskSlices } from "../core/slices.ts"
import type { Stage, StagePlan, TaskContext } from "../core/stage.ts"
import { documentId } from "../core/text.ts"
import type { RoutableDocument } from "../classify/route.ts"
import type { Judge, QualityDocument, Verdict } from "./document.ts"

/** What a removed document's row carries besides its columns. */
export const FILTERED_EXTRA_COLUMNS: ColumnSpec = [
  ["filter_stage", "VARCHAR"],
  ["filter_reason", "VARCHAR"],
  ["filter_detail", "VARCHAR"],
  ["filter_scores", "VARCHAR"]
]

export interface DocumentStageSpec {
  readonly name: string
  /** The judge for this plan's params; built once per task (an evaluation index, compiled rules). */
  readonly judge: (plan: StagePlan) => Judge | Promise<Judge>
  /** Events on kept documents to count as `noted:<code>` (pii: `pii:EMAIL` per replacement). */
  readonly notes?: (verdict: Verdict) => Readonly<Record<string, number>> | null
  /**
   * Where a document without a `bundle` would be routed, when some bundle definition overrides the
   * stage's settings (see bundles.ts); null when none does.
   */
  readonly router?: (plan: StagePlan) => Promise<Router | null>
}

type Router = (doc: RoutableDocument) => string | null

export function documentStage(spec: DocumentStageSpec): Stage {
  return {
    name: spec.name,
    runTask: (ctx) =>
      Effect.gen(function* () {
        const db = yield* DuckDB
        const { input } = ctx.plan
        if (input.kind !== "dataset") return yield* Effect.die(new Error(`${spec.name} plans take a dataset`))
        const mine = taskSlices(input, ctx.rank, ctx.world)
        const target = ctx.layout.shard(ctx.rank, ctx.world)
        const fail = (operation: string) => (cause: unknown) => new DatasetError({ path: target, operation, cause })
        const judge = yield* Effect.tryPromise({ try: async () => spec.judge(ctx.plan), catch: fail(`prepare the ${spec.name} judge`) })
        const router = spec.router ? yield* Effect.tryPromise({ try: () => spec.router!(ctx.plan), catch: fail("compile the bundle definitions") }) : null
        // Every input column goes on, in its order: asked of all the input shards so that every task's
        // shard has the same columns (a stage may run after tokenize or classify as well as before).
        const described = yield* db.rows(`DESCRIBE SELECT * FROM ${readParquetSql(input.shards)}`)
        const columns: ColumnSpec = described.map((r) => [String(r.column_name), columnType(String(r.column_type))] as const)
        const missing = DOCUMENT_COLUMNS.filter(([c]) => !columns.some(([d]) => d === c))
        if (missing.length > 0) return yield* Effect.fail(fail("read input shards")(new Error(`the input lacks the document columns ${missing.map(([c]) => c).join(", ")}`)))
        const connect = Effect.acquireRelease(
          Effect.tryPromise({ try: () => db.connect(), catch: fail("connect") }),
          (c: DuckDBConnection) => Effect.sync(() => c.closeSync())
        )
        // The writers get their own connections: they spill runs while the scan is still streaming.
        const keptConnection = yield* connect
        const kept = yield* Effect.tryPromise({ try: () => ShardWriter.open(keptConnection, columns, ctx.tmpDir), catch: fail("open shard writer") })
        const removedConnection = yield* connect
        const removed = yield* Effect.tryPromise({
          try: () => ShardWriter.open(removedConnection, [...columns, ...FILTERED_EXTRA_COLUMNS], `${ctx.tmpDir}/filtered`),
          catch: fail("open filtered writer")
        })
        let removedRows = 0
        if (mine.length > 0) {
          const cols = columns.map(([c]) => `"${c}"`).join(", ")
          yield* Stream.fromAsyncIterable(readBatches(db.connection, slicesSql(input.shards, mine, cols)), fail("read input shards")).pipe(
            Stream.map(({ batch, rowCount }) => judgeBatch(batch, rowCount, columns, judge, spec, ctx, router)),
            Stream.runForEach((out) =>
              Effect.tryPromise({
                try: async () => {
                  if (out.kept.rowCount > 0) await kept.append(out.kept.batch, out.kept.rowCount)
                  if (out.removed.rowCount > 0) await removed.append(out.removed.batch, out.removed.rowCount)
                  removedRows += out.removed.rowCount
                },
                catch: fail("append to shard")
              })
            )
          )
        }
        // The removed documents first: a shard is never in place without the record of what it left out.
        // A task that removed nothing leaves no file (as its empty ledger leaves none).
        const removedTarget = ctx.layout.filteredDocuments(ctx.rank)
        yield* Effect.tryPromise({
          try: () => (removedRows > 0 ? removed.finish(removedTarget) : removed.finish(`${ctx.tmpDir}/filtered/none.parquet`)),
          catch: fail("write filtered documents")
        })
        yield* Effect.tryPromise({ try: () => kept.finish(target), catch: fail(`write ${spec.name} shard`) })
      }).pipe(Effect.scoped)
  }
}

/** DuckDB's type names onto the three the shard writer knows; other types are carried as text. */
function columnType(duckdbType: string): ColumnType {
  if (/^(BIGINT|INTEGER|SMALLINT|TINYINT|UBIGINT|UINTEGER|USMALLINT|UTINYINT|HUGEINT)$/.test(duckdbType)) return "BIGINT"
  if (/^(DOUBLE|FLOAT|REAL|DECIMAL.*)$/.test(duckdbType)) return "DOUBLE"
  return "VARCHAR"
}

interface JudgedBatch {
  readonly kept: { batch: ColumnBatch; rowCount: number }
  readonly removed: { batch: ColumnBatch; rowCount: number }
}

/** Judge every document of a batch; split it into kept rows (facts added) and removed rows (reasons added). */
export function judgeBatch(
  batch: ColumnBatch,
  n: number,
  columns: ColumnSpec,
  judge: Judge,
  spec: Pick<DocumentStageSpec, "name" | "notes">,
  ctx: Pick<TaskContext, "counter" | "progress" | "filter">,
  router: Router | null = null
): JudgedBatch {
  const keptRows: number[] = []
  const removedRows: number[] = []
  const reasons: string[] = []
  const details: string[] = []
  const scores: string[] = []
  const texts = batch.text as Array<string | null>
  const metadata = batch.metadata as Array<string | null>
  const ids = batch.id as Array<string | null>
  let bytesIn = 0
  let bytesOut = 0
  for (let i = 0; i < n; i++) {
    const text = texts[i] ?? ""
    const size = Buffer.byteLength(text, "utf8")
    bytesIn += size
    const base = {
      id: String(ids[i]),
      text,
      kind: String(batch.kind![i]) as DocumentKind,
      format: String(batch.format![i]),
      source_path: String(batch.source_path![i]),
      source_index: Number(batch.source_index![i]),
      title: (batch.title![i] as string | null) ?? null,
      metadata: metadata[i] ?? "{}"
    }
    const bundle = (batch.bundle?.[i] as string | null | undefined) ?? null
    const doc: QualityDocument = {
      ...base,
      bundle:
        bundle !== null || router === null
          ? bundle
          : router({ ...base, domain: (batch.domain?.[i] as string | null | undefined) ?? null, license: (batch.license?.[i] as string | null | undefined) ?? null })
    }
    const verdict = judge(doc)
    if (verdict.facts !== undefined) metadata[i] = withFacts(doc.metadata, verdict.facts)
    if (verdict.keep) {
      keptRows.push(i)
      if (verdict.text !== undefined && verdict.text !== text) {
        // A changed text is another document: its id is the hash of the new text, as ingest makes it.
        texts[i] = verdict.text
        ids[i] = documentId(verdict.text)
        bytesOut += Buffer.byteLength(verdict.text, "utf8")
      } else bytesOut += size
      const notes = spec.notes?.(verdict)
      if (notes) for (const [code, count] of Object.entries(notes)) if (count > 0) ctx.counter.note(code, count)
    } else {
      removedRows.push(i)
      reasons.push(verdict.reason)
      details.push(verdict.detail)
      scores.push(JSON.stringify(verdict.scores))
      ctx.filter({
        source_path: doc.source_path,
        reason: verdict.reason,
        detail: verdict.detail,
        location: `index ${doc.source_index}`,
        id: doc.id,
        scores: verdict.scores
      })
    }
  }
  ctx.counter.recordsIn += n
  ctx.counter.documentsOut += keptRows.length
  ctx.counter.bytesIn += bytesIn
  ctx.counter.bytesOut += bytesOut
  for (const t of keptRows.length === n ? (batch.n_tokens ?? []) : keptRows.map((i) => batch.n_tokens?.[i] ?? 0)) ctx.counter.tokensOut += Number(t ?? 0)
  ctx.progress(n, bytesIn)
  const keptBatch = keptRows.length === n ? batch : pickRows(batch, columns, keptRows)
  const removedBatch = pickRows(batch, columns, removedRows)
  removedBatch.filter_stage = new Array<string>(removedRows.length).fill(spec.name)
  removedBatch.filter_reason = reasons
  removedBatch.filter_detail = details
  removedBatch.filter_scores = scores
  return { kept: { batch: keptBatch, rowCount: keptRows.length }, removed: { batch: removedBatch, rowCount: removedRows.length } }
}

function pickRows(batch: ColumnBatch, columns: ColumnSpec, rows: ReadonlyArray<number>): ColumnBatch {
  const out: ColumnBatch = {}
  for (const [c] of columns) {
    const values = batch[c]!
    out[c] = rows.map((i) => values[i]!)
  }
  return out
}

/**
 * The metadata JSON object with the judge's facts added under their keys (a key already there is
 * replaced: a stage run twice says what its last run found). Keys keep their order, so equal inputs
 * give equal bytes.
 */
export function withFacts(metadata: string, facts: Readonly<Record<string, unknown>>): string {
  let parsed: Record<string, unknown>
  try {
    const value: unknown = JSON.parse(metadata)
    parsed = value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : { metadata: value }
  } catch {
    parsed = { metadata_unparsed: metadata }
  }
  return JSON.stringify({ ...parsed, ...facts })
}
