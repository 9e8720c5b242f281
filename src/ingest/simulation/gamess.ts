/**
 * GAMESS-US and Firefly (PC GAMESS) output: version, echoed input cards, run title, $CONTRL/$BASIS
 * options, point group, coordinates, basis and electron counts, SCF iterations and final energy,
 * MP2/CC/DFT energies, optimisation, frequencies, dipole, termination and timing.
 */
import { BaseReader, type Rule } from "./base.ts"
import { QcModel, recordFailure, renderQc } from "./qc.ts"
import { BOHR_TO_ANGSTROM, num } from "./render.ts"
import type { LogProgram, SimulationDocument } from "./types.ts"

class GamessReader extends BaseReader {
  private readonly m = new QcModel("GAMESS", "gamess-log")
  private readonly options = new Map<string, string>()
  private optionBlock = false

  protected readonly rules: ReadonlyArray<Rule> = [
    ["INPUT CARD>", (l) => {
      const t = l.slice(l.indexOf("INPUT CARD>") + 11).trimEnd()
      if (t.trim() !== "") this.m.input.push(t)
    }],
    ["ITER EX", () => this.scfTable()],
    ["ITER EX DEM", () => this.scfTable()],
    ["FINAL ", (l) => {
      const f = /FINAL\s+(?:(\S+)\s+)?ENERGY IS\s+(-?\d+\.\d+)\s+AFTER\s+(\d+)\s+ITERATIONS/.exec(l)
      if (f === null) return false
      const e = num(f[2])
      this.m.scfEnergies.push(e)
      this.m.scfCycles.push(Number(f[3]))
      this.m.setEnergy(`SCF energy${f[1] !== undefined ? ` (${f[1]})` : ""}`, e)
      if (this.m.scfConverged === null) this.m.scfConverged = true
      if (this.m.jobTypes.includes("optimize")) this.m.optEnergies.push(e)
    }],
    ["SCF IS UNCONVERGED", (l) => {
      this.m.scfConverged = false
      this.warnings.add(l.trim())
    }],
    ["E(MP2)=", (l) => this.m.setEnergy("MP2 total energy", num(/E\(MP2\)=\s*(\S+)/.exec(l)?.[1]))],
    ["E(2)=", (l) => this.m.setProp("MP2 correlation energy E(2)", num(/E\(2\)=\s*(\S+)/.exec(l)?.[1]), "Hartree")],
    ["CCSD(T) ENERGY:", (l) => this.m.setEnergy("CCSD(T) total energy", num(/ENERGY:\s*(\S+)/.exec(l)?.[1]))],
    ["CCSD    ENERGY:", (l) => this.m.setEnergy("CCSD total energy", num(/ENERGY:\s*(\S+)/.exec(l)?.[1]))],
    ["Firefly version", (l) => {
      const v = /Firefly version\s+([\d.]+)(?:,\s*build number\s*(\d+))?/.exec(l)
      if (v === null) return false
      if (this.m.version === null) {
        this.m.displayName = "Firefly"
        this.m.program = "Firefly"
        this.m.version = v[2] !== undefined ? `${v[1]} (build ${v[2]})` : v[1]!
      }
    }],
    ["GAMESS VERSION", (l) => {
      const v = /GAMESS VERSION\s*=\s*(.+?)\s*\*?\s*$/.exec(l)
      if (v !== null && this.m.version === null) this.m.version = v[1]!.replace(/\*+$/, "").trim()
    }],
    ["RUN TITLE", () => {
      let n = 0
      this.block = (r) => {
        n++
        if (n === 1 && r.trim().startsWith("---")) return true
        if (r.trim() !== "" && this.m.title === null) this.m.title = r.trim()
        return false
      }
    }],
    ["THE POINT GROUP OF THE MOLECULE IS", (l) => {
      this.m.pointGroup = l.split(" IS ")[1]!.trim()
    }],
    ["COORDINATES (BOHR)", () => this.coords(true)],
    ["COORDINATES OF ALL ATOMS ARE (ANGS)", () => this.coords(false)],
    ["TOTAL NUMBER OF BASIS FUNCTIONS", (l) => {
      this.m.nBasis = num(l.split("=")[1])
    }],
    ["NUMBER OF CARTESIAN GAUSSIAN BASIS FUNCTIONS", (l) => {
      this.m.nBasis = num(l.split("=")[1])
    }],
    ["NUMBER OF ELECTRONS", (l) => {
      this.m.nElectrons = num(l.split("=")[1])
    }],
    ["CHARGE OF MOLECULE", (l) => {
      this.m.charge = num(l.split("=")[1])
    }],
    ["SPIN MULTIPLICITY", (l) => {
      this.m.multiplicity = num(l.split("=")[1])
    }],
    ["STATE MULTIPLICITY", (l) => {
      this.m.multiplicity = num(l.split("=")[1])
    }],
    ["NUMBER OF OCCUPIED ORBITALS (ALPHA)", (l) => {
      this.m.nAlpha = num(l.split("=")[1])
    }],
    ["NUMBER OF OCCUPIED ORBITALS (BETA )", (l) => {
      this.m.nBeta = num(l.split("=")[1])
    }],
    ["TOTAL NUMBER OF ATOMS", (l) => {
      this.m.atomCount = num(l.split("=")[1])
    }],
    ["THE NUCLEAR REPULSION ENERGY IS", (l) => {
      this.m.nuclearRepulsion = num(l.split(" IS ")[1])
    }],
    ["$CONTRL OPTIONS", () => this.optionsBlock()],
    ["BASIS OPTIONS", () => this.optionsBlock()],
    ["$SYSTEM OPTIONS", () => this.optionsBlock()],
    ["EQUILIBRIUM GEOMETRY LOCATED", () => {
      this.m.optConverged = true
    }],
    ["NSERCH:", (l) => {
      const n = /NSERCH:\s*(\d+)/.exec(l)
      if (n !== null) this.m.optSteps = Math.max(this.m.optSteps, Number(n[1]) + 1)
    }],
    ["FREQUENCY:", (l) => {
      for (const tok of l.split("FREQUENCY:")[1]!.trim().split(/\s+/)) {
        if (tok === "I") {
          const last = this.m.frequencies.pop()
          if (last !== undefined) this.m.frequencies.push(-Math.abs(last))
          continue
        }
        const f = num(tok)
        if (Number.isFinite(f) && Math.abs(f) > 1e-3) this.m.addFrequency(f)
      }
    }],
    ["(DEBYE)", () => {
      this.block = (r) => {
        const p = r.trim().split(/\s+/).map(num)
        if (p.length === 4 && p.every(Number.isFinite)) this.m.dipole = { x: p[0]!, y: p[1]!, z: p[2]!, total: p[3]!, unit: "Debye" }
        return false
      }
    }],
    ["TERMINATED NORMALLY", (l) => {
      if (this.m.status !== "error") this.m.status = "normal"
      this.m.statusLine = l.trim()
    }],
    ["TERMINATED -ABNORMALLY-", (l) => this.fail(l)],
    ["EXECUTION OF GAMESS TERMINATED ABNORMALLY", (l) => this.fail(l)],
    ["TOTAL =", (l) => {
      const t = /(CPU|WALL CLOCK)\s+TIME:.*TOTAL =\s*([\d.]+) SECONDS/.exec(l)
      if (t === null) return false
      if (t[1] === "CPU") this.m.cpuSeconds = num(t[2])
      else this.m.wallSeconds = num(t[2])
    }],
    ["Warning", (l) => this.warnings.add(l.trim())],
    ["WARNING", (l) => this.warnings.add(l.trim())],
    ["ERROR", (l) => {
      if (/DIIS ERROR|ERROR=/.test(l)) return false
      this.errors.add(l.trim())
    }]
  ]

