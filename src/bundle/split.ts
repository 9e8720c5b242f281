/**
 * Pure rules of the bundle stage: which split a document falls in, the order of rows, where shards are
 * cut, what files are called, and which task writes which bundle. Kept free of I/O so they are tested
 * directly and the SQL and JS forms can be checked against each other.
 */
import { createHash } from "node:crypto"

export type SplitName = "train" | "validation"
export const SPLITS: ReadonlyArray<SplitName> = ["train", "validation"]

export const DEFAULT_VALIDATION_FRACTION = 0.01
export const DEFAULT_SHARD_BYTES = 256 * 1024 * 1024

/** Validation when the first 32 bits of the id (a sha256 of the text) fall below fraction · 2^32. */
export const validationCutoff = (fraction: number): number => Math.floor(fraction * 2 ** 32)

export const SPLIT_RULE = "validation when the id's first 8 hex digits, as an integer, are below validation_fraction * 2^32; train otherwise"

/** The split of a document: a function of its id and the fraction only, so it never changes between runs or with other documents. */
export function splitOf(id: string, fraction: number): SplitName {
  const head = /^[0-9a-f]{8}/i.test(id) ? parseInt(id.slice(0, 8), 16) : parseInt(md5Head(id), 16)
  return head < validationCutoff(fraction) ? "validation" : "train"
}

/** The same rule in SQL (ids that are not hex, from foreign shards, use their md5 instead). */
export const splitSql = (fraction: number): string =>
  `CASE WHEN (CASE WHEN regexp_matches(id, '^[0-9a-fA-F]{8}') THEN ('0x' || substr(id, 1, 8)) ELSE ('0x' || substr(md5(id), 1, 8)) END)::UBIGINT < ${validationCutoff(fraction)} THEN 'validation' ELSE 'train' END`

/** Rows within a split are ordered by md5(seed:id): a seeded shuffle that no task count or input order changes. */
export const shuffleOrderSql = (seed: number): string => `md5('${seed}:' || id), source_path, source_index, source_sha256`
/** Rows equal in all of these are copies of one document from one place in one file: their order does not show. */
export const ORDER_RULE = "md5('<seed>:' || id), then source_path, source_index, source_sha256"

/** First 8 hex digits of md5(s), as DuckDB's md5() gives them (only foreign, non-hex ids reach this). */
const md5Head = (s: string): string => createHash("md5").update(s).digest("hex").slice(0, 8)

/**
 * Where shards end: a new shard starts at a document that would take the current one past the limit
 * (a shard is never empty, and a document larger than the limit gets a shard of its own).
 */
export class ShardCutter {
  private filled = 0
  private index = -1
  private readonly limit: number
  constructor(limit: number) {
    this.limit = limit
  }

  /** The shard index of the next document, of this size (bytes or tokens, as the limit is counted). */
  place(size: number): number {
    if (this.index < 0 || (this.filled > 0 && this.filled + size > this.limit)) {
      this.index++
      this.filled = 0
    }
    this.filled += size
    return this.index
  }

  get shards(): number {
    return this.index + 1
  }
}

const pad = (n: number): string => String(n).padStart(5, "0")

/** `data/train-00000-of-00002.parquet`: the Hugging Face naming, which `data_files` globs pick up. */
export const parquetShardPath = (split: SplitName, i: number, n: number): string => `data/${split}-${pad(i)}-of-${pad(n)}.parquet`

/** `tokens/o200k_base/train-00000-of-00002`: a Megatron data prefix (add .bin / .idx). */
export const tokenShardPrefix = (tokenizer: string, split: SplitName, i: number, n: number): string => `tokens/${tokenizer}/${split}-${pad(i)}-of-${pad(n)}`

export interface BundleSize {
  readonly name: string
  readonly documents: number
  readonly tokens: number
}

/**
 * Which task writes which bundle: largest first to the task with the least work so far (ties: lowest
 * rank; equal sizes: by name). Every task computes the same answer from the same counts, and the bytes
 * of a bundle do not depend on which task wrote it.
 */
export function assignBundles(sizes: ReadonlyArray<BundleSize>, world: number): Map<string, number> {
  const load = new Array<number>(world).fill(0)
  const out = new Map<string, number>()
  const bySize = [...sizes].sort((a, b) => b.tokens + b.documents - (a.tokens + a.documents) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const s of bySize) {
    let best = 0
    for (let r = 1; r < world; r++) if (load[r]! < load[best]!) best = r
    out.set(s.name, best)
    load[best]! += s.tokens + s.documents
  }
  return out
}

/** One shard of one split of one bundle: the unit of work of the bundle stage's writing phase. */
export interface ShardUnit {
  /** The bundle's folder name (`unrouted` for the documents no bundle claimed). */
  readonly bundle: string
  readonly split: SplitName
  readonly shard: number
  /** Shards of this split of this bundle (the `-of-` in the file names). */
  readonly of: number
  readonly rows: number
  readonly tokens: number
  /** Text bytes of the shard's documents: what the unit costs to write. */
  readonly bytes: number
}

const unitOrder = (a: ShardUnit, b: ShardUnit): number =>
  (a.bundle < b.bundle ? -1 : a.bundle > b.bundle ? 1 : 0) || (a.split < b.split ? -1 : a.split > b.split ? 1 : 0) || a.shard - b.shard

/**
 * Which task writes which shard: largest first (by text bytes, then rows) to the task with the least
 * bytes so far (ties: lowest rank; equal sizes: by bundle, split, shard). A pure function of the units,
 * which every task computes alike. No task gets more than the mean plus one shard, so tasks are within
 * 1.5x of the mean as long as no shard is larger than half a task's mean share.
 */
export function assignUnits(units: ReadonlyArray<ShardUnit>, world: number): number[] {
  const load = new Array<number>(world).fill(0)
  const order = units.map((_, i) => i).sort((i, j) => units[j]!.bytes - units[i]!.bytes || units[j]!.rows - units[i]!.rows || unitOrder(units[i]!, units[j]!))
  const out = new Array<number>(units.length).fill(0)
  for (const i of order) {
    let best = 0
    for (let r = 1; r < world; r++) if (load[r]! < load[best]!) best = r
    out[i] = best
    // A unit of empty documents still costs something: it is counted as one byte.
    load[best]! += Math.max(1, units[i]!.bytes)
  }
  return out
}
