/**
 * What `scicurate serve DIR` serves, worked out once at start: the bundles a curator reviews, the stage
 * folders behind them (rejects, filtered inputs, duplicate clusters), the review log, the releases a
 * trainer pulls, and who may write. Route modules get this and nothing else.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { bundleFoldersIn } from "../bundle/verify.ts"
import { UsageError } from "../core/errors.ts"
import { RELEASE_INDEX } from "../release/schema.ts"
import type { Curator } from "../review/curators.ts"

export interface ServeContext {
  /** The folder holding the stage folders (ingest/, dedup/, ...) of the run, when there is one. */
  readonly workDir: string | null
  /** The folder holding the bundle folders (each with manifest.json), when there is one. */
  readonly bundlesDir: string | null
  /** Where reviews.jsonl lives: the parent of bundlesDir (see review/log.ts). */
  readonly reviewDir: string | null
  /** A folder of releases (each <name>/release.json), when there is one. */
  readonly releasesDir: string | null
  /** Who may record decisions; null = the server is read-only. */
  readonly curators: ReadonlyArray<Curator> | null
}

const hasStages = (dir: string): boolean =>
  fs.existsSync(dir) && fs.readdirSync(dir).some((d) => fs.existsSync(path.join(dir, d, "_plan.json")))

const isReleasesDir = (dir: string): boolean =>
  fs.existsSync(dir) && fs.readdirSync(dir).some((d) => fs.existsSync(path.join(dir, d, RELEASE_INDEX)))

/**
 * DIR may be a work folder (stage folders and a bundles/ folder, or the bundle stage's output named in
 * its plan), a folder of bundles, a folder of releases, or one release. `--releases` adds a folder of
 * releases; by default a work folder's own `releases/` is served when it exists.
 */
export function resolveServeContext(dir: string, options: { releases?: string; curators?: ReadonlyArray<Curator> | null } = {}): ServeContext | UsageError {
  const root = path.resolve(dir)
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) return new UsageError({ message: `${dir}: not a folder` })
  let workDir: string | null = null
  let bundlesDir: string | null = null
  let releasesDir: string | null = options.releases !== undefined ? path.resolve(options.releases) : null
  if (fs.existsSync(path.join(root, RELEASE_INDEX))) {
    releasesDir ??= path.dirname(root)
  } else if (hasStages(root)) {
    workDir = root
    const bundlePlan = path.join(root, "bundle", "_plan.json")
    const planned = fs.existsSync(bundlePlan) ? (JSON.parse(fs.readFileSync(bundlePlan, "utf8")) as { pipeline?: { output?: string } }).pipeline?.output : undefined
    const candidates = [path.join(root, "bundles"), ...(planned !== undefined ? [path.resolve(root, planned)] : [])]
    bundlesDir = candidates.find((c) => bundleFoldersIn(c).length > 0) ?? null
    if (releasesDir === null && isReleasesDir(path.join(root, "releases"))) releasesDir = path.join(root, "releases")
  } else if (bundleFoldersIn(root).length > 0 && !fs.existsSync(path.join(root, "manifest.json"))) {
    bundlesDir = root
    if (hasStages(path.dirname(root))) workDir = path.dirname(root)
  } else if (isReleasesDir(root)) {
    releasesDir ??= root
  } else {
    return new UsageError({ message: `${dir}: not a work folder, a folder of bundles or of releases (nothing to serve)` })
  }
  if (releasesDir !== null && !fs.existsSync(releasesDir)) return new UsageError({ message: `--releases ${options.releases}: no such folder` })
  return { workDir, bundlesDir, reviewDir: bundlesDir === null ? null : path.dirname(bundlesDir), releasesDir, curators: options.curators ?? null }
}

/** Loopback addresses: the only ones a read-only server without curators may bind to. */
export const isLoopbackHost = (host: string): boolean => host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host)
