/**
 * What a reader is. A reader is one file under src/ingest/readers/: an id, the document kind and
 * format it produces, a pure `detect` that scores a Probe (name, first bytes, decoded head, size) with
 * a reason, a declared priority for ties, and a `read` that turns a Target into items (Document,
 * Rejected, Filtered). The router (router.ts) scores every reader and reads with the best; archives and
 * compressed files hand their members back to the router through the ReadContext, so a reader never
 * imports the router or another reader.
 */
import { sha256Hex } from "../core/text.ts"
import type { LicenseContext } from "./code/options.ts"
import { collectChunks, readWholeFile } from "./files.ts"
import { extractLines, extractMemberLines, type LineConsumer } from "./outputs.ts"
import type { Probe } from "./probe.ts"
import { DEFAULT_CONTAINER_LIMITS, type ContainerLimits, type Extracted, type IngestOptions, type InputFile, type Member } from "./types.ts"

export interface Detection {
  /** 0..1; the router picks the highest (ties by priority). */
  readonly score: number
  /** Why, in a few words a curator understands: "extension .jsonl", "LAMMPS banner". */
  readonly reason: string
}

export interface Reader {
  readonly id: string
  /** Document kind it produces ("text", "code", "paper", "simulation"), or "members" (containers), or "filter". */
  readonly kind: string
  /** Format id(s) of its documents, e.g. "jsonl", "lammps-log", "<language>". */
  readonly format: string
  /** Ties: the higher priority wins. */
  readonly priority: number
  /** The highest score `detect` can return: the router stops scoring once no remaining reader can win. */
  readonly ceiling: number
  /** What detection looks at, for `scicurate formats`. */
  readonly detectsOn: string
  /** Typical file names. */
  readonly examples: ReadonlyArray<string>
  detect(probe: Probe): Detection | null
  read(target: Target, ctx: ReadContext): AsyncIterable<Extracted>
}

/**
 * The content a reader reads: a whole input file on disk, an archive member in memory, or a
 * decompressed stream. `file` is the input file the documents belong to (its source path, license and
 * domain); `member` says where inside it this content sits.
 */
export interface Target {
  readonly file: InputFile
  readonly probe: Probe
  /** The file on disk when this content is exactly that file (readers that seek need it). */
  readonly path: string | null
  /** The whole content when it is in memory (an archive member). */
  readonly bytes: Uint8Array | null
  /** Where in the input file: an archive member, or the content of a compressed file. */
  readonly member?: Member
  /** The content as chunks; may be called again (re-reads or re-decompresses). */
  chunks(): AsyncIterable<Uint8Array>
  /** The source_sha256 of its documents: of the member's bytes, or of the file as stored on disk. */
  sha256(): Promise<string>
  /** How many containers (archives, compression layers) enclose it. */
  readonly depth: number
  /** Shared by everything unpacked from one input file. */
  readonly budget: Budget
  /** License files and debian/copyright of the archive it came from (code members). */
  readonly licenseContext?: LicenseContext
  /** The container readers it came through, outermost first (["gzip", "archive"] for a .tar.gz member). */
  readonly via?: ReadonlyArray<string>
}

export interface Choice {
  readonly reader: Reader
  readonly detection: Detection
}

export interface ReadContext {
  readonly options: IngestOptions
  /** The best reader for a probe, or null (no reader claims it). */
  choose(probe: Probe): Choice | null
  /** Read with a chosen reader (records metadata.reader on every document). */
  readWith(choice: Choice, target: Target): AsyncIterable<Extracted>
  /** choose + readWith, with the router's fallback rejects (binary, undecidable). */
  route(target: Target): AsyncIterable<Extracted>
}

/**
 * Bomb limits for one input file: bytes unpacked from all its containers, and the expansion ratio of
 * each stream. The first limit crossed is kept so the items it cut short can be rejected with it.
 */
