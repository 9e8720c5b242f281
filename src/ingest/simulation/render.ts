/**
 * Shared helpers of the simulation-log readers: number and quantity formatting, bounded summaries of
 * long numeric series (running statistics plus a deterministic sample whose stride doubles when it
 * fills up), bounded row samples, de-duplicated message lists, chemical formulas, and a document
 * builder that caps the rendered size and says what it left out.
 *
 * Everything here holds O(1) memory per series, whatever the length of the input.
 */
import { redactSecrets } from "../code/secrets.ts"
import { formatNumber } from "./summary.ts"
import { clip, cut } from "./clip.ts"

export { clip, cut }

// ---------------------------------------------------------------------------------------------------
// Units and constants

export const RY_TO_EV = 13.605693122994
export const HARTREE_TO_EV = 27.211386245988
export const HARTREE_TO_KCAL = 627.5094740631
export const HARTREE_TO_KJ = 2625.4996394799
export const EV_TO_KJ = 96.48533212331
export const BOHR_TO_ANGSTROM = 0.529177210903

/** A number with its unit, as stored in metadata. */
export interface Quantity {
  readonly value: number
  readonly unit: string
}

export const q = (value: number, unit: string): Quantity => ({ value, unit })

/** A quantity only when the value is a finite number. */
export const qOpt = (value: number | null | undefined, unit: string): Quantity | undefined =>
  value === null || value === undefined || !Number.isFinite(value) ? undefined : { value, unit }

// ---------------------------------------------------------------------------------------------------
// Parsing

/** A number from Fortran-style text ("1.0D-08", "-0.5E+01", "1.", ".5"); NaN when not a number. */
export function num(s: string | undefined): number {
  if (s === undefined) return Number.NaN
  const t = s.trim()
  if (t === "") return Number.NaN
  const v = Number(t.includes("D") || t.includes("d") ? t.replace(/[dD]/, "e") : t)
  return v
}

/** Integer or NaN. */
export const int = (s: string | undefined): number => {
  const v = num(s)
  return Number.isInteger(v) ? v : Number.NaN
}

const NUMERIC = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][-+]?\d+)?$/

/** Whether a token is a plain number (Fortran exponents allowed). */
export const isNumber = (tok: string): boolean => NUMERIC.test(tok)

/** Whitespace-separated tokens of a line. */
export const tokens = (line: string): string[] => {
  const t = line.trim()
  return t === "" ? [] : t.split(/\s+/)
}

/** All tokens parsed as numbers when every one of them is numeric (nan/inf allowed), else null. */
export function numericRow(line: string): number[] | null {
  const toks = tokens(line)
  if (toks.length === 0) return null
  const out = new Array<number>(toks.length)
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!
    if (NUMERIC.test(t)) out[i] = num(t)
    else if (/^[-+]?(nan|inf|infinity)$/i.test(t)) out[i] = Number.NaN
    else return null
  }
  return out
}

/** First captured number of `re` in `line`, or NaN. */
export function grabNumber(line: string, re: RegExp): number {
  const m = re.exec(line)
  return m === null ? Number.NaN : num(m[1])
}

// ---------------------------------------------------------------------------------------------------
// Formatting

/**
 * A number in few characters: integers as they are, others with `sig` significant digits, trailing
 * zeros dropped, exponent form for very small or very large magnitudes ("1.5e-7").
 */
export const fmt = (x: number | null | undefined, sig = 6): string => formatNumber(x, sig)

/** A number with a fixed count of decimals, trailing zeros kept (for energies in Hartree etc.). */
export function fixed(x: number | null | undefined, decimals: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return fmt(x ?? null)
  const s = x.toFixed(decimals)
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s
}

/** "1.5 Ry" */
export const fq = (x: number | null | undefined, unit: string, sig = 6): string =>
  unit === "" ? fmt(x, sig) : `${fmt(x, sig)} ${unit}`

/** Group digits of a count ("2,920,000"). */
export const fcount = (n: number): string => n.toLocaleString("en-US")

