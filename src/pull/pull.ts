/**
 * `scicurate pull SOURCE --to DIR`: a release onto a training machine, verified. In order: fetch
 * release.json (and its signature); with a public key, stop unless the signature holds; plan the files
 * (src/pull/plan.ts: approved bundles only, the selected bundles and split); fetch them in parallel
 * (src/pull/transfer.ts: resumable, verified while streaming); then write the index and signature into
 * DIR and the Megatron blend. The command then runs the release verify on DIR (src/release/verify.ts,
 * limited to the pulled bundles and split): every file once more from disk, and each bundle's own check.
 *
 * DIR mirrors the release folder (DIR/release.json, DIR/bundles/<name>/...), so a pulled release can be
 * served or pulled again. A DIR holding another release is refused: its files would mix.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { lockDir, writeFileAtomic } from "../core/layout.ts"
import { RELEASE_INDEX, RELEASE_SIGNATURE, ReleaseIndex } from "../release/schema.ts"
import { checkIndexSignature } from "../release/sign.ts"
import { indexProblems } from "../release/verify.ts"
import type { KeyObject } from "node:crypto"
import { blendText, megatronBlend, perSplitDataArgs, planPull, type PullPlan, type PullSelection } from "./plan.ts"
import { openSource, SourceError } from "./source.ts"
import { eachInParallel, FileFailed, fetchFile, pullProgress, type FileOutcome } from "./transfer.ts"

export const BLEND_FILE = "megatron-blend.txt"
export const DATA_ARGS_FILE = "megatron-data-args.json"

export interface PullOptions extends PullSelection {
  readonly source: string
  readonly to: string
  readonly parallel: number
  readonly publicKey: KeyObject | null
}

/** The pull could not be done as asked (exit 1): a bad signature, a damaged file, an unreachable source. */
export class PullFailed extends Error {}
/** The command was used wrongly (exit 2): an unknown bundle, a destination holding another release. */
export class PullUsage extends Error {}

export interface PullReport {
  readonly release: string
  readonly source: string
  readonly dir: string
  readonly plan: PullPlan
  readonly outcomes: Readonly<Record<FileOutcome, number>>
  readonly signature: string
  readonly blend: { readonly text: string; readonly json: string } | null
}

const decodeIndex = Schema.decodeUnknownSync(ReleaseIndex)

