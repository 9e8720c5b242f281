/**
 * Scientific data files as training documents: CSV/TSV tables (streamed), NetCDF (classic and
 * netCDF-4) and HDF5 (plain and NeXus). Real files from ../shared/corpus/simulation (numbers checked
 * against netCDF4-python / h5py while developing; the tests do not need Python), golden renderings in
 * test/golden/data/ (regenerate with UPDATE_GOLDEN=1 and review the diff by eye), and synthetic files
 * made here for what the corpus lacks: record variables, packing, CDF-2, a large CSV, a large
 * HDF5 dataset, NeXus.
 */
import { spawnSync } from "node:child_process"
import { createReadStream, existsSync, readFileSync, writeFileSync } from "node:fs"
import path from "node:path"
import { createInterface } from "node:readline"
import { pathToFileURL } from "node:url"
import { File as H5File, ready as h5ready } from "h5wasm/node"
import { describe, expect, it } from "vitest"
import { extractScientificBinary } from "../../src/ingest/simulation/binary.ts"
import { chooseBlocks, extractHdf5, planSlices } from "../../src/ingest/simulation/hdf5.ts"
import { extractNetcdf } from "../../src/ingest/simulation/netcdf.ts"
import { evenlySpacedIndices, formatNumber } from "../../src/ingest/simulation/summary.ts"
import { createTableReader, looksLikeTable, splitRecord, splitUnit } from "../../src/ingest/simulation/table.ts"
import type { SimulationDocument } from "../../src/ingest/simulation/types.ts"
import { expectGolden, tempDir } from "../helpers.ts"
import { corpusRoot, hasCorpus, repoRoot } from "./support.ts"

const simDir = path.join(corpusRoot, "simulation")
const goldenDir = path.join(repoRoot, "test/golden/data")
if (!hasCorpus) console.warn(`[scicurate] ${corpusRoot} not found: skipping the scientific data file tests on real files`)

async function readTable(file: string, name = path.basename(file)): Promise<SimulationDocument> {
  const reader = createTableReader({ name })
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) reader.feed(line)
  return reader.finish()
}

interface VarMeta {
  path: string
  dims?: string[]
  shape: number[]
  dtype: string
  units?: string
  long_name?: string
  standard_name?: string
  stats?: { count: number; missing: number; min: number | null; max: number | null; mean: number | null; std: number | null }
  members?: { name: string; stats?: { mean: number } }[]
  error?: string
}
const vars = (d: SimulationDocument) => d.metadata.variables as VarMeta[]
const variable = (d: SimulationDocument, p: string): VarMeta => {
  const v = vars(d).find((x) => x.path === p)
  if (v === undefined) throw new Error(`no variable ${p} in ${vars(d).map((x) => x.path).join(", ")}`)
  return v
}
interface ColumnMeta {
  name: string
  type: string
  unit?: string
  count: number
  missing: number
  min?: number | string
  max?: number | string
  mean?: number
  std?: number
  distinct?: number
}
const column = (d: SimulationDocument, name: string): ColumnMeta => {
  const c = (d.metadata.columns as ColumnMeta[]).find((x) => x.name === name)
  if (c === undefined) throw new Error(`no column ${name}`)
  return c
}

function checkGolden(name: string, doc: SimulationDocument): void {
  expectGolden(path.join(goldenDir, `${name}.md`), doc.text)
}

// ---------------------------------------------------------------------------------------------------
// The shared corpus: every data file, what its SOURCES.md row says it is.

