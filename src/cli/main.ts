/**
 * The `scicurate` command line. Commands only parse flags, call the pipeline API and print; the work is
 * done in src/pipeline, src/executors and the stage folders.
 *
 * Exit codes: 0 success; 1 a stage failed or a bundle did not verify; 2 bad usage or an invalid config.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Cause, Console, Data, Effect, Exit, Option, Runtime } from "effect"
import { Argument, CliOutput, Command, Flag } from "effect/cli"
import { makeDuckDBLayer } from "../core/duckdb.ts"
import { ConfigError, SlurmError, UsageError } from "../core/errors.ts"
import { cancelSubmission, liveJobIds, readSubmission, renderSubmission, runOnSlurm, viewSubmission } from "../executors/slurm.ts"
import { slurmRunFlags, slurmSettingsOf } from "./slurm.ts"
import { shellWord } from "../core/text.ts"
import { SCICURATE_VERSION } from "../core/version.ts"
import { bundleFoldersIn, verifyBundle } from "../bundle/verify.ts"
import { loadPipeline, type StageName } from "../pipeline/config.ts"
import { executeStage, runPipeline, withLock } from "../pipeline/run.ts"
import { planSingleStage } from "../pipeline/single.ts"
import { STAGE_NAMES, STAGES, stageNamed } from "../pipeline/stages.ts"
import type { StageDefinition } from "../core/stage.ts"
import { formats } from "./formats.ts"
import { pullCommand } from "./pull.ts"
import { loadPublicKey } from "../release/sign.ts"
import { releaseFoldersIn, verifyRelease } from "../release/verify.ts"
import { releaseCommand, renderReleaseVerify } from "./release.ts"
import { curatorsCommand, keygenCommand, namingFile, reviewCommand } from "./review.ts"
import { qualityReportCommand } from "./quality-report.ts"
import { serveCommand } from "./serve.ts"
import { sqlCommand } from "./sql.ts"
import { readManifest, readWorkStatus, renderBundleTable, renderLock, renderManifestSummary, renderReviewTable, renderStatus, renderVerify } from "./report.ts"
import { bundlesOf } from "../release/create.ts"
import { reviewLineOf } from "../review/states.ts"

function bundleSummary(dir: string): string {
  const m = readManifest(dir)
  return typeof m === "string" ? m : renderManifestSummary(dir, m, reviewLineOf(dir))
}

/** A bundle that does not match its manifest: already reported line by line, so only the exit code is left. */
class VerifyFailed extends Data.TaggedError("VerifyFailed")<{}> {}

const log = (line: string) => process.stderr.write(`${line}\n`)

const workers = Flag.Int("workers").pipe(
  Flag.withDescription("Worker processes running tasks in parallel (default: the number of CPUs)"),
  Flag.optional
)
const workerCount = (w: Option.Option<number>): Effect.Effect<number, UsageError> => {
  const n = Option.getOrElse(w, () => os.availableParallelism())
  return n >= 1 ? Effect.succeed(n) : Effect.fail(new UsageError({ message: `--workers ${n}: give at least 1` }))
}
const stageFlag = (name: string, description: string) => Flag.String(name).pipe(Flag.withDescription(description), Flag.optional)
const configFlag = Flag.String("config").pipe(
  Flag.withDescription("A pipeline YAML whose stage of the same name gives this command its parameters"),
  Flag.optional
)
const outFlag = Flag.String("out").pipe(Flag.withDescription("Output folder"))

const asStage = (flag: string, value: Option.Option<string>) =>
  Option.match(value, {
    onNone: () => Effect.succeed(undefined),
    onSome: (v) =>
      STAGE_NAMES.includes(v)
        ? Effect.succeed(v as StageName)
        : Effect.fail(new UsageError({ message: `${flag} ${v}: unknown stage (expected one of ${STAGE_NAMES.join(", ")})` }))
  })

