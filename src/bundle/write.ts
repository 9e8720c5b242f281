/**
 * Writing one split of one bundle: a single ordered scan of the bundle's documents (DuckDB sorts them by
 * the seeded shuffle, spilling to disk past its memory limit), cut into shards as it streams. Shard `k`
 * of a split is a Parquet file and, when token shards are on, a Megatron indexed dataset holding the
 * same documents in the same order, so a trainer can go from a token sequence back to its document.
 * Memory is one batch of rows plus the writers' buffers, whatever the bundle's size.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { DuckDBConnection } from "@duckdb/node-api"
import { TOKENIZED_COLUMNS } from "../core/document.ts"
import { sqlString } from "../core/duckdb.ts"
import { sha256File } from "../core/files.ts"
import { ShardWriter, readBatches, type ColumnBatch } from "../core/parquet.ts"
import { IndexedDatasetWriter, type TokenDType } from "../tokenize/megatron.ts"
import type { TokenFileReader } from "../tokenize/token-file.ts"
import type { Tokenizer } from "../tokenize/tokenizer.ts"
import type { ShardEntry, TokenShardEntry } from "./manifest.ts"
import { ShardCutter, parquetShardPath, shuffleOrderSql, splitSql, tokenShardPrefix, type SplitName } from "./split.ts"

export interface SplitSpec {
  /** `read_parquet([...])` over the classified dataset. */
  readonly inputSql: string
  /** The bundle's name, or null for the unrouted set (documents whose `bundle` is null). */
  readonly bundle: string | null
  readonly split: SplitName
  readonly validationFraction: number
  readonly seed: number
  readonly limit: { readonly unit: "bytes" | "tokens"; readonly value: number }
  /** Where the bundle is being built (renamed into place by the caller once complete). */
  readonly buildDir: string
  readonly scratchDir: string
  /**
   * Token shards: the tokenizer and the dtype of ids, and the tokenize stage folder whose token files
   * the rows point to (null, or a row without a locator: the text is tokenized again); null to write
   * Parquet only.
   */
  readonly tokens: { readonly tokenizer: Tokenizer; readonly dtype: TokenDType; readonly source: TokenFileReader | null } | null
  readonly onProgress: (rows: number, bytes: number) => void
}

export interface SplitResult {
  readonly shards: ShardEntry[]
  readonly tokenShards: TokenShardEntry[]
  readonly documents: number
  readonly tokens: number
  readonly textBytes: number
}

/** SQL condition selecting one bundle's documents. */
export const bundleFilterSql = (bundle: string | null): string => (bundle === null ? "bundle IS NULL" : `bundle = ${sqlString(bundle)}`)

interface OpenShard {
  readonly index: number
  readonly parquet: ShardWriter
  readonly parquetTemp: string
  readonly tokens: IndexedDatasetWriter | null
  rows: number
  tokenCount: number
}

/**
 * Stream one split of one bundle into shards. `read` is the connection that scans; `write` is a second
 * connection the Parquet writers use (a statement on the scanning connection would end its stream).
 */