  private scfTable(): void {
    let n = 0
    this.block = (r) => {
      const p = r.trim().split(/\s+/)
      if (/^\d+$/.test(p[0] ?? "") && p.length >= 4) {
        n = Number(p[0])
        return true
      }
      return n === 0
    }
  }

  private coords(bohr: boolean): void {
    this.m.beginGeometry("Angstrom")
    let rows = 0
    let skipped = 0
    const f = bohr ? BOHR_TO_ANGSTROM : 1
    this.block = (r) => {
      const p = r.trim().split(/\s+/)
      if (p.length >= 5 && /^[A-Za-z]/.test(p[0]!) && Number.isFinite(num(p[1])) && Number.isFinite(num(p[4]))) {
        this.m.atom(p[0]!, num(p[2]) * f, num(p[3]) * f, num(p[4]) * f)
        rows++
        return true
      }
      if (rows === 0 && skipped++ < 3) return true
      this.m.endGeometry()
      return false
    }
  }

  private optionsBlock(): void {
    let started = false
    this.block = (r) => {
      const t = r.trim()
      if (!started && (t === "" || t.startsWith("---"))) return true
      started = true
      const pairs = [...t.matchAll(/([A-Z][A-Z0-9]*)\s*=\s*(\S+)/g)]
      if (pairs.length === 0) return false
      for (const p of pairs) if (!this.options.has(p[1]!)) this.options.set(p[1]!, p[2]!)
      return true
    }
  }

