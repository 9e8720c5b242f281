/**
 * What the pull tests serve: a real demo work folder (the sample corpus through the real CLI, small
 * shards and a large validation share so bundles have several shards in both splits), made into a
 * release folder, and a test proxy between pullers and the server that can log, throttle, cut and
 * corrupt.
 *
 * `buildRelease` is a stand-in for `scicurate release` (src/release/create.ts, being written on another
 * branch): it writes release.json per src/release/schema.ts and signs it. It goes once that command is on
 * main.
 */
import { spawn, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as path from "node:path"
import { serve } from "@hono/node-server"
import { canonicalJson } from "../../src/core/layout.ts"
import { sha256Hex } from "../../src/core/text.ts"
import { writeSampleCorpus } from "../../src/demo/sample-corpus.ts"
import type { Manifest } from "../../src/bundle/manifest.ts"
import { RELEASE_INDEX, RELEASE_SIGNATURE, type ReleaseBundle, type ReleaseIndex, type MixEntry, type ReleaseFile } from "../../src/release/schema.ts"
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

const walk = (dir: string, rel = ""): string[] =>
  fs
    .readdirSync(path.join(dir, rel), { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => (e.isDirectory() ? walk(dir, path.posix.join(rel, e.name)) : [path.posix.join(rel, e.name)]))

/**
 * A release of the bundles in `bundlesDir` at `<releasesDir>/<name>`: each bundle copied, release.json
 * with every file's sha256, size and split, approvals bound to each manifest's content_sha256, a mixing
 * table, and a signature when `keyFile` is given. `decision` lets a test put in a bundle whose approval
 * is not an approval (a release that lies).
 */
export function buildRelease(
  bundlesDir: string,
  releasesDir: string,
  name: string,
  opts: { keyFile?: string; decision?: (bundle: string) => "approve" | "reject"; leftOut?: ReadonlyArray<string> } = {}
): string {
  const dir = path.join(releasesDir, name)
  fs.mkdirSync(dir, { recursive: true })
  const at = "2023-11-14T22:13:20.000Z"
  const names = fs.readdirSync(bundlesDir).filter((b) => fs.existsSync(path.join(bundlesDir, b, "manifest.json"))).sort()
  const bundles: ReleaseBundle[] = []
  const mixing: MixEntry[] = []
  const leftOut: ReleaseIndex["left_out"][number][] = []
  let tokenizer: ReleaseIndex["tokenizer"] = { name: "o200k_base", eos_token_id: 199999, vocabulary_size: 200019 }
  for (const b of names) {
    const src = path.join(bundlesDir, b)
    const manifestBytes = fs.readFileSync(path.join(src, "manifest.json"))
    const m = JSON.parse(manifestBytes.toString("utf8")) as Manifest
    if (opts.leftOut?.includes(b)) {
      leftOut.push({ name: b, content_sha256: m.content_sha256, state: "needs-review", reason: "no decision on this content yet" })
      continue
    }
    tokenizer = m.tokenizer
    fs.cpSync(src, path.join(dir, "bundles", b), { recursive: true })
    const splitOf = new Map<string, "train" | "validation">()
    for (const s of m.shards) splitOf.set(s.path, s.split)
    for (const t of m.token_shards) for (const f of [t.bin, t.idx]) splitOf.set(f.path, t.split)
    const files: ReleaseFile[] = walk(src).map((rel) => {
      const bytes = fs.readFileSync(path.join(src, rel))
      return { path: `bundles/${b}/${rel}`, sha256: sha256Hex(bytes), bytes: bytes.length, split: splitOf.get(rel) ?? null }
    })
    const approval = { decision: opts.decision?.(b) ?? "approve", curator: "ada", note: "fine", at, via: "cli", content_sha256: m.content_sha256 } as const
    bundles.push({
      name: b,
      path: `bundles/${b}`,
      manifest_sha256: sha256Hex(manifestBytes),
      content_sha256: m.content_sha256,
      approval,
      reviews: [approval],
      documents: m.totals.documents,
      tokens: m.totals.tokens,
      files
    })
    mixing.push({
      bundle: b,
      weight: m.definition?.sampling_weight ?? 0.01,
      sampling_weight: m.definition?.sampling_weight ?? 0.01,
      tokens: { train: m.totals.train.tokens, validation: m.totals.validation.tokens },
      token_prefixes: m.token_shards.map((t) => ({ prefix: `bundles/${b}/${t.prefix}`, split: t.split, tokens: t.tokens }))
    })
  }
  const sum = mixing.reduce((a, x) => a + x.sampling_weight, 0)
  const index: ReleaseIndex = {
    format: "scicurate-release/1",
    name,
    created_at: at,
    scicurate_version: "test",
    tokenizer,
    bundles,
    left_out: leftOut,
    mixing: mixing.map((x) => ({ ...x, weight: x.sampling_weight / sum })),
    totals: {
      bundles: bundles.length,
      files: bundles.reduce((a, b) => a + b.files.length, 0),
      bytes: bundles.reduce((a, b) => a + b.files.reduce((n, f) => n + f.bytes, 0), 0),
      documents: bundles.reduce((a, b) => a + b.documents, 0),
      tokens: bundles.reduce((a, b) => a + b.tokens, 0)
    }
  }
  const indexText = `${canonicalJson(index, 2)}\n`
  fs.writeFileSync(path.join(dir, RELEASE_INDEX), indexText)
  if (opts.keyFile !== undefined) {
    const key = loadPrivateKey(opts.keyFile)
    if (key instanceof Error) throw key
    fs.writeFileSync(path.join(dir, RELEASE_SIGNATURE), signIndex(Buffer.from(indexText), key))
  }
  return dir
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
