/**
 * `scicurate verify RELEASE_DIR [--public-key FILE]`: a release folder against its release.json.
 *
 *   1. release.json parses and validates (ReleaseIndex), and agrees with itself (paths inside the
 *      release, totals, approvals bound to the released content, the manifest's hash);
 *   2. with a public key, release.json.sig is a good Ed25519 signature over release.json's exact bytes
 *      by that key (an unsigned release fails when a key is given);
 *   3. every listed file is a regular file with the listed size and sha256;
 *   4. nothing under bundles/ that release.json does not list (a file slipped in is reported);
 *   5. each bundle's own verification (bundle/verify.ts: rows, tokens, token index headers, totals).
 *
 * `verifyRelease` also serves `pull` on what it fetched: `bundles` and `split` say which part of the
 * release was pulled, so the files of other bundles and splits may be absent (a bundle pulled for one
 * split only skips step 5, which needs all of its shards).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { KeyObject } from "node:crypto"
import { Effect, Schema } from "effect"
import { verifyBundle, type VerifyReport } from "../bundle/verify.ts"
import { readManifest } from "../bundle/manifest.ts"
import type { DuckDB } from "../core/duckdb.ts"
import type { DatasetError } from "../core/errors.ts"
import { sha256File } from "../core/files.ts"
import { filesUnder, staysInside } from "./create.ts"
import { RELEASE_INDEX, RELEASE_SIGNATURE, ReleaseIndex } from "./schema.ts"
import { checkIndexSignature } from "./sign.ts"

export interface ReleaseVerifyOptions {
  /** Check release.json.sig against this key; an unsigned release then fails. */
  readonly publicKey?: KeyObject | null
  /** Only these bundles are expected to be present (a partial pull); default all. */
  readonly bundles?: ReadonlyArray<string>
  /** Only this split's shards are expected (files with no split, such as manifests, always are). */
  readonly split?: "train" | "validation"
}

export interface FileCheck {
  readonly path: string
  readonly ok: boolean
  readonly problems: ReadonlyArray<string>
}

export interface SignatureStatus {
  /** Whether a key was given and the signature checked. */
  readonly checked: boolean
  readonly ok: boolean
  readonly detail: string
}

export interface ReleaseFilesReport {
  readonly dir: string
  readonly index: ReleaseIndex | null
  readonly signature: SignatureStatus
  /** The expected (selected) files, each checked. */
  readonly files: ReadonlyArray<FileCheck>
  /** Files under bundles/ that release.json does not list. */
  readonly unlisted: ReadonlyArray<string>
  /** The index disagreeing with itself or with the bundles' manifests. */
  readonly other: ReadonlyArray<string>
  readonly ok: boolean
}

export interface ReleaseVerifyReport extends ReleaseFilesReport {
  /** Each expected bundle's own verification, or why it was skipped. */
  readonly bundles: ReadonlyArray<{ readonly name: string; readonly dir: string; readonly report: VerifyReport | null; readonly skipped: string | null; readonly error: string | null }>
}

/** Whether a folder is a release (holds release.json). */
export const isReleaseFolder = (dir: string): boolean => fs.existsSync(path.join(dir, RELEASE_INDEX))

