/**
 * Molpro output: version, echoed input, basis library entries, atomic coordinates (Bohr), point group,
 * program steps (SEWARD, RHF-SCF, MP2, CCSD(T), …), "!… STATE … ENERGY" results, SCF iterations,
 * dipole, the final results table, timings and errors.
 */
import { BaseReader, type Rule } from "./base.ts"
import { atomTable, QcModel, recordFailure, renderQc } from "./qc.ts"
import { BOHR_TO_ANGSTROM, num } from "./render.ts"
import type { LogProgram, SimulationDocument } from "./types.ts"

class MolproReader extends BaseReader {
  private readonly m = new QcModel("Molpro", "molpro-log")
  private bannerSeen = false
  private inputActive = false
  private readonly bases = new Set<string>()
  private readonly steps: string[] = []
  private scfIters = 0
  private prevLabels: string[] | null = null
  private summary: Array<[string, number]> = []

  protected readonly rules: ReadonlyArray<Rule> = [
    ["!", (l) => {
      if (this.inputActive) {
        this.inputLine(l)
        return
      }
      const e = /^\s*!(\S+)\s+STATE\s+(\S+)\s+(ENERGY|Energy)\s+(-?\d+\.\d+)/.exec(l)
      if (e !== null) {
        const v = num(e[4])
        const method = e[1]!
        this.m.setEnergy(`${method} energy`, v)
        if (/^(RHF|UHF|RKS|UKS|HF)$/i.test(method)) {
          this.m.scfEnergies.push(v)
          if (this.m.jobTypes.includes("opt")) this.m.optEnergies.push(v)
          if (/K/.test(method)) this.m.reference = method
          else this.m.reference = method
        }
        this.m.method = method
        return
      }
      const t = /^\s*!(.+?)\s+(?:total\s+)?energy\s+(-?\d+\.\d+)\s*$/i.exec(l)
      if (t !== null) {
        this.m.setEnergy(`${t[1]!.trim()} energy`, num(t[2]))
        this.m.method = t[1]!.trim().replace(/\s+STATE.*$/, "")
        return
      }
      const d = /^\s*!(\S+)\s+STATE\s+\S+\s+DIPOLE MOMENT\s+(\S+)\s+(\S+)\s+(\S+)/.exec(l)
      if (d !== null) return
      return false
    }],
    ["default implementation of scratch files", () => {
      this.inputActive = !this.bannerSeen
    }],
    ["Variables initialized", () => {
      this.inputActive = false
    }],
    ["PROGRAM SYSTEM MOLPRO", () => {
      this.bannerSeen = true
      this.inputActive = false
    }],
    ["Version ", (l) => {
      const v = /^\s*Version\s+(\S+)/.exec(l)
      if (v === null || this.m.version !== null) return false
      this.m.version = v[1]!
    }],
    ["Library entry", (l) => {
      const b = /Library entry\s+\S+\s+\S+\s+(\S+)/.exec(l)
      if (b !== null) this.bases.add(b[1]!)
    }],
    ["ATOMIC COORDINATES", () => {
      this.m.beginGeometry("Angstrom")
      this.block = atomTable(this.m, 4, (r) => {
        const p = r.trim().split(/\s+/)
        if (p.length >= 6 && /^\d+$/.test(p[0]!) && Number.isFinite(num(p[2])) && Number.isFinite(num(p[5]))) {
          this.m.atom(p[1]!, num(p[3]) * BOHR_TO_ANGSTROM, num(p[4]) * BOHR_TO_ANGSTROM, num(p[5]) * BOHR_TO_ANGSTROM)
          return true
        }
        return false
      })
    }],
    ["Point group", (l) => {
      const p = /Point group\s+(\S+)/.exec(l)
      if (p !== null) this.m.pointGroup = p[1]!
    }],
    ["NUMBER OF CONTRACTIONS:", (l) => {
      this.m.nBasis = num(/CONTRACTIONS:\s*(\d+)/.exec(l)?.[1])
    }],
    ["NUCLEAR REPULSION ENERGY", (l) => {
      this.m.nuclearRepulsion = num(/ENERGY\s+(-?\d+\.\d+)/.exec(l)?.[1])
    }],
    ["NUMBER OF ELECTRONS:", (l) => {
      const e = /ELECTRONS:\s*(\d+)\+\s*(\d+)-/.exec(l)
      if (e !== null) {
        this.m.nAlpha = Number(e[1])
        this.m.nBeta = Number(e[2])
        this.m.nElectrons = this.m.nAlpha + this.m.nBeta
        this.m.multiplicity = Math.abs(this.m.nAlpha - this.m.nBeta) + 1
      }
    }],
    ["1PROGRAM *", (l) => {
      const p = /PROGRAM \*\s+(.+?)(?:\s{2,}|Author|$)/.exec(l)
      if (p !== null && this.steps.length < 30) this.steps.push(p[1]!.trim())
    }],
    ["ITERATION    DDIFF", () => {
      this.scfIters = 0
      this.block = (r) => {
        const p = r.trim().split(/\s+/)
        if (/^\d+$/.test(p[0] ?? "") && p.length >= 4) {
          this.scfIters = Number(p[0])
          return true
        }
        if (this.scfIters > 0) {
          this.m.scfCycles.push(this.scfIters)
          if (this.m.scfConverged === null) this.m.scfConverged = true
        }
        return false
      }
    }],
    ["No convergence", (l) => {
      this.m.scfConverged = false
      this.warnings.add(l.trim())
    }],
    ["Dipole moment /Debye", (l) => {
      const p = l.split("/Debye")[1]!.trim().split(/\s+/).map(num)
      if (p.length === 3 && p.every(Number.isFinite)) this.m.dipole = { x: p[0]!, y: p[1]!, z: p[2]!, total: Math.hypot(p[0]!, p[1]!, p[2]!), unit: "Debye" }
    }],
    ["Correlation energy", (l) => {
      const c = /Correlation energy\s+(-?\d+\.\d+)/.exec(l)
      if (c !== null) this.m.setProp("correlation energy", num(c[1]), "Hartree")
    }],
    ["SCS-MP2 total energy:", (l) => this.m.setProp("SCS-MP2 total energy", num(/energy:\s*(-?\d+\.\d+)/.exec(l)?.[1]), "Hartree")],
    ["REAL TIME  *", (l) => {
      this.m.wallSeconds = num(/\*\s*([\d.]+) SEC/.exec(l)?.[1])
    }],
    ["CPU TIMES  *", (l) => {
      this.m.cpuSeconds = num(/\*\s*([\d.]+)/.exec(l)?.[1])
    }],
    ["Molpro calculation terminated", (l) => {
      if (this.m.status !== "error") this.m.status = "normal"
      this.m.statusLine = l.trim()
    }],
    ["Variable memory released", (l) => {
      if (this.m.status === null) {
        this.m.status = "normal"
        this.m.statusLine = l.trim()
      }
    }],
    ["GLOBAL ERROR", (l) => this.fail(l)],
    ["? Error", (l) => this.fail(l)],
    ["ERROR", (l) => this.fail(l)],
    ["WARNING", (l) => this.warnings.add(l.trim())],
    ["", (l) => this.maybeSummary(l)]
  ]

