/**
 * Compression as a layer, not a format: gzip, zstd, bzip2 and xz streams are recognised by their magic
 * bytes and decompressed as a stream; the content goes back to the router like any file, under the
 * name without the compression extension (`x.jsonl.gz` is probed as `x.jsonl`). Every decompressed
 * byte is counted against the input file's Budget (total bytes and expansion ratio), so a bomb is
 * stopped after at most one chunk past the limit.
 */
import { PassThrough, Readable, type Duplex } from "node:stream"
import * as zlib from "node:zlib"
import unbzip2 from "unbzip2-stream"
import xz from "xz-decompress"
import type { Budget } from "./reader.ts"

export type Codec = "gzip" | "zstd" | "bzip2" | "xz"

export interface CodecSpec {
  readonly codec: Codec
  readonly magic: ReadonlyArray<number>
  /** Extensions the codec gives a file name; `.tgz` and the like stand for `.tar.<codec>`. */
  readonly extensions: ReadonlyArray<string>
  readonly tarExtensions: ReadonlyArray<string>
}

export const CODECS: Readonly<Record<Codec, CodecSpec>> = {
  gzip: { codec: "gzip", magic: [0x1f, 0x8b], extensions: [".gz", ".gzip"], tarExtensions: [".tgz"] },
  zstd: { codec: "zstd", magic: [0x28, 0xb5, 0x2f, 0xfd], extensions: [".zst", ".zstd"], tarExtensions: [".tzst"] },
  bzip2: { codec: "bzip2", magic: [0x42, 0x5a, 0x68], extensions: [".bz2", ".bzip2"], tarExtensions: [".tbz", ".tbz2"] },
  xz: { codec: "xz", magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], extensions: [".xz"], tarExtensions: [".txz"] }
}

export const hasMagic = (head: Uint8Array, magic: ReadonlyArray<number>): boolean => head.length >= magic.length && magic.every((b, i) => head[i] === b)

/**
 * The name of the content inside: `x.jsonl.gz` → `x.jsonl`, `x.tgz` → `x.tar`; a name without the
 * codec's extension (a misnamed `.dat` that is gzip) stays as it is.
 */
export function innerName(name: string, spec: CodecSpec): string {
  const lower = name.toLowerCase()
  for (const ext of spec.extensions) if (lower.endsWith(ext) && name.length > ext.length) return name.slice(0, -ext.length)
  for (const ext of spec.tarExtensions) if (lower.endsWith(ext) && name.length > ext.length) return `${name.slice(0, -ext.length)}.tar`
  return name
}

interface Opened {
  readonly chunks: AsyncIterable<Uint8Array>
  /** Stop reading: closes the source (the input file) when the consumer stops early. */
  close(): void
}

/** Old-style and Node streams alike: pipe `source` through `transform`, as an async iterable with errors propagated. */
function through(source: AsyncIterable<Uint8Array>, transform: Duplex): Opened {
  const input = Readable.from(source, { objectMode: false })
  const out = new PassThrough({ highWaterMark: 1 << 20 })
  const fail = (e: unknown) => {
    input.destroy()
    out.destroy(e instanceof Error ? e : new Error(String(e)))
  }
  input.on("error", fail)
  transform.on("error", fail)
  input.pipe(transform).pipe(out)
  return {
    chunks: out,
    close: () => {
      input.destroy()
      transform.destroy()
      out.destroy()
    }
  }
}

function decompressRaw(codec: Codec, source: AsyncIterable<Uint8Array>): Opened {
  switch (codec) {
    case "gzip":
      return through(source, zlib.createGunzip({ chunkSize: 256 * 1024 }))
    case "zstd":
      return through(source, zlib.createZstdDecompress({ chunkSize: 256 * 1024 }))
    case "bzip2":
      return through(source, unbzip2())
    case "xz": {
      const input = Readable.from(source, { objectMode: false })
      const web = Readable.toWeb(input) as unknown as ReadableStream<Uint8Array>
      const out = new xz.XzReadableStream(web)
      return { chunks: out as unknown as AsyncIterable<Uint8Array>, close: () => input.destroy() }
    }
  }
}

/**
 * A compressed stream that fails to decode part-way (bad data, a wrong checksum at its end, cut short):
 * the content's reader sees it as an exception mid-read, and the router rejects the file as a corrupt
 * archive, whatever reader was reading the content.
 */
export class CorruptStream extends Error {
  override readonly name = "CorruptStream"
}

/**
 * The decompressed content of `source`, metered: each chunk counts against `budget` with the bytes of
 * `source` consumed so far (for the expansion ratio). Throws BudgetExceeded past a limit, and the
 * codec's error (with the codec named) for corrupt or truncated streams.
 */
export async function* decompress(codec: Codec, source: AsyncIterable<Uint8Array>, budget: Budget): AsyncGenerator<Uint8Array> {
  let packed = 0
  const counted = (async function* () {
    for await (const c of source) {
      packed += c.length
      yield c
    }
  })()
  let unpacked = 0
  const opened = decompressRaw(codec, counted)
  try {
    for await (const chunk of opened.chunks) {
      unpacked += chunk.length
      budget.take(chunk.length, unpacked, packed)
      yield chunk
    }
  } catch (e) {
    if (e instanceof Error && e.name === "BudgetExceeded") throw e
    const message = e instanceof Error ? e.message : String(e)
    throw new CorruptStream(`corrupt or truncated ${codec} stream: ${message}`)
  } finally {
    opened.close()
  }
}