export async function writeSplit(read: DuckDBConnection, write: DuckDBConnection, spec: SplitSpec): Promise<SplitResult> {
  const cols = TOKENIZED_COLUMNS.map(([c]) => `"${c}"`).join(", ")
  const query =
    `SELECT ${cols}, strlen(text) AS text_bytes, token_file, token_offset FROM ${spec.inputSql} ` +
    `WHERE ${bundleFilterSql(spec.bundle)} AND ${splitSql(spec.validationFraction)} = '${spec.split}' ` +
    `ORDER BY ${shuffleOrderSql(spec.seed)}`
  const cutter = new ShardCutter(spec.limit.value)
  const done: OpenShard[] = []
  let current: OpenShard | null = null
  let documents = 0
  let tokens = 0
  let textBytes = 0
  const open = async (index: number): Promise<OpenShard> => {
    const parquetTemp = path.join(spec.buildDir, `data/${spec.split}-${String(index).padStart(5, "0")}.parquet.partial`)
    const prefix = path.join(spec.buildDir, `tokens/${spec.tokens?.tokenizer.name ?? "none"}/${spec.split}-${String(index).padStart(5, "0")}.partial`)
    if (spec.tokens) fs.mkdirSync(path.dirname(prefix), { recursive: true })
    return {
      index,
      parquet: await ShardWriter.open(write, TOKENIZED_COLUMNS, path.join(spec.scratchDir, `shard-${spec.split}-${index}`)),
      parquetTemp,
      tokens: spec.tokens ? new IndexedDatasetWriter(prefix, spec.tokens.dtype, spec.tokens.tokenizer.eos) : null,
      rows: 0,
      tokenCount: 0
    }
  }
  const close = async (shard: OpenShard) => {
    await shard.parquet.finish(shard.parquetTemp)
    shard.tokens?.finish()
    done.push(shard)
  }
  try {
    for await (const { batch, rowCount } of readBatches(read, query)) {
      // Rows [start, i) go to the current shard; a cut closes it and opens the next.
      let start = 0
      let batchBytes = 0
      for (let i = 0; i < rowCount; i++) {
        const bytes = Number(batch.text_bytes![i])
        const nTokens = Number(batch.n_tokens![i])
        const index = cutter.place(spec.limit.unit === "bytes" ? bytes : nTokens)
        if (current === null || index !== current.index) {
          if (current !== null) {
            await current.parquet.append(sliceBatch(batch, start, i), i - start)
            await close(current)
          }
          current = await open(index)
          start = i
        }
        if (current.tokens) {
          const { tokenizer, source } = spec.tokens!
          const file = batch.token_file![i] as string | null
          const ids =
            source !== null && file !== null
              ? source.read(file, Number(batch.token_offset![i]), nTokens)
              : tokenizer.ids((batch.text![i] as string | null) ?? "")
          // The Parquet rows say n_tokens; the token shard must hold exactly that many (plus EOS).
          if (ids.length !== nTokens) {
            throw new Error(`document ${String(batch.id![i])}: the tokenizer gives ${ids.length} tokens but n_tokens says ${nTokens} (was the dataset tokenized with ${spec.tokens!.tokenizer.name}?)`)
          }
          current.tokens.add(ids)
        }
        current.rows++
        current.tokenCount += nTokens
        documents++
        tokens += nTokens
        textBytes += bytes
        batchBytes += bytes
      }
      if (current !== null && start < rowCount) await current.parquet.append(start === 0 ? batch : sliceBatch(batch, start, rowCount), rowCount - start)
      spec.onProgress(rowCount, batchBytes)
    }
    if (current !== null) await close(current)
  } catch (e) {
    ;(current as OpenShard | null)?.tokens?.abort()
    throw e
  }
  // Now the count is known: give every shard its final `-of-N` name.
  const n = done.length
  const shards: ShardEntry[] = []
  const tokenShards: TokenShardEntry[] = []
  for (const shard of done) {
    const rel = parquetShardPath(spec.split, shard.index, n)
    const file = path.join(spec.buildDir, rel)
    fs.renameSync(shard.parquetTemp, file)
    shards.push({ path: rel, split: spec.split, sha256: sha256File(file), bytes: fs.statSync(file).size, rows: shard.rows, tokens: shard.tokenCount })
    if (shard.tokens) {
      const prefix = tokenShardPrefix(shard.tokens === null ? "" : spec.tokens!.tokenizer.name, spec.split, shard.index, n)
      const entry = (ext: "bin" | "idx") => {
        const target = path.join(spec.buildDir, `${prefix}.${ext}`)
        fs.renameSync(`${shard.tokens!.prefix}.${ext}`, target)
        return { path: `${prefix}.${ext}`, sha256: sha256File(target), bytes: fs.statSync(target).size }
      }
      tokenShards.push({ prefix, split: spec.split, bin: entry("bin"), idx: entry("idx"), documents: shard.rows, tokens: shard.tokenCount + shard.rows, dtype: spec.tokens!.dtype })
    }
  }
  return { shards, tokenShards, documents, tokens, textBytes }
}

/** Rows [start, end) of a columnar batch. */
function sliceBatch(batch: ColumnBatch, start: number, end: number): ColumnBatch {
  const out: ColumnBatch = {}
  for (const [col, values] of Object.entries(batch)) out[col] = values.slice(start, end)
  return out
}
