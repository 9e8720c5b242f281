/**
 * Fallback for text logs no specific reader recognised: the first and last lines, lines with
 * keywords a scientist scans for (errors, warnings, convergence, final results), "name = value unit"
 * quantities (with series summaries when they repeat), and blocks of numeric columns summarised per
 * column with a few sampled rows. Bounded memory like the specific readers.
 */
import { BaseReader, type Rule } from "./base.ts"
import { clip, ColumnTable, compact, DocBuilder, fcount, FirstN, fmt, LastN, numericRow, plural, Series, STAT_HEADERS } from "./render.ts"
import type { LogProgram, SimulationDocument } from "./types.ts"

const KEYWORDS = /\b(error|warning|fatal|abort(ed)?|fail(ed|ure)?|not converged|converged|convergence|total energy|final|finished|completed|terminated|normal termination|elapsed|wall time)\b/i
const KV = /^\s*([A-Za-z][\w .()/[\]-]{0,40}?)\s*(?:=|:)\s*(-?\d+(?:\.\d*)?(?:[eEdD][-+]?\d+)?)\s*([A-Za-z%/^*.\-\d]{0,16})\s*$/

interface Quantity {
  readonly series: Series
  unit: string
}

interface Block {
  readonly startLine: number
  readonly header: string[] | null
  readonly table: ColumnTable
}

class GenericReader extends BaseReader {
  private readonly head = new FirstN<string>(15)
  private readonly tail = new LastN<string>(10)
  private readonly keyLines = new FirstN<string>(25)
  private readonly keySeen = new Set<string>()
  private readonly quantities = new Map<string, Quantity>()
  private readonly blocks = new FirstN<Block>(6)
  private current: Block | null = null
  private currentCols = 0
  private prevText: string | null = null
  private nonEmpty = 0
  private numericLines = 0

  protected readonly rules: ReadonlyArray<Rule> = [["", (l) => this.line(l)]]

  private line(l: string): void {
    const t = l.trim()
    if (t === "") {
      this.endBlock()
      return
    }
    this.nonEmpty++
    const shown = clip(t, 200)
    this.head.push(shown)
    this.tail.push(shown)
    const v = numericRow(t)
    if (v !== null && v.length >= 2) {
      this.numericLines++
      if (this.current === null || this.currentCols !== v.length) {
        this.endBlock()
        const hdr = this.prevText !== null ? this.prevText.replace(/^[#%!@;]+\s*/, "").split(/\s+/) : null
        const header = hdr !== null && hdr.length === v.length && hdr.every((h) => !/^-?\d/.test(h)) ? hdr : null
        this.current = { startLine: this.lines, header, table: new ColumnTable(header ?? v.map((_, i) => `col${i + 1}`)) }
        this.currentCols = v.length
      }
      this.current.table.push(v)
      return
    }
    this.endBlock()
    this.prevText = t
    if (KEYWORDS.test(t)) {
      const key = t.replace(/\d+(\.\d+)?([eE][-+]?\d+)?/g, "#")
      if (!this.keySeen.has(key) && this.keySeen.size < 500) {
        this.keySeen.add(key)
        this.keyLines.push(shown)
      }
    }
    if (/error|fatal|abort/i.test(t) && !/\berror(s)?\s*(=|:)\s*0\b|no errors?/i.test(t)) this.errors.add(t)
    else if (/warning/i.test(t)) this.warnings.add(t)
    const kv = KV.exec(t)
    if (kv !== null) {
      const name = kv[1]!.replace(/\s+/g, " ").trim()
      let qn = this.quantities.get(name)
      if (qn === undefined && this.quantities.size < 40) {
        qn = { series: new Series(32), unit: kv[3] ?? "" }
        this.quantities.set(name, qn)
      }
      qn?.series.push(Number(kv[2]!.replace(/[dD]/, "e")))
    }
  }

  private endBlock(): void {
    const b = this.current
    this.current = null
    this.currentCols = 0
    if (b !== null && b.table.count >= 3) this.blocks.push(b)
  }

  finish(): SimulationDocument {
    this.flush()
    this.endBlock()
    const first = this.head.items[0] ?? ""
    const title = `Text log: ${clip(first, 80)}`
    const d = new DocBuilder(title)
    d.paragraph(
      `Text log from an unrecognised program: ${plural(this.lines, "line")} (${fcount(this.nonEmpty)} non-empty), ${fcount(this.numericLines)} lines of numeric columns in ${plural(this.blocks.total, "block")}, ${plural(this.quantities.size, "named quantity", "named quantities")}.` +
        (this.errors.size > 0 ? ` It reports ${plural(this.errors.total, "error")}.` : "") +
        (this.warnings.size > 0 ? ` It reports ${plural(this.warnings.total, "warning")}.` : "")
    )
    d.section("Beginning of the log")
    d.line("```")
    for (const l of this.head.items) d.line(l)
    d.line("```")
    if (this.quantities.size > 0) {
      d.section("Named quantities")
      for (const [k, qn] of this.quantities) d.kv(k, qn.series.count === 1 ? `${fmt(qn.series.last)}${qn.unit !== "" ? ` ${qn.unit}` : ""}` : `${qn.series.describe(qn.unit, 6, 6)}`)
    }
    for (const b of this.blocks.items) {
      d.section(`Numeric block at line ${fcount(b.startLine)} (${plural(b.table.count, "row")} x ${b.table.columns.length} columns)`)
      d.table([...STAT_HEADERS], b.table.statRows())
      d.line("Sampled rows:")
      d.table([...b.table.columns], b.table.sampleRows(6))
    }
    if (this.blocks.omitted > 0) d.line(`${this.blocks.omitted} more numeric blocks not shown.`)
    if (this.keyLines.total > 0) {
      d.section("Lines mentioning errors, warnings, convergence or results")
      for (const l of this.keyLines.items) d.bullet(l)
      if (this.keyLines.omitted > 0) d.line(`… ${this.keyLines.omitted} more.`)
    }
    if (this.tail.total > this.head.items.length) {
      d.section("End of the log")
      d.line("```")
      for (const l of this.tail.items) d.line(l)
      d.line("```")
    }
    const q: Record<string, unknown> = {}
    for (const [k, qn] of this.quantities) q[k] = { unit: qn.unit === "" ? undefined : qn.unit, ...qn.series.summary() }
    const metadata = compact({
      program: "generic",
      format: "text-log",
      firstLine: first,
      quantities: q,
      numericBlocks: this.blocks.items.map((b) => ({ line: b.startLine, ...b.table.metadata() })),
      warnings: this.warnings.strings(),
      errors: this.errors.strings(),
      lines: this.lines
    }) as Record<string, unknown>
    return { program: "generic", format: "text-log", title, text: d.build(), metadata }
  }
}

/**
 * How much `head` looks like a text log (0..0.45, never enough to win detection on its own): printable
 * text, several lines, some numbers.
 */
export function looksLikeLog(head: string): number {
  if (head.length === 0 || head.includes("\u0000")) return 0
  let printable = 0
  const n = Math.min(head.length, 8192)
  for (let i = 0; i < n; i++) {
    const c = head.charCodeAt(i)
    if (c === 9 || c === 10 || c === 13 || (c >= 32 && c !== 127 && c !== 0xfffd)) printable++
  }
  if (printable / n < 0.95) return 0
  const lines = head.split("\n", 50).filter((l) => l.trim() !== "")
  if (lines.length < 3) return 0.1
  let score = 0.3
  if (/\d+\.\d+/.test(head)) score += 0.1
  if (KEYWORDS.test(head)) score += 0.05
  return Math.min(0.45, score)
}

export const GENERIC_LOG: LogProgram = { format: "text-log", detect: looksLikeLog, create: () => new GenericReader() }

const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][-+]?\d+)?/g

