/**
 * Splitting large JSONL files across ingest tasks. One file read by one task caps a stage at one core
 * however many tasks it has; a file over `split_bytes` is cut at line boundaries into parts of about
 * that size, each planned like a file of its own. Planning reads such a file once (at several GB/s:
 * hashing and counting newlines) to find the cuts, the line number each part starts at, and the file's
 * sha256, so documents keep their global line numbers and file hash and no task reads the whole file.
 * A rerun reuses the previous plan's cuts when the file's size and modification time are unchanged.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import type { ByteRange, PlannedFile } from "../core/stage.ts"
import { JSONL_EXTENSIONS } from "./jsonl.ts"

export const DEFAULT_SPLIT_BYTES = 128 * 1024 * 1024
const READ_BYTES = 4 * 1024 * 1024

/** Files that are split: JSONL by extension (content sniffing is ingest's job, on whole files), over the size. */
export const isSplittable = (f: PlannedFile, splitBytes: number): boolean =>
  !f.problem && f.size > splitBytes && JSONL_EXTENSIONS.has(path.extname(f.absPath).toLowerCase())

/** Cut points and line numbers of one file, as ranges covering it exactly. */
export function splitFile(absPath: string, splitBytes: number): ByteRange[] {
  const st = fs.statSync(absPath)
  const hash = createHash("sha256")
  const cuts: Array<{ at: number; line: number }> = [{ at: 0, line: 1 }]
  let nextTarget = splitBytes
  let newlines = 0
  let offset = 0
  const buf = Buffer.allocUnsafe(READ_BYTES)
  const fd = fs.openSync(absPath, "r")
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, READ_BYTES, offset)
      if (n === 0) break
      const chunk = buf.subarray(0, n)
      hash.update(chunk)
      for (let i = chunk.indexOf(0x0a); i >= 0; i = chunk.indexOf(0x0a, i + 1)) {
        newlines++
        // Cut after the first newline at or past the target, unless that is the end of the file.
        if (offset + i >= nextTarget && offset + i + 1 < st.size) {
          cuts.push({ at: offset + i + 1, line: newlines + 1 })
          nextTarget = offset + i + 1 + splitBytes
        }
      }
      offset += n
    }
  } finally {
    fs.closeSync(fd)
  }
  const fileSha256 = hash.digest("hex")
  return cuts.map((c, k) => ({
    start: c.at,
    splitBytes,
    end: cuts[k + 1]?.at ?? offset,
    firstLine: c.line,
    fileSha256,
    fileSize: st.size,
    fileMtimeMs: st.mtimeMs
  }))
}

/**
 * Replace every splittable file by its parts. `previous` holds the entries of the last plan, whose cuts
 * are reused for a file that has not changed since.
 */
export function splitLargeFiles(files: ReadonlyArray<PlannedFile>, splitBytes: number, previous: ReadonlyArray<PlannedFile> = []): PlannedFile[] {
  const known = new Map<string, ByteRange[]>()
  for (const p of previous) if (p.range) known.set(p.absPath, [...(known.get(p.absPath) ?? []), p.range])
  return files.flatMap((f) => {
    if (!isSplittable(f, splitBytes)) return [f]
    const st = fs.statSync(f.absPath)
    const reused = known.get(f.absPath)?.sort((a, b) => a.start - b.start)
    const ranges =
      reused && reused.every((r) => r.fileSize === st.size && r.fileMtimeMs === st.mtimeMs && r.splitBytes === splitBytes) && reused.at(-1)!.end === st.size && reused[0]!.start === 0
        ? reused
        : splitFile(f.absPath, splitBytes)
    return ranges.map((range) => ({ ...f, size: range.end - range.start, range }))
  })
}
