/**
 * The dedup stage's settings with their defaults filled in, and where each phase keeps its files.
 * Every phase reads the same resolved settings from the plan, so they cannot disagree.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { StagePlan } from "../core/stage.ts"
import { DEFAULT_NORMALIZATION, type ShingleNormalization } from "./minhash/normalize.ts"

export interface NearDedupOptions {
  readonly ngram: number
  readonly bands: number
  readonly rows: number
  readonly seed: number
  readonly normalization: ShingleNormalization
  /** "estimated": candidate pairs need `threshold` estimated Jaccard; "none": every LSH candidate counts. */
  readonly verify: "estimated" | "none"
  readonly threshold: number
  /** Which document of a cluster stays: the longest text, or the first by (source_path, source_index); ties by id. */
  readonly keep: "longest" | "first"
  /** Signature folders of released data; their documents are always kept. */
  readonly against: ReadonlyArray<string>
}

export const DEFAULT_NEAR: NearDedupOptions = {
  ngram: 5,
  bands: 14,
  rows: 8,
  seed: 1,
  normalization: DEFAULT_NORMALIZATION,
  verify: "estimated",
  threshold: 0.7,
  keep: "longest",
  against: []
}

interface NearSettings {
  readonly ngram?: number
  readonly bands?: number
  readonly rows?: number
  readonly seed?: number
  readonly lowercase?: boolean
  readonly strip_diacritics?: boolean
  readonly fold_digits?: boolean
  readonly remove_punctuation?: boolean
  readonly verify?: "estimated" | "none"
  readonly threshold?: number
  readonly keep?: "longest" | "first"
  readonly against?: ReadonlyArray<string>
}

/** The near-duplicate settings of a dedup plan, or null when `near: false`. */
export function nearOptionsOf(plan: Pick<StagePlan, "params">): NearDedupOptions | null {
  const near = plan.params.near as NearSettings | false | undefined
  if (near === false) return null
  const s = near ?? {}
  return {
    ngram: s.ngram ?? DEFAULT_NEAR.ngram,
    bands: s.bands ?? DEFAULT_NEAR.bands,
    rows: s.rows ?? DEFAULT_NEAR.rows,
    seed: s.seed ?? DEFAULT_NEAR.seed,
    normalization: {
      lowercase: s.lowercase ?? true,
      stripDiacritics: s.strip_diacritics ?? true,
      foldDigits: s.fold_digits ?? true,
      removePunctuation: s.remove_punctuation ?? true
    },
    verify: s.verify ?? DEFAULT_NEAR.verify,
    threshold: s.threshold ?? DEFAULT_NEAR.threshold,
    keep: s.keep ?? DEFAULT_NEAR.keep,
    against: (s.against ?? []).map((p) => path.resolve(p))
  }
}

/** Folders of a dedup stage: the exact pass, then the MinHash phases, inside the stage's own folder. */
export const phaseDirs = (stageDir: string) => ({
  exact: path.join(stageDir, "_exact"),
  signatures: path.join(stageDir, "_minhash", "signatures"),
  buckets: path.join(stageDir, "_minhash", "pairs"),
  clusters: path.join(stageDir, "_minhash", "clusters")
})

/**
 * The signature shards a folder holds: a dedup output (`_minhash/signatures/`), a bundle
 * (`signatures/`), or a folder of signature shards itself. Sorted, so reference order is stable.
 */
export function signatureShardsIn(dir: string): string[] {
  for (const candidate of [path.join(dir, "_minhash", "signatures"), path.join(dir, "signatures"), dir]) {
    if (!fs.existsSync(candidate)) continue
    const shards = fs.readdirSync(candidate).filter((f) => /^part-\d+-of-\d+\.parquet$/.test(f)).sort()
    if (shards.length > 0) return shards.map((f) => path.join(candidate, f))
  }
  return []
}

/**
 * A document's key in the MinHash phases: the exact pass's shard (rank) and row, as one integer below
 * 2^53 (a JS number and a DuckDB BIGINT). Reference documents (`against`) get ranks from 2^20 up.
 */
export const KEY_RANK = 2 ** 32
export const REFERENCE_RANK_BASE = 2 ** 20
export const docKey = (rank: number, row: number): number => rank * KEY_RANK + row
export const rankOfKey = (key: number): number => Math.floor(key / KEY_RANK)