describe.skipIf(!hasCorpus)("scientific data files of the shared corpus", () => {
  it("CSV tables: co2.csv (Mauna Loa weekly CO2): date column, missing values, statistics, sampled rows", async () => {
    const d = await readTable(path.join(simDir, "co2.csv"))
    expect([d.program, d.format]).toEqual(["CSV", "csv"])
    expect(d.metadata.rows).toBe(2284)
    expect(d.metadata.header).toBe(true)
    const date = column(d, "date")
    expect(date.type).toBe("date")
    expect([date.min, date.max]).toEqual(["19580329", "20011229"])
    const co2 = column(d, "co2")
    expect(co2.type).toBe("numeric")
    expect(co2.count).toBe(2225)
    expect(co2.missing).toBe(59)
    expect(co2.min).toBe(313)
    expect(co2.max).toBeCloseTo(373.9, 6)
    expect(co2.mean).toBeCloseTo(340.14225, 4)
    expect(d.text).toContain("| 2 | co2 | numeric |  | 2225 | 59 |")
    const sampled = d.metadata.sampledRows as number[]
    expect(sampled[0]).toBe(1)
    expect(sampled[sampled.length - 1]).toBe(2284)
    expect(sampled.length).toBeLessThanOrEqual(10)
    checkGolden("co2.csv", d)
  })

  it("CSV tables: elnino.csv and sunspots.csv have quoted headers and integer year columns", async () => {
    const el = await readTable(path.join(simDir, "elnino.csv"))
    expect(el.metadata.rows).toBe(61)
    expect((el.metadata.columns as ColumnMeta[]).map((c) => c.name)).toEqual(["YEAR", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
    expect(column(el, "YEAR").type).toBe("integer")
    expect([column(el, "YEAR").min, column(el, "YEAR").max]).toEqual([1950, 2010])
    expect(column(el, "JAN").type).toBe("numeric")
    const sun = await readTable(path.join(simDir, "sunspots.csv"))
    expect(sun.metadata.rows).toBe(309)
    expect(column(sun, "SUNACTIVITY").max).toBeCloseTo(190.2, 6)
    expect(column(sun, "SUNACTIVITY").mean).toBeCloseTo(49.752104, 4)
  })

  it("CSV tables: scikit-learn's breast_cancer.csv and wine_data.csv: preamble line, no header, class column named", async () => {
    const bc = await readTable(path.join(simDir, "breast_cancer.csv"))
    expect([bc.program, bc.format]).toEqual(["CSV", "csv"])
    expect(bc.metadata.header).toBe(false)
    expect(bc.metadata.preamble).toEqual(["569,30,malignant,benign"])
    expect(bc.metadata.rows).toBe(569)
    expect(bc.metadata.columnCount).toBe(31)
    expect(bc.metadata.targetNames).toEqual(["malignant", "benign"])
    expect(bc.text).toContain("0 = malignant (212)")
    expect(bc.text).toContain("1 = benign (357)")
    expect(column(bc, "column 1").mean).toBeCloseTo(14.127292, 5)
    const wine = await readTable(path.join(simDir, "wine_data.csv"))
    expect(wine.metadata.rows).toBe(178)
    expect(wine.metadata.columnCount).toBe(14)
    expect(wine.metadata.targetNames).toEqual(["class_0", "class_1", "class_2"])
    expect(wine.text).toContain("2 = class_2 (48)")
  })

  it("looksLikeTable: high for the corpus CSVs, low for program logs", () => {
    for (const f of ["co2.csv", "elnino.csv", "sunspots.csv", "breast_cancer.csv", "wine_data.csv"]) {
      expect(looksLikeTable(readFileSync(path.join(simDir, f), "utf8").slice(0, 65536)), f).toBeGreaterThan(0.8)
    }
    for (const f of ["Graphene.log", "si.scf.cg.out", "orca5_dvb_ir.out", "gaussian09_dvb_ir.out", "dump.meoh"]) {
      const p = path.join(simDir, f)
      if (!existsSync(p)) continue
      expect(looksLikeTable(readFileSync(p, "latin1").slice(0, 65536)), f).toBeLessThan(0.5)
    }
  })

  it("netCDF classic: CRM032_test1.nc (ARPEGE MSLP on a compressed reduced grid, CF-1.0)", async () => {
    const d = await extractScientificBinary(path.join(simDir, "CRM032_test1.nc"), "netCDF classic")
    expect([d.program, d.format]).toEqual(["NetCDF", "netcdf-classic"])
    expect(d.metadata.dimensions).toEqual({ longitude: 240, latitude: 61, rgrid: 10855, time: 1 })
    expect(vars(d).map((v) => v.path)).toEqual(["longitude", "latitude", "rgrid", "time", "MSLP"])
    const mslp = variable(d, "MSLP")
    expect(mslp.dims).toEqual(["time", "rgrid"])
    expect(mslp.units).toBe("hPa")
    expect(mslp.long_name).toBe("MSLP Pressure")
    // The file holds only fill values (netCDF4-python masks all 10,855): said, not summarised as numbers.
    expect(mslp.stats?.count).toBe(0)
    expect(mslp.stats?.missing).toBe(10855)
    expect(d.text).toContain("no valid data: all 10,855 values read are fill or missing values")
    expect((d.metadata.globalAttributes as Record<string, string>).source).toBe("ARPEGE")
    checkGolden("CRM032_test1.nc", d)
  })

  it("netCDF-4: GOES-16 cloud-top height (packed unsigned shorts, CF-1.7): unpacked, fill skipped, same numbers as netCDF4-python", async () => {
    const d = await extractScientificBinary(path.join(simDir, "20171025_2056.Cloud_Top_Height.nc"), "HDF5")
    expect([d.program, d.format]).toEqual(["NetCDF", "netcdf4"])
    expect(d.title).toBe("ABI L2 Cloud Top Height")
    expect(d.metadata.dimensions).toMatchObject({ y: 300, x: 500, number_of_time_bounds: 2 })
    const ht = variable(d, "HT")
    expect(ht.dims).toEqual(["y", "x"])
    expect(ht.units).toBe("m")
    expect(ht.standard_name).toBe("geopotential_height_at_cloud_top")
    // netCDF4-python: count 92568, masked 57432, min 0, max 15430.489, mean 7429.0526, std 4901.0597.
    expect(ht.stats).toMatchObject({ count: 92568, missing: 57432, min: 0 })
    expect(ht.stats!.max).toBeCloseTo(15430.489, 2)
    // (netCDF4-python unpacks in float32, we in float64: agreement to ~1e-7 relative.)
    expect(ht.stats!.mean).toBeCloseTo(7429.0526, 2)
    expect(ht.stats!.std).toBeCloseTo(4901.0597, 2)
    expect(d.text).toContain("packed data: statistics are of unpacked values = stored × 0.3052037 + 0")
    expect(d.text).toContain("_FillValue 65535")
    const y = variable(d, "y")
    expect(y.stats!.min).toBeCloseTo(0.0427, 5)
    expect(y.stats!.max).toBeCloseTo(0.12642, 5)
    checkGolden("20171025_2056.Cloud_Top_Height.nc", d)
  })

  it("netCDF-4: ASCAT soil moisture (issue671.nc) and NASA GOLD (test_gold.nc)", async () => {
    const sm = await extractNetcdf(path.join(simDir, "issue671.nc"))
    expect([sm.program, sm.format]).toEqual(["NetCDF", "netcdf4"])
    expect(sm.title).toBe("ASCAT Level 2 Surface Soil Moisture Index in 12.5 km Swath Grid")
    expect(sm.metadata.dimensions).toEqual({ numRows: 3164, numCells: 82 })
    const s = variable(sm, "soil_moisture")
    expect(s.units).toBe("percent")
    expect(s.stats).toMatchObject({ count: 50367, min: 0 })
    expect(s.stats!.max).toBeCloseTo(100, 4)
    expect(s.stats!.mean).toBeCloseTo(50.500015, 4)
    expect(sm.metadata.ncProperties).toBe("version=1|netcdflibversion=4.4.1|hdf5libversion=1.8.17")
    expect(sm.text).toContain("written by netCDF library 4.4.1 with HDF5 1.8.17")

    const gold = await extractNetcdf(path.join(simDir, "test_gold.nc"))
    expect([gold.program, gold.format]).toEqual(["NetCDF", "netcdf4"])
    expect(gold.title).toBe("GOLD Level 1C spectral radiance image in Rayleighs")
    expect(gold.metadata.dimensions).toEqual({ n_ns: 1, n_ew: 1, n_wavelength: 800, UTC_String_Length: 24 })
    const rad = variable(gold, "RADIANCE")
    expect(rad.units).toBe("Rayleighs/nm")
    expect(rad.dims).toEqual(["n_ns", "n_ew", "n_wavelength"])
    expect(rad.stats!.count).toBe(800)
    expect(rad.stats!.min).toBeCloseTo(-31.467459, 4)
    expect(rad.stats!.mean).toBeCloseTo(-1.928722, 4)
    // netCDF char arrays come out as strings, and pure dimensions are not listed as variables.
    expect(gold.text).toContain('values: "2019-01-01T08:03:34.118Z"')
    expect(vars(gold).some((v) => v.path === "n_wavelength")).toBe(false)
  })

  it("HDF5: NREL rex wave and solar files: named dimensions from attributes, compound meta tables, time strings", async () => {
    const wave = await extractScientificBinary(path.join(simDir, "ri_wave_2010.h5"), "HDF5")
    expect([wave.program, wave.format]).toEqual(["HDF5", "hdf5"])
    const hs = variable(wave, "/significant_wave_height")
    expect(hs.dims).toEqual(["time", "position"])
    expect(hs.shape).toEqual([2920, 100])
    expect(hs.units).toBe("m")
    // h5py: min 4e-05, max 0.78671, mean 0.016514176, std 0.04821203.
    expect(hs.stats!.count).toBe(292000)
    expect(hs.stats!.mean).toBeCloseTo(0.016514176, 6)
    expect(hs.stats!.std).toBeCloseTo(0.04821203, 6)
    expect(wave.text).toContain('"2010-01-01 00:00:00+00:00", "2010-01-01 03:00:00+00:00", …, "2010-12-31 21:00:00+00:00" (2,920 strings)')
    expect(variable(wave, "/meta").members!.map((m) => m.name)).toEqual(["latitude", "longitude", "water_depth", "timezone", "distance", "jurisdiction"])

    const buoy = await extractHdf5(path.join(simDir, "test_virutal_buoy.h5"))
    expect([buoy.program, buoy.format]).toEqual(["HDF5", "hdf5"])
    expect(variable(buoy, "/directional_wave_spectrum").dims).toEqual(["time", "frequency", "direction", "position"])
    expect(variable(buoy, "/directional_wave_spectrum").units).toBe("m^2 Hz^-1 deg^-1")
    expect(buoy.text).toContain("values: [0.035, 0.0385, 0.0424")

    const nsrdb = await extractHdf5(path.join(simDir, "nsrdb_means.h5"))
    expect([nsrdb.program, nsrdb.format]).toEqual(["HDF5", "hdf5"])
    // h5py: dni min 3.96, max 4.776, mean 4.61152; meta population mean -2930.93.
    expect(variable(nsrdb, "/dni").stats!.mean).toBeCloseTo(4.61152, 4)
    expect(variable(nsrdb, "/meta").members!.find((m) => m.name === "population")!.stats!.mean).toBeCloseTo(-2930.93, 2)
    expect(nsrdb.text).toContain('state (string (30 bytes)): 4 distinct: "Rhode Island" (57)')
  })

  it("HDF5: phono3py kappa file for Si: recognised layout, documented units, conductivity table", async () => {
    const d = await extractHdf5(path.join(simDir, "kappa-m111111_si_pbesol.hdf5"))
    expect([d.program, d.format]).toEqual(["HDF5", "hdf5"])
    expect(d.metadata.producer).toBe("phono3py")
    expect(variable(d, "/kappa").units).toBe("W/m-K")
    expect(variable(d, "/temperature").units).toBe("K")
    expect(d.text).toContain("phono3py version 3.28.0")
    expect(d.text).toContain("| 300 | 110.54 | 110.54 | 110.54 |")
    expect(variable(d, "/mode_kappa").shape).toEqual([5, 56, 6, 6])
    checkGolden("kappa-m111111_si_pbesol.hdf5", d)
  })
})

// ---------------------------------------------------------------------------------------------------
// Tables: parsing details and bounded memory on a large synthetic file.

describe("CSV/TSV table reader", () => {
  it("splits quoted fields, detects tab delimiters, units in headers, comments, multi-line quoted cells", () => {
    expect(splitRecord('a,"b,c","d ""e"""', ",")).toEqual(["a", "b,c", 'd "e"'])
    expect(splitUnit("co2 (ppm)")).toEqual({ name: "co2", unit: "ppm" })
    expect(splitUnit("T [K]")).toEqual({ name: "T", unit: "K" })
    expect(splitUnit("x (1)")).toEqual({ name: "x (1)", unit: null })
    const r = createTableReader({ name: "obs.tsv" })
    for (const l of [
      "# station: Mauna Loa",
      "time\tco2 (ppm)\tsite\tnote",
      "2020-01-01\t413.2\tMLO\t\"first",
      "line\"",
      "2020-01-02\tNA\tMLO\tok",
      "2020-01-03\t414.0\tSPO\tok"
    ])
      r.feed(l)
    const d = r.finish()
    expect([d.program, d.format]).toEqual(["TSV", "tsv"])
    expect(d.metadata.rows).toBe(3)
    expect(d.metadata.units).toEqual({ co2: "ppm" })
    expect(d.metadata.comments).toEqual(["# station: Mauna Loa"])
    expect(column(d, "time").type).toBe("date")
    expect(column(d, "co2")).toMatchObject({ type: "numeric", count: 2, missing: 1, min: 413.2, max: 414 })
    expect(column(d, "site")).toMatchObject({ type: "categorical", distinct: 2 })
    expect(d.text).toContain("| 2 | co2 | numeric | ppm | 2 | 1 |")
  })

  it("streams a 200,000-row CSV into a small document with exact statistics", async () => {
    const dir = tempDir()
    const file = path.join(dir, "big.csv")
    const n = 200_000
    const lines: string[] = ["step,time (ps),energy (kJ/mol),phase,label"]
    for (let i = 0; i < n; i++) lines.push(`${i},${(i * 0.002).toFixed(3)},${(-1000 + (i % 100)).toString()},${i % 3 === 0 ? "solid" : "liquid"},id-${i}`)
    writeFileSync(file, lines.join("\n") + "\n")
    const bytes = Buffer.byteLength(lines.join("\n")) + 1
    const t0 = performance.now()
    const d = await readTable(file)
    const seconds = (performance.now() - t0) / 1000
    console.log(`[scicurate] table reader: ${(bytes / 1e6).toFixed(1)} MB, ${n} rows in ${seconds.toFixed(2)} s = ${(bytes / 1e6 / seconds).toFixed(1)} MB/s`)
    expect(d.metadata.rows).toBe(n)
    expect(d.text.length).toBeLessThan(16_000)
    expect(JSON.stringify(d.metadata).length).toBeLessThan(16_000)
    expect(column(d, "step")).toMatchObject({ type: "integer", count: n, min: 0, max: n - 1, mean: (n - 1) / 2 })
    expect(column(d, "energy")).toMatchObject({ unit: "kJ/mol", min: -1000, max: -901 })
    expect(column(d, "energy").mean).toBeCloseTo(-950.5, 6)
    expect(column(d, "phase")).toMatchObject({ type: "categorical", distinct: 2 })
    // 200,000 distinct labels: counted up to a cap, not kept.
    expect(column(d, "label")).toMatchObject({ type: "text", distinct: null })
    const sampled = d.metadata.sampledRows as number[]
    expect(sampled.length).toBe(10)
    expect(sampled[0]).toBe(1)
    expect(sampled[sampled.length - 1]).toBe(n)
    // Evenly spread: no gap larger than a quarter of the file.
    for (let i = 1; i < sampled.length; i++) expect(sampled[i]! - sampled[i - 1]!).toBeLessThan(n / 4)
  })

  it("keeps memory bounded: 2,000,000 rows under a 96 MB heap, heap after 2M rows within 8 MB of the heap after 200k", () => {
    const dir = tempDir()
    const script = path.join(dir, "mem.ts")
    const tableUrl = pathToFileURL(path.join(repoRoot, "src/ingest/simulation/table.ts")).href
    writeFileSync(
      script,
      `import { createTableReader } from ${JSON.stringify(tableUrl)}
const r = createTableReader()
r.feed("x,y,name,category")
const heap = () => { globalThis.gc(); return process.memoryUsage().heapUsed }
let at200k = 0
for (let i = 0; i < 2_000_000; i++) {
  r.feed(i + "," + Math.sin(i) + ",name-" + i + "," + (i % 7))
  if (i === 200_000) at200k = heap()
}
const at2m = heap()
const d = r.finish()
console.log(JSON.stringify({ at200k, at2m, rows: d.metadata.rows, chars: d.text.length }))
`
    )
    const res = spawnSync(process.execPath, ["--expose-gc", "--max-old-space-size=96", script], { encoding: "utf8" })
    expect(res.status, res.stderr).toBe(0)
    const out = JSON.parse(res.stdout.trim().split("\n").pop()!) as { at200k: number; at2m: number; rows: number; chars: number }
    expect(out.rows).toBe(2_000_000)
    expect(out.chars).toBeLessThan(16_000)
    expect(out.at2m - out.at200k).toBeLessThan(8 * 1024 * 1024)
  })

  it("throws a clear error for an input with no rows", () => {
    const r = createTableReader()
    r.feed("# only a comment")
    expect(() => r.finish()).toThrow(/no data rows/)
  })
})

// ---------------------------------------------------------------------------------------------------
// NetCDF classic / 64-bit offset: a small writer for files with record variables and packing.

type NcType = "byte" | "char" | "short" | "int" | "float" | "double"
const NC_CODE: Record<NcType, number> = { byte: 1, char: 2, short: 3, int: 4, float: 5, double: 6 }
const NC_SIZE: Record<NcType, number> = { byte: 1, char: 1, short: 2, int: 4, float: 4, double: 8 }
interface NcAttr {
  name: string
  type: NcType
  value: string | number[]
}
interface NcVar {
  name: string
  dims: number[]
  type: NcType
  attrs: NcAttr[]
  data: number[] | string
}

/** Write a CDF-1 (version 1) or CDF-2 (version 2) file: record variables interleaved per record. */
function writeClassic(file: string, version: 1 | 2, dims: { name: string; size: number }[], numrecs: number, gatts: NcAttr[], variables: NcVar[]): void {
  const parts: Buffer[] = []
  const u32 = (n: number) => {
    const b = Buffer.alloc(4)
    b.writeUInt32BE(n)
    return b
  }
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)])
  const name = (s: string) => Buffer.concat([u32(Buffer.byteLength(s)), pad(Buffer.from(s))])
  const values = (type: NcType, v: string | number[]): Buffer => {
    if (typeof v === "string") return pad(Buffer.from(v, "latin1"))
    const b = Buffer.alloc(v.length * NC_SIZE[type])
    v.forEach((x, i) => {
      if (type === "byte") b.writeInt8(x, i)
      else if (type === "short") b.writeInt16BE(x, 2 * i)
      else if (type === "int") b.writeInt32BE(x, 4 * i)
      else if (type === "float") b.writeFloatBE(x, 4 * i)
      else b.writeDoubleBE(x, 8 * i)
    })
    return pad(b)
  }
  const attrList = (atts: NcAttr[]): Buffer =>
    atts.length === 0
      ? Buffer.concat([u32(0), u32(0)])
      : Buffer.concat([
          u32(0x0c),
          u32(atts.length),
          ...atts.map((a) => Buffer.concat([name(a.name), u32(NC_CODE[a.type]), u32(typeof a.value === "string" ? Buffer.byteLength(a.value, "latin1") : a.value.length), values(a.type, a.value)]))
        ])
  const isRecord = (v: NcVar) => v.dims.length > 0 && dims[v.dims[0]!]!.size === 0
  const slab = (v: NcVar) => (isRecord(v) ? v.dims.slice(1) : v.dims).reduce((a, id) => a * dims[id]!.size, 1) * NC_SIZE[v.type]
  const vsize = (v: NcVar) => Math.ceil(slab(v) / 4) * 4
  const beginBytes = version === 1 ? 4 : 8
  const varEntry = (v: NcVar, begin: number) => {
    const b = Buffer.alloc(beginBytes)
    if (version === 1) b.writeUInt32BE(begin)
    else b.writeBigUInt64BE(BigInt(begin))
    return Buffer.concat([name(v.name), u32(v.dims.length), ...v.dims.map(u32), attrList(v.attrs), u32(NC_CODE[v.type]), u32(vsize(v)), b])
  }
  const header = (begins: number[]) =>
    Buffer.concat([
      Buffer.from([0x43, 0x44, 0x46, version]),
      u32(numrecs),
      Buffer.concat([u32(0x0a), u32(dims.length), ...dims.map((d) => Buffer.concat([name(d.name), u32(d.size)]))]),
      attrList(gatts),
      Buffer.concat([u32(0x0b), u32(variables.length), ...variables.map((v, i) => varEntry(v, begins[i]!))])
    ])
  const headerSize = header(variables.map(() => 0)).length
  const begins: number[] = []
  let at = headerSize
  for (const v of variables) if (!isRecord(v)) (begins[variables.indexOf(v)] = at), (at += vsize(v))
  const recVars = variables.filter(isRecord)
  const recSize = recVars.reduce((a, v) => a + vsize(v), 0)
  let off = at
  for (const v of recVars) (begins[variables.indexOf(v)] = off), (off += vsize(v))
  parts.push(header(begins))
  for (const v of variables) if (!isRecord(v)) parts.push(values(v.type, v.data))
  for (let r = 0; r < numrecs; r++) {
    for (const v of recVars) {
      const per = slab(v) / NC_SIZE[v.type]
      const data = v.data as number[]
      parts.push(values(v.type, data.slice(r * per, (r + 1) * per)))
    }
  }
  void recSize
  writeFileSync(file, Buffer.concat(parts))
}

