/**
 * The router (src/ingest/route.ts): one decision for files on disk and archive members. Real abstracts
 * (prose full of numbers) must stay text; real simulation outputs must never fall to text.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { credentialsFileName, hasNumericColumns, routeText } from "../../src/ingest/route.ts"
import { corpusDir, hasCorpus } from "../helpers.ts"

if (!hasCorpus) console.warn("[scicurate tests] ../shared/corpus absent: the router's corpus checks are skipped")

const columns = (rows: number, cols: number) =>
  Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i * 0.37 + j * 1.1).toFixed(3)).join("  ")).join("\n")

describe("routing by name and content", () => {
  it("decides by name first: license files, credential files, certain code", () => {
    expect(routeText("pkg/COPYING", "GNU GENERAL PUBLIC LICENSE")).toEqual({ kind: "license-file" })
    expect(routeText("deploy/.env", "DB_PASSWORD=hunter2\n").kind).toBe("credentials-file")
    expect(routeText("deploy/.env.production", "X=1\n").kind).toBe("credentials-file")
    expect(routeText("keys/id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n").kind).toBe("credentials-file")
    expect(credentialsFileName(".env.example")).toBeNull()
    expect(credentialsFileName("environment.py")).toBeNull()
    expect(routeText("src/solver.py", "import numpy\n")).toEqual({ kind: "code", language: "Python" })
  })

  it("reads a known program's log as a log even when its name suggests code", () => {
    const gaussian = " Entering Gaussian System, Link 0=g09\n Gaussian 09:  EM64L-G09RevD.01 24-Apr-2013\n ******************************************\n"
    const route = routeText("run.h", gaussian)
    expect(route.kind).toBe("log")
  })

  it("takes content-suggested code (.h, .m) once no log matched", () => {
    expect(routeText("grid.h", "#ifndef GRID_H\n#define GRID_H\nint n;\n#endif\n")).toEqual({ kind: "code", language: "C" })
    expect(routeText("f.m", "function y = f(x)\n  y = 2 * x;\nend\n").kind).toBe("code")
  })

  it("keeps Markdown text whatever tables it holds, and reads a real table as one", () => {
    const md = "# Timings\n\n| run | cores | s |\n|---|---|---|\n| 1 | 2 | 10.5 |\n| 2 | 4 | 5.4 |\n| 3 | 8 | 2.9 |\n"
    expect(routeText("results.md", md)).toEqual({ kind: "text" })
    expect(routeText("results", md)).toEqual({ kind: "text" })
    expect(routeText("t.dat", `a,b,c\n${columns(20, 3).replace(/ {2}/g, ",")}\n`)).toEqual({ kind: "table" })
  })

  it("calls output with repeating numeric columns a log, and prose with numbers text", () => {
    expect(hasNumericColumns(columns(30, 4))).toBe(true)
    expect(hasNumericColumns("Step Temp E_pair\n" + columns(30, 3))).toBe(true)
    const prose = "In 2019, 45 of 120 patients (37.5%) responded.\nSurvival was 14.2 months (95% CI 11.0 to 17.9).\nOf 3,200 samples, 2,870 passed at 0.95.\nDoses of 10, 20 and 40 mg were compared.\nAt 40 mg, 8 of 30 responded.\n"
    expect(hasNumericColumns(prose)).toBe(false)
    expect(routeText("summary.txt", prose)).toEqual({ kind: "text" })
  })
})

describe("routing regressions found in review", () => {
  it("reads an optimiser log whose records span lines of different shapes as program output", () => {
    const lines: string[] = []
    for (let i = 1; i <= 20; i++) {
      lines.push(`Step ${i}: E = ${(-76.0231 - i * 0.0004).toFixed(5)} dE = ${(1.2e-3 / i).toExponential(2)}`)
      lines.push(`  max force ${(0.0412 / i).toFixed(4)} rms force ${(0.01 / i).toFixed(4)}`)
    }
    expect(routeText("opt.out", lines.join("\n") + "\n")).toEqual({ kind: "generic-log" })
  })

  it("keeps a Markdown page that quotes a LAMMPS run as text, and reads vasprun.xml as VASP output, not XML code", () => {
    const md = "# Running the melt example\n\nLAMMPS (2 Aug 2023)\n\n```\nStep Temp E_pair\n0 3 -6.77\n50 1.6 -5.76\nLoop time of 0.5 on 1 procs\n```\n"
    expect(routeText("docs/melt.md", md)).toEqual({ kind: "text" })
    const vasprun = '<?xml version="1.0" encoding="ISO-8859-1"?>\n<modeling>\n <generator>\n  <i name="program" type="string">vasp </i>\n  <i name="version" type="string">6.3.0  </i>\n </generator>\n'
    const route = routeText("run/vasprun.xml", vasprun)
    expect(route.kind).toBe("log")
    expect(route.kind === "log" && route.program.format).toBe("vasp-xml")
    expect(routeText("config/settings.xml", '<?xml version="1.0"?>\n<settings><a>1</a></settings>\n').kind).toBe("code")
  })
})

describe.skipIf(!hasCorpus)("routing real files (needs ../shared/corpus)", () => {
  it("keeps every one of the ~3,000 real abstracts as text, numbers and all", () => {
    const dir = path.join(corpusDir, "text")
    let n = 0
    const notText: string[] = []
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".jsonl"))) {
      for (const line of fs.readFileSync(path.join(dir, f), "utf8").split("\n")) {
        if (line.trim() === "") continue
        const { id, text } = JSON.parse(line) as { id: string; text: string }
        // Abstracts are one paragraph; wrap them like a text file (80 columns) to give the line rules a chance.
        const wrapped = text.replace(/(.{1,80})(\s|$)/g, "$1\n")
        const route = routeText("abstract.txt", wrapped)
        n++
        if (route.kind !== "text") notText.push(`${f}:${id} → ${route.kind}`)
      }
    }
    expect(n).toBeGreaterThan(2500)
    expect(notText).toEqual([])
  })

  it("never routes a real simulation output or table to plain text", () => {
    const dir = path.join(corpusDir, "simulation")
    const routed: Record<string, string> = {}
    for (const f of fs.readdirSync(dir).sort()) {
      const bytes = fs.readFileSync(path.join(dir, f))
      if (bytes.subarray(0, 4096).includes(0)) continue // HDF5 / netCDF: binary readers
      routed[f] = routeText(f, bytes.subarray(0, 64 * 1024).toString("utf8")).kind
    }
    expect(Object.keys(routed).length).toBeGreaterThan(25)
    const text = Object.entries(routed).filter(([, kind]) => kind === "text" || kind === "code")
    expect(text).toEqual([])
  })
})
