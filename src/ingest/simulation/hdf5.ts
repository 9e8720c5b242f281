/**
 * HDF5 files (and what is stored in them: netCDF-4, NeXus) as training documents, through h5wasm.
 *
 * h5wasm's Node build reads the host file system directly (Emscripten NODERAWFS), so opening a file
 * does not load it into memory. Every dataset is read in hyperslabs of at most `sliceElements`
 * elements (default 1 Mi) and summarised chunk by chunk (see summary.ts), so memory stays bounded
 * for datasets of any size; past `bytesLimit` bytes of data per file, statistics come from evenly
 * spaced slices and say so.
 *
 * What the document holds: the container (plain HDF5, netCDF-4 with its library versions, NeXus),
 * global attributes, dimensions (netCDF-4 dimension scales, h5py scales, or a `dimensions` attribute),
 * the group tree (with NeXus classes), and per dataset its shape, type, units, names, other attributes,
 * storage layout and statistics, with CF packing (`scale_factor`/`add_offset`, `_Unsigned`) and
 * missing values (`_FillValue`, `missing_value`, `valid_range`) applied and stated.
 */
import path from "node:path"
import type { Attribute, Dataset, File, Group, Metadata } from "h5wasm/node"
import {
  accumulate,
  type Accumulator,
  type ArrayDimension,
  type ArrayFileModel,
  type ArrayVariable,
  clip,
  createAccumulator,
  evenlySpacedIndices,
  finishStats,
  formatCount,
  formatNumber,
  type NumericStats,
  plural,
  renderArrayDocument,
  toNumberArray,
  cfValueRules,
  type ValueRules
} from "./summary.ts"
import type { SimulationDocument } from "./types.ts"

export interface ArrayReadOptions {
  /** Bytes of array data read for statistics per file (default 1 GiB); larger files are sampled. */
  readonly bytesLimit?: number
  /** Elements per hyperslab read (default 1 Mi). */
  readonly sliceElements?: number
  /** Cap on the rendered text (default 24,000 characters). */
  readonly maxDocChars?: number
  /** Treat the file as netCDF-4 even without netCDF markers (used when the caller knows it is `.nc`). */
  readonly assumeNetcdf?: boolean
}

export const DEFAULT_BYTES_LIMIT = 1 << 30
export const DEFAULT_SLICE_ELEMENTS = 1 << 20
const MAX_OBJECTS = 5000
const MAX_DEPTH = 32
const MAX_GLOBAL_ATTRS = 80
const MAX_VAR_ATTRS = 16
const SAMPLE_COUNT = 6
const SMALL_ARRAY = 12
const COMPOUND_BLOCK = 1 << 16

/**
 * h5wasm, loaded on first use: compiling its WASM costs ~0.2 s of CPU, which every process that imports
 * the reader registry (the CLI, every task) would otherwise pay whether or not it ever meets an HDF5 file.
 */
let h5: typeof import("h5wasm/node")
let initialised: Promise<void> | null = null
/** Load the WASM module once and make HDF5 errors throw instead of printing to stderr. */
async function init(): Promise<void> {
  initialised ??= import("h5wasm/node").then(async (module) => {
    h5 = module
    const m = await module.ready
    m.activate_throwing_error_handler()
  })
  await initialised
}

/** A one-line message from an HDF5 error stack ("Not an HDF5 file (H5F__super_read: file signature not found)"). */
export function hdf5ErrorMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e)
  if (!msg.includes("HDF5-DIAG")) return clip(msg, 300)
  const minors = [...msg.matchAll(/minor:\s*(.+)/g)].map((m) => m[1]!.trim())
  const frames = [...msg.matchAll(/in ([A-Za-z0-9_]+)\(\):\s*(.+)/g)].map((m) => `${m[1]}: ${m[2]!.trim()}`)
  const last = frames[frames.length - 1]
  return clip(`${minors[minors.length - 1] ?? "HDF5 error"}${last !== undefined ? ` (${last})` : ""}`, 300)
}

// ---------------------------------------------------------------------------------------------------
// Attributes

interface AttrValue {
  readonly name: string
  /** Rendered for the document; null for values not worth showing (references). */
  readonly text: string | null
  /** Numeric values, when numeric. */
  readonly numbers: number[] | null
  /** String values, when strings. */
  readonly strings: string[] | null
}

const NETCDF_INTERNAL = new Set([
  "DIMENSION_LIST",
  "REFERENCE_LIST",
  "_Netcdf4Dimid",
  "_Netcdf4Coordinates",
  "_NCProperties",
  "_NCPROPERTIES",
  "_nc3_strict",
  "_SuperblockVersion",
  "_IsNetcdf4",
  "_Netcdf4_dimid"
])

const trimNul = (s: string): string => s.replace(/\0+$/, "")

function readAttr(attr: Attribute): AttrValue {
  const name = attr.name
  let value: unknown
  try {
    value = attr.value
  } catch (e) {
    return { name, text: `(unreadable: ${hdf5ErrorMessage(e)})`, numbers: null, strings: null }
  }
  return describeValue(name, value)
}