/** Where release.json contradicts itself: paths, approvals, totals, mixing. Pure. */
export function indexProblems(index: ReleaseIndex): string[] {
  const out: string[] = []
  const names = new Set<string>()
  for (const b of index.bundles) {
    if (names.has(b.name)) out.push(`bundle ${b.name} listed twice`)
    names.add(b.name)
    if (!/^[^/\\]+$/.test(b.name) || b.name === "." || b.name === ".." || b.path !== `bundles/${b.name}`) out.push(`bundle ${b.name}: path ${JSON.stringify(b.path)} is not bundles/<name>`)
    for (const f of b.files) if (!staysInside(f.path) || !f.path.startsWith(`${b.path}/`)) out.push(`bundle ${b.name}: file ${JSON.stringify(f.path)} is outside its bundle folder`)
    const manifest = b.files.find((f) => f.path === `${b.path}/manifest.json`)
    if (manifest === undefined) out.push(`bundle ${b.name}: manifest.json is not listed`)
    else if (manifest.sha256 !== b.manifest_sha256) out.push(`bundle ${b.name}: manifest_sha256 ${b.manifest_sha256.slice(0, 12)}… != the listed manifest.json's ${manifest.sha256.slice(0, 12)}…`)
    if (b.approval.decision !== "approve") out.push(`bundle ${b.name}: released on a "${b.approval.decision}" decision, not an approval`)
    if (b.approval.content_sha256 !== b.content_sha256) out.push(`bundle ${b.name}: the approval is for content ${b.approval.content_sha256.slice(0, 12)}…, the bundle is ${b.content_sha256.slice(0, 12)}…`)
  }
  const paths = index.bundles.flatMap((b) => b.files.map((f) => f.path))
  if (new Set(paths).size !== paths.length) out.push("a file is listed twice")
  const t = index.totals
  const sums = {
    bundles: index.bundles.length,
    files: paths.length,
    bytes: index.bundles.reduce((a, b) => a + b.files.reduce((s, f) => s + f.bytes, 0), 0),
    documents: index.bundles.reduce((a, b) => a + b.documents, 0),
    tokens: index.bundles.reduce((a, b) => a + b.tokens, 0)
  }
  for (const k of Object.keys(sums) as Array<keyof typeof sums>) if (t[k] !== sums[k]) out.push(`totals.${k} ${t[k]} != ${sums[k]} summed over the bundles`)
  for (const m of index.mixing) if (!names.has(m.bundle)) out.push(`mixing names ${m.bundle}, which is not in the release`)
  for (const n of names) if (!index.mixing.some((m) => m.bundle === n)) out.push(`mixing has no entry for ${n}`)
  const weights = index.mixing.reduce((a, m) => a + m.weight, 0)
  if (index.mixing.length > 0 && Math.abs(weights - 1) > 1e-9) out.push(`mixing weights sum to ${weights}, not 1`)
  return out
}

/** Steps 1 to 4 (see the header): no DuckDB, only files and hashes. */
export function checkReleaseFiles(dir: string, options: ReleaseVerifyOptions = {}): ReleaseFilesReport {
  const root = path.resolve(dir)
  const indexFile = path.join(root, RELEASE_INDEX)
  const noSignature: SignatureStatus = { checked: false, ok: false, detail: "not checked" }
  const failed = (problem: string): ReleaseFilesReport => ({ dir: root, index: null, signature: noSignature, files: [], unlisted: [], other: [problem], ok: false })
  if (!fs.existsSync(indexFile)) return failed(`${indexFile}: missing (not a release folder)`)
  const bytes = fs.readFileSync(indexFile)
  // The signature first: it covers the exact bytes, so a changed byte is named as such even when it breaks the JSON.
  const signatureFile = path.join(root, RELEASE_SIGNATURE)
  const signatureText = fs.existsSync(signatureFile) ? fs.readFileSync(signatureFile, "utf8") : null
  let signature: SignatureStatus
  if (options.publicKey) {
    const check = checkIndexSignature(bytes, signatureText, options.publicKey)
    signature = check.ok ? { checked: true, ok: true, detail: `good signature by key ${check.keyId}` } : { checked: true, ok: false, detail: check.reason }
  } else {
    let signer = ""
    try {
      signer = signatureText === null ? "" : ` by key ${(JSON.parse(signatureText) as { key_id?: string }).key_id ?? "?"}`
    } catch {
      signer = " (unreadable)"
    }
    signature = { checked: false, ok: false, detail: signatureText === null ? "not signed" : `signed${signer}; not checked (give --public-key)` }
  }

  let index: ReleaseIndex
  try {
    index = Schema.decodeUnknownSync(ReleaseIndex)(JSON.parse(bytes.toString("utf8")))
  } catch (e) {
    return { ...failed(`${indexFile}: not a scicurate release index (${(e as Error).message.split("\n")[0]})`), signature }
  }

  const other = indexProblems(index)
  const selected = new Set(options.bundles ?? index.bundles.map((b) => b.name))
  for (const name of selected) if (!index.bundles.some((b) => b.name === name)) other.push(`bundle ${name} is not in the release`)
  const files: FileCheck[] = []
  for (const b of index.bundles) {
    if (!selected.has(b.name)) continue
    for (const f of b.files) {
      if (options.split !== undefined && f.split !== null && f.split !== options.split) continue
      files.push({ path: f.path, ...checkFile(root, f) })
    }
    const manifest = readManifest(path.join(root, b.path))
    if (typeof manifest !== "string" && manifest.content_sha256 !== b.content_sha256) {
      other.push(`bundle ${b.name}: its manifest's content_sha256 ${manifest.content_sha256.slice(0, 12)}… != release.json's ${b.content_sha256.slice(0, 12)}…`)
    }
  }
  const listed = new Set(index.bundles.flatMap((b) => b.files.map((f) => f.path)))
  // Dirent types are lstat types: a symlink (even to a folder) is listed as an entry, never followed.
  const unlisted = filesUnder(path.join(root, "bundles")).map((p) => `bundles/${p}`).filter((p) => !listed.has(p))
  const ok = (!signature.checked || signature.ok) && files.every((f) => f.ok) && unlisted.length === 0 && other.length === 0
  return { dir: root, index, signature, files, unlisted, other, ok }
}

