/**
 * Moving one release file into the destination, verified: download to `<file>.part`, hashing while it
 * streams; resume an existing `.part` with a Range request (its bytes re-hashed first, as a killed pull
 * leaves no hash state behind); retry a dropped connection with backoff, from where it stopped; on a
 * size or sha256 mismatch delete the part and fetch once more from the start, then give up naming the
 * file; rename into place only when size and sha256 match release.json. A file already in place with
 * the right size and sha256 is kept as it is.
 */
import { createHash, type Hash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Transform } from "node:stream"
import { pipeline } from "node:stream/promises"
import { setTimeout as sleep } from "node:timers/promises"
import type { ReleaseFile } from "../release/schema.ts"
import { fmtBytes, fmtDuration, logInterval } from "../executors/progress.ts"
import { isRetryable, type ReleaseSource } from "./source.ts"

export const PART_SUFFIX = ".part"
/** Connection failures in a row (no byte gained between them) before a file is given up. */
const MAX_RETRIES = 5

/** sha256 of a file's bytes, streamed (also: how many bytes it has). */
export async function hashFile(file: string, hash: Hash = createHash("sha256")): Promise<{ hash: Hash; bytes: number }> {
  let bytes = 0
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer)
    bytes += (chunk as Buffer).length
  }
  return { hash, bytes }
}

const sizeOf = (file: string): number | null => {
  try {
    return fs.statSync(file).size
  } catch {
    return null
  }
}

export type FileOutcome = "present" | "fetched" | "resumed"

export class FileFailed extends Error {}

/**
 * Fetch one file into `dest`. `moved(delta)` is told of every change in the bytes this file has on
 * disk (negative when a bad part is thrown away); `say` gets one-line notes (refetches, retries).
 */
export async function fetchFile(
  source: ReleaseSource,
  file: ReleaseFile,
  dest: string,
  moved: (delta: number, overNetwork: boolean) => void,
  say: (line: string) => void
): Promise<FileOutcome> {
  const target = path.join(dest, ...file.path.split("/"))
  const part = target + PART_SUFFIX
  if (sizeOf(target) === file.bytes) {
    if ((await hashFile(target)).hash.digest("hex") === file.sha256) {
      moved(file.bytes, false)
      return "present"
    }
    say(`${file.path}: the copy in place does not match release.json, fetching it again`)
  }
  fs.rmSync(target, { force: true })
  fs.mkdirSync(path.dirname(target), { recursive: true })
  let onDisk = 0 // what `moved` has been told about this file
  const account = (bytes: number, overNetwork = false) => {
    moved(bytes - onDisk, overNetwork)
    onDisk = bytes
  }
  let resumed = false
  for (let round = 1; round <= 2; round++) {
    let failures = 0
    let hash: Hash
    let have: number
    for (;;) {
      // Whatever is in the part (a killed pull's, or this round's before the connection dropped) is hashed
      // from disk: the bytes on disk are the truth, not what was handed to a write that may not have landed.
      have = sizeOf(part) ?? 0
      if (have > file.bytes) {
        fs.rmSync(part, { force: true })
        have = 0
      }
      hash = have > 0 ? (await hashFile(part)).hash : createHash("sha256")
      account(have)
      if (have === file.bytes) break
      try {
        const opened = await source.open(file.path, have)
        if (have > 0 && opened.offset === have) resumed = true
        if (opened.offset === 0 && have > 0) {
          // The source sent the whole file instead of the rest: start the part over.
          fs.rmSync(part, { force: true })
          hash = createHash("sha256")
          have = 0
          account(0)
        }
        let received = have
        const verifying = new Transform({
          transform(chunk: Buffer, _enc, done) {
            received += chunk.length
            if (received > file.bytes) return done(new FileFailed(`${file.path}: the source sent more than the ${file.bytes} bytes release.json lists`))
            hash.update(chunk)
            account(received, true)
            done(null, chunk)
          }
        })
        await pipeline(opened.body, verifying, fs.createWriteStream(part, { flags: "a" }))
        have = received
        break
      } catch (e) {
        if (e instanceof FileFailed) {
          have = -1 // a mismatch: this round is lost
          break
        }
        const gained = (sizeOf(part) ?? 0) > have
        failures = gained ? 1 : failures + 1
        if (!isRetryable(e) || failures > MAX_RETRIES) throw new FileFailed(`${file.path}: ${(e as Error).message}${failures > MAX_RETRIES ? ` (gave up after ${MAX_RETRIES} retries)` : ""}`)
        const wait = 200 * 2 ** (failures - 1)
        say(`${file.path}: ${(e as Error).message}; retrying in ${(wait / 1000).toFixed(1)} s`)
        await sleep(wait)
      }
    }
    const digest = have === file.bytes ? hash.digest("hex") : null
    if (digest === file.sha256) {
      fs.renameSync(part, target)
      return resumed ? "resumed" : "fetched"
    }
    const what = have === file.bytes ? `sha256 ${digest!.slice(0, 16)}… is not the ${file.sha256.slice(0, 16)}… release.json lists` : `the source sent more than the ${file.bytes} bytes release.json lists`
    fs.rmSync(part, { force: true })
    account(0)
    if (round === 2) throw new FileFailed(`${file.path}: ${what}, again after fetching it anew: the source's copy is damaged`)
    say(`${file.path}: ${what}; fetching it anew`)
  }
  throw new FileFailed(`${file.path}: not fetched`) // not reached: round 2 returns or throws
}