function describeValue(name: string, value: unknown): AttrValue {
  if (typeof value === "string") {
    const s = trimNul(value)
    return { name, text: s, numbers: null, strings: [s] }
  }
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    const n = Number(value)
    return { name, text: formatNumber(n, 7), numbers: [n], strings: null }
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const nums = Array.from(toNumberArray(value as unknown as ArrayLike<number>), Number)
    return { name, text: renderNumberList(nums), numbers: nums, strings: null }
  }
  if (Array.isArray(value)) {
    const flat = value.flat(8) as unknown[]
    if (flat.length > 0 && flat.every((x) => typeof x === "string")) {
      const strs = (flat as string[]).map(trimNul)
      return { name, text: strs.length === 1 ? strs[0]! : strs.map((s) => JSON.stringify(clip(s, 80))).slice(0, 12).join(", ") + (strs.length > 12 ? ", …" : ""), numbers: null, strings: strs }
    }
    if (flat.length > 0 && flat.every((x) => typeof x === "number" || typeof x === "bigint" || typeof x === "boolean")) {
      const nums = flat.map(Number)
      return { name, text: renderNumberList(nums), numbers: nums, strings: null }
    }
    if (flat.length === 0) return { name, text: "(empty)", numbers: null, strings: null }
  }
  // References, compound attributes and other structures carry nothing readable.
  return { name, text: null, numbers: null, strings: null }
}

function renderNumberList(nums: readonly number[]): string {
  if (nums.length === 0) return "(empty)"
  if (nums.length === 1) return formatNumber(nums[0]!, 7)
  const shown = nums.slice(0, 10).map((n) => formatNumber(n, 7))
  return `[${shown.join(", ")}${nums.length > 10 ? `, … (${nums.length} values)` : ""}]`
}

function readAttrs(obj: Group | Dataset): Map<string, AttrValue> {
  const out = new Map<string, AttrValue>()
  let attrs: Record<string, Attribute>
  try {
    attrs = obj.attrs
  } catch {
    return out
  }
  let n = 0
  for (const [k, a] of Object.entries(attrs)) {
    if (n++ >= 400) break
    out.set(k, k === "DIMENSION_LIST" || k === "REFERENCE_LIST" ? { name: k, text: null, numbers: null, strings: null } : readAttr(a))
  }
  return out
}

/** First attribute present among `names`, matched case-insensitively. */
function attrText(attrs: Map<string, AttrValue>, ...names: string[]): string | null {
  for (const n of names) {
    const a = attrs.get(n)
    if (a?.text !== null && a?.text !== undefined && a.text !== "") return a.text
  }
  const lower = names.map((n) => n.toLowerCase())
  for (const [k, a] of attrs) if (lower.includes(k.toLowerCase()) && a.text !== null && a.text !== "") return a.text
  return null
}

const attrNumbers = (attrs: Map<string, AttrValue>, name: string): number[] | null => {
  const a = attrs.get(name)
  return a?.numbers !== null && a?.numbers !== undefined && a.numbers.length > 0 ? a.numbers : null
}

// ---------------------------------------------------------------------------------------------------
// Types

function dtypeLabel(m: Metadata): string {
  switch (m.type) {
    case 0:
      return `${m.signed ? "int" : "uint"}${m.size * 8}`
    case 1:
      return `float${m.size * 8}`
    case 2:
      return "time"
    case 3:
      return m.vlen ? "string (variable length)" : m.size === 1 ? "char" : `string (${m.size} bytes)`
    case 4:
      return `bitfield${m.size * 8}`
    case 5:
      return `opaque (${m.size} bytes)`
    case 6: {
      const members = m.compound_type?.members ?? []
      const shown = members.slice(0, 12).map((x) => `${x.name}: ${dtypeLabel(x)}`)
      return `compound {${shown.join(", ")}${members.length > 12 ? `, … ${members.length - 12} more` : ""}}`
    }
    case 7:
      return "reference"
    case 8: {
      const members = Object.entries(m.enum_type?.members ?? {}).slice(0, 12)
      return `enum {${members.map(([k, v]) => `${k}=${v}`).join(", ")}}`
    }
    case 9:
      return `variable-length sequence of ${m.vlen_type !== undefined ? dtypeLabel(m.vlen_type) : "?"}`
    case 10:
      return `array ${m.array_type !== undefined ? `of ${dtypeLabel(m.array_type)}` : ""}${m.array_type?.shape ? ` [${m.array_type.shape.join("×")}]` : ""}`
    default:
      return `type class ${m.type}`
  }
}

const isNumericType = (m: Metadata): boolean => m.type === 0 || m.type === 1 || m.type === 8 || m.type === 4

/** netCDF's default fill values, which mark unwritten data when a variable has no `_FillValue`. */
function netcdfDefaultFill(m: Metadata): number | null {
  if (m.type === 1) return m.size === 4 ? Math.fround(9.969209968386869e36) : 9.969209968386869e36
  if (m.type !== 0) return null
  if (m.size === 1) return null // netCDF does not treat the byte default fill as missing
  if (m.signed) return m.size === 2 ? -32767 : m.size === 4 ? -2147483647 : -9223372036854775806
  return m.size === 2 ? 65535 : m.size === 4 ? 4294967295 : 18446744073709551614
}

function unsignedView(a: ArrayLike<number>): ArrayLike<number> {
  if (a instanceof Int8Array) return new Uint8Array(a.buffer, a.byteOffset, a.length)
  if (a instanceof Int16Array) return new Uint16Array(a.buffer, a.byteOffset, a.length)
  if (a instanceof Int32Array) return new Uint32Array(a.buffer, a.byteOffset, a.length)
  return a
}

const asUnsigned = (v: number, bits: number): number => (v < 0 ? v + 2 ** bits : v)

// ---------------------------------------------------------------------------------------------------
// Walking the file

interface RawDataset {
  readonly path: string
  readonly name: string
  readonly ds: Dataset
  readonly meta: Metadata
  readonly attrs: Map<string, AttrValue>
}

interface RawGroup {
  readonly path: string
  readonly depth: number
  readonly attrs: Map<string, AttrValue>
  readonly nxClass: string | null
}

