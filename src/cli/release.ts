/**
 * `scicurate release WORK --name NAME --to DIR [--key KEYFILE]`: assemble the approved bundles into an
 * immutable release (src/release/create.ts) and say what went in, what was left out and why.
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { ConfigError, UsageError } from "../core/errors.ts"
import { fmtBytes, fmtInt } from "../executors/progress.ts"
import { createRelease, ReleaseError, type ReleaseOutcome } from "../release/create.ts"
import { RELEASE_SIGNATURE } from "../release/schema.ts"
import { loadPrivateKey } from "../release/sign.ts"
import type { ReleaseVerifyReport } from "../release/verify.ts"
import { renderVerify } from "./report.ts"
import { namingFile } from "./review.ts"

export function renderReleaseOutcome(o: ReleaseOutcome): string {
  const i = o.index
  const lines: string[] = []
  if (o.status === "unchanged") lines.push(`release ${i.name}: already released, unchanged (${o.dir}, created ${i.created_at})`)
  else {
    lines.push(`release ${i.name}: ${o.dir}`)
    lines.push(`  ${i.totals.bundles} bundle(s), ${fmtInt(i.totals.files)} file(s), ${fmtBytes(i.totals.bytes)}, ${fmtInt(i.totals.documents)} documents, ${fmtInt(i.totals.tokens)} tokens (${i.tokenizer.name})`)
    lines.push(`  files: ${o.linked} hard-linked, ${o.copied} copied (and checked by sha256)`)
    lines.push(o.signedBy === null ? "  not signed (no --key)" : `  signed: ${RELEASE_SIGNATURE} by key ${o.signedBy}`)
  }
  lines.push("released (approved for their current content):")
  for (const b of i.bundles) {
    const mix = i.mixing.find((m) => m.bundle === b.name)
    lines.push(`  ${b.name}: ${fmtInt(b.documents)} documents, ${fmtInt(b.tokens)} tokens, weight ${mix ? mix.weight.toFixed(4) : "-"}; approved by ${b.approval.curator} (${b.approval.via}, ${b.approval.at})`)
  }
  if (i.left_out.length > 0) {
    lines.push("left out (not approved for their current content):")
    for (const l of i.left_out) lines.push(`  ${l.name}: ${l.reason}`)
  }
  for (const w of o.warnings) lines.push(`warning: ${w}`)
  return lines.join("\n")
}

export const releaseCommand = Command.make(
  "release",
  {
    work: Argument.String("work").pipe(Argument.withDescription("A work folder (e.g. work/demo) or a folder of bundles")),
    name: Flag.String("name").pipe(Flag.withDescription("The release's name (its folder under --to); a name is released once")),
    to: Flag.String("to").pipe(Flag.withDescription("The folder of releases, e.g. work/demo/releases")),
    key: Flag.String("key").pipe(Flag.withDescription("Ed25519 private key (scicurate keygen) to sign release.json with"), Flag.optional)
  },
  (args) =>
    Effect.gen(function* () {
      const keyFile = Option.getOrUndefined(args.key)
      const privateKey = keyFile === undefined ? null : loadPrivateKey(keyFile)
      if (privateKey instanceof ConfigError) return yield* namingFile(privateKey)
      const outcome = createRelease({ source: args.work, name: args.name, to: args.to, privateKey })
      if (outcome instanceof UsageError || outcome instanceof ReleaseError) return yield* outcome
      yield* Console.log(renderReleaseOutcome(outcome))
    })
).pipe(Command.withDescription("Assemble the approved bundles into a release: hard links or copies, release.json with every file's sha256, the mixing table, an optional Ed25519 signature; never changes once made"))

/** `verify RELEASE_DIR`: the signature, then only the files that do not match (a release may list thousands), then each bundle. */
export function renderReleaseVerify(r: ReleaseVerifyReport): string {
  const lines: string[] = []
  const sig = r.signature
  lines.push(sig.checked ? `${sig.ok ? "ok      " : "FAILED  "} signature: ${sig.detail}` : `         signature: ${sig.detail}`)
  for (const f of r.files) if (!f.ok) lines.push(`MISMATCH ${f.path}: ${f.problems.join("; ")}`)
  for (const u of r.unlisted) lines.push(`UNLISTED ${u}: not in release.json`)
  for (const o of r.other) lines.push(`PROBLEM  ${o}`)
  const good = r.files.filter((f) => f.ok).length
  lines.push(`${good === r.files.length ? "ok      " : "MISMATCH"} ${good}/${r.files.length} listed file(s) match release.json (size and sha256)`)
  for (const b of r.bundles) {
    if (b.skipped !== null) lines.push(`skipped  bundle ${b.name}: ${b.skipped}`)
    else if (b.error !== null) lines.push(`FAILED   bundle ${b.name}: ${b.error}`)
    else if (b.report !== null) lines.push(renderVerify(b.dir, b.report))
  }
  const bad = r.files.filter((f) => !f.ok).length + r.unlisted.length + r.other.length + (sig.checked && !sig.ok ? 1 : 0) + r.bundles.filter((b) => b.error !== null || (b.report !== null && !b.report.ok)).length
  const name = r.index === null ? r.dir : `release ${r.index.name} (${r.dir})`
  lines.push(r.ok ? `verified ${name}: ${r.files.length} file(s), ${r.bundles.length} bundle(s)${sig.checked ? ", signature good" : ""}` : `FAILED ${name}: ${bad} problem(s)`)
  return lines.join("\n")
}
