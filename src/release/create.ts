/**
 * `scicurate release WORK --name NAME --to DIR [--key KEYFILE]`: the approved bundles of a work folder as
 * one immutable, optionally signed release (layout in ./schema.ts).
 *
 * What goes in: each bundle whose latest decision on its *current* content_sha256 is "approve". Every
 * other bundle (the unrouted set included: it needs an approval like any other) is listed in `left_out`
 * with its state. Of a released bundle, exactly the files its manifest names go in (manifest.json,
 * README.md, the Parquet and token shards), hard-linked when the release is on the same file system
 * (a later rerun of the bundle stage replaces files by rename, so the release keeps its inodes) and
 * copied otherwise. The hashes in release.json are computed from the files in the release folder itself,
 * after linking, and checked against the manifest: what is listed is what is there.
 *
 * The folder is built under a temporary sibling name and renamed into place, so it appears complete or
 * not at all. A release is immutable: the same name again with the same content (release.json equal but
 * for created_at and scicurate_version) is reported unchanged; anything else is refused, naming what
 * differs.
 *
 * Mixing table: each released bundle's `definition.sampling_weight`, normalised to sum to 1 over the
 * released bundles. The unrouted set has no definition, hence sampling weight 0: it is in the release
 * (a trainer can pull it) but out of the blend, unless no released bundle has a positive weight (only
 * the unrouted set released, or all weights 0): then the weights follow each bundle's train tokens, the
 * data's natural proportions, rather than dividing by zero. Token counts in the table are those of the
 * token shards (one EOS per document included): what Megatron samples from.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { createPublicKey, type KeyObject } from "node:crypto"
import { Data, Schema } from "effect"
import { readManifest, type Manifest } from "../bundle/manifest.ts"
import { UsageError } from "../core/errors.ts"
import { linkOrCopy, sha256File } from "../core/files.ts"
import { canonicalJson, isAlive, writeFileAtomic } from "../core/layout.ts"
import { creationTime, SCICURATE_VERSION } from "../core/version.ts"
import { readReviewLog, type ReviewDecision, type ReviewState } from "../review/log.ts"
import { bundleReviews, describeReview, type BundleReview } from "../review/states.ts"
import { resolveServeContext } from "../serve/context.ts"
import { RELEASE_INDEX, RELEASE_SIGNATURE, ReleaseIndex, type MixEntry, type ReleaseBundle, type ReleaseFile } from "./schema.ts"
import { keyId, signIndex } from "./sign.ts"

/** A release that cannot be made from what is there (nothing approved, files not matching manifests). */
export class ReleaseError extends Data.TaggedError("ReleaseError")<{ readonly message: string }> {}

type Split = "train" | "validation"
type LeftOut = ReleaseIndex["left_out"][number]
type ReleaseReview = ReleaseBundle["approval"]

// ---------------------------------------------------------------------------------------------------
// Pure planning

export interface ApprovedBundle {
  readonly name: string
  readonly dir: string
  readonly manifest: Manifest
  readonly review: ReviewState & { readonly current: ReviewDecision }
}

export interface Selection {
  readonly approved: ReadonlyArray<ApprovedBundle>
  readonly leftOut: ReadonlyArray<LeftOut>
  /** Bundles whose manifest cannot be read or does not match its hash: neither released nor listed. */
  readonly unreadable: ReadonlyArray<{ readonly name: string; readonly problem: string }>
}

/** Which bundles go in: approved for their current content. The rest with why, sorted by name. */
export function selectForRelease(reviews: ReadonlyArray<BundleReview>): Selection {
  const approved: ApprovedBundle[] = []
  const leftOut: LeftOut[] = []
  const unreadable: Array<{ name: string; problem: string }> = []
  for (const b of [...reviews].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
    if (b.manifest === null) unreadable.push({ name: b.name, problem: b.problem })
    else if (b.review.state === "approved") approved.push({ name: b.name, dir: b.dir, manifest: b.manifest, review: b.review as ApprovedBundle["review"] })
    else leftOut.push({ name: b.name, content_sha256: b.manifest.content_sha256, state: b.review.state, reason: describeReview(b.review) })
  }
  return { approved, leftOut, unreadable }
}