interface Walk {
  readonly root: Map<string, AttrValue>
  readonly groups: RawGroup[]
  readonly datasets: RawDataset[]
  readonly links: string[]
  truncated: boolean
}

function walkFile(file: File): Walk {
  const walk: Walk = { root: readAttrs(file), groups: [], datasets: [], links: [], truncated: false }
  let objects = 0
  const visit = (g: Group, gpath: string, depth: number): void => {
    let keys: string[]
    try {
      keys = g.keys()
    } catch (e) {
      walk.links.push(`${gpath}: group not readable (${hdf5ErrorMessage(e)})`)
      return
    }
    for (const name of keys) {
      if (objects++ >= MAX_OBJECTS) {
        walk.truncated = true
        return
      }
      const p = gpath === "/" ? `/${name}` : `${gpath}/${name}`
      let e: unknown
      try {
        e = g.get(name)
      } catch (err) {
        walk.links.push(`${p}: not readable (${hdf5ErrorMessage(err)})`)
        continue
      }
      if (e instanceof h5.Group) {
        const attrs = readAttrs(e)
        const nx = attrs.get("NX_class")?.strings?.[0] ?? null
        walk.groups.push({ path: p, depth, attrs, nxClass: nx })
        if (depth < MAX_DEPTH) visit(e, p, depth + 1)
      } else if (e instanceof h5.Dataset) {
        let meta: Metadata
        try {
          meta = e.metadata
        } catch (err) {
          walk.links.push(`${p}: dataset not readable (${hdf5ErrorMessage(err)})`)
          continue
        }
        walk.datasets.push({ path: p, name, ds: e, meta, attrs: readAttrs(e) })
      } else if (e instanceof h5.ExternalLink) {
        walk.links.push(`${p} → external link to ${e.filename}:${e.obj_path} (not followed)`)
      } else if (e instanceof h5.BrokenSoftLink) {
        walk.links.push(`${p} → broken soft link to ${e.target}`)
      }
    }
  }
  visit(file, "/", 0)
  return walk
}

const NETCDF_DIM_ONLY = "This is a netCDF dimension but not a netCDF variable"

function isNetcdf4(walk: Walk): boolean {
  if (walk.root.has("_NCProperties") || walk.root.has("_nc3_strict")) return true
  for (const d of walk.datasets) {
    if (d.attrs.has("_Netcdf4Dimid") || d.attrs.has("_Netcdf4Coordinates")) return true
    if (d.attrs.get("NAME")?.strings?.[0]?.startsWith(NETCDF_DIM_ONLY)) return true
  }
  return false
}

const isNexus = (walk: Walk): boolean => walk.groups.some((g) => g.nxClass !== null) || walk.root.has("NeXus_version")

const isDimensionScale = (d: RawDataset): boolean => d.attrs.get("CLASS")?.strings?.[0] === "DIMENSION_SCALE"

const unlimitedAxis = (d: RawDataset, axis: number): boolean => {
  const ms = d.meta.maxshape
  if (ms === null) return false
  const v = ms[axis] as number | null | undefined
  return v === null || v === undefined || v < 0 || v >= 2 ** 53 || (v > (d.meta.shape?.[axis] ?? 0) && v >= 2 ** 31)
}

function dimensionNames(d: RawDataset): string[] | null {
  const shape = d.meta.shape ?? []
  if (shape.length === 0) return null
  if (d.attrs.has("DIMENSION_LIST")) {
    const names: string[] = []
    for (let i = 0; i < shape.length; i++) {
      try {
        const scales = d.ds.get_attached_scales(i)
        names.push(scales.length > 0 ? path.posix.basename(scales[0]!) : `dim${i}`)
      } catch {
        names.push(`dim${i}`)
      }
    }
    return names
  }
  if (isDimensionScale(d) && shape.length === 1) return [d.name]
  const attr = d.attrs.get("dimensions")?.strings
  if (attr !== null && attr !== undefined && attr.length === shape.length) return attr
  return null
}

// ---------------------------------------------------------------------------------------------------
// Reading data in slices

type Range = [number, number]

interface SlicePlan {
  readonly blocks: number
  readonly elementsPerBlock: number
  block(b: number): { ranges: Range[]; count: number }
}

/** Hyperslabs of at most `limit` elements covering `shape` in row-major order. */
export function planSlices(shape: readonly number[], limit: number): SlicePlan {
  const rank = shape.length
  let k = 0
  let inner = shape.reduce((a, b) => a * b, 1)
  while (k < rank && inner > limit) {
    inner /= shape[k]!
    k++
  }
  if (k === 0) {
    return { blocks: 1, elementsPerBlock: inner, block: () => ({ ranges: shape.map((s) => [0, s] as Range), count: inner }) }
  }
  const axis = k - 1
  const per = Math.max(1, Math.floor(limit / Math.max(1, inner)))
  const perOuter = Math.ceil(shape[axis]! / per)
  let outer = 1
  for (let i = 0; i < axis; i++) outer *= shape[i]!
  return {
    blocks: outer * perOuter,
    elementsPerBlock: per * inner,
    block(b: number) {
      let o = Math.floor(b / perOuter)
      const j = b % perOuter
      const ranges: Range[] = new Array(rank)
      for (let i = axis - 1; i >= 0; i--) {
        const idx = o % shape[i]!
        o = Math.floor(o / shape[i]!)
        ranges[i] = [idx, idx + 1]
      }
      const start = j * per
      const end = Math.min(start + per, shape[axis]!)
      ranges[axis] = [start, end]
      for (let i = axis + 1; i < rank; i++) ranges[i] = [0, shape[i]!]
      return { ranges, count: (end - start) * inner }
    }
  }
}