function checkFile(root: string, f: { path: string; sha256: string; bytes: number }): { ok: boolean; problems: string[] } {
  if (!staysInside(f.path)) return { ok: false, problems: ["path leaves the release folder"] }
  const file = path.join(root, f.path)
  let stat: fs.Stats
  try {
    stat = fs.lstatSync(file)
  } catch {
    return { ok: false, problems: ["missing"] }
  }
  // A symlink could point anywhere, and a puller serving this folder must never follow one out of it.
  if (stat.isSymbolicLink()) return { ok: false, problems: ["a symbolic link, not a file"] }
  if (!stat.isFile()) return { ok: false, problems: ["not a regular file"] }
  const problems: string[] = []
  if (stat.size !== f.bytes) problems.push(`bytes ${stat.size} != release.json ${f.bytes}`)
  const sha = sha256File(file)
  if (sha !== f.sha256) problems.push(`sha256 ${sha.slice(0, 12)}… != release.json ${f.sha256.slice(0, 12)}…`)
  return { ok: problems.length === 0, problems }
}

/** All five steps. Bundle verifications that fail to run are reported, not raised. */
export const verifyRelease = (dir: string, options: ReleaseVerifyOptions = {}): Effect.Effect<ReleaseVerifyReport, never, DuckDB> =>
  Effect.gen(function* () {
    const files = checkReleaseFiles(dir, options)
    const bundles: Array<ReleaseVerifyReport["bundles"][number]> = []
    if (files.index !== null) {
      for (const b of files.index.bundles) {
        if (options.bundles !== undefined && !options.bundles.includes(b.name)) continue
        const bundleDir = path.join(files.dir, b.path)
        if (options.split !== undefined && b.files.some((f) => f.split !== null && f.split !== options.split)) {
          bundles.push({ name: b.name, dir: bundleDir, report: null, skipped: `only its ${options.split} split is expected`, error: null })
          continue
        }
        const result = yield* verifyBundle(bundleDir).pipe(
          Effect.map((report) => ({ report, error: null })),
          Effect.catch((e: DatasetError) => Effect.succeed({ report: null, error: e.message }))
        )
        bundles.push({ name: b.name, dir: bundleDir, skipped: null, ...result })
      }
    }
    const ok = files.ok && bundles.every((b) => b.error === null && (b.report === null || b.report.ok))
    return { ...files, bundles, ok }
  })