const run = Command.make(
  "run",
  {
    pipeline: Argument.String("pipeline").pipe(Argument.withDescription("Pipeline definition (YAML), e.g. pipelines/demo.yaml")),
    work: Flag.String("work").pipe(Flag.withDescription("Work folder (overrides the pipeline's)"), Flag.optional),
    workers,
    from: stageFlag("from", "Redo this stage and all later ones"),
    only: stageFlag("only", "Run only this stage (earlier stages must be complete)"),
    ...slurmRunFlags
  },
  (args) =>
    Effect.gen(function* () {
      const pipeline = yield* loadPipeline(args.pipeline, { work: Option.getOrUndefined(args.work) })
      const from = yield* asStage("--from", args.from)
      const only = yield* asStage("--only", args.only)
      if (args.executor === "slurm") {
        if (from || only) return yield* new UsageError({ message: "--from and --only are for the local executor; with --executor slurm, delete a stage's folder to redo it" })
        log(`scicurate ${SCICURATE_VERSION}: pipeline ${pipeline.config.name} (${args.pipeline}), work ${pipeline.work}, executor slurm`)
        const outcome = yield* runOnSlurm(pipeline, { settings: slurmSettingsOf(args), detach: args.detach, dryRun: args.dryRun, log, print: (text) => process.stdout.write(text) })
        if (outcome._tag !== "Finished") return
        yield* Console.log(renderStatus(readWorkStatus(pipeline.work)))
        if (pipeline.config.stages.some((s) => stageNamed(s.stage).cli.showsBundles)) yield* Console.log(`\n${renderBundleTable(pipeline.output)}`)
        return
      }
      if (args.detach || args.dryRun) return yield* new UsageError({ message: "--detach and --dry-run need --executor slurm" })
      // Jobs submitted to Slurm write into this work folder without holding its lock: do not run beside them.
      const submitted = readSubmission(pipeline.work)
      const queued = submitted === null ? [] : liveJobIds(submitted)
      if (Array.isArray(queued) && queued.length > 0) {
        return yield* new UsageError({ message: `${pipeline.work}: Slurm jobs ${queued.join(", ")} submitted for it are still queued; wait for them (run --executor slurm attaches) or scicurate cancel ${pipeline.work}` })
      }
      const w = yield* workerCount(args.workers)
      log(`scicurate ${SCICURATE_VERSION}: pipeline ${pipeline.config.name} (${args.pipeline}), work ${pipeline.work}, ${w} worker(s)`)
      const reports = yield* runPipeline(pipeline, { workers: w, from, only, log })
      const dirs = new Set(reports.map((r) => r.plan.dir))
      yield* Console.log(renderStatus(readWorkStatus(pipeline.work).filter((s) => dirs.has(s.plan.dir))))
      const bundles = reports.find((r) => stageNamed(r.plan.stage).cli.showsBundles)
      if (bundles) yield* Console.log(`\n${renderBundleTable(bundles.plan.pipeline.output)}`)
    })
).pipe(Command.withDescription("Run a pipeline: plan every stage, run pending tasks, resume after a crash"))

/** `scicurate <stage> IN --out DIR`: one command per stage, from what the stage declares. */
const singleStage = (definition: StageDefinition) => {
  const extraFlags = Object.fromEntries(
    Object.entries(definition.cli.flags ?? {}).map(([name, description]) => [name, Flag.String(name).pipe(Flag.withDescription(description), Flag.optional)])
  )
  const [argument, argumentDescription] = definition.cli.argument
  return Command.make(
    definition.name,
    {
      inputs: Argument.String(argument).pipe(Argument.withDescription(argumentDescription), Argument.variadic({ min: 1 })),
      out: outFlag,
      workers,
      config: configFlag,
      tasks: Flag.Int("tasks").pipe(Flag.withDescription("Number of tasks (default: from --config, else 4)"), Flag.optional),
      ...extraFlags
    },
    (args) =>
      Effect.gen(function* () {
        const params: Record<string, unknown> = {}
        if (Option.isSome(args.tasks)) params.tasks = args.tasks.value
        for (const key of Object.keys(extraFlags)) {
          const v = (args as unknown as Record<string, Option.Option<string>>)[key]!
          if (Option.isSome(v)) params[key] = definition.cli.listFlags?.includes(key) ? v.value.split(",").map((x) => x.trim()).filter((x) => x !== "") : v.value
        }
        const plan = yield* planSingleStage({ stage: definition.name, inputs: args.inputs, out: args.out, configFile: Option.getOrUndefined(args.config), params })
        yield* withLock(plan.dir, executeStage(plan, { workers: yield* workerCount(args.workers), log }))
        yield* Console.log(renderStatus(readWorkStatus(path.dirname(plan.dir)).filter((s) => s.plan.dir === plan.dir)))
        if (definition.cli.showsBundles) yield* Console.log(`\n${renderBundleTable(plan.pipeline.output)}`)
      })
  ).pipe(Command.withDescription(definition.cli.description))
}

/** A pipeline file stands for its work folder: what a user who ran `scicurate run FILE` reaches for. */
const workFolderOf = (arg: string) => (fs.existsSync(arg) && fs.statSync(arg).isFile() ? Effect.map(loadPipeline(arg), (p) => p.work) : Effect.succeed(arg))

