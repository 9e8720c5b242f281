/**
 * Character encodings of text inputs. Files written on other systems arrive as UTF-16 (Windows
 * editors, PowerShell redirection), UTF-32, Latin-1 or Windows-1252 (old notes, instrument exports):
 * they are decoded, not rejected. The decision, in order:
 *  1. a byte order mark (UTF-8, UTF-32 LE/BE, UTF-16 LE/BE);
 *  2. the NUL pattern of BOM-less UTF-32/UTF-16 text (ASCII-range text leaves one or three zero bytes
 *     per character in the same positions);
 *  3. valid UTF-8 (the common case, checked natively);
 *  4. UTF-8 with a few bad bytes (many valid multi-byte sequences, few invalid ones): kept as UTF-8,
 *     the bad bytes become U+FFFD and the caller counts them;
 *  5. otherwise the charset chardet names (ISO-8859-x, windows-125x, KOI8-R, Shift_JIS, GB18030...),
 *     decoded by TextDecoder (Node has full ICU).
 * Pure: bytes in, text and the encoding's name out. Binary content is the caller's judgement (control
 * characters in the decoded text, see `controlShare`).
 */
import { isUtf8 } from "node:buffer"
import chardet from "chardet"
import { utf8SequenceAt } from "./sniff.ts"

export interface Decoded {
  readonly text: string
  /** WHATWG-style lower-case name: "utf-8", "utf-16le", "utf-32be", "iso-8859-1", "windows-1252"... */
  readonly encoding: string
  /** Invalid byte sequences replaced by U+FFFD (only for "utf-8"). */
  readonly replaced: number
  /** Whether a byte order mark was present (and dropped). */
  readonly bom: boolean
}

export interface EncodingGuess {
  readonly encoding: string
  /** Length of the byte order mark to skip. */
  readonly bomBytes: number
  /** How it was decided, for metadata and messages. */
  readonly how: "bom" | "nul-pattern" | "valid" | "mostly-valid" | "chardet"
}

/** How much of a large input charset detection samples: enough for chardet, cheap on big files. */
const DETECT_SAMPLE_BYTES = 64 * 1024

/** Encodings whose bytes in the ASCII range are ASCII: line-based readers (logs, tables, JSONL) may split them on LF. */
export const isAsciiCompatible = (encoding: string): boolean => !/^utf-(16|32)/.test(encoding)

function bomOf(b: Uint8Array): EncodingGuess | null {
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { encoding: "utf-8", bomBytes: 3, how: "bom" }
  // UTF-32LE's BOM starts like UTF-16LE's: test it first.
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return { encoding: "utf-32le", bomBytes: 4, how: "bom" }
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return { encoding: "utf-32be", bomBytes: 4, how: "bom" }
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return { encoding: "utf-16le", bomBytes: 2, how: "bom" }
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return { encoding: "utf-16be", bomBytes: 2, how: "bom" }
  return null
}

/**
 * UTF-32 or UTF-16 without a BOM, from where the zero bytes sit: text in Latin script keeps the high
 * bytes of most code units zero. Requires most units to follow the pattern and at least 8 of them, so
 * a binary with scattered NULs is not taken for text.
 */
function nulPattern(b: Uint8Array): EncodingGuess | null {
  const n = Math.min(b.length, 4096)
  if (n < 16) return null
  const zeros = [0, 0, 0, 0]
  for (let i = 0; i < n; i++) if (b[i] === 0) zeros[i % 4]!++
  const quads = Math.floor(n / 4)
  const pairs = Math.floor(n / 2)
  // UTF-32LE "A" = 41 00 00 00; UTF-32BE = 00 00 00 41.
  if (zeros[1]! > 0.9 * quads && zeros[2]! > 0.9 * quads && zeros[3]! > 0.9 * quads && zeros[0]! < 0.1 * quads) return { encoding: "utf-32le", bomBytes: 0, how: "nul-pattern" }
  if (zeros[0]! > 0.9 * quads && zeros[1]! > 0.9 * quads && zeros[2]! > 0.9 * quads && zeros[3]! < 0.1 * quads) return { encoding: "utf-32be", bomBytes: 0, how: "nul-pattern" }
  const even = zeros[0]! + zeros[2]!
  const odd = zeros[1]! + zeros[3]!
  if (odd > 0.6 * pairs && even < 0.05 * pairs) return { encoding: "utf-16le", bomBytes: 0, how: "nul-pattern" }
  if (even > 0.6 * pairs && odd < 0.05 * pairs) return { encoding: "utf-16be", bomBytes: 0, how: "nul-pattern" }
  return null
}