/** Which blocks to read: all, or evenly spaced ones when the budget is smaller than the data. */
export function chooseBlocks(plan: SlicePlan, total: number, budgetElements: number): { blocks: number[]; sampled: boolean } {
  if (total <= budgetElements) return { blocks: Array.from({ length: plan.blocks }, (_, i) => i), sampled: false }
  const n = Math.max(1, Math.min(plan.blocks, Math.floor(budgetElements / Math.max(1, plan.elementsPerBlock))))
  return { blocks: evenlySpacedIndices(plan.blocks, n), sampled: n < plan.blocks }
}

interface ReadBudget {
  remainingBytes: number
  readonly sliceElements: number
}

/** Elements sampled from a variable even when the read budget is spent. */
const MIN_SAMPLE_ELEMENTS = 1 << 16

/**
 * Slices for one variable under the file's read budget: all of it in slices of `sliceElements`, or,
 * when it does not fit, at least 16 evenly spaced smaller slices adding up to the remaining budget
 * (never less than MIN_SAMPLE_ELEMENTS).
 */
export function slicing(shape: readonly number[], total: number, elemBytes: number, budget: ReadBudget): { plan: SlicePlan; allowance: number } {
  const budgetElements = Math.floor(Math.max(0, budget.remainingBytes) / elemBytes)
  if (total <= budgetElements) return { plan: planSlices(shape, budget.sliceElements), allowance: total }
  const allowance = Math.max(MIN_SAMPLE_ELEMENTS, budgetElements)
  const limit = Math.max(1024, Math.min(budget.sliceElements, Math.floor(allowance / 16)))
  return { plan: planSlices(shape, limit), allowance }
}

interface NumericResult {
  stats: NumericStats
  samples: (number | null)[]
  note: string | null
  smallValues: (number | null)[] | null
}

function readNumeric(d: RawDataset, rules: ValueRules, unsigned: boolean, budget: ReadBudget): NumericResult {
  const shape = d.meta.shape ?? []
  const total = shape.reduce((a, b) => a * b, 1)
  const elemBytes = Math.max(1, d.meta.size)
  if (shape.length === 0) {
    const v = d.ds.value
    const arr = toNumberArray(typeof v === "number" || typeof v === "bigint" ? [Number(v)] : (v as ArrayLike<number>))
    const vals = unsigned ? unsignedView(arr) : arr
    const acc = createAccumulator([0])
    accumulate(acc, vals, rules)
    return { stats: finishStats(acc), samples: acc.samples, note: null, smallValues: acc.samples }
  }
  const { plan, allowance } = slicing(shape, total, elemBytes, budget)
  const { blocks, sampled } = chooseBlocks(plan, total, allowance)
  let toRead = 0
  for (const b of blocks) toRead += plan.block(b).count
  const small = total <= SMALL_ARRAY
  const acc: Accumulator = createAccumulator(small ? Array.from({ length: total }, (_, i) => i) : evenlySpacedIndices(toRead, SAMPLE_COUNT))
  for (const b of blocks) {
    const { ranges } = plan.block(b)
    const raw = d.ds.slice(ranges)
    if (raw === null || typeof raw !== "object" || !ArrayBuffer.isView(raw)) throw new Error("unexpected non-numeric slice")
    let vals = toNumberArray(raw as unknown as ArrayLike<number>)
    if (unsigned) vals = unsignedView(vals)
    accumulate(acc, vals, rules)
  }
  budget.remainingBytes -= toRead * elemBytes
  const note = sampled ? `statistics estimated from ${formatCount(toRead)} of ${formatCount(total)} values (${plural(blocks.length, "evenly spaced slice")}; read budget reached)` : null
  return { stats: finishStats(acc), samples: acc.samples, note, smallValues: small ? acc.samples : null }
}

function readStrings(d: RawDataset, charArray: boolean): string {
  const shape = d.meta.shape ?? []
  const total = shape.reduce((a, b) => a * b, 1)
  const toStrings = (v: unknown): string[] => {
    const flat = Array.isArray(v) ? (v.flat(8) as unknown[]) : [v]
    return flat.map((x) => (typeof x === "string" ? trimNul(x) : String(x)))
  }
  if (charArray) {
    // netCDF char arrays: the last axis spells out one string.
    const len = shape[shape.length - 1] ?? 1
    const count = total / Math.max(1, len)
    const rows: string[] = []
    const pick = count <= 4 ? evenlySpacedIndices(count, count) : [0, 1, count - 1]
    const outerShape = shape.slice(0, -1)
    for (const r of pick) {
      const ranges: Range[] = []
      let rem = r
      for (let i = outerShape.length - 1; i >= 0; i--) {
        const idx = rem % outerShape[i]!
        rem = Math.floor(rem / outerShape[i]!)
        ranges.unshift([idx, idx + 1])
      }
      ranges.push([0, len])
      rows.push(toStrings(d.ds.slice(ranges)).join("").replace(/\0+$/, ""))
    }
    return joinStrings(rows, count)
  }
  if (total <= 4) return joinStrings(toStrings(d.ds.value), total)
  const first: Range[] = shape.map((s, i) => (i === 0 ? [0, Math.min(2, s)] : [0, 1]))
  const last: Range[] = shape.map((s, i) => (i === 0 ? [s - 1, s] : [0, 1]))
  const a = toStrings(d.ds.slice(first))
  const b = toStrings(d.ds.slice(last))
  return joinStrings([...a.slice(0, 2), ...b.slice(-1)], total)
}

