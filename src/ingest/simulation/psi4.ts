/**
 * Psi4 output: version, the echoed input file, geometry, basis, SCF iterations and final energy,
 * DFT functional, MP2/CC energies, dipole, frequencies, optimisation, termination.
 */
import { BaseReader, type Rule } from "./base.ts"
import { atomTable, QcModel, recordFailure, renderQc } from "./qc.ts"
import { num } from "./render.ts"
import type { LogProgram, SimulationDocument } from "./types.ts"

class Psi4Reader extends BaseReader {
  private readonly m = new QcModel("Psi4", "psi4-log")
  private scfIter = 0
  private mp2Section = false
  private scsSection = false

  protected readonly rules: ReadonlyArray<Rule> = [
    ["iter ", (l) => {
      const s = /^\s*@(\S+) iter\s+(\S+):\s+(-?\d+\.\d+)/.exec(l)
      if (s === null) return false
      this.scfIter = Number.parseInt(s[2]!, 10) || this.scfIter + 1
      if (this.m.reference === null) this.m.reference = s[1]!
    }],
    ["Final Energy:", (l) => {
      const s = /^\s*@(\S+) Final Energy:\s+(-?\d+\.\d+)/.exec(l)
      if (s === null) return false
      const e = num(s[2])
      this.m.reference = s[1]!
      this.m.scfEnergies.push(e)
      this.m.scfCycles.push(this.scfIter)
      this.scfIter = 0
      this.m.setEnergy(`SCF energy (${s[1]})`, e)
      if (this.m.jobTypes.includes("opt")) this.m.optEnergies.push(e)
    }],
    ["Energy converged.", () => {
      if (this.m.scfConverged === null) this.m.scfConverged = true
    }],
    ["Psi4 ", (l) => {
      const v = /^\s*Psi4 (\S+) release/.exec(l)
      if (v !== null) this.m.version = v[1]!
      else return false
    }],
    ["==> Input File <==", () => {
      let dashes = 0
      this.block = (r) => {
        if (/^-{10,}/.test(r.trim())) {
          dashes++
          return dashes < 2
        }
        if (dashes === 1) {
          if (r.trim() !== "") this.m.input.push(r.trimEnd())
          this.parseInput(r)
        }
        return true
      }
    }],
    ["Molecular point group:", (l) => {
      this.m.pointGroup = l.split(":")[1]!.trim()
    }],
    ["Geometry (in ", (l) => {
      const g = /Geometry \(in (\w+)\), charge = (-?\d+), multiplicity = (\d+)/.exec(l)
      if (g === null) return
      this.m.charge = Number(g[2])
      this.m.multiplicity = Number(g[3])
      this.m.beginGeometry(g[1] === "Angstrom" ? "Angstrom" : g[1]!)
      this.block = atomTable(this.m, 4, (r) => {
        const p = r.trim().split(/\s+/)
        if (p.length >= 4 && /^[A-Za-z]/.test(p[0]!) && Number.isFinite(num(p[1])) && Number.isFinite(num(p[3]))) {
          this.m.atom(p[0]!, num(p[1]), num(p[2]), num(p[3]))
          return true
        }
        return false
      })
    }],
    ["Nuclear repulsion =", (l) => {
      this.m.nuclearRepulsion = num(l.split("=")[1])
    }],
    ["Basis Set: ", (l) => {
      if (this.m.basis === null && !l.includes("(")) this.m.basis = l.split(":")[1]!.trim()
    }],
    ["Number of basis function:", (l) => {
      if (this.m.nBasis === null) this.m.nBasis = num(l.split(":")[1])
    }],
    ["Electrons    =", (l) => {
      this.m.nElectrons = num(l.split("=")[1])
    }],
    ["Nalpha       =", (l) => {
      this.m.nAlpha = num(l.split("=")[1])
    }],
    ["Nbeta        =", (l) => {
      this.m.nBeta = num(l.split("=")[1])
    }],
    ["=> Exchange-Correlation Functional <=", () => {
      this.block = (r) => {
        if (r.trim() === "") return true
        this.m.functional = r.trim().split(/\s+/)[0]!
        return false
      }
    }],
    ["DF-MP2 Energies <", () => {
      this.mp2Section = true
      this.scsSection = false
    }],
    ["SCS-MP2 Energies <", () => {
      this.scsSection = true
    }],
    ["Total Energy              =", (l) => {
      if (!this.mp2Section) return
      this.m.setEnergy(this.scsSection ? "SCS-MP2 total energy" : "MP2 total energy", num(/=\s*(-?\d+\.\d+)/.exec(l)?.[1]))
    }],
    ["Correlation Energy        =", (l) => {
      if (this.mp2Section && !this.scsSection) this.m.setProp("MP2 correlation energy", num(/=\s*(-?\d+\.\d+)/.exec(l)?.[1]), "Hartree")
    }],
    ["total energy", (l) => {
      const c = /^\s*\*\s*(\S+) total energy\s*=\s*(-?\d+\.\d+)/i.exec(l)
      if (c !== null) this.m.setEnergy(`${c[1]} total energy`, num(c[2]))
      else return false
    }],
    ["Dipole Moment: [D]", () => {
      this.block = (r) => {
        const d = /X:\s*(\S+)\s+Y:\s*(\S+)\s+Z:\s*(\S+)\s+Total:\s*(\S+)/.exec(r)
        if (d !== null) this.m.dipole = { x: num(d[1]), y: num(d[2]), z: num(d[3]), total: num(d[4]), unit: "Debye" }
        return false
      }
    }],
    ["Doubly Occupied:", () => this.orbitals(true)],
    ["Freq [cm^-1]", (l) => {
      for (const v of l.replace("Freq [cm^-1]", "").trim().split(/\s+/)) {
        const f = v.endsWith("i") ? -num(v.slice(0, -1)) : num(v)
        this.m.addFrequency(f)
      }
      this.m.addJob("freq")
    }],
    ["Optimization is complete!", () => {
      this.m.optConverged = true
    }],
    ["OPTKING", () => {
      this.m.addJob("opt")
    }],
    ["Psi4 exiting successfully", (l) => {
      if (this.m.status !== "error") this.m.status = "normal"
      this.m.statusLine = l.trim()
    }],
    ["Psi4 encountered an error", (l) => this.fail(l)],
    ["PsiException", (l) => this.fail(l)],
    ["Psi4 wall time for execution:", (l) => {
      const t = /(\d+):(\d+):([\d.]+)/.exec(l)
      if (t !== null) this.m.wallSeconds = Number(t[1]) * 3600 + Number(t[2]) * 60 + num(t[3])
    }],
    ["Warning", (l) => this.warnings.add(l.trim())],
    ["WARNING", (l) => this.warnings.add(l.trim())]
  ]

