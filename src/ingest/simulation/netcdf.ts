/**
 * NetCDF files as training documents.
 *
 * Classic (CDF-1) and 64-bit-offset (CDF-2) files: netcdfjs parses the header, given only the first
 * bytes of the file (grown until the header fits), and the variables are then read here straight
 * from the file in slices of at most `sliceElements` values, big-endian decoded, record variables
 * gathered record by record. So neither the file nor a whole variable is ever held in memory.
 * netCDF-4 files are HDF5 files and go to the HDF5 reader (h5wasm).
 *
 * The document (rendered by summary.ts, like HDF5's): global attributes, dimensions (with the
 * unlimited one), variables with shape, type, units, long/standard names, other attributes and
 * statistics with `_FillValue`/`missing_value`/`valid_range` skipped and `scale_factor`/`add_offset`
 * unpacking applied and said so.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs"
import { NetCDFReader } from "netcdfjs"
import { type ArrayReadOptions, DEFAULT_BYTES_LIMIT, DEFAULT_SLICE_ELEMENTS, extractHdf5 } from "./hdf5.ts"
import {
  accumulate,
  type ArrayDimension,
  type ArrayVariable,
  clip,
  createAccumulator,
  evenlySpacedIndices,
  finishStats,
  formatCount,
  formatNumber,
  plural,
  renderArrayDocument,
  cfValueRules,
  type ValueRules
} from "./summary.ts"
import type { SimulationDocument } from "./types.ts"

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])
const SAMPLE_COUNT = 6
const SMALL_ARRAY = 12
const MAX_HEADER_BYTES = 64 * 1024 * 1024
const MIN_SAMPLE_ELEMENTS = 1 << 16

type ClassicType = "byte" | "char" | "short" | "int" | "float" | "double"

const TYPE_SIZE: Record<ClassicType, number> = { byte: 1, char: 1, short: 2, int: 4, float: 4, double: 8 }

/** netCDF default fill values (unwritten data) by type; the byte default is not treated as missing. */
const DEFAULT_FILL: Record<ClassicType, number | null> = {
  byte: null,
  char: null,
  short: -32767,
  int: -2147483647,
  float: Math.fround(9.969209968386869e36),
  double: 9.969209968386869e36
}

interface NcAttribute {
  name: string
  type: string
  value: unknown
}

interface NcVariable {
  name: string
  dimensions: number[]
  attributes: NcAttribute[]
  type: string
  size: number
  offset: number
  record: boolean
}

/** netcdfjs reads names and text as Latin-1 bytes; re-decode as UTF-8 when that is what they are. */
const utf8 = (s: string): string => {
  // eslint-disable-next-line no-control-regex
  if (!/[\u0080-\u00ff]/.test(s)) return s.replace(/\0+$/, "").trim()
  const d = Buffer.from(s, "latin1").toString("utf8")
  return (d.includes("\ufffd") ? s : d).replace(/\0+$/, "").trim()
}

function attrText(a: NcAttribute): string {
  const v = a.value
  if (typeof v === "string") return utf8(v)
  if (typeof v === "number") return formatNumber(v, 7)
  if (Array.isArray(v)) {
    const nums = v.map(Number)
    const shown = nums.slice(0, 10).map((n) => formatNumber(n, 7))
    return `[${shown.join(", ")}${nums.length > 10 ? `, … (${nums.length} values)` : ""}]`
  }
  return String(v)
}

function attrNumbers(attrs: readonly NcAttribute[], name: string): number[] | null {
  const a = attrs.find((x) => x.name === name)
  if (a === undefined || typeof a.value === "string") return null
  const v = a.value
  if (typeof v === "number") return [v]
  if (Array.isArray(v) && v.length > 0) return v.map(Number)
  return null
}

const findAttr = (attrs: readonly NcAttribute[], ...names: string[]): string | null => {
  for (const n of names) {
    const a = attrs.find((x) => x.name === n) ?? attrs.find((x) => x.name.toLowerCase() === n.toLowerCase())
    if (a !== undefined && typeof a.value === "string" && a.value.trim() !== "") return utf8(a.value)
  }
  return null
}

