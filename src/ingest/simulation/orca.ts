/**
 * ORCA (4–6) output: the input echo ("! keywords", "* xyz charge mult"), basis, Hamiltonian settings,
 * the last Cartesian geometry, SCF convergence and energies, correlated energies, optimisation cycles,
 * vibrational frequencies with IR intensities, thermochemistry, TD-DFT/CIS states, orbital energies,
 * dipole moment, termination and run time.
 */
import { BaseReader, type Rule } from "./base.ts"
import { QcModel, renderQc } from "./qc.ts"
import { num } from "./render.ts"
import type { LogProgram, SimulationDocument } from "./types.ts"

const ORCA_METHODS =
  /^(hf|rhf|uhf|rohf|mp2|ri-mp2|scs-mp2|dlpno-mp2|ccsd|ccsd\(t\)|dlpno-ccsd|dlpno-ccsd\(t\)|qcisd\(t\)|casscf|nevpt2|cis|cis\(d\)|b3lyp|b3lyp\/g|pbe|pbe0|bp86|blyp|tpss|tpssh|r2scan|r2scan-3c|b97-3c|pbeh-3c|hf-3c|wb97x|wb97x-d3|wb97x-v|wb97m-v|m06|m06-2x|m06l|b2plyp|dsd-pbep86|cam-b3lyp|revpbe|gfn2-xtb|xtb2|am1|pm3|zindo\/s)$/i
const ORCA_JOBS: Record<string, string> = { opt: "opt", copt: "opt", zopt: "opt", optts: "optts", freq: "freq", numfreq: "freq", anfreq: "freq", sp: "sp", engrad: "gradient", md: "md", neb: "neb", "neb-ts": "neb", irc: "irc", scan: "scan" }

class OrcaReader extends BaseReader {
  private readonly m = new QcModel("ORCA", "orca-log")
  private exchange: string | null = null
  private correlation: string | null = null
  private hybridFraction: number | null = null
  private readonly fosc = new Map<number, number>()
  private readonly states: Array<{ index: number; energyEv: number }> = []