/** "a, b and c" */
export function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("")
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`
}

/** "1 step" / "3 steps" */
export const plural = (n: number, word: string, pluralWord = `${word}s`): string => `${fcount(n)} ${n === 1 ? word : pluralWord}`

/** Seconds as "2 h 3 min 4 s" (or "12.3 s"). */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "n/a"
  if (seconds < 60) return `${fmt(seconds, 4)} s`
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = Math.round(seconds % 60)
  return h > 0 ? `${h} h ${m} min ${s} s` : `${m} min ${s} s`
}

// ---------------------------------------------------------------------------------------------------
// Bounded numeric series

export interface SeriesSummary {
  readonly count: number
  readonly first: number | null
  readonly last: number | null
  readonly min: number | null
  readonly max: number | null
  readonly mean: number | null
  readonly std: number | null
}

/**
 * Summary of a numeric series of any length in O(cap) memory: count, first, last, min, max, mean and
 * standard deviation (Welford), and a deterministic sample of (index, value) pairs taken every
 * `stride`-th value, the stride doubling whenever the sample fills up. Non-finite values are counted
 * apart and skipped.
 */
export class Series {
  count = 0
  nonFinite = 0
  first = Number.NaN
  last = Number.NaN
  min = Infinity
  max = -Infinity
  minIndex = -1
  maxIndex = -1
  private mean_ = 0
  private m2 = 0
  private stride = 1
  private seen = 0
  private readonly idx: number[] = []
  private readonly val: number[] = []
  private readonly cap: number

  constructor(cap = 64) {
    this.cap = Math.max(4, cap)
  }

  push(x: number): void {
    const i = this.seen++
    if (!Number.isFinite(x)) {
      this.nonFinite++
      return
    }
    if (this.count === 0) this.first = x
    this.last = x
    this.count++
    const d = x - this.mean_
    this.mean_ += d / this.count
    this.m2 += d * (x - this.mean_)
    if (x < this.min) {
      this.min = x
      this.minIndex = i
    }
    if (x > this.max) {
      this.max = x
      this.maxIndex = i
    }
    if (i % this.stride === 0) {
      this.idx.push(i)
      this.val.push(x)
      if (this.idx.length > this.cap) {
        this.stride *= 2
        let w = 0
        for (let r = 0; r < this.idx.length; r++) {
          if (this.idx[r]! % this.stride === 0) {
            this.idx[w] = this.idx[r]!
            this.val[w] = this.val[r]!
            w++
          }
        }
        this.idx.length = w
        this.val.length = w
      }
    }
  }

  /** Values offered so far, finite or not (the index of the next value). */
  get length(): number {
    return this.seen
  }

  get mean(): number {
    return this.count === 0 ? Number.NaN : this.mean_
  }

  get std(): number {
    return this.count === 0 ? Number.NaN : Math.sqrt(Math.max(0, this.m2 / this.count))
  }

  /** Up to `k` sampled values spread over the whole series, the first and the last included. */
  sample(k: number): number[] {
    if (this.count === 0 || k <= 0) return []
    const n = this.val.length
    const out: number[] = []
    if (n <= k) out.push(...this.val)
    else for (let j = 0; j < k; j++) out.push(this.val[Math.round((j * (n - 1)) / Math.max(1, k - 1))]!)
    if (out[out.length - 1] !== this.last && this.idx[n - 1] !== this.seen - 1) {
      if (out.length >= k && out.length > 1) out[out.length - 1] = this.last
      else out.push(this.last)
    }
    return out
  }

  summary(sig = 8): SeriesSummary {
    const r = (x: number): number | null => (Number.isFinite(x) ? Number(x.toPrecision(sig)) : null)
    if (this.count === 0) return { count: 0, first: null, last: null, min: null, max: null, mean: null, std: null }
    return { count: this.count, first: r(this.first), last: r(this.last), min: r(this.min), max: r(this.max), mean: r(this.mean), std: r(this.std) }
  }

  /** "100 values: first 1, last 2, min 0.5, max 3, mean 1.7 (std 0.2)" */
  describe(unit = "", sig = 6, samples = 0): string {
    if (this.count === 0) return this.nonFinite > 0 ? `${this.nonFinite} non-finite values` : "no values"
    const u = unit === "" ? "" : ` ${unit}`
    if (this.count === 1) return `${fmt(this.first, sig)}${u}`
    let s = `${plural(this.count, "value")}: first ${fmt(this.first, sig)}, last ${fmt(this.last, sig)}, min ${fmt(this.min, sig)}, max ${fmt(this.max, sig)}, mean ${fmt(this.mean, sig)}, std ${fmt(this.std, 3)}${u}`
    if (samples > 0 && this.count > 2) s += `; sampled: ${this.sample(samples).map((v) => fmt(v, sig)).join(", ")}`
    if (this.nonFinite > 0) s += ` (${this.nonFinite} non-finite skipped)`
    return s
  }
}

/**
 * A bounded, deterministic sample of rows: the first row, the last row, and rows taken every
 * `stride`-th with the stride doubling when the sample fills up.
 */
export class RowSampler<T> {
  count = 0
  private stride = 1
  private readonly rows: Array<{ i: number; row: T }> = []
  private lastRow: { i: number; row: T } | null = null
  private readonly cap: number

  constructor(cap = 48) {
    this.cap = Math.max(4, cap)
  }

  push(row: T): void {
    const i = this.count++
    this.lastRow = { i, row }
    if (i % this.stride === 0) {
      this.rows.push({ i, row })
      if (this.rows.length > this.cap) {
        this.stride *= 2
        let w = 0
        for (let r = 0; r < this.rows.length; r++) if (this.rows[r]!.i % this.stride === 0) this.rows[w++] = this.rows[r]!
        this.rows.length = w
      }
    }
  }

  /** Up to `k` rows spread evenly over all rows seen, first and last included, with their indices. */
  pick(k: number): Array<{ i: number; row: T }> {
    if (this.count === 0 || k <= 0) return []
    const pool = this.rows.slice()
    if (this.lastRow !== null && pool[pool.length - 1]!.i !== this.lastRow.i) pool.push(this.lastRow)
    if (pool.length <= k) return pool
    const out: Array<{ i: number; row: T }> = []
    for (let j = 0; j < k; j++) {
      const e = pool[Math.round((j * (pool.length - 1)) / Math.max(1, k - 1))]!
      if (out.length === 0 || out[out.length - 1]!.i !== e.i) out.push(e)
    }
    return out
  }
}

/** Keeps the first `cap` items pushed and counts the rest. */
export class FirstN<T> {
  readonly items: T[] = []
  total = 0
  readonly cap: number
  constructor(cap: number) {
    this.cap = cap
  }
  push(x: T): void {
    this.total++
    if (this.items.length < this.cap) this.items.push(x)
  }
  get omitted(): number {
    return this.total - this.items.length
  }
}

/** Keeps the last `cap` items pushed (ring buffer) and counts all. */
export class LastN<T> {
  private readonly buf: T[] = []
  private start = 0
  total = 0
  readonly cap: number
  constructor(cap: number) {
    this.cap = cap
  }
  push(x: T): void {
    this.total++
    if (this.buf.length < this.cap) this.buf.push(x)
    else {
      this.buf[this.start] = x
      this.start = (this.start + 1) % this.cap
    }
  }
  get items(): T[] {
    return [...this.buf.slice(this.start), ...this.buf.slice(0, this.start)]
  }
  clear(): void {
    this.buf.length = 0
    this.start = 0
    this.total = 0
  }
}

/**
 * Distinct messages (warnings, errors) with repeat counts, in order of first appearance; at most
 * `cap` distinct ones are kept, later new ones are only counted.
 */
export class MessageSet {
  private readonly map = new Map<string, number>()
  dropped = 0
  total = 0
  readonly cap: number
  constructor(cap = 30) {
    this.cap = cap
  }
  add(message: string): void {
    const m = clip(message, 300)
    if (m === "") return
    this.total++
    const n = this.map.get(m)
    if (n !== undefined) this.map.set(m, n + 1)
    else if (this.map.size < this.cap) this.map.set(m, 1)
    else this.dropped++
  }
  get size(): number {
    return this.map.size
  }
  list(): Array<{ message: string; count: number }> {
    return [...this.map].map(([message, count]) => ({ message, count }))
  }
  /** Plain strings for metadata ("msg (x3)"). */
  strings(): string[] {
    const out = this.list().map(({ message, count }) => (count > 1 ? `${message} (x${count})` : message))
    if (this.dropped > 0) out.push(`… ${this.dropped} more`)
    return out
  }
}

// ---------------------------------------------------------------------------------------------------
// Chemistry

export const ELEMENTS: readonly string[] = [
  "X", "H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar",
  "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As", "Se", "Br", "Kr",
  "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I", "Xe",
  "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu",
  "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn",
  "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr",
  "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og"
]

const ELEMENT_SET = new Set(ELEMENTS.slice(1).map((e) => e.toLowerCase()))

/** Element symbol of atomic number `z` ("X" when unknown). */
export const elementOf = (z: number): string => (Number.isInteger(z) && z > 0 && z < ELEMENTS.length ? ELEMENTS[z]! : "X")

/**
 * The element a program's atom label stands for: "H1" → "H", "C_2" → "C", "FE" → "Fe", "Si" → "Si",
 * "Ow" → "O" (two-letter prefix tried first, then one). Null when no element matches.
 */
export function elementFromLabel(label: string): string | null {
  const m = /^([A-Za-z]+)/.exec(label.trim())
  if (m === null) return null
  const s = m[1]!
  if (s.length >= 2) {
    const two = s[0]!.toUpperCase() + s[1]!.toLowerCase()
    if (ELEMENT_SET.has(two.toLowerCase())) return two
  }
  const one = s[0]!.toUpperCase()
  return ELEMENT_SET.has(one.toLowerCase()) ? one : null
}

/** Element counts in order of first appearance, bounded to `cap` distinct labels. */
export class Composition {
  private readonly counts = new Map<string, number>()
  total = 0
  private readonly cap: number
  constructor(cap = 128) {
    this.cap = cap
  }
  add(element: string, n = 1): void {
    this.total += n
    const c = this.counts.get(element)
    if (c !== undefined) this.counts.set(element, c + n)
    else if (this.counts.size < this.cap) this.counts.set(element, n)
  }
  get size(): number {
    return this.counts.size
  }
  entries(): Array<[string, number]> {
    return [...this.counts]
  }
  record(): Record<string, number> {
    return Object.fromEntries(this.counts)
  }
  formula(): string {
    return hillFormula(this.counts)
  }
}

/** Hill-order formula: C first, H second, then alphabetical; without C, all alphabetical. */
export function hillFormula(counts: ReadonlyMap<string, number> | Readonly<Record<string, number>>): string {
  const m = counts instanceof Map ? counts : new Map(Object.entries(counts))
  const keys = [...m.keys()].filter((k) => (m.get(k) ?? 0) > 0)
  const hasC = keys.includes("C")
  keys.sort((a, b) => {
    if (hasC) {
      const rank = (e: string): number => (e === "C" ? 0 : e === "H" ? 1 : 2)
      const d = rank(a) - rank(b)
      if (d !== 0) return d
    }
    return a < b ? -1 : a > b ? 1 : 0
  })
  return keys.map((k) => {
    const n = m.get(k)!
    return n === 1 ? k : `${k}${n}`
  }).join("")
}

// ---------------------------------------------------------------------------------------------------
// Metadata

/** Drop undefined, null, NaN, empty strings, empty arrays and empty objects, recursively. */
export function compact<T>(value: T): T {
  return compactValue(value) as T
}

function compactValue(v: unknown): unknown {
  if (v === null || v === undefined) return undefined
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined
  if (typeof v === "string") return v === "" ? undefined : v
  if (Array.isArray(v)) {
    const a = v.map(compactValue).filter((x) => x !== undefined)
    return a.length === 0 ? undefined : a
  }
  if (typeof v === "object") {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const c = compactValue(x)
      if (c !== undefined) out[k] = c
    }
    return Object.keys(out).length === 0 ? undefined : out
  }
  return v
}

/** Round to `sig` significant digits for metadata (stable JSON). */
export const round = (x: number, sig = 10): number => (Number.isFinite(x) && x !== 0 ? Number(x.toPrecision(sig)) : x)

// ---------------------------------------------------------------------------------------------------
// Document builder

/** Default cap on a rendered document, in characters. */
export const MAX_DOC_CHARS = 32_000

interface Section {
  readonly heading: string | null
  readonly lines: string[]
}

/**
 * Builds the Markdown-ish training document. Sections are kept in order; when the whole would exceed
 * the cap, the overflowing section is cut at a line boundary and the names of the sections left out
 * are listed at the end, so the reader of the document knows it is incomplete.
 */
export class DocBuilder {
  private readonly sections: Section[] = []
  private current: Section

  readonly title: string
  constructor(title: string) {
    this.title = title
    this.current = { heading: null, lines: [] }
    this.sections.push(this.current)
  }

  section(heading: string): this {
    this.current = { heading, lines: [] }
    this.sections.push(this.current)
    return this
  }

  line(text: string): this {
    this.current.lines.push(text)
    return this
  }

  /** A "- label: value" bullet, skipped when the value is empty. */
  kv(label: string, value: string | number | null | undefined): this {
    if (value === null || value === undefined || value === "" || (typeof value === "number" && !Number.isFinite(value))) return this
    this.current.lines.push(`- ${label}: ${typeof value === "number" ? fmt(value) : value}`)
    return this
  }

  bullet(text: string): this {
    this.current.lines.push(`- ${text}`)
    return this
  }

  paragraph(text: string): this {
    if (this.current.lines.length > 0 && this.current.lines[this.current.lines.length - 1] !== "") this.current.lines.push("")
    this.current.lines.push(text)
    return this
  }

  /** A Markdown table. */
  table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): this {
    if (rows.length === 0) return this
    if (this.current.lines.length > 0 && this.current.lines[this.current.lines.length - 1] !== "") this.current.lines.push("")
    this.current.lines.push(`| ${headers.join(" | ")} |`)
    this.current.lines.push(`|${headers.map(() => "---").join("|")}|`)
    for (const r of rows) this.current.lines.push(`| ${r.join(" | ")} |`)
    this.current.lines.push("")
    return this
  }

  build(maxChars = MAX_DOC_CHARS): string {
    const parts: string[] = [`# ${this.title}`, ""]
    let size = parts[0]!.length + 2
    const omitted: string[] = []
    let cutNote: string | null = null
    for (const s of this.sections) {
      const lines = trimBlank(s.lines)
      if (lines.length === 0) continue
      const head = s.heading === null ? [] : [`## ${s.heading}`, ""]
      const headLen = head.reduce((a, l) => a + l.length + 1, 0)
      if (cutNote !== null) {
        if (s.heading !== null) omitted.push(s.heading)
        continue
      }
      const bodyLen = lines.reduce((a, l) => a + l.length + 1, 0)
      if (size + headLen + bodyLen + 1 <= maxChars - 200) {
        parts.push(...head, ...lines, "")
        size += headLen + bodyLen + 1
        continue
      }
      // Cut this section at a line boundary.
      const kept: string[] = []
      let used = size + headLen
      for (const l of lines) {
        if (used + l.length + 1 > maxChars - 300) break
        kept.push(l)
        used += l.length + 1
      }
      if (kept.length > 0) {
        parts.push(...head, ...kept, "")
        size = used + 1
      } else if (s.heading !== null) omitted.push(s.heading)
      cutNote = `${lines.length - kept.length} of ${lines.length} lines of ${s.heading === null ? "the summary" : `"${s.heading}"`}`
    }
    if (cutNote !== null) {
      let note = `[Document capped at ${fcount(maxChars)} characters: omitted ${cutNote}`
      if (omitted.length > 0) note += `, and the sections ${omitted.map((o) => `"${o}"`).join(", ")}`
      parts.push(`${note}.]`)
    }
    while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop()
    return `${parts.join("\n")}\n`
  }
}