/** Counts of valid multi-byte UTF-8 sequences and of invalid bytes (a sequence cut by the end of `b` is not counted as invalid). */
function utf8Quality(b: Uint8Array): { multi: number; invalid: number } {
  let multi = 0
  let invalid = 0
  for (let i = 0; i < b.length; ) {
    const len = utf8SequenceAt(b, i)
    if (len === 0) break
    if (len < 0) {
      invalid++
      i++
      continue
    }
    if (len > 1) multi++
    i += len
  }
  return { multi, invalid }
}

/** Without a trailing multi-byte sequence cut off by the end of a sample (a head of a larger file). */
function withoutCutTail(b: Uint8Array): Uint8Array {
  let i = b.length - 1
  let back = 0
  while (i >= 0 && back < 3 && (b[i]! & 0xc0) === 0x80) {
    i--
    back++
  }
  if (i < 0) return b
  const c = b[i]!
  const need = c >= 0xc0 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf7 ? 3 : 0
  return need > back ? b.subarray(0, i) : b
}

/** Single-byte and CJK charsets chardet may name that TextDecoder decodes. */
const CHARDET_NAMES: Readonly<Record<string, string>> = {
  "ISO-8859-1": "iso-8859-1",
  "ISO-8859-2": "iso-8859-2",
  "ISO-8859-5": "iso-8859-5",
  "ISO-8859-6": "iso-8859-6",
  "ISO-8859-7": "iso-8859-7",
  "ISO-8859-8": "iso-8859-8",
  "ISO-8859-9": "iso-8859-9",
  "windows-1250": "windows-1250",
  "windows-1251": "windows-1251",
  "windows-1252": "windows-1252",
  "windows-1253": "windows-1253",
  "windows-1254": "windows-1254",
  "windows-1255": "windows-1255",
  "windows-1256": "windows-1256",
  "KOI8-R": "koi8-r",
  Shift_JIS: "shift_jis",
  "EUC-JP": "euc-jp",
  "EUC-KR": "euc-kr",
  GB18030: "gb18030",
  Big5: "big5",
  "ISO-2022-JP": "iso-2022-jp"
}

/**
 * The encoding of `bytes` (a whole file or its head; `sample` says it may be cut anywhere). Never
 * throws; falls back to UTF-8 with replacement when nothing better is known.
 */
export function guessEncoding(bytes: Uint8Array, sample = false): EncodingGuess {
  const bom = bomOf(bytes)
  if (bom !== null) return bom
  const wide = nulPattern(bytes)
  if (wide !== null) return wide
  const body = sample ? withoutCutTail(bytes.length > DETECT_SAMPLE_BYTES ? bytes.subarray(0, DETECT_SAMPLE_BYTES) : bytes) : bytes
  if (isUtf8(body)) return { encoding: "utf-8", bomBytes: 0, how: "valid" }
  const window = body.length > DETECT_SAMPLE_BYTES ? body.subarray(0, DETECT_SAMPLE_BYTES) : body
  const q = utf8Quality(window)
  // A UTF-8 file with a stray byte or two: valid multi-byte characters outnumber the bad bytes.
  if (q.multi >= 4 * q.invalid) return { encoding: "utf-8", bomBytes: 0, how: "mostly-valid" }
  // NUL bytes that are not the pattern of UTF-16/32 (checked above) mean binary data, not text in some
  // 8-bit charset: chardet would only guess, and costs ~10 ms per 64 kB sample of every binary input.
  if (window.includes(0)) return { encoding: "utf-8", bomBytes: 0, how: "mostly-valid" }
  for (const candidate of chardet.analyse(window)) {
    const name = CHARDET_NAMES[candidate.name]
    if (name !== undefined) return { encoding: name, bomBytes: 0, how: "chardet" }
    if (candidate.name === "UTF-8") return { encoding: "utf-8", bomBytes: 0, how: "mostly-valid" }
  }
  return { encoding: "utf-8", bomBytes: 0, how: "mostly-valid" }
}

