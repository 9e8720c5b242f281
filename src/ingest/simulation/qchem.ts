/**
 * Q-Chem output: version, the echoed user input ($rem, $molecule), standard nuclear orientation,
 * point group, basis and electrons, SCF cycles and energies, correlated energies, CIS/TDDFT excited
 * states, optimisation, frequencies and thermochemistry, multipole moments, termination and timing.
 */
import { BaseReader, type Rule } from "./base.ts"
import { atomTable, QcModel, recordFailure, renderQc } from "./qc.ts"
import { num } from "./render.ts"
import type { LogProgram, SimulationDocument } from "./types.ts"

class QchemReader extends BaseReader {
  private readonly m = new QcModel("Q-Chem", "qchem-log")
  private readonly rem = new Map<string, string>()
  private section: string | null = null
  private molLine = 0
  private state: { index: number; energyEv: number; multiplicity?: string; oscillator?: number; totalEnergy?: number } | null = null

  protected readonly rules: ReadonlyArray<Rule> = [
    ["User input:", () => {
      let dashes = 0
      this.block = (r) => {
        if (/^-{20,}/.test(r.trim())) {
          dashes++
          return dashes < 2
        }
        if (r.trim() !== "") this.m.input.push(r.trimEnd())
        this.inputLine(r)
        return true
      }
    }],
    ["Standard Nuclear Orientation", () => {
      this.m.beginGeometry("Angstrom")
      this.block = atomTable(this.m, 4, (r) => {
        const p = r.trim().split(/\s+/)
        if (p.length >= 5 && /^\d+$/.test(p[0]!) && /^[A-Za-z]/.test(p[1]!) && Number.isFinite(num(p[4]))) {
          this.m.atom(p[1]!, num(p[2]), num(p[3]), num(p[4]))
          return true
        }
        return false
      })
    }],
    ["Excited state", (l) => {
      const e = /Excited state\s+(\d+): excitation energy \(eV\) =\s*(-?\d+\.\d+)/.exec(l)
      if (e === null) return false
      this.pushState()
      this.state = { index: Number(e[1]), energyEv: num(e[2]) }
    }],
    ["Total energy for state", (l) => {
      if (this.state !== null) this.state.totalEnergy = num(/:\s*(-?\d+\.\d+)/.exec(l)?.[1])
    }],
    ["Multiplicity:", (l) => {
      if (this.state !== null) this.state.multiplicity = l.split(":")[1]!.trim()
    }],
    ["Strength   :", (l) => {
      if (this.state !== null) this.state.oscillator = num(l.split(":")[1])
    }],
    ["Convergence criterion met", (l) => {
      const c = /^\s*(\d+)\s+(-?\d+\.\d+)/.exec(l)
      if (c !== null) this.m.scfCycles.push(Number(c[1]))
      if (this.m.scfConverged === null) this.m.scfConverged = true
    }],
    ["SCF failed to converge", (l) => {
      this.m.scfConverged = false
      this.warnings.add(l.trim())
    }],
    ["Total energy in the final basis set =", (l) => {
      const e = num(l.split("=")[1])
      this.m.scfEnergies.push(e)
      this.m.setEnergy("SCF energy", e)
      if (this.m.jobTypes.includes("opt")) this.m.optEnergies.push(e)
    }],
    ["total energy =", (l) => {
      const c = /^\s*(\S+)\s+total energy =\s*(-?\d+\.\d+)/i.exec(l)
      if (c === null) return false
      this.m.setEnergy(`${c[1]} total energy`, num(c[2]))
    }],
    ["Q-Chem ", (l) => {
      const v = /^\s*Q-Chem (\d[\w.]*),\s*Q-Chem, Inc/.exec(l) ?? /^\s*Q-Chem (\d[\w.]+) for /.exec(l)
      if (v === null) return false
      if (this.m.version === null || v[1]!.length > this.m.version.length) this.m.version = v[1]!
    }],
    ["Molecular Point Group", (l) => {
      const p = /Molecular Point Group\s+(\S+)/.exec(l)
      if (p !== null) this.m.pointGroup = p[1]!
    }],
    ["Nuclear Repulsion Energy =", (l) => {
      this.m.nuclearRepulsion = num(/=\s*(-?\d+\.\d+)/.exec(l)?.[1])
    }],
    ["beta electrons", (l) => {
      const e = /There are\s+(\d+) alpha and\s+(\d+) beta electrons/.exec(l)
      if (e !== null) {
        this.m.nAlpha = Number(e[1])
        this.m.nBeta = Number(e[2])
        this.m.nElectrons = this.m.nAlpha + this.m.nBeta
      }
    }],
    ["Requested basis set is", (l) => {
      this.m.basis = l.split(" is ")[1]!.trim()
    }],
    ["basis functions", (l) => {
      const b = /shells and (\d+) basis functions/.exec(l)
      if (b !== null) this.m.nBasis = Number(b[1])
      else return false
    }],
    ["OPTIMIZATION CONVERGED", () => {
      this.m.optConverged = true
    }],
    ["Optimization Cycle:", (l) => {
      this.m.optSteps = Math.max(this.m.optSteps, num(/Cycle:\s*(\d+)/.exec(l)?.[1]) || 0)
      this.m.addJob("opt")
    }],
    ["Frequency:", (l) => {
      for (const v of l.split("Frequency:")[1]!.trim().split(/\s+/)) this.m.addFrequency(num(v))
      this.m.addJob("freq")
    }],
    ["IR Intens:", (l) => {
      for (const v of l.split("IR Intens:")[1]!.trim().split(/\s+/)) this.m.addIrIntensity(num(v))
    }],
    ["Zero point vibrational energy:", (l) => this.m.setThermo("zero-point vibrational energy", num(/:\s*(-?\d+\.\d+)/.exec(l)?.[1]), "kcal/mol")],
    ["Total Enthalpy:", (l) => this.m.setThermo("total enthalpy correction", num(/:\s*(-?\d+\.\d+)/.exec(l)?.[1]), "kcal/mol")],
    ["Total Entropy:", (l) => this.m.setThermo("total entropy", num(/:\s*(-?\d+\.\d+)/.exec(l)?.[1]), "cal/(mol K)")],
    ["Dipole Moment (Debye)", () => {
      let x = Number.NaN
      let y = Number.NaN
      let z = Number.NaN
      this.block = (r) => {
        const c = /X\s+(\S+)\s+Y\s+(\S+)\s+Z\s+(\S+)/.exec(r)
        if (c !== null) {
          x = num(c[1])
          y = num(c[2])
          z = num(c[3])
          return true
        }
        const t = /Tot\s+(\S+)/.exec(r)
        if (t !== null) this.m.dipole = { x, y, z, total: num(t[1]), unit: "Debye" }
        return false
      }
    }],
    ["-- Occupied --", () => {
      if (this.m.homo !== null && this.m.lumo !== null) return
      let mode: "occ" | "virt" = "occ"
      let last: number | null = null
      let first: number | null = null
      this.block = (r) => {
        const t = r.trim()
        if (t.startsWith("-- Virtual --")) {
          mode = "virt"
          return true
        }
        const vals = t.split(/\s+/).map(num)
        if (t !== "" && vals.every(Number.isFinite)) {
          if (mode === "occ") last = vals[vals.length - 1]!
          else if (first === null) first = vals[0]!
          return true
        }
        if (mode === "virt" || t.startsWith("--------") || t.includes("Beta MOs")) {
          this.m.homo = last
          this.m.lumo = first
          return false
        }
        return true
      }
    }],
    ["Thank you very much for using Q-Chem", (l) => {
      if (this.m.status !== "error") this.m.status = "normal"
      this.m.statusLine = l.trim().replace(/^\*\s*|\s*\*$/g, "")
    }],
    ["Total job time:", (l) => {
      const t = /([\d.]+)s\(wall\),\s*([\d.]+)s\(cpu\)/.exec(l)
      if (t !== null) {
        this.m.wallSeconds = num(t[1])
        this.m.cpuSeconds = num(t[2])
      }
    }],
    ["Q-Chem fatal error", (l) => this.fail(l)],
    ["error", (l) => {
      if (/fatal|aborting|error occurred/i.test(l)) this.fail(l)
      else return false
    }],
    ["Warning", (l) => this.warnings.add(l.trim())],
    ["WARNING", (l) => this.warnings.add(l.trim())]
  ]

