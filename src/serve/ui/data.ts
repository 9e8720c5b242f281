/**
 * Everything the curators' pages read from disk: bundles and their manifests, the run's stage folders
 * (rejects, filtered inputs, duplicate clusters, routing), releases, and SQL over Parquet shards.
 *
 * All SQL goes through `query` here: one in-process DuckDB shared by every request (2 threads, so a page
 * view cannot take the machine from a running pipeline), a connection per query (a DuckDB connection
 * runs one statement at a time, requests overlap), read-only statements only, and results capped.
 * User input reaches SQL only as bound parameters; the file lists in `read_parquet([...])` are paths the
 * server found on disk itself (they cannot be bound), never text from a request.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { DuckDBInstance } from "@duckdb/node-api"
import { readManifest, type Manifest } from "../../bundle/manifest.ts"
import { bundleFoldersIn } from "../../bundle/verify.ts"
import { openDuckDB, sqlString } from "../../core/duckdb.ts"
import { RELEASE_INDEX, type ReleaseIndex } from "../../release/schema.ts"
import type { ServeContext } from "../context.ts"

/** A missing bundle, document, cluster or folder: shown as a 404 page. */
export class NotFound extends Error {}
/** A request the server will not answer as asked (bad parameter, folder outside the served roots): a 400 page. */
export class BadRequest extends Error {}

/** Rows any one query may return: pages show samples and pages of results, never whole datasets. */
export const MAX_ROWS = 2000

let shared: Promise<DuckDBInstance> | null = null
const duckdb = (): Promise<DuckDBInstance> => (shared ??= openDuckDB({ threads: 2 }).then(({ instance, connection }) => (connection.closeSync(), instance)))

export type Row = Record<string, unknown>

/** Run one read-only query with bound parameters; BIGINTs come back as numbers, at most `limit` rows. */
export async function query(sql: string, params: ReadonlyArray<string | number | boolean | null> = [], limit = MAX_ROWS): Promise<Row[]> {
  if (!/^\s*(SELECT|WITH)\b/i.test(sql)) throw new Error("the curators' pages run queries only (SELECT or WITH)")
  const connection = await (await duckdb()).connect()
  try {
    const reader = await connection.runAndReadUntil(sql, limit, params as never)
    return reader
      .getRowObjectsJS()
      .slice(0, limit)
      .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "bigint" ? Number(v) : v])))
  } finally {
    connection.closeSync()
  }
}

/** `read_parquet` over files the server found itself (see the module comment); null when there are none. */
export function parquetSource(files: ReadonlyArray<string>): string | null {
  return files.length === 0 ? null : `read_parquet([${files.map(sqlString).join(", ")}], union_by_name = true)`
}

export const parquetFilesIn = (dir: string): string[] =>
  fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".parquet")).sort().map((f) => path.join(dir, f)) : []

// ---------------------------------------------------------------------------------------------- bundles

export interface BundleRef {
  readonly name: string
  readonly dir: string
  readonly manifest: Manifest
}

/** A bundle's validated manifest; one that cannot be read is an error page naming the file and the cause. */
export function manifestOf(dir: string): Manifest {
  const m = readManifest(dir)
  if (typeof m === "string") throw new Error(m)
  return m
}

/** The served bundles whose manifests can be read (the bundle list shows the others with their problem). */
export function listBundles(ctx: ServeContext): BundleRef[] {
  if (ctx.bundlesDir === null) return []
  return bundleFoldersIn(ctx.bundlesDir).flatMap((dir) => {
    const manifest = readManifest(dir)
    return typeof manifest === "string" ? [] : [{ name: path.basename(dir), dir, manifest }]
  })
}

/** The served bundle called `name`, only ever one of the folders found on disk (never a path built from the URL). */
export function findBundle(ctx: ServeContext, name: string): BundleRef {
  const dir = ctx.bundlesDir === null ? undefined : bundleFoldersIn(ctx.bundlesDir).find((d) => path.basename(d) === name)
  if (dir === undefined) throw new NotFound(`no bundle named ${name}`)
  return { name, dir, manifest: manifestOf(dir) }
}

