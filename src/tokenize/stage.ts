/**
 * The tokenize stage: each task takes the input shards `i` with `i % world == rank`, counts tokens per
 * document in batches, and writes the documents with an `n_tokens` column to one shard.
 */
import { Effect } from "effect"
import { TOKENIZED_COLUMNS } from "../core/document.ts"
import { DuckDB } from "../core/duckdb.ts"
import { DatasetError } from "../core/errors.ts"
import { ShardWriter, readParquetSql, scanBatches, type ColumnBatch } from "../core/parquet.ts"
import type { Stage } from "../core/stage.ts"
import type { TokenizerName } from "../pipeline/config.ts"
import { withTokenizer } from "./tokenizer.ts"

export const tokenizeStage: Stage = {
  name: "tokenize",
  runTask: (ctx) =>
    Effect.gen(function* () {
      const db = yield* DuckDB
      const { input, params, pipeline } = ctx.plan
      if (input.kind !== "dataset") return yield* Effect.die(new Error("tokenize plans take a dataset"))
      const mine = input.shards.filter((_, i) => i % ctx.world === ctx.rank)
      const tokenizer = ((params.tokenizer as TokenizerName | undefined) ?? pipeline.tokenizer) as TokenizerName
      const target = ctx.layout.shard(ctx.rank, ctx.world)
      yield* Effect.tryPromise({
        try: () =>
          withTokenizer(tokenizer, async (tok) => {
            // The writer gets its own connection: it spills runs while the scan below is still streaming.
            const writeConnection = await db.connect()
            const writer = await ShardWriter.open(writeConnection, TOKENIZED_COLUMNS, ctx.tmpDir)
            if (mine.length > 0) {
              const cols = TOKENIZED_COLUMNS.filter(([c]) => c !== "n_tokens").map(([c]) => `"${c}"`).join(", ")
              await scanBatches(db.connection, `SELECT ${cols} FROM ${readParquetSql(mine)}`, async (batch, n) => {
                const texts = batch.text as Array<string | null>
                const nTokens = new Array<number>(n)
                const failed: number[] = []
                let bytes = 0
                for (let i = 0; i < n; i++) {
                  const text = texts[i] ?? ""
                  bytes += Buffer.byteLength(text)
                  try {
                    nTokens[i] = tok.count(text)
                    ctx.counter.tokensOut += nTokens[i]!
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
                const kept = failed.length === 0 ? batch : withoutRows(batch, failed)
                await writer.append(kept, n - failed.length)
                ctx.counter.recordsIn += n
                ctx.counter.documentsOut += n - failed.length
                ctx.counter.bytesIn += bytes
                ctx.counter.bytesOut += bytes
                ctx.progress(n, bytes)
              })
            }
            await writer.finish(target)
            writeConnection.closeSync()
          }),
        catch: (cause) => new DatasetError({ path: target, operation: "tokenize", cause })
      })
    })
}

/** A batch without the given rows (ascending indexes). */
function withoutRows(batch: ColumnBatch, drop: ReadonlyArray<number>): ColumnBatch {
  const skip = new Set(drop)
  const out: ColumnBatch = {}
  for (const [col, values] of Object.entries(batch)) out[col] = values.filter((_, i) => !skip.has(i))
  return out
}
