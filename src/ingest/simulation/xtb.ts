/**
 * xtb (semi-empirical GFN-xTB) output: version, program call, Hamiltonian (GFN2-xTB, GFN1, GFN-FF),
 * composition table, setup (electrons, electronic temperature, solvation), SCC iterations, HOMO-LUMO
 * gap and Fermi level, the SUMMARY energies, ANCOPT optimisation cycles, frequencies and free energy,
 * dipole, bond-length statistics, wall time.
 */
import { BaseReader, type Rule } from "./base.ts"
import { QcModel, recordFailure, renderQc } from "./qc.ts"
import { Composition, elementFromLabel, num } from "./render.ts"
import type { LogProgram, SimulationDocument } from "./types.ts"

/** Atom count of "1-6, 11, 12, 16, 17". */
function countRanges(s: string): number {
  let n = 0
  for (const part of s.split(",")) {
    const r = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part)
    if (r !== null) n += Number(r[2]) - Number(r[1]) + 1
    else if (/^\s*\d+\s*$/.test(part)) n++
  }
  return n
}

class XtbReader extends BaseReader {
  private readonly m = new QcModel("xtb", "xtb-log")
  private readonly comp = new Composition()
  private hamiltonian: string | null = null
  private readonly bonds: string[] = []
  private gap: number | null = null
  private fermi: number | null = null

