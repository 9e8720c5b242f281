/**
 * Where a pull reads a release from: a `scicurate serve` URL (`http(s)://host:port/releases/<name>/`)
 * or a release folder on this machine. Both give the same two things: the bytes of a small file (the
 * index, its signature) and a body stream of a file from a byte offset.
 */
import * as fs from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import * as path from "node:path"
import type { Readable } from "node:stream"
import { Data } from "effect"

/** A failure to read from the source; `retryable` when the network (not the release) failed. */
export class SourceError extends Data.TaggedError("SourceError")<{ readonly message: string; readonly retryable: boolean }> {}

export interface OpenedFile {
  readonly body: Readable
  /** Where the body starts: the offset asked for, or 0 when the source sends the whole file instead. */
  readonly offset: number
}

export interface ReleaseSource {
  /** The source as the user gave it, for messages. */
  readonly label: string
  /** A small file's bytes; null when the source does not have it (404, no such file). */
  readSmall(relative: string): Promise<Buffer | null>
  /** The file's bytes from `offset` (a Range request over HTTP). */
  open(relative: string, offset: number): Promise<OpenedFile>
  close(): void
}

/** Network failures worth another try: the connection went away or never came, or the server was busy. */
const RETRYABLE_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT", "ECONNABORTED", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ERR_STREAM_PREMATURE_CLOSE"])

export function isRetryable(e: unknown): boolean {
  if (e instanceof SourceError) return e.retryable
  const err = e as NodeJS.ErrnoException
  return RETRYABLE_CODES.has(err?.code ?? "") || /aborted|socket hang up|premature close/i.test(err?.message ?? "")
}

export function openSource(spec: string, parallel: number): ReleaseSource | SourceError {
  return /^https?:\/\//i.test(spec) ? httpSource(spec, parallel) : localSource(spec)
}

function httpSource(spec: string, parallel: number): ReleaseSource {
  // The release's base: .../releases/<name>/ (a URL naming release.json itself works too).
  const base = new URL(spec.replace(/release\.json$/, "").replace(/\/?$/, "/"))
  const client = base.protocol === "https:" ? https : http
  const agent = new client.Agent({ keepAlive: true, maxSockets: Math.max(1, parallel) })
  const urlOf = (relative: string) => new URL(relative.split("/").map(encodeURIComponent).join("/"), base)

  const get = (relative: string, headers: Record<string, string>): Promise<http.IncomingMessage> =>
    new Promise((resolve, reject) => {
      const req = client.get(urlOf(relative), { agent, headers }, resolve)
      // A connection that stalls for a minute is as good as gone: fail it, and the caller retries.
      req.setTimeout(60_000, () => req.destroy(Object.assign(new Error(`no data for 60 s from ${base.host}`), { code: "ETIMEDOUT" })))
      req.on("error", reject)
    })

  const failure = (relative: string, res: http.IncomingMessage): SourceError => {
    res.resume()
    const status = res.statusCode ?? 0
    const retryable = status >= 500 || status === 429
    return new SourceError({ message: `${relative}: the server answered ${status} ${res.statusMessage ?? ""}`.trim(), retryable })
  }

  return {
    label: base.href,
    async readSmall(relative) {
      const res = await get(relative, {})
      if (res.statusCode === 404) {
        res.resume()
        return null
      }
      if (res.statusCode !== 200) throw failure(relative, res)
      const chunks: Buffer[] = []
      for await (const c of res) chunks.push(c as Buffer)
      return Buffer.concat(chunks)
    },
    async open(relative, offset) {
      const res = await get(relative, offset > 0 ? { Range: `bytes=${offset}-` } : {})
      if (res.statusCode === 200) return { body: res, offset: 0 }
      if (res.statusCode === 206) {
        const start = Number(/^bytes (\d+)-/.exec(String(res.headers["content-range"] ?? ""))?.[1])
        if (start === offset) return { body: res, offset }
        res.destroy()
        throw new SourceError({ message: `${relative}: asked for bytes from ${offset}, the server sent ${res.headers["content-range"] ?? "no Content-Range"}`, retryable: false })
      }
      // The partial copy is longer than the server's file: start over.
      if (res.statusCode === 416 && offset > 0) {
        res.resume()
        return this.open(relative, 0)
      }
      if (res.statusCode === 404) {
        res.resume()
        throw new SourceError({ message: `${relative}: not found on the server (404)`, retryable: false })
      }
      throw failure(relative, res)
    },
    close: () => agent.destroy()
  }
}

function localSource(spec: string): ReleaseSource | SourceError {
  const root = path.resolve(spec.replace(/release\.json$/, ""))
  let realRoot: string
  try {
    realRoot = fs.realpathSync(root)
  } catch {
    return new SourceError({ message: `${spec}: no such release folder`, retryable: false })
  }
  /** The file's real path, refusing one that resolves outside the release folder (a symlink out). */
  const resolve = (relative: string): string | null => {
    try {
      const real = fs.realpathSync(path.join(root, ...relative.split("/")))
      return real.startsWith(realRoot + path.sep) ? real : null
    } catch {
      return null
    }
  }
  return {
    label: root,
    async readSmall(relative) {
      const file = resolve(relative)
      return file === null ? null : fs.promises.readFile(file)
    },
    async open(relative, offset) {
      const file = resolve(relative)
      if (file === null) throw new SourceError({ message: `${relative}: not in the release folder ${root}`, retryable: false })
      const start = offset <= fs.statSync(file).size ? offset : 0
      return { body: fs.createReadStream(file, { start, highWaterMark: 1024 * 1024 }), offset: start }
    },
    close: () => {}
  }
}
