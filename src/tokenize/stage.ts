/**
 * The tokenize stage: each task takes its slice of the input rows (see core/slices.ts), tokenizes every
 * document, and writes the documents with an `n_tokens` column to one shard, and their token ids to a
 * token file beside it (see token-file.ts), so the bundle stage never tokenizes again. A stream of
 * DuckDB's column batches; the per-document loop inside a batch is plain code.
 */
import type { DuckDBConnection } from "@duckdb/node-api"
import { Effect, Stream } from "effect"
import { TOKENIZE_OUTPUT_COLUMNS, TOKENIZED_COLUMNS } from "../core/document.ts"
import { DuckDB } from "../core/duckdb.ts"
import { DatasetError } from "../core/errors.ts"
import { ShardWriter, readBatches, type ColumnBatch } from "../core/parquet.ts"
import { slicesSql, taskSlices } from "../core/slices.ts"
import { tokenizerOf, type Stage, type TaskContext } from "../core/stage.ts"
import type { TokenizerName } from "../core/settings.ts"
import { TokenFileWriter, tokenFileOf, tokenLocator } from "./token-file.ts"
import { openTokenizer, type Tokenizer } from "./tokenizer.ts"

export const tokenizeStage: Stage = {
  name: "tokenize",
  runTask: (ctx) =>
    Effect.gen(function* () {
      const db = yield* DuckDB
      const { input } = ctx.plan
      if (input.kind !== "dataset") return yield* Effect.die(new Error("tokenize plans take a dataset"))
      const mine = taskSlices(input, ctx.rank, ctx.world)
      const target = ctx.layout.shard(ctx.rank, ctx.world)
      const fail = (operation: string) => (cause: unknown) => new DatasetError({ path: target, operation, cause })
      const tokenizer = yield* Effect.acquireRelease(
        Effect.sync(() => openTokenizer(tokenizerOf(ctx.plan) as TokenizerName)),
        (t) => Effect.sync(() => t.free())
      )
      // The writer gets its own connection: it spills runs while the scan below is still streaming.
      const writeConnection = yield* Effect.acquireRelease(
        Effect.tryPromise({ try: () => db.connect(), catch: fail("connect") }),
        (c: DuckDBConnection) => Effect.sync(() => c.closeSync())
      )
      const writer = yield* Effect.tryPromise({ try: () => ShardWriter.open(writeConnection, TOKENIZE_OUTPUT_COLUMNS, ctx.tmpDir), catch: fail("open shard writer") })
      const tokenFile = yield* Effect.acquireRelease(
        Effect.sync(() => new TokenFileWriter(tokenFileOf(target))),
        // Released after finish() has renamed it: abort then only closes nothing and removes no temp.
        (t, exit) => Effect.sync(() => (exit._tag === "Failure" ? t.abort() : undefined))
      )
      if (mine.length > 0) {
        const cols = TOKENIZED_COLUMNS.filter(([c]) => c !== "n_tokens").map(([c]) => `"${c}"`).join(", ")
        yield* Stream.fromAsyncIterable(readBatches(db.connection, slicesSql(input.shards, mine, cols)), fail("read input shards")).pipe(
          Stream.map(({ batch, rowCount }) => tokenizeBatch(batch, rowCount, tokenizer, tokenFile, ctx)),
          Stream.runForEach(({ batch, rowCount }) => Effect.tryPromise({ try: () => writer.append(batch, rowCount), catch: fail("append to shard") }))
        )
      }
      // The token file first: a shard is never in place without the ids its rows point to.
      yield* Effect.try({ try: () => tokenFile.finish(), catch: fail("write token file") })
      yield* Effect.tryPromise({ try: () => writer.finish(target), catch: fail("write tokenized shard") })
    }).pipe(Effect.scoped)
}

/**
 * Add `n_tokens` and the token locator to a batch, appending the ids to the task's token file. A
 * document the tokenizer fails on is rejected (`tokenizer-error`) and left out of the batch rather than
 * failing the task.
 */
function tokenizeBatch(batch: ColumnBatch, n: number, tok: Tokenizer, tokenFile: TokenFileWriter, ctx: TaskContext): { batch: ColumnBatch; rowCount: number } {
  const texts = batch.text as Array<string | null>
  const nTokens = new Array<number>(n)
  const offsets = new Array<number>(n)
  const locator = tokenLocator(ctx.plan.hash, tokenFile.target)
  const failed: number[] = []
  let bytes = 0
  for (let i = 0; i < n; i++) {
    const text = texts[i] ?? ""
    bytes += Buffer.byteLength(text)
    try {
      const ids = tok.ids(text)
      nTokens[i] = ids.length
      offsets[i] = tokenFile.add(ids)
      ctx.counter.tokensOut += ids.length
    } catch (e) {
      failed.push(i)
      ctx.reject({
        source_path: String(batch.source_path![i]),
        reason: "tokenizer-error",
        detail: `document ${String(batch.id![i])}: ${(e as Error).message}`,
        location: `index ${String(batch.source_index![i])}`
      })
    }
  }
  batch.n_tokens = nTokens
  batch.token_offset = offsets
  batch.token_file = new Array<string>(n).fill(locator)
  ctx.counter.recordsIn += n
  ctx.counter.documentsOut += n - failed.length
  ctx.counter.bytesIn += bytes
  ctx.counter.bytesOut += bytes
  ctx.progress(n, bytes)
  return failed.length === 0 ? { batch, rowCount: n } : { batch: withoutRows(batch, failed), rowCount: n - failed.length }
}

/** A batch without the given rows. */
function withoutRows(batch: ColumnBatch, drop: ReadonlyArray<number>): ColumnBatch {
  const skip = new Set(drop)
  const out: ColumnBatch = {}
  for (const [col, values] of Object.entries(batch)) out[col] = values.filter((_, i) => !skip.has(i))
  return out
}