/** Parse the header from the file's first bytes, reading more until it fits. */
function readHeader(fd: number, size: number): NetCDFReader {
  let n = Math.min(size, 64 * 1024)
  for (;;) {
    const buf = Buffer.alloc(n)
    readSync(fd, buf, 0, n, 0)
    try {
      return new NetCDFReader(buf)
    } catch (e) {
      const outOfBounds = e instanceof RangeError || (e instanceof Error && /outside the bounds|out of range/i.test(e.message))
      if (!outOfBounds) throw new Error(`not a readable netCDF classic file: ${e instanceof Error ? e.message : String(e)}`)
      if (n >= size) throw new Error("netCDF header is truncated (the file ends inside the header)")
      if (n >= MAX_HEADER_BYTES) throw new Error(`netCDF header larger than ${MAX_HEADER_BYTES} bytes`)
      n = Math.min(size, n * 4)
    }
  }
}

/** Decode `count` big-endian values of `type` from `buf` into `out`. */
function decode(buf: Buffer, type: ClassicType, count: number, out: Float64Array, unsigned: boolean): void {
  switch (type) {
    case "byte":
    case "char":
      for (let i = 0; i < count; i++) out[i] = unsigned ? buf[i]! : (buf[i]! << 24) >> 24
      return
    case "short":
      for (let i = 0; i < count; i++) out[i] = unsigned ? buf.readUInt16BE(2 * i) : buf.readInt16BE(2 * i)
      return
    case "int":
      for (let i = 0; i < count; i++) out[i] = unsigned ? buf.readUInt32BE(4 * i) : buf.readInt32BE(4 * i)
      return
    case "float":
      for (let i = 0; i < count; i++) out[i] = buf.readFloatBE(4 * i)
      return
    case "double":
      for (let i = 0; i < count; i++) out[i] = buf.readDoubleBE(8 * i)
      return
  }
}

/**
 * The byte ranges holding a variable's values in order: one run for a fixed-size variable, one run
 * per record for a record variable.
 */
interface Layout {
  readonly runs: number
  readonly runElements: number
  runOffset(r: number): number
}

/**
 * Describe a netCDF file. Classic and 64-bit-offset files are read here; netCDF-4 (HDF5) files are
 * handed to the HDF5 reader. `options` may be a number: the read budget in bytes (`bytesLimit`).
 * Throws an Error with a clear message for files it cannot read (CDF-5, truncated header, not netCDF).
 */
export async function extractNetcdf(filePath: string, options: number | ArrayReadOptions = {}): Promise<SimulationDocument> {
  const opts: ArrayReadOptions = typeof options === "number" ? { bytesLimit: options } : options
  const fd = openSync(filePath, "r")
  let closed = false
  try {
    const size = fstatSync(fd).size
    const magic = Buffer.alloc(8)
    readSync(fd, magic, 0, 8, 0)
    if (magic.equals(HDF5_SIGNATURE)) {
      closeSync(fd)
      closed = true
      return await extractHdf5(filePath, { ...opts, assumeNetcdf: true })
    }
    if (magic.subarray(0, 3).toString("latin1") !== "CDF") throw new Error("not a netCDF file (no CDF or HDF5 signature)")
    const version = magic[3]!
    if (version === 5) throw new Error("netCDF CDF-5 (64-bit data) files are not supported: netcdfjs reads the classic (CDF-1) and 64-bit-offset (CDF-2) formats only")
    if (version !== 1 && version !== 2) throw new Error(`unknown netCDF classic version byte ${version}`)
    return describeClassic(fd, size, version, opts)
  } finally {
    if (!closed) closeSync(fd)
  }
}