  private inputLine(l: string): void {
    const t = l.replace(/\s{3,}!.*$/, "").trimEnd()
    if (t.trim() !== "") this.m.input.push(t)
  }

  /** The closing table: a line of method labels followed by a line with as many energies. */
  private maybeSummary(l: string): void {
    if (this.inputActive) {
      this.inputLine(l)
      return
    }
    if (!this.bannerSeen) return
    const toks = l.trim().split(/\s+/)
    if (toks.length === 0 || toks[0] === "") {
      this.prevLabels = null
      return
    }
    if (this.prevLabels !== null && toks.length === this.prevLabels.length && toks.every((t) => /^-?\d+\.\d+$/.test(t))) {
      this.summary = this.prevLabels.map((lab, i) => [lab, num(toks[i])])
      this.prevLabels = null
      return
    }
    this.prevLabels = toks.length <= 8 && toks.every((t) => /^[A-Z][A-Z0-9()\-+]*$/.test(t)) ? toks : null
  }

  private fail(l: string): void {
    recordFailure(this.m, this.errors, l)
  }

  finish(): SimulationDocument {
    this.flush()
    if (this.bases.size > 0) this.m.basis = [...this.bases].join(", ")
    if (this.steps.length > 0) this.m.note("program steps", this.steps.join(" → "))
    if (this.summary.length > 0) {
      this.m.note("final results table (Hartree)", this.summary.map(([k, v]) => `${k} ${v}`).join(", "))
      this.m.extraMeta.summaryTable = Object.fromEntries(this.summary)
    }
    for (const l of this.m.input.items) {
      const b = /basis\s*=\s*([^\s,;!}]+)/i.exec(l)
      if (b !== null && this.m.basis === null) this.m.basis = b[1]!
      if (/^\s*(optg|opt)\b/i.test(l)) this.m.addJob("opt")
      if (/^\s*(freq|frequencies)\b/i.test(l)) this.m.addJob("freq")
      const t = /^\s*\*\*\*\s*,\s*(.+)$/.exec(l)
      if (t !== null && this.m.title === null) this.m.title = t[1]!.trim()
    }
    if (this.m.jobTypes.length === 0) this.m.addJob("energy")
    if (this.m.reference === null && this.steps.some((s) => /RHF/.test(s))) this.m.reference = "RHF"
    return renderQc(this.m, this)
  }
}

export function detectMolpro(head: string): number {
  if (head.includes("PROGRAM SYSTEM MOLPRO")) return 0.99
  if (/Molpro (calculation|quantum chemistry package)/i.test(head)) return 0.9
  if (head.includes("1PROGRAM *") && head.includes("SEWARD")) return 0.85
  return 0
}

export const MOLPRO_LOG: LogProgram = { format: "molpro-log", detect: detectMolpro, create: () => new MolproReader() }