function sampleClassic(file: string, version: 1 | 2): void {
  // temp(time, lat, lon): packed shorts, scale 0.5 offset 273.15, one fill; pressure(time): doubles.
  const temp = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, -999, 24, 26, 28, 30, 32, 34]
  writeClassic(
    file,
    version,
    [
      { name: "time", size: 0 },
      { name: "lat", size: 2 },
      { name: "lon", size: 3 },
      { name: "strlen", size: 8 }
    ],
    3,
    [
      { name: "title", type: "char", value: "Synthetic surface temperature" },
      { name: "Conventions", type: "char", value: "CF-1.8" },
      { name: "institution", type: "char", value: "Test Lab" }
    ],
    [
      { name: "lat", dims: [1], type: "float", attrs: [{ name: "units", type: "char", value: "degrees_north" }], data: [10, 20] },
      { name: "station", dims: [1, 3], type: "char", attrs: [], data: "alpha\0\0\0beta\0\0\0\0" },
      {
        name: "temp",
        dims: [0, 1, 2],
        type: "short",
        attrs: [
          { name: "units", type: "char", value: "K" },
          { name: "long_name", type: "char", value: "surface temperature" },
          { name: "scale_factor", type: "float", value: [0.5] },
          { name: "add_offset", type: "float", value: [273.15] },
          { name: "_FillValue", type: "short", value: [-999] }
        ],
        data: temp
      },
      { name: "pressure", dims: [0], type: "double", attrs: [{ name: "units", type: "char", value: "Pa" }], data: [101325, 101300, 101250] }
    ]
  )
}