function describeClassic(fd: number, fileSize: number, version: number, opts: ArrayReadOptions): SimulationDocument {
  const reader = readHeader(fd, fileSize)
  const header = reader.header as unknown as {
    recordDimension: { length: number; id?: number; name?: string; recordStep?: number }
    dimensions: { name: string; size: number }[]
    globalAttributes: NcAttribute[]
    variables: NcVariable[]
  }
  const recId = header.recordDimension.id
  const recordVars = header.variables.filter((v) => v.record)
  // Record size: the sum of the record variables' slab sizes, each padded to 4 bytes, except that a
  // lone record variable is not padded.
  const slabBytes = (v: NcVariable): number => {
    let n = TYPE_SIZE[v.type as ClassicType] ?? 1
    for (const id of v.dimensions.slice(1)) n *= header.dimensions[id]?.size ?? 0
    return n
  }
  const recSize = recordVars.length === 1 ? slabBytes(recordVars[0]!) : recordVars.reduce((a, v) => a + Math.ceil(slabBytes(v) / 4) * 4, 0)
  let numRecs = header.recordDimension.length
  const firstRecordOffset = recordVars.length > 0 ? Math.min(...recordVars.map((v) => v.offset)) : 0
  let streaming = false
  if (numRecs === 0xffffffff && recSize > 0) {
    // STREAMING: the writer did not record the count; it follows from the file size.
    numRecs = Math.max(0, Math.floor((fileSize - firstRecordOffset) / recSize))
    streaming = true
  }
  const dimensions: ArrayDimension[] = header.dimensions.map((d, i) => ({ name: utf8(d.name), size: i === recId ? numRecs : d.size, unlimited: i === recId }))
  const budget = { remaining: opts.bytesLimit ?? DEFAULT_BYTES_LIMIT }
  const sliceElements = opts.sliceElements ?? DEFAULT_SLICE_ELEMENTS
  const dimNames = new Set(dimensions.map((d) => d.name))
  const variables: ArrayVariable[] = header.variables.map((v) => {
    const type = v.type as ClassicType
    const dims = v.dimensions.map((id) => dimensions[id]?.name ?? `dim${id}`)
    const shape = v.dimensions.map((id) => dimensions[id]?.size ?? 0)
    const esize = TYPE_SIZE[type] ?? 1
    const layout: Layout = v.record
      ? { runs: numRecs, runElements: slabBytes(v) / esize, runOffset: (r) => v.offset + r * recSize }
      : { runs: 1, runElements: shape.reduce((a, b) => a * b, 1), runOffset: () => v.offset }
    return describeVariable(fd, fileSize, v, type, dims, shape, layout, dimNames.has(utf8(v.name)) && dims.length === 1 && dims[0] === utf8(v.name), budget, sliceElements)
  })
  const globals = header.globalAttributes.map((a) => [utf8(a.name), clip(attrText(a), /history/i.test(a.name) ? 600 : 400)] as const)
  const order = ["title", "summary", "institution", "source", "references", "comment", "conventions", "history"]
  const rank = (k: string): number => {
    const i = order.indexOf(k.toLowerCase())
    return i === -1 ? order.length : i
  }
  const sortedGlobals = globals.map((g, i) => ({ g, i })).sort((a, b) => rank(a.g[0]) - rank(b.g[0]) || a.i - b.i).map((x) => x.g)
  const title = findAttr(header.globalAttributes, "title")
  const conv = findAttr(header.globalAttributes, "Conventions")
  const formatName = version === 1 ? "netCDF classic (CDF-1)" : "netCDF 64-bit offset (CDF-2)"
  const notes: string[] = []
  if (streaming) notes.push(`The record count was not written (streaming); ${numRecs} records follow from the file size.`)
  const missingData = variables.filter((v) => v.error?.startsWith("no data") === true).length
  if (missingData > 0) notes.push(`${missingData} of ${variables.length} variables have no data in the file (it ends before their data): only their definitions are described.`)
  const description =
    `${formatName} file${conv !== null ? `; conventions: ${conv}` : ""}. ${plural(variables.length, "variable")}, ${plural(dimensions.length, "dimension")}` +
    `${recId !== undefined ? `, unlimited dimension "${dimensions[recId]?.name}" with ${numRecs} records` : ""}.`
  return renderArrayDocument(
    {
      program: "NetCDF",
      format: "netcdf-classic",
      description,
      title: title !== null ? clip(title, 200) : null,
      globalAttributes: sortedGlobals,
      dimensions,
      groups: [],
      variables,
      notes,
      extraMetadata: { netcdfVersion: version === 1 ? "classic" : "64-bit offset", records: recId !== undefined ? numRecs : null }
    },
    opts.maxDocChars
  )
}

