/**
 * The work folder's lock: it records who holds it, since when and the stage running now, so `status`
 * can tell; it still reads a lock written by an older scicurate (the pid alone); and taking it clears
 * the temporary file a run killed while it recorded its stage left behind.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { lockDir, readLock, recordLockStage } from "../../src/core/layout.ts"
import { tempDir } from "../helpers.ts"

/** The pid of a process that has ended. */
const deadPid = (): number => {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" })
  return Number(r.stdout)
}

describe("work folder lock", () => {
  it("records pid, start time and the current stage, and is gone when released", () => {
    const dir = tempDir()
    const lock = lockDir(dir)
    expect("release" in lock).toBe(true)
    const first = readLock(dir)!
    expect(first).toMatchObject({ pid: process.pid, stage: null, alive: true })
    expect(Number.isNaN(Date.parse(first.since!))).toBe(false)
    recordLockStage("minhash-signatures")
    expect(readLock(dir)).toMatchObject({ pid: process.pid, since: first.since, stage: "minhash-signatures", alive: true })
    // A second taker sees the holder.
    expect(lockDir(dir)).toEqual({ heldBy: process.pid, file: path.join(dir, ".scicurate.lock") })
    if ("release" in lock) lock.release()
    expect(readLock(dir)).toBeNull()
    expect(fs.readdirSync(dir)).toEqual([])
  })

  it("reads an older lock holding only a pid, and takes over a stale one, clearing a killed run's leftovers", () => {
    const dir = tempDir()
    const gone = deadPid()
    fs.writeFileSync(path.join(dir, ".scicurate.lock"), String(gone))
    fs.writeFileSync(path.join(dir, `..scicurate.lock.${gone}.tmp`), "{}")
    expect(readLock(dir)).toMatchObject({ pid: gone, since: null, stage: null, alive: false })
    const lock = lockDir(dir)
    expect("release" in lock).toBe(true)
    expect(readLock(dir)).toMatchObject({ pid: process.pid, alive: true })
    expect(fs.readdirSync(dir)).toEqual([".scicurate.lock"])
    if ("release" in lock) lock.release()
  })
})
