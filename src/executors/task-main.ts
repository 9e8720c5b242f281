/**
 * Entry point of a worker process.
 *
 *   node task-main.ts PLAN_FILE RANK   run one task and exit (what a Slurm array element runs)
 *   node task-main.ts --serve          run the tasks the local executor sends over IPC, one at a time,
 *                                      so a stage with many tasks pays the process start-up once per worker
 *
 * Exit code 0 on success; 1 with the error on stderr when a task fails.
 */
import * as fs from "node:fs"
import { Effect, Exit } from "effect"
import type { WatchedInput } from "../core/stage.ts"
import { runTask, type TaskOutcome } from "./task.ts"

/** Messages from the executor to a serving worker, and back. */
export type ToWorker = { readonly type: "run"; readonly planFile: string; readonly rank: number } | { readonly type: "exit" }
export type FromWorker =
  | { readonly type: "progress"; readonly records: number; readonly bytes: number }
  | { readonly type: "input"; readonly rank: number; readonly input: WatchedInput | null }
  | { readonly type: "done"; readonly rank: number; readonly outcome: TaskOutcome }
  | { readonly type: "failed"; readonly rank: number; readonly error: string }

const send = (m: FromWorker) => process.send?.(m)

// Progress is coalesced: one IPC message per 200 ms at most keeps the coordinator cheap.
let pendingRecords = 0
let pendingBytes = 0
let lastSent = 0
function flushProgress(force: boolean): void {
  if (!process.send || (pendingRecords === 0 && pendingBytes === 0)) return
  const now = Date.now()
  if (!force && now - lastSent < 200) return
  send({ type: "progress", records: pendingRecords, bytes: pendingBytes })
  pendingRecords = 0
  pendingBytes = 0
  lastSent = now
}

async function runOne(planFile: string, rank: number): Promise<FromWorker> {
  const exit = await Effect.runPromiseExit(
    runTask(
      planFile,
      rank,
      (records, bytes) => {
        pendingRecords += records
        pendingBytes += bytes
        flushProgress(false)
      },
      // The executor's watchdog times each input (see local.ts); without an executor there is none.
      (input) => send({ type: "input", rank, input })
    )
  )
  flushProgress(true)
  return Exit.isSuccess(exit) ? { type: "done", rank, outcome: exit.value } : { type: "failed", rank, error: prettyCause(exit.cause) }
}

function prettyCause(cause: unknown): string {
  const reasons = (cause as { reasons?: Array<{ error?: unknown; defect?: unknown }> }).reasons ?? []
  const parts = reasons.map((r) => {
    const e = r.error ?? r.defect
    return e instanceof Error ? (e.stack && !("_tag" in e) ? e.stack : e.message) : String(e)
  })
  return parts.join("\n") || String(cause)
}

/**
 * pdfjs, on some damaged PDFs, prefetches page dictionaries it never awaits; when those fail, Node
 * would end the worker for an unhandled rejection although the error that matters reaches the
 * extractor through the promise it awaits (and the file becomes a corrupt-pdf reject). Such
 * rejections are ignored here, in the process entry (not in the library, which must not take over
 * its host's handling); any other unhandled rejection still ends the worker, as by default.
 */
process.on("unhandledRejection", (reason) => {
  const stack = reason instanceof Error ? (reason.stack ?? "") : ""
  if (/[\\/]pdfjs-dist[\\/]/.test(stack)) return
  process.stderr.write(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`)
  process.exit(1)
})

const args = process.argv.slice(2)
if (args[0] === "--serve") {
  if (!process.send) {
    process.stderr.write("task-main --serve must be started by the local executor (it talks over IPC)\n")
    process.exit(2)
  }
  // A worker whose coordinator died must not go on writing into a folder the next run will use.
  process.on("disconnect", () => process.exit(130))
  process.on("message", (m: ToWorker) => {
    if (m.type === "exit") {
      process.removeAllListeners("disconnect")
      process.disconnect()
      return
    }
    void runOne(m.planFile, m.rank).then(send)
  })
} else {
  const [planFile, rankArg] = args
  if (!planFile || rankArg === undefined || !/^\d+$/.test(rankArg)) {
    process.stderr.write("usage: task-main PLAN_FILE RANK | task-main --serve\n")
    process.exit(2)
  }
  // Fault injection for the Slurm executor's tests: SCICURATE_FAULT=fail-task:<plan's stage>:<rank> makes
  // that task fail as a fatal error would, before it writes anything.
  const fault = /^fail-task:([\w-]+):(\d+)$/.exec(process.env.SCICURATE_FAULT ?? "")
  if (fault && Number(fault[2]) === Number(rankArg) && (JSON.parse(fs.readFileSync(planFile, "utf8")) as { stage: string }).stage === fault[1]) {
    process.stderr.write(`injected fault (SCICURATE_FAULT=${process.env.SCICURATE_FAULT}): task ${rankArg} of ${fault[1]} fails\n`)
    process.exit(1)
  }
  const result = await runOne(planFile, Number(rankArg))
  if (result.type === "failed") {
    process.stderr.write(`${result.error}\n`)
    process.exitCode = 1
  }
}
