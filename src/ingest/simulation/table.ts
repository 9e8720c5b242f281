/**
 * CSV/TSV tables as training documents, read line by line with bounded memory.
 *
 * `createTableReader().feed(line)` takes one physical line at a time (without its terminator); the
 * delimiter, a preamble line (e.g. scikit-learn's "569,30,malignant,benign" above the data), and
 * whether the first record is a header are decided from the first records, which are the only ones
 * buffered. After that each row updates per-column running state (type evidence, numeric summary,
 * a capped count of distinct values) and a sample of rows whose stride doubles whenever it fills up,
 * so a file of any length needs the same memory. `finish()` renders the document: columns with
 * inferred types and units, per-column statistics, row count and a few evenly spaced rows as a
 * Markdown table, capped in size.
 */
import {
  accumulateOne,
  type Accumulator,
  clip,
  createAccumulator,
  finishStats,
  formatCount,
  formatNumber,
  formatStats,
  type NumericStats,
  statsForMetadata
} from "./summary.ts"
import { cut } from "./render.ts"
import type { SimulationDocument } from "./types.ts"

export type ColumnType = "integer" | "numeric" | "date" | "categorical" | "text" | "empty"

export interface TableReaderOptions {
  /** File name for the heading (e.g. "co2.csv"); the document does not depend on it otherwise. */
  readonly name?: string
  /** Force a delimiter instead of detecting it (e.g. "\t" for a .tsv). */
  readonly delimiter?: string
  /** Cap on the rendered text (default 16,000 characters). */
  readonly maxDocChars?: number
  /** Rows shown in the sample table (default 10). */
  readonly sampleRows?: number
}

export interface TableReader {
  /** One physical line, without its line terminator. */
  feed(line: string): void
  /** Render the document; the reader must not be fed afterwards. */
  finish(): SimulationDocument
  /** Data rows seen so far (after the header). */
  readonly rows: number
}

const CANDIDATE_DELIMITERS = [",", "\t", ";", "|"] as const
/** Records buffered to decide delimiter, preamble and header. */
const HEAD_RECORDS = 64
const HEAD_CHARS = 1 << 20
/** A quoted field may span lines; past this many lines, quotes are taken as stray and lines stand alone. */
const MAX_RECORD_LINES = 200
const MAX_RECORD_CHARS = 1 << 20
/** Columns tracked in full; further columns are counted only. */
const MAX_COLUMNS = 1000
const MAX_COMMENTS = 20
/** Cells kept per sampled row, and their width. */
const SAMPLE_CELL_CHARS = 40
/** Rows held by the doubling-stride sample before it is thinned. */
const SAMPLE_CAPACITY = 64
const FIRST_ROWS = 3
const CATEGORICAL_MAX = 50

const MISSING_TOKENS = new Set(["", "na", "n/a", "nan", "null", "none", "nil", "-", "--", "?", ".", "#n/a", "missing"])
const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const INT_RE = /^[+-]?\d+$/
const ISO_DATE_RE = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(?:Z|UTC|[+-]\d{2}:?\d{2})?$/i

/** Split one record on `delim`, honouring RFC 4180 quotes ("" inside quotes is a quote). */
export function splitRecord(record: string, delim: string): string[] {
  if (!record.includes('"')) {
    const parts = record.split(delim)
    for (let i = 0; i < parts.length; i++) parts[i] = parts[i]!.trim()
    return parts
  }
  const out: string[] = []
  let cur = ""
  let inQuotes = false
  let quoted = false
  for (let i = 0; i < record.length; i++) {
    const c = record[i]!
    if (inQuotes) {
      if (c === '"') {
        if (record[i + 1] === '"') {
          cur += '"'
          i++
        } else inQuotes = false
      } else cur += c
    } else if (c === '"' && cur.trim() === "") {
      inQuotes = true
      quoted = true
      cur = ""
    } else if (record.startsWith(delim, i)) {
      out.push(quoted ? cur : cur.trim())
      cur = ""
      quoted = false
      i += delim.length - 1
    } else cur += c
  }
  out.push(quoted ? cur : cur.trim())
  return out
}

