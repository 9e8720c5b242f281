/**
 * A tokenize task's token ids, kept so that nothing downstream tokenizes again: `part-R-of-W.tokens`
 * beside the task's shard, the ids of every document it wrote one after another as little-endian
 * uint32 (no header, no separators). Each row of the shard says where its ids are (`token_file`,
 * `token_offset` in ids; the count is `n_tokens`), so the bundle stage copies them into its Megatron
 * shards in whatever order it writes documents. Written under a temporary name and renamed, like shards.
 *
 * `token_file` is `<plan>:<file name>`, where <plan> starts the hash of the tokenize plan that wrote it:
 * a dataset classified from an earlier tokenize run (whose files have since been rewritten) is refused
 * rather than given another run's ids.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { temporaryName } from "../core/layout.ts"

const BUFFER_BYTES = 1 << 20

export const tokenFileOf = (shard: string): string => shard.replace(/\.parquet$/, ".tokens")

/** The `token_file` value of rows whose ids are in `file`, written by the tokenize plan with this hash. */
export const tokenLocator = (planHash: string, file: string): string => `${planHash.slice(0, 16)}:${path.basename(file)}`

export class TokenFileWriter {
  readonly target: string
  private readonly temp: string
  private readonly fd: number
  private readonly buffer = Buffer.allocUnsafe(BUFFER_BYTES)
  private used = 0
  /** Ids written so far: the offset of the next document. */
  private count = 0
  private closed = false

  constructor(target: string) {
    this.target = target
    this.temp = temporaryName(target)
    fs.mkdirSync(path.dirname(target), { recursive: true })
    this.fd = fs.openSync(this.temp, "w")
  }

  /** Append one document's ids; returns their offset (in ids) in the file. */
  add(ids: Uint32Array): number {
    const offset = this.count
    const bytes = new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength)
    if (bytes.length > this.buffer.length - this.used) this.flush()
    if (bytes.length > this.buffer.length) fs.writeSync(this.fd, bytes)
    else {
      this.buffer.set(bytes, this.used)
      this.used += bytes.length
    }
    this.count += ids.length
    return offset
  }

  private flush(): void {
    if (this.used > 0) fs.writeSync(this.fd, this.buffer, 0, this.used)
    this.used = 0
  }

  finish(): void {
    this.flush()
    this.closed = true
    fs.closeSync(this.fd)
    fs.renameSync(this.temp, this.target)
  }

  abort(): void {
    // Never close twice: after finish() the descriptor number may belong to another file by now.
    if (!this.closed) {
      this.closed = true
      fs.closeSync(this.fd)
    }
    fs.rmSync(this.temp, { force: true })
  }
}

/** Reads documents' ids back from the token files of one tokenize stage folder, keeping files open. */
export class TokenFileReader {
  private readonly dir: string
  private readonly plan: string
  private readonly open = new Map<string, number>()

  /** `planHash`: the hash of the tokenize plan whose files are in `dir` now. */
  constructor(dir: string, planHash: string) {
    this.dir = dir
    this.plan = planHash.slice(0, 16)
  }

  read(locator: string, offset: number, count: number): Uint32Array {
    let fd = this.open.get(locator)
    if (fd === undefined) {
      const m = /^([0-9a-f]{16}):(part-\d+-of-\d+\.tokens)$/.exec(locator)
      // Only names a tokenize task writes: a row cannot point outside the stage folder.
      if (m === null) throw new Error(`token_file ${JSON.stringify(locator)} is not a token locator`)
      if (m[1] !== this.plan) {
        throw new Error(`token_file ${locator}: written by tokenize plan ${m[1]}, but ${this.dir} now holds plan ${this.plan}'s files; classify the current tokenize output again`)
      }
      fd = fs.openSync(path.join(this.dir, m[2]!), "r")
      this.open.set(locator, fd)
    }
    const out = new Uint32Array(count)
    const bytes = new Uint8Array(out.buffer)
    const got = count === 0 ? 0 : fs.readSync(fd, bytes, 0, bytes.length, offset * 4)
    if (got !== bytes.length) throw new Error(`${locator}: ${count} ids at offset ${offset} run past the end of the file`)
    return out
  }

  close(): void {
    for (const fd of this.open.values()) fs.closeSync(fd)
    this.open.clear()
  }
}