function describeVariable(
  fd: number,
  fileSize: number,
  v: NcVariable,
  type: ClassicType,
  dims: string[],
  shape: number[],
  layout: Layout,
  isCoordinate: boolean,
  budget: { remaining: number },
  sliceElements: number
): ArrayVariable {
  const attrs = v.attributes
  const units = findAttr(attrs, "units")
  const longName = findAttr(attrs, "long_name")
  const standardName = findAttr(attrs, "standard_name")
  const shown: [string, string][] = attrs
    .filter((a) => !["units", "long_name", "standard_name"].includes(a.name))
    .slice(0, 16)
    .map((a) => [utf8(a.name), clip(attrText(a), 200)])
  const unsigned = /^true$/i.test(findAttr(attrs, "_Unsigned") ?? "") && type !== "float" && type !== "double"
  const esize = TYPE_SIZE[type] ?? 1
  const total = shape.reduce((a, b) => a * b, 1)
  const dtype = `${type === "byte" ? "int8 (byte)" : type === "short" ? "int16 (short)" : type === "int" ? "int32 (int)" : type === "float" ? "float32 (float)" : type === "double" ? "float64 (double)" : "char"}${unsigned ? " read as unsigned (_Unsigned = true)" : ""}`
  const base = {
    path: utf8(v.name),
    name: utf8(v.name),
    dims,
    shape,
    attributes: shown,
    units,
    longName: longName !== null ? clip(longName, 200) : null,
    standardName,
    role: isCoordinate ? ("coordinate" as const) : ("data" as const)
  }
  if (total === 0) return { ...base, dtype, values: "(no values: a dimension has length 0)" }
  const lastByte = layout.runOffset(layout.runs - 1) + layout.runElements * esize
  if (lastByte > fileSize) {
    return { ...base, dtype, error: `no data in the file: its values would end at byte ${formatCount(lastByte)}, the file has ${formatCount(fileSize)} bytes` }
  }
  if (type === "char") return { ...base, dtype: `char (strings of length ${shape[shape.length - 1] ?? 1})`, values: readChars(fd, shape, layout) }
  // Missing values and packing (CF): checked on the stored values, then unpacked.
  const bits = esize * 8
  const conv = (x: number): number => (unsigned && x < 0 ? x + 2 ** bits : x)
  const fills: number[] = []
  const fillAttr = attrNumbers(attrs, "_FillValue")
  if (fillAttr !== null) fills.push(conv(fillAttr[0]!))
  const mv = attrNumbers(attrs, "missing_value")
  for (const x of mv ?? []) fills.push(conv(x))
  const defaultFill = fillAttr === null && !unsigned ? DEFAULT_FILL[type] : null
  if (defaultFill !== null) fills.push(defaultFill)
  const rules = cfValueRules((name) => attrNumbers(attrs, name), conv, fills, type === "float")
  const { scale, offset, validMin: vmin, validMax: vmax } = rules
  // Slices: whole runs (records) grouped up to `sliceElements`, or pieces of one large run.
  // Within the read budget: everything. Past it: at least 16 evenly spaced smaller slices.
  const budgetElements = Math.floor(Math.max(0, budget.remaining) / esize)
  const sampled = total > budgetElements
  const allowance = sampled ? Math.max(MIN_SAMPLE_ELEMENTS, budgetElements) : total
  const limit = sampled ? Math.max(1024, Math.min(sliceElements, Math.floor(allowance / 16))) : sliceElements
  const perRead = Math.max(1, Math.min(limit, layout.runElements))
  const piecesPerRun = Math.ceil(layout.runElements / perRead)
  const totalPieces = layout.runs * piecesPerRun
  const pieces = sampled ? evenlySpacedIndices(totalPieces, Math.max(1, Math.floor(allowance / perRead))) : null
  const toRead = pieces === null ? total : pieces.reduce((a, p) => a + Math.min(perRead, layout.runElements - (p % piecesPerRun) * perRead), 0)
  const small = total <= SMALL_ARRAY
  const acc = createAccumulator(small ? Array.from({ length: total }, (_, i) => i) : evenlySpacedIndices(toRead, SAMPLE_COUNT))
  const buf = Buffer.alloc(perRead * esize)
  const vals = new Float64Array(perRead)
  const readPiece = (p: number): void => {
    const run = Math.floor(p / piecesPerRun)
    const start = (p % piecesPerRun) * perRead
    const n = Math.min(perRead, layout.runElements - start)
    const bytes = n * esize
    const got = readSync(fd, buf, 0, bytes, layout.runOffset(run) + start * esize)
    if (got < bytes) throw new Error("file ends inside the variable's data")
    decode(buf, type, n, vals, unsigned)
    accumulate(acc, vals, rules, 0, n)
  }
  try {
    if (pieces === null) for (let p = 0; p < totalPieces; p++) readPiece(p)
    else for (const p of pieces) readPiece(p)
  } catch (e) {
    return { ...base, dtype, error: e instanceof Error ? e.message : String(e) }
  }
  budget.remaining -= toRead * esize
  const stats = finishStats(acc)
  const notes: string[] = []
  if (scale !== undefined || offset !== undefined) notes.push(`packed data: statistics are of unpacked values = stored × ${formatNumber(scale ?? 1, 7)} + ${formatNumber(offset ?? 0, 7)} (scale_factor, add_offset)`)
  const skipped: string[] = []
  if (fillAttr !== null) skipped.push(`_FillValue ${formatNumber(conv(fillAttr[0]!), 7)}`)
  if (mv !== null) skipped.push(`missing_value ${mv.map((x) => formatNumber(conv(x), 7)).join("/")}`)
  if (defaultFill !== null) skipped.push(`netCDF default fill ${formatNumber(defaultFill, 7)}`)
  if (vmin !== undefined || vmax !== undefined) skipped.push(`values outside the valid range ${formatNumber(vmin ?? -Infinity, 7)} … ${formatNumber(vmax ?? Infinity, 7)}`)
  if (stats.missing > 0 && skipped.length > 0) notes.push(`skipped as missing: ${skipped.join(", ")}`)
  if (sampled) notes.push(`statistics estimated from ${formatCount(toRead)} of ${formatCount(total)} values (${plural(pieces?.length ?? 0, "evenly spaced slice")}; read budget reached)`)
  const fmt = (x: number | null): string => (x === null ? "fill" : formatNumber(x, type === "double" ? 10 : 7))
  if (small) {
    const values = acc.samples.every((x) => x === null)
      ? "no data (fill values only)"
      : total === 1
        ? `${fmt(acc.samples[0] ?? null)}${units !== null ? ` ${units}` : ""}`
        : `[${acc.samples.map(fmt).join(", ")}]`
    return { ...base, dtype, stats, values, ...(notes.length > 0 && !values.startsWith("no data") ? { statsNote: notes.join("; ") } : {}) }
  }
  return {
    ...base,
    dtype,
    stats,
    ...(notes.length > 0 ? { statsNote: notes.join("; ") } : {}),
    samples: acc.samples.map((x) => (x === null ? "fill" : formatNumber(x, 5)))
  }
}

/** First two and last strings of a char variable (its last dimension is the string length). */
function readChars(fd: number, shape: number[], layout: Layout): string {
  const len = shape[shape.length - 1] ?? 1
  const total = shape.reduce((a, b) => a * b, 1)
  const count = Math.floor(total / Math.max(1, len))
  const perRun = Math.max(1, Math.floor(layout.runElements / Math.max(1, len)))
  const read = (k: number): string => {
    const run = Math.floor(k / perRun)
    const within = (k % perRun) * len
    const buf = Buffer.alloc(len)
    readSync(fd, buf, 0, len, layout.runOffset(run) + within)
    return utf8(buf.toString("latin1")).replace(/\0.*$/s, "").trimEnd()
  }
  const picks = count <= 4 ? evenlySpacedIndices(count, count) : [0, 1, count - 1]
  const strs = picks.map((k) => JSON.stringify(clip(read(k), 100)))
  if (count <= picks.length) return strs.join(", ")
  return `${strs.slice(0, -1).join(", ")}, …, ${strs[strs.length - 1]} (${formatCount(count)} strings)`
}