const cancel = Command.make(
  "cancel",
  { work: Argument.String("work").pipe(Argument.withDescription("A work folder (or its pipeline file) whose Slurm jobs to cancel")) },
  (args) => Effect.flatMap(workFolderOf(args.work), (work) => Effect.flatMap(cancelSubmission(path.resolve(work)), Console.log))
).pipe(Command.withDescription("Cancel the Slurm jobs that `run --executor slurm` submitted for a work folder; finished tasks are kept"))

const status = Command.make(
  "status",
  { work: Argument.String("work").pipe(Argument.withDescription("A work folder (e.g. work/demo), a stage folder, or a pipeline file (its work folder)")) },
  (args) =>
    Effect.gen(function* () {
      const work = yield* workFolderOf(args.work)
      const here = readWorkStatus(work)
      const stages = here.length > 0 ? here : readWorkStatus(path.dirname(path.resolve(work))).filter((s) => s.plan.dir === path.resolve(work))
      // A run holds the work folder; a single-stage command holds its stage folder.
      const locks = [work, ...stages.map((s) => s.plan.dir)].flatMap((d) => renderLock(d) ?? [])
      if (stages.length === 0 && locks.length === 0) return yield* new UsageError({ message: `${work}: no stage plans found (not a scicurate work folder)` })
      // The curators' side: each bundle's review state, when the folder holds bundles.
      const bundles = stages.length > 0 ? bundlesOf(work) : null
      const reviews = bundles === null || bundles instanceof UsageError ? [] : [renderReviewTable(bundles.bundlesDir)]
      // Jobs submitted to Slurm: their state merged with the done markers, and where each failed task's log is.
      const submission = readSubmission(path.resolve(work))
      const slurm = submission === null ? [] : [yield* Effect.suspend(() => { const v = viewSubmission(submission); return v instanceof SlurmError ? Effect.succeed(`slurm: ${v.message}`) : Effect.succeed(renderSubmission(v)) })]
      yield* Console.log([...new Set(locks), ...(stages.length > 0 ? [renderStatus(stages)] : []), ...slurm, ...reviews].join("\n\n"))
    })
).pipe(Command.withDescription("What each stage did: tasks done, counts in/out/filtered/duplicates/rejected, time; whether a run is active (pid, since when, which stage); and each bundle's review state"))

const verify = Command.make(
  "verify",
  {
    bundle: Argument.String("bundle").pipe(Argument.withDescription("A bundle folder (holding manifest.json), a folder of bundles, a release folder (holding release.json) or a folder of releases")),
    publicKey: Flag.String("public-key").pipe(Flag.withDescription("A release's signer's public key (scicurate keygen): release.json.sig must be its good signature"), Flag.optional)
  },
  (args) =>
    Effect.gen(function* () {
      const keyFile = Option.getOrUndefined(args.publicKey)
      const releases = releaseFoldersIn(args.bundle)
      if (releases.length > 0) {
        const publicKey = keyFile === undefined ? null : loadPublicKey(keyFile)
        if (publicKey instanceof ConfigError) return yield* namingFile(publicKey)
        let ok = true
        for (const dir of releases) {
          const report = yield* verifyRelease(dir, { publicKey }).pipe(Effect.provide(makeDuckDBLayer({ threads: 2 })))
          yield* Console.log(renderReleaseVerify(report))
          ok &&= report.ok
        }
        if (!ok) return yield* new VerifyFailed()
        return
      }
      if (keyFile !== undefined) return yield* new UsageError({ message: `--public-key: ${args.bundle} is not a release folder (no release.json); bundles are not signed` })
      const folders = bundleFoldersIn(args.bundle)
      // Not a bundle and no bundles inside: let verifyBundle say so with its usual error.
      let ok = true
      for (const dir of folders.length > 0 ? folders : [args.bundle]) {
        const report = yield* verifyBundle(dir).pipe(Effect.provide(makeDuckDBLayer({ threads: 2 })))
        yield* Console.log(renderVerify(dir, report))
        ok &&= report.ok
      }
      if (!ok) return yield* new VerifyFailed()
    })
).pipe(Command.withDescription("Recompute every shard's checksum, size, rows and tokens (Parquet and token shards) against manifest.json; for a release, every file against release.json and its signature"))

const inspect = Command.make(
  "inspect",
  { bundle: Argument.String("bundle").pipe(Argument.withDescription("A bundle folder (holding manifest.json), or a folder of bundles")) },
  (args) =>
    Effect.gen(function* () {
      const folders = bundleFoldersIn(args.bundle)
      if (folders.length === 0) return yield* new UsageError({ message: `${args.bundle}: no manifest.json here or in its subfolders (not a bundle)` })
      yield* Console.log(folders.map(bundleSummary).join("\n\n"))
    })
).pipe(Command.withDescription("Print a bundle's manifest as a summary: review state, sizes, splits, breakdowns, routing scores, samples"))


