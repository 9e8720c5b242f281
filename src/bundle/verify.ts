/**
 * `scicurate verify`: recompute what the manifest claims about every shard (presence, bytes, sha256, rows,
 * tokens) and find data files the manifest does not list. Any problem makes the command exit non-zero.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { DuckDB } from "../core/duckdb.ts"
import { DatasetError } from "../core/errors.ts"
import { sha256File } from "../core/files.ts"
import { readParquetSql } from "../core/parquet.ts"
import { Manifest } from "./manifest.ts"

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
      if (!fs.existsSync(file)) problems.push("missing")
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
    const other: string[] = []
    const listed = new Set(manifest.shards.map((s) => s.path))
    const dataDir = path.join(bundleDir, "data")
    if (fs.existsSync(dataDir)) {
      for (const name of fs.readdirSync(dataDir).sort()) {
        if (!listed.has(`data/${name}`)) other.push(`data/${name}: not listed in the manifest`)
      }
    }
    const sum = (k: "rows" | "tokens" | "bytes") => manifest.shards.reduce((a, s) => a + s[k], 0)
    if (sum("rows") !== manifest.totals.documents) other.push(`totals.documents ${manifest.totals.documents} != sum of shard rows ${sum("rows")}`)
    if (sum("tokens") !== manifest.totals.tokens) other.push(`totals.tokens ${manifest.totals.tokens} != sum of shard tokens ${sum("tokens")}`)
    if (sum("bytes") !== manifest.totals.bytes) other.push(`totals.bytes ${manifest.totals.bytes} != sum of shard bytes ${sum("bytes")}`)
    return { manifest, shards, other, ok: other.length === 0 && shards.every((s) => s.ok) }
  })