export async function pull(opts: PullOptions, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<PullReport> {
  const source = openSource(opts.source, opts.parallel)
  if (source instanceof SourceError) throw new PullFailed(source.message)
  try {
    return await pullFrom(source, opts, log)
  } finally {
    source.close()
  }
}

async function pullFrom(source: Exclude<ReturnType<typeof openSource>, SourceError>, opts: PullOptions, log: (line: string) => void): Promise<PullReport> {
  const dir = path.resolve(opts.to)
  const read = async (name: string) => {
    try {
      return await source.readSmall(name)
    } catch (e) {
      throw new PullFailed(`${source.label}: cannot read ${name}: ${(e as Error).message}`)
    }
  }
  const indexBytes = await read(RELEASE_INDEX)
  if (indexBytes === null) throw new PullFailed(`${source.label}: no ${RELEASE_INDEX} (not a release)`)
  const signatureBytes = await read(RELEASE_SIGNATURE)

  let signature = "not checked (no --public-key)"
  if (opts.publicKey !== null) {
    const check = checkIndexSignature(indexBytes, signatureBytes === null ? null : signatureBytes.toString("utf8"), opts.publicKey)
    if (!check.ok) throw new PullFailed(`${source.label}${RELEASE_INDEX}: signature check failed: ${check.reason}; nothing was fetched`)
    signature = `verified (key ${check.keyId.slice(0, 16)}…)`
  } else if (signatureBytes === null) {
    signature = "none (the release is not signed)"
  }

  let index: ReleaseIndex
  try {
    index = decodeIndex(JSON.parse(indexBytes.toString("utf8")))
  } catch (e) {
    throw new PullFailed(`${source.label}${RELEASE_INDEX}: not a scicurate release index: ${(e as Error).message.split("\n")[0]}`)
  }

  // An index that contradicts itself (a bundle released on a decision other than an approval of its
  // content, paths out of the release, totals that do not add up) is not pulled at all.
  const problems = indexProblems(index)
  if (problems.length > 0) throw new PullFailed(`${source.label}${RELEASE_INDEX}: the index contradicts itself; nothing was fetched:\n${problems.map((p) => `  ${p}`).join("\n")}`)

  const existing = path.join(dir, RELEASE_INDEX)
  if (fs.existsSync(existing) && !fs.readFileSync(existing).equals(indexBytes)) {
    const other = (() => {
      try {
        return (JSON.parse(fs.readFileSync(existing, "utf8")) as { name?: string }).name ?? "?"
      } catch {
        return "?"
      }
    })()
    throw new PullUsage(`--to ${opts.to}: holds release ${other}${other === index.name ? " with another index" : ""}; pull release ${index.name} into another folder`)
  }

  // Two pulls into one folder would write the same parts at once.
  const lock = lockDir(dir)
  if ("heldBy" in lock) throw new PullFailed(`--to ${opts.to}: another scicurate process (pid ${lock.heldBy}) is using it; wait for it (if none runs, delete ${lock.file})`)
  try {
    return await pullInto(source, opts, dir, index, indexBytes, signatureBytes, signature, log)
  } finally {
    lock.release()
  }
}

async function pullInto(
  source: Exclude<ReturnType<typeof openSource>, SourceError>,
  opts: PullOptions,
  dir: string,
  index: ReleaseIndex,
  indexBytes: Buffer,
  signatureBytes: Buffer | null,
  signature: string,
  log: (line: string) => void
): Promise<PullReport> {
  const existing = path.join(dir, RELEASE_INDEX)
  const plan = planPull(index, opts)
  if ("error" in plan) throw new (plan.error.startsWith("--bundles") ? PullUsage : PullFailed)(plan.error)
  for (const r of plan.refused) log(`scicurate pull: ${r}`)
  log(
    `scicurate pull: release ${index.name} from ${source.label}: ${plan.bundles.length} bundle(s) (${plan.bundles.map((b) => b.name).join(", ")}), ${plan.files.length} files${opts.split !== null ? ` (split ${opts.split} and every bundle's manifest and card)` : ""}, ${opts.parallel} at a time; signature ${signature}`
  )

  const progress = pullProgress(plan.bytes, plan.files.length)
  const outcomes: Record<FileOutcome, number> = { present: 0, fetched: 0, resumed: 0 }
  const failures = await eachInParallel(plan.files, opts.parallel, async (file) => {
    const outcome = await fetchFile(source, file, dir, progress.moved, progress.say)
    outcomes[outcome]++
    progress.fileDone()
  })
  progress.finish()
  if (failures.length > 0) {
    const lines = failures.map((f) => `  ${f instanceof FileFailed ? f.message : `internal: ${(f as Error).stack ?? String(f)}`}`)
    throw new PullFailed(`${failures.length} file(s) not pulled (rerun to resume the rest):\n${lines.join("\n")}`)
  }

  writeFileAtomic(existing, indexBytes)
  if (signatureBytes !== null) writeFileAtomic(path.join(dir, RELEASE_SIGNATURE), signatureBytes)
  else fs.rmSync(path.join(dir, RELEASE_SIGNATURE), { force: true })

  const blend = megatronBlend(index.mixing, plan, opts.split, dir)
  let written: PullReport["blend"] = null
  if (blend.train !== null || blend.valid !== null) {
    written = { text: path.join(dir, BLEND_FILE), json: path.join(dir, DATA_ARGS_FILE) }
    writeFileAtomic(written.text, blendText(blend))
    writeFileAtomic(written.json, perSplitDataArgs(blend))
    if (/\s/.test(dir)) log(`scicurate pull: ${dir} contains whitespace: ${BLEND_FILE} cannot be read by Megatron's --data-args-path (it splits on whitespace); use ${DATA_ARGS_FILE}`)
  }
  return { release: index.name, source: source.label, dir, plan, outcomes, signature, blend: written }
}