describe("netCDF classic reader (synthetic files)", () => {
  for (const version of [1, 2] as const) {
    it(`CDF-${version}: record variables interleaved, packing and _FillValue applied, char strings, title`, async () => {
      const file = path.join(tempDir(), `sample-v${version}.nc`)
      sampleClassic(file, version)
      const d = await extractScientificBinary(file, version === 1 ? "netCDF classic" : "netCDF 64-bit offset")
      expect([d.program, d.format]).toEqual(["NetCDF", "netcdf-classic"])
      expect(d.metadata.netcdfVersion).toBe(version === 1 ? "classic" : "64-bit offset")
      expect(d.title).toBe("Synthetic surface temperature")
      expect(d.metadata.dimensions).toEqual({ time: 3, lat: 2, lon: 3, strlen: 8 })
      expect(d.metadata.unlimitedDimensions).toEqual(["time"])
      const temp = variable(d, "temp")
      expect(temp.dims).toEqual(["time", "lat", "lon"])
      // Unpacked: 273.15 + 0.5 * raw over the 17 non-fill values (raw mean 16.94…).
      const raw = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 24, 26, 28, 30, 32, 34]
      const mean = 273.15 + (0.5 * raw.reduce((a, b) => a + b, 0)) / raw.length
      expect(temp.stats).toMatchObject({ count: 17, missing: 1 })
      expect(temp.stats!.min).toBeCloseTo(273.15, 4)
      expect(temp.stats!.max).toBeCloseTo(290.15, 4)
      expect(temp.stats!.mean).toBeCloseTo(mean, 4)
      expect(variable(d, "pressure").stats).toMatchObject({ count: 3, min: 101250, max: 101325 })
      expect(d.text).toContain("values: [101325, 101300, 101250]")
      expect(d.text).toContain('values: "alpha", "beta"')
      expect(d.text).toContain("skipped as missing: _FillValue -999")
      // A tiny slice size changes nothing.
      const sliced = await extractNetcdf(file, { sliceElements: 1 })
      expect(variable(sliced, "temp").stats).toEqual(temp.stats)
    })
  }

  it("throws clear errors: CDF-5, not netCDF, truncated header", async () => {
    const dir = tempDir()
    const cdf5 = path.join(dir, "five.nc")
    writeFileSync(cdf5, Buffer.concat([Buffer.from("CDF\x05"), Buffer.alloc(60)]))
    await expect(extractScientificBinary(cdf5, "netCDF CDF-5")).rejects.toThrow(/CDF-5/)
    const text = path.join(dir, "text.nc")
    writeFileSync(text, "hello world, not a netCDF file")
    await expect(extractNetcdf(text)).rejects.toThrow(/not a netCDF file/)
    const full = path.join(dir, "full.nc")
    sampleClassic(full, 1)
    const cut = path.join(dir, "cut.nc")
    writeFileSync(cut, readFileSync(full).subarray(0, 60))
    await expect(extractNetcdf(cut)).rejects.toThrow(/truncated|not a readable netCDF/)
    await expect(extractHdf5(text)).rejects.toThrow(/cannot open as HDF5: .*(signature|HDF5)/)
  })
})

