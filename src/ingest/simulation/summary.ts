/**
 * Numeric summaries shared by the table (CSV/TSV) and array (NetCDF/HDF5) readers: streaming
 * count/min/max/mean/std over chunks of values with missing-value skipping, evenly spaced sample
 * values, and compact number formatting for the rendered documents.
 *
 * Everything here works chunk by chunk, so a caller can summarise a variable of any size while holding
 * only one slice of it in memory. Chunks are merged with Chan et al.'s pairwise update, which keeps the
 * variance accurate where a running sum of squares would cancel (e.g. values near 1e9 that differ by 1).
 */

/** How raw stored values are screened and converted before they are summarised. */
export interface ValueRules {
  /** Raw values equal to any of these are missing (NetCDF `_FillValue`, `missing_value`). */
  readonly fill?: readonly number[]
  /** Raw values outside [validMin, validMax] are missing (CF `valid_range` / `valid_min` / `valid_max`). */
  readonly validMin?: number
  readonly validMax?: number
  /** Packed data: value = raw * scale + offset, applied after the missing-value checks. */
  readonly scale?: number
  readonly offset?: number
}

/** Summary statistics of the valid values; min/max/mean/std are null when there is none. */
export interface NumericStats {
  /** Valid (finite, non-fill, in range) values. */
  readonly count: number
  /** Values seen but skipped: fill, out of the valid range, NaN or infinite. */
  readonly missing: number
  readonly min: number | null
  readonly max: number | null
  readonly mean: number | null
  /** Population standard deviation. */
  readonly std: number | null
}

export interface Accumulator {
  count: number
  missing: number
  min: number
  max: number
  mean: number
  /** Sum of squared deviations from the mean. */
  m2: number
  /** Raw positions (over all values ever offered) whose value to keep as a sample, ascending. */
  readonly samplePositions: readonly number[]
  /** Converted value at each sample position reached so far; null for a missing value. */
  readonly samples: (number | null)[]
  /** Values offered so far (valid or not): the position of the next value. */
  seen: number
}

/** A fresh accumulator; `samplePositions` (ascending raw positions) are kept as sample values. */
export function createAccumulator(samplePositions: readonly number[] = []): Accumulator {
  return { count: 0, missing: 0, min: Infinity, max: -Infinity, mean: 0, m2: 0, samplePositions, samples: [], seen: 0 }
}

/** `k` positions spread evenly over `0 .. n-1`, first and last included, ascending and distinct. */
export function evenlySpacedIndices(n: number, k: number): number[] {
  if (n <= 0 || k <= 0) return []
  if (k >= n) return Array.from({ length: n }, (_, i) => i)
  if (k === 1) return [0]
  const out: number[] = []
  for (let i = 0; i < k; i++) {
    const p = Math.round((i * (n - 1)) / (k - 1))
    if (out.length === 0 || out[out.length - 1]! !== p) out.push(p)
  }
  return out
}

/**
 * The CF conventions' value rules of a variable from its attributes (read by `attr`, in stored
 * units): fill values (with their float32 rounding when `float32`), valid_range or valid_min/max, and
 * the packing scale_factor/add_offset. `conv` maps stored attribute numbers (e.g. signed to
 * `_Unsigned`); `fills` are the fill values already collected.
 */
export function cfValueRules(
  attr: (name: string) => number[] | null,
  conv: (x: number) => number,
  collected: ReadonlyArray<number>,
  float32: boolean
): ValueRules {
  const fills = [...collected]
  if (float32) for (const f of collected) if (Math.fround(f) !== f) fills.push(Math.fround(f))
  const range = attr("valid_range")
  const vmin = range !== null && range.length >= 2 ? conv(range[0]!) : attr("valid_min")?.[0]
  const vmax = range !== null && range.length >= 2 ? conv(range[1]!) : attr("valid_max")?.[0]
  const scale = attr("scale_factor")?.[0]
  const offset = attr("add_offset")?.[0]
  return {
    ...(fills.length > 0 ? { fill: fills } : {}),
    ...(vmin !== undefined ? { validMin: vmin } : {}),
    ...(vmax !== undefined ? { validMax: vmax } : {}),
    ...(scale !== undefined ? { scale } : {}),
    ...(offset !== undefined ? { offset } : {})
  }
}

