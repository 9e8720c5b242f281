// archive.ts on archives made at test time: GNU tar's own output (gnu and pax formats) of the project's
// src/, and hand-built tar and zip files for the cases a tool will not make (path traversal, corrupt
// headers, bad CRCs, lying sizes, encrypted members).
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { pipeline } from "node:stream/promises"
import { Readable } from "node:stream"
import * as zlib from "node:zlib"
import { describe, expect, it } from "vitest"
import { detectArchive, readArchive, safeMemberPath, type ArchiveMember, type ArchiveOptions } from "../../src/ingest/code/archive.ts"
import { repoRoot, requirePresent, tempDir } from "../helpers.ts"

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex")

async function collect(file: string, options: ArchiveOptions = {}): Promise<ArchiveMember[]> {
  const out: ArchiveMember[] = []
  for await (const m of readArchive(file, options)) out.push(m)
  return out
}

function filesUnder(dir: string, base = dir): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) for (const [k, v] of filesUnder(p, base)) out.set(k, v)
    else if (e.isFile()) out.set(path.relative(base, p).split(path.sep).join("/"), fs.readFileSync(p))
  }
  return out
}

// --- A minimal tar writer (ustar headers, optional pax records) -------------------------------------

interface TarEntry {
  name: string
  data?: Uint8Array
  type?: string
  linkname?: string
  pax?: Record<string, string>
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\u0000"
}

function tarHeader(name: string, size: number, type: string, linkname = ""): Buffer {
  const h = Buffer.alloc(512)
  h.write(name.slice(0, 100), 0, "utf8")
  h.write(octal(0o644, 8), 100)
  h.write(octal(0, 8), 108)
  h.write(octal(0, 8), 116)
  h.write(octal(size, 12), 124)
  h.write(octal(0, 12), 136)
  h.write("        ", 148)
  h.write(type, 156)
  h.write(linkname, 157)
  h.write("ustar\u000000", 257, "latin1")
  let sum = 0
  for (const b of h) sum += b
  h.write(octal(sum, 7) + " ", 148, "latin1")
  return h
}

const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512)

function tarBytes(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const e of entries) {
    if (e.pax) {
      const body = Buffer.from(
        Object.entries(e.pax)
          .map(([k, v]) => {
            const rec = ` ${k}=${v}\n`
            let len = rec.length + 1
            while (String(len).length + Buffer.byteLength(rec) !== len) len = String(len).length + Buffer.byteLength(rec)
            return `${len}${rec}`
          })
          .join("")
      )
      parts.push(tarHeader("PaxHeader", body.length, "x"), body, pad(body.length))
    }
    const data = Buffer.from(e.data ?? new Uint8Array(0))
    parts.push(tarHeader(e.name, data.length, e.type ?? "0", e.linkname), data, pad(data.length))
  }
  parts.push(Buffer.alloc(1024))
  return Buffer.concat(parts)
}

// --- A minimal zip writer ----------------------------------------------------------------------------

interface ZipEntry {
  name: string
  data: Uint8Array
  method?: 0 | 8 | 12
  flags?: number
  unixMode?: number
  /** Lie about the uncompressed size in the central directory. */
  claimedSize?: number
  crc?: number
}

function zipBytes(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const e of entries) {
    const name = Buffer.from(e.name, "utf8")
    const method = e.method ?? 8
    const comp = method === 8 ? zlib.deflateRawSync(e.data) : Buffer.from(e.data)
    const crc = e.crc ?? zlib.crc32(e.data)
    const size = e.claimedSize ?? e.data.length
    const flags = (e.flags ?? 0) | 0x800
    const lh = Buffer.alloc(30)
    lh.writeUInt32LE(0x04034b50, 0)
    lh.writeUInt16LE(20, 4)
    lh.writeUInt16LE(flags, 6)
    lh.writeUInt16LE(method, 8)
    lh.writeUInt32LE(crc, 14)
    lh.writeUInt32LE(comp.length, 18)
    lh.writeUInt32LE(size, 22)
    lh.writeUInt16LE(name.length, 26)
    locals.push(lh, name, comp)
    const ch = Buffer.alloc(46)
    ch.writeUInt32LE(0x02014b50, 0)
    ch.writeUInt16LE((3 << 8) | 20, 4)
    ch.writeUInt16LE(20, 6)
    ch.writeUInt16LE(flags, 8)
    ch.writeUInt16LE(method, 10)
    ch.writeUInt32LE(crc, 16)
    ch.writeUInt32LE(comp.length, 20)
    ch.writeUInt32LE(size, 24)
    ch.writeUInt16LE(name.length, 28)
    ch.writeUInt32LE(((e.unixMode ?? 0o100644) << 16) >>> 0, 38)
    ch.writeUInt32LE(offset, 42)
    central.push(ch, name)
    offset += 30 + name.length + comp.length
  }
  const cd = Buffer.concat(central)
  const eocd = Buffer.alloc(22)
  eocd.writeUInt32LE(0x06054b50, 0)
  eocd.writeUInt16LE(entries.length, 8)
  eocd.writeUInt16LE(entries.length, 10)
  eocd.writeUInt32LE(cd.length, 12)
  eocd.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, cd, eocd])
}

