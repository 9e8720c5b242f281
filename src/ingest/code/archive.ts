/**
 * Members of software archives — `.tar`, `.tar.gz`/`.tgz` (also a single gzip-compressed file) and
 * `.zip` — one at a time with bounded memory: a tar.gz is gunzipped and parsed as a stream (ustar, pax
 * and GNU long names), a zip is read through its central directory and each member inflated on its own.
 * The format is recognised by content (magic numbers), never by the file name.
 *
 * Regular files are yielded with their bytes; members above `maxMemberBytes` are yielded with
 * `skipped: "too-large"` and are not read; symbolic and hard links are yielded with `skipped: "symlink"` or
 * `"hard-link"` and their target, never materialised or followed (a link member may point anywhere on the
 * machine that unpacks it); directories and device nodes are passed over; names that escape the archive (`../`, absolute paths) are yielded as `skipped: "unsafe-path"` without their bytes.
 * Corrupt or truncated archives throw an Error that says what is wrong and where.
 */
import * as fs from "node:fs"
import * as zlib from "node:zlib"

export type ArchiveFormat = "tar" | "gzip" | "zip"

export type MemberSkip = "too-large" | "unsafe-path" | "encrypted" | "unsupported-compression" | "unsupported-entry" | "symlink" | "hard-link"

export interface ArchiveMember {
  /** Normalised relative path ("/" separators, no leading "./"). For unsafe names: the name as stored. */
  readonly path: string
  /** Uncompressed size in bytes as the archive states it. */
  readonly size: number
  /** The member's content, or null when skipped. */
  readonly bytes: Uint8Array | null
  readonly skipped: MemberSkip | null
  /** For symlink and hard-link members: the target as stored (never resolved, never followed). */
  readonly linkTarget?: string
}

export interface ArchiveOptions {
  /** Members larger than this are reported as too-large and not read (default 1 MiB). */
  readonly maxMemberBytes?: number
  /** Called for entries that are passed over silently (directories, links, devices, FIFOs). */
  readonly onIgnored?: (path: string, type: string) => void
}

const DEFAULT_MAX_MEMBER = 1024 * 1024

// ---------------------------------------------------------------------------------------------------
// Detection

const u32le = (b: Uint8Array, o: number): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0
const u16le = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8)

/** A 512-byte block is a tar header when its checksum is right (ustar or old v7 headers alike). */
export function isTarHeader(block: Uint8Array): boolean {
  if (block.length < 512) return false
  if (block[0] === 0) return false
  const stored = parseOctal(block.subarray(148, 156))
  if (stored === null) return false
  return stored === headerChecksum(block)
}

/** The archive format of a file from its first bytes (at least 512 for tar), or null. */
export function detectArchive(head: Uint8Array): ArchiveFormat | null {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return "gzip"
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6)))
    return "zip"
  if (head.length >= 512) {
    const magic = String.fromCharCode(...head.subarray(257, 262))
    if (magic === "ustar" || isTarHeader(head.subarray(0, 512))) return "tar"
  }
  return null
}

// ---------------------------------------------------------------------------------------------------
// Paths

const utf8 = new TextDecoder("utf-8", { fatal: true })
const latin1 = new TextDecoder("latin1")

function decodeName(b: Uint8Array): string {
  try {
    return utf8.decode(b)
  } catch {
    return latin1.decode(b)
  }
}

/** A safe relative path, or null when the name is absolute, climbs out with "..", or is empty. */
export function safeMemberPath(name: string): string | null {
  if (name.includes("\u0000")) return null
  const n = name.replace(/\\/g, "/")
  if (n.startsWith("/") || /^[A-Za-z]:/.test(n)) return null
  const parts: string[] = []
  for (const p of n.split("/")) {
    if (p === "" || p === ".") continue
    if (p === "..") return null
    parts.push(p)
  }
  return parts.length ? parts.join("/") : null
}

// ---------------------------------------------------------------------------------------------------
// A byte reader over an async stream of chunks: exact reads and skips, holding one chunk at a time.