  protected readonly rules: ReadonlyArray<Rule> = [
    ["|", (l) => this.inputLine(l)],
    ["FINAL SINGLE POINT ENERGY", (l) => {
      const e = num(/FINAL SINGLE POINT ENERGY\s+(\S+)/.exec(l)?.[1])
      this.m.setEnergy("single-point energy", e)
      if (this.m.jobTypes.includes("opt") || this.m.optSteps > 0) this.m.optEnergies.push(e)
    }],
    ["Total Energy       :", (l) => {
      const e = num(/:\s*(-?\d+\.\d+) Eh/.exec(l)?.[1])
      if (Number.isFinite(e)) {
        this.m.scfEnergies.push(e)
        this.m.setEnergy("SCF energy", e)
      }
    }],
    ["SCF CONVERGED AFTER", (l) => {
      this.m.scfCycles.push(num(/AFTER\s+(\d+)/.exec(l)?.[1]))
      if (this.m.scfConverged === null) this.m.scfConverged = true
    }],
    ["SCF NOT CONVERGED", () => {
      this.m.scfConverged = false
      this.warnings.add("SCF not converged")
    }],
    ["MP2 TOTAL ENERGY:", (l) => this.m.setEnergy("MP2 total energy", num(/ENERGY:\s*(-?\d+\.\d+)/.exec(l)?.[1]))],
    ["E(CCSD(T))", (l) => this.m.setEnergy("CCSD(T) total energy", num(/\.\.\.\s*(-?\d+\.\d+)/.exec(l)?.[1]))],
    ["E(CCSD)", (l) => this.m.setEnergy("CCSD total energy", num(/\.\.\.\s*(-?\d+\.\d+)/.exec(l)?.[1]))],
    ["CARTESIAN COORDINATES (ANGSTROEM)", () => {
      this.m.beginGeometry("Angstrom")
      let started = false
      this.block = (r) => {
        const t = r.trim()
        if (!started) {
          if (t.startsWith("---")) return true
          started = true
        }
        const p = t.split(/\s+/)
        if (p.length === 4 && Number.isFinite(num(p[1]))) {
          this.m.atom(p[0]!, num(p[1]), num(p[2]), num(p[3]))
          return true
        }
        this.m.endGeometry()
        return false
      }
    }],
    ["GEOMETRY OPTIMIZATION CYCLE", (l) => {
      this.m.optSteps = Math.max(this.m.optSteps, num(/CYCLE\s+(\d+)/.exec(l)?.[1]) || 0)
      this.m.addJob("opt")
    }],
    ["THE OPTIMIZATION HAS CONVERGED", () => {
      this.m.optConverged = true
    }],
    ["The optimization did not converge", () => {
      this.m.optConverged = false
      this.warnings.add("The optimization did not converge")
    }],
    ["VIBRATIONAL FREQUENCIES", () => {
      this.m.resetFrequencies()
      this.m.addJob("freq")
      this.block = (r) => {
        const f = /^\s*\d+:\s+(-?\d+\.\d+) cm\*\*-1/.exec(r)
        if (f !== null) {
          const v = num(f[1])
          if (v !== 0) this.m.addFrequency(v)
          return true
        }
        return !r.includes("NORMAL MODES") && (r.trim() === "" || r.trim().startsWith("---") || /Scaling factor|frequencies/i.test(r))
      }
    }],
    ["IR SPECTRUM", () => {
      let intCol = -1
      this.m.irIntensities.length = 0
      this.block = (r) => {
        const t = r.trim()
        if (intCol < 0) {
          if (/^Mode\s+freq/.test(t)) intCol = t.split(/\s+/).indexOf("Int")
          return t === "" || t.startsWith("---") || intCol < 0 || /^Mode/.test(t)
        }
        if (t === "" || t.startsWith("---") || /cm\*\*-1|km\/mol/.test(t)) return t !== "" || this.m.irIntensities.length === 0
        const p = t.split(/\s+/)
        if (/^\d+:$/.test(p[0]!) && p.length > intCol) {
          this.m.addIrIntensity(num(p[intCol]))
          return true
        }
        return false
      }
    }],
    ["Temperature         ...", (l) => {
      this.m.temperature = num(/\.\.\.\s*([\d.]+)/.exec(l)?.[1])
    }],
    ["Pressure            ...", (l) => {
      this.m.pressure = num(/\.\.\.\s*([\d.]+)/.exec(l)?.[1])
    }],
    ["Zero point energy", (l) => this.thermo(l, "zero-point energy")],
    ["Total thermal energy", (l) => this.thermo(l, "total thermal energy (U)")],
    ["Total Enthalpy", (l) => this.thermo(l, "total enthalpy (H)")],
    ["Total entropy correction", (l) => this.thermo(l, "entropy correction (-T*S)")],
    ["Final Gibbs free energy", (l) => this.thermo(l, "Gibbs free energy (G)")],
    ["Magnitude (Debye)", (l) => {
      const v = num(/:\s*(-?\d+\.\d+)/.exec(l)?.[1])
      if (Number.isFinite(v)) this.m.dipole = { total: v, unit: "Debye" }
    }],
    ["ORBITAL ENERGIES", () => {
      let homo: number | null = null
      let lumo: number | null = null
      let rows = 0
      this.block = (r) => {
        const p = r.trim().split(/\s+/)
        if (p.length >= 4 && /^\d+$/.test(p[0]!) && Number.isFinite(num(p[1]))) {
          rows++
          const occ = num(p[1])
          const e = num(p[2])
          if (occ > 0) homo = e
          else if (lumo === null) lumo = e
          return true
        }
        if (rows === 0) return true
        this.m.homo = homo
        this.m.lumo = lumo
        return false
      }
    }],
    ["STATE ", (l) => {
      const s = /^\s*STATE\s+(\d+):\s+E=\s*(\S+)\s+au\s+(\S+)\s+eV/.exec(l)
      if (s !== null && this.states.length < 200) this.states.push({ index: Number(s[1]), energyEv: num(s[3]) })
    }],
    ["ABSORPTION SPECTRUM VIA TRANSITION ELECTRIC DIPOLE MOMENTS", () => {
      let rows = 0
      this.block = (r) => {
        const p = r.trim().split(/\s+/)
        if (p.length >= 4 && p[1] === "->") {
          this.fosc.set(parseInt(p[2]!, 10), num(p[6]))
          rows++
          return true
        }
        if (p.length >= 4 && /^\d+$/.test(p[0]!) && Number.isFinite(num(p[3]))) {
          this.fosc.set(Number(p[0]), num(p[3]))
          rows++
          return true
        }
        return rows === 0
      }
    }],
    ["Program Version", (l) => {
      const v = /Program Version\s+(\S+)/.exec(l)
      if (v !== null) this.m.version = v[1]!
    }],
    ["Your calculation utilizes the basis:", (l) => {
      this.m.basis = l.split(":")[1]!.trim()
    }],
    ["Number of atoms", (l) => {
      if (this.m.atomCount === null) this.m.atomCount = num(/\.\.\.\s*(\d+)/.exec(l)?.[1])
    }],
    ["Exchange Functional", (l) => {
      this.exchange = /\.\.\.\.\s*(\S+)/.exec(l)?.[1] ?? null
    }],
    ["Correlation Functional", (l) => {
      this.correlation = /\.\.\.\.\s*(\S+)/.exec(l)?.[1] ?? null
    }],
    ["Fraction HF Exchange", (l) => {
      this.hybridFraction = num(/\.\.\.\.\s*(\S+)/.exec(l)?.[1])
    }],
    ["Hartree-Fock type", (l) => {
      this.m.reference = /\.\.\.\.\s*(\S+)/.exec(l)?.[1] ?? null
    }],
    ["Total Charge", (l) => {
      const c = /\.\.\.\.\s*(-?\d+)/.exec(l)
      if (c !== null) this.m.charge = Number(c[1])
    }],
    ["Multiplicity           Mult", (l) => {
      const c = /\.\.\.\.\s*(\d+)/.exec(l)
      if (c !== null) this.m.multiplicity = Number(c[1])
    }],
    ["Number of Electrons    NEL", (l) => {
      this.m.nElectrons = num(/\.\.\.\.\s*(\d+)/.exec(l)?.[1])
    }],
    ["Basis Dimension        Dim", (l) => {
      this.m.nBasis = num(/\.\.\.\.\s*(\d+)/.exec(l)?.[1])
    }],
    ["Nuclear Repulsion      ENuc", (l) => {
      this.m.nuclearRepulsion = num(/\.\.\.\.\s*(-?\d+\.\d+)/.exec(l)?.[1])
    }],
    [" Point group  ", (l) => {
      const p = /Point group\s+\.\.\.\.\s*(\S+)/.exec(l)
      if (p !== null) this.m.pointGroup = p[1]!
    }],
    ["ORCA TERMINATED NORMALLY", (l) => {
      if (this.m.status !== "error") this.m.status = "normal"
      this.m.statusLine = l.trim()
    }],
    ["error termination", (l) => {
      this.m.status = "error"
      this.m.statusLine = l.trim()
      this.errors.add(l.trim())
    }],
    ["TOTAL RUN TIME:", (l) => {
      const t = /(\d+) days (\d+) hours (\d+) minutes (\d+) seconds (\d+) msec/.exec(l)
      if (t !== null) this.m.wallSeconds = Number(t[1]) * 86400 + Number(t[2]) * 3600 + Number(t[3]) * 60 + Number(t[4]) + Number(t[5]) / 1000
    }],
    ["WARNING", (l) => {
      if (/^\s*WARNINGS\s*$/.test(l)) return
      this.warnings.add(l.trim())
    }],
    ["Warning", (l) => {
      if (!l.includes("Please study these warnings")) this.warnings.add(l.trim())
    }],
    ["ERROR", (l) => {
      if (!/ERROR.*(?:threshold|norm)/i.test(l)) this.errors.add(l.trim())
    }]
  ]

