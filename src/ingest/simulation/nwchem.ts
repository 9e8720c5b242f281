/**
 * NWChem output: job information, geometry (Output coordinates in angstroms), symmetry, basis summary,
 * SCF/DFT energies and iterations, TCE/CC and MP2 energies, optimisation steps, vibrational
 * frequencies, task timings and errors.
 */
import { BaseReader, type Rule } from "./base.ts"
import { atomTable, QcModel, renderQc } from "./qc.ts"
import { elementOf, num } from "./render.ts"
import type { LogProgram, SimulationDocument } from "./types.ts"

class NwchemReader extends BaseReader {
  private readonly m = new QcModel("NWChem", "nwchem-log")
  private readonly bases = new Set<string>()
  private ccIterations = 0
  private readonly modules: string[] = []

  protected readonly rules: ReadonlyArray<Rule> = [
    ["Northwest Computational Chemistry Package", (l) => {
      const v = /\(NWChem\)\s+(\S+)/.exec(l)
      if (v !== null) this.m.version = v[1]!
    }],
    ["Output coordinates in", (l) => {
      this.m.beginGeometry(/angstrom/i.test(l) ? "Angstrom" : "Bohr")
      this.block = atomTable(this.m, 6, (r) => {
        const p = r.trim().split(/\s+/)
        if (p.length >= 6 && /^\d+$/.test(p[0]!) && Number.isFinite(num(p[3]))) {
          const tag = /^[A-Za-z]/.test(p[1]!) && !/^(bq|x)/i.test(p[1]!) ? p[1]! : elementOf(Math.round(num(p[2])))
          this.m.atom(tag, num(p[3]), num(p[4]), num(p[5]))
          return true
        }
        return false
      })
    }],
    ["Group name", (l) => {
      const g = /Group name\s+(\S+)/.exec(l)
      if (g !== null) this.m.pointGroup = g[1]!
    }],
    ["Summary of \"ao basis\"", () => {
      let rows = 0
      this.block = (r) => {
        const t = r.trim()
        if (t === "" || t.startsWith("---") || t.startsWith("Tag")) return rows === 0 || t.startsWith("---")
        const all = /^\*\s+(\S+)\s+on all atoms/.exec(t)
        if (all !== null) {
          this.bases.add(all[1]!)
          rows++
          return true
        }
        const p = t.split(/\s+/)
        if (p.length >= 4 && /^\d+$/.test(p[p.length - 3] ?? "")) {
          this.bases.add(p[1]!)
          rows++
          return true
        }
        return false
      }
    }],
    ["NWChem SCF Module", () => this.module("SCF")],
    ["NWChem DFT Module", () => this.module("DFT")],
    ["NWChem Extensible Many-Electron Theory Module", () => this.module("TCE")],
    ["NWChem MP2 Semi-direct Energy/Gradient Module", () => this.module("MP2")],
    ["NWChem Geometry Optimization", () => {
      this.module("geometry optimization")
      this.m.addJob("opt")
    }],
    ["NWChem Nuclear Hessian and Frequency Analysis", () => {
      this.module("frequency analysis")
      this.m.addJob("freq")
    }],
    ["Vibrational analysis via the FX method", () => this.m.addJob("freq")],
    ["wavefunction    =", (l) => {
      this.m.reference = l.split("=")[1]!.trim()
    }],
    ["functions       =", (l) => {
      this.m.nBasis = num(l.split("=")[1])
    }],
    ["atoms           =", (l) => {
      this.m.atomCount = num(l.split("=")[1])
    }],
    ["charge          =", (l) => {
      this.m.charge = Math.round(num(l.split("=")[1]))
    }],
    ["No. of electrons :", (l) => {
      this.m.nElectrons = num(l.split(":")[1])
    }],
    ["Spin multiplicity :", (l) => {
      const s = l.split(":")[1]!.trim().toLowerCase()
      const map: Record<string, number> = { singlet: 1, doublet: 2, triplet: 3, quartet: 4, quintet: 5 }
      if (map[s] !== undefined) this.m.multiplicity = map[s]!
    }],
    ["Calculation type :", (l) => {
      this.m.method = l.split(":")[1]!.trim()
      this.m.note("TCE calculation type", this.m.method)
    }],
    ["Perturbative correction :", (l) => {
      const p = l.split(":")[1]!.trim()
      if (p !== "none") this.m.note("perturbative correction", p)
    }],
    ["Effective nuclear repulsion energy (a.u.)", (l) => {
      this.m.nuclearRepulsion = num(/\(a\.u\.\)\s+(\S+)/.exec(l)?.[1])
    }],
    ["iter       energy          gnorm", () => {
      let n = 0
      this.block = (r) => {
        const p = r.trim().split(/\s+/)
        if (/^\d+$/.test(p[0] ?? "") && Number.isFinite(num(p[1]))) {
          n = Number(p[0])
          return true
        }
        if (n === 0 && (r.trim() === "" || r.trim().startsWith("---"))) return true
        if (n > 0) this.m.scfCycles.push(n)
        return false
      }
    }],
    ["Total SCF energy =", (l) => {
      const e = num(l.split("=")[1])
      this.m.scfEnergies.push(e)
      this.m.setEnergy("SCF energy", e)
      if (this.m.method === null) this.m.method = this.m.reference ?? "SCF"
      if (this.m.scfConverged === null) this.m.scfConverged = true
      if (this.m.jobTypes.includes("opt")) this.m.optEnergies.push(e)
    }],
    ["Total DFT energy =", (l) => {
      const e = num(l.split("=")[1])
      this.m.scfEnergies.push(e)
      this.m.setEnergy("DFT energy", e)
      if (this.m.scfConverged === null) this.m.scfConverged = true
      if (this.m.jobTypes.includes("opt")) this.m.optEnergies.push(e)
    }],
    ["convergence iter energy", () => {
      // DFT iteration table: count "d=" lines until a blank after data.
      let n = 0
      this.block = (r) => {
        if (/^\s*d=\s*\d/.test(r)) {
          n++
          return true
        }
        if (n === 0) return true
        this.m.scfCycles.push(n)
        return false
      }
    }],
    ["Method XC Potential", (l) => {
      const f = l.trim().replace(/\s*Method XC Potential.*/, "")
      if (f !== "") {
        this.m.functional = f
        this.m.method = f
      }
    }],
    ["Calculation failed to converge", (l) => {
      this.m.scfConverged = false
      this.warnings.add(l.trim())
    }],
    ["CCSD iterations", () => {
      this.ccIterations = 0
      this.block = (r) => {
        const p = r.trim().split(/\s+/)
        if (/^\d+$/.test(p[0] ?? "") && p.length >= 3) {
          this.ccIterations = Number(p[0])
          return true
        }
        if (r.includes("Iterations converged")) {
          this.m.note("CCSD iterations", String(this.ccIterations))
          return false
        }
        return !r.includes("correlation energy")
      }
    }],
    ["total energy / hartree", (l) => {
      const t = /^\s*(\S+)\s+total energy \/ hartree\s+=\s*(\S+)/.exec(l)
      if (t !== null && !t[1]!.includes("[")) this.m.setEnergy(`${t[1]} total energy`, num(t[2]))
    }],
    ["correlation energy / hartree", (l) => {
      const t = /^\s*(\S+)\s+correlation energy \/ hartree\s+=\s*(\S+)/.exec(l)
      if (t !== null && !t[1]!.includes("[")) this.m.setProp(`${t[1]} correlation energy`, num(t[2]), "Hartree")
    }],
    ["Total MP2 energy", (l) => this.m.setEnergy("MP2 total energy", num(/Total MP2 energy\s+(\S+)/.exec(l)?.[1]))],
    ["Optimization converged", () => {
      this.m.optConverged = true
    }],
    ["Step       Energy", () => {
      this.block = (r) => {
        const s = /^@\s+(\d+)\s+(-?\d+\.\d+)/.exec(r)
        if (s !== null) this.m.optSteps = Math.max(this.m.optSteps, Number(s[1]))
        return r.trim() === "" || r.trim().startsWith("----") || s !== null
      }
    }],
    ["P.Frequency", (l) => {
      for (const v of l.replace("P.Frequency", "").trim().split(/\s+/)) {
        const f = num(v)
        if (Number.isFinite(f) && Math.abs(f) > 1e-3) this.m.addFrequency(f)
      }
    }],
    ["Zero-Point correction to Energy", (l) => this.m.setThermo("zero-point correction", num(/=\s*(-?\d+\.\d+)\s*kcal/.exec(l)?.[1]), "kcal/mol")],
    ["Thermal correction to Enthalpy", (l) => this.m.setThermo("thermal correction to enthalpy", num(/=\s*(-?\d+\.\d+)\s*kcal/.exec(l)?.[1]), "kcal/mol")],
    ["Total Entropy", (l) => this.m.setThermo("total entropy", num(/=\s*(-?\d+\.\d+)\s*cal/.exec(l)?.[1]), "cal/(mol K)")],
    ["Task  times  cpu:", () => {}],
    ["Total times  cpu:", (l) => {
      const t = /cpu:\s*([\d.]+)s\s+wall:\s*([\d.]+)s/.exec(l)
      if (t !== null) {
        this.m.cpuSeconds = num(t[1])
        this.m.wallSeconds = num(t[2])
        if (this.m.status !== "error") this.m.status = "normal"
      }
    }],
    ["date          =", (l) => this.m.note("date", l.split("=").slice(1).join("=").trim())],
    ["nproc         =", (l) => this.m.note("processes", l.split("=")[1]!.trim())],
    ["input         =", (l) => this.m.note("input file", l.split("=")[1]!.trim())],
    ["There is an error", (l) => this.err(l)],
    ["error", (l) => {
      if (/ErrorMsg|: error|error code|failed/i.test(l)) this.err(l)
      else return false
    }],
    ["WARNING", (l) => this.warnings.add(l.trim())],
    ["Warning", (l) => this.warnings.add(l.trim())]
  ]

  private module(name: string): void {
    if (this.modules.length < 20) this.modules.push(name)
  }

  private err(l: string): void {
    this.m.status = "error"
    this.m.statusLine = l.trim()
    this.errors.add(l.trim())
  }

  finish(): SimulationDocument {
    this.flush()
    if (this.bases.size > 0) this.m.basis = [...this.bases].join(", ")
    if (this.modules.length > 0) this.m.note("modules run", this.modules.join(", "))
    if (this.m.method !== null) {
      const t = this.m.method
      if (/Coupled-cluster singles & doubles/i.test(t)) {
        const pt = this.m.notes.find(([k]) => k === "perturbative correction")?.[1]
        this.m.method = pt !== undefined ? `CCSD${pt}` : "CCSD"
      }
    }
    if (this.m.jobTypes.length === 0) this.m.addJob("energy")
    return renderQc(this.m, this)
  }
}

export function detectNwchem(head: string): number {
  if (head.includes("Northwest Computational Chemistry Package")) return 0.99
  if (head.includes("NWChem Input Module") || head.includes("nwchem branch")) return 0.9
  return 0
}

export const NWCHEM_LOG: LogProgram = { format: "nwchem-log", detect: detectNwchem, create: () => new NwchemReader() }