class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>
  private chunk: Uint8Array = new Uint8Array(0)
  private pos = 0
  private done = false
  /** Bytes consumed so far (the offset in the decompressed stream), for error messages. */
  offset = 0

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]()
  }

  private async fill(): Promise<boolean> {
    while (this.pos >= this.chunk.length) {
      if (this.done) return false
      const r = await this.it.next()
      if (r.done) {
        this.done = true
        return false
      }
      this.chunk = r.value
      this.pos = 0
    }
    return true
  }

  /** Exactly n bytes, or null at a clean end (no byte left). Throws when the stream ends inside them. */
  async read(n: number, what: string): Promise<Uint8Array | null> {
    if (!(await this.fill())) {
      if (n === 0) return new Uint8Array(0)
      return null
    }
    const avail = this.chunk.length - this.pos
    if (avail >= n) {
      const out = this.chunk.subarray(this.pos, this.pos + n)
      this.pos += n
      this.offset += n
      return out
    }
    const out = new Uint8Array(n)
    let got = 0
    while (got < n) {
      if (!(await this.fill())) throw new Error(`truncated archive: ${what} ends after ${got} of ${n} bytes (offset ${this.offset})`)
      const take = Math.min(n - got, this.chunk.length - this.pos)
      out.set(this.chunk.subarray(this.pos, this.pos + take), got)
      this.pos += take
      got += take
      this.offset += take
    }
    return out
  }

  /** Up to `max` bytes (whatever the current chunk holds), or null at the end. */
  async readSome(max: number): Promise<Uint8Array | null> {
    if (!(await this.fill())) return null
    const take = Math.min(max, this.chunk.length - this.pos)
    const out = this.chunk.subarray(this.pos, this.pos + take)
    this.pos += take
    this.offset += take
    return out
  }

  async skip(n: number, what: string): Promise<void> {
    let left = n
    while (left > 0) {
      if (!(await this.fill())) throw new Error(`truncated archive: ${what} ends ${left} bytes early (offset ${this.offset})`)
      const take = Math.min(left, this.chunk.length - this.pos)
      this.pos += take
      left -= take
      this.offset += take
    }
  }

  /** Put bytes back in front (used once, to peek at the first block of a gzip stream). */
  unshift(b: Uint8Array): void {
    const rest = this.chunk.subarray(this.pos)
    const merged = new Uint8Array(b.length + rest.length)
    merged.set(b, 0)
    merged.set(rest, b.length)
    this.chunk = merged
    this.pos = 0
    this.offset -= b.length
  }

  async close(): Promise<void> {
    await this.it.return?.()
  }
}

// ---------------------------------------------------------------------------------------------------
// Tar

function parseOctal(field: Uint8Array): number | null {
  // GNU base-256 for large values: high bit of the first byte set.
  if (field.length > 0 && (field[0]! & 0x80) !== 0) {
    let v = field[0]! & 0x7f
    for (let i = 1; i < field.length; i++) v = v * 256 + field[i]!
    return v
  }
  let s = ""
  for (const b of field) {
    if (b === 0 || b === 0x20) {
      if (s.length) break
      continue
    }
    if (b < 0x30 || b > 0x37) return null
    s += String.fromCharCode(b)
  }
  return s.length ? parseInt(s, 8) : 0
}

function headerChecksum(block: Uint8Array): number {
  let sum = 0
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!
  return sum
}

const cString = (b: Uint8Array): Uint8Array => {
  const z = b.indexOf(0)
  return z === -1 ? b : b.subarray(0, z)
}

/** pax extended header records: "LEN key=value\n". */
function parsePax(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>()
  let i = 0
  while (i < data.length) {
    let sp = i
    while (sp < data.length && data[sp] !== 0x20) sp++
    const len = parseInt(latin1.decode(data.subarray(i, sp)), 10)
    if (!Number.isFinite(len) || len <= 0 || i + len > data.length) break
    const rec = data.subarray(sp + 1, i + len - 1) // without trailing \n
    const eq = rec.indexOf(0x3d)
    if (eq > 0) out.set(latin1.decode(rec.subarray(0, eq)), decodeName(rec.subarray(eq + 1)))
    i += len
  }
  return out
}

const pad512 = (n: number): number => (512 - (n % 512)) % 512

/** Metadata blocks (pax, GNU long names) are small; more than this is a corrupt or hostile archive. */
const MAX_META_BYTES = 1024 * 1024