/** The files of a bundle that a release carries, bundle-relative, with the split of each shard. */
export function bundleFilePaths(manifest: Manifest): ReadonlyArray<{ readonly path: string; readonly split: Split | null; readonly expected: { sha256: string; bytes: number } | null }> {
  return [
    { path: "manifest.json", split: null, expected: null },
    { path: "README.md", split: null, expected: null },
    ...manifest.shards.map((s) => ({ path: s.path, split: s.split, expected: { sha256: s.sha256, bytes: s.bytes } })),
    ...manifest.token_shards.flatMap((t) => [t.bin, t.idx].map((f) => ({ path: f.path, split: t.split, expected: { sha256: f.sha256, bytes: f.bytes } })))
  ]
}

/** A bundle-relative path that stays inside the bundle (a manifest could name `../x` or `/etc/x`). */
export const staysInside = (p: string): boolean => p !== "" && !path.isAbsolute(p) && !p.split(/[\\/]/).some((c) => c === ".." || c === "")

const toReleaseReview = (d: ReviewDecision): ReleaseReview => ({
  decision: d.decision,
  curator: d.curator,
  note: d.note,
  at: d.at,
  via: d.via,
  content_sha256: d.content_sha256
})

export interface HashedBundle {
  readonly bundle: ApprovedBundle
  readonly manifestSha256: string
  /** Release-relative files with their hashes as found in the release folder. */
  readonly files: ReadonlyArray<ReleaseFile>
}

/** Sampling weights normalised over the released bundles, with the token prefixes per split (see the header). */
export function mixingTable(bundles: ReadonlyArray<{ readonly name: string; readonly manifest: Manifest }>): MixEntry[] {
  const tokensOf = (m: Manifest, split: Split) => m.token_shards.filter((t) => t.split === split).reduce((a, t) => a + t.tokens, 0)
  const declared = bundles.map((b) => b.manifest.definition?.sampling_weight ?? 0)
  const declaredSum = declared.reduce((a, w) => a + w, 0)
  const trainTokens = bundles.map((b) => tokensOf(b.manifest, "train"))
  const trainSum = trainTokens.reduce((a, t) => a + t, 0)
  const basis = declaredSum > 0 ? declared : trainSum > 0 ? trainTokens : bundles.map(() => 1)
  const basisSum = basis.reduce((a, w) => a + w, 0)
  return bundles.map((b, i) => ({
    bundle: b.name,
    weight: basisSum > 0 ? basis[i]! / basisSum : 0,
    sampling_weight: declared[i]!,
    tokens: { train: tokensOf(b.manifest, "train"), validation: tokensOf(b.manifest, "validation") },
    token_prefixes: b.manifest.token_shards.map((t) => ({ prefix: `bundles/${b.name}/${t.prefix}`, split: t.split, tokens: t.tokens }))
  }))
}

export function buildReleaseIndex(input: {
  readonly name: string
  readonly createdAt: string
  readonly bundles: ReadonlyArray<HashedBundle>
  readonly leftOut: ReadonlyArray<LeftOut>
}): ReleaseIndex {
  const bundles: ReleaseBundle[] = input.bundles.map(({ bundle: b, manifestSha256, files }) => ({
    name: b.name,
    path: `bundles/${b.name}`,
    manifest_sha256: manifestSha256,
    content_sha256: b.manifest.content_sha256,
    approval: toReleaseReview(b.review.current),
    reviews: b.review.history.filter((d) => d.content_sha256 === b.manifest.content_sha256).map(toReleaseReview),
    documents: b.manifest.totals.documents,
    tokens: b.manifest.totals.tokens,
    files: [...files].sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0))
  }))
  const first = input.bundles[0]!.bundle.manifest.tokenizer
  return {
    format: "scicurate-release/1",
    name: input.name,
    created_at: input.createdAt,
    scicurate_version: SCICURATE_VERSION,
    tokenizer: { name: first.name, eos_token_id: first.eos_token_id, vocabulary_size: first.vocabulary_size },
    bundles,
    left_out: [...input.leftOut],
    mixing: mixingTable(input.bundles.map((h) => ({ name: h.bundle.name, manifest: h.bundle.manifest }))),
    totals: {
      bundles: bundles.length,
      files: bundles.reduce((a, b) => a + b.files.length, 0),
      bytes: bundles.reduce((a, b) => a + b.files.reduce((s, f) => s + f.bytes, 0), 0),
      documents: bundles.reduce((a, b) => a + b.documents, 0),
      tokens: bundles.reduce((a, b) => a + b.tokens, 0)
    }
  }
}

/** release.json's bytes: canonical JSON (sorted keys, 2-space indent), validated against the schema. */
export function renderReleaseIndex(index: ReleaseIndex): string {
  return `${canonicalJson(Schema.decodeUnknownSync(ReleaseIndex)(index), 2)}\n`
}

