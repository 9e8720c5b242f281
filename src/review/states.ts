/**
 * Where every bundle of a folder of bundles stands with the curators: its manifest and its review state
 * for the content it holds now. `release`, `status` and `inspect` read it; one place so they agree.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { bundleFoldersIn } from "../bundle/verify.ts"
import { manifestContentHash, readManifest, type Manifest } from "../bundle/manifest.ts"
import { RELEASE_INDEX, ReleaseIndex } from "../release/schema.ts"
import { readReviewLog, reviewState, workDirOfBundle, type ReviewLog, type ReviewState } from "./log.ts"

export type BundleReview =
  | { readonly name: string; readonly dir: string; readonly manifest: Manifest; readonly review: ReviewState }
  /** A manifest that cannot be read, or whose content hash does not match it: no decision can speak for it. */
  | { readonly name: string; readonly dir: string; readonly manifest: null; readonly problem: string }

/**
 * A manifest whose content_sha256 is not the hash of its content was edited after the bundle stage
 * wrote it: a decision bound to the stated hash would vouch for content nobody reviewed.
 */
export function manifestHashProblem(manifest: Manifest): string | null {
  const recomputed = manifestContentHash(manifest)
  return recomputed === manifest.content_sha256
    ? null
    : `content_sha256 ${manifest.content_sha256.slice(0, 12)}… does not match the manifest's content (${recomputed.slice(0, 12)}…): it was edited after the bundle stage wrote it`
}

/** Each bundle in `bundlesDir` with its review state from the log in `reviewDir` (the parent of bundlesDir). */
export function bundleReviews(bundlesDir: string, log: ReviewLog = readReviewLog(path.dirname(path.resolve(bundlesDir)))): BundleReview[] {
  return bundleFoldersIn(bundlesDir).map((dir) => reviewOfBundle(dir, log))
}

export function reviewOfBundle(dir: string, log: ReviewLog): BundleReview {
  const name = path.basename(dir)
  const manifest = readManifest(dir)
  if (typeof manifest === "string") return { name, dir, manifest: null, problem: manifest }
  const problem = manifestHashProblem(manifest)
  if (problem !== null) return { name, dir, manifest: null, problem: `${path.join(dir, "manifest.json")}: ${problem}` }
  return { name, dir, manifest, review: reviewState(log, name, manifest.content_sha256) }
}

/** "approved by alice (cli, 2026-…): note", or what is missing, in one line for a terminal. */
export function describeReview(review: ReviewState): string {
  const d = review.current
  if (d === null) {
    const last = review.history.at(-1)
    return review.changedSinceReview && last !== undefined
      ? `needs review: changed since ${last.curator}'s ${last.decision} of content ${last.content_sha256.slice(0, 12)}… (${last.at})`
      : "needs review: no decision yet"
  }
  const what = d.decision === "approve" ? "approved" : d.decision === "reject" ? "rejected" : "changes requested"
  return `${what} by ${d.curator} (${d.via}, ${d.at})${d.note === "" ? "" : `: ${JSON.stringify(d.note)}`}`
}

/**
 * One line on where a bundle folder stands, for `inspect`: its review state in the work folder's log;
 * or, for a bundle inside a release (whose folder holds release.json, not a review log), the approval
 * it was released on.
 */
export function reviewLineOf(dir: string): string {
  const home = workDirOfBundle(dir)
  const indexFile = path.join(home, RELEASE_INDEX)
  if (fs.existsSync(indexFile)) {
    try {
      const index = Schema.decodeUnknownSync(ReleaseIndex)(JSON.parse(fs.readFileSync(indexFile, "utf8")))
      const b = index.bundles.find((x) => x.name === path.basename(dir))
      return b === undefined
        ? `inside release ${index.name}, but not listed in its ${RELEASE_INDEX}`
        : `released in ${index.name}: approved by ${b.approval.curator} (${b.approval.via}, ${b.approval.at})${b.approval.note === "" ? "" : `: ${JSON.stringify(b.approval.note)}`}`
    } catch (e) {
      return `inside a release whose ${indexFile} cannot be read: ${(e as Error).message.split("\n")[0]}`
    }
  }
  const r = reviewOfBundle(dir, readReviewLog(home))
  return r.manifest === null ? `unknown: ${r.problem}` : describeReview(r.review)
}
