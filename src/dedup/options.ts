/**
 * The dedup stage's settings with their defaults filled in, and where each phase keeps its files.
 * Every phase reads the same resolved settings from the plan, so they cannot disagree.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { DatasetError } from "../core/errors.ts"
import type { StagePlan, TaskContext } from "../core/stage.ts"
import { expandEnv } from "../core/settings.ts"
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
  /** Kinds compared; documents of other kinds pass through near dedup untouched. */
  readonly kinds: ReadonlyArray<string>
  /** Signature shards of released data, resolved when planning; their documents are always kept. */
  readonly references: ReadonlyArray<Reference>
}

/**
 * One signature shard of released data (an earlier dedup run's `_minhash/signatures/part-*.parquet`),
 * with that run's near-duplicate removals (`removed`): those documents were never released, so they
 * must not stand for anything now. Size and time make a changed release redo the stage.
 */
export interface Reference {
  readonly shard: string
  readonly removed: string | null
  readonly size: number
  readonly mtimeMs: number
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
  kinds: ["paper", "text", "code"],
  references: []
}

export interface NearSettings {
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
  readonly kinds?: ReadonlyArray<string>
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
    kinds: s.kinds ?? DEFAULT_NEAR.kinds,
    references: (plan.params.references as ReadonlyArray<Reference> | undefined) ?? []
  }
}

/** The settings two signature sets must share to be compared. */
const signatureSettings = (o: NearDedupOptions) => JSON.stringify([o.ngram, o.bands, o.rows, o.seed, o.normalization])

/**
 * Resolve `near.against` when planning: folders relative to `base` (the pipeline file's folder),
 * each a finished dedup output whose signatures were made with the same settings, none inside this
 * stage's folder or the work folder (a run must not compare itself with itself). A problem is a
 * message for a config error; else the reference shards in a stable order.
 */
export function resolveReferences(near: NearSettings | false | undefined, base: string, forbidden: ReadonlyArray<string>): ReadonlyArray<Reference> | string {
  if (near === false || near === undefined || (near.against ?? []).length === 0) return []
  const mine = nearOptionsOf({ params: { near } })!
  const dirs = [...new Set(near.against!.map((p) => path.resolve(base, expandEnv(p))))]
  const out: Reference[] = []
  for (const dir of dirs) {
    for (const f of forbidden) {
      if (isInside(dir, f) || isInside(f, dir)) return `near.against: ${dir} overlaps ${f}; compare with a finished earlier run, not this one`
    }
    const shards = signatureShardsIn(dir)
    if (shards.length === 0) return `near.against: ${dir} holds no signature shards (expected an earlier dedup output with _minhash/signatures/)`
    const planFile = path.join(path.dirname(shards[0]!), "_plan.json")
    if (!fs.existsSync(planFile)) return `near.against: ${dir}: the signatures have no _plan.json, so their settings cannot be checked`
    const theirs = nearOptionsOf(JSON.parse(fs.readFileSync(planFile, "utf8")) as Pick<StagePlan, "params">)
    if (theirs === null || signatureSettings(theirs) !== signatureSettings(mine)) {
      return `near.against: ${dir}: its signatures were made with other settings (ngram, bands, rows, seed or normalisation); they cannot be compared`
    }
    const clusters = path.join(dir, "_minhash", "clusters", "part-00000-of-00001.parquet")
    for (const shard of shards) {
      const st = fs.statSync(shard)
      out.push({ shard, removed: fs.existsSync(clusters) ? clusters : null, size: st.size, mtimeMs: st.mtimeMs })
    }
  }
  return out
}

const isInside = (child: string, parent: string): boolean => {
  const rel = path.relative(parent, child)
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))
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
 * A document's key in the dedup phases: its input shard's index and its row in that shard, as one
 * integer below 2^53 (a JS number and a DuckDB BIGINT), i·2^32 + row. Reference documents (`against`)
 * get shard numbers from 2^20 up.
 */
export const KEY_RANK = 2 ** 32
export const REFERENCE_RANK_BASE = 2 ** 20

/**
 * What every MinHash phase starts from: its dataset input, the resolved settings, its output shard, and
 * the error for an operation on that shard. A plan without them is a planning bug, not bad input.
 */
export const nearPhase = (ctx: TaskContext) =>
  Effect.gen(function* () {
    const { input } = ctx.plan
    if (input.kind !== "dataset") return yield* Effect.die(new Error(`${ctx.plan.stage} plans take a dataset`))
    const options = nearOptionsOf(ctx.plan)
    if (options === null) return yield* Effect.die(new Error(`${ctx.plan.stage} planned with near: false`))
    const target = ctx.layout.shard(ctx.rank, ctx.world)
    const fail = (operation: string) => (cause: unknown) => new DatasetError({ path: target, operation, cause })
    return { shards: input.shards, options, target, fail }
  })
