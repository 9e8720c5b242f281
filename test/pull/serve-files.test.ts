/**
 * The trainers' file tree of `scicurate serve` read by curl, an independent HTTP client: the release
 * list, HEAD and ETag, conditional requests, single and multiple ranges, content types, path traversal
 * (plain, encoded, absolute, backslash, NUL, a symlink out of the release), and 24 clients at once.
 * The server is the real one: `scicurate serve` started as a child process.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeDemoWork, releaseBundles, rewriteIndex } from "./fixture.ts"
import { commandWorks, repoRoot, requirePresent, tempDir } from "../helpers.ts"

const hasCurl = requirePresent("curl (Debian curl; make system-deps)", commandWorks("curl"), "the HTTP tests of the release file tree")

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex")

interface CurlResult {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: Buffer
}

/** curl ARGS URL, returning the status, the (last) response's headers and the body bytes. */
function curl(args: ReadonlyArray<string>, url: string): CurlResult {
  const bodyFile = path.join(tempDir("curl-"), "body")
  const r = spawnSync("curl", ["-sS", "-D", "-", "-o", bodyFile, ...args, url], { maxBuffer: 1 << 28 })
  const body = args.includes("-I") || !fs.existsSync(bodyFile) ? Buffer.alloc(0) : fs.readFileSync(bodyFile)
  const headerText = r.stdout.toString("latin1")
  const blocks = headerText.split(/\r\n\r\n/).filter((b) => b.startsWith("HTTP/"))
  const last = blocks.at(-1) ?? ""
  const [statusLine, ...lines] = last.split("\r\n")
  const headers: Record<string, string> = {}
  for (const l of lines) {
    const i = l.indexOf(":")
    if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim()
  }
  return { status: Number(statusLine?.split(" ")[1] ?? 0), headers, body }
}