  private inputLine(l: string): boolean {
    const e = /^\|\s*\d+>\s?(.*)$/.exec(l)
    if (e === null) return false
    const text = e[1]!.trimEnd()
    if (text.includes("****END OF INPUT****")) return true
    if (text.trim() !== "" && !/^\s*[A-Z][a-z]?\d*\s+-?\d+\.\d+\s+-?\d+\.\d+\s+-?\d+\.\d+\s*$/.test(text)) this.m.input.push(text)
    const t = text.trim()
    if (t.startsWith("!")) {
      for (const k of t.slice(1).trim().split(/\s+/)) {
        const low = k.toLowerCase()
        if (ORCA_JOBS[low] !== undefined) this.m.addJob(ORCA_JOBS[low]!)
        else if (this.m.method === null && ORCA_METHODS.test(low)) this.m.method = k.toUpperCase()
        else if (/^(tddft|cis)$/i.test(low)) this.m.addJob("td")
      }
    }
    const xyz = /^\*\s*(xyz|int|gzmt|xyzfile)\s+(-?\d+)\s+(\d+)/i.exec(t)
    if (xyz !== null) {
      this.m.charge = Number(xyz[2])
      this.m.multiplicity = Number(xyz[3])
    }
    if (/^%tddft/i.test(t)) this.m.addJob("td")
    return true
  }

  private thermo(l: string, label: string): void {
    const v = /(-?\d+\.\d+) Eh/.exec(l)
    if (v !== null) this.m.setThermo(label, num(v[1]), "Hartree")
  }

  finish(): SimulationDocument {
    this.flush()
    if (this.m.method === null && this.exchange !== null) {
      this.m.method = `DFT (${this.exchange} exchange, ${this.correlation ?? "no"} correlation${this.hybridFraction !== null ? `, ${Math.round(this.hybridFraction * 100)}% HF exchange` : ""})`
    }
    if (this.exchange !== null) this.m.functional = `${this.exchange}/${this.correlation ?? "-"}${this.hybridFraction !== null ? ` hybrid, ${Math.round(this.hybridFraction * 100)}% exact exchange` : ""}`
    for (const s of this.states) {
      const f = this.fosc.get(s.index)
      this.m.excited.push(f === undefined ? s : { ...s, oscillator: f })
    }
    if (this.states.length > 0) this.m.addJob("td")
    if (this.m.jobTypes.length === 0) this.m.addJob("sp")
    this.m.inputLabel = "input file"
    return renderQc(this.m, this)
  }
}

export function detectOrca(head: string): number {
  if (head.includes("* O   R   C   A *")) return 0.99
  if (/O\s{3}R\s{3}C\s{3}A/.test(head)) return 0.95
  if (head.includes("Program Version") && head.includes("ORCA")) return 0.8
  return 0
}

export const ORCA_LOG: LogProgram = { format: "orca-log", detect: detectOrca, create: () => new OrcaReader() }