const countQuotes = (s: string): number => {
  let n = 0
  for (let i = s.indexOf('"'); i !== -1; i = s.indexOf('"', i + 1)) n++
  return n
}

const isMissing = (cell: string): boolean => cell.length === 0 || (cell.length <= 9 && MISSING_TOKENS.has(cell.trim().toLowerCase()))

/** The cell as a number, or null. A decimal comma is accepted when the delimiter is not a comma. */
function parseNumber(cell: string, decimalComma: boolean): number | null {
  let s = cell.trim()
  if (decimalComma && /^[+-]?\d+,\d+$/.test(s)) s = s.replace(",", ".")
  if (NUMBER_RE.test(s)) return Number(s)
  const l = s.toLowerCase()
  if (l === "inf" || l === "+inf" || l === "infinity") return Infinity
  if (l === "-inf" || l === "-infinity") return -Infinity
  return null
}

/** A sortable key "YYYY-MM-DD hh:mm:ss" for a date-like cell, or null. */
function dateKey(cell: string): string | null {
  const s = cell.trim()
  const m = ISO_DATE_RE.exec(s)
  if (m !== null) {
    const mo = Number(m[2])
    const d = Number(m[3])
    if (mo < 1 || mo > 12 || d < 1 || d > 31) return null
    const p2 = (x: string | undefined) => (x ?? "0").padStart(2, "0")
    return `${m[1]}-${p2(m[2])}-${p2(m[3])} ${p2(m[4])}:${p2(m[5])}:${p2(m[6])}`
  }
  return null
}