const joinStrings = (strs: readonly string[], total: number): string => {
  const q = strs.map((s) => JSON.stringify(clip(s, 100)))
  if (total <= strs.length) return q.join(", ")
  return `${q.slice(0, -1).join(", ")}, …, ${q[q.length - 1]} (${formatCount(total)} strings)`
}

function readCompound(d: RawDataset, budget: ReadBudget): NonNullable<ArrayVariable["members"]> {
  const members = d.meta.compound_type?.members ?? []
  const shape = d.meta.shape ?? []
  const numeric = members.map((m) => (isNumericType(m) && (m.shape === undefined || m.shape === null || m.shape.length === 0) ? createAccumulator() : null))
  const distinct = members.map((m) => (m.type === 3 ? new Map<string, number>() : null))
  const overflow = members.map(() => false)
  const total = shape.reduce((a, b) => a * b, 1)
  const { plan, allowance } = slicing(shape, total, Math.max(1, d.meta.size), { ...budget, sliceElements: Math.min(COMPOUND_BLOCK, budget.sliceElements) })
  const { blocks, sampled } = chooseBlocks(plan, total, allowance)
  let read = 0
  const column: number[] = []
  for (const b of blocks) {
    const { ranges, count } = plan.block(b)
    const rows = d.ds.slice(ranges)
    if (!Array.isArray(rows)) throw new Error("unexpected compound slice")
    read += count
    for (let j = 0; j < members.length; j++) {
      const acc = numeric[j]
      const dist = distinct[j]
      if (acc !== null && acc !== undefined) {
        column.length = 0
        for (const r of rows as unknown[][]) column.push(Number(r[j]))
        accumulate(acc, column)
      } else if (dist !== null && dist !== undefined && !overflow[j]) {
        for (const r of rows as unknown[][]) {
          const s = clip(trimNul(String(r[j])), 60)
          dist.set(s, (dist.get(s) ?? 0) + 1)
          if (dist.size > 1000) {
            overflow[j] = true
            break
          }
        }
      }
    }
  }
  budget.remainingBytes -= read * d.meta.size
  return members.map((m, j) => {
    const acc = numeric[j]
    const dist = distinct[j]
    if (acc !== null && acc !== undefined) {
      const stats = finishStats(acc)
      const s = stats.count === 0 ? "no valid values" : `min ${formatNumber(stats.min, 6)}, max ${formatNumber(stats.max, 6)}, mean ${formatNumber(stats.mean)}, std ${formatNumber(stats.std)}`
      return { name: m.name, dtype: dtypeLabel(m), summary: sampled ? `${s} (from ${formatCount(read)} sampled rows)` : s, stats }
    }
    if (dist !== null && dist !== undefined) {
      const top = [...dist.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 6)
      const n = overflow[j] ? "more than 1000" : String(dist.size)
      return { name: m.name, dtype: dtypeLabel(m), summary: `${n} distinct: ${top.map(([v, c]) => `${JSON.stringify(v)} (${c})`).join(", ")}${dist.size > top.length ? ", …" : ""}` }
    }
    return { name: m.name, dtype: dtypeLabel(m), summary: "not summarised" }
  })
}

function layoutOf(d: RawDataset): string {
  const chunks = d.meta.chunks
  const parts: string[] = [chunks !== null && chunks !== undefined ? `chunked ${chunks.join("×")}` : "contiguous"]
  let filters: { id: number; name: string; cd_values: number[] }[] = []
  try {
    filters = d.ds.filters as typeof filters
  } catch {
    filters = []
  }
  for (const f of filters) {
    if (f.id === 1) parts.push(`deflate level ${f.cd_values[0] ?? "?"}`)
    else if (f.id === 2) parts.push("shuffle")
    else if (f.id === 3) parts.push("fletcher32 checksum")
    else if (f.id === 4) parts.push("szip")
    else parts.push(`${f.name || "filter"} (id ${f.id})`)
  }
  return parts.join(", ")
}

// ---------------------------------------------------------------------------------------------------
// Describing datasets

const HIDDEN_VAR_ATTRS = new Set(["units", "long_name", "standard_name", "CLASS", "NAME", "_Netcdf4Dimid"])