/** The bundle's Parquet shards that exist on disk, as the manifest lists them. */
export const bundleShards = (b: { dir: string; manifest: Manifest }): string[] =>
  b.manifest.shards.map((s) => path.join(b.dir, s.path)).filter((f) => fs.existsSync(f))

export const bundleSource = (b: { dir: string; manifest: Manifest }): string | null => parquetSource(bundleShards(b))

// ------------------------------------------------------------------------------------------ stage folders

export interface StageFolder {
  readonly name: string
  readonly stage: string
  readonly dir: string
  /** The folders this stage read, oldest first (the plan's lineage); the last is its direct input. */
  readonly lineage: ReadonlyArray<string>
}

/** Plans read once per version of the file: an ingest plan lists every input and can be large. */
const planCache = new Map<string, { key: string; plan: { stage?: string; position?: number; lineage?: string[] } }>()

function readPlan(file: string): { stage?: string; position?: number; lineage?: string[] } {
  const st = fs.statSync(file)
  const key = `${st.mtimeMs}:${st.size}`
  const hit = planCache.get(file)
  if (hit !== undefined && hit.key === key) return hit.plan
  const { stage, position, lineage } = JSON.parse(fs.readFileSync(file, "utf8")) as { stage?: string; position?: number; lineage?: string[] }
  planCache.set(file, { key, plan: { stage, position, lineage } })
  return { stage, position, lineage }
}

/** The run's stage folders, in pipeline order, read from their plans. */
export function stageFolders(ctx: ServeContext): StageFolder[] {
  if (ctx.workDir === null) return []
  const found: Array<StageFolder & { position: number }> = []
  for (const name of fs.readdirSync(ctx.workDir).sort()) {
    const plan = path.join(ctx.workDir, name, "_plan.json")
    if (!fs.existsSync(plan)) continue
    try {
      const p = readPlan(plan)
      found.push({ name, stage: p.stage ?? name, dir: path.join(ctx.workDir, name), lineage: p.lineage ?? [], position: p.position ?? 0 })
    } catch {
      // an unreadable plan: the stage is not shown rather than failing every page
    }
  }
  return found.sort((a, b) => a.position - b.position)
}

export const stageOf = (ctx: ServeContext, stage: string): StageFolder | undefined => stageFolders(ctx).find((s) => s.stage === stage)

// ----------------------------------------------------------------------------------------------- routing

export interface Routing {
  readonly route_score: number | null
  readonly route_reason: string | null
  readonly route_second: string | null
  readonly route_second_score: number | null
}

/** How classify routed a document (bundle shards keep the document columns only). */
export async function routingOf(ctx: ServeContext, id: string): Promise<Routing | null> {
  const classify = stageOf(ctx, "classify")
  const src = classify === undefined ? null : parquetSource(parquetFilesIn(classify.dir))
  if (src === null) return null
  const rows = await query(`SELECT route_score, route_reason, route_second, route_second_score FROM ${src} WHERE id = ? LIMIT 1`, [id], 1)
  return (rows[0] as Routing | undefined) ?? null
}

// ------------------------------------------------------------------------------------------- left out

export interface LeftOutRecord {
  readonly stage: string
  readonly source_path: string
  readonly reason: string
  readonly detail: string
  readonly location?: string
  /** The quality stages name the document they left out and the scores behind the decision. */
  readonly id?: string
  readonly scores?: Readonly<Record<string, number>>
  /** The stage folder the record came from (where the removed documents themselves are kept). */
  readonly dir?: string
}

export type LeftOutKind = "rejects" | "filtered"

/**
 * Every rejected or filtered input of the run, visited one at a time (the files can be long: only what
 * the visitor keeps stays in memory). `visit` returns false to stop early.
 */
