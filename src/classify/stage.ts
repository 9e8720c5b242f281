/**
 * The classify stage: each task takes its slice of the input rows (see core/slices.ts), routes every
 * document to a bundle with the compiled definitions from the plan, and writes the documents with
 * `bundle` set and the routing explained (score, reason, runner-up) to one shard. Unrouted documents
 * stay in the dataset with `bundle` null: the bundle stage gathers them into the `unrouted` set.
 * Like tokenize, a stream of DuckDB's column batches with a plain loop inside each batch.
 */
import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect, Stream } from "effect"
import { CLASSIFIED_COLUMNS, DOCUMENT_COLUMNS, TOKEN_LOCATOR_COLUMNS, TOKENIZE_OUTPUT_COLUMNS } from "../core/document.ts"
import { DuckDB } from "../core/duckdb.ts"
import { DatasetError } from "../core/errors.ts"
import { ShardWriter, readBatches, readParquetSql, type ColumnBatch } from "../core/parquet.ts"
import { slicesSql, taskSlices } from "../core/slices.ts"
import type { Stage, TaskContext } from "../core/stage.ts"
import type { BundleDefinition } from "./definitions.ts"
import { compileClassifier, type Classifier } from "./route.ts"

/** The columns a tokenize stage adds, carried through when present. */
const TOKEN_COLUMNS = new Set(["n_tokens", ...TOKEN_LOCATOR_COLUMNS.map(([c]) => c)])

export const classifyStage: Stage = {
  name: "classify",
  runTask: (ctx) =>
    Effect.gen(function* () {
      const db = yield* DuckDB
      const { input, params } = ctx.plan
      if (input.kind !== "dataset") return yield* Effect.die(new Error("classify plans take a dataset"))
      const mine = taskSlices(input, ctx.rank, ctx.world)
      const target = ctx.layout.shard(ctx.rank, ctx.world)
      const fail = (operation: string) => (cause: unknown) => new DatasetError({ path: target, operation, cause })
      const classifier = compileClassifier(params.definitions as ReadonlyArray<BundleDefinition>, {
        ...(typeof params.min_score === "number" ? { minScore: params.min_score } : {})
      })
      // Routing needs the documents only. Token counts and their locator pass through when the input has
      // them (a tokenize stage's output); a dataset without token counts is classified as it is, and
      // the output has no token columns either (a bundle then asks for a tokenize stage).
      // Asked of all the input shards, so that every task's shard has the same columns.
      const present = new Set((yield* db.rows(`DESCRIBE SELECT * FROM ${readParquetSql(input.shards)}`)).map((r) => String(r.column_name)))
      const counted = present.has("n_tokens")
      const outputColumns = CLASSIFIED_COLUMNS.filter(([c]) => counted || !TOKEN_COLUMNS.has(c))
      const writeConnection = yield* Effect.acquireRelease(
        Effect.tryPromise({ try: () => db.connect(), catch: fail("connect") }),
        (c: DuckDBConnection) => Effect.sync(() => c.closeSync())
      )
      const writer = yield* Effect.tryPromise({ try: () => ShardWriter.open(writeConnection, outputColumns, ctx.tmpDir), catch: fail("open shard writer") })
      if (mine.length > 0) {
        const inputColumns = TOKENIZE_OUTPUT_COLUMNS.filter(([c]) => counted || !TOKEN_COLUMNS.has(c))
        const cols = inputColumns.map(([c]) => (DOCUMENT_COLUMNS.some(([d]) => d === c) || present.has(c) ? `"${c}"` : `NULL AS "${c}"`)).join(", ")
        yield* Stream.fromAsyncIterable(readBatches(db.connection, slicesSql(input.shards, mine, cols)), fail("read input shards")).pipe(
          Stream.map(({ batch, rowCount }) => routeBatch(batch, rowCount, classifier, ctx)),
          Stream.runForEach(({ batch, rowCount }) => Effect.tryPromise({ try: () => writer.append(batch, rowCount), catch: fail("append to shard") }))
        )
      }
      yield* Effect.tryPromise({ try: () => writer.finish(target), catch: fail("write classified shard") })
    }).pipe(Effect.scoped)
}

/** Add the routing columns to a batch; counts routed and unrouted documents per bundle in the stats. */
export function routeBatch(batch: ColumnBatch, n: number, classifier: Classifier, ctx: Pick<TaskContext, "counter" | "progress">): { batch: ColumnBatch; rowCount: number } {
  const bundle = new Array<string | null>(n)
  const score = new Array<number>(n)
  const reason = new Array<string>(n)
  const second = new Array<string | null>(n)
  const secondScore = new Array<number>(n)
  let bytes = 0
  for (let i = 0; i < n; i++) {
    const text = (batch.text![i] as string | null) ?? ""
    bytes += Buffer.byteLength(text, "utf8") // UTF-8 bytes, as every stage counts them (not UTF-16 units)
    const r = classifier.route({
      kind: String(batch.kind![i]),
      format: String(batch.format![i]),
      title: batch.title![i] as string | null,
      text,
      metadata: (batch.metadata![i] as string | null) ?? "{}",
      domain: batch.domain![i] as string | null,
      license: batch.license![i] as string | null
    })
    bundle[i] = r.bundle
    score[i] = r.score
    reason[i] = r.reason
    second[i] = r.second
    secondScore[i] = r.secondScore
    ctx.counter.note(r.bundle === null ? "unrouted" : `routed:${r.bundle}`)
  }
  batch.bundle = bundle
  batch.route_score = score
  batch.route_reason = reason
  batch.route_second = second
  batch.route_second_score = secondScore
  ctx.counter.recordsIn += n
  ctx.counter.documentsOut += n
  ctx.counter.bytesIn += bytes
  ctx.counter.bytesOut += bytes
  let tokens = 0
  for (const t of batch.n_tokens ?? []) tokens += Number(t ?? 0)
  ctx.counter.tokensOut += tokens
  ctx.progress(n, bytes)
  return { batch, rowCount: n }
}
