import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"

/** sha256 of a file, read in 4 MiB pieces so large shards never sit whole in memory. */
export function sha256File(file: string): string {
  const hash = createHash("sha256")
  const fd = fs.openSync(file, "r")
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024)
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      hash.update(buf.subarray(0, n))
    }
  } finally {
    fs.closeSync(fd)
  }
  return hash.digest("hex")
}

/** Whether `child` is `parent` or lies inside it (a path-prefix test alone would let /data/ab pass for /data/a). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel))
}

/**
 * Put `from` at `to` as a hard link (no copy; the release or build folder keeps the inode even when the
 * source is later replaced by rename), or as a copy when the two are on file systems that cannot link.
 */
export function linkOrCopy(from: string, to: string): "linked" | "copied" {
  fs.mkdirSync(path.dirname(to), { recursive: true })
  try {
    fs.linkSync(from, to)
    return "linked"
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code !== "EXDEV" && code !== "EPERM" && code !== "ENOTSUP") throw e
    fs.copyFileSync(from, to)
    return "copied"
  }
}