/**
 * What differs between an existing release and the one asked for, in words; empty when they are the
 * same release. created_at and scicurate_version are not content: a rerun later, or by a newer
 * scicurate, of the same approvals on the same files is the same release.
 */
export function releaseDifferences(existing: ReleaseIndex, wanted: ReleaseIndex): string[] {
  const out: string[] = []
  const byName = (idx: ReleaseIndex) => new Map(idx.bundles.map((b) => [b.name, b]))
  const a = byName(existing)
  const b = byName(wanted)
  for (const name of a.keys()) if (!b.has(name)) out.push(`${name} is in the release but would not be now`)
  for (const name of b.keys()) if (!a.has(name)) out.push(`${name} would be added (not in the release)`)
  for (const [name, old] of a) {
    const now = b.get(name)
    if (now === undefined) continue
    if (old.content_sha256 !== now.content_sha256) out.push(`${name}: content ${old.content_sha256.slice(0, 12)}… released, now ${now.content_sha256.slice(0, 12)}…`)
    else if (old.manifest_sha256 !== now.manifest_sha256) out.push(`${name}: manifest.json bytes differ`)
    if (canonicalJson(old.approval) !== canonicalJson(now.approval)) out.push(`${name}: approved by ${old.approval.curator} at ${old.approval.at} in the release, now by ${now.approval.curator} at ${now.approval.at}`)
    if (canonicalJson(old.reviews) !== canonicalJson(now.reviews)) out.push(`${name}: ${old.reviews.length} review(s) of its content in the release, now ${now.reviews.length}`)
    const files = (x: ReleaseBundle) => new Map(x.files.map((f) => [f.path, canonicalJson(f)]))
    const fa = files(old)
    const fb = files(now)
    const changed = [...new Set([...fa.keys(), ...fb.keys()])].filter((p) => fa.get(p) !== fb.get(p)).sort()
    if (changed.length > 0) out.push(`${name}: files differ: ${changed.slice(0, 5).join(", ")}${changed.length > 5 ? `, … (${changed.length})` : ""}`)
  }
  const left = (idx: ReleaseIndex) => new Map(idx.left_out.map((l) => [l.name, canonicalJson(l)]))
  const la = left(existing)
  const lb = left(wanted)
  for (const name of [...new Set([...la.keys(), ...lb.keys()])].sort()) {
    if (a.has(name) || b.has(name) || la.get(name) === lb.get(name)) continue
    out.push(`left out ${name}: ${la.has(name) ? JSON.parse(la.get(name)!).state : "absent"} in the release, now ${lb.has(name) ? JSON.parse(lb.get(name)!).state : "absent"}`)
  }
  const rest = (idx: ReleaseIndex) => canonicalJson({ ...idx, created_at: null, scicurate_version: null })
  if (out.length === 0 && rest(existing) !== rest(wanted)) {
    if (existing.name !== wanted.name) out.push(`its release.json names it ${JSON.stringify(existing.name)}`)
    if (canonicalJson(existing.tokenizer) !== canonicalJson(wanted.tokenizer)) out.push(`tokenizer ${existing.tokenizer.name} in the release, now ${wanted.tokenizer.name}`)
    if (canonicalJson(existing.mixing) !== canonicalJson(wanted.mixing)) out.push("the mixing table differs")
    if (out.length === 0) out.push("release.json differs")
  }
  return out
}

// ---------------------------------------------------------------------------------------------------
// I/O

export interface ReleaseRequest {
  /** A work folder or a folder of bundles. */
  readonly source: string
  readonly name: string
  /** The folder of releases; the release goes to `<to>/<name>`. */
  readonly to: string
  readonly privateKey?: KeyObject | null
}

export interface ReleaseOutcome {
  readonly status: "created" | "unchanged"
  readonly dir: string
  readonly index: ReleaseIndex
  /** Files hard-linked and copied into the release (0 and 0 when unchanged). */
  readonly linked: number
  readonly copied: number
  /** key_id of the signing key, when signed now. */
  readonly signedBy: string | null
  /** What the user should hear about that did not stop the release (unreadable bundles, files not carried). */
  readonly warnings: ReadonlyArray<string>
}

const RELEASE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/** The folder of bundles and the review log's folder for WORK (a work folder or a folder of bundles). */
export function bundlesOf(source: string): { bundlesDir: string; reviewDir: string } | UsageError {
  const ctx = resolveServeContext(source)
  if (ctx instanceof UsageError || ctx.bundlesDir === null || ctx.reviewDir === null) {
    return new UsageError({ message: `${source}: not a work folder or a folder of bundles (no bundle folders with a manifest.json found)` })
  }
  return { bundlesDir: ctx.bundlesDir, reviewDir: ctx.reviewDir }
}

