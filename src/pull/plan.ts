/**
 * What a pull fetches, decided from the release index alone (no I/O): the selected bundles and splits,
 * every file with its expected sha256 and size, and what is refused and why. Also the Megatron blend of
 * the pulled token shards, from the index's mixing table.
 *
 * A bundle is fetched only when its approval is a decision to approve its current content
 * (`approval.content_sha256` = the bundle's `content_sha256`); bundles the release left out are never
 * fetched, even when asked for by name. Every path the index names must stay inside the destination:
 * an index that points elsewhere is refused whole.
 */
import * as path from "node:path"
import { staysInside } from "../release/create.ts"
import type { MixEntry, ReleaseBundle, ReleaseFile, ReleaseIndex } from "../release/schema.ts"

export type Split = "train" | "validation"

export interface PullSelection {
  /** Bundle names asked for (--bundles); null = every bundle of the release. */
  readonly bundles: ReadonlyArray<string> | null
  /** The one split to fetch (--split); null = both. Manifests and cards are fetched either way. */
  readonly split: Split | null
}

export interface PullPlan {
  readonly bundles: ReadonlyArray<ReleaseBundle>
  readonly files: ReadonlyArray<ReleaseFile>
  readonly bytes: number
  /** What was asked for or listed but will not be fetched, one sentence each. */
  readonly refused: ReadonlyArray<string>
}

/**
 * The files to fetch for a selection, or an error message (an index pointing outside the destination,
 * or a bundle name the release does not know).
 */
export function planPull(index: ReleaseIndex, selection: PullSelection): PullPlan | { readonly error: string } {
  for (const b of index.bundles) {
    for (const f of b.files) {
      if (!staysInside(f.path) || f.path.includes("\0") || !f.path.startsWith(`${b.path}/`))
        return { error: `release.json: file ${JSON.stringify(f.path)} of bundle ${b.name} is outside its bundle's folder: refusing the whole index` }
    }
  }
  const refused: string[] = []
  const leftOut = new Map(index.left_out.map((l) => [l.name, l]))
  const inRelease = new Map(index.bundles.map((b) => [b.name, b]))
  let wanted: ReleaseBundle[]
  if (selection.bundles === null) {
    wanted = [...index.bundles]
  } else {
    wanted = []
    const unknown: string[] = []
    for (const name of selection.bundles) {
      const b = inRelease.get(name)
      const l = leftOut.get(name)
      if (b !== undefined) wanted.push(b)
      else if (l !== undefined) refused.push(`${name}: left out of release ${index.name} (${l.state}: ${l.reason}); not fetched`)
      else unknown.push(name)
    }
    if (unknown.length > 0)
      return { error: `--bundles: ${unknown.join(", ")} not in release ${index.name} (it has: ${index.bundles.map((b) => b.name).join(", ") || "no bundles"})` }
  }
  const approved = wanted.filter((b) => {
    const ok = b.approval.decision === "approve" && b.approval.content_sha256 === b.content_sha256
    if (!ok)
      refused.push(
        b.approval.decision !== "approve"
          ? `${b.name}: its approval in release.json is a decision to ${b.approval.decision}, not to approve; not fetched`
          : `${b.name}: approved content ${b.approval.content_sha256.slice(0, 12)}… is not the bundle's content ${b.content_sha256.slice(0, 12)}…; not fetched`
      )
    return ok
  })
  const files = approved.flatMap((b) => b.files.filter((f) => f.split === null || selection.split === null || f.split === selection.split))
  return { bundles: approved, files, bytes: files.reduce((a, f) => a + f.bytes, 0), refused }
}

/** Megatron's split names: our "validation" is its "valid". */
export interface MegatronBlend {
  /** Per Megatron split: (weight, absolute prefix) pairs; null when nothing of that split was pulled. */
  readonly train: ReadonlyArray<readonly [number, string]> | null
  readonly valid: ReadonlyArray<readonly [number, string]> | null
}

/**
 * The blend of the pulled bundles per split: a prefix's weight is its bundle's mixing weight times the
 * prefix's share of the bundle's tokens in that split, normalised over the pulled bundles so the weights
 * of a split sum to 1 (Megatron normalises too; this way the file reads as fractions). Prefixes are
 * absolute, under `dir`.
 */
export function megatronBlend(mixing: ReadonlyArray<MixEntry>, plan: PullPlan, split: Split | null, dir: string): MegatronBlend {
  const pulled = new Set(plan.bundles.map((b) => b.name))
  const forSplit = (s: Split) => {
    if (split !== null && split !== s) return null
    const pairs: Array<readonly [number, string]> = []
    for (const m of mixing) {
      // A bundle with weight 0 (the unrouted set, usually) is pulled but not mixed: Megatron would build its dataset for nothing.
      if (!pulled.has(m.bundle) || m.weight <= 0) continue
      const prefixes = m.token_prefixes.filter((p) => p.split === s)
      const bundleTokens = prefixes.reduce((a, p) => a + p.tokens, 0)
      if (bundleTokens === 0) continue
      for (const p of prefixes) pairs.push([(m.weight * p.tokens) / bundleTokens, path.resolve(dir, ...p.prefix.split("/"))])
    }
    const total = pairs.reduce((a, [w]) => a + w, 0)
    if (pairs.length === 0 || total <= 0) return null
    return pairs.map(([w, p]) => [w / total, p] as const)
  }
  return { train: forSplit("train"), valid: forSplit("validation") }
}

/** Weights as Megatron reads them back (`float(str)`): plain decimals, 12 significant digits. */
const weightText = (w: number): string => String(Number(w.toPrecision(12)))

/**
 * `megatron-blend.txt`: the train blend as "WEIGHT PREFIX" lines, what `--data-path` takes as
 * arguments and what `--data-args-path FILE` reads (Megatron splits the file on whitespace).
 */
export function blendText(blend: MegatronBlend): string {
  return (blend.train ?? []).map(([w, p]) => `${weightText(w)} ${p}\n`).join("")
}

/**
 * `megatron-data-args.json` for `--per-split-data-args-path`: Megatron reads keys "train", "valid" and
 * "test" (all three must be present), each a flat list of weight and prefix strings, or null for a split
 * it should not build (an empty list would not parse there).
 */
export function perSplitDataArgs(blend: MegatronBlend): string {
  const flat = (pairs: MegatronBlend["train"]) => (pairs === null ? null : pairs.flatMap(([w, p]) => [weightText(w), p]))
  return `${JSON.stringify({ train: flat(blend.train), valid: flat(blend.valid), test: null }, null, 2)}\n`
}
