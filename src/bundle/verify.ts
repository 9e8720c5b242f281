/**
 * `scicurate verify`: recompute what the manifest claims about every shard (presence, bytes, sha256, rows,
 * tokens), read every token shard's index header (magic, version, dtype, document count, sizes), check
 * the manifest's own content hash, and find files the manifest does not list. Any problem makes the
 * command exit non-zero. A folder of bundles (a pipeline's output) verifies each bundle in it.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { DuckDB } from "../core/duckdb.ts"
import { DatasetError } from "../core/errors.ts"
import { sha256File } from "../core/files.ts"
import { readParquetSql } from "../core/parquet.ts"
import { DTYPE_CODES, INDEX_MAGIC } from "../tokenize/megatron.ts"
import { Manifest, manifestContentHash, type TokenShardEntry } from "./manifest.ts"

export interface ShardCheck {
  readonly path: string
  readonly ok: boolean
  readonly problems: ReadonlyArray<string>
}

export interface VerifyReport {
  readonly manifest: Manifest
  readonly shards: ReadonlyArray<ShardCheck>
  /** Problems that belong to no listed shard (unlisted files, wrong totals). */
  readonly other: ReadonlyArray<string>
  readonly ok: boolean
}

export const verifyBundle = (bundleDir: string): Effect.Effect<VerifyReport, DatasetError, DuckDB> =>
  Effect.gen(function* () {
    const db = yield* DuckDB
    const manifestFile = path.join(bundleDir, "manifest.json")
    if (!fs.existsSync(manifestFile)) {
      const inside = fs.existsSync(bundleDir) && fs.statSync(bundleDir).isDirectory()
        ? fs.readdirSync(bundleDir).filter((d) => fs.existsSync(path.join(bundleDir, d, "manifest.json")))
        : []
      return yield* new DatasetError({
        path: bundleDir,
        operation: "verify",
        cause: `no manifest.json here: not a bundle folder${inside.length > 0 ? ` (bundles inside: ${inside.join(", ")})` : ""}`
      })
    }
    const manifest = yield* Effect.try({
      try: () => JSON.parse(fs.readFileSync(manifestFile, "utf8")) as unknown,
      catch: (cause) => new DatasetError({ path: manifestFile, operation: "read manifest", cause })
    }).pipe(
      Effect.flatMap((raw) =>
        Schema.decodeUnknownEffect(Manifest)(raw).pipe(
          Effect.mapError((cause) => new DatasetError({ path: manifestFile, operation: "validate manifest", cause: cause.message }))
        )
      )
    )
    const shards: ShardCheck[] = []
    for (const entry of manifest.shards) {
      const file = path.join(bundleDir, entry.path)
      const problems: string[] = []
      if (!insideBundle(entry.path)) problems.push("path leaves the bundle folder")
      else if (!entry.path.startsWith(`data/${entry.split}-`)) problems.push(`path does not name its split (${entry.split})`)
      else if (!fs.existsSync(file)) problems.push("missing")
      else {
        const bytes = fs.statSync(file).size
        if (bytes !== entry.bytes) problems.push(`bytes ${bytes} != manifest ${entry.bytes}`)
        const sha = sha256File(file)
        if (sha !== entry.sha256) problems.push(`sha256 ${sha.slice(0, 12)}… != manifest ${entry.sha256.slice(0, 12)}…`)
        const counted = yield* db
          .rows(`SELECT count(*) AS rows, coalesce(sum(n_tokens), 0) AS tokens FROM ${readParquetSql([file])}`)
          .pipe(Effect.map((r) => r[0]!), Effect.catch((e) => Effect.succeed({ error: e.message } as Record<string, unknown>)))
        if ("error" in counted) problems.push(`unreadable Parquet: ${String(counted.error).split("\n")[0]}`)
        else {
          if (Number(counted.rows) !== entry.rows) problems.push(`rows ${counted.rows} != manifest ${entry.rows}`)
          if (Number(counted.tokens) !== entry.tokens) problems.push(`tokens ${counted.tokens} != manifest ${entry.tokens}`)
        }
      }
      shards.push({ path: entry.path, ok: problems.length === 0, problems })
    }
    for (const [k, entry] of manifest.token_shards.entries()) {
      const problems = [entry.bin.path, entry.idx.path].some((p) => !insideBundle(p)) ? ["path leaves the bundle folder"] : checkTokenShard(bundleDir, entry)
      // Token shard k holds Parquet shard k's documents: the same count, and each one's tokens plus an EOS.
      const twin = manifest.shards[k]
      if (twin === undefined || twin.split !== entry.split || twin.rows !== entry.documents || twin.tokens + twin.rows !== entry.tokens) {
        problems.push(`does not match Parquet shard ${twin?.path ?? k} (documents ${entry.documents} vs ${twin?.rows}, tokens ${entry.tokens} vs ${twin ? twin.tokens + twin.rows : "-"} with EOS)`)
      }
      shards.push({ path: entry.prefix, ok: problems.length === 0, problems })
    }
    const other: string[] = []
    const listed = new Set([...manifest.shards.map((s) => s.path), ...manifest.token_shards.flatMap((t) => [t.bin.path, t.idx.path])])
    for (const file of filesBelow(bundleDir, ["data", "tokens"])) if (!listed.has(file)) other.push(`${file}: not listed in the manifest`)
    const hash = manifestContentHash(manifest)
    if (hash !== manifest.content_sha256) other.push(`content_sha256 ${manifest.content_sha256.slice(0, 12)}… != recomputed ${hash.slice(0, 12)}… (the manifest was edited)`)
    if (!fs.existsSync(path.join(bundleDir, "README.md"))) other.push("README.md (the dataset card) is missing")
    const sum = (k: "rows" | "tokens" | "bytes") => manifest.shards.reduce((a, s) => a + s[k], 0)
    if (sum("rows") !== manifest.totals.documents) other.push(`totals.documents ${manifest.totals.documents} != sum of shard rows ${sum("rows")}`)
    if (sum("tokens") !== manifest.totals.tokens) other.push(`totals.tokens ${manifest.totals.tokens} != sum of shard tokens ${sum("tokens")}`)
    if (sum("bytes") !== manifest.totals.bytes) other.push(`totals.bytes ${manifest.totals.bytes} != sum of shard bytes ${sum("bytes")}`)
    for (const split of ["train", "validation"] as const) {
      const of = manifest.shards.filter((x) => x.split === split)
      const rows = of.reduce((a, x) => a + x.rows, 0)
      const tokens = of.reduce((a, x) => a + x.tokens, 0)
      const t = manifest.totals[split]
      if (t.documents !== rows || t.tokens !== tokens) other.push(`totals.${split} ${t.documents} documents / ${t.tokens} tokens != its shards' ${rows} / ${tokens}`)
    }
    if (manifest.totals.shards !== manifest.shards.length) other.push(`totals.shards ${manifest.totals.shards} != ${manifest.shards.length} listed`)
    const tokenBytes = manifest.token_shards.reduce((a, t) => a + t.bin.bytes + t.idx.bytes, 0)
    if (manifest.totals.token_bytes !== tokenBytes) other.push(`totals.token_bytes ${manifest.totals.token_bytes} != sum of token files ${tokenBytes}`)
    const tokenDocs = manifest.token_shards.reduce((a, t) => a + t.documents, 0)
    if (manifest.token_shards.length > 0 && tokenDocs !== manifest.totals.documents) other.push(`token shards hold ${tokenDocs} documents, the manifest ${manifest.totals.documents}`)
    return { manifest, shards, other, ok: other.length === 0 && shards.every((s) => s.ok) }
  })

