/**
 * The one place ingest opens input files: the first bytes for the probe, the whole file for readers
 * that need it in memory, a chunk stream, a hash. Checks on the file itself (size on the open handle,
 * and later permissions or changes during the read) belong here, so every reader gets them.
 */
import { createHash } from "node:crypto"
import { createReadStream } from "node:fs"
import { open } from "node:fs/promises"
import { errorMessage, rejected, type Extracted } from "./types.ts"

/** Chunk size of streamed reads. */
export const CHUNK_BYTES = 1 << 20

/** The first `n` bytes of a file (fewer if it is shorter). */
export async function readFileHead(absPath: string, n: number): Promise<Buffer> {
  const handle = await open(absPath, "r")
  try {
    const buf = Buffer.alloc(n)
    const { bytesRead } = await handle.read(buf, 0, n, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await handle.close()
  }
}

const tooLarge = (size: number, limit: number) => rejected("file-too-large", `${size} bytes, limit for text and PDF files is ${limit}`)

/**
 * A whole file for the readers that need it in memory, or a Rejected item. The size is checked on
 * the open handle, not only the caller's earlier stat, so a file that grew since planning cannot
 * slip past the limit.
 */
export async function readWholeFile(absPath: string, plannedSize: number, maxBytes: number): Promise<Buffer | Extracted> {
  if (plannedSize > maxBytes) return tooLarge(plannedSize, maxBytes)
  try {
    const handle = await open(absPath, "r")
    try {
      const { size } = await handle.stat()
      if (size > maxBytes) return tooLarge(size, maxBytes)
      return await handle.readFile()
    } finally {
      await handle.close()
    }
  } catch (e) {
    return rejected("read-error", errorMessage(e))
  }
}

/** A file as a stream of chunks (the caller's `for await` closes it, also when it stops early). */
export function fileChunks(absPath: string, range?: { readonly start: number; readonly end: number }): AsyncIterable<Buffer> {
  return createReadStream(absPath, range ? { highWaterMark: CHUNK_BYTES, start: range.start, end: range.end - 1 } : { highWaterMark: CHUNK_BYTES }) as AsyncIterable<Buffer>
}

/** sha256 of a file's bytes, streaming. */
export async function hashFile(absPath: string): Promise<string> {
  const hash = createHash("sha256")
  for await (const chunk of fileChunks(absPath)) hash.update(chunk)
  return hash.digest("hex")
}

/** Whole content of a stream, or a file-too-large reject once it passes `maxBytes` (the rest is not kept). */
export async function collectChunks(chunks: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer | Extracted> {
  const parts: Uint8Array[] = []
  let size = 0
  for await (const c of chunks) {
    size += c.length
    if (size > maxBytes) return rejected("file-too-large", `more than ${maxBytes} bytes once decompressed, limit for text and PDF files is ${maxBytes}`)
    parts.push(c)
  }
  return Buffer.concat(parts)
}
