/**
 * The on-disk layout of a stage's dataset folder, shared by every stage and executor:
 *
 *   <dir>/part-<rank>-of-<world>.parquet   the task's output shard (appears only complete)
 *   <dir>/part-<rank>-of-<world>.tokens    (tokenize) the shard's token ids, see tokenize/token-file.ts
 *   <dir>/_plan.json                       what the stage was asked to do (tasks, inputs, params, hash)
 *   <dir>/_timing.json                     wall time of the last execution (not part of the data)
 *   <dir>/_stats/<rank>.json               the task's counts and timings
 *   <dir>/_done/<rank>                     completion marker: a task with a marker is never rerun
 *   <dir>/_rejects/part-<rank>.jsonl       rejected inputs, one JSON line each
 *   <dir>/_filtered/part-<rank>.jsonl      inputs left out on purpose (e.g. too short), with the reason
 *   <dir>/_filtered/part-<rank>.parquet    (quality stages) the documents left out, whole, with reason and scores
 *   <dir>/_removed/part-<rank>.parquet     documents removed as duplicates, with their cluster (dedup)
 *   <dir>/_published/<rank>.json           files a task published outside the folder (bundle: manifests)
 *   <dir>/_tmp/<rank>/                     scratch space (DuckDB spill); removed when the task ends
 *   <dir>/_poisoned/<rank>.jsonl           inputs the executor stopped the task on (over their time or memory
 *                                          budget): the rerun of the task rejects them without opening them
 */
import * as fs from "node:fs"
import * as path from "node:path"

const pad = (n: number): string => String(n).padStart(5, "0")

export interface StageLayout {
  readonly dir: string
  readonly planFile: string
  readonly timing: string
  shard(rank: number, world: number): string
  stats(rank: number): string
  done(rank: number): string
  rejects(rank: number): string
  filtered(rank: number): string
  filteredDocuments(rank: number): string
  removed(rank: number): string
  tmp(rank: number): string
  poisoned(rank: number): string
}

export function stageLayout(dir: string): StageLayout {
  return {
    dir,
    planFile: path.join(dir, "_plan.json"),
    timing: path.join(dir, "_timing.json"),
    shard: (rank, world) => path.join(dir, `part-${pad(rank)}-of-${pad(world)}.parquet`),
    stats: (rank) => path.join(dir, "_stats", `${rank}.json`),
    done: (rank) => path.join(dir, "_done", `${rank}`),
    rejects: (rank) => path.join(dir, "_rejects", `part-${pad(rank)}.jsonl`),
    filtered: (rank) => path.join(dir, "_filtered", `part-${pad(rank)}.jsonl`),
    filteredDocuments: (rank) => path.join(dir, "_filtered", `part-${pad(rank)}.parquet`),
    removed: (rank) => path.join(dir, "_removed", `part-${pad(rank)}.parquet`),
    tmp: (rank) => path.join(dir, "_tmp", `${rank}`),
    poisoned: (rank) => path.join(dir, "_poisoned", `${rank}.jsonl`)
  }
}

/** The entries of a stage folder that scicurate writes, and so may delete; anything else is left alone. */
const OWNED_ENTRY = /^(part-\d+-of-\d+\.(parquet|tokens)|_plan\.json|_timing\.json|_stats|_done|_rejects|_filtered|_removed|_tmp|_poisoned|_exact|_minhash|_bundles|_published|_created_at|\..+\.tmp)$/

/** Empty a stage folder of everything scicurate wrote there, keeping files it did not write. */
export function clearStageDir(dir: string): void {
  if (!fs.existsSync(dir)) return
  // The plan goes first: a folder without a plan is never mistaken for a finished stage.
  fs.rmSync(path.join(dir, "_plan.json"), { force: true })
  for (const name of fs.readdirSync(dir)) if (OWNED_ENTRY.test(name)) fs.rmSync(path.join(dir, name), { recursive: true, force: true })
}

/** True when a folder is missing, empty, or already a scicurate stage folder: safe to write a stage into. */
export function isStageDirOrEmpty(dir: string): boolean {
  if (!fs.existsSync(dir)) return true
  const entries = fs.readdirSync(dir)
  return entries.length === 0 || entries.includes("_plan.json") || entries.every((e) => OWNED_ENTRY.test(e) || e === LOCK_FILE)
}

const LOCK_FILE = ".scicurate.lock"

/**
 * What a lock file records, so `status` can say that a run is active: who holds it (pid), since when,
 * and the stage (or phase) it is running, updated as stages start. Older locks hold only the pid.
 */
export interface LockRecord {
  readonly pid: number
  /** ISO 8601 time the lock was taken. */
  readonly since: string | null
  /** The stage or phase running now; null before the first starts. */
  readonly stage: string | null
  readonly stage_since: string | null
}

function parseLock(text: string): LockRecord | null {
  const trimmed = text.trim()
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed), since: null, stage: null, stage_since: null }
  try {
    const r = JSON.parse(trimmed) as Partial<LockRecord>
    return Number.isInteger(r.pid) && r.pid! > 0
      ? { pid: r.pid!, since: r.since ?? null, stage: r.stage ?? null, stage_since: r.stage_since ?? null }
      : null
  } catch {
    return null
  }
}