async function* tarMembers(reader: ByteReader, options: ArchiveOptions): AsyncGenerator<ArchiveMember> {
  const limit = options.maxMemberBytes ?? DEFAULT_MAX_MEMBER
  let longName: string | null = null
  let longLink: string | null = null
  let pax: Map<string, string> | null = null
  let globalPax = new Map<string, string>()
  for (;;) {
    const at = reader.offset
    const block = await reader.read(512, "tar header")
    if (block === null) return // end of stream without the zero blocks: accepted (many writers omit them)
    if (block.every((b) => b === 0)) return // end-of-archive marker
    const stored = parseOctal(block.subarray(148, 156))
    if (stored === null || stored !== headerChecksum(block)) throw new Error(`corrupt tar archive: bad header checksum at offset ${at}`)
    const type = String.fromCharCode(block[156]!)
    let size = parseOctal(block.subarray(124, 136))
    if (size === null) throw new Error(`corrupt tar archive: bad size field at offset ${at}`)
    const magic = latin1.decode(block.subarray(257, 263))
    let name = decodeName(cString(block.subarray(0, 100)))
    if (magic.startsWith("ustar")) {
      const prefix = decodeName(cString(block.subarray(345, 500)))
      if (prefix && magic === "ustar\u0000") name = `${prefix}/${name}`
    }
    // Metadata entries describe the next header.
    if (type === "x" || type === "g" || type === "L" || type === "K") {
      if (size > MAX_META_BYTES) throw new Error(`corrupt tar archive: ${size}-byte metadata entry at offset ${at}`)
      const data = (await reader.read(size, "tar metadata"))!
      await reader.skip(pad512(size), "tar padding")
      if (type === "x") pax = parsePax(data)
      else if (type === "g") globalPax = new Map([...globalPax, ...parsePax(data)])
      else if (type === "L") longName = decodeName(cString(data))
      else longLink = decodeName(cString(data))
      continue
    }
    const meta = pax ? new Map([...globalPax, ...pax]) : globalPax
    if (meta.has("path")) name = meta.get("path")!
    else if (longName !== null) name = longName
    if (meta.has("size")) {
      const s = Number(meta.get("size"))
      if (!Number.isSafeInteger(s) || s < 0) throw new Error(`corrupt tar archive: bad pax size at offset ${at}`)
      size = s
    }
    const linkTarget = meta.get("linkpath") ?? longLink ?? decodeName(cString(block.subarray(157, 257)))
    pax = null
    longName = null
    longLink = null
    const dataBytes = type === "1" || type === "2" || type === "3" || type === "4" || type === "5" || type === "6" ? 0 : size
    const regular = type === "0" || type === "\u0000" || type === "7"
    if (!regular) {
      await reader.skip(dataBytes + pad512(dataBytes), "tar entry")
      if (type === "S" || [...meta.keys()].some((k) => k.startsWith("GNU.sparse"))) {
        yield { path: safeMemberPath(name) ?? name, size, bytes: null, skipped: "unsupported-entry" }
      } else if (type === "1" || type === "2") {
        yield { path: safeMemberPath(name) ?? name, size: 0, bytes: null, skipped: type === "2" ? "symlink" : "hard-link", linkTarget }
      } else {
        const kinds: Record<string, string> = { "1": "hard link", "2": "symlink", "3": "character device", "4": "block device", "5": "directory", "6": "fifo" }
        options.onIgnored?.(name, kinds[type] ?? `type ${JSON.stringify(type)}`)
      }
      continue
    }
    if (name.endsWith("/")) {
      // Old tars mark directories by a trailing slash on a regular entry.
      await reader.skip(size + pad512(size), "tar entry")
      options.onIgnored?.(name, "directory")
      continue
    }
    const safe = safeMemberPath(name)
    if (safe === null) {
      await reader.skip(size + pad512(size), "tar entry")
      yield { path: name, size, bytes: null, skipped: "unsafe-path" }
      continue
    }
    if (size > limit) {
      await reader.skip(size + pad512(size), "tar entry")
      yield { path: safe, size, bytes: null, skipped: "too-large" }
      continue
    }
    const data = (await reader.read(size, `tar member ${safe}`)) ?? new Uint8Array(0)
    if (data.length !== size) throw new Error(`truncated archive: member ${safe} ends early`)
    // Copy: the reader's chunk may be reused by the stream.
    const bytes = data.slice()
    await reader.skip(pad512(size), "tar padding")
    yield { path: safe, size, bytes, skipped: null }
  }
}