export function forEachLeftOut(ctx: ServeContext, kind: LeftOutKind, visit: (r: LeftOutRecord, stageName: string) => boolean | void): void {
  for (const stage of stageFolders(ctx)) {
    const dir = path.join(stage.dir, `_${kind}`)
    if (!fs.existsSync(dir)) continue
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort()) {
      for (const line of fs.readFileSync(path.join(dir, file), "utf8").split("\n")) {
        if (line.trim() === "") continue
        let r: Partial<LeftOutRecord>
        try {
          r = JSON.parse(line) as Partial<LeftOutRecord>
        } catch {
          r = { source_path: `${kind}/${file}`, reason: "(unreadable line)", detail: line.slice(0, 200) }
        }
        const record: LeftOutRecord = {
          stage: r.stage ?? stage.stage,
          source_path: String(r.source_path ?? ""),
          reason: String(r.reason ?? "(no reason)"),
          detail: String(r.detail ?? ""),
          ...(r.location !== undefined ? { location: String(r.location) } : {}),
          ...(typeof r.id === "string" ? { id: r.id } : {}),
          ...(r.scores !== undefined && r.scores !== null && typeof r.scores === "object" ? { scores: r.scores } : {}),
          dir: stage.dir
        }
        if (visit(record, stage.name) === false) return
      }
    }
  }
}

/**
 * The beginnings of the texts of documents a quality stage left out (kept whole in its
 * `_filtered/*.parquet`), by id: what a curator needs to agree or disagree with a removal.
 */
export async function filteredExcerpts(records: ReadonlyArray<LeftOutRecord>, chars = 400): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  const byDir = new Map<string, string[]>()
  for (const r of records) if (r.id !== undefined && r.dir !== undefined) byDir.set(r.dir, [...(byDir.get(r.dir) ?? []), r.id])
  for (const [dir, ids] of byDir) {
    const src = parquetSource(parquetFilesIn(path.join(dir, "_filtered")))
    if (src === null) continue
    const unique = [...new Set(ids)]
    const rows = await query(`SELECT id, substring(text, 1, ${chars}) AS excerpt FROM ${src} WHERE id IN (${unique.map(() => "?").join(", ")})`, unique)
    for (const row of rows) out.set(String(row.id), String(row.excerpt ?? ""))
  }
  return out
}

/** dedup's removed documents (`_removed/*.parquet`): one row per removed copy, with its cluster and kept copy. */
export function removedSource(ctx: ServeContext): string | null {
  const dedup = stageOf(ctx, "dedup")
  return dedup === undefined ? null : parquetSource(parquetFilesIn(path.join(dedup.dir, "_removed")))
}

/** The duplicate clusters whose kept copy is the document `id` (at most a few: one per method). */
export async function clustersKeeping(ctx: ServeContext, id: string): Promise<Array<{ cluster_id: string; method: string; removed: number }>> {
  const removed = removedSource(ctx)
  if (removed === null) return []
  const rows = await query(`SELECT cluster_id, any_value(method) AS method, count(*) AS removed FROM ${removed} WHERE kept_id = ? GROUP BY 1 ORDER BY 1 LIMIT 20`, [id])
  return rows.map((r) => ({ cluster_id: String(r.cluster_id), method: String(r.method), removed: Number(r.removed) }))
}

/**
 * Where the texts of both copies of a duplicate are: dedup's input (its kept and removed documents
 * alike), the last folder of its lineage.
 */
export function dedupInputSource(ctx: ServeContext): string | null {
  const dedup = stageOf(ctx, "dedup")
  const input = dedup?.lineage.at(-1)
  return input === undefined ? null : parquetSource(parquetFilesIn(input))
}

// ----------------------------------------------------------------------------------------------- releases

export interface ReleaseRef {
  readonly name: string
  readonly dir: string
  readonly index: ReleaseIndex
}

export function listReleases(ctx: ServeContext): ReleaseRef[] {
  if (ctx.releasesDir === null || !fs.existsSync(ctx.releasesDir)) return []
  const out: ReleaseRef[] = []
  for (const name of fs.readdirSync(ctx.releasesDir).sort()) {
    const file = path.join(ctx.releasesDir, name, RELEASE_INDEX)
    if (!fs.existsSync(file)) continue
    try {
      out.push({ name, dir: path.join(ctx.releasesDir, name), index: JSON.parse(fs.readFileSync(file, "utf8")) as ReleaseIndex })
    } catch {
      // a release whose index does not parse is not offered for comparison
    }
  }
  return out
}