function describeDataset(
  d: RawDataset,
  netcdf: boolean,
  dims: string[] | null,
  role: "coordinate" | "data",
  budget: ReadBudget,
  hint?: { units: string; longName: string }
): ArrayVariable {
  const m = d.meta
  const shape = m.shape ?? []
  const attrs = d.attrs
  const units = attrText(attrs, "units", "UNITS", "Units", "unit") ?? hint?.units ?? null
  const longName = attrText(attrs, "long_name", "LONG_NAME", "description", "CATDESC") ?? hint?.longName ?? null
  const standardName = attrText(attrs, "standard_name")
  const shownAttrs: [string, string][] = []
  for (const [k, a] of attrs) {
    if (a.text === null || NETCDF_INTERNAL.has(k) || HIDDEN_VAR_ATTRS.has(k)) continue
    if (/^(units|long_name)$/i.test(k) && (a.text === units || a.text === longName)) continue
    if (k === "dimensions" && dims !== null) continue
    if ((k === "description" || k === "CATDESC") && a.text === longName) continue
    if (shownAttrs.length >= MAX_VAR_ATTRS) {
      shownAttrs.push(["…", `${attrs.size - MAX_VAR_ATTRS} more`])
      break
    }
    shownAttrs.push([k, clip(a.text, 200)])
  }
  const unsigned = m.type === 0 && m.signed && /^true$/i.test(attrs.get("_Unsigned")?.text ?? "")
  let dtype = dtypeLabel(m)
  if (unsigned) dtype = `${dtype} (read as unsigned, _Unsigned = true)`
  const base = {
    path: netcdf && d.path.lastIndexOf("/") === 0 ? d.name : d.path,
    name: d.name,
    dims,
    shape,
    attributes: shownAttrs,
    units,
    longName: longName !== null ? clip(longName, 200) : null,
    standardName,
    role,
    layout: shape.length > 0 ? layoutOf(d) : undefined
  }
  const total = shape.reduce((a, b) => a * b, 1)
  if (total === 0) return { ...base, dtype, values: "(no values: a dimension has length 0)" }
  try {
    if (isNumericType(m)) {
      const bits = m.size * 8
      const conv = (v: number): number => (unsigned ? asUnsigned(v, bits) : v)
      const fills: number[] = []
      const fillAttr = attrNumbers(attrs, "_FillValue")
      if (fillAttr !== null) fills.push(conv(fillAttr[0]!))
      for (const v of attrNumbers(attrs, "missing_value") ?? []) fills.push(conv(v))
      let defaultFill: number | null = null
      if (netcdf && fillAttr === null) {
        defaultFill = netcdfDefaultFill(m)
        if (defaultFill !== null && unsigned) defaultFill = null
        if (defaultFill !== null) fills.push(defaultFill)
      }
      const rules = cfValueRules((name) => attrNumbers(attrs, name), conv, fills, m.type === 1 && m.size === 4)
      const { scale, offset, validMin: vmin, validMax: vmax } = rules
      const r = readNumeric(d, rules, unsigned, budget)
      const notes: string[] = []
      if (scale !== undefined || offset !== undefined) {
        notes.push(`packed data: statistics are of unpacked values = stored × ${formatNumber(scale ?? 1, 7)} + ${formatNumber(offset ?? 0, 7)} (scale_factor, add_offset)`)
      }
      const skipped: string[] = []
      if (fillAttr !== null) skipped.push(`_FillValue ${formatNumber(conv(fillAttr[0]!), 7)}`)
      const mv = attrNumbers(attrs, "missing_value")
      if (mv !== null) skipped.push(`missing_value ${mv.map((v) => formatNumber(conv(v), 7)).join("/")}`)
      if (defaultFill !== null && r.stats.missing > 0) skipped.push(`netCDF default fill ${formatNumber(defaultFill, 7)}`)
      if (vmin !== undefined || vmax !== undefined) skipped.push(`values outside the valid range ${formatNumber(vmin ?? -Infinity, 7)} … ${formatNumber(vmax ?? Infinity, 7)}`)
      if (skipped.length > 0 && r.stats.missing > 0) notes.push(`skipped as missing: ${skipped.join(", ")}`)
      if (r.note !== null) notes.push(r.note)
      const digits = m.type === 1 && m.size >= 8 ? 10 : 7
      const fmt = (x: number | null): string => (x === null ? "fill" : formatNumber(x, digits))
      if (r.smallValues !== null) {
        const empty = r.smallValues.every((x) => x === null)
        const values = empty
          ? "no data (fill values only)"
          : total === 1
            ? `${fmt(r.smallValues[0] ?? null)}${units !== null ? ` ${units}` : ""}`
            : `[${r.smallValues.map(fmt).join(", ")}]`
        return { ...base, dtype, stats: r.stats, values, ...(notes.length > 0 && !empty ? { statsNote: notes.join("; ") } : {}) }
      }
      return {
        ...base,
        dtype,
        stats: r.stats,
        ...(notes.length > 0 ? { statsNote: notes.join("; ") } : {}),
        samples: r.samples.map((x) => (x === null ? "fill" : formatNumber(x, 5)))
      }
    }
    if (m.type === 3) {
      const charArray = !m.vlen && m.size === 1 && shape.length >= 1 && netcdf
      return { ...base, dtype: charArray ? `char (strings of length ${shape[shape.length - 1]})` : dtype, values: readStrings(d, charArray) }
    }
    if (m.type === 6) return { ...base, dtype, members: readCompound(d, budget) }
    return { ...base, dtype }
  } catch (e) {
    return { ...base, dtype, error: hdf5ErrorMessage(e) }
  }
}

// ---------------------------------------------------------------------------------------------------
// The file

const GLOBAL_ORDER = [
  "title",
  "summary",
  "description",
  "institution",
  "source",
  "project",
  "creator_name",
  "references",
  "comment",
  "Conventions",
  "history",
  "license",
  "keywords",
  "date_created",
  "time_coverage_start",
  "time_coverage_end",
  "NX_class",
  "NeXus_version",
  "HDF5_Version",
  "file_name",
  "file_time",
  "creator"
]

function globalAttributes(root: Map<string, AttrValue>): [string, string][] {
  const rank = (k: string): number => {
    const i = GLOBAL_ORDER.findIndex((g) => g.toLowerCase() === k.toLowerCase())
    return i === -1 ? GLOBAL_ORDER.length : i
  }
  const entries = [...root.entries()].filter(([k, a]) => a.text !== null && !NETCDF_INTERNAL.has(k))
  const indexed = entries.map((e, i) => ({ e, i, r: rank(e[0]) }))
  indexed.sort((a, b) => a.r - b.r || a.i - b.i)
  const out: [string, string][] = []
  for (const { e } of indexed) {
    if (out.length >= MAX_GLOBAL_ATTRS) {
      out.push(["…", `${entries.length - MAX_GLOBAL_ATTRS} more attributes`])
      break
    }
    out.push([e[0], clip(e[1].text!, /history/i.test(e[0]) ? 600 : 400)])
  }
  return out
}

