/**
 * The review log: curators' decisions on bundles, one JSON line each, appended and never rewritten.
 *
 *   <work>/reviews.jsonl    where <work> is the folder that holds the bundles folder (work/demo for
 *                           work/demo/bundles/<name>): next to the bundles, outside them, so a rerun of
 *                           the bundle stage never touches it.
 *
 * A decision is bound to the bundle's manifest `content_sha256`: it speaks for that content only. When a
 * rerun changes the bundle, its hash changes and the bundle "needs review" again, while the old decision
 * stays in the log as history. Each line carries the sha256 of the line before it (`previous_sha256`),
 * so a line edited or removed later breaks the chain and `readReviewLog` says where.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { canonicalJson } from "../core/layout.ts"
import { sha256Hex } from "../core/text.ts"

export const REVIEW_LOG_NAME = "reviews.jsonl"

export const DecisionKind = Schema.Literals(["approve", "reject", "request-changes"])
export type DecisionKind = typeof DecisionKind.Type

const Sha256 = Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/))

export const ReviewDecision = Schema.Struct({
  format: Schema.Literal("scicurate-review/1"),
  bundle: Schema.String.annotate({ description: "The bundle's name (its folder name)" }),
  content_sha256: Sha256.annotate({ description: "The manifest's content_sha256 this decision speaks for" }),
  decision: DecisionKind,
  note: Schema.String,
  curator: Schema.String.annotate({ description: "Who decided: a name from the curators file (web) or the user name (shell)" }),
  via: Schema.Literals(["web", "cli"]),
  at: Schema.String.annotate({ description: "ISO 8601 time of the decision" }),
  previous_sha256: Schema.NullOr(Sha256).annotate({ description: "sha256 of the previous line's bytes (null for the first line): the log's chain" })
}).annotate({ title: "ReviewDecision", description: "One line of reviews.jsonl" })
export type ReviewDecision = typeof ReviewDecision.Type

/** Where a bundle stands for a curator: the latest decision on its current content, or none. */
export type ReviewStateName = "approved" | "rejected" | "changes-requested" | "needs-review"

export interface ReviewState {
  readonly state: ReviewStateName
  /** The latest decision on the current content (null: none yet, or only on older content). */
  readonly current: ReviewDecision | null
  /** Every decision on this bundle, oldest first, whatever content it was about. */
  readonly history: ReadonlyArray<ReviewDecision>
  /** The latest decision was about other content: the bundle changed since it was reviewed. */
  readonly changedSinceReview: boolean
}

export interface ReviewLog {
  readonly file: string
  readonly decisions: ReadonlyArray<ReviewDecision>
  /** Lines that do not parse or break the chain: reported, never silently dropped. */
  readonly problems: ReadonlyArray<{ readonly line: number; readonly problem: string }>
}

/** The work folder of a bundle folder: the parent of the folder that holds the bundles. */
export const workDirOfBundle = (bundleDir: string): string => path.dirname(path.dirname(path.resolve(bundleDir)))
export const reviewLogFile = (workDir: string): string => path.join(path.resolve(workDir), REVIEW_LOG_NAME)

const decodeDecision = Schema.decodeUnknownSync(ReviewDecision)

export function readReviewLog(workDir: string): ReviewLog {
  const file = reviewLogFile(workDir)
  if (!fs.existsSync(file)) return { file, decisions: [], problems: [] }
  const decisions: ReviewDecision[] = []
  const problems: Array<{ line: number; problem: string }> = []
  let previous: string | null = null
  const lines = fs.readFileSync(file, "utf8").split("\n")
  lines.forEach((text, i) => {
    if (text === "" && i === lines.length - 1) return
    try {
      const d = decodeDecision(JSON.parse(text))
      if (d.previous_sha256 !== previous) problems.push({ line: i + 1, problem: "chain broken: previous_sha256 does not match the line before (edited or removed lines)" })
      decisions.push(d)
    } catch (e) {
      problems.push({ line: i + 1, problem: `not a review decision: ${(e as Error).message.split("\n")[0]}` })
    }
    previous = sha256Hex(text)
  })
  return { file, decisions, problems }
}

export function reviewState(log: ReviewLog, bundle: string, contentSha256: string): ReviewState {
  const history = log.decisions.filter((d) => d.bundle === bundle)
  const onCurrent = history.filter((d) => d.content_sha256 === contentSha256)
  const current = onCurrent.at(-1) ?? null
  const latest = history.at(-1) ?? null
  const state: ReviewStateName =
    current === null ? "needs-review" : current.decision === "approve" ? "approved" : current.decision === "reject" ? "rejected" : "changes-requested"
  return { state, current, history, changedSinceReview: latest !== null && latest.content_sha256 !== contentSha256 }
}

/**
 * Append one decision. The line is written with a single `appendFileSync` on a file opened for append,
 * so concurrent writers (two curators, or the server and the shell) never interleave within a line; the
 * chain hash is read from the last line just before, under an exclusive lock file so two appends cannot
 * both claim the same predecessor.
 */
export function appendDecision(workDir: string, decision: Omit<ReviewDecision, "format" | "previous_sha256" | "at"> & { at?: string }): ReviewDecision {
  const file = reviewLogFile(workDir)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const lock = `${file}.lock`
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: "wx" })
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 200) throw e
      const holder = Number(fs.readFileSync(lock, "utf8"))
      if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) fs.rmSync(lock, { force: true })
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10)
    }
  }
  try {
    const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : ""
    const lastLine = text.split("\n").filter((l) => l !== "").at(-1)
    const full = decodeDecision({
      format: "scicurate-review/1",
      ...decision,
      at: decision.at ?? new Date().toISOString(),
      previous_sha256: lastLine === undefined ? null : sha256Hex(lastLine)
    })
    const fd = fs.openSync(file, "a")
    try {
      fs.writeSync(fd, `${canonicalJson(full)}\n`)
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    return full
  } finally {
    fs.rmSync(lock, { force: true })
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}