const isMissingRaw = (v: number, rules: ValueRules | undefined): boolean => {
  if (!Number.isFinite(v)) return true
  if (rules === undefined) return false
  if (rules.fill !== undefined) {
    for (const f of rules.fill) if (v === f) return true
  }
  if (rules.validMin !== undefined && v < rules.validMin) return true
  if (rules.validMax !== undefined && v > rules.validMax) return true
  return false
}

let scratch = new Float64Array(0)

/**
 * The chunk as a Float64Array: typed arrays are converted natively (`set`), so the loops below see
 * one element type whatever the stored type was (a polymorphic loop is several times slower).
 */
function asFloat64(values: ArrayLike<number>, start: number, end: number): Float64Array {
  if (values instanceof Float64Array) return values.subarray(start, end)
  const n = end - start
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 1024))
  const out = scratch.subarray(0, n)
  if (ArrayBuffer.isView(values)) out.set((values as unknown as Float32Array).subarray(start, end))
  else for (let i = 0; i < n; i++) out[i] = values[start + i]!
  return out
}

/**
 * Add `values[start .. end)` to the accumulator. Values may be any numeric array-like (typed arrays,
 * plain arrays); bigint arrays should be converted by the caller (see `toNumberArray`).
 */
export function accumulate(
  acc: Accumulator,
  values: ArrayLike<number>,
  rules?: ValueRules,
  start = 0,
  end = values.length
): void {
  const v = asFloat64(values, start, end)
  const n0 = v.length
  const scale = rules?.scale ?? 1
  const offset = rules?.offset ?? 0
  const fills = rules?.fill ?? []
  const f0 = fills[0] ?? NaN
  const f1 = fills[1] ?? NaN
  const moreFills = fills.length > 2 ? fills.slice(2) : null
  const lo = rules?.validMin ?? -Infinity
  const hi = rules?.validMax ?? Infinity
  // Pass 1: count, sum, min, max of the valid values (x !== x is NaN; ±Infinity fall outside lo..hi
  // only when bounds are set, so they are tested explicitly).
  let n = 0
  let sum = 0
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < n0; i++) {
    const raw = v[i]!
    if (raw !== raw || raw === Infinity || raw === -Infinity || raw === f0 || raw === f1 || raw < lo || raw > hi) continue
    if (moreFills !== null && moreFills.includes(raw)) continue
    const x = raw * scale + offset
    n++
    sum += x
    if (x < min) min = x
    if (x > max) max = x
  }
  const missing = n0 - n
  // Sample values at the requested raw positions that fall inside this chunk.
  while (acc.samples.length < acc.samplePositions.length) {
    const i = acc.samplePositions[acc.samples.length]! - acc.seen
    if (i >= n0) break
    if (i < 0) {
      acc.samples.push(null)
      continue
    }
    const raw = v[i]!
    acc.samples.push(isMissingRaw(raw, rules) ? null : raw * scale + offset)
  }
  acc.seen += n0
  acc.missing += missing
  if (n === 0) return
  // Pass 2: squared deviations from the chunk mean, then merge (Chan et al.).
  const mean = sum / n
  let m2 = 0
  for (let i = 0; i < n0; i++) {
    const raw = v[i]!
    if (raw !== raw || raw === Infinity || raw === -Infinity || raw === f0 || raw === f1 || raw < lo || raw > hi) continue
    if (moreFills !== null && moreFills.includes(raw)) continue
    const d = raw * scale + offset - mean
    m2 += d * d
  }
  mergeInto(acc, n, mean, m2, min, max)
}

/** Add one value (already converted); for row-by-row callers such as the table reader. */
export function accumulateOne(acc: Accumulator, v: number): void {
  if (!Number.isFinite(v)) {
    acc.missing++
    return
  }
  acc.count++
  const d = v - acc.mean
  acc.mean += d / acc.count
  acc.m2 += d * (v - acc.mean)
  if (v < acc.min) acc.min = v
  if (v > acc.max) acc.max = v
}