const scicurate = Command.make("scicurate").pipe(
  Command.withDescription("Curate scientific papers, code and simulation outputs into training bundles"),
  Command.withSubcommands([run, ...STAGES.map(singleStage), status, cancel, verify, inspect, formats, sqlCommand, qualityReportCommand, serveCommand, reviewCommand, curatorsCommand, keygenCommand, releaseCommand, pullCommand])
)

/** effect/cli's own parse errors: already shown to the user, one line each (see tersePresenter). */
const CLI_PARSE_ERRORS = new Set(["UnrecognizedOption", "DuplicateOption", "MissingOption", "MissingArgument", "UnexpectedArgument", "InvalidValue", "UnknownSubcommand", "ValidationError"])

/**
 * A wrong command line gets one line per problem and a pointer to the help, on stderr; the whole help
 * text above an error buries the error. Help that was asked for (or a bare command) is shown as usual.
 */
const tersePresenter = CliOutput.layerPresenter({
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? Effect.sync(() => {
          for (const e of event.errors) process.stderr.write(`scicurate: ${e.message.replace(/\s*\n\s*/g, " ")}\n`)
          process.stderr.write(`Run '${event.commandPath.join(" ")} --help' for usage.\n`)
        })
      : CliOutput.defaultPresenter.present(event)
})

const program = Command.run(scicurate, { version: SCICURATE_VERSION }).pipe(
  Effect.catch((error: unknown) =>
    Effect.sync(() => {
      const tag = (error as { _tag?: string })._tag ?? ""
      if (tag === "VerifyFailed") {
        process.exitCode = 1
      } else if (tag === "ShowHelp") {
        // Help asked for (exit 0), or shown because the command line was wrong (exit 2).
        process.exitCode = ((error as { errors?: ReadonlyArray<unknown> }).errors?.length ?? 0) > 0 ? 2 : 0
      } else if (CLI_PARSE_ERRORS.has(tag)) {
        process.exitCode = 2
      } else {
        const message = (error as { message?: string }).message ?? String(error)
        process.stderr.write(`scicurate: ${message}\n`)
        process.exitCode = tag === "ConfigError" || tag === "UsageError" ? 2 : 1
      }
    })
  ),
  // A defect (a bug, not bad input) still gets a one-line message on stderr and exit code 1.
  Effect.catchDefect((defect) =>
    Effect.sync(() => {
      process.stderr.write(`scicurate: internal error: ${defect instanceof Error ? (defect.stack ?? defect.message) : String(defect)}\n`)
      process.exitCode = 1
    })
  ),
  Effect.provide(tersePresenter),
  Effect.provide(NodeServices.layer)
)

/**
 * Ctrl-C (SIGINT) or SIGTERM: the runtime interrupts the command, which stops the workers and releases
 * the work folder's lock on its way out (finished tasks stay finished). Then say how to carry on, and
 * exit 130 or 143 as shells expect of a process stopped by those signals.
 */
let stoppedBy: "SIGINT" | "SIGTERM" | null = null
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stoppedBy !== null) return
    stoppedBy = signal
    process.stderr.write(`\nscicurate: ${signal} received: ${process.argv[2] === "serve" ? "closing the server" : onSlurm ? "no longer following the Slurm jobs (they go on)" : "stopping the workers and releasing the lock"}\n`)
  })
}
/** `run --executor slurm`: a signal stops the following, not the jobs. */
const onSlurm = process.argv[2] === "run" && process.argv.some((a, i) => a === "--executor=slurm" || (a === "slurm" && process.argv[i - 1] === "--executor"))
/** What a stopped command leaves behind and how to carry on, per command. */
const afterStop = (command: string | undefined): string =>
  onSlurm
    ? "; the submitted jobs go on in Slurm (scicurate cancel WORK stops them). To follow them again, run again:"
    : command === "serve"
    ? ". To serve again, run:"
    : command === "pull"
      ? "; files already verified are kept and partial files (.part) resume where they stopped. To resume, run again:"
      : "; finished tasks are kept. To resume, run again:"

NodeRuntime.runMain(program as Effect.Effect<void>, {
  teardown: (exit, onExit) => {
    if (stoppedBy !== null && Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) {
      const command = ["scicurate", ...process.argv.slice(2)].map(shellWord).join(" ")
      process.stderr.write(`scicurate: stopped by ${stoppedBy}${afterStop(process.argv[2])}\n  ${command}\n`)
      return onExit(stoppedBy === "SIGTERM" ? 143 : 130)
    }
    Runtime.defaultTeardown(exit, onExit)
  }
})