/** UTF-32 by hand: TextDecoder has no UTF-32. Invalid code points become U+FFFD. */
function decodeUtf32(b: Uint8Array, littleEndian: boolean): { text: string; replaced: number } {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const units = Math.floor(b.byteLength / 4)
  const parts: string[] = []
  let chunk: number[] = []
  let replaced = b.byteLength % 4 === 0 ? 0 : 1
  for (let i = 0; i < units; i++) {
    let cp = view.getUint32(i * 4, littleEndian)
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      cp = 0xfffd
      replaced++
    }
    chunk.push(cp)
    if (chunk.length === 8192) {
      parts.push(String.fromCodePoint(...chunk))
      chunk = []
    }
  }
  if (chunk.length > 0) parts.push(String.fromCodePoint(...chunk))
  if (b.byteLength % 4 !== 0) parts.push("\uFFFD")
  return { text: parts.join(""), replaced }
}

type Decoder = InstanceType<typeof TextDecoder>
const decoders = new Map<string, Decoder>()
const decoderFor = (encoding: string): Decoder => {
  let d = decoders.get(encoding)
  if (d === undefined) {
    d = new TextDecoder(encoding, { ignoreBOM: true })
    decoders.set(encoding, d)
  }
  return d
}

/** Count of U+FFFD in `text` (replacement characters the decoder produced, or that the file held). */
const countReplacements = (text: string): number => {
  let n = 0
  for (let i = text.indexOf("\uFFFD"); i >= 0; i = text.indexOf("\uFFFD", i + 1)) n++
  return n
}

/** Decode with a known guess (from `guessEncoding`). */
export function decodeAs(bytes: Uint8Array, guess: EncodingGuess): Decoded {
  const body = guess.bomBytes > 0 ? bytes.subarray(guess.bomBytes) : bytes
  const bom = guess.bomBytes > 0
  if (guess.encoding === "utf-32le" || guess.encoding === "utf-32be") {
    const r = decodeUtf32(body, guess.encoding === "utf-32le")
    return { text: r.text, encoding: guess.encoding, replaced: r.replaced, bom }
  }
  const text = decoderFor(guess.encoding).decode(body)
  return { text, encoding: guess.encoding, replaced: guess.encoding === "utf-8" && guess.how !== "valid" ? countReplacements(text) : 0, bom }
}

/** Decode a whole text file: guess its encoding, then decode. */
export const decodeText = (bytes: Uint8Array): Decoded => decodeAs(bytes, guessEncoding(bytes))

/**
 * Share of C0 control characters (other than tab, LF, FF, CR and ESC) and DEL: text in any language
 * stays near 0; binary decoded as if it were text sits near 12%. Over the first 8192 characters, or
 * with `everywhere` the worst 8192-character window of the whole text (binary after a text header).
 */
export function controlShare(text: string, everywhere = false): number {
  const WINDOW = 8192
  if (text.length === 0) return 0
  const end = everywhere ? text.length : Math.min(text.length, WINDOW)
  let worst = 0
  for (let start = 0; start < end; start += WINDOW) {
    const stop = Math.min(end, start + WINDOW)
    let control = 0
    for (let i = start; i < stop; i++) {
      const c = text.charCodeAt(i)
      if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0c && c !== 0x0d && c !== 0x1b) || c === 0x7f) control++
    }
    // A short last window is judged against a full one, so a stray byte at the end is not "binary".
    worst = Math.max(worst, control / Math.max(stop - start, Math.min(WINDOW, text.length)))
  }
  return worst
}

/** Above this control-character share decoded "text" is binary (the sniffer's threshold, see sniff.ts). */
export const BINARY_CONTROL_SHARE = 0.05