describe.runIf(hasCurl)("the release file tree under /releases, read with curl", () => {
  let releases: string
  let releaseDir: string
  let base: string
  let server: ChildProcess
  let index: { totals: { bytes: number }; bundles: Array<{ name: string; files: Array<{ path: string; sha256: string; bytes: number; split: string | null }> }> }
  const filesOf = () => index.bundles.flatMap((b) => b.files)
  const parquet = () => filesOf().find((f) => f.path.endsWith(".parquet"))!
  const largest = () => [...filesOf()].sort((a, b) => b.bytes - a.bytes)[0]!

  beforeAll(async () => {
    const root = tempDir()
    const bundles = await makeDemoWork(root)
    releases = path.join(root, "releases")
    releaseDir = releaseBundles(bundles, releases, "r1")
    // One large file listed in the index, so a client can leave while the server still has most of it to send.
    const first = fs.readdirSync(path.join(releaseDir, "bundles")).sort()[0]!
    const large = Buffer.alloc(24 << 20, 7)
    fs.mkdirSync(path.join(releaseDir, "bundles", first, "extra"))
    fs.writeFileSync(path.join(releaseDir, "bundles", first, "extra", "large.bin"), large)
    rewriteIndex(releaseDir, (i) => ({
      ...i,
      bundles: i.bundles.map((b) => (b.name !== first ? b : { ...b, files: [...b.files, { path: `bundles/${first}/extra/large.bin`, sha256: sha256(large), bytes: large.length, split: null }] }))
    }))
    index = JSON.parse(fs.readFileSync(path.join(releaseDir, "release.json"), "utf8"))
    // A file in the release folder that release.json does not list, and a secret beside the releases.
    fs.writeFileSync(path.join(releaseDir, "bundles", index.bundles[0]!.name, "unlisted.txt"), "not in the index")
    fs.writeFileSync(path.join(root, "secret.txt"), "server secret")
    server = spawn(process.execPath, [path.join(repoRoot, "bin/scicurate.mjs"), "serve", releases, "--port", "0"], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] })
    base = await new Promise<string>((resolve, reject) => {
      let out = ""
      server.stdout!.on("data", (d: Buffer) => {
        out += d.toString()
        const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)
        if (m) resolve(`http://127.0.0.1:${m[1]}`)
      })
      server.on("exit", (code) => reject(new Error(`serve exited ${code}: ${out}`)))
    })
  })
  afterAll(() => {
    server?.kill("SIGTERM")
  })

  it("lists the releases as JSON", () => {
    const r = curl([], `${base}/releases/`)
    expect(r.status).toBe(200)
    expect(r.headers["content-type"]).toMatch(/^application\/json/)
    const list = JSON.parse(r.body.toString()) as { releases: Array<{ name: string; bundles: string[]; bytes: number; signed: boolean; created_at: string }> }
    expect(list.releases).toEqual([
      { name: "r1", created_at: "2023-11-14T22:13:20.000Z", bundles: index.bundles.map((b) => b.name), bytes: index.totals.bytes, signed: false, url: "/releases/r1/" }
    ])
  })

  it("serves release.json and every listed file with its bytes, sha256 ETag, length and content type", () => {
    const r = curl([], `${base}/releases/r1/release.json`)
    expect(r.status).toBe(200)
    expect(r.body.equals(fs.readFileSync(path.join(releaseDir, "release.json")))).toBe(true)
    expect(r.headers.etag).toBe(`"${sha256(r.body)}"`)
    expect(r.headers["content-type"]).toBe("application/json")
    const types = new Set<string>()
    for (const f of filesOf()) {
      const got = curl([], `${base}/releases/r1/${f.path}`)
      expect(got.status, f.path).toBe(200)
      expect(sha256(got.body), f.path).toBe(f.sha256)
      expect(got.headers.etag, f.path).toBe(`"${f.sha256}"`)
      expect(got.headers["content-length"], f.path).toBe(String(f.bytes))
      expect(got.headers["accept-ranges"]).toBe("bytes")
      const expected = f.path.endsWith(".parquet")
        ? "application/vnd.apache.parquet"
        : f.path.endsWith(".json")
          ? "application/json"
          : f.path.endsWith(".md")
            ? "text/markdown; charset=utf-8"
            : "application/octet-stream"
      expect(got.headers["content-type"], f.path).toBe(expected)
      types.add(expected)
    }
    expect(types.size).toBe(4) // manifests, cards, Parquet and token shards were all among them
  })

  it("answers HEAD with the headers and no body, and If-None-Match with 304", () => {
    const f = parquet()
    const head = curl(["-I"], `${base}/releases/r1/${f.path}`)
    expect(head.status).toBe(200)
    expect(head.headers["content-length"]).toBe(String(f.bytes))
    expect(head.headers.etag).toBe(`"${f.sha256}"`)
    expect(head.body.length).toBe(0)
    const again = curl(["-H", `If-None-Match: "${f.sha256}"`], `${base}/releases/r1/${f.path}`)
    expect(again.status).toBe(304)
    expect(again.body.length).toBe(0)
    const other = curl(["-H", `If-None-Match: "${"0".repeat(64)}"`], `${base}/releases/r1/${f.path}`)
    expect(other.status).toBe(200)
  })

  it("serves ranges: curl -r gives 206 with Content-Range and the exact bytes; beyond the end 416; several ranges the whole file", () => {
    const f = largest()
    const bytes = fs.readFileSync(path.join(releaseDir, f.path))
    const mid = Math.floor(f.bytes / 2)
    const one = curl(["-r", `100-${mid}`], `${base}/releases/r1/${f.path}`)
    expect(one.status).toBe(206)
    expect(one.headers["content-range"]).toBe(`bytes 100-${mid}/${f.bytes}`)
    expect(one.body.equals(bytes.subarray(100, mid + 1))).toBe(true)
    const tail = curl(["-r", "-50"], `${base}/releases/r1/${f.path}`)
    expect(tail.status).toBe(206)
    expect(tail.body.equals(bytes.subarray(f.bytes - 50))).toBe(true)
    const open = curl(["-r", `${mid}-`], `${base}/releases/r1/${f.path}`)
    expect(open.body.equals(bytes.subarray(mid))).toBe(true)
    const beyond = curl(["-r", `${f.bytes}-`], `${base}/releases/r1/${f.path}`)
    expect(beyond.status).toBe(416)
    expect(beyond.headers["content-range"]).toBe(`bytes */${f.bytes}`)
    const several = curl(["-r", "0-9,20-29"], `${base}/releases/r1/${f.path}`)
    expect(several.status).toBe(200)
    expect(several.body.equals(bytes)).toBe(true)
  })

  it("refuses paths out of the release: dot segments plain and encoded, encoded slashes, absolute paths, backslashes, NUL, unlisted files, symlinks out", () => {
    const secretLink = path.join(releaseDir, "bundles", index.bundles[0]!.name, "README.md")
    const attempts = [
      "/releases/r1/../../secret.txt",
      "/releases/r1/%2e%2e/%2e%2e/secret.txt",
      "/releases/r1/%2E%2E/secret.txt",
      "/releases/r1/..%2f..%2fsecret.txt",
      "/releases/r1/bundles%2f..%2f..%2f..%2fsecret.txt",
      "/releases/%2e%2e/secret.txt",
      "/releases/r1//etc/passwd",
      "/releases/r1/%2fetc%2fpasswd",
      "/releases//etc/passwd",
      "/releases/r1/bundles%5c..%5c..%5csecret.txt",
      "/releases/r1/release.json%00.md",
      "/releases/r1/./release.json",
      `/releases/r1/bundles/${index.bundles[0]!.name}/unlisted.txt`,
      "/releases/nope/release.json"
    ]
    for (const p of attempts) {
      const r = curl(["--path-as-is"], `${base}${p}`)
      expect([400, 404], p).toContain(r.status)
      const text = r.body.toString()
      expect(text, p).not.toContain("server secret")
      expect(text, p).not.toContain(releases) // no server path in any answer
      expect(text, p).not.toContain("root:")
    }
    // A listed file replaced by a symlink to a file outside the release: not served.
    const saved = fs.readFileSync(secretLink)
    fs.rmSync(secretLink)
    fs.symlinkSync(path.join(releases, "..", "secret.txt"), secretLink)
    try {
      const r = curl(["--path-as-is"], `${base}/releases/r1/bundles/${index.bundles[0]!.name}/README.md`)
      expect(r.status).toBe(404)
      expect(r.body.toString()).not.toContain("server secret")
    } finally {
      fs.rmSync(secretLink)
      fs.writeFileSync(secretLink, saved)
    }
    // Writes are refused.
    expect(curl(["-X", "PUT", "--data", "x"], `${base}/releases/r1/release.json`).status).toBe(405)
  })

  it("closes the file when a client leaves mid-body", async () => {
    const large = filesOf().find((f) => f.path.endsWith("large.bin"))!
    const openOnServer = () =>
      fs.readdirSync(`/proc/${server.pid}/fd`).filter((fd) => {
        try {
          return fs.readlinkSync(`/proc/${server.pid}/fd/${fd}`).endsWith("large.bin")
        } catch {
          return false
        }
      }).length
    await Promise.all(
      Array.from({ length: 6 }, () =>
        new Promise<void>((resolve, reject) => {
          const req = http.get(`${base}/releases/r1/${large.path}`, (res) => {
            res.once("data", () => {
              req.destroy()
              resolve()
            })
          })
          req.on("error", (e) => ((e as NodeJS.ErrnoException).code === "ECONNRESET" ? resolve() : reject(e)))
        })
      )
    )
    for (let i = 0; i < 50 && openOnServer() > 0; i++) await new Promise((r) => setTimeout(r, 100))
    expect(openOnServer()).toBe(0)
  })

  it("gives 24 concurrent clients the right bytes (whole files and ranges)", async () => {
    const f = largest()
    const bytes = fs.readFileSync(path.join(releaseDir, f.path))
    const runs = Array.from({ length: 24 }, (_, i) => {
      const from = i % 2 === 0 ? 0 : Math.floor((f.bytes * i) / 48)
      const args = ["-sS", "-o", "-", ...(i % 2 === 0 ? [] : ["-r", `${from}-`]), `${base}/releases/r1/${f.path}`]
      return new Promise<{ from: number; body: Buffer }>((resolve, reject) => {
        const c = spawn("curl", args, { stdio: ["ignore", "pipe", "inherit"] })
        const chunks: Buffer[] = []
        c.stdout.on("data", (d: Buffer) => chunks.push(d))
        c.on("close", (code) => (code === 0 ? resolve({ from, body: Buffer.concat(chunks) }) : reject(new Error(`curl exit ${code}`))))
      })
    })
    for (const r of await Promise.all(runs)) expect(sha256(r.body), `from ${r.from}: ${r.body.length} bytes`).toBe(sha256(bytes.subarray(r.from)))
  })
})
