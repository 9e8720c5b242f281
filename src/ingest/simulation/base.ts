/**
 * The line-dispatch skeleton every log reader builds on. A reader declares `rules`: pairs of a
 * literal needle and a handler; each line runs the handler of the first rule whose needle it
 * contains and that does not decline it (plain `includes` checks, so the common case of a line nobody cares about costs a few
 * substring scans). A handler may install a `block` function that consumes the following lines
 * (a table, a coordinate list) until it returns false; the line that ends a block is then dispatched
 * to the rules like any other.
 */
import { MessageSet } from "./render.ts"
import type { LogReader, SimulationDocument } from "./types.ts"

/** A handler that returns `false` declines the line, which then goes on to the next matching rule. */
export type Rule = readonly [needle: string, handler: (line: string) => boolean | void]

/** Lines longer than this are cut before matching (bounded regex cost on pathological input). */
export const MAX_LINE = 4096

export abstract class BaseReader implements LogReader {
  /** Physical lines fed. */
  lines = 0
  /** Characters fed, each line terminator (LF or CRLF) counted as one. */
  chars = 0
  protected block: ((line: string) => boolean) | null = null
  readonly warnings = new MessageSet(40)
  readonly errors = new MessageSet(20)
  protected abstract readonly rules: ReadonlyArray<Rule>

  feed(raw: string): void {
    this.lines++
    let line = raw.length > 0 && raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw
    this.chars += line.length + 1
    if (line.length > MAX_LINE) line = line.slice(0, MAX_LINE)
    if (this.block !== null) {
      if (this.block(line)) return
      this.block = null
    }
    const rules = this.rules
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!
      if (line.includes(r[0]) && r[1](line) !== false) return
    }
  }

  /** End an open block at end of input (it sees one blank line), before rendering. */
  protected flush(): void {
    if (this.block !== null) {
      const b = this.block
      this.block = null
      b("")
    }
  }

  abstract finish(): SimulationDocument
}

/** The first `n` lines of a detection head. */
export function headLines(head: string, n: number): string[] {
  const out: string[] = []
  let start = 0
  while (out.length < n && start <= head.length) {
    const nl = head.indexOf("\n", start)
    const end = nl < 0 ? head.length : nl
    out.push(head.slice(start, end).replace(/\r$/, ""))
    if (nl < 0) break
    start = nl + 1
  }
  return out
}

/** Fraction of the first `n` non-empty lines that satisfy `pred`. */
export function lineFraction(head: string, n: number, pred: (line: string) => boolean): number {
  let total = 0
  let hit = 0
  for (const l of headLines(head, n * 2)) {
    if (l.trim() === "") continue
    total++
    if (pred(l)) hit++
    if (total >= n) break
  }
  return total === 0 ? 0 : hit / total
}
