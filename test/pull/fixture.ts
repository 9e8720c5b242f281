/**
 * What the pull tests serve: a real demo work folder (the sample corpus through the real CLI, small
 * shards and a large validation share so bundles have several shards in both splits), reviewed and
 * released with the real `scicurate review` and `scicurate release`, and a test proxy between pullers
 * and the server that can log, throttle, cut and corrupt.
 */
import { spawn, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import { serve } from "@hono/node-server"
import { writeSampleCorpus } from "../../src/demo/sample-corpus.ts"
import { RELEASE_INDEX, RELEASE_SIGNATURE, type ReleaseIndex } from "../../src/release/schema.ts"
import { loadPrivateKey, signIndex } from "../../src/release/sign.ts"
import { makeApp } from "../../src/serve/app.ts"
import { resolveServeContext } from "../../src/serve/context.ts"
import { cli, repoRoot, type CliResult } from "../helpers.ts"

/** A demo work folder with several shards per bundle and both splits; returns its bundles folder. */
export async function makeDemoWork(root: string): Promise<string> {
  const sample = path.join(root, "sample")
  await writeSampleCorpus(sample)
  const pipeline = path.join(root, "pull-demo.yaml")
  fs.writeFileSync(
    pipeline,
    fs
      .readFileSync(path.join(repoRoot, "pipelines/demo.yaml"), "utf8")
      .replace("${SCICURATE_SAMPLE:-../work/sample}", sample)
      .replace("validation_fraction: 0.05", "validation_fraction: 0.3")
      .replace("shard_bytes: 65536", "shard_bytes: 3000")
  )
  const work = path.join(root, "work")
  const r = cli(["run", pipeline, "--work", work, "--workers", "2"], { SOURCE_DATE_EPOCH: "1700000000" })
  if (r.status !== 0) throw new Error(`demo run failed:\n${r.stderr}`)
  return path.join(work, "bundles")
}

/**
 * A release of the bundles in `bundlesDir` at `<releasesDir>/<name>`, made as a curator and a data
 * engineer make one: `scicurate review` of every bundle (approve, or reject the ones named in
 * `reject`), then `scicurate release` (signed when `keyFile` is given). Returns the release folder.
 */
export function releaseBundles(bundlesDir: string, releasesDir: string, name: string, opts: { keyFile?: string; reject?: ReadonlyArray<string> } = {}): string {
  const env = { SOURCE_DATE_EPOCH: "1700000000" }
  for (const b of fs.readdirSync(bundlesDir).filter((d) => fs.existsSync(path.join(bundlesDir, d, "manifest.json"))).sort()) {
    const decision = opts.reject?.includes(b) ? "--reject" : "--approve"
    const r = cli(["review", path.join(bundlesDir, b), decision, "--note", `${decision.slice(2)} for the pull tests`, "--curator", "ada"], env)
    if (r.status !== 0) throw new Error(`review ${b} failed:\n${r.stderr}`)
  }
  const r = cli(["release", bundlesDir, "--name", name, "--to", releasesDir, ...(opts.keyFile !== undefined ? ["--key", opts.keyFile] : [])], env)
  if (r.status !== 0) throw new Error(`release failed:\n${r.stderr}`)
  return path.join(releasesDir, name)
}

/**
 * Rewrite a release's index (and re-sign it with `keyFile`): a release whose signer vouches for what
 * `scicurate release` would never write, such as a bundle on a "reject" decision.
 */
export function rewriteIndex(releaseDir: string, change: (index: ReleaseIndex) => ReleaseIndex, keyFile?: string): void {
  const file = path.join(releaseDir, RELEASE_INDEX)
  const text = `${JSON.stringify(change(JSON.parse(fs.readFileSync(file, "utf8")) as ReleaseIndex), null, 2)}\n`
  fs.writeFileSync(file, text)
  if (keyFile !== undefined) {
    const key = loadPrivateKey(keyFile)
    if (key instanceof Error) throw key
    fs.writeFileSync(path.join(releaseDir, RELEASE_SIGNATURE), signIndex(Buffer.from(text), key))
  }
}

export interface RunningServer {
  readonly url: string
  readonly close: () => Promise<void>
}

/** `scicurate serve`'s app on a free loopback port, in this process (a real HTTP server). */
export async function startServer(dir: string): Promise<RunningServer> {
  const ctx = resolveServeContext(dir)
  if (ctx instanceof Error) throw ctx
  const app = makeApp(ctx)
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, () => resolve(s))
  })
  const port = (server.address() as AddressInfo).port
  return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server as unknown as http.Server) }
}

