/**
 * Trainers' read-only file tree under /releases, what `scicurate pull` (or curl, or any HTTP client)
 * reads:
 *
 *   GET /releases/                     the served releases as JSON: name, created_at, bundles, bytes, signed
 *   GET|HEAD /releases/<name>/<path>   release.json, release.json.sig and the files release.json lists
 *
 * Only files the release's index names are served (plus the index and its signature): a file that sits
 * in the release folder but is not listed is 404, so nothing the index does not vouch for leaves the
 * server. Paths are checked on the raw request target (before URL normalisation, which would quietly
 * resolve `%2e%2e`): empty, `.` and `..` segments, encoded slashes and backslashes, NUL and backslashes
 * are refused with 400; a listed file whose real path (symlinks resolved) leaves the release folder is
 * 404. Error bodies never name the server's folders.
 *
 * ETag is the file's sha256 from release.json (strong: the bytes are named by their hash); for the index
 * and its signature, the sha256 of their bytes, computed once per mtime and size. Range: one range gets
 * 206 with Content-Range; an unsatisfiable one 416; several ranges (`bytes=0-9,20-29`) get 200 and the
 * whole file, which RFC 9110 allows and every client handles. Bodies stream from disk (fs.createReadStream)
 * and the file is closed when the client goes away.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Readable } from "node:stream"
import { Schema } from "effect"
import { Hono, type Context } from "hono"
import { RELEASE_INDEX, RELEASE_SIGNATURE, ReleaseIndex, type ReleaseFile } from "../release/schema.ts"
import type { ServeContext } from "./context.ts"

/** The content type a trainer's tools expect, by file name. */
export function contentTypeOf(file: string): string {
  if (file.endsWith(".json") || file.endsWith(".sig")) return "application/json"
  if (file.endsWith(".parquet")) return "application/vnd.apache.parquet"
  if (file.endsWith(".md")) return "text/markdown; charset=utf-8"
  return "application/octet-stream"
}

export type ByteRange = { readonly start: number; readonly end: number }

/**
 * What a Range header asks of a file of `size` bytes: "whole" (no header, not bytes, unparsable, or
 * several ranges: served whole), one satisfiable range (inclusive ends), or "unsatisfiable" (416).
 */
export function parseRange(header: string | undefined, size: number): "whole" | "unsatisfiable" | ByteRange {
  if (header === undefined) return "whole"
  const m = /^\s*bytes\s*=\s*(.*)$/i.exec(header)
  if (m === null) return "whole"
  const specs = m[1]!.split(",").map((s) => s.trim()).filter((s) => s !== "")
  if (specs.length !== 1) return "whole"
  const r = /^(\d*)-(\d*)$/.exec(specs[0]!)
  if (r === null || (r[1] === "" && r[2] === "")) return "whole"
  if (r[1] === "") {
    // A suffix: the last N bytes.
    const n = Number(r[2])
    if (n === 0 || size === 0) return "unsatisfiable"
    return { start: Math.max(0, size - n), end: size - 1 }
  }
  const start = Number(r[1])
  const end = r[2] === "" ? size - 1 : Math.min(Number(r[2]), size - 1)
  if (r[2] !== "" && Number(r[2]) < start) return "whole" // invalid: ignored, as RFC 9110 says
  if (start >= size) return "unsatisfiable"
  return { start, end }
}