  private homoSeen = false

  private orbitals(occ: boolean): void {
    // "Doubly Occupied:" rows "1A1 -20.24 2A1 -1.25 ..." then "Virtual:" rows; the last occupied and first virtual energies.
    let mode: "occ" | "virt" = occ ? "occ" : "virt"
    let last: number | null = null
    let firstVirt: number | null = null
    this.block = (r) => {
      const t = r.trim()
      if (t.startsWith("Virtual:")) {
        mode = "virt"
        return true
      }
      if (t.startsWith("Singly Occupied:")) return true
      const pairs = [...t.matchAll(/(\d+[A-Za-z][A-Za-z0-9'"]*)\s+(-?\d+\.\d+)/g)]
      if (pairs.length > 0) {
        for (const p of pairs) {
          const e = num(p[2])
          if (mode === "occ") last = last === null || e > last ? e : last
          else if (firstVirt === null || e < firstVirt) firstVirt = e
        }
        return true
      }
      if (t === "") return true
      this.m.homo = last
      this.m.lumo = firstVirt
      this.homoSeen = true
      return false
    }
  }

  private parseInput(r: string): void {
    const t = r.trim()
    const basis = /^basis\s+(\S+)/i.exec(t)
    if (basis !== null && !t.includes("{")) this.m.basis = basis[1]!.toUpperCase()
    const call = /\b(energy|optimize|opt|frequency|frequencies|freq|gradient|properties|hessian)\(\s*['"]([^'"]+)['"]/i.exec(t)
    if (call !== null) {
      const kind = call[1]!.toLowerCase()
      this.m.addJob(kind.startsWith("opt") ? "opt" : kind.startsWith("freq") || kind === "hessian" ? "freq" : kind)
      if (this.m.method === null) this.m.method = call[2]!.toUpperCase()
    }
  }

  private fail(l: string): void {
    recordFailure(this.m, this.errors, l)
  }

  finish(): SimulationDocument {
    this.flush()
    if (this.m.basis !== null) this.m.basis = this.m.basis.toUpperCase()
    if (this.m.functional !== null && this.m.method === null) this.m.method = this.m.functional
    if (this.m.jobTypes.length === 0) this.m.addJob("energy")
    this.m.inputLabel = "input file"
    return renderQc(this.m, this)
  }
}

export function detectPsi4(head: string): number {
  if (head.includes("Psi4: An Open-Source Ab Initio Electronic Structure Package")) return 0.99
  if (/^\s*Psi4 \S+ release/m.test(head)) return 0.9
  if (head.includes("PSIDATADIR")) return 0.8
  return 0
}

export const PSI4_LOG: LogProgram = { format: "psi4-log", detect: detectPsi4, create: () => new Psi4Reader() }