// ---------------------------------------------------------------------------------------------------
// Zip

interface ZipEntry {
  readonly name: string
  readonly flags: number
  readonly method: number
  readonly crc: number
  readonly compressedSize: number
  readonly size: number
  readonly localOffset: number
  readonly unixMode: number | null
}

/** Reads from a file at positions, in windows, for the central directory. */
class FileWindow {
  private readonly fd: number
  private buf = new Uint8Array(0)
  private start = 0
  constructor(fd: number) {
    this.fd = fd
  }
  /** `n` bytes at `pos` (n small: a header). */
  at(pos: number, n: number): Uint8Array {
    if (pos < this.start || pos + n > this.start + this.buf.length) {
      const size = Math.max(n, 1 << 20)
      const b = Buffer.alloc(size)
      const got = fs.readSync(this.fd, b, 0, size, pos)
      this.buf = new Uint8Array(b.buffer, b.byteOffset, got)
      this.start = pos
    }
    const o = pos - this.start
    if (o + n > this.buf.length) throw new Error(`corrupt zip archive: structure runs past the end of the file (offset ${pos})`)
    return this.buf.subarray(o, o + n)
  }
}

function readExact(fd: number, pos: number, n: number): Uint8Array {
  const b = Buffer.alloc(n)
  let got = 0
  while (got < n) {
    const r = fs.readSync(fd, b, got, n - got, pos + got)
    if (r === 0) throw new Error(`truncated zip archive: ${n} bytes at offset ${pos} not in the file`)
    got += r
  }
  return new Uint8Array(b.buffer, b.byteOffset, n)
}

const u64le = (b: Uint8Array, o: number): number => u32le(b, o) + u32le(b, o + 4) * 0x100000000

function* zipEntries(fd: number, fileSize: number): Generator<ZipEntry> {
  const tailLen = Math.min(fileSize, 22 + 65535)
  const tail = readExact(fd, fileSize - tailLen, tailLen)
  let eocd = -1
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 5 && tail[i + 3] === 6) {
      eocd = i
      break
    }
  }
  if (eocd === -1) throw new Error("corrupt zip archive: no end-of-central-directory record (truncated?)")
  let total = u16le(tail, eocd + 10)
  let cdSize = u32le(tail, eocd + 12)
  let cdOffset = u32le(tail, eocd + 16)
  if (total === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    // Zip64: the locator sits just before the EOCD record.
    const loc = eocd - 20
    if (loc < 0 || u32le(tail, loc) !== 0x07064b50) throw new Error("corrupt zip archive: zip64 locator missing")
    const recOff = u64le(tail, loc + 8)
    const rec = readExact(fd, recOff, 56)
    if (u32le(rec, 0) !== 0x06064b50) throw new Error("corrupt zip archive: bad zip64 end record")
    total = u64le(rec, 32)
    cdSize = u64le(rec, 40)
    cdOffset = u64le(rec, 48)
  }
  if (cdOffset + cdSize > fileSize) throw new Error("corrupt zip archive: central directory lies past the end of the file")
  const win = new FileWindow(fd)
  let p = cdOffset
  for (let k = 0; k < total; k++) {
    const h = win.at(p, 46)
    if (u32le(h, 0) !== 0x02014b50) throw new Error(`corrupt zip archive: bad central directory entry ${k} at offset ${p}`)
    const madeBy = u16le(h, 4) >> 8
    const flags = u16le(h, 8)
    const method = u16le(h, 10)
    const crc = u32le(h, 16)
    let compressedSize = u32le(h, 20)
    let size = u32le(h, 24)
    const nameLen = u16le(h, 28)
    const extraLen = u16le(h, 30)
    const commentLen = u16le(h, 32)
    const ext = u32le(h, 38)
    let localOffset = u32le(h, 42)
    const rest = win.at(p + 46, nameLen + extraLen)
    const nameBytes = rest.subarray(0, nameLen)
    const name = flags & 0x800 ? new TextDecoder().decode(nameBytes) : decodeName(nameBytes)
    const extra = rest.subarray(nameLen)
    // Zip64 extended information: only the fields that are 0xFFFFFFFF in the header, in this order.
    for (let e = 0; e + 4 <= extra.length; ) {
      const id = u16le(extra, e)
      const len = u16le(extra, e + 2)
      if (id === 0x0001) {
        let q = e + 4
        if (size === 0xffffffff && q + 8 <= e + 4 + len) (size = u64le(extra, q)), (q += 8)
        if (compressedSize === 0xffffffff && q + 8 <= e + 4 + len) (compressedSize = u64le(extra, q)), (q += 8)
        if (localOffset === 0xffffffff && q + 8 <= e + 4 + len) localOffset = u64le(extra, q)
      }
      e += 4 + len
    }
    yield { name, flags, method, crc, compressedSize, size, localOffset, unixMode: madeBy === 3 ? ext >>> 16 : null }
    p += 46 + nameLen + extraLen + commentLen
  }
}