/** A manifest path that stays inside the bundle folder (no absolute paths, no `..`). */
const insideBundle = (p: string): boolean => !path.isAbsolute(p) && !p.split(/[\\/]/).includes("..")

/** Check one Megatron token shard: both files against the manifest, and the index header against the data. */
function checkTokenShard(bundleDir: string, t: TokenShardEntry): string[] {
  const problems: string[] = []
  for (const f of [t.bin, t.idx]) {
    const file = path.join(bundleDir, f.path)
    if (!fs.existsSync(file)) {
      problems.push(`${path.basename(f.path)} missing`)
      continue
    }
    const bytes = fs.statSync(file).size
    if (bytes !== f.bytes) problems.push(`${path.basename(f.path)} bytes ${bytes} != manifest ${f.bytes}`)
    const sha = sha256File(file)
    if (sha !== f.sha256) problems.push(`${path.basename(f.path)} sha256 ${sha.slice(0, 12)}… != manifest ${f.sha256.slice(0, 12)}…`)
  }
  if (problems.length > 0) return problems
  const idx = fs.readFileSync(path.join(bundleDir, t.idx.path))
  if (idx.length < 34 || !idx.subarray(0, 9).equals(INDEX_MAGIC)) return ["idx: not an MMIDIDX index"]
  if (idx.readBigUInt64LE(9) !== 1n) problems.push(`idx: version ${idx.readBigUInt64LE(9)} != 1`)
  if (idx.readUInt8(17) !== DTYPE_CODES[t.dtype]) problems.push(`idx: dtype code ${idx.readUInt8(17)} != ${DTYPE_CODES[t.dtype]} (${t.dtype})`)
  const n = Number(idx.readBigUInt64LE(18))
  if (n !== t.documents) problems.push(`idx: ${n} documents != manifest ${t.documents}`)
  if (idx.length !== 34 + n * 4 + n * 8 + (n + 1) * 8) problems.push(`idx: ${idx.length} bytes, expected ${34 + n * 20 + (n + 1) * 8} for ${n} documents`)
  else {
    let tokens = 0
    for (let i = 0; i < n; i++) tokens += idx.readInt32LE(34 + 4 * i)
    if (tokens !== t.tokens) problems.push(`idx: lengths sum to ${tokens} tokens != manifest ${t.tokens}`)
    const itemBytes = t.dtype === "uint16" ? 2 : 4
    if (tokens * itemBytes !== t.bin.bytes) problems.push(`bin: ${t.bin.bytes} bytes != ${tokens} tokens × ${itemBytes}`)
  }
  return problems
}

/** Files under the given subfolders of a bundle, as bundle-relative paths. */
function filesBelow(root: string, subdirs: ReadonlyArray<string>): string[] {
  const out: string[] = []
  const walk = (rel: string) => {
    const abs = path.join(root, rel)
    if (!fs.existsSync(abs)) return
    for (const name of fs.readdirSync(abs).sort()) {
      const r = `${rel}/${name}`
      if (fs.statSync(path.join(root, r)).isDirectory()) walk(r)
      else out.push(r)
    }
  }
  for (const d of subdirs) walk(d)
  return out
}

/** The bundle folders to verify: the folder itself when it is a bundle, else the bundles directly inside it. */
export function bundleFoldersIn(dir: string): string[] {
  if (fs.existsSync(path.join(dir, "manifest.json"))) return [dir]
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return []
  return fs
    .readdirSync(dir)
    .sort()
    .filter((d) => !d.startsWith(".") && fs.existsSync(path.join(dir, d, "manifest.json")))
    .map((d) => path.join(dir, d))
}
