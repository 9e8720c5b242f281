/**
 * `scicurate serve DIR`: the curators' web application and the trainers' release file tree on one port.
 * Without --curators the server is read-only and may bind only to a loopback address: decisions need a
 * curator token, and an open read-only server on a shared network is refused rather than assumed safe.
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { ConfigError, UsageError } from "../core/errors.ts"
import { loadCurators } from "../review/curators.ts"
import { isLoopbackHost, resolveServeContext } from "../serve/context.ts"

export const serveCommand = Command.make(
  "serve",
  {
    dir: Argument.String("dir").pipe(Argument.withDescription("A work folder, a folder of bundles, a folder of releases, or one release")),
    host: Flag.String("host").pipe(Flag.withDescription("Address to listen on"), Flag.withDefault("127.0.0.1")),
    port: Flag.Int("port").pipe(Flag.withDescription("Port to listen on (0: any free port, printed at start)"), Flag.withDefault(8080)),
    curators: Flag.String("curators").pipe(Flag.withDescription("File of curator names and token hashes; without it the server is read-only"), Flag.optional),
    releases: Flag.String("releases").pipe(Flag.withDescription("A folder of releases to serve to trainers (default: DIR/releases when it exists)"), Flag.optional)
  },
  (args) =>
    Effect.gen(function* () {
      const curatorsFile = Option.getOrUndefined(args.curators)
      const curators = curatorsFile === undefined ? null : loadCurators(curatorsFile)
      if (curators instanceof ConfigError) return yield* curators
      if (curators === null && !isLoopbackHost(args.host))
        return yield* new UsageError({ message: `--host ${args.host}: refusing to serve beyond this machine without --curators (decisions need curator tokens)` })
      const ctx = resolveServeContext(args.dir, { releases: Option.getOrUndefined(args.releases), curators })
      if (ctx instanceof UsageError) return yield* ctx
      // The web stack loads only here: every other command starts without paying for it.
      const [{ serve }, { makeApp }] = yield* Effect.promise(() => Promise.all([import("@hono/node-server"), import("../serve/app.ts")]))
      const app = makeApp(ctx, { loopbackOnly: isLoopbackHost(args.host) })
      const server = yield* Effect.callback<ReturnType<typeof serve>, UsageError>((resume) => {
        const s = serve({ fetch: app.fetch, hostname: args.host, port: args.port }, () => resume(Effect.succeed(s)))
        s.on("error", (e) => resume(Effect.fail(new UsageError({ message: `cannot listen on ${args.host}:${args.port}: ${e.message}` }))))
      })
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : args.port
      const shownHost = args.host.includes(":") ? `[${args.host}]` : args.host
      yield* Console.log(
        [
          `scicurate serve: http://${shownHost}:${port}/  (${curators === null ? "read-only: no --curators" : `${curators.length} curator(s) may record decisions`})`,
          ...(ctx.bundlesDir !== null ? [`  bundles  ${ctx.bundlesDir}`] : []),
          ...(ctx.releasesDir !== null ? [`  releases ${ctx.releasesDir}  (http://${shownHost}:${port}/releases/NAME/)`] : [])
        ].join("\n")
      )
      // Serve until the process is stopped (Ctrl-C / SIGTERM interrupt this fiber), then close.
      yield* Effect.addFinalizer(() => Effect.sync(() => server.close()))
      return yield* Effect.never
    }).pipe(Effect.scoped)
).pipe(Command.withDescription("Web pages for curators to review bundles and record decisions; release files for trainers to pull"))
