/**
 * TODO(release merged): replace with `scicurate release WORK --name NAME --to DIR --key KEY` once the
 * release command is on main. Until then the review-flow test needs a release folder, so this writes
 * one to the ReleaseIndex schema from a work folder's approved bundles (copies, every file hashed,
 * mixing table from the manifests, left-out list with reasons, Ed25519 signature).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { bundleFoldersIn } from "../../src/bundle/verify.ts"
import { canonicalJson } from "../../src/core/layout.ts"
import { sha256Hex } from "../../src/core/text.ts"
import { ReleaseIndex } from "../../src/release/schema.ts"
import { loadPrivateKey, signIndex } from "../../src/release/sign.ts"
import { readReviewLog, reviewState } from "../../src/review/log.ts"

const filesUnder = (dir: string): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]))

export function writeReleaseFromSchema(work: string, name: string, to: string, keyFile: string): string {
  const log = readReviewLog(work)
  const out = path.join(to, name)
  const bundles: Array<ReleaseIndex["bundles"][number]> = []
  const mixing: Array<Omit<ReleaseIndex["mixing"][number], "weight">> = []
  const leftOut: Array<ReleaseIndex["left_out"][number]> = []
  for (const dir of bundleFoldersIn(path.join(work, "bundles"))) {
    const bundle = path.basename(dir)
    const manifestBytes = fs.readFileSync(path.join(dir, "manifest.json"))
    const m = JSON.parse(manifestBytes.toString("utf8"))
    const review = reviewState(log, bundle, m.content_sha256)
    if (review.state !== "approved") {
      leftOut.push({ name: bundle, content_sha256: m.content_sha256, state: review.state, reason: review.state === "needs-review" ? "no decision on this content" : `${review.current!.decision} by ${review.current!.curator}: ${review.current!.note}` })
      continue
    }
    const splitOf = new Map<string, "train" | "validation">()
    for (const s of m.shards) splitOf.set(s.path, s.split)
    for (const t of m.token_shards) for (const f of [t.bin, t.idx]) splitOf.set(f.path, t.split)
    const files = filesUnder(dir).map((file) => {
      const rel = path.relative(dir, file).split(path.sep).join("/")
      const bytes = fs.readFileSync(file)
      fs.mkdirSync(path.dirname(path.join(out, "bundles", bundle, rel)), { recursive: true })
      fs.copyFileSync(file, path.join(out, "bundles", bundle, rel))
      return { path: `bundles/${bundle}/${rel}`, sha256: sha256Hex(bytes), bytes: bytes.length, split: splitOf.get(rel) ?? null }
    })
    const reviews = review.history.filter((d) => d.content_sha256 === m.content_sha256).map(({ decision, curator, note, at, via, content_sha256 }) => ({ decision, curator, note, at, via, content_sha256 }))
    bundles.push({ name: bundle, path: `bundles/${bundle}`, manifest_sha256: sha256Hex(manifestBytes), content_sha256: m.content_sha256, approval: reviews.at(-1)!, reviews, documents: m.totals.documents, tokens: m.totals.tokens, files })
    mixing.push({
      bundle,
      sampling_weight: m.definition?.sampling_weight ?? 1,
      tokens: { train: m.totals.train.tokens, validation: m.totals.validation.tokens },
      token_prefixes: m.token_shards.map((t: { prefix: string; split: "train" | "validation"; tokens: number }) => ({ prefix: `bundles/${bundle}/${t.prefix}`, split: t.split, tokens: t.tokens }))
    })
  }
  const weights = mixing.reduce((a, x) => a + x.sampling_weight, 0)
  const anyManifest = JSON.parse(fs.readFileSync(path.join(bundleFoldersIn(path.join(work, "bundles"))[0]!, "manifest.json"), "utf8"))
  const allFiles = bundles.flatMap((b) => b.files)
  const index = Schema.decodeUnknownSync(ReleaseIndex)({
    format: "scicurate-release/1",
    name,
    created_at: new Date(Number(process.env.SOURCE_DATE_EPOCH ?? 0) * 1000).toISOString(),
    scicurate_version: anyManifest.scicurate_version,
    tokenizer: anyManifest.tokenizer,
    bundles,
    left_out: leftOut,
    mixing: mixing.map((x) => ({ ...x, weight: x.sampling_weight / weights })),
    totals: {
      bundles: bundles.length,
      files: allFiles.length,
      bytes: allFiles.reduce((a, f) => a + f.bytes, 0),
      documents: bundles.reduce((a, b) => a + b.documents, 0),
      tokens: bundles.reduce((a, b) => a + b.tokens, 0)
    }
  })
  const bytes = `${canonicalJson(index, 2)}\n`
  fs.writeFileSync(path.join(out, "release.json"), bytes)
  const key = loadPrivateKey(keyFile)
  if (!("asymmetricKeyType" in key)) throw new Error(String(key))
  fs.writeFileSync(path.join(out, "release.json.sig"), signIndex(Buffer.from(bytes), key))
  return out
}