export class Budget {
  unpackedBytes = 0
  exceeded: { readonly reason: string; readonly detail: string } | null = null
  readonly limits: ContainerLimits
  constructor(limits: ContainerLimits = DEFAULT_CONTAINER_LIMITS) {
    this.limits = limits
  }

  /** Count `n` unpacked bytes of a stream that has consumed `packed` bytes; throws once a limit is crossed. */
  take(n: number, unpackedHere: number, packed: number): void {
    this.unpackedBytes += n
    const l = this.limits
    if (this.unpackedBytes > l.maxTotalBytes) this.fail("unpacked-too-large", `more than ${l.maxTotalBytes} bytes once unpacked (max_total_bytes)`)
    if (unpackedHere > l.ratioFloorBytes && packed > 0 && unpackedHere > l.maxRatio * packed)
      this.fail("decompression-bomb", `expands more than ${l.maxRatio}x (${unpackedHere} bytes from ${packed}); stopped`)
  }

  private fail(reason: string, detail: string): never {
    this.exceeded ??= { reason, detail }
    throw new BudgetExceeded(reason, detail)
  }
}

export class BudgetExceeded extends Error {
  override readonly name = "BudgetExceeded"
  readonly reason: string
  constructor(reason: string, detail: string) {
    super(detail)
    this.reason = reason
  }
}

/** A container's content as a Target of its own (archive member in memory). */
export function memberTarget(parent: Target, probe: Probe, member: Member, bytes: Uint8Array, licenseContext?: LicenseContext): Target {
  return {
    file: parent.file,
    probe,
    path: null,
    bytes,
    member,
    chunks: async function* () {
      yield bytes
    },
    sha256: async () => sha256Hex(bytes),
    depth: parent.depth + 1,
    budget: parent.budget,
    via: [...(parent.via ?? []), "archive"],
    ...(licenseContext !== undefined ? { licenseContext } : {})
  }
}

/** The whole content, within `maxBytes`, or a Rejected item (too large, unreadable). */
export async function wholeContent(target: Target, maxBytes: number): Promise<Uint8Array | Extracted> {
  if (target.bytes !== null) return target.bytes
  if (target.path !== null) return readWholeFile(target.path, target.file.size, maxBytes)
  return collectChunks(target.chunks(), maxBytes)
}

/** The location of items from this content ("member x/y.csv"), or undefined for a whole file. */
export const locationOf = (target: Target): string | undefined => (target.member === undefined ? undefined : `member ${target.member.path}`)

/**
 * An item made for a whole file, placed at its member: location, source_index, title and
 * metadata.archive_member, as for every other member document.
 */
export function placeAtMember(item: Extracted, member: Member | undefined): Extracted {
  if (member === undefined) return item
  const location = `member ${member.path}`
  if (item._tag !== "Document") return item.location === undefined ? { ...item, location } : item
  const metadata = JSON.stringify({ ...(JSON.parse(item.doc.metadata) as object), archive_member: member.path })
  return { ...item, doc: { ...item.doc, source_index: member.index, title: item.doc.title ?? member.path, metadata } }
}

/** The decoded head's first non-space character is `c`. */
export const startsWithChar = (text: string, c: string): boolean => {
  const i = text.search(/\S/)
  return i >= 0 && text[i] === c
}

/**
 * Feed a target's lines to a log or table reader: a file on disk is streamed and hashed in one pass, a
 * member is split in memory, a decompressed stream is streamed (its hash is the compressed file's).
 */
export async function readLinesOf(target: Target, options: IngestOptions, consumer: LineConsumer, what: string): Promise<Extracted> {
  if (target.bytes !== null) return extractMemberLines(target.bytes, target.file, options, consumer, what, target.member ?? { index: 0, path: target.probe.name })
  if (target.path !== null) return extractLines(target.file, options, consumer, what)
  return extractLines(target.file, options, consumer, what, { chunks: target.chunks(), sha256: await target.sha256(), ...(target.member ? { member: target.member } : {}) })
}
