/**
 * The progress display on a terminal: one line redrawn in place (carriage return, clear to end of line),
 * measured in bytes or records against the stage's totals, ending on its own line at 100%.
 */
import { describe, expect, it } from "vitest"
import { fractionDone, progressLine, progressReporter, secondsLeft, type ProgressState } from "../../src/executors/progress.ts"

/** A stand-in for a terminal's stderr that keeps what was written. */
function fakeTerminal(isTTY: boolean) {
  const chunks: string[] = []
  const out = { isTTY, write: (s: string) => (chunks.push(s), true) } as unknown as NodeJS.WriteStream
  return { out, text: () => chunks.join("") }
}

const state = (over: Partial<ProgressState>): ProgressState => ({
  stage: "tokenize",
  totals: { tasks: 4, pending: 4, records: 1000, bytes: 4_000_000, doneRecords: 0, doneBytes: 0 },
  records: 0,
  bytes: 0,
  tasksDone: 0,
  elapsed: 10,
  ...over
})

describe("progress", () => {
  it("measures by bytes, estimates the time left from this execution's rate, and is 100% only when every task is done", () => {
    const half = state({ records: 500, bytes: 2_000_000 })
    expect(fractionDone(half)).toBeCloseTo(0.5)
    expect(secondsLeft(half)).toBeCloseTo(10)
    // A stage that reports only records (dedup's exact pass) is measured by records.
    expect(fractionDone(state({ records: 250 }))).toBeCloseTo(0.25)
    // All bytes read but a task still finishing: not 100% yet.
    expect(fractionDone(state({ records: 1000, bytes: 4_000_000, tasksDone: 3 }))).toBeLessThan(1)
    expect(fractionDone(state({ records: 1000, bytes: 4_000_000, tasksDone: 4 }))).toBe(1)
    // A resumed stage: half was done before, a quarter in this execution's 10 s -> 10 s for the last quarter.
    const resumed = state({ totals: { tasks: 4, pending: 2, records: 1000, bytes: 4_000_000, doneRecords: 500, doneBytes: 2_000_000 }, records: 750, bytes: 3_000_000, tasksDone: 2 })
    expect(secondsLeft(resumed)).toBeCloseTo(10)
    expect(progressLine(resumed)).toMatch(/^tokenize\s+\[#{15}-{5}\]\s+75%\s+750\/1,000 records\s+3\.0 MB\/4\.0 MB\s+25 rec\/s\s+100\.0 kB\/s\s+ETA 10 s\s+tasks 2\/4$/)
    // Nothing known but tasks: ingest before its first file ends has no rate to go by.
    expect(secondsLeft(state({ totals: { tasks: 4, pending: 4, records: null, bytes: null, doneRecords: 0, doneBytes: 0 } }))).toBeNull()
  })

  it("redraws one line on a terminal and ends it at 100%", () => {
    const term = fakeTerminal(true)
    const p = progressReporter("classify", { tasks: 2, pending: 2, records: 10, bytes: 1000, doneRecords: 0, doneBytes: 0 }, term.out)
    p.onProgress(5, 500)
    p.onTaskDone(0, null)
    p.onProgress(5, 500)
    p.onTaskDone(1, null)
    p.finish()
    const text = term.text()
    expect(text.split("\n")).toEqual([expect.any(String), ""]) // a single line, ended once
    const frames = text.trimEnd().split("\r").filter(Boolean)
    expect(frames.length).toBeGreaterThan(1)
    for (const f of frames) expect(f.endsWith("\x1b[K")).toBe(true)
    expect(frames.at(-1)).toMatch(/^classify\s+\[#{20}\]\s+100%\s+10\/10 records\s+1\.0 kB\/1\.0 kB.*done in \d+ s\s+tasks 2\/2\x1b\[K$/)
  })

  it("off a terminal prints whole lines, the last at 100%", () => {
    const log = fakeTerminal(false)
    const p = progressReporter("dedup", { tasks: 1, pending: 1, records: 3, bytes: 30, doneRecords: 0, doneBytes: 0 }, log.out)
    for (let i = 0; i < 3; i++) p.onProgress(1, 10)
    p.onTaskDone(0, null)
    p.finish()
    const lines = log.text().trimEnd().split("\n")
    expect(lines.every((l) => !l.includes("\r"))).toBe(true)
    expect(lines.at(-1)).toMatch(/ 100%  3\/3 records/)
  })
})