export function createRelease(req: ReleaseRequest): ReleaseOutcome | UsageError | ReleaseError {
  if (!RELEASE_NAME.test(req.name)) return new UsageError({ message: `--name ${JSON.stringify(req.name)}: a release name is letters, digits, . _ - (starting with a letter or digit, at most 128)` })
  const where = bundlesOf(req.source)
  if (where instanceof UsageError) return where
  const log = readReviewLog(where.reviewDir)
  // A release vouches for approvals: a log whose chain is broken may hold approvals nobody made.
  if (log.problems.length > 0) {
    return new ReleaseError({ message: `${log.file}: the review log is damaged (${log.problems.map((p) => `line ${p.line}: ${p.problem}`).join("; ")}); releases need an intact log` })
  }
  const selection = selectForRelease(bundleReviews(where.bundlesDir, log))
  const warnings = selection.unreadable.map((u) => `${u.name}: left out and not listed: ${u.problem}`)
  if (selection.approved.length === 0) {
    const states = selection.leftOut.map((l) => `${l.name} ${l.state}`).join(", ")
    return new ReleaseError({
      message: `${where.bundlesDir}: no approved bundle to release (${states || "no readable bundles"}); approve with: scicurate review BUNDLE_DIR --approve --note TEXT`
    })
  }
  const tokenizers = new Set(selection.approved.map((b) => b.manifest.tokenizer.name))
  if (tokenizers.size > 1) return new ReleaseError({ message: `approved bundles use different tokenizers (${[...tokenizers].join(", ")}): one release holds one tokenizer's token shards` })

  const to = path.resolve(req.to)
  const finalDir = path.join(to, req.name)
  if (fs.existsSync(finalDir) && !fs.existsSync(path.join(finalDir, RELEASE_INDEX))) {
    return new UsageError({ message: `${finalDir}: exists and is not a release (no ${RELEASE_INDEX}); choose another --name or --to` })
  }
  fs.mkdirSync(to, { recursive: true })
  removeAbandonedBuilds(to, req.name)
  const buildDir = path.join(to, `.${req.name}.${process.pid}.tmp`)
  fs.rmSync(buildDir, { recursive: true, force: true })
  try {
    const built = assemble(buildDir, selection.approved)
    if (built instanceof ReleaseError) return built
    warnings.push(...built.warnings)
    const index = buildReleaseIndex({ name: req.name, createdAt: creationTime(), bundles: built.bundles, leftOut: selection.leftOut })
    const text = renderReleaseIndex(index)

    const existing = readExisting(finalDir)
    if (existing instanceof UsageError) return existing
    if (existing !== null) {
      const differences = releaseDifferences(existing, index)
      if (differences.length > 0) return refusedAsDifferent(finalDir, differences)
      if (req.privateKey && !fs.existsSync(path.join(finalDir, RELEASE_SIGNATURE))) {
        warnings.push(`${finalDir} was released unsigned and stays so (a release never changes): release under a new --name to sign it`)
      }
      return { status: "unchanged", dir: finalDir, index: existing, linked: 0, copied: 0, signedBy: null, warnings }
    }
    writeFileAtomic(path.join(buildDir, RELEASE_INDEX), text)
    const signedBy = req.privateKey ? keyId(createPublicKey(req.privateKey)) : null
    if (req.privateKey) writeFileAtomic(path.join(buildDir, RELEASE_SIGNATURE), signIndex(Buffer.from(text, "utf8"), req.privateKey))
    try {
      fs.renameSync(buildDir, finalDir)
    } catch (e) {
      // Another release of the same name got there first (rename onto a non-empty folder fails): judge against it.
      const code = (e as NodeJS.ErrnoException).code
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw e
      const theirs = readExisting(finalDir)
      if (theirs instanceof UsageError || theirs === null) return theirs ?? new UsageError({ message: `${finalDir}: appeared while releasing` })
      const differences = releaseDifferences(theirs, index)
      if (differences.length > 0) return refusedAsDifferent(finalDir, differences)
      return { status: "unchanged", dir: finalDir, index: theirs, linked: 0, copied: 0, signedBy: null, warnings }
    }
    return { status: "created", dir: finalDir, index, linked: built.linked, copied: built.copied, signedBy, warnings }
  } finally {
    fs.rmSync(buildDir, { recursive: true, force: true })
  }
}

