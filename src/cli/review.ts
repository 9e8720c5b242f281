/**
 * Curators' commands from the shell:
 *   scicurate review BUNDLE_DIR --approve|--reject|--request-changes --note TEXT [--curator NAME]
 *   scicurate curators add NAME --file FILE
 *   scicurate keygen --out BASE
 * A shell decision goes to the same log as the web's (review/log.ts), marked via "cli", with the OS user
 * name as the curator unless --curator says otherwise: the shell user already has write access to the
 * work folder, so no token is asked for.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { ConfigError, UsageError } from "../core/errors.ts"
import { writeFileAtomic } from "../core/layout.ts"
import { generateKeyPairFiles } from "../release/sign.ts"
import { CURATORS_HEADER, newCuratorToken, parseCurators } from "../review/curators.ts"
import { appendDecision, readReviewLog, workDirOfBundle, type DecisionKind } from "../review/log.ts"
import { describeReview, reviewOfBundle } from "../review/states.ts"

/** main.ts prints an error's message alone: name the file in it, as every error line should. */
export const namingFile = (e: ConfigError): ConfigError => (e.message.startsWith(e.file) ? e : new ConfigError({ file: e.file, message: `${e.file}: ${e.message}` }))

export const reviewCommand = Command.make(
  "review",
  {
    bundle: Argument.String("bundle").pipe(Argument.withDescription("A bundle folder (holding manifest.json), e.g. work/demo/bundles/chemistry")),
    approve: Flag.Boolean("approve").pipe(Flag.withDescription("Approve the bundle's current content for release"), Flag.withDefault(false)),
    reject: Flag.Boolean("reject").pipe(Flag.withDescription("Reject the bundle's current content"), Flag.withDefault(false)),
    requestChanges: Flag.Boolean("request-changes").pipe(Flag.withDescription("Ask for changes (the bundle stays out of releases)"), Flag.withDefault(false)),
    note: Flag.String("note").pipe(Flag.withDescription("Why: kept in the review log and the release index")),
    curator: Flag.String("curator").pipe(Flag.withDescription("Who decides (default: the OS user name)"), Flag.optional)
  },
  (args) =>
    Effect.gen(function* () {
      const chosen: DecisionKind[] = [...(args.approve ? ["approve" as const] : []), ...(args.reject ? ["reject" as const] : []), ...(args.requestChanges ? ["request-changes" as const] : [])]
      if (chosen.length !== 1) return yield* new UsageError({ message: `give exactly one of --approve, --reject, --request-changes (got ${chosen.length === 0 ? "none" : chosen.map((c) => `--${c}`).join(" ")})` })
      const decision = chosen[0]!
      const dir = path.resolve(args.bundle)
      if (!fs.existsSync(path.join(dir, "manifest.json"))) return yield* new UsageError({ message: `${args.bundle}: not a bundle folder (no manifest.json)` })
      const curator = Option.getOrElse(args.curator, () => os.userInfo().username).trim()
      if (curator === "") return yield* new UsageError({ message: "--curator: give a name" })
      const workDir = workDirOfBundle(dir)
      const log = readReviewLog(workDir)
      const before = reviewOfBundle(dir, log)
      if (before.manifest === null) return yield* new ConfigError({ file: path.join(dir, "manifest.json"), message: before.problem })
      for (const p of log.problems) yield* Effect.sync(() => process.stderr.write(`scicurate: warning: ${log.file} line ${p.line}: ${p.problem}\n`))
      appendDecision(workDir, { bundle: before.name, content_sha256: before.manifest.content_sha256, decision, note: args.note, curator, via: "cli" })
      const after = reviewOfBundle(dir, readReviewLog(workDir))
      if (after.manifest === null) return yield* new ConfigError({ file: path.join(dir, "manifest.json"), message: after.problem })
      yield* Console.log(`${after.name}: ${after.review.state}  (content ${after.manifest.content_sha256.slice(0, 12)}…; was ${before.review.state})\n  ${describeReview(after.review)}`)
    })
).pipe(Command.withDescription("Record a curator's decision on a bundle's current content (approve, reject or request changes) in the work folder's review log"))

/** A curator name as the curators file takes it (see review/curators.ts). */
const CURATOR_NAME = /^[A-Za-z0-9._@-]{1,64}$/

const curatorsAdd = Command.make(
  "add",
  {
    name: Argument.String("name").pipe(Argument.withDescription("The curator's name (letters, digits, . _ @ -)")),
    file: Flag.String("file").pipe(Flag.withDescription("The curators file (created when missing), as given to serve --curators"))
  },
  (args) =>
    Effect.gen(function* () {
      if (!CURATOR_NAME.test(args.name)) return yield* new UsageError({ message: `${JSON.stringify(args.name)}: a curator name is 1 to 64 letters, digits, . _ @ -` })
      const exists = fs.existsSync(args.file)
      const text = exists ? fs.readFileSync(args.file, "utf8") : `${CURATORS_HEADER}\n`
      const listed = exists ? parseCurators(args.file, text) : []
      if (!(listed instanceof ConfigError) && listed.some((c) => c.name === args.name)) {
        return yield* new UsageError({ message: `${args.file}: curator ${args.name} is already listed (to give them a new token, delete their line first)` })
      }
      const { token, line } = newCuratorToken(args.name)
      const next = `${text}${text.endsWith("\n") || text === "" ? "" : "\n"}${line}\n`
      // Parse the file as it would be: a duplicate name or a damaged line is refused before anything is written.
      const parsed = parseCurators(args.file, next)
      if (parsed instanceof ConfigError) return yield* namingFile(parsed)
      const mode = exists ? fs.statSync(args.file).mode & 0o777 : 0o600
      writeFileAtomic(args.file, next)
      fs.chmodSync(args.file, mode)
      yield* Console.log(
        [
          `added curator ${args.name} to ${args.file} (${parsed.length} curator(s))`,
          `token: ${token}`,
          `This token is shown once and is not stored anywhere (${args.file} keeps only its sha256): give it to ${args.name} now.`
        ].join("\n")
      )
    })
).pipe(Command.withDescription("Add a curator and print their sign-in token once"))

export const curatorsCommand = Command.make("curators").pipe(
  Command.withDescription("Manage the curators file that lets curators record decisions in scicurate serve"),
  Command.withSubcommands([curatorsAdd])
)

export const keygenCommand = Command.make(
  "keygen",
  { out: Flag.String("out").pipe(Flag.withDescription("Base name: writes BASE.key (private, mode 0600) and BASE.pub")) },
  (args) =>
    Effect.gen(function* () {
      const made = generateKeyPairFiles(args.out)
      if (made instanceof ConfigError) return yield* namingFile(made)
      yield* Console.log(
        [
          `private key ${made.privateFile} (keep it secret; scicurate release --key ${made.privateFile})`,
          `public key  ${made.publicFile} (give it to trainers; scicurate verify/pull --public-key ${made.publicFile})`,
          `key id      ${made.keyId}`
        ].join("\n")
      )
    })
).pipe(Command.withDescription("Make an Ed25519 key pair for signing releases"))