// ---------------------------------------------------------------------------------------------------
// HDF5: slices, the read budget, NeXus (files made with h5wasm).

describe("HDF5 reader (synthetic files)", () => {
  it("reads a 4,000,000-value dataset in slices with exact statistics; a small read budget samples evenly and says so", async () => {
    await h5ready
    const file = path.join(tempDir(), "big.h5")
    const f = new H5File(file, "w")
    const n = 4_000_000
    const data = new Float32Array(n)
    for (let i = 0; i < n; i++) data[i] = i % 1000
    const ds = f.create_dataset({ name: "signal", data, shape: [2000, 2000], chunks: [250, 2000], compression: "gzip" })
    ds.create_attribute("units", "mV")
    ds.create_attribute("_FillValue", new Float32Array([999]))
    f.close()
    const t0 = performance.now()
    const d = await extractHdf5(file, { sliceElements: 1 << 16 })
    const seconds = (performance.now() - t0) / 1000
    console.log(`[scicurate] HDF5 reader: 16 MB of float32 (gzip) in ${seconds.toFixed(2)} s = ${(16 / seconds).toFixed(1)} MB/s of data`)
    expect([d.program, d.format]).toEqual(["HDF5", "hdf5"])
    const s = variable(d, "/signal")
    expect(s.units).toBe("mV")
    // The _FillValue attribute (999) is honoured: 0…998, each equally often.
    expect(s.stats!.count).toBe(n - n / 1000)
    expect(s.stats!.missing).toBe(n / 1000)
    expect(s.stats!.max).toBe(998)
    expect(s.stats!.mean).toBeCloseTo(499, 6)
    expect(d.text).toContain("chunked 250×2000, deflate level 4")
    const sampled = await extractHdf5(file, { bytesLimit: 1 << 20 })
    const ss = variable(sampled, "/signal")
    expect(ss.stats!.count).toBeLessThan(n / 2)
    expect(ss.stats!.mean).toBeCloseTo(499, 0)
    expect(sampled.text).toMatch(/statistics estimated from [\d,]+ of 4,000,000 values \(\d+ evenly spaced slices; read budget reached\)/)
  })

  it("NeXus: NX_class groups give format nexus, the entry title, the group tree and the plottable signal", async () => {
    await h5ready
    const file = path.join(tempDir(), "scan.nxs")
    const f = new H5File(file, "w")
    f.create_attribute("NX_class", "NXroot")
    const e = f.create_group("entry")
    e.create_attribute("NX_class", "NXentry")
    e.create_dataset({ name: "title", data: "Powder diffraction of Si at 300 K" })
    const s = e.create_group("sample")
    s.create_attribute("NX_class", "NXsample")
    s.create_dataset({ name: "chemical_formula", data: "Si" })
    const t = s.create_dataset({ name: "temperature", data: new Float64Array([300]) })
    t.create_attribute("units", "K")
    const g = e.create_group("data")
    g.create_attribute("NX_class", "NXdata")
    g.create_attribute("signal", "counts")
    g.create_attribute("axes", ["two_theta"])
    const tt = g.create_dataset({ name: "two_theta", data: new Float64Array(Array.from({ length: 100 }, (_, i) => 20 + i * 0.5)) })
    tt.create_attribute("units", "degrees")
    g.create_dataset({ name: "counts", data: new Int32Array(Array.from({ length: 100 }, (_, i) => 100 + ((i * 37) % 50))) })
    f.close()
    const d = await extractScientificBinary(file, "HDF5")
    expect([d.program, d.format]).toEqual(["NeXus", "nexus"])
    expect(d.title).toBe("Powder diffraction of Si at 300 K")
    expect([...(d.metadata.nxClasses as string[])].sort()).toEqual(["NXdata", "NXentry", "NXsample"])
    expect(d.text).toContain("- /entry [NXentry]")
    expect(d.text).toContain("  - /entry/sample [NXsample]")
    expect(d.text).toContain('Plottable data /entry/data: signal "counts" over axes "two_theta"')
    expect(d.text).toContain("values: 300 K")
    expect(variable(d, "/entry/data/two_theta").stats).toMatchObject({ count: 100, min: 20, max: 69.5 })
  })
})