/** If-None-Match (weak comparison, as RFC 9110 asks for it) against a strong ETag. */
const noneMatch = (header: string | undefined, etag: string): boolean =>
  header !== undefined && (header.trim() === "*" || header.split(",").some((t) => t.trim().replace(/^W\//, "") === etag))

/**
 * The path segments under /releases/ of the raw request target, or null when any is unsafe: empty
 * (`//`, an absolute path after the name), `.` or `..` (plain or encoded), an encoded `/` or `\`, a
 * backslash, NUL, or an escape that does not decode.
 */
export function safeSegments(rawPath: string): string[] | null {
  const segments = rawPath.split("/")
  const out: string[] = []
  for (const raw of segments) {
    if (raw === "" || raw.includes("\\")) return null
    let decoded: string
    try {
      decoded = decodeURIComponent(raw)
    } catch {
      return null
    }
    if (decoded === "." || decoded === ".." || /[/\\\0]/.test(decoded)) return null
    out.push(decoded)
  }
  return out
}

/** The raw request target's path (before the URL parser resolves dot segments), without the query. */
function rawPathOf(c: Context): string {
  const incoming = (c.env as { incoming?: { url?: string } } | undefined)?.incoming?.url
  const raw = incoming ?? new URL(c.req.url).pathname
  const q = raw.search(/[?#]/)
  return q === -1 ? raw : raw.slice(0, q)
}

interface CachedIndex {
  readonly stamp: string
  readonly bytes: Buffer
  readonly sha256: string
  readonly index: ReleaseIndex | null
  readonly files: ReadonlyMap<string, ReleaseFile>
}

const stampOf = (st: fs.Stats): string => `${st.mtimeMs}:${st.size}:${st.ino}`
const sha256Of = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex")
const decodeIndex = Schema.decodeUnknownSync(ReleaseIndex)

const jsonError = (c: Context, status: 400 | 404 | 405 | 500, message: string) => c.json({ error: message }, status)

export function releaseFiles(ctx: ServeContext): Hono {
  const app = new Hono()
  const root = ctx.releasesDir
  // Parsed indexes and signature hashes, keyed by file and valid while mtime, size and inode stay.
  const indexes = new Map<string, CachedIndex>()
  const smallHashes = new Map<string, { stamp: string; sha256: string }>()

  function loadIndex(releaseDir: string): CachedIndex | null {
    const file = path.join(releaseDir, RELEASE_INDEX)
    let st: fs.Stats
    try {
      st = fs.statSync(file)
    } catch {
      return null
    }
    const cached = indexes.get(file)
    if (cached !== undefined && cached.stamp === stampOf(st)) return cached
    const bytes = fs.readFileSync(file)
    let index: ReleaseIndex | null = null
    try {
      index = decodeIndex(JSON.parse(bytes.toString("utf8")))
    } catch {
      index = null
    }
    const files = new Map<string, ReleaseFile>()
    for (const b of index?.bundles ?? []) for (const f of b.files) files.set(f.path, f)
    const entry: CachedIndex = { stamp: stampOf(st), bytes, sha256: sha256Of(bytes), index, files }
    indexes.set(file, entry)
    return entry
  }

  /** The release folder for a name, when it is a real folder directly under the served root. */
  function releaseDirOf(name: string): string | null {
    if (root === null) return null
    const dir = path.join(root, name)
    try {
      if (fs.realpathSync(path.dirname(dir)) !== fs.realpathSync(root) || !fs.lstatSync(dir).isDirectory()) return null
    } catch {
      return null
    }
    return fs.existsSync(path.join(dir, RELEASE_INDEX)) ? dir : null
  }

  app.get("/", (c) => {
    if (root === null) return c.json({ releases: [] })
    const releases = fs
      .readdirSync(root)
      .sort()
      .flatMap((name) => {
        const dir = releaseDirOf(name)
        const cached = dir === null ? null : loadIndex(dir)
        if (dir === null || cached === null || cached.index === null) return []
        const { index } = cached
        return [
          {
            name,
            created_at: index.created_at,
            bundles: index.bundles.map((b) => b.name),
            bytes: index.totals.bytes,
            signed: fs.existsSync(path.join(dir, RELEASE_SIGNATURE)),
            url: `/releases/${encodeURIComponent(name)}/`
          }
        ]
      })
    return c.json({ releases })
  })

  app.all("*", async (c) => {
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      c.header("Allow", "GET, HEAD")
      return jsonError(c, 405, "read-only: GET and HEAD only")
    }
    const raw = rawPathOf(c)
    const prefix = raw.startsWith("/releases/") ? raw.slice("/releases/".length) : null
    const segments = prefix === null ? null : safeSegments(prefix.replace(/\/$/, ""))
    if (segments === null || segments.length === 0) return jsonError(c, 400, "not a release path: use /releases/<name>/<file>")
    const [name, ...rest] = segments as [string, ...string[]]
    const releaseDir = releaseDirOf(name)
    if (releaseDir === null) return jsonError(c, 404, `no release named ${name}`)
    const cached = loadIndex(releaseDir)
    if (cached === null) return jsonError(c, 404, `no release named ${name}`)
    const relative = rest.join("/")
    // The release's root is its index, so /releases/<name>/ is what a puller is pointed at.
    if (relative === "" || relative === RELEASE_INDEX) return serveFile(c, path.join(releaseDir, RELEASE_INDEX), releaseDir, cached.sha256, RELEASE_INDEX)
    if (relative === RELEASE_SIGNATURE) {
      const file = path.join(releaseDir, RELEASE_SIGNATURE)
      let st: fs.Stats
      try {
        st = fs.statSync(file)
      } catch {
        return jsonError(c, 404, `${name} is not signed (no ${RELEASE_SIGNATURE})`)
      }
      let known = smallHashes.get(file)
      if (known === undefined || known.stamp !== stampOf(st)) {
        known = { stamp: stampOf(st), sha256: sha256Of(fs.readFileSync(file)) }
        smallHashes.set(file, known)
      }
      return serveFile(c, file, releaseDir, known.sha256, RELEASE_SIGNATURE)
    }
    if (cached.index === null) return jsonError(c, 500, `${name}/${RELEASE_INDEX} is not a valid release index`)
    const listed = cached.files.get(relative)
    if (listed === undefined) return jsonError(c, 404, `${name}/${relative} is not a file of this release`)
    return serveFile(c, path.join(releaseDir, ...rest), releaseDir, listed.sha256, relative)
  })
  return app
}

/**
 * Serve one file of a release: real path inside the release folder (symlinks resolved), conditional
 * and range requests, streamed from disk and closed when the client goes away.
 */
async function serveFile(c: Context, file: string, releaseDir: string, sha256: string, shownName: string): Promise<Response> {
  let real: string
  let handle: fs.promises.FileHandle
  let size: number
  try {
    real = await fs.promises.realpath(file)
    const realRelease = await fs.promises.realpath(releaseDir)
    if (!real.startsWith(realRelease + path.sep)) return jsonError(c, 404, `${shownName}: not found`)
    handle = await fs.promises.open(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW)
  } catch {
    return jsonError(c, 404, `${shownName}: not found`)
  }
  try {
    const st = await handle.stat()
    if (!st.isFile()) {
      await handle.close()
      return jsonError(c, 404, `${shownName}: not found`)
    }
    size = st.size
  } catch {
    await handle.close().catch(() => {})
    return jsonError(c, 404, `${shownName}: not found`)
  }
  const etag = `"${sha256}"`
  const headers: Record<string, string> = {
    "Content-Type": contentTypeOf(shownName),
    ETag: etag,
    "Accept-Ranges": "bytes",
    // Release files never change under their hash; the index may be replaced only by a new release name.
    "Cache-Control": "no-cache"
  }
  if (noneMatch(c.req.header("If-None-Match"), etag)) {
    await handle.close()
    return new Response(null, { status: 304, headers: { ETag: etag, "Accept-Ranges": "bytes" } })
  }
  // If-Range with another validator: the client's partial copy is of other bytes, so send the whole file.
  const ifRange = c.req.header("If-Range")
  const range = ifRange !== undefined && ifRange.trim() !== etag ? "whole" : parseRange(c.req.header("Range"), size)
  if (range === "unsatisfiable") {
    await handle.close()
    return new Response(JSON.stringify({ error: `${shownName}: range not satisfiable (the file has ${size} bytes)` }), {
      status: 416,
      headers: { "Content-Range": `bytes */${size}`, "Content-Type": "application/json" }
    })
  }
  const { start, end } = range === "whole" ? { start: 0, end: size - 1 } : range
  const length = Math.max(0, end - start + 1)
  headers["Content-Length"] = String(length)
  if (range !== "whole") headers["Content-Range"] = `bytes ${start}-${end}/${size}`
  const status = range === "whole" ? 200 : 206
  if (c.req.method === "HEAD" || length === 0) {
    await handle.close()
    return new Response(null, { status, headers })
  }
  // The read stream owns the handle (autoClose): ended, failed or cancelled by a client that left, it closes the file.
  const stream = fs.createReadStream("", { fd: handle, start, end, highWaterMark: 256 * 1024, autoClose: true })
  return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status, headers })
}