const closeServer = (server: http.Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections?.()
    server.close(() => resolve())
  })

export interface ProxyRequest {
  readonly method: string
  readonly path: string
  readonly range: string | null
}

/** What the proxy does to the next responses; changed by a test between pulls. */
export interface ProxyBehaviour {
  /** Destroy the connection after this many body bytes of a response whose path ends so (once per path). */
  cut?: { suffix: string; afterBytes: number; times: number }
  /** Flip one byte of the body of responses whose path ends so, `times` times. */
  corrupt?: { suffix: string; times: number }
  /** Bytes per second per response (a slow network), by path suffix. */
  throttle?: { suffix: string; bytesPerSecond: number }
}

export interface Proxy {
  readonly url: string
  readonly requests: ProxyRequest[]
  behaviour: ProxyBehaviour
  readonly close: () => Promise<void>
}

/**
 * An HTTP proxy in front of `target` that logs every request (method, path, Range) and can cut a
 * response mid-body, flip a byte in it or slow it down: the faults a puller meets on a real network.
 */
export async function startProxy(target: string): Promise<Proxy> {
  const requests: ProxyRequest[] = []
  const proxy: Proxy = { url: "", requests, behaviour: {}, close: async () => {} }
  const server = http.createServer((req, res) => {
    const reqPath = req.url ?? "/"
    requests.push({ method: req.method ?? "GET", path: reqPath, range: (req.headers.range as string | undefined) ?? null })
    const upstream = http.request(`${target}${reqPath}`, { method: req.method, headers: { ...req.headers, host: new URL(target).host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers)
      const b = proxy.behaviour
      const cut = b.cut !== undefined && b.cut.times > 0 && reqPath.endsWith(b.cut.suffix) && up.statusCode !== 304 ? b.cut : null
      if (cut !== null) cut.times--
      const corrupt = b.corrupt !== undefined && b.corrupt.times > 0 && reqPath.endsWith(b.corrupt.suffix) && (up.statusCode === 200 || up.statusCode === 206) ? b.corrupt : null
      if (corrupt !== null) corrupt.times--
      const throttle = b.throttle !== undefined && reqPath.endsWith(b.throttle.suffix) ? b.throttle.bytesPerSecond : null
      let sent = 0
      let flipped = false
      let cutDone = false
      // Chunks are handled one after another (throttled ones wait), in order.
      let queue = Promise.resolve()
      const handle = async (chunk: Buffer) => {
        if (cutDone || res.destroyed) return
        let out = chunk
        if (corrupt !== null && !flipped && out.length > 0) {
          out = Buffer.from(out)
          out[Math.floor(out.length / 2)]! ^= 0xff
          flipped = true
        }
        if (cut !== null && sent + out.length >= cut.afterBytes) {
          cutDone = true
          res.write(out.subarray(0, Math.max(0, cut.afterBytes - sent)))
          up.destroy()
          // Let the partial body leave, then drop the connection without ending the response.
          await new Promise((r) => setTimeout(r, 20))
          res.socket?.destroy()
          return
        }
        sent += out.length
        if (throttle === null) {
          if (!res.write(out)) await new Promise((r) => res.once("drain", r))
          return
        }
        for (let at = 0; at < out.length && !res.destroyed; at += 512) {
          const slice = out.subarray(at, at + 512)
          res.write(slice)
          await new Promise((r) => setTimeout(r, (slice.length / throttle) * 1000))
        }
      }
      up.on("data", (chunk: Buffer) => {
        up.pause()
        queue = queue.then(() => handle(chunk)).then(() => {
          if (!cutDone) up.resume()
        })
      })
      up.on("end", () => {
        queue = queue.then(() => {
          if (!cutDone) res.end()
        })
      })
      up.on("error", () => res.socket?.destroy())
    })
    upstream.on("error", () => res.socket?.destroy())
    req.pipe(upstream)
    res.on("close", () => upstream.destroy())
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  const port = (server.address() as AddressInfo).port
  return Object.assign(proxy, { url: `http://127.0.0.1:${port}`, close: () => closeServer(server) })
}

/**
 * `scicurate ARGS` as a child process without blocking this process (the servers the tests start run
 * in it); `onSpawn` gets the child, e.g. to kill it.
 */
export function cliAsync(args: ReadonlyArray<string>, onSpawn?: (child: ChildProcess) => void): Promise<CliResult> {
  const child = spawn(process.execPath, [path.join(repoRoot, "bin/scicurate.mjs"), ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] })
  let stdout = ""
  let stderr = ""
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()))
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()))
  onSpawn?.(child)
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })))
}