function mergeInto(acc: Accumulator, n: number, mean: number, m2: number, min: number, max: number): void {
  const total = acc.count + n
  const delta = mean - acc.mean
  acc.mean += (delta * n) / total
  acc.m2 += m2 + (delta * delta * acc.count * n) / total
  acc.count = total
  if (min < acc.min) acc.min = min
  if (max > acc.max) acc.max = max
}

export function finishStats(acc: Accumulator): NumericStats {
  if (acc.count === 0) return { count: 0, missing: acc.missing, min: null, max: null, mean: null, std: null }
  return {
    count: acc.count,
    missing: acc.missing,
    min: acc.min,
    max: acc.max,
    mean: acc.mean,
    std: Math.sqrt(Math.max(0, acc.m2 / acc.count))
  }
}

/** Numbers from any numeric typed array, bigint arrays included (exact below 2^53). */
export function toNumberArray(values: ArrayLike<number> | BigInt64Array | BigUint64Array): ArrayLike<number> {
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    const out = new Float64Array(values.length)
    for (let i = 0; i < values.length; i++) out[i] = Number(values[i]!)
    return out
  }
  return values
}

/**
 * A number in few characters: integers as they are (below 1e15), others with `digits` significant
 * digits, trailing zeros dropped, exponent form for very small or very large magnitudes ("1.5e-7").
 */
export function formatNumber(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined) return "n/a"
  if (Number.isNaN(x)) return "NaN"
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf"
  if (x === 0) return "0"
  const ax = Math.abs(x)
  if (Number.isInteger(x) && ax < 1e15) return String(x)
  if (ax >= 1e-4 && ax < 1e9) {
    const s = x.toPrecision(digits)
    if (s.includes("e")) return compactExponent(x.toExponential(digits - 1))
    return s.includes(".") ? s.replace(/\.?0+$/, "") : s
  }
  return compactExponent(x.toExponential(digits - 1))
}

const compactExponent = (s: string): string => {
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(s)
  if (m === null) return s
  const mant = m[1]!.includes(".") ? m[1]!.replace(/\.?0+$/, "") : m[1]!
  return `${mant}e${m[2] === "-" ? "-" : ""}${m[3]}`
}

/** "min 1, max 5, mean 3, std 1.414" (or "no valid values"). */
export function formatStats(s: NumericStats, digits = 4): string {
  if (s.count === 0 || s.min === null) return "no valid values"
  return `min ${formatNumber(s.min, Math.max(digits, 6))}, max ${formatNumber(s.max, Math.max(digits, 6))}, mean ${formatNumber(s.mean, digits)}, std ${formatNumber(s.std, digits)}`
}

/** JSON-safe stats (finite numbers rounded to 8 significant digits, nulls kept). */
export function statsForMetadata(s: NumericStats): Record<string, number | null> {
  const r = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : Number(x.toPrecision(8)))
  return { count: s.count, missing: s.missing, min: r(s.min), max: r(s.max), mean: r(s.mean), std: r(s.std) }
}

/** Group digits of a count for prose ("2,920,000"). */
export const formatCount = (n: number): string => n.toLocaleString("en-US")

/** One clip for every reader (it redacts secrets before cutting): see render.ts. */
import { clip } from "./clip.ts"
export { clip }

// ---------------------------------------------------------------------------------------------------
// Array files (NetCDF, HDF5): one model filled by both readers, one renderer.

/** One variable / dataset as the document describes it. */
export interface ArrayVariable {
  /** Full path ("/group/var"); for flat files the name. */
  readonly path: string
  readonly name: string
  /** Dimension names, one per axis, when the file names them. */
  readonly dims: readonly string[] | null
  readonly shape: readonly number[]
  /** Human-readable storage type ("float32", "int16 (unsigned)", "compound {…}", "string"). */
  readonly dtype: string
  /** Attributes worth showing (internal bookkeeping attributes removed), values already rendered. */
  readonly attributes: readonly (readonly [string, string])[]
  readonly units: string | null
  readonly longName: string | null
  readonly standardName: string | null
  /** "coordinate": a dimension's own values; "data": everything else. */
  readonly role: "coordinate" | "data"
  /** Storage layout ("chunked 300×250, deflate level 1"). */
  readonly layout?: string
  readonly stats?: NumericStats
  /** How the statistics were computed (unpacking, fill values skipped, sampling). */
  readonly statsNote?: string
  /** A few values spread over the variable, rendered. */
  readonly samples?: readonly string[]
  /** All values of a small variable, or first/last strings, rendered. */
  readonly values?: string
  /** Per-member summaries of compound (table-like) datasets. */
  readonly members?: readonly { readonly name: string; readonly dtype: string; readonly summary: string; readonly stats?: NumericStats }[]
  /** Why the data could not be read (the rest of the description stands). */
  readonly error?: string
}