async function* zipMembers(file: string, options: ArchiveOptions): AsyncGenerator<ArchiveMember> {
  const limit = options.maxMemberBytes ?? DEFAULT_MAX_MEMBER
  const fd = fs.openSync(file, "r")
  try {
    const fileSize = fs.fstatSync(fd).size
    for (const e of zipEntries(fd, fileSize)) {
      const isDir = e.name.endsWith("/") || (e.unixMode !== null && (e.unixMode & 0o170000) === 0o040000)
      if (isDir) {
        options.onIgnored?.(e.name, "directory")
        continue
      }
      if (e.unixMode !== null && (e.unixMode & 0o170000) === 0o120000) {
        // A zip symlink stores its target as the member's data; it is not read (nor followed).
        yield { path: safeMemberPath(e.name) ?? e.name, size: e.size, bytes: null, skipped: "symlink" }
        continue
      }
      const safe = safeMemberPath(e.name)
      if (safe === null) {
        yield { path: e.name, size: e.size, bytes: null, skipped: "unsafe-path" }
        continue
      }
      if (e.size > limit || e.compressedSize > limit + 65536) {
        yield { path: safe, size: e.size, bytes: null, skipped: "too-large" }
        continue
      }
      if (e.flags & 1) {
        yield { path: safe, size: e.size, bytes: null, skipped: "encrypted" }
        continue
      }
      if (e.method !== 0 && e.method !== 8) {
        yield { path: safe, size: e.size, bytes: null, skipped: "unsupported-compression" }
        continue
      }
      if (e.localOffset + 30 > fileSize) throw new Error(`corrupt zip archive: member ${safe} starts past the end of the file`)
      const lh = readExact(fd, e.localOffset, 30)
      if (u32le(lh, 0) !== 0x04034b50) throw new Error(`corrupt zip archive: bad local header for ${safe} at offset ${e.localOffset}`)
      const dataStart = e.localOffset + 30 + u16le(lh, 26) + u16le(lh, 28)
      if (dataStart + e.compressedSize > fileSize) throw new Error(`truncated zip archive: data of ${safe} runs past the end of the file`)
      const comp = readExact(fd, dataStart, e.compressedSize)
      let bytes: Uint8Array
      if (e.method === 0) bytes = comp.slice()
      else {
        try {
          // maxOutputLength bounds memory even when the directory lies about the size (zip bombs).
          const out = zlib.inflateRawSync(comp, { maxOutputLength: Math.max(1, e.size) })
          bytes = new Uint8Array(out.buffer, out.byteOffset, out.length)
        } catch (err) {
          throw new Error(`corrupt zip archive: cannot inflate ${safe} (${err instanceof Error ? err.message : String(err)})`)
        }
      }
      if (bytes.length !== e.size) throw new Error(`corrupt zip archive: ${safe} inflates to ${bytes.length} bytes, directory says ${e.size}`)
      if (zlib.crc32(bytes) !== e.crc) throw new Error(`corrupt zip archive: CRC mismatch in ${safe}`)
      yield { path: safe, size: e.size, bytes, skipped: null }
    }
  } finally {
    fs.closeSync(fd)
  }
}

// ---------------------------------------------------------------------------------------------------
// Entry point