/** The latest release (by creation time, then name) that holds `bundle`, and that bundle's folder in it. */
export function latestReleaseWith(ctx: ServeContext, bundle: string): { release: ReleaseRef; dir: string } | null {
  const holding = listReleases(ctx)
    .map((release) => ({ release, entry: release.index.bundles.find((b) => b.name === bundle) }))
    .filter((x) => x.entry !== undefined && fs.existsSync(path.join(x.release.dir, x.entry.path, "manifest.json")))
    .sort((a, b) => a.release.index.created_at.localeCompare(b.release.index.created_at) || a.release.name.localeCompare(b.release.name))
  const last = holding.at(-1)
  return last === undefined ? null : { release: last.release, dir: path.join(last.release.dir, last.entry!.path) }
}

// ---------------------------------------------------------------------------------------- served folders

/**
 * The roots a comparison may name folders under, by the first segment of a root-relative path:
 * `work/...` (the folder holding the bundles folder) and `releases/...` (the releases folder). A
 * request never names a filesystem path: only these roots and relative paths inside them.
 */
export function servedRoots(ctx: ServeContext): Record<string, string> {
  const roots: Record<string, string> = {}
  if (ctx.reviewDir !== null) roots.work = ctx.reviewDir
  if (ctx.releasesDir !== null) roots.releases = ctx.releasesDir
  return roots
}

/** The root-relative name of a folder under a served root (for links), or null when it is under none. */
export function rootRelative(ctx: ServeContext, dir: string): string | null {
  // The innermost root wins: a work folder's own releases/ is named releases/..., not work/releases/...
  const holding = Object.entries(servedRoots(ctx))
    .map(([name, root]) => ({ name, root, rel: path.relative(root, dir) }))
    .filter((r) => !r.rel.startsWith("..") && !path.isAbsolute(r.rel))
    .sort((a, b) => b.root.length - a.root.length)[0]
  if (holding === undefined) return null
  return holding.rel === "" ? holding.name : `${holding.name}/${holding.rel.split(path.sep).join("/")}`
}

/**
 * A root-relative bundle folder from a request (`work/bundles/chemistry`, `releases/v1/bundles/chemistry`)
 * to its folder on disk: relative segments only, no `..`, and after resolving links still inside its root.
 */
export function resolveServedBundle(ctx: ServeContext, spec: string): BundleRef {
  const segments = spec.split("/").filter((s) => s !== "")
  const root = servedRoots(ctx)[segments[0] ?? ""]
  if (root === undefined) throw new BadRequest(`${spec}: not under a served folder (start with ${Object.keys(servedRoots(ctx)).map((r) => `${r}/`).join(" or ")})`)
  if (segments.some((s) => s === ".." || s === "." || s.includes("\\") || s.includes("\0"))) throw new BadRequest(`${spec}: only plain folder names may follow the root`)
  const dir = path.join(root, ...segments.slice(1))
  let real: string
  try {
    real = fs.realpathSync(dir)
  } catch {
    throw new NotFound(`${spec}: no such folder`)
  }
  const realRoot = fs.realpathSync(root)
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) throw new BadRequest(`${spec}: leads outside the served folder`)
  if (!fs.existsSync(path.join(real, "manifest.json"))) throw new NotFound(`${spec}: not a bundle folder (no manifest.json)`)
  return { name: path.basename(real), dir: real, manifest: manifestOf(real) }
}

/** Small results computed from shards, kept per bundle content: a bundle's shards change only with its hash. */
const memo = new Map<string, Promise<unknown>>()
export function memoized<T>(key: string, compute: () => Promise<T>): Promise<T> {
  let hit = memo.get(key) as Promise<T> | undefined
  if (hit === undefined) {
    if (memo.size > 500) memo.clear()
    hit = compute()
    hit.catch(() => memo.delete(key))
    memo.set(key, hit)
  }
  return hit
}
