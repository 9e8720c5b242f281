/**
 * Megatron-compatible indexed datasets (`PREFIX.bin` + `PREFIX.idx`), the format Megatron-LM,
 * Megatron-DeepSpeed and NeMo memory-map for pretraining (`MMapIndexedDataset` / `IndexedDataset`).
 *
 * `.bin`: every document's token ids, back to back, little-endian, uint16 when the vocabulary fits
 * (< 65,500 ids, Megatron's own `best_fitting_dtype` rule) else int32; each document ends with EOS.
 * `.idx` (version 1):
 *   "MMIDIDX\0\0"  u64 version = 1  u8 dtype code (4 int32, 8 uint16)
 *   u64 sequence count N  u64 document-index count N + 1
 *   i32[N] sequence lengths (tokens)  i64[N] sequence byte offsets into .bin  i64[N + 1] document index
 * One document is one sequence, so the document index is 0, 1, ..., N.
 *
 * The writer streams tokens to `.bin` in 1 MiB buffers and keeps 12 bytes per document for the index
 * (lengths and offsets must precede each other in the file, so they are written at the end). Both files
 * appear under their final names only when complete (temporary names, then rename).
 */
import * as fs from "node:fs"
import { temporaryName } from "../core/layout.ts"

export const INDEX_MAGIC = Buffer.from("MMIDIDX\x00\x00", "latin1")
export const INDEX_VERSION = 1n
/** Megatron's DType codes. */
export const DTYPE_CODES = { uint16: 8, int32: 4 } as const
export type TokenDType = keyof typeof DTYPE_CODES

/** The dtype Megatron itself would pick for a vocabulary (its `best_fitting_dtype`). */
export const tokenDTypeFor = (vocabularySize: number): TokenDType => (vocabularySize < 65500 ? "uint16" : "int32")

const BUFFER_BYTES = 1 << 20
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

export class IndexedDatasetWriter {
  readonly prefix: string
  readonly dtype: TokenDType
  readonly eos: number
  private readonly itemBytes: number
  private readonly binTemp: string
  private fd: number
  private buffer: Buffer
  private used = 0
  private bytesWritten = 0
  private lengths = new Int32Array(1024)
  private offsets = new Float64Array(1024)
  private count = 0
  private tokens = 0

  constructor(prefix: string, dtype: TokenDType, eos: number) {
    const max = dtype === "uint16" ? 0xffff : 0x7fffffff
    if (!Number.isInteger(eos) || eos < 0 || eos > max) throw new RangeError(`EOS id ${eos} does not fit ${dtype}`)
    this.prefix = prefix
    this.dtype = dtype
    this.eos = eos
    this.itemBytes = dtype === "uint16" ? 2 : 4
    this.binTemp = temporaryName(`${prefix}.bin`)
    this.fd = fs.openSync(this.binTemp, "w")
    this.buffer = Buffer.allocUnsafe(BUFFER_BYTES)
  }

  get documents(): number {
    return this.count
  }

  get totalTokens(): number {
    return this.tokens
  }

  /** Append one document: its token ids, then EOS. Ids that do not fit the dtype are an error. */
  add(ids: ArrayLike<number>): void {
    const n = ids.length + 1
    if (this.count === this.lengths.length) {
      const lengths = new Int32Array(this.count * 2)
      lengths.set(this.lengths)
      this.lengths = lengths
      const offsets = new Float64Array(this.count * 2)
      offsets.set(this.offsets)
      this.offsets = offsets
    }
    this.lengths[this.count] = n
    this.offsets[this.count] = this.bytesWritten + this.used
    this.count++
    this.tokens += n
    const max = this.dtype === "uint16" ? 0xffff : 0x7fffffff
    for (let i = 0; i < ids.length; i++) if (!(ids[i]! >= 0 && ids[i]! <= max)) throw new RangeError(`token id ${ids[i]} does not fit ${this.dtype}`)
    // Whole typed arrays are copied as bytes (the machine is little-endian, as the format is; checked below).
    if (ids instanceof Uint32Array && this.itemBytes === 4 && LITTLE_ENDIAN) this.put(new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength))
    else if (ids instanceof Uint32Array || ids instanceof Uint16Array || Array.isArray(ids)) {
      const conv = this.itemBytes === 2 ? Uint16Array.from(ids as ArrayLike<number>) : Int32Array.from(ids as ArrayLike<number>)
      if (LITTLE_ENDIAN) this.put(new Uint8Array(conv.buffer))
      else for (let i = 0; i < conv.length; i++) this.putOne(conv[i]!)
    } else for (let i = 0; i < ids.length; i++) this.putOne(ids[i]!)
    this.putOne(this.eos)
  }

  private put(bytes: Uint8Array): void {
    if (bytes.length > this.buffer.length - this.used) this.flush()
    if (bytes.length > this.buffer.length) {
      fs.writeSync(this.fd, bytes)
      this.bytesWritten += bytes.length
      return
    }
    this.buffer.set(bytes, this.used)
    this.used += bytes.length
  }

  private putOne(id: number): void {
    if (this.used + this.itemBytes > this.buffer.length) this.flush()
    if (this.itemBytes === 2) this.buffer.writeUInt16LE(id, this.used)
    else this.buffer.writeInt32LE(id, this.used)
    this.used += this.itemBytes
  }

  private flush(): void {
    if (this.used === 0) return
    fs.writeSync(this.fd, this.buffer, 0, this.used)
    this.bytesWritten += this.used
    this.used = 0
  }

  /** Write the index and put both files in place. */
  finish(): { bin: string; idx: string; documents: number; tokens: number; binBytes: number } {
    this.flush()
    fs.fsyncSync(this.fd)
    fs.closeSync(this.fd)
    const n = this.count
    const header = Buffer.alloc(9 + 8 + 1 + 8 + 8)
    INDEX_MAGIC.copy(header, 0)
    header.writeBigUInt64LE(INDEX_VERSION, 9)
    header.writeUInt8(DTYPE_CODES[this.dtype], 17)
    header.writeBigUInt64LE(BigInt(n), 18)
    header.writeBigUInt64LE(BigInt(n + 1), 26)
    const lengths = Buffer.alloc(n * 4)
    for (let i = 0; i < n; i++) lengths.writeInt32LE(this.lengths[i]!, i * 4)
    const pointers = Buffer.alloc(n * 8)
    for (let i = 0; i < n; i++) pointers.writeBigInt64LE(BigInt(this.offsets[i]!), i * 8)
    const documentIndex = Buffer.alloc((n + 1) * 8)
    for (let i = 0; i <= n; i++) documentIndex.writeBigInt64LE(BigInt(i), i * 8)
    const idx = `${this.prefix}.idx`
    const idxTemp = temporaryName(idx)
    fs.writeFileSync(idxTemp, Buffer.concat([header, lengths, pointers, documentIndex]))
    // .bin first: an .idx is never in place without the data it describes.
    fs.renameSync(this.binTemp, `${this.prefix}.bin`)
    fs.renameSync(idxTemp, idx)
    return { bin: `${this.prefix}.bin`, idx, documents: n, tokens: this.tokens, binBytes: this.bytesWritten }
  }

  /** Give up: remove the temporary data file. */
  abort(): void {
    try {
      fs.closeSync(this.fd)
    } catch {
      // already closed
    }
    fs.rmSync(this.binTemp, { force: true })
  }
}