describe("slice plans", () => {
  it("cover every element exactly once in blocks of at most the limit, whatever the shape", () => {
    for (const [shape, limit] of [
      [[2000, 2000], 65536],
      [[3, 5_000_000], 1 << 20],
      [[7, 11, 13, 17], 100],
      [[10], 1 << 20],
      [[5, 56, 6, 6], 1 << 20]
    ] as const) {
      const plan = planSlices(shape, limit)
      const total = shape.reduce((a, b) => a * b, 1)
      let sum = 0
      const seen = new Set<string>()
      for (let b = 0; b < plan.blocks; b++) {
        const { ranges, count } = plan.block(b)
        expect(count).toBeLessThanOrEqual(Math.max(limit, 1))
        expect(ranges.reduce((a, [lo, hi]) => a * (hi - lo), 1)).toBe(count)
        const key = JSON.stringify(ranges)
        expect(seen.has(key)).toBe(false)
        seen.add(key)
        sum += count
      }
      expect(sum).toBe(total)
      expect(chooseBlocks(plan, total, total).sampled).toBe(false)
      if (plan.blocks > 4) expect(chooseBlocks(plan, total, Math.floor(total / 4)).sampled).toBe(true)
    }
  })
})

describe("summary helpers", () => {
  it("formats numbers compactly and spreads sample indices evenly", () => {
    expect(formatNumber(340.14225)).toBe("340.1")
    expect(formatNumber(0.000012346)).toBe("1.235e-5")
    expect(formatNumber(2.5e12)).toBe("2500000000000")
    expect(formatNumber(1.5e15 + 0.5)).toBe("1.5e15")
    expect(formatNumber(-0.30520370602607727, 7)).toBe("-0.3052037")
    expect(evenlySpacedIndices(10, 4)).toEqual([0, 3, 6, 9])
    expect(evenlySpacedIndices(3, 10)).toEqual([0, 1, 2])
  })
})
