/**
 * What the readers' `detect` functions look at: a name, the first bytes, the decoded head and the size.
 * Pure data, no I/O: the router fills it once per file (or archive member, or decompressed stream) and
 * every reader scores the same probe. The costly views (decoded text, language, Markdown structure) are
 * computed on first use and kept, so twenty readers asking cost one decode.
 */
import { detectLanguage, type DetectedLanguage } from "./code/language.ts"
import { guessEncoding, isAsciiCompatible, type EncodingGuess, decodeAs } from "./encoding.ts"
import { sniff, SNIFF_BYTES, type Sniffed } from "./sniff.ts"
import { looksLikeMarkdown } from "./text.ts"

/** How many leading bytes a probe holds: the content detectors (logs, tables) look at 64 KiB of text. */
export const PROBE_BYTES = 64 * 1024

export class Probe {
  private _sniffed: Sniffed | undefined
  private _guess: EncodingGuess | undefined
  private _text: string | undefined
  private _language: DetectedLanguage | null | undefined
  private _markdown: boolean | undefined
  private readonly _memo = new Map<string, unknown>()

  /**
   * @param name the path used for name-based detection (a file's path, an archive member's path, a
   *   decompressed file's name without its compression extension)
   * @param head the first bytes (at most PROBE_BYTES; the whole content when shorter)
   * @param size the content's size in bytes, or -1 when unknown (a stream)
   */
  readonly name: string
  readonly head: Uint8Array
  readonly size: number

  constructor(name: string, head: Uint8Array, size: number) {
    this.name = name
    this.head = head
    this.size = size
  }

  /** The last path segment of the name. */
  get baseName(): string {
    return this.name.slice(this.name.replace(/\\/g, "/").lastIndexOf("/") + 1)
  }

  /** The lower-case extension with its dot ("" when none): ".jsonl", ".gz". */
  get extension(): string {
    const b = this.baseName
    const dot = b.lastIndexOf(".")
    return dot > 0 ? b.slice(dot).toLowerCase() : ""
  }

  /** The charset of the head (BOM, NUL pattern, UTF-8 validity, chardet). */
  get encoding(): EncodingGuess {
    return (this._guess ??= guessEncoding(this.head, true))
  }

  /** Whether line-based readers can split the bytes on LF (not UTF-16/32). */
  get asciiCompatible(): boolean {
    return isAsciiCompatible(this.encoding.encoding)
  }

  /**
   * PDF, a binary (with the type its magic number names) or text. UTF-16/32 text holds NUL bytes that
   * the byte sniffer would take for binary, so a NUL pattern of wide text wins over it.
   */
  get sniffed(): Sniffed {
    if (this._sniffed !== undefined) return this._sniffed
    const first = this.head.length > SNIFF_BYTES ? this.head.subarray(0, SNIFF_BYTES) : this.head
    let s = sniff(first)
    if (s._tag === "Binary" && s.type.startsWith("unknown binary") && !this.asciiCompatible) s = { _tag: "Text" }
    return (this._sniffed = s)
  }

  /** The head decoded as text in its encoding (a character cut at the end becomes U+FFFD). */
  get text(): string {
    return (this._text ??= decodeAs(this.head, this.encoding).text)
  }

  /** Language by extension, shebang and content (null when none). */
  get language(): DetectedLanguage | null {
    if (this._language === undefined) this._language = detectLanguage(this.name, this.text)
    return this._language
  }

  /** Clear Markdown structure in the head (see text.ts). */
  get markdown(): boolean {
    return (this._markdown ??= looksLikeMarkdown(this.text))
  }

  /** A value computed once per probe under `key` (for detectors shared by several readers). */
  memo<T>(key: string, compute: () => T): T {
    if (this._memo.has(key)) return this._memo.get(key) as T
    const v = compute()
    this._memo.set(key, v)
    return v
  }
}