export interface ArrayDimension {
  readonly name: string
  readonly size: number
  readonly unlimited: boolean
}

export interface ArrayFileModel {
  readonly program: string
  readonly format: string
  /** One sentence on the container ("netCDF-4 file (HDF5 storage), netCDF library 4.6.1"). */
  readonly description: string
  readonly title: string | null
  /** Heading when the file has no title (defaults to "<program> data file"). */
  readonly heading?: string
  readonly globalAttributes: readonly (readonly [string, string])[]
  readonly dimensions: readonly ArrayDimension[]
  /** Group tree lines ("/entry [NXentry]"), empty for flat files. */
  readonly groups: readonly string[]
  readonly variables: readonly ArrayVariable[]
  readonly notes: readonly string[]
  /** "Variables" (NetCDF) or "Datasets" (HDF5). */
  readonly variableHeading?: string
  readonly extraMetadata?: Record<string, unknown>
}

/** The rendered document of one array file: a few KB to tens of KB whatever the file size. */
export function renderArrayDocument(model: ArrayFileModel, maxChars = 24_000): {
  program: string
  format: string
  title: string | null
  text: string
  metadata: Record<string, unknown>
} {
  const out: string[] = []
  out.push(`# ${model.title ?? model.heading ?? `${model.program} data file`}`)
  out.push("")
  out.push(model.description)
  for (const n of model.notes) out.push(n)
  if (model.globalAttributes.length > 0) {
    out.push("")
    out.push("## Global attributes")
    out.push("")
    for (const [k, v] of model.globalAttributes) out.push(`- ${k}: ${v}`)
  }
  if (model.dimensions.length > 0) {
    out.push("")
    out.push("## Dimensions")
    out.push("")
    for (const d of model.dimensions) out.push(`- ${d.name} = ${d.size}${d.unlimited ? " (unlimited)" : ""}`)
  }
  if (model.groups.length > 0) {
    out.push("")
    out.push("## Groups")
    out.push("")
    for (const g of model.groups) out.push(g)
  }
  const head = out.join("\n")
  const parts: string[] = [head]
  let used = head.length
  const vars = model.variables
  let shown = 0
  if (vars.length > 0) {
    const h = `\n\n## ${model.variableHeading ?? "Variables"} (${vars.length})\n`
    parts.push(h)
    used += h.length
  }
  for (const v of vars) {
    const block = renderVariable(v)
    if (used + block.length + 1 > maxChars && shown > 0) break
    parts.push("\n" + block)
    used += block.length + 1
    shown++
  }
  if (shown < vars.length) {
    const rest = vars.slice(shown)
    let line = `\n\n${rest.length} further variables, listed without detail: `
    const names: string[] = []
    for (const v of rest) {
      const s = `${v.path} ${shapeLabel(v)}`
      if (used + line.length + names.join("; ").length + s.length > maxChars + 2000) {
        names.push("…")
        break
      }
      names.push(s)
    }
    line += names.join("; ") + "."
    parts.push(line)
  }
  let text = parts.join("") + "\n"
  if (text.length > maxChars + 2100) text = text.slice(0, maxChars + 2000) + "\n…\n"
  const units: Record<string, string> = {}
  for (const v of vars) if (v.units !== null && v.units !== "") units[v.path] = v.units
  const metadata: Record<string, unknown> = {
    program: model.program,
    format: model.format,
    ...(model.title !== null ? { title: model.title } : {}),
    globalAttributes: Object.fromEntries(model.globalAttributes.map(([k, v]) => [k, clip(v, 500)])),
    dimensions: Object.fromEntries(model.dimensions.map((d) => [d.name, d.size])),
    ...(model.dimensions.some((d) => d.unlimited) ? { unlimitedDimensions: model.dimensions.filter((d) => d.unlimited).map((d) => d.name) } : {}),
    ...(model.groups.length > 0 ? { groups: model.groups.map((g) => g.trim()) } : {}),
    variables: vars.map((v) => ({
      path: v.path,
      ...(v.dims !== null ? { dims: v.dims } : {}),
      shape: v.shape,
      dtype: v.dtype,
      role: v.role,
      ...(v.units !== null ? { units: v.units } : {}),
      ...(v.longName !== null ? { long_name: v.longName } : {}),
      ...(v.standardName !== null ? { standard_name: v.standardName } : {}),
      ...(v.stats !== undefined ? { stats: statsForMetadata(v.stats) } : {}),
      ...(v.members !== undefined
        ? { members: v.members.map((m) => ({ name: m.name, dtype: m.dtype, ...(m.stats !== undefined ? { stats: statsForMetadata(m.stats) } : {}) })) }
        : {}),
      ...(v.error !== undefined ? { error: v.error } : {})
    })),
    quantities: vars.filter((v) => v.role === "data").map((v) => v.path),
    units,
    ...(model.extraMetadata ?? {})
  }
  return { program: model.program, format: model.format, title: model.title, text, metadata }
}