  private fail(l: string): void {
    recordFailure(this.m, this.errors, l)
  }

  finish(): SimulationDocument {
    this.flush()
    const o = this.options
    const scftyp = o.get("SCFTYP")
    if (scftyp !== undefined) this.m.reference = scftyp
    const run = o.get("RUNTYP")
    if (run !== undefined) this.m.addJob(run.toLowerCase())
    const mplevl = o.get("MPLEVL")
    const dft = o.get("DFTTYP")
    const cc = o.get("CCTYP")
    const ci = o.get("CITYP")
    if (cc !== undefined && cc !== "NONE") this.m.method = cc
    else if (mplevl !== undefined && mplevl !== "0") this.m.method = `MP${mplevl}`
    else if (dft !== undefined && dft !== "NONE") {
      this.m.method = dft
      this.m.functional = dft
    } else if (ci !== undefined && ci !== "NONE") this.m.method = ci
    else if (scftyp !== undefined) this.m.method = scftyp
    const gb = o.get("GBASIS")
    if (gb !== undefined) {
      const ng = o.get("IGAUSS") ?? o.get("NGAUSS")
      const nd = o.get("NDFUNC")
      const np = o.get("NPFUNC")
      let b = gb === "STO" && ng !== undefined ? `STO-${ng}G` : /^N3[1]$|^N21$|^N31$|^N311$/.test(gb) && ng !== undefined ? `${ng}-${gb.slice(1)}G` : gb
      if ((nd !== undefined && nd !== "0") || (np !== undefined && np !== "0")) b += `(${nd ?? 0}d,${np ?? 0}p)`
      this.m.basis = b
    }
    const keep = ["SCFTYP", "RUNTYP", "MPLEVL", "DFTTYP", "CCTYP", "CITYP", "GBASIS", "IGAUSS", "NGAUSS", "ICHARG", "MULT", "COORD", "UNITS", "MAXIT", "EXETYP"]
    const shown = keep.filter((k) => o.has(k)).map((k) => `${k}=${o.get(k)}`)
    if (shown.length > 0) this.m.note("$CONTRL/$BASIS options", shown.join(" "))
    this.m.extraMeta.options = Object.fromEntries(keep.filter((k) => o.has(k)).map((k) => [k, o.get(k)!]))
    if (this.m.displayName === "Firefly") this.m.extraMeta.family = "GAMESS"
    this.m.inputLabel = "input cards"
    return renderQc(this.m, this)
  }
}

export function detectGamess(head: string): number {
  if (head.includes("Firefly version") || head.includes("Firefly Project")) return 0.99
  if (head.includes("GAMESS VERSION") || head.includes("EXECUTION OF GAMESS BEGUN")) return 0.99
  if (head.includes("PC GAMESS") || head.includes("GAMESS execution script")) return 0.95
  if (head.includes("INPUT CARD>") && head.includes("$CONTRL")) return 0.85
  return 0
}

export const GAMESS_LOG: LogProgram = { format: "gamess-log", detect: detectGamess, create: () => new GamessReader() }