  private pushState(): void {
    if (this.state !== null) this.m.excited.push(this.state)
    this.state = null
  }

  private inputLine(r: string): void {
    const t = r.trim()
    const sec = /^\$(\w+)/.exec(t)
    if (sec !== null) {
      this.section = sec[1]!.toLowerCase() === "end" ? null : sec[1]!.toLowerCase()
      this.molLine = 0
      return
    }
    if (this.section === "rem") {
      const kv = /^(\w+)\s*=?\s*(\S+)/.exec(t)
      if (kv !== null && !this.rem.has(kv[1]!.toLowerCase())) this.rem.set(kv[1]!.toLowerCase(), kv[2]!)
    } else if (this.section === "molecule") {
      this.molLine++
      const cm = /^(-?\d+)\s+(\d+)$/.exec(t)
      if (this.molLine === 1 && cm !== null) {
        this.m.charge = Number(cm[1])
        this.m.multiplicity = Number(cm[2])
      }
    } else if (this.section === "comment" && this.m.title === null && t !== "") this.m.title = t
  }

  private fail(l: string): void {
    recordFailure(this.m, this.errors, l)
  }

  finish(): SimulationDocument {
    this.flush()
    this.pushState()
    const method = this.rem.get("method") ?? this.rem.get("exchange")
    if (method !== undefined) this.m.method = method.toUpperCase()
    const corr = this.rem.get("correlation")
    if (corr !== undefined && corr.toLowerCase() !== "none") this.m.method = corr.toUpperCase()
    const ex = this.rem.get("exchange")
    if (ex !== undefined && !/^hf$/i.test(ex)) this.m.functional = ex.toUpperCase()
    const basis = this.rem.get("basis")
    if (basis !== undefined && this.m.basis === null) this.m.basis = basis.toUpperCase()
    const job = this.rem.get("jobtype")
    this.m.addJob(job !== undefined ? job.toLowerCase() : "sp")
    if (this.m.excited.total > 0) this.m.addJob(/cis/i.test(method ?? "") ? "cis" : "td")
    for (const k of ["cis_n_roots", "cis_singlets", "cis_triplets", "scf_convergence", "unrestricted"]) {
      const v = this.rem.get(k)
      if (v !== undefined) this.m.note(`$rem ${k}`, v)
    }
    this.m.extraMeta.rem = Object.fromEntries(this.rem)
    this.m.inputLabel = "user input"
    return renderQc(this.m, this)
  }
}

export function detectQchem(head: string): number {
  if (head.includes("Welcome to Q-Chem")) return 0.99
  if (/Q-Chem \d[\w.]*,\s*Q-Chem, Inc/.test(head)) return 0.95
  if (head.includes("Q-Chem begins on")) return 0.9
  return 0
}

export const QCHEM_LOG: LogProgram = { format: "qchem-log", detect: detectQchem, create: () => new QchemReader() }