const readLockPid = (file: string): number => parseLock(fs.readFileSync(file, "utf8"))?.pid ?? NaN

/** The locks this process holds (a run holds one), so the runner can record its current stage in them. */
const heldLocks = new Map<string, LockRecord>()

/** Record in every lock this process holds the stage (or phase) it starts now. */
export function recordLockStage(stage: string): void {
  for (const [file, record] of heldLocks) {
    const next = { ...record, stage, stage_since: new Date().toISOString() }
    heldLocks.set(file, next)
    // Replaced by a rename: a reader sees the old record or the new one, never a half-written file.
    writeFileAtomic(file, JSON.stringify(next) + "\n")
  }
}

/** The lock on a work (or stage) folder, if any, and whether its process is still alive. */
export function readLock(dir: string): (LockRecord & { readonly alive: boolean; readonly file: string }) | null {
  const file = path.join(dir, LOCK_FILE)
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch {
    return null
  }
  const record = parseLock(text)
  return record === null ? { pid: -1, since: null, stage: null, stage_since: null, alive: false, file } : { ...record, alive: isAlive(record.pid), file }
}

/**
 * Take the lock on a work folder so two runs never write into it at once (each would delete the other's
 * temporary files). The lock is a file created exclusively (`wx`) holding the owner's pid (with the time
 * and current stage, see `LockRecord`). A lock whose owner is gone is taken over by renaming it to a name
 * only this process uses — of several processes racing for it, one rename wins — and then creating a
 * fresh lock exclusively again.
 */
export function lockDir(dir: string): { release: () => void } | { heldBy: number; file: string } {
  fs.mkdirSync(dir, { recursive: true })
  const file = path.join(dir, LOCK_FILE)
  for (let attempt = 0; attempt < 10; attempt++) {
    const record: LockRecord = { pid: process.pid, since: new Date().toISOString(), stage: null, stage_since: null }
    try {
      fs.writeFileSync(file, JSON.stringify(record) + "\n", { flag: "wx" })
      heldLocks.set(file, record)
      removeLockTemporaries(dir)
      return {
        release: () => {
          heldLocks.delete(file)
          fs.rmSync(file, { force: true })
        }
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
    }
    let pid: number
    try {
      pid = readLockPid(file)
    } catch {
      continue // released between our two calls: try again
    }
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) return { heldBy: pid, file }
    const stale = `${file}.${process.pid}.stale`
    try {
      fs.renameSync(file, stale)
    } catch {
      continue // another process took it over first
    }
    // If what we moved aside was not the stale lock but a live one just taken, put it back and wait our turn.
    const moved = readLockPid(stale)
    if (moved !== pid && isAlive(moved)) {
      fs.renameSync(stale, file)
      return { heldBy: moved, file }
    }
    fs.rmSync(stale, { force: true })
  }
  return { heldBy: -1, file }
}

/**
 * A run killed while it recorded its stage leaves the lock's temporary file (see `recordLockStage`);
 * only the holder writes one, so once this process holds the lock any such file is a leftover.
 */
function removeLockTemporaries(dir: string): void {
  const leftover = new RegExp(`^\\.${LOCK_FILE.replaceAll(".", "\\.")}\\.\\d+\\.tmp$`)
  for (const name of fs.readdirSync(dir)) if (leftover.test(name)) fs.rmSync(path.join(dir, name), { force: true })
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** The data shards of a dataset folder, in rank order. */
export function listShards(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir)
    .filter((name) => /^part-\d+-of-\d+\.parquet$/.test(name))
    .sort()
    .map((name) => path.join(dir, name))
}

/** A temporary name next to the target, so the final rename stays on one file system (and is atomic). */
export const temporaryName = (target: string): string =>
  path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`)

/**
 * Remove what a killed run left half-written: temporary files (see `temporaryName`) anywhere in a stage
 * folder, and task scratch folders. Only call it while no task of the stage runs.
 */
export function removeStaleTemporaries(dir: string): void {
  if (!fs.existsSync(dir)) return
  fs.rmSync(path.join(dir, "_tmp"), { recursive: true, force: true })
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name)
      if (entry.name.startsWith(".") && entry.name.endsWith(".tmp")) fs.rmSync(p, { recursive: true, force: true })
      else if (entry.isDirectory()) walk(p)
    }
  }
  walk(dir)
}

/** Write a file so that readers see either nothing or the complete file. */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(target), { recursive: true })
  const tmp = temporaryName(target)
  const fd = fs.openSync(tmp, "w")
  try {
    fs.writeFileSync(fd, data)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(tmp, target)
}

export function readJson<T = unknown>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8")) as T
}

/** JSON with sorted keys and no trailing whitespace differences: the form hashed and written everywhere. */
export function canonicalJson(value: unknown, indent = 0): string {
  return JSON.stringify(sortKeys(value), null, indent)
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key])
    return out
  }
  return value
}