const shapeLabel = (v: ArrayVariable): string => {
  if (v.shape.length === 0) return "(scalar)"
  if (v.dims !== null && v.dims.length === v.shape.length) return `(${v.dims.map((d, i) => `${d}=${v.shape[i]}`).join(", ")})`
  return `(${v.shape.join(" × ")})`
}

function renderVariable(v: ArrayVariable): string {
  const lines: string[] = []
  const label = v.longName !== null && v.longName !== v.name ? `${v.path} — ${v.longName}` : v.path
  lines.push(`### ${label}${v.role === "coordinate" ? " (coordinate)" : ""}`)
  const total = v.shape.reduce((a, b) => a * b, 1)
  lines.push(`- shape ${shapeLabel(v)}${v.shape.length > 1 ? `, ${formatCount(total)} values` : ""}; type ${v.dtype}`)
  const named: string[] = []
  if (v.units !== null && v.units !== "") named.push(`units: ${v.units}`)
  if (v.standardName !== null) named.push(`standard_name: ${v.standardName}`)
  if (named.length > 0) lines.push(`- ${named.join("; ")}`)
  if (v.attributes.length > 0) lines.push(`- attributes: ${v.attributes.map(([k, val]) => (k === "…" ? `… ${val}` : `${k} = ${val}`)).join("; ")}`)
  if (v.layout !== undefined) lines.push(`- storage: ${v.layout}`)
  if (v.values !== undefined) lines.push(`- values: ${v.values}`)
  const noData = v.stats !== undefined && v.stats.count === 0
  if (v.stats !== undefined && v.values === undefined) {
    const s = v.stats
    if (noData) {
      const why = v.statsNote?.startsWith("skipped as missing: ") === true ? ` (${v.statsNote.slice("skipped as missing: ".length)})` : ""
      lines.push(`- no valid data: all ${formatCount(s.missing)} values read are fill or missing values${why}`)
    }
    else {
      const missing = s.missing > 0 ? ` (${formatCount(s.missing)} missing or fill values skipped)` : ""
      lines.push(`- statistics over ${formatCount(s.count)} valid values${missing}: ${formatStats(s)}`)
    }
  }
  if (v.statsNote !== undefined && !(noData && v.statsNote.startsWith("skipped as missing: "))) lines.push(`- ${v.statsNote}`)
  if (v.samples !== undefined && v.samples.length > 0 && v.values === undefined && !noData) lines.push(`- sample values (evenly spaced): ${v.samples.join(", ")}`)
  if (v.members !== undefined) {
    lines.push(`- fields:`)
    for (const m of v.members) lines.push(`  - ${m.name} (${m.dtype}): ${m.summary}`)
  }
  if (v.error !== undefined) lines.push(`- data not summarised: ${v.error}`)
  return lines.join("\n")
}

/** "1 variable", "2 variables". */
export const plural = (n: number, word: string, many = `${word}s`): string => `${formatCount(n)} ${n === 1 ? word : many}`
