/**
 * DALTON output: release, the .dal/.mol input echo, basis, atoms and point group, wave-function type,
 * SCF (DIIS) convergence and final HF/DFT energy, coupled-cluster results, warnings and timings.
 */
import { BaseReader, type Rule } from "./base.ts"
import { atomTable, QcModel, recordFailure, renderQc } from "./qc.ts"
import { Composition, elementFromLabel, num } from "./render.ts"
import type { LogProgram, SimulationDocument } from "./types.ts"

class DaltonReader extends BaseReader {
  private readonly m = new QcModel("DALTON", "dalton-log")
  private wave: string | null = null
  private readonly comp = new Composition()

  protected readonly rules: ReadonlyArray<Rule> = [
    ["@", (l) => this.at(l)],
    ["This is output from DALTON", (l) => {
      const v = /DALTON\s*\(?(?:Release\s+)?([^)]+)\)?/i.exec(l.replace("This is output from", ""))
      if (v !== null) this.m.version = v[1]!.replace(/^Release\s+/i, "").replace(/^Dalton\s*/i, "").trim()
    }],
    ["Content of the .dal input file", () => {
      let started = false
      this.block = (r) => {
        const t = r.trim()
        if (!started) {
          if (t.startsWith("---") || t === "") return true
          started = true
        }
        if (t.startsWith("*******")) return false
        if (t !== "") this.m.input.push(r.trimEnd())
        if (/^\.CC\(T\)/i.test(t)) this.m.method = "CCSD(T)"
        else if (/^\.CCSD\b/i.test(t) && this.m.method === null) this.m.method = "CCSD"
        else if (/^\.MP2\b/i.test(t) && this.m.method === null) this.m.method = "MP2"
        else if (/^\.DFT\b/i.test(t)) this.m.method = "DFT"
        return true
      }
    }],
    ["Basis set used is", (l) => {
      const b = /Basis set used is "([^"]+)"/.exec(l)
      if (b !== null) this.m.basis = b[1]!
    }],
    ["Total number of atoms:", (l) => {
      this.m.atomCount = num(l.split(":")[1])
    }],
    ["Full point group is:", (l) => {
      this.m.pointGroup = l.split(":")[1]!.trim()
    }],
    ["label    atoms   charge   prim   cont     basis", () => {
      let skipped = 0
      let rows = 0
      this.block = (r) => {
        const p = r.trim().split(/\s+/)
        if (p.length >= 5 && /^[A-Za-z]/.test(p[0]!) && /^\d+$/.test(p[1]!) && p[0] !== "total:") {
          const el = elementFromLabel(p[0]!)
          if (el !== null) this.comp.add(el, Number(p[1]))
          rows++
          return true
        }
        if (rows === 0 && skipped++ < 3) return true
        return r.trim().startsWith("---") || r.trim().startsWith("total:")
      }
    }],
    ["Cartesian Coordinates (a.u.)", () => {
      // "O       :     1  x   0.0000000000    2  y   0.0000000000    3  z  -0.0666785241"
      this.m.beginGeometry("Bohr")
      this.block = atomTable(this.m, 5, (r) => {
        const c = /^\s*(\S+)(?:\s+\/\s*\d+)?\s*:\s*\d+\s+x\s+(\S+)\s+\d+\s+y\s+(\S+)\s+\d+\s+z\s+(\S+)/.exec(r)
        if (c !== null) {
          this.m.atom(c[1]!, num(c[2]), num(c[3]), num(c[4]))
          return true
        }
        return false
      })
    }],
    ["Total SCF   energy:", (l) => this.m.setEnergy("SCF energy", num(l.split(":")[1]))],
    ["Total MP2   energy:", (l) => this.m.setEnergy("MP2 total energy", num(l.split(":")[1]))],
    ["Total CCSD  energy:", (l) => this.m.setEnergy("CCSD total energy", num(l.split(":")[1]))],
    ["Total energy CCSD(T):", (l) => this.m.setEnergy("CCSD(T) total energy", num(l.split(":")[1]))],
    ["Total CC2   energy:", (l) => this.m.setEnergy("CC2 total energy", num(l.split(":")[1]))],
    ["Total CC3   energy:", (l) => this.m.setEnergy("CC3 total energy", num(l.split(":")[1]))],
    ["energy converged to within", (l) => {
      const c = /^\s*(\S+)\s+energy converged to within\s+(\S+)/.exec(l)
      if (c !== null) this.m.note(`${c[1]} convergence`, `converged to within ${c[2]!.replace(/D/, "e")}`)
    }],
    ["Total CPU  time used in DALTON:", (l) => {
      this.m.cpuSeconds = this.seconds(l)
    }],
    ["Total wall time used in DALTON:", (l) => {
      this.m.wallSeconds = this.seconds(l)
      if (this.m.status !== "error") this.m.status = "normal"
      this.m.statusLine = l.trim().replace(/^>+\s*/, "")
    }],
    ["SEVERE ERROR", (l) => this.fail(l)],
    ["--- ERROR", (l) => this.fail(l)],
    ["WARNING", (l) => {
      let text = l.trim().replace(/^WARNING:\s*/, "")
      this.block = (r) => {
        if (/^\s*WARNING:/.test(r) && text.length < 300) {
          text += ` ${r.trim().replace(/^WARNING:\s*/, "")}`
          return true
        }
        this.warnings.add(text)
        return false
      }
    }]
  ]

  private at(l: string): boolean {
    if (!/^@/.test(l)) return false
    const nuc = /Nuclear repulsion energy\s*:\s*(\S+)/.exec(l)
    if (nuc !== null) {
      this.m.nuclearRepulsion = num(nuc[1])
      return true
    }
    const wf = /For the wave function of type\s*:\s*>>>\s*(.+?)\s*<<</.exec(l)
    if (wf !== null) {
      this.wave = wf[1]!
      return true
    }
    const mult = /Spin multiplicity and 2 M_S\s+(\d+)/.exec(l)
    if (mult !== null) {
      this.m.multiplicity = Number(mult[1])
      return true
    }
    const ch = /Total charge of the molecule\s+(-?\d+)/.exec(l)
    if (ch !== null) {
      this.m.charge = Number(ch[1])
      return true
    }
    const ne = /Number of closed shell electrons\s+(\d+)/.exec(l)
    if (ne !== null) {
      this.m.nElectrons = Number(ne[1])
      return true
    }
    const conv = /\*\*\* DIIS converged in\s+(\d+) iterations/.exec(l)
    if (conv !== null) {
      this.m.scfCycles.push(Number(conv[1]))
      this.m.scfConverged = true
      return true
    }
    if (/DIIS not converged|SCF not converged/i.test(l)) {
      this.m.scfConverged = false
      this.warnings.add(l.replace(/^@\s*/, "").trim())
      return true
    }
    const fin = /Final (HF|DFT|MCSCF) energy:\s+(-?\d+\.\d+)/.exec(l)
    if (fin !== null) {
      const e = num(fin[2])
      this.m.scfEnergies.push(e)
      this.m.setEnergy(`final ${fin[1]} energy`, e)
      if (this.m.reference === null) this.m.reference = fin[1] === "HF" ? "RHF" : fin[1]!
      return true
    }
    return true
  }

  private seconds(l: string): number {
    const t = /:\s*([\d.]+)\s*seconds/.exec(l)
    if (t !== null) return num(t[1])
    const m = /:\s*(?:(\d+) hours?\s*)?(?:(\d+) minutes?\s*)?([\d.]+) seconds?/.exec(l)
    return m === null ? Number.NaN : Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + num(m[3])
  }

  private fail(l: string): void {
    recordFailure(this.m, this.errors, l)
  }

  finish(): SimulationDocument {
    this.flush()
    if (this.comp.total > 0) this.m.composition = this.comp
    if (this.wave !== null) this.m.note("wave function type", this.wave)
    if (this.m.method === null) this.m.method = this.wave ?? this.m.reference
    // DALTON's "Cartesian Coordinates (a.u.)" are in Bohr; convert for display.
    const g = this.m.geometry
    if (g !== null && g.unit === "Bohr") {
      const conv = 0.529177210903
      this.m.beginGeometry("Angstrom")
      for (const a of g.atoms) this.m.atom(a.element, a.x * conv, a.y * conv, a.z * conv)
      this.m.endGeometry()
    }
    this.m.addJob("energy")
    this.m.inputLabel = "input (.dal and .mol)"
    return renderQc(this.m, this)
  }
}

export function detectDalton(head: string): number {
  if (head.includes("Dalton - An Electronic Structure Program")) return 0.99
  if (/This is output from DALTON/i.test(head)) return 0.99
  if (head.includes("DALTON") && head.includes("Content of the .dal input file")) return 0.9
  if (/\*\*DALTON INPUT/.test(head) && head.includes("SIRIUS")) return 0.7
  return 0
}

export const DALTON_LOG: LogProgram = { format: "dalton-log", detect: detectDalton, create: () => new DaltonReader() }