function nexusTitle(walk: Walk): string | null {
  for (const d of walk.datasets) {
    if (!/^\/[^/]+\/title$/.test(d.path) || d.meta.type !== 3) continue
    try {
      const v = d.ds.value
      const s = Array.isArray(v) ? String(v.flat(4)[0] ?? "") : String(v ?? "")
      if (trimNul(s).trim() !== "") return clip(trimNul(s), 200)
    } catch {
      /* no title */
    }
  }
  return null
}

// ---------------------------------------------------------------------------------------------------
// Known layouts: files whose producer documents units and meaning the file itself does not carry.

interface Producer {
  readonly name: string
  readonly heading: string
  readonly notes: string[]
  readonly hints: Record<string, { units: string; longName: string }>
}

/** phono3py's documented units for kappa-*.hdf5 (see its "Details of kappa-*.hdf5 file"). */
const PHONO3PY_KAPPA: Record<string, { units: string; longName: string }> = {
  "/kappa": { units: "W/m-K", longName: "lattice thermal conductivity tensor (xx, yy, zz, yz, xz, xy) per temperature" },
  "/mode_kappa": { units: "W/m-K", longName: "mode contributions to the thermal conductivity, summed over k-stars" },
  "/temperature": { units: "K", longName: "temperatures of the conductivity calculation" },
  "/frequency": { units: "THz", longName: "phonon frequencies (ordinary frequency) per irreducible q-point and band" },
  "/gamma": { units: "THz", longName: "imaginary part of the phonon self-energy (half linewidth) from phonon-phonon scattering" },
  "/gamma_isotope": { units: "THz", longName: "isotope scattering rate (half linewidth)" },
  "/group_velocity": { units: "THz·Å", longName: "phonon group velocities (Cartesian)" },
  "/gv_by_gv": { units: "THz²·Å²", longName: "outer products of group velocities summed over k-stars" },
  "/heat_capacity": { units: "eV/K", longName: "mode heat capacities per temperature" },
  "/qpoint": { units: "reduced coordinates", longName: "irreducible q-points" },
  "/weight": { units: "1", longName: "weights of the irreducible q-points (sum = number of mesh points)" },
  "/mesh": { units: "1", longName: "reciprocal-space sampling mesh" },
  "/boundary_mfp": { units: "µm", longName: "boundary mean free path" },
  "/ave_pp": { units: "eV²", longName: "averaged phonon-phonon interaction strength" }
}

function recogniseProducer(walk: Walk): Producer | null {
  const byPath = new Map(walk.datasets.map((d) => [d.path, d]))
  const kappa = byPath.get("/kappa")
  const temps = byPath.get("/temperature")
  if (kappa === undefined || temps === undefined || !byPath.has("/mesh") || !(byPath.has("/mode_kappa") || byPath.has("/gamma"))) return null
  const notes: string[] = []
  try {
    const version = byPath.has("/version") ? String(byPath.get("/version")!.ds.value).replace(/\0+$/, "") : null
    const mesh = Array.from(toNumberArray(byPath.get("/mesh")!.ds.value as ArrayLike<number>), Number)
    const t = Array.from(toNumberArray(temps.ds.value as ArrayLike<number>), Number)
    const kshape = kappa.meta.shape ?? []
    notes.push(
      `The dataset names and shapes match phono3py's kappa-*.hdf5 output (lattice thermal conductivity from the phonon Boltzmann equation)` +
        `${version !== null ? `, phono3py version ${version}` : ""}; q-point sampling mesh ${mesh.join("×")}. Units below follow phono3py's documentation (the file stores none).`
    )
    if (kshape.length === 2 && kshape[1] === 6 && kshape[0] === t.length && t.length <= 200) {
      const k = Array.from(toNumberArray(kappa.ds.value as ArrayLike<number>), Number)
      const step = Math.max(1, Math.ceil(t.length / 12))
      const rows: string[] = []
      for (let i = 0; i < t.length; i += step) {
        rows.push(`| ${formatNumber(t[i]!, 6)} | ${formatNumber(k[6 * i]!, 5)} | ${formatNumber(k[6 * i + 1]!, 5)} | ${formatNumber(k[6 * i + 2]!, 5)} |`)
      }
      notes.push("", "Lattice thermal conductivity (W/m-K):", "", "| T (K) | κ_xx | κ_yy | κ_zz |", "|---|---|---|---|", ...rows)
    }
  } catch {
    return null
  }
  return { name: "phono3py", heading: "phono3py lattice thermal conductivity results (HDF5)", notes, hints: PHONO3PY_KAPPA }
}

/**
 * Describe an HDF5 file: plain HDF5, netCDF-4 (format "netcdf4", program "NetCDF") or NeXus
 * (format "nexus", program "NeXus"), recognised by content. Throws an Error with a clear message
 * when the file cannot be opened as HDF5.
 */
export async function extractHdf5(filePath: string, options: ArrayReadOptions = {}): Promise<SimulationDocument> {
  await init()
  let file: File
  try {
    file = new h5.File(filePath, "r")
  } catch (e) {
    throw new Error(`cannot open as HDF5: ${hdf5ErrorMessage(e)}`)
  }
  try {
    return describeFile(file, options)
  } finally {
    try {
      file.close()
    } catch {
      /* already closed */
    }
  }
}