/**
 * Share of the non-blank lines that repeat the numeric shape (count of numbers, at least 2) of the line
 * `period` lines later, for the best period of 2–4: logs whose records span lines of different shapes
 * (an optimiser's "Step 1: E = -76.02 dE = 1.2e-03" then "max force 0.041 rms force 0.010") repeat
 * with the record's period. Prose mentions numbers, but without a period.
 */
export function periodicNumericShare(head: string): number {
  const lines = head.split("\n", 400).filter((l) => l.trim() !== "")
  if (lines.length < 8) return 0
  const shapes = lines.map((l) => l.match(NUMBER)?.length ?? 0)
  let best = 0
  for (let period = 2; period <= 4; period++) {
    let same = 0
    for (let i = 0; i + period < shapes.length; i++) if (shapes[i]! >= 2 && shapes[i] === shapes[i + period]) same++
    best = Math.max(best, same / (shapes.length - period))
  }
  return best
}

/**
 * Whether a head holds program output: runs of at least 4 consecutive lines with the same count (≥ 2)
 * of numbers, where numbers are at least a third of the words, covering at least 40% of the non-blank
 * lines. Prose mentions numbers (years, percentages, sample sizes) but not in repeating columns.
 */
export function hasNumericColumns(head: string): boolean {
  const lines = head.split("\n", 400).filter((l) => l.trim() !== "")
  if (lines.length < 4) return false
  let inRuns = 0
  let runShape = -1
  let runLength = 0
  const close = () => {
    if (runShape >= 2 && runLength >= 4) inRuns += runLength
  }
  for (const line of lines) {
    const numbers = line.match(NUMBER)?.length ?? 0
    const words = line.trim().split(/\s+/).length
    const shape = numbers >= 2 && numbers * 3 >= words ? numbers : -1
    if (shape === runShape) runLength++
    else {
      close()
      runShape = shape
      runLength = 1
    }
  }
  close()
  return inRuns >= 0.4 * lines.length
}