function trimBlank(lines: readonly string[]): string[] {
  let a = 0
  let b = lines.length
  while (a < b && lines[a] === "") a++
  while (b > a && lines[b - 1] === "") b--
  const out: string[] = []
  for (let i = a; i < b; i++) if (!(lines[i] === "" && out[out.length - 1] === "")) out.push(lines[i]!)
  return out
}

// ---------------------------------------------------------------------------------------------------
// Numeric tables (thermo output and the like)

/** Per-column running summaries plus a sample of whole rows, for tables of any length. */
export class ColumnTable {
  readonly columns: readonly string[]
  readonly series: Series[]
  readonly rows = new RowSampler<number[]>(48)
  constructor(columns: readonly string[], cap = 48) {
    this.columns = columns
    this.series = columns.map(() => new Series(cap))
  }
  push(row: readonly number[]): void {
    const n = Math.min(row.length, this.series.length)
    for (let i = 0; i < n; i++) this.series[i]!.push(row[i]!)
    this.rows.push(row.slice(0, this.columns.length))
  }
  get count(): number {
    return this.rows.count
  }
  /** Markdown rows "column | first | last | min | max | mean | std". */
  statRows(units?: ReadonlyMap<string, string>, sig = 6): string[][] {
    return this.columns.map((c, i) => {
      const s = this.series[i]!
      const u = units?.get(c)
      return [u === undefined ? c : `${c} (${u})`, fmt(s.count ? s.first : null, sig), fmt(s.count ? s.last : null, sig), fmt(s.count ? s.min : null, sig), fmt(s.count ? s.max : null, sig), fmt(s.count ? s.mean : null, sig), fmt(s.count ? s.std : null, 3)]
    })
  }
  /** Up to `k` sampled rows, formatted. */
  sampleRows(k: number, sig = 6): string[][] {
    return this.rows.pick(k).map(({ row }) => row.map((v) => fmt(v, sig)))
  }
  metadata(): Record<string, unknown> {
    const cols: Record<string, SeriesSummary> = {}
    this.columns.forEach((c, i) => {
      let key = c
      let n = 2
      while (key in cols) key = `${c}_${n++}`
      cols[key] = this.series[i]!.summary()
    })
    return { rows: this.count, columns: cols }
  }
}

export const STAT_HEADERS = ["column", "first", "last", "min", "max", "mean", "std"] as const