function describeFile(file: File, options: ArrayReadOptions): SimulationDocument {
  const walk = walkFile(file)
  const netcdf = options.assumeNetcdf === true || isNetcdf4(walk)
  const nexus = !netcdf && isNexus(walk)
  const budget: ReadBudget = { remainingBytes: options.bytesLimit ?? DEFAULT_BYTES_LIMIT, sliceElements: options.sliceElements ?? DEFAULT_SLICE_ELEMENTS }
  // Dimensions: netCDF-4 / h5py dimension scales, or the names datasets give their axes.
  const dimensions = new Map<string, ArrayDimension>()
  const dimOnly = new Set<string>()
  for (const d of walk.datasets) {
    if (!isDimensionScale(d)) continue
    const shape = d.meta.shape ?? []
    const scaleName = d.attrs.get("NAME")?.strings?.[0] ?? ""
    if (scaleName.startsWith(NETCDF_DIM_ONLY)) dimOnly.add(d.path)
    const key = path.posix.dirname(d.path) === "/" ? d.name : d.path.slice(1)
    if (shape.length === 1) dimensions.set(key, { name: key, size: shape[0]!, unlimited: unlimitedAxis(d, 0) })
  }
  const producer = netcdf || nexus ? null : recogniseProducer(walk)
  const variables: ArrayVariable[] = []
  const coordinateNames = new Set<string>()
  for (const d of walk.datasets) if (isDimensionScale(d) && !dimOnly.has(d.path)) coordinateNames.add(d.path)
  for (const d of walk.datasets) {
    if (dimOnly.has(d.path)) continue
    const dims = dimensionNames(d)
    if (dims !== null && !isDimensionScale(d)) {
      const shape = d.meta.shape ?? []
      dims.forEach((n, i) => {
        if (!dimensions.has(n) && !/^dim\d+$/.test(n)) dimensions.set(n, { name: n, size: shape[i]!, unlimited: unlimitedAxis(d, i) })
      })
    }
    const hint = producer?.hints[d.path]
    variables.push(describeDataset(d, netcdf, dims, coordinateNames.has(d.path) ? "coordinate" : "data", budget, hint))
  }
  const root = walk.root
  const ncProps = root.get("_NCProperties")?.text ?? null
  const program = netcdf ? "NetCDF" : nexus ? "NeXus" : "HDF5"
  const format = netcdf ? "netcdf4" : nexus ? "nexus" : "hdf5"
  const title = attrText(root, "title", "TITLE", "Title") ?? (nexus ? nexusTitle(walk) : null)
  const nGroups = walk.groups.length
  const nData = variables.length
  let description: string
  if (netcdf) {
    const lib = ncProps !== null ? /netcdflibversion=([^|]+)/.exec(ncProps)?.[1] : undefined
    const h5 = ncProps !== null ? /hdf5libversion=([^|]+)/.exec(ncProps)?.[1] : undefined
    const conv = attrText(root, "Conventions", "CONVENTIONS")
    const model = root.has("_nc3_strict") || attrText(root, "data_format_type")?.includes("Classic") === true ? " in the classic data model" : ""
    description =
      `netCDF-4 file (HDF5 storage)${model}${lib !== undefined ? `, written by netCDF library ${lib}${h5 !== undefined ? ` with HDF5 ${h5}` : ""}` : ""}` +
      `${conv !== null ? `; conventions: ${conv}` : ""}. ${plural(nData, "variable")}, ${plural(dimensions.size, "dimension")}${nGroups > 0 ? `, ${plural(nGroups, "group")}` : ""}.`
  } else if (nexus) {
    const classes = [...new Set(walk.groups.map((g) => g.nxClass).filter((c): c is string => c !== null))]
    const ver = attrText(root, "NeXus_version")
    description = `NeXus file (HDF5 storage)${ver !== null ? `, NeXus ${ver}` : ""}: ${plural(nGroups, "group")} (classes ${classes.join(", ")}), ${plural(nData, "dataset")}.`
  } else {
    description = `HDF5 file: ${plural(nData, "dataset")}${nGroups > 0 ? ` in ${nGroups + 1} groups` : " in the root group"}${dimensions.size > 0 ? `, ${plural(dimensions.size, "named dimension")}` : ""}.`
  }
  const notes: string[] = producer !== null ? [...producer.notes] : []
  if (walk.truncated) notes.push(`Only the first ${MAX_OBJECTS} objects are described.`)
  if (budget.remainingBytes <= 0) notes.push("The file is larger than the read budget: statistics of the later variables are estimated from evenly spaced slices.")
  for (const l of walk.links.slice(0, 20)) notes.push(`Link: ${l}`)
  // NeXus plottable data: NXdata groups name their signal and axes.
  for (const g of walk.groups) {
    if (g.nxClass !== "NXdata") continue
    const signal = attrText(g.attrs, "signal")
    const axes = g.attrs.get("axes")?.strings ?? null
    if (signal !== null) notes.push(`Plottable data ${g.path}: signal "${signal}"${axes !== null ? ` over axes ${axes.map((a) => `"${a}"`).join(", ")}` : ""}.`)
  }
  const groups = walk.groups.map((g) => `${"  ".repeat(g.depth)}- ${g.path}${g.nxClass !== null ? ` [${g.nxClass}]` : ""}`)
  const extra: Record<string, unknown> = {}
  if (ncProps !== null) extra.ncProperties = ncProps
  if (producer !== null) extra.producer = producer.name
  if (nexus) extra.nxClasses = [...new Set(walk.groups.map((g) => g.nxClass).filter((c) => c !== null))]
  const model: ArrayFileModel = {
    program,
    format,
    description,
    title,
    ...(producer !== null ? { heading: producer.heading } : {}),
    globalAttributes: globalAttributes(root),
    dimensions: [...dimensions.values()],
    groups: groups.slice(0, 200),
    variables,
    notes,
    variableHeading: netcdf ? "Variables" : "Datasets",
    extraMetadata: extra
  }
  return renderArrayDocument(model, options.maxDocChars)
}
