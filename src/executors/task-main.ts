/**
 * Entry point of a worker process: `node task-main.ts PLAN_FILE RANK`. Runs one task and exits 0, or
 * prints the error and exits 1. When started by the local executor it reports progress over IPC.
 */
import { Effect } from "effect"
import { runTask } from "./task.ts"

const [planFile, rankArg] = process.argv.slice(2)
if (!planFile || rankArg === undefined || !/^\d+$/.test(rankArg)) {
  process.stderr.write("usage: task-main PLAN_FILE RANK\n")
  process.exit(2)
}

// A worker of a coordinator that died must not go on writing into a folder the next run will use.
if (process.send) process.on("disconnect", () => process.exit(130))

// Progress is coalesced: one IPC message per 200 ms at most keeps the coordinator cheap.
let pendingRecords = 0
let pendingBytes = 0
let lastSent = 0
const send = (force: boolean) => {
  if (!process.send || (pendingRecords === 0 && pendingBytes === 0)) return
  const now = Date.now()
  if (!force && now - lastSent < 200) return
  process.send({ type: "progress", records: pendingRecords, bytes: pendingBytes })
  pendingRecords = 0
  pendingBytes = 0
  lastSent = now
}

const exit = await Effect.runPromiseExit(
  runTask(planFile, Number(rankArg), (records, bytes) => {
    pendingRecords += records
    pendingBytes += bytes
    send(false)
  })
)
send(true)
if (exit._tag === "Success") {
  if (process.send) process.send({ type: "done", outcome: exit.value })
  process.exitCode = 0
} else {
  const cause = exit.cause
  process.stderr.write(`${prettyCause(cause)}\n`)
  process.exitCode = 1
}
if (process.connected) {
  process.removeAllListeners("disconnect")
  process.disconnect()
}

function prettyCause(cause: unknown): string {
  const reasons = (cause as { reasons?: Array<{ error?: unknown; defect?: unknown }> }).reasons ?? []
  const parts = reasons.map((r) => {
    const e = r.error ?? r.defect
    return e instanceof Error ? (e.stack && !("_tag" in e) ? e.stack : e.message) : String(e)
  })
  return parts.join("\n") || String(cause)
}