const refusedAsDifferent = (dir: string, differences: ReadonlyArray<string>) =>
  new UsageError({ message: `${dir}: already released with different content, and a release never changes (use a new --name): ${differences.join("; ")}` })

function readExisting(dir: string): ReleaseIndex | null | UsageError {
  const file = path.join(dir, RELEASE_INDEX)
  if (!fs.existsSync(file)) return null
  try {
    return Schema.decodeUnknownSync(ReleaseIndex)(JSON.parse(fs.readFileSync(file, "utf8")))
  } catch (e) {
    return new UsageError({ message: `${file}: exists but is not a scicurate release index (${(e as Error).message.split("\n")[0]}); choose another --name` })
  }
}

/**
 * Link (or copy) each approved bundle's files into the build folder and hash them there. The manifest
 * is re-read from the release's own copy: if a rerun replaced the bundle between selection and linking,
 * the content no longer matches the approval and the release stops instead of shipping unreviewed data.
 */
function assemble(buildDir: string, approved: ReadonlyArray<ApprovedBundle>): { bundles: HashedBundle[]; linked: number; copied: number; warnings: string[] } | ReleaseError {
  const bundles: HashedBundle[] = []
  const problems: string[] = []
  const warnings: string[] = []
  let linked = 0
  let copied = 0
  for (const b of approved) {
    const rel = `bundles/${b.name}`
    const files: ReleaseFile[] = []
    const carried = new Set<string>()
    for (const f of bundleFilePaths(b.manifest)) {
      if (!staysInside(f.path)) {
        problems.push(`${b.name}: manifest names ${JSON.stringify(f.path)}, outside the bundle folder`)
        continue
      }
      const source = path.join(b.dir, f.path)
      if (!fs.existsSync(source) || !fs.statSync(source).isFile()) {
        problems.push(`${b.name}: ${f.path} is missing`)
        continue
      }
      const target = path.join(buildDir, rel, f.path)
      const how = linkOrCopy(source, target)
      const sha256 = sha256File(target)
      const bytes = fs.statSync(target).size
      if (how === "linked") linked++
      else {
        copied++
        if (sha256File(source) !== sha256) problems.push(`${b.name}: ${f.path}: the copy's sha256 differs from the source's (copy failed or the file changed while copying)`)
      }
      if (f.expected !== null && (f.expected.sha256 !== sha256 || f.expected.bytes !== bytes)) {
        problems.push(`${b.name}: ${f.path} does not match the manifest (sha256 ${sha256.slice(0, 12)}…, ${bytes} bytes; manifest ${f.expected.sha256.slice(0, 12)}…, ${f.expected.bytes} bytes)`)
      }
      carried.add(f.path)
      files.push({ path: `${rel}/${f.path}`, sha256, bytes, split: f.split })
    }
    const copy = readManifest(path.join(buildDir, rel))
    if (typeof copy === "string" || copy.content_sha256 !== b.manifest.content_sha256) {
      problems.push(`${b.name}: the bundle changed while releasing (its manifest is no longer the approved content ${b.manifest.content_sha256.slice(0, 12)}…); run release again`)
    }
    for (const extra of filesUnder(b.dir)) if (!carried.has(extra)) warnings.push(`${b.name}: ${extra} is not named by the manifest, so it is not in the release`)
    const manifestEntry = files.find((f) => f.path === `${rel}/manifest.json`)
    if (manifestEntry !== undefined) bundles.push({ bundle: b, manifestSha256: manifestEntry.sha256, files })
  }
  if (problems.length > 0) return new ReleaseError({ message: `cannot release: ${problems.join("; ")} (scicurate verify BUNDLE_DIR shows the details)` })
  return { bundles, linked, copied, warnings }
}

/** Every file below a folder, relative and '/'-separated, sorted. */
export function filesUnder(root: string): string[] {
  const out: string[] = []
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
      const r = rel === "" ? e.name : `${rel}/${e.name}`
      if (e.isDirectory()) walk(r)
      else out.push(r)
    }
  }
  if (fs.existsSync(root)) walk("")
  return out
}

/** Build folders of this name left by a killed `release` (their pid is gone). */
function removeAbandonedBuilds(to: string, name: string): void {
  const pattern = new RegExp(`^\\.${name.replace(/[.]/g, "\\.")}\\.(\\d+)\\.tmp$`)
  for (const entry of fs.readdirSync(to)) {
    const m = pattern.exec(entry)
    if (m === null) continue
    if (!isAlive(Number(m[1]))) fs.rmSync(path.join(to, entry), { recursive: true, force: true })
  }
}