/**
 * One progress line for the whole pull, on stderr: redrawn in place on a terminal, a line every
 * SCICURATE_PROGRESS_SECONDS (default 10) elsewhere, and a last line at the end.
 */
export function pullProgress(totalBytes: number, totalFiles: number, out: NodeJS.WriteStream = process.stderr) {
  const tty = out.isTTY === true
  const started = performance.now()
  const interval = logInterval() * 1000
  let bytes = 0
  let network = 0 // bytes received in this run: the speed; bytes found on disk count as done, not as speed
  let files = 0
  let lastDraw = 0
  const line = (final: boolean) => {
    const seconds = Math.max((performance.now() - started) / 1000, 1e-3)
    const rate = network / seconds
    const f = totalBytes === 0 ? 1 : Math.min(1, bytes / totalBytes)
    const filled = Math.round(f * 20)
    const eta = final ? `done in ${fmtDuration(seconds)}` : rate > 0 ? `ETA ${fmtDuration((totalBytes - bytes) / rate)}` : "ETA ?"
    return [
      "pull".padEnd(9),
      `[${"#".repeat(filled)}${"-".repeat(20 - filled)}]`,
      `${String(Math.floor(f * 100)).padStart(3)}%`,
      `${fmtBytes(bytes)}/${fmtBytes(totalBytes)}`,
      `${fmtBytes(rate)}/s`,
      eta,
      `files ${files}/${totalFiles}`
    ].join("  ")
  }
  const draw = (force: boolean) => {
    const now = performance.now()
    if (tty) {
      if (!force && now - lastDraw < 100) return
      lastDraw = now
      out.write(`\r${line(false)}\x1b[K`)
    } else if (force || now - lastDraw >= interval) {
      lastDraw = now
      out.write(`${line(false)}\n`)
    }
  }
  lastDraw = tty ? 0 : started
  return {
    moved: (delta: number, overNetwork: boolean) => {
      bytes += delta
      if (overNetwork) network += delta
      draw(false)
    },
    fileDone: () => {
      files++
      if (tty) draw(true)
    },
    /** A note between progress lines, not through them. */
    say: (text: string) => out.write(tty ? `\r\x1b[K${text}\n` : `${text}\n`),
    finish: () => out.write(tty ? `\r${line(true)}\x1b[K\n` : `${line(true)}\n`)
  }
}

/** Run `work` over `items` with at most `parallel` at once; every item runs, failures are collected. */
export async function eachInParallel<T>(items: ReadonlyArray<T>, parallel: number, work: (item: T) => Promise<void>): Promise<unknown[]> {
  const failures: unknown[] = []
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!
      try {
        await work(item)
      } catch (e) {
        failures.push(e)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker))
  return failures
}