const write = (dir: string, name: string, data: Uint8Array) => {
  const p = path.join(dir, name)
  fs.writeFileSync(p, data)
  return p
}

const hasTar = requirePresent("tar (GNU tar)", spawnSync("tar", ["--version"]).status === 0, "the tar-made archive tests")
const hasZip = requirePresent("zip (Debian zip; make system-deps)", spawnSync("zip", ["-v"]).status === 0, "the test of a zip made by Info-ZIP's zip")

describe("archive members of the project's own src/", () => {
  const src = path.join(repoRoot, "src")
  const expected = filesUnder(src)

  it.skipIf(!hasTar).each(["gnu", "pax"])("reads a GNU tar (%s format) .tar.gz of src/ with every file byte for byte", async (format) => {
    const dir = tempDir()
    // Detection is by content: the name says nothing.
    const file = path.join(dir, `src-${format}.data`)
    const r = spawnSync("tar", [`--format=${format}`, "-czf", file, "-C", repoRoot, "src"])
    expect(r.status, r.stderr.toString()).toBe(0)
    expect(detectArchive(fs.readFileSync(file).subarray(0, 512))).toBe("gzip")
    const ignored: string[] = []
    const members = await collect(file, { onIgnored: (p, t) => ignored.push(`${t}:${p}`) })
    expect(members.every((m) => m.skipped === null)).toBe(true)
    const got = new Map(members.map((m) => [m.path.replace(/^src\//, ""), sha(m.bytes!)]))
    expect([...got.keys()].sort()).toEqual([...expected.keys()].sort())
    for (const [k, v] of expected) expect(got.get(k), k).toBe(sha(v))
    expect(ignored.some((i) => i.startsWith("directory:"))).toBe(true)
  })

  it.skipIf(!hasTar)("reads long names (GNU 'L' records and pax paths) and an uncompressed tar", async () => {
    const dir = tempDir()
    const deep = path.join(dir, "tree", "a".repeat(60), "b".repeat(60), "c".repeat(60))
    fs.mkdirSync(deep, { recursive: true })
    fs.writeFileSync(path.join(deep, `${"long-file-name-".repeat(8)}.py`), "print('deep')\n")
    for (const format of ["gnu", "pax", "ustar"]) {
      const file = path.join(dir, `long-${format}.tar`)
      const r = spawnSync("tar", [`--format=${format}`, "-cf", file, "-C", path.join(dir, "tree"), "."])
      if (format === "ustar" && r.status !== 0) continue // ustar cannot hold a 120-char file name
      expect(r.status, r.stderr.toString()).toBe(0)
      const members = await collect(file)
      expect(members).toHaveLength(1)
      expect(members[0]!.path).toBe(`${"a".repeat(60)}/${"b".repeat(60)}/${"c".repeat(60)}/${"long-file-name-".repeat(8)}.py`)
      expect(Buffer.from(members[0]!.bytes!).toString()).toBe("print('deep')\n")
    }
  })

  it("reads a zip of src/ member by member, stored and deflated", async () => {
    const dir = tempDir()
    const entries: ZipEntry[] = [...expected].map(([name, data], i) => ({ name: `src/${name}`, data, method: i % 3 === 0 ? 0 : 8 }))
    entries.unshift({ name: "src/", data: new Uint8Array(0), method: 0, unixMode: 0o040755 })
    const file = write(dir, "src.tgz", zipBytes(entries)) // a misleading extension on purpose
    const ignored: string[] = []
    const members = await collect(file, { onIgnored: (p, t) => ignored.push(`${t}:${p}`) })
    expect(ignored).toEqual(["directory:src/"])
    expect(members).toHaveLength(expected.size)
    for (const m of members) expect(sha(m.bytes!), m.path).toBe(sha(expected.get(m.path.replace(/^src\//, ""))!))
  })

  it.skipIf(!hasZip)("reads a zip made by Info-ZIP's zip", async () => {
    const dir = tempDir()
    const file = path.join(dir, "src.zip")
    const r = spawnSync("zip", ["-qr", file, "src"], { cwd: repoRoot })
    expect(r.status, r.stderr.toString()).toBe(0)
    const members = await collect(file)
    expect(members).toHaveLength(expected.size)
    for (const m of members) expect(sha(m.bytes!), m.path).toBe(sha(expected.get(m.path.replace(/^src\//, ""))!))
  })
})

describe("archive limits and hostile archives", () => {
  const code = new TextEncoder().encode("x = 1\n")

  it("reports members above the size limit without reading them", async () => {
    const dir = tempDir()
    const big = new Uint8Array(3 * 1024 * 1024).fill(0x41)
    const tar = write(dir, "a.tar", tarBytes([{ name: "big.py", data: big }, { name: "small.py", data: code }]))
    const zip = write(dir, "a.zip", zipBytes([{ name: "big.py", data: big }, { name: "small.py", data: code }]))
    for (const f of [tar, zip]) {
      const m = await collect(f, { maxMemberBytes: 1024 * 1024 })
      expect(m.map((x) => [x.path, x.size, x.skipped, x.bytes === null])).toEqual([
        ["big.py", big.length, "too-large", true],
        ["small.py", code.length, null, false]
      ])
    }
  })

  it("streams a .tar.gz with a 256 MiB member in bounded memory", async () => {
    const dir = tempDir()
    const file = path.join(dir, "huge.tar.gz")
    const size = 256 * 1024 * 1024
    const chunk = Buffer.alloc(1024 * 1024)
    async function* tarStream() {
      yield tarHeader("data/huge.bin", size, "0")
      for (let i = 0; i < size / chunk.length; i++) yield chunk
      yield tarHeader("after.py", code.length, "0")
      yield Buffer.from(code)
      yield pad(code.length)
      yield Buffer.alloc(1024)
    }
    await pipeline(Readable.from(tarStream()), zlib.createGzip({ level: 1 }), fs.createWriteStream(file))
    expect(fs.statSync(file).size).toBeLessThan(4 * 1024 * 1024)
    global.gc?.()
    const before = process.memoryUsage().rss
    let peak = before
    const members: ArchiveMember[] = []
    for await (const m of readArchive(file, { maxMemberBytes: 1024 * 1024 })) {
      members.push(m)
      peak = Math.max(peak, process.memoryUsage().rss)
    }
    expect(members.map((m) => [m.path, m.size, m.skipped])).toEqual([
      ["data/huge.bin", size, "too-large"],
      ["after.py", code.length, null]
    ])
    console.log(`[archive] 256 MiB member passed over: RSS grew ${((peak - before) / 2 ** 20).toFixed(1)} MB`)
    // The 256 MiB member was inflated and passed over, never held: growth stays far below its size.
    expect(peak - before).toBeLessThan(64 * 1024 * 1024)
  })

  it("rejects path traversal and absolute names, and passes over links and directories", async () => {
    expect(safeMemberPath("./a/b.py")).toBe("a/b.py")
    expect(safeMemberPath("a/./b//c.py")).toBe("a/b/c.py")
    expect(safeMemberPath("../evil.py")).toBeNull()
    expect(safeMemberPath("a/../../evil.py")).toBeNull()
    expect(safeMemberPath("/etc/passwd")).toBeNull()
    expect(safeMemberPath("C:\\Windows\\x.py")).toBeNull()
    expect(safeMemberPath("a\\..\\..\\x.py")).toBeNull()
    const dir = tempDir()
    const tar = write(
      dir,
      "evil.tar",
      tarBytes([
        { name: "ok/", type: "5" },
        { name: "ok/a.py", data: code },
        { name: "../evil.py", data: code },
        { name: "/etc/cron.d/x", data: code },
        { name: "ok/link.py", type: "2", linkname: "../../etc/passwd" },
        { name: "ok/hard.py", type: "1", linkname: "ok/a.py" },
        { name: "short", data: code, pax: { path: "ok/../../../pax-evil.py" } }
      ])
    )
    const ignored: string[] = []
    const members = await collect(tar, { onIgnored: (p, t) => ignored.push(`${t}:${p}`) })
    // Links are members of their own, with their target as stored: never materialised, never followed.
    expect(members.map((m) => [m.path, m.skipped, m.linkTarget ?? null])).toEqual([
      ["ok/a.py", null, null],
      ["../evil.py", "unsafe-path", null],
      ["/etc/cron.d/x", "unsafe-path", null],
      ["ok/link.py", "symlink", "../../etc/passwd"],
      ["ok/hard.py", "hard-link", "ok/a.py"],
      ["ok/../../../pax-evil.py", "unsafe-path", null]
    ])
    expect(members.filter((m) => m.skipped !== null).every((m) => m.bytes === null)).toBe(true)
    expect(ignored).toEqual(["directory:ok/"])
    const zip = write(
      dir,
      "evil.zip",
      zipBytes([
        { name: "ok/a.py", data: code },
        { name: "../../evil.py", data: code },
        { name: "ok/link", data: new TextEncoder().encode("/etc/passwd"), unixMode: 0o120777 }
      ])
    )
    const zm = await collect(zip)
    expect(zm.map((m) => [m.path, m.skipped])).toEqual([
      ["ok/a.py", null],
      ["../../evil.py", "unsafe-path"],
      ["ok/link", "symlink"]
    ])
    expect(zm.every((m) => m.skipped === null || m.bytes === null)).toBe(true)
  })

  it("throws clear errors for corrupt and truncated archives", async () => {
    const dir = tempDir()
    const tar = tarBytes([{ name: "a.py", data: code }, { name: "b.py", data: new Uint8Array(5000).fill(0x62) }])
    const badSum = Buffer.from(tar)
    badSum[1027] = badSum[1027]! ^ 0xff // a byte of the second header's name
    await expect(collect(write(dir, "sum.tar", badSum))).rejects.toThrow(/corrupt tar archive: bad header checksum at offset 1024/)
    await expect(collect(write(dir, "cut.tar", tar.subarray(0, 2048)))).rejects.toThrow(/truncated archive/)
    const gz = zlib.gzipSync(tar)
    await expect(collect(write(dir, "cut.tar.gz", gz.subarray(0, gz.length - 30)))).rejects.toThrow(/truncated gzip stream|truncated archive/)
    const garbled = Buffer.from(gz)
    for (let i = 20; i < 60; i++) garbled[i] = garbled[i]! ^ 0x55
    await expect(collect(write(dir, "garbled.tar.gz", garbled))).rejects.toThrow(/corrupt gzip stream|corrupt tar archive/)
    const zip = zipBytes([{ name: "a.py", data: code }, { name: "b.py", data: new Uint8Array(5000).fill(0x62) }])
    await expect(collect(write(dir, "cut.zip", zip.subarray(0, zip.length - 40)))).rejects.toThrow(/end-of-central-directory/)
    await expect(collect(write(dir, "crc.zip", zipBytes([{ name: "a.py", data: code, crc: 1234 }])))).rejects.toThrow(/CRC mismatch in a\.py/)
    // A directory that understates the size (a zip bomb's trick) stops at the stated size.
    await expect(
      collect(write(dir, "bomb.zip", zipBytes([{ name: "bomb.py", data: new Uint8Array(10_000_000), claimedSize: 100 }])))
    ).rejects.toThrow(/cannot inflate bomb\.py|inflates to/)
    await expect(collect(write(dir, "plain.txt", new TextEncoder().encode("just text\n".repeat(100))))).rejects.toThrow(/not an archive/)
  })

  it("reports encrypted and unsupported zip members instead of failing the archive", async () => {
    const dir = tempDir()
    const zip = write(
      dir,
      "odd.zip",
      zipBytes([
        { name: "secret.py", data: code, flags: 1 },
        { name: "bz.py", data: code, method: 12 },
        { name: "ok.py", data: code }
      ])
    )
    expect((await collect(zip)).map((m) => [m.path, m.skipped])).toEqual([
      ["secret.py", "encrypted"],
      ["bz.py", "unsupported-compression"],
      ["ok.py", null]
    ])
  })

  it("reads a gzip-compressed single file as one member, and an empty zip as none", async () => {
    const dir = tempDir()
    const f = write(dir, "model.f90.gz", zlib.gzipSync(Buffer.from("program p\nend program p\n")))
    const m = await collect(f)
    expect(m.map((x) => [x.path, Buffer.from(x.bytes!).toString()])).toEqual([["model.f90", "program p\nend program p\n"]])
    const empty = write(dir, "empty.zip", zipBytes([]))
    expect(await collect(empty)).toEqual([])
  })

  it("stops cleanly when the consumer stops early", async () => {
    const dir = tempDir()
    const gz = write(dir, "many.tar.gz", zlib.gzipSync(tarBytes(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}.py`, data: code })))))
    let n = 0
    for await (const _m of readArchive(gz)) if (++n === 3) break
    expect(n).toBe(3)
  })
})
