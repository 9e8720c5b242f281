/**
 * `scicurate pull URL_OR_PATH --to DIR`: fetch a release for training (see src/pull/pull.ts). Exit 1
 * when the signature fails or a file cannot be pulled intact; 2 for a wrong command line.
 */
import { Console, Data, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { ConfigError, UsageError } from "../core/errors.ts"
import { fmtBytes } from "../executors/progress.ts"
import { PullFailed, PullUsage, pull } from "../pull/pull.ts"
import { loadPublicKey } from "../release/sign.ts"
import { verifyRelease } from "../release/verify.ts"
import { makeDuckDBLayer } from "../core/duckdb.ts"
import { renderReleaseVerify } from "./release.ts"

class PullError extends Data.TaggedError("PullError")<{ readonly message: string }> {}

export const pullCommand = Command.make(
  "pull",
  {
    source: Argument.String("source").pipe(Argument.withDescription("A release: http(s)://HOST:PORT/releases/NAME/ (scicurate serve) or a release folder")),
    to: Flag.String("to").pipe(Flag.withDescription("Destination folder (mirrors the release folder; rerun to resume)")),
    bundles: Flag.String("bundles").pipe(Flag.withDescription("Only these bundles, comma-separated (default: every bundle of the release)"), Flag.optional),
    split: Flag.String("split").pipe(Flag.withDescription("Only this split's shards: train or validation (manifests and cards always)"), Flag.optional),
    parallel: Flag.Int("parallel").pipe(Flag.withDescription("Files fetched at once"), Flag.withDefault(4)),
    publicKey: Flag.String("public-key").pipe(Flag.withDescription("Check release.json's signature with this Ed25519 public key (scicurate keygen); stop if it fails"), Flag.optional)
  },
  (args) =>
    Effect.gen(function* () {
      const split = Option.getOrNull(args.split)
      if (split !== null && split !== "train" && split !== "validation") return yield* new UsageError({ message: `--split ${split}: expected train or validation` })
      if (args.parallel < 1) return yield* new UsageError({ message: `--parallel ${args.parallel}: give at least 1` })
      const keyFile = Option.getOrUndefined(args.publicKey)
      const publicKey = keyFile === undefined ? null : loadPublicKey(keyFile)
      if (publicKey instanceof ConfigError) return yield* publicKey
      const bundles = Option.match(args.bundles, { onNone: () => null, onSome: (b) => b.split(",").map((s) => s.trim()).filter(Boolean) })
      const report = yield* Effect.tryPromise({
        try: () => pull({ source: args.source, to: args.to, bundles, split, parallel: args.parallel, publicKey }),
        catch: (e) => (e instanceof PullUsage ? new UsageError({ message: e.message }) : new PullError({ message: e instanceof PullFailed ? e.message : `internal error: ${(e as Error).stack ?? e}` }))
      })
      const { outcomes, plan } = report
      // The last word: the release verify of what now sits in DIR (files from disk, each pulled bundle's own check).
      const verified = yield* verifyRelease(report.dir, { publicKey, bundles: plan.bundles.map((b) => b.name), ...(split !== null ? { split } : {}) }).pipe(
        Effect.provide(makeDuckDBLayer({ threads: 2 }))
      )
      if (!verified.ok) {
        yield* Console.error(renderReleaseVerify(verified))
        return yield* new PullError({ message: `${report.dir}: the pulled release does not verify (see above); rerun the pull to fetch the damaged files again` })
      }
      yield* Console.log(
        [
          `pulled release ${report.release} into ${report.dir}: ${plan.bundles.length} bundle(s), ${plan.files.length} files, ${fmtBytes(plan.bytes)} (${outcomes.fetched} fetched, ${outcomes.resumed} resumed, ${outcomes.present} already in place); verified (${verified.files.length} files, ${verified.bundles.filter((b) => b.report !== null).length} bundle check(s))`,
          `signature: ${report.signature}`,
          ...(report.blend !== null
            ? [`Megatron: --data-args-path ${report.blend.text}  (train blend)`, `          --per-split-data-args-path ${report.blend.json}  (train and valid)`]
            : ["Megatron: no token shards pulled, no blend written"])
        ].join("\n")
      )
    })
).pipe(Command.withDescription("Fetch a release for training: signature check, approved bundles only, resumable verified downloads, Megatron blend"))