/** Read the first bytes of a file (for detection). */
export function readHead(file: string, n = 512): Uint8Array {
  const fd = fs.openSync(file, "r")
  try {
    const b = Buffer.alloc(n)
    const got = fs.readSync(fd, b, 0, n, 0)
    return new Uint8Array(b.buffer, b.byteOffset, got)
  } finally {
    fs.closeSync(fd)
  }
}

/** The archive format of a file by its content, or null when it is not an archive we read. */
export function archiveFormatOf(file: string): ArchiveFormat | null {
  return detectArchive(readHead(file, 512))
}

/**
 * Every member of the archive at `file` (tar, tar.gz or a single gzip file, zip), in archive order.
 * A gzip file whose content is not a tar yields one member named after the file without `.gz`.
 * Throws for a file that is not an archive, and for corrupt or truncated archives.
 */
export async function* readArchive(file: string, options: ArchiveOptions = {}): AsyncGenerator<ArchiveMember> {
  const format = archiveFormatOf(file)
  if (format === null) throw new Error(`not an archive (no tar, gzip or zip signature): ${file}`)
  if (format === "zip") {
    yield* zipMembers(file, options)
    return
  }
  const src = fs.createReadStream(file, { highWaterMark: 256 * 1024 })
  let stream: NodeJS.ReadableStream = src
  let gunzip: zlib.Gunzip | null = null
  if (format === "gzip") {
    gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 })
    src.on("error", (e) => gunzip!.destroy(e))
    src.pipe(gunzip)
    stream = gunzip
  }
  const reader = new ByteReader(stream as AsyncIterable<Uint8Array>)
  try {
    if (format === "tar") {
      yield* tarMembers(reader, options)
      return
    }
    // gzip: a tar inside, or one compressed file.
    // Peek at up to 512 bytes (a small single file may have fewer).
    const head: Uint8Array[] = []
    let got = 0
    while (got < 512) {
      const b = await reader.readSome(512 - got)
      if (b === null) break
      head.push(b.slice())
      got += b.length
    }
    const first = got === 0 ? null : Buffer.concat(head)
    if (first !== null && first.length === 512 && isTarHeader(first)) {
      reader.unshift(first.slice())
      yield* tarMembers(reader, options)
      return
    }
    yield* singleGzip(file, first, reader, options)
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e)
    if (/unexpected end of file/i.test(msg)) throw new Error(`truncated gzip stream in ${file}: ${msg}`)
    if (e instanceof Error && (e as NodeJS.ErrnoException).code?.startsWith("Z_"))
      throw new Error(`corrupt gzip stream in ${file}: ${msg}`)
    throw e
  } finally {
    await reader.close()
    src.destroy()
    gunzip?.destroy()
  }
}

/**
 * The members of a tar archive arriving as a stream (a decompressed .tar.gz, .tar.zst...), in order.
 * Throws for corrupt or truncated archives, like readArchive.
 */
export async function* readTarStream(source: AsyncIterable<Uint8Array>, options: ArchiveOptions = {}): AsyncGenerator<ArchiveMember> {
  const reader = new ByteReader(source)
  try {
    yield* tarMembers(reader, options)
  } finally {
    await reader.close()
  }
}

async function* singleGzip(
  file: string,
  first: Uint8Array | null,
  reader: ByteReader,
  options: ArchiveOptions
): AsyncGenerator<ArchiveMember> {
  const limit = options.maxMemberBytes ?? DEFAULT_MAX_MEMBER
  const base = file.replace(/\\/g, "/").split("/").pop() ?? "member"
  const name = base.replace(/\.(gz|tgz|gzip)$/i, "") || "member"
  const parts: Uint8Array[] = []
  let size = 0
  if (first !== null) {
    parts.push(first.slice())
    size = first.length
  }
  for (;;) {
    const chunk = await reader.readSome(256 * 1024)
    if (chunk === null) break
    size += chunk.length
    // Past the limit the rest is only counted, never kept.
    if (size <= limit) parts.push(chunk.slice())
    else parts.length = 0
  }
  if (size > limit) {
    yield { path: name, size, bytes: null, skipped: "too-large" }
    return
  }
  yield { path: name, size, bytes: Buffer.concat(parts), skipped: null }
}