/** 8-digit integers that are valid calendar days (19580329): a date column written as numbers. */
function yyyymmddKey(cell: string): string | null {
  const s = cell.trim()
  if (!/^\d{8}$/.test(s)) return null
  const y = Number(s.slice(0, 4))
  const mo = Number(s.slice(4, 6))
  const d = Number(s.slice(6, 8))
  if (y < 1000 || y > 2999 || mo < 1 || mo > 12 || d < 1 || d > 31) return null
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)} 00:00:00`
}

/** "co2 (ppm)" → { name: "co2", unit: "ppm" }; also "T [K]". */
export function splitUnit(header: string): { name: string; unit: string | null } {
  const m = /^(.*?\S)\s*[([]\s*([^()[\]]{1,24}?)\s*[)\]]\s*$/.exec(header.trim())
  if (m === null || /^[\d\s.,:;-]+$/.test(m[2]!)) return { name: header.trim(), unit: null }
  return { name: m[1]!, unit: m[2]! }
}

interface ColumnState {
  readonly header: string
  readonly name: string
  readonly unit: string | null
  nonMissing: number
  missing: number
  numeric: number
  integer: number
  dates: number
  yyyymmdd: number
  dateMin: string | null
  dateMinRaw: string
  dateMax: string | null
  dateMaxRaw: string
  /** Non-numeric examples in a mostly numeric column. */
  oddExample: string | null
  readonly acc: Accumulator
  /** Value → count while there are few distinct values; null once there were more than the cap. */
  distinct: Map<string, number> | null
  lengthSum: number
}

const newColumn = (header: string): ColumnState => {
  const { name, unit } = splitUnit(header)
  return {
    header,
    name,
    unit,
    nonMissing: 0,
    missing: 0,
    numeric: 0,
    integer: 0,
    dates: 0,
    yyyymmdd: 0,
    dateMin: null,
    dateMinRaw: "",
    dateMax: null,
    dateMaxRaw: "",
    oddExample: null,
    acc: createAccumulator(),
    distinct: new Map(),
    lengthSum: 0
  }
}

/** Best delimiter for these records: the one whose field count (> 1) is most consistent. */
function chooseDelimiter(records: readonly string[]): { delim: string; columns: number; consistency: number } {
  let best = { delim: ",", columns: 1, consistency: 0 }
  let bestScore = -1
  for (const d of CANDIDATE_DELIMITERS) {
    const counts = new Map<number, number>()
    for (const r of records) {
      const n = splitRecord(r, d).length
      counts.set(n, (counts.get(n) ?? 0) + 1)
    }
    let mode = 1
    let freq = 0
    for (const [n, f] of counts) if (f > freq || (f === freq && n > mode)) [mode, freq] = [n, f]
    if (mode < 2) continue
    const consistency = freq / Math.max(1, records.length)
    // Prefer consistency; among equally consistent delimiters, more columns.
    const score = consistency * 100 + Math.min(mode, 50) / 100
    if (score > bestScore) {
      bestScore = score
      best = { delim: d, columns: mode, consistency }
    }
  }
  return best
}

const looksNumeric = (cell: string): boolean => parseNumber(cell, false) !== null

/** Is `first` a header over the `rest` records? (csv.Sniffer-like: cells that differ in kind from the column.) */
function isHeaderRecord(first: readonly string[], rest: readonly string[][]): boolean {
  if (first.some((c) => c.trim() === "")) return false
  if (first.some((c) => looksNumeric(c) || yyyymmddKey(c) !== null || dateKey(c) !== null)) return false
  if (rest.length === 0) return true
  let numericColumns = 0
  for (let j = 0; j < first.length; j++) {
    let num = 0
    let seen = 0
    for (const r of rest) {
      const c = r[j]
      if (c === undefined || isMissing(c)) continue
      seen++
      if (looksNumeric(c) || dateKey(c) !== null) num++
    }
    if (seen > 0 && num / seen >= 0.8) numericColumns++
  }
  if (numericColumns > 0) return true
  // All-text table: a header if its cells are distinct and none recurs in its column below.
  if (new Set(first).size !== first.length) return false
  for (let j = 0; j < first.length; j++) if (rest.some((r) => r[j] === first[j])) return false
  return true
}

export function createTableReader(options: TableReaderOptions = {}): TableReader {
  const maxDocChars = options.maxDocChars ?? 16_000
  const sampleTarget = Math.max(2, options.sampleRows ?? 10)
  let physicalLines = 0
  let blankLines = 0
  let commentLines = 0
  const comments: string[] = []
  let pending: string[] = []
  let pendingChars = 0
  let pendingQuotes = 0
  let joinQuoted = true
  // Head phase.
  let head: string[] | null = []
  let headChars = 0
  // Decided layout.
  let delim = ","
  let hasHeader = false
  let preamble: string[] = []
  let columns: ColumnState[] = []
  let width = 0
  let decimalComma = false
  // Data phase.
  let rows = 0
  let raggedRows = 0
  let distinctCap = 1000
  const firstRows: { index: number; cells: string[] }[] = []
  let stride = 1
  let strided: { index: number; cells: string[] }[] = []
  let lastRow: { index: number; cells: string[] } | null = null
  let finished = false

  const decide = (): void => {
    const records = head ?? []
    head = null
    if (options.delimiter !== undefined) {
      delim = options.delimiter
      const counts = records.map((r) => splitRecord(r, delim).length)
      const freq = new Map<number, number>()
      for (const c of counts) freq.set(c, (freq.get(c) ?? 0) + 1)
      width = [...freq.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]?.[0] ?? 1
    } else {
      const choice = chooseDelimiter(records)
      delim = choice.delim
      width = choice.columns
    }
    decimalComma = delim !== ","
    const split = records.map((r) => splitRecord(r, delim))
    // Preamble: up to 5 leading records whose field count differs from the table's.
    let start = 0
    while (start < split.length && start < 5 && split[start]!.length !== width && split.length - start > 1) start++
    preamble = records.slice(0, start).map((r) => clip(r, 200))
    const body = split.slice(start)
    const first = body[0]
    hasHeader = first !== undefined && first.length === width && isHeaderRecord(first, body.slice(1, 40))
    const names = hasHeader ? first!.map((c, j) => (c.trim() === "" ? `column ${j + 1}` : c.trim())) : Array.from({ length: width }, (_, j) => `column ${j + 1}`)
    columns = names.slice(0, MAX_COLUMNS).map(newColumn)
    distinctCap = Math.max(CATEGORICAL_MAX + 1, Math.min(1000, Math.floor(200_000 / Math.max(1, columns.length))))
    for (const cells of hasHeader ? body.slice(1) : body) addRow(cells)
  }

  const addRow = (cells: string[]): void => {
    const index = rows++
    if (cells.length !== width) raggedRows++
    for (let j = 0; j < columns.length; j++) {
      const col = columns[j]!
      const cell = cells[j] ?? ""
      if (isMissing(cell)) {
        col.missing++
        continue
      }
      col.nonMissing++
      const value = cell.length > 64 ? cut(cell, 64, "") : cell
      col.lengthSum += cell.length
      if (col.distinct !== null) {
        col.distinct.set(value, (col.distinct.get(value) ?? 0) + 1)
        if (col.distinct.size > distinctCap) col.distinct = null
      }
      const x = parseNumber(cell, decimalComma)
      if (x !== null) {
        col.numeric++
        if (INT_RE.test(cell.trim())) col.integer++
        accumulateOne(col.acc, x)
        const ymd = yyyymmddKey(cell)
        if (ymd !== null) {
          col.yyyymmdd++
          noteDate(col, ymd, cell)
        }
        continue
      }
      if (col.oddExample === null) col.oddExample = clip(cell, 30)
      const key = dateKey(cell)
      if (key !== null) {
        col.dates++
        noteDate(col, key, cell)
      }
    }
    // Rows are kept by reference to their (already split) cells; cells are clipped when kept for good.
    lastRow = { index, cells }
    if (firstRows.length < FIRST_ROWS) {
      firstRows.push(keep(index, cells))
      return
    }
    if ((index - FIRST_ROWS) % stride === 0) {
      strided.push(keep(index, cells))
      if (strided.length > SAMPLE_CAPACITY) {
        stride *= 2
        strided = strided.filter((r) => (r.index - FIRST_ROWS) % stride === 0)
      }
    }
  }

  const keep = (index: number, cells: string[]) => ({ index, cells: cells.slice(0, MAX_COLUMNS).map((c) => clip(c, SAMPLE_CELL_CHARS)) })

  const noteDate = (col: ColumnState, key: string, raw: string): void => {
    if (col.dateMin === null || key < col.dateMin) {
      col.dateMin = key
      col.dateMinRaw = clip(raw, 40)
    }
    if (col.dateMax === null || key > col.dateMax) {
      col.dateMax = key
      col.dateMaxRaw = clip(raw, 40)
    }
  }

  const takeRecord = (record: string): void => {
    if (head !== null) {
      head.push(record)
      headChars += record.length
      if (head.length >= HEAD_RECORDS || headChars >= HEAD_CHARS) decide()
      return
    }
    addRow(splitRecord(record, delim))
  }

  const flushPendingAsLines = (): void => {
    // The quotes never closed: take the lines as separate records and stop joining.
    const lines = pending
    pending = []
    pendingChars = 0
    pendingQuotes = 0
    joinQuoted = false
    for (const l of lines) takeRecord(l)
  }

  const feed = (rawLine: string): void => {
    if (finished) throw new Error("table reader: feed() after finish()")
    physicalLines++
    const line = rawLine.endsWith("\r") ? rawLine.slice(0, -1) : rawLine
    if (pending.length > 0) {
      pending.push(line)
      pendingChars += line.length
      pendingQuotes += countQuotes(line)
      if (pendingQuotes % 2 === 0) {
        const record = pending.join("\n")
        pending = []
        pendingChars = 0
        pendingQuotes = 0
        takeRecord(record)
      } else if (pending.length > MAX_RECORD_LINES || pendingChars > MAX_RECORD_CHARS) flushPendingAsLines()
      return
    }
    const trimmed = line.trimStart()
    if (trimmed === "") {
      blankLines++
      return
    }
    if (trimmed.startsWith("#")) {
      commentLines++
      if (comments.length < MAX_COMMENTS) comments.push(clip(trimmed, 200))
      return
    }
    const q = joinQuoted ? countQuotes(line) : 0
    if (q % 2 === 1) {
      pending = [line]
      pendingChars = line.length
      pendingQuotes = q
      return
    }
    takeRecord(line)
  }

  const finish = (): SimulationDocument => {
    if (finished) throw new Error("table reader: finish() called twice")
    if (pending.length > 0) flushPendingAsLines()
    if (head !== null) decide()
    finished = true
    if (rows === 0) throw new Error(hasHeader ? "table has a header but no data rows" : "table has no data rows")
    return render()
  }

  /**
   * scikit-learn's bundled datasets start with "n_samples,n_features,class names…" and end each row
   * with the class index: recognise that layout so the last column can be labelled.
   */
  let targetNames: string[] | null = null
  const readPreamble = (): string | null => {
    if (preamble.length !== 1) return null
    const f = splitRecord(preamble[0]!, delim)
    if (f.length < 3 || !INT_RE.test(f[0]!) || !INT_RE.test(f[1]!)) return null
    const n = Number(f[0])
    const m = Number(f[1])
    if (n !== rows || m !== width - 1) return null
    const last = columns[columns.length - 1]
    if (last === undefined || last.integer !== last.nonMissing || last.acc.count === 0) return null
    const names = f.slice(2)
    if (last.acc.min < 0 || last.acc.max > names.length - 1) return null
    targetNames = names
    return `The preamble gives the layout of a labelled dataset (scikit-learn style): ${n} samples, ${m} feature columns, and a last column holding the class index (${names.map((c, i) => `${i} = ${c}`).join(", ")}).`
  }

  const render = (): SimulationDocument => {
    const layoutNote = readPreamble()
    const tsv = delim === "\t"
    const program = tsv ? "TSV" : "CSV"
    const format = tsv ? "tsv" : "csv"
    const infos = columns.map(describeColumn)
    const delimName = delim === "," ? "comma" : delim === "\t" ? "tab" : delim === ";" ? "semicolon" : delim === "|" ? "pipe" : JSON.stringify(delim)
    const out: string[] = []
    out.push(`# Data table${options.name !== undefined ? `: ${options.name}` : ""}`)
    out.push("")
    const extraCols = width > columns.length ? ` (${formatCount(width - columns.length)} further columns not analysed)` : ""
    out.push(
      `${program} table, ${delimName}-delimited, ${hasHeader ? "with a header row" : "without a header row (columns are numbered)"}: ` +
        `${formatCount(rows)} data rows × ${formatCount(width)} columns${extraCols}.`
    )
    if (raggedRows > 0) out.push(`${formatCount(raggedRows)} rows do not have ${width} fields.`)
    if (preamble.length > 0) {
      out.push("")
      out.push(`Preamble line${preamble.length > 1 ? "s" : ""} before the data: ${preamble.map((p) => `\`${p}\``).join(", ")}.`)
      if (layoutNote !== null) out.push(layoutNote)
    }
    if (comments.length > 0) {
      out.push("")
      out.push(`Comment lines (${formatCount(commentLines)}${commentLines > comments.length ? `, first ${comments.length} shown` : ""}):`)
      for (const c of comments) out.push(`    ${c}`)
    }
    out.push("")
    out.push("## Columns")
    out.push("")
    out.push("| # | column | type | unit | valid | missing | summary |")
    out.push("|---|---|---|---|---|---|---|")
    const budgetForColumns = Math.floor(maxDocChars * 0.6)
    let used = out.join("\n").length
    let shown = 0
    for (const info of infos) {
      const line = `| ${info.position} | ${mdCell(info.name)} | ${info.typeLabel} | ${mdCell(info.unit ?? "")} | ${info.valid} | ${info.missing} | ${mdCell(info.summary)} |`
      if (used + line.length + 1 > budgetForColumns && shown > 0) break
      out.push(line)
      used += line.length + 1
      shown++
    }
    if (shown < infos.length) out.push(`\n(${formatCount(infos.length - shown)} more columns are listed in the metadata only.)`)
    // Sample rows.
    const sample = pickSampleRows()
    if (sample.length > 0) {
      out.push("")
      out.push("## Sample rows")
      out.push("")
      const idx = pickSampleColumns(columns.length)
      const rowNumbers = sample.map((r) => r.index + 1)
      out.push(
        `${sample.length === rows ? `All ${rows} rows` : `${sample.length} of ${formatCount(rows)} rows, evenly spaced (rows ${rowNumbers.join(", ")})`}` +
          `${idx.length < columns.length ? `; ${idx.filter((i) => i >= 0).length} of ${columns.length} columns shown` : ""}:`
      )
      out.push("")
      const headerCells = idx.map((i) => (i < 0 ? "…" : mdCell(clip(columns[i]!.header, 24))))
      out.push(`| row | ${headerCells.join(" | ")} |`)
      out.push(`|---|${idx.map(() => "---").join("|")}|`)
      for (const r of sample) {
        const line = `| ${r.index + 1} | ${idx.map((i) => (i < 0 ? "…" : mdCell(clip(r.cells[i] ?? "", 24)))).join(" | ")} |`
        if (used + line.length > maxDocChars) break
        out.push(line)
        used += line.length + 1
      }
    }
    let text = out.join("\n") + "\n"
    if (text.length > maxDocChars) text = cut(text, maxDocChars - 1, "") + "\n"
    const units: Record<string, string> = {}
    for (const c of columns) if (c.unit !== null) units[c.name] = c.unit
    const metadata: Record<string, unknown> = {
      program,
      format,
      delimiter: delim,
      header: hasHeader,
      rows,
      columnCount: width,
      columns: infos.map((i) => i.meta),
      units,
      quantities: columns.filter((c, j) => infos[j]!.type === "numeric" || infos[j]!.type === "integer").map((c) => c.name),
      sampledRows: sample.map((r) => r.index + 1),
      physicalLines,
      ...(preamble.length > 0 ? { preamble } : {}),
      ...(targetNames !== null ? { targetNames } : {}),
      ...(comments.length > 0 ? { comments } : {}),
      ...(raggedRows > 0 ? { raggedRows } : {}),
      ...(blankLines > 0 ? { blankLines } : {})
    }
    return { program, format, title: null, text, metadata }
  }

  const pickSampleRows = (): { index: number; cells: string[] }[] => {
    const pool = [...firstRows, ...strided]
    if (lastRow !== null && !pool.some((r) => r.index === lastRow!.index)) pool.push(keep(lastRow.index, lastRow.cells))
    pool.sort((a, b) => a.index - b.index)
    if (pool.length <= sampleTarget) return pool
    // Keep the first two rows, the last row, and evenly spaced rows (by row number) in between.
    const chosen = new Map<number, { index: number; cells: string[] }>()
    const firstTwo = pool.slice(0, 2)
    for (const r of firstTwo) chosen.set(r.index, r)
    const last = pool[pool.length - 1]!
    chosen.set(last.index, last)
    const rest = pool.slice(2, -1)
    const want = sampleTarget - chosen.size
    const lo = firstTwo[firstTwo.length - 1]!.index
    for (let k = 1; k <= want && rest.length > 0; k++) {
      const target = lo + ((last.index - lo) * k) / (want + 1)
      let best = rest[0]!
      for (const r of rest) if (Math.abs(r.index - target) < Math.abs(best.index - target) && !chosen.has(r.index)) best = r
      chosen.set(best.index, best)
    }
    return [...chosen.values()].sort((a, b) => a.index - b.index)
  }

  const describeColumn = (col: ColumnState, j: number) => {
    const type = inferType(col)
    const stats: NumericStats | null = type === "integer" || type === "numeric" ? finishStats(col.acc) : null
    let summary = ""
    const meta: Record<string, unknown> = { name: col.name, type, count: col.nonMissing, missing: col.missing }
    if (col.unit !== null) meta.unit = col.unit
    if (col.name !== col.header) meta.header = col.header
    let typeLabel: string = type
    if (type === "date") {
      const numericDates = col.yyyymmdd === col.nonMissing
      if (numericDates) typeLabel = "date (YYYYMMDD)"
      summary = `from ${col.dateMin!.replace(/ 00:00:00$/, "")} to ${col.dateMax!.replace(/ 00:00:00$/, "")}`
      meta.min = col.dateMinRaw
      meta.max = col.dateMaxRaw
    } else if (stats !== null) {
      summary = formatStats(stats)
      Object.assign(meta, statsForMetadata(stats))
      meta.count = stats.count
      meta.missing = col.missing + (col.nonMissing - col.numeric)
      const odd = col.nonMissing - col.numeric
      if (odd > 0) {
        summary += `; ${formatCount(odd)} non-numeric (e.g. "${col.oddExample}")`
        meta.nonNumeric = odd
      }
      if (col.distinct !== null && col.distinct.size <= 12 && type === "integer" && col.nonMissing >= 20) {
        const top = topValues(col.distinct, 12)
        const label = (v: string): string => {
          const name = j === columns.length - 1 && targetNames !== null ? targetNames[Number(v)] : undefined
          return name === undefined ? v : `${v} = ${name}`
        }
        summary += `; values: ${top.map(([v, n]) => `${label(v)} (${n})`).join(", ")}`
        meta.distinct = col.distinct.size
        meta.top = top.map(([value, count]) => ({ value, count }))
      }
    } else if (type === "categorical" && col.distinct !== null) {
      const top = topValues(col.distinct, 8)
      summary = `${col.distinct.size} distinct: ${top.map(([v, n]) => `${clip(v, 30)} (${n})`).join(", ")}${col.distinct.size > top.length ? ", …" : ""}`
      meta.distinct = col.distinct.size
      meta.top = top.map(([value, count]) => ({ value, count }))
    } else if (type === "text") {
      const d = col.distinct === null ? `more than ${distinctCap}` : String(col.distinct.size)
      summary = `${d} distinct values, mean length ${formatNumber(col.lengthSum / Math.max(1, col.nonMissing), 3)} characters`
      meta.distinct = col.distinct === null ? null : col.distinct.size
    } else summary = "all values missing"
    return {
      position: j + 1,
      name: col.name,
      unit: col.unit,
      type,
      typeLabel,
      valid: stats !== null ? stats.count : col.nonMissing,
      missing: col.missing + (stats !== null ? col.nonMissing - col.numeric : 0),
      summary,
      meta
    }
  }

  return {
    feed,
    finish,
    get rows() {
      return rows
    }
  }
}

function inferType(col: ColumnState): ColumnType {
  const n = col.nonMissing
  if (n === 0) return "empty"
  if (col.numeric === n) {
    if (col.yyyymmdd === n) return "date"
    return col.integer === n ? "integer" : "numeric"
  }
  if (col.dates === n) return "date"
  // Mostly numbers with a few odd tokens ("<0.1", "ND"): numeric, the rest reported.
  if (col.numeric >= 0.95 * n && n - col.numeric <= 1000) return col.integer === col.numeric ? "integer" : "numeric"
  if (col.distinct !== null && col.distinct.size <= CATEGORICAL_MAX && (col.distinct.size <= 0.5 * n || n < 10)) return "categorical"
  return "text"
}

const topValues = (m: Map<string, number>, k: number): [string, number][] =>
  [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k)

const mdCell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ")

/** Columns shown in the sample table: all up to 12; else the first 10, a gap (-1), and the last one. */
function pickSampleColumns(n: number): number[] {
  if (n <= 12) return Array.from({ length: n }, (_, i) => i)
  return [...Array.from({ length: 10 }, (_, i) => i), -1, n - 1]
}

/**
 * How much `head` (the start of a file) looks like a delimited table, 0..1: the share of its records
 * that have the most common field count (> 1) under the best delimiter, weighted towards tables with
 * numeric cells. Comment (#) and blank lines are ignored.
 */
export function looksLikeTable(head: string): number {
  const lines = head.split(/\r?\n/)
  // The last line may be cut in the middle.
  if (lines.length > 1) lines.pop()
  const records = lines.filter((l) => l.trim() !== "" && !l.trimStart().startsWith("#")).slice(0, 100)
  if (records.length === 0) return 0
  const { delim, columns, consistency } = chooseDelimiter(records)
  if (columns < 2) return 0
  let cells = 0
  let numeric = 0
  let longCells = 0
  for (const r of records) {
    for (const c of splitRecord(r, delim)) {
      cells++
      if (looksNumeric(c) || isMissing(c) || dateKey(c) !== null) numeric++
      if (c.length > 80) longCells++
    }
  }
  const numericShare = numeric / Math.max(1, cells)
  const prose = longCells / Math.max(1, cells)
  const enough = Math.min(1, records.length / 3)
  const score = consistency * (0.55 + 0.45 * numericShare) * enough * (1 - prose)
  return Math.max(0, Math.min(1, Number(score.toFixed(3))))
}
