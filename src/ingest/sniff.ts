/**
 * Content sniffing: decide what a file is from its first bytes, not its name. Input trees are full of
 * misnamed files (`.txt` that is gzip, `.dat` that is text, netCDF-4 that is HDF5), and one wrong guess
 * would either crash an extractor or push binary garbage into training text.
 */
import { isUtf8 } from "node:buffer"

/** How many leading bytes the sniffer looks at: enough for every magic number and a fair text sample. */
export const SNIFF_BYTES = 8192

export type Sniffed =
  | { readonly _tag: "Pdf" }
  | { readonly _tag: "Binary"; readonly type: string }
  | { readonly _tag: "Text" }

interface Magic {
  readonly type: string
  readonly bytes: ReadonlyArray<number>
  readonly offset?: number
}

const ascii = (s: string): ReadonlyArray<number> => Array.from(s, (c) => c.charCodeAt(0))

/**
 * Signatures of binary formats we have no extractor for yet. Order matters only where one signature is
 * a prefix of another (none here). HDF5 may also sit after a user block at 512/1024/2048 bytes.
 */
const MAGICS: ReadonlyArray<Magic> = [
  { type: "HDF5", bytes: [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: "HDF5", bytes: [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], offset: 512 },
  { type: "HDF5", bytes: [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], offset: 1024 },
  { type: "HDF5", bytes: [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], offset: 2048 },
  { type: "netCDF classic", bytes: [...ascii("CDF"), 0x01] },
  { type: "netCDF 64-bit offset", bytes: [...ascii("CDF"), 0x02] },
  { type: "netCDF CDF-5", bytes: [...ascii("CDF"), 0x05] },
  { type: "Parquet", bytes: ascii("PAR1") },
  { type: "gzip", bytes: [0x1f, 0x8b] },
  { type: "zip", bytes: [0x50, 0x4b, 0x03, 0x04] },
  { type: "zip", bytes: [0x50, 0x4b, 0x05, 0x06] },
  { type: "bzip2", bytes: ascii("BZh") },
  { type: "xz", bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { type: "zstd", bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  { type: "7z", bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  { type: "PNG", bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: "JPEG", bytes: [0xff, 0xd8, 0xff] },
  { type: "GIF", bytes: ascii("GIF8") },
  { type: "TIFF", bytes: [0x49, 0x49, 0x2a, 0x00] },
  { type: "TIFF", bytes: [0x4d, 0x4d, 0x00, 0x2a] },
  { type: "ELF", bytes: [0x7f, 0x45, 0x4c, 0x46] },
  { type: "NumPy", bytes: [0x93, ...ascii("NUMPY")] },
  { type: "SQLite", bytes: ascii("SQLite format 3\u0000") }
]

const matchesAt = (head: Uint8Array, bytes: ReadonlyArray<number>, offset: number): boolean => {
  if (head.length < offset + bytes.length) return false
  for (let i = 0; i < bytes.length; i++) if (head[offset + i] !== bytes[i]) return false
  return true
}

/** The type name of a known binary signature at the start of `head`, or null. */
export function detectMagic(head: Uint8Array): string | null {
  for (const m of MAGICS) if (matchesAt(head, m.bytes, m.offset ?? 0)) return m.type
  return null
}

const PDF_HEADER = ascii("%PDF-")

/** PDF readers accept the `%PDF-` header anywhere in the first 1024 bytes (some files carry junk before it). */
export function hasPdfHeader(head: Uint8Array): boolean {
  const limit = Math.min(head.length, 1024) - PDF_HEADER.length
  for (let i = 0; i <= limit; i++) if (matchesAt(head, PDF_HEADER, i)) return true
  return false
}

/**
 * Share of C0 control bytes (other than tab, LF, FF, CR and ESC, which real text files contain) and DEL
 * above which a sample counts as binary. Text in any UTF-8 language stays far below it; packed
 * numbers and compressed data sit around 12% (32 of 256 byte values).
 */
const CONTROL_SHARE_LIMIT = 0.05

/** Classify a file from its first bytes. `head` is at most SNIFF_BYTES of the file, never empty. */
export function sniff(head: Uint8Array): Sniffed {
  // PDF first: a PDF's body is binary, so the generic binary checks below would claim it.
  if (hasPdfHeader(head)) return { _tag: "Pdf" }
  const magic = detectMagic(head)
  if (magic !== null) return { _tag: "Binary", type: magic }
  let control = 0
  for (let i = 0; i < head.length; i++) {
    const b = head[i]!
    // A NUL never occurs in text; it is the surest sign of a binary (or UTF-16) file.
    if (b === 0) return { _tag: "Binary", type: "unknown binary (contains NUL bytes)" }
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d && b !== 0x1b) || b === 0x7f) control++
  }
  if (control > head.length * CONTROL_SHARE_LIMIT) {
    const pct = ((100 * control) / head.length).toFixed(1)
    return { _tag: "Binary", type: `unknown binary (${pct}% control bytes)` }
  }
  return { _tag: "Text" }
}

/** True when `bytes` starts with the UTF-8 byte order mark EF BB BF. */
export const hasUtf8Bom = (bytes: Uint8Array): boolean =>
  bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf

/**
 * The length (1 to 4) of the valid UTF-8 sequence that starts at `bytes[i]`, 0 when a valid start is cut
 * off by the end of the buffer, or -1 when the bytes there are not UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). The one byte-level rule every UTF-8 walk here uses.
 */
export function utf8SequenceAt(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!
  if (b < 0x80) return 1
  let need: number
  let lo = 0x80
  let hi = 0xbf
  if (b >= 0xc2 && b <= 0xdf) need = 1
  else if (b >= 0xe0 && b <= 0xef) {
    need = 2
    if (b === 0xe0) lo = 0xa0 // overlong
    if (b === 0xed) hi = 0x9f // surrogates
  } else if (b >= 0xf0 && b <= 0xf4) {
    need = 3
    if (b === 0xf0) lo = 0x90 // overlong
    if (b === 0xf4) hi = 0x8f // above U+10FFFF
  } else return -1
  if (i + need >= bytes.length) return 0
  const c1 = bytes[i + 1]!
  if (c1 < lo || c1 > hi) return -1
  for (let k = 2; k <= need; k++) {
    const c = bytes[i + k]!
    if (c < 0x80 || c > 0xbf) return -1
  }
  return need + 1
}

/**
 * Byte offset of the first invalid UTF-8 sequence in `bytes`, or -1 when it is valid. Uses Node's native
 * check for the common valid case and walks the bytes only to locate an error (a sequence cut off by
 * the end of the buffer counts as the error).
 */
export function findInvalidUtf8(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1
  for (let i = 0; i < bytes.length; ) {
    const len = utf8SequenceAt(bytes, i)
    if (len <= 0) return i
    i += len
  }
  // isUtf8 said invalid but the walk found nothing: cannot happen, but never report "valid" then.
  return 0
}