  protected readonly rules: ReadonlyArray<Rule> = [
    [":: total energy", (l) => this.summaryEnergy(l, "total energy")],
    ["* total energy  :", (l) => {
      this.m.optEnergies.push(num(/:\s*(-?\d+\.\d+)\s*Eh/.exec(l)?.[1]))
    }],
    ["CYCLE", (l) => {
      const c = /\.{5,}\s*CYCLE\s+(\d+)\s*\.{5,}/.exec(l)
      if (c === null) return false
      this.m.optSteps = Math.max(this.m.optSteps, Number(c[1]))
      this.m.addJob("opt")
    }],
    ["convergence criteria satisfied after", (l) => {
      const c = /after\s+(\d+)\s+iterations/.exec(l)
      if (c !== null) {
        this.m.scfCycles.push(Number(c[1]))
        if (this.m.scfConverged === null) this.m.scfConverged = true
      }
    }],
    ["HL-Gap", (l) => {
      this.gap = num(/(-?\d+\.\d+)\s*eV/.exec(l)?.[1])
    }],
    ["Fermi-level", (l) => {
      this.fermi = num(/(-?\d+\.\d+)\s*eV/.exec(l)?.[1])
    }],
    ["xtb version", (l) => {
      const v = /xtb version\s+(\S+)/.exec(l)
      if (v !== null) this.m.version = v[1]!
    }],
    ["program call", (l) => {
      const c = l.split(":").slice(1).join(":").trim()
      this.m.input.push(c)
      if (/--ohess|--hess/.test(c)) this.m.addJob("freq")
      if (/--opt|--ohess/.test(c)) this.m.addJob("opt")
      if (/--md\b/.test(c)) this.m.addJob("md")
      const chrg = /--chrg\s+(-?\d+)/.exec(c)
      if (chrg !== null) this.m.charge = Number(chrg[1])
      const uhf = /--uhf\s+(\d+)/.exec(c)
      if (uhf !== null) this.m.multiplicity = Number(uhf[1]) + 1
      const solv = /--(alpb|gbsa)\s+(\S+)/.exec(c)
      if (solv !== null) this.m.note("implicit solvation", `${solv[1]!.toUpperCase()} (${solv[2]})`)
      const gfn = /--gfn\s*(\d)/.exec(c)
      if (gfn !== null) this.hamiltonian = `GFN${gfn[1]}-xTB`
      if (/--gfnff/.test(c)) this.hamiltonian = "GFN-FF"
    }],
    ["ID    Z sym.   atoms", () => {
      this.block = (r) => {
        const a = /^\s*\d+\s+\d+\s+([A-Za-z]{1,2})\s+(.+)$/.exec(r)
        if (a === null) return false
        const el = elementFromLabel(a[1]!)
        if (el !== null) this.comp.add(el, countRanges(a[2]!))
        return true
      }
    }],
    ["Hamiltonian  ", (l) => {
      const h = /:\s*Hamiltonian\s+(\S+)/.exec(l)
      if (h !== null) this.hamiltonian = h[1]!
      else return false
    }],
    ["G F N", (l) => {
      const h = /\|\s*G F N\s*(\S)\s*-\s*x T B/.exec(l)
      if (h !== null && this.hamiltonian === null) this.hamiltonian = `GFN${h[1]}-xTB`
      else return false
    }],
    ["# electrons", (l) => {
      this.m.nElectrons = num(/# electrons\s+(\d+)/.exec(l)?.[1])
    }],
    ["# basis functions", (l) => {
      this.m.nBasis = num(/# basis functions\s+(\d+)/.exec(l)?.[1])
    }],
    ["electronic temp.", (l) => this.m.note("electronic temperature", `${num(/temp\.\s+(\S+)/.exec(l)?.[1])} K`)],
    ["GBSA solvation", (l) => {
      if (/true/.test(l)) this.m.note("GBSA solvation", "on")
    }],
    ["GEOMETRY OPTIMIZATION CONVERGED", (l) => {
      this.m.optConverged = true
      const n = /AFTER\s+(\d+)\s+ITERATIONS/.exec(l)
      if (n !== null) this.m.optSteps = Number(n[1])
    }],
    ["FAILED TO CONVERGE GEOMETRY OPTIMIZATION", (l) => {
      this.m.optConverged = false
      this.warnings.add(l.trim().replace(/\*/g, "").trim())
    }],
    ["eigval :", (l) => {
      for (const v of l.split(":")[1]!.trim().split(/\s+/)) {
        const f = num(v)
        if (Number.isFinite(f) && Math.abs(f) > 1e-3) this.m.addFrequency(f)
      }
      this.m.addJob("freq")
    }],
    [":: total free energy", (l) => this.thermo(l, "total free energy (G)")],
    [":: zero point energy", (l) => this.thermo(l, "zero-point energy")],
    [":: G(RRHO) contrib.", (l) => this.thermo(l, "G(RRHO) contribution")],
    [":: H(0)-H(T)+PV", (l) => this.thermo(l, "H(0)-H(T)+PV")],
    [":: gradient norm", (l) => this.m.setProp("gradient norm", num(/norm\s+(-?\d+\.\d+)/.exec(l)?.[1]), "Eh/a0")],
    [":: HOMO-LUMO gap", (l) => {
      this.gap = num(/gap\s+(-?\d+\.\d+)/.exec(l)?.[1])
    }],
    [":: SCC energy", (l) => this.summaryEnergy(l, "SCC energy")],
    [":: repulsion energy", (l) => this.m.setProp("repulsion energy", num(/energy\s+(-?\d+\.\d+)/.exec(l)?.[1]), "Hartree")],
    [":: -> dispersion", (l) => this.m.setProp("dispersion energy", num(/dispersion\s+(-?\d+\.\d+)/.exec(l)?.[1]), "Hartree")],
    [":: total charge", (l) => {
      const c = num(/charge\s+(-?\d+\.\d+)/.exec(l)?.[1])
      if (Number.isFinite(c)) this.m.charge = Math.round(c) === 0 ? 0 : Math.round(c)
    }],
    ["| TOTAL ENERGY", (l) => this.m.setEnergy("total energy", num(/ENERGY\s+(-?\d+\.\d+)/.exec(l)?.[1]))],
    ["| HOMO-LUMO GAP", (l) => {
      this.gap = num(/GAP\s+(-?\d+\.\d+)/.exec(l)?.[1])
    }],
    ["| TOTAL FREE ENERGY", (l) => this.thermo(l, "total free energy (G)")],
    ["molecular dipole:", () => {
      this.block = (r) => {
        const f = /^\s*full:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/.exec(r)
        if (f !== null) {
          this.m.dipole = { x: num(f[1]), y: num(f[2]), z: num(f[3]), total: num(f[4]), unit: "Debye" }
          return false
        }
        return !/^\s*$/.test(r) || this.m.dipole === null
      }
    }],
    ["av. dist./", () => {
      this.block = (r) => {
        const b = /^\s*\d+\s+(\S+)\s+\d+\s+(\S+)\s+(\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)/.exec(r)
        if (b === null) return false
        if (this.bonds.length < 20) this.bonds.push(`${b[1]}-${b[2]}: ${b[3]} bonds, mean ${Number(b[4]).toFixed(4)} Å (${Number(b[6]).toFixed(4)}–${Number(b[5]).toFixed(4)})`)
        return true
      }
    }],
    ["finished run on", (l) => {
      if (this.m.status !== "error") this.m.status = "normal"
      this.m.statusLine = l.trim().replace(/^\*\s*/, "")
    }],
    ["normal termination of xtb", (l) => {
      if (this.m.status !== "error") this.m.status = "normal"
      this.m.statusLine = l.trim()
    }],
    ["wall-time:", (l) => {
      if (this.m.wallSeconds !== null) return
      const t = /(\d+) d,\s*(\d+) h,\s*(\d+) min,\s*([\d.]+) sec/.exec(l)
      if (t !== null) this.m.wallSeconds = Number(t[1]) * 86400 + Number(t[2]) * 3600 + Number(t[3]) * 60 + num(t[4])
    }],
    ["cpu-time:", (l) => {
      if (this.m.cpuSeconds !== null) return
      const t = /(\d+) d,\s*(\d+) h,\s*(\d+) min,\s*([\d.]+) sec/.exec(l)
      if (t !== null) this.m.cpuSeconds = Number(t[1]) * 86400 + Number(t[2]) * 3600 + Number(t[3]) * 60 + num(t[4])
    }],
    ["abnormal termination of xtb", (l) => this.fail(l)],
    ["#ERROR!", (l) => this.fail(l)],
    ["[ERROR]", (l) => this.fail(l)],
    ["[WARNING]", (l) => this.warnings.add(l.trim())],
    ["WARNING", (l) => this.warnings.add(l.trim())]
  ]

  private summaryEnergy(l: string, label: string): void {
    const e = num(/(-?\d+\.\d+)\s*Eh/.exec(l)?.[1])
    if (!Number.isFinite(e)) return
    this.m.setEnergy(label, e)
    if (label === "total energy") this.m.scfEnergies.push(e)
  }

  private thermo(l: string, label: string): void {
    const v = num(/(-?\d+\.\d+)\s*Eh/.exec(l)?.[1])
    if (Number.isFinite(v)) this.m.setThermo(label, v, "Hartree")
  }

  private fail(l: string): void {
    recordFailure(this.m, this.errors, l)
  }

  finish(): SimulationDocument {
    this.flush()
    if (this.comp.total > 0) this.m.composition = this.comp
    this.m.method = this.hamiltonian ?? "GFN2-xTB"
    this.m.reference = null
    if (this.gap !== null) this.m.setProp("HOMO-LUMO gap", this.gap, "eV")
    if (this.fermi !== null) this.m.setProp("Fermi level", this.fermi, "eV")
    if (this.bonds.length > 0) this.m.note("bond lengths", this.bonds.join("; "))
    if (this.m.jobTypes.length === 0) this.m.addJob("sp")
    this.m.inputLabel = "program call"
    // Reorder energies so the headline is the final total energy.
    const total = this.m.energies.get("total energy")
    if (total !== undefined) {
      this.m.energies.delete("total energy")
      this.m.energies.set("total energy", total)
    }
    return renderQc(this.m, this)
  }
}

export function detectXtb(head: string): number {
  if (/\|\s+x T B\s+\|/.test(head)) return 0.99
  if (/xtb version \d/.test(head)) return 0.95
  if (head.includes("x T B") && head.includes("Grimme")) return 0.9
  return 0
}

export const XTB_LOG: LogProgram = { format: "xtb-log", detect: detectXtb, create: () => new XtbReader() }
