/**
 * Gaussian (03/09/16) output logs: route and title, charge and multiplicity, the last standard
 * orientation, SCF energies and cycles, post-HF energies, optimisation progress, harmonic frequencies
 * with IR/Raman intensities, thermochemistry, excited states, dipole, HOMO/LUMO, termination.
 */
import { BaseReader, type Rule } from "./base.ts"
import { QcModel, renderQc } from "./qc.ts"
import { clip, elementOf, num } from "./render.ts"
import type { LogProgram, SimulationDocument } from "./types.ts"

const JOB_KEYWORDS = new Set(["opt", "freq", "irc", "scan", "td", "tda", "nmr", "stable", "force", "polar", "sp", "ircmax", "admp", "bomd", "cis", "eom"])
const METHOD_ONLY = /^(hf|rhf|uhf|rohf|mp2|mp3|mp4|ccsd|ccsd\(t\)|qcisd|qcisd\(t\)|cisd|cis|casscf|am1|pm3|pm6|pm7|dftb|uff|dreiding|amber|b3lyp|pbe|pbe0|pbepbe|pbe1pbe|m062x|wb97xd|cam-b3lyp|g3|g4|cbs-qb3|w1bd)$/i

function parseRoute(route: string, m: QcModel): void {
  for (const raw of route.split(/\s+/)) {
    const t = raw.trim()
    if (t === "" || /^#[pnt]?$/i.test(t)) continue
    const tok = t.replace(/^#[pnt]?/i, "")
    const slash = /^([A-Za-z0-9()+\-*,']+)\/([^\s=]+)$/.exec(tok)
    if (slash !== null && !tok.includes("=")) {
      if (m.method === null) m.method = slash[1]!.toUpperCase()
      if (m.basis === null) m.basis = slash[2]!.toUpperCase()
      continue
    }
    const base = tok.split(/[=(]/)[0]!.toLowerCase()
    if (JOB_KEYWORDS.has(base)) m.addJob(base)
    else if (m.method === null && METHOD_ONLY.test(base)) m.method = base.toUpperCase()
  }
}

class GaussianReader extends BaseReader {
  private readonly m = new QcModel("Gaussian", "gaussian-log")
  private routeDone = false
  private route = ""
  private titleWatch = false
  private dashLen = -1
  private titleCandidate: string | null = null
  private thermoTotal = false
  private occ: number[] = []
  private sawVirt = false
  private lumoSet = false
  private archive = ""
  private archiveDone = false
  private hpFreqBlock = false

  protected readonly rules: ReadonlyArray<Rule> = [
    ["SCF Done:", (l) => this.scfDone(l)],
    ["Frequencies -- ", (l) => {
      for (const v of l.split("--")[1]!.trim().split(/\s+/)) this.m.addFrequency(num(v))
    }],
    ["IR Inten    -- ", (l) => {
      for (const v of l.split("--")[1]!.trim().split(/\s+/)) this.m.addIrIntensity(num(v))
    }],
    ["Raman Activ -- ", (l) => {
      for (const v of l.split("--")[1]!.trim().split(/\s+/)) this.m.addRamanActivity(num(v))
    }],
    ["Harmonic frequencies", () => {
      if (this.m.frequencies.length > 0) this.m.resetFrequencies()
      this.m.addJob("freq")
    }],
    ["occ. eigenvalues --", (l) => this.eigen(l, true)],
    ["virt. eigenvalues --", (l) => this.eigen(l, false)],
    ["orientation:", (l) => {
      if (!/^\s*(Standard|Input|Z-Matrix) orientation:/.test(l)) return
      this.m.beginGeometry("Angstrom")
      let header = 0
      this.block = (r) => {
        if (header < 4) {
          header++
          return true
        }
        const t = r.trim().split(/\s+/)
        if (t.length >= 6 && /^\d+$/.test(t[0]!)) {
          const z = Number(t[1])
          this.m.atom(elementOf(z), num(t[t.length - 3]), num(t[t.length - 2]), num(t[t.length - 1]))
          return true
        }
        this.m.endGeometry()
        return false
      }
    }],
    ["Step number", (l) => {
      if (!this.m.jobTypes.includes("opt")) return
      const n = /Step number\s+(\d+)/.exec(l)
      if (n !== null) this.m.optSteps = Math.max(this.m.optSteps, Number(n[1]))
    }],
    ["Optimization completed", () => {
      if (this.m.jobTypes.includes("opt")) this.m.optConverged = true
    }],
    ["Optimization stopped", () => {
      if (this.m.jobTypes.includes("opt")) this.m.optConverged = false
      this.warnings.add("Optimization stopped before convergence")
    }],
    ["Excited State", (l) => {
      const e = /Excited State\s+(\d+):\s+(\S+)\s+(-?[\d.]+) eV\s+(-?[\d.]+) nm\s+f=(-?[\d.]+)/.exec(l)
      if (e !== null) this.m.excited.push({ index: Number(e[1]), multiplicity: e[2]!, energyEv: num(e[3]), wavelengthNm: num(e[4]), oscillator: num(e[5]) })
      this.m.addJob("td")
    }],
    ["EUMP2 =", (l) => this.m.setEnergy("MP2 total energy", num(/EUMP2 =\s*(\S+)/.exec(l)?.[1]))],
    ["EUMP3=", (l) => this.m.setEnergy("MP3 total energy", num(/EUMP3=\s*(\S+)/.exec(l)?.[1]))],
    ["UMP4(SDTQ)=", (l) => this.m.setEnergy("MP4(SDTQ) total energy", num(/UMP4\(SDTQ\)=\s*(\S+)/.exec(l)?.[1]))],
    ["CCSD(T)=", (l) => this.m.setEnergy("CCSD(T) total energy", num(/CCSD\(T\)=\s*(\S+)/.exec(l)?.[1]))],
    ["Wavefunction amplitudes converged. E(Corr)=", (l) => this.m.setEnergy("correlated total energy", num(/E\(Corr\)=\s*(\S+)/.exec(l)?.[1]))],
    ["Charge =", (l) => {
      const c = /Charge =\s*(-?\d+)\s+Multiplicity =\s*(\d+)/.exec(l)
      if (c !== null && this.m.charge === null) {
        this.m.charge = Number(c[1])
        this.m.multiplicity = Number(c[2])
      }
      this.titleWatch = false
    }],
    ["NAtoms=", (l) => {
      const n = /NAtoms=\s*(\d+)/.exec(l)
      if (n !== null) this.m.atomCount = Number(n[1])
    }],
    ["Stoichiometry", (l) => this.m.note("stoichiometry (Gaussian)", l.replace("Stoichiometry", "").trim())],
    ["Full point group", (l) => {
      const p = /Full point group\s+(\S+)/.exec(l)
      if (p !== null) this.m.pointGroup = p[1]!
    }],
    ["Standard basis:", (l) => {
      const b = /Standard basis:\s+(\S+)/.exec(l)
      if (b !== null) this.m.basis = b[1]!
    }],
    ["basis functions,", (l) => {
      const b = /(\d+) basis functions,/.exec(l)
      if (b !== null) this.m.nBasis = Number(b[1])
    }],
    ["alpha electrons", (l) => {
      const e = /(\d+) alpha electrons\s+(\d+) beta electrons/.exec(l)
      if (e !== null) {
        this.m.nAlpha = Number(e[1])
        this.m.nBeta = Number(e[2])
        this.m.nElectrons = this.m.nAlpha + this.m.nBeta
      }
    }],
    ["nuclear repulsion energy", (l) => {
      this.m.nuclearRepulsion = num(/nuclear repulsion energy\s+(\S+)/.exec(l)?.[1])
    }],
    ["Convergence criterion not met", () => {
      this.m.scfConverged = false
      this.warnings.add("SCF convergence criterion not met")
    }],
    ["Temperature ", (l) => {
      const t = /Temperature\s+([\d.]+) Kelvin\.\s+Pressure\s+([\d.]+) Atm/.exec(l)
      if (t !== null) {
        this.m.temperature = num(t[1])
        this.m.pressure = num(t[2])
      }
    }],
    ["Zero-point correction=", (l) => this.thermo(l, "zero-point correction")],
    ["Thermal correction to Energy=", (l) => this.thermo(l, "thermal correction to energy")],
    ["Thermal correction to Enthalpy=", (l) => this.thermo(l, "thermal correction to enthalpy")],
    ["Thermal correction to Gibbs Free Energy=", (l) => this.thermo(l, "thermal correction to Gibbs free energy")],
    ["Sum of electronic and zero-point Energies=", (l) => this.thermo(l, "E0 = E(electronic) + ZPE")],
    ["Sum of electronic and thermal Energies=", (l) => this.thermo(l, "E = E0 + thermal energy")],
    ["Sum of electronic and thermal Enthalpies=", (l) => this.thermo(l, "H (enthalpy)")],
    ["Sum of electronic and thermal Free Energies=", (l) => this.thermo(l, "G (Gibbs free energy)")],
    ["E (Thermal)", () => {
      this.thermoTotal = true
    }],
    [" Total   ", (l) => {
      if (!this.thermoTotal) return
      this.thermoTotal = false
      const t = /^\s*Total\s+(\S+)\s+(\S+)\s+(\S+)/.exec(l)
      if (t !== null) {
        this.m.setThermo("heat capacity Cv", num(t[2]), "cal/(mol K)")
        this.m.setThermo("entropy S", num(t[3]), "cal/(mol K)")
      }
    }],
    ["Dipole moment (field-independent basis, Debye)", () => {
      this.block = (r) => {
        const d = /X=\s*(\S+)\s+Y=\s*(\S+)\s+Z=\s*(\S+)\s+Tot=\s*(\S+)/.exec(r)
        if (d !== null) this.m.dipole = { x: num(d[1]), y: num(d[2]), z: num(d[3]), total: num(d[4]), unit: "Debye" }
        return false
      }
    }],
    ["Rotational constants (GHZ):", (l) => {
      const v = l.split(":")[1]!.trim().split(/\s+/).map(num).filter(Number.isFinite)
      if (v.length > 0) this.m.setProp("rotational constants (GHz)", v.map((x) => String(x)).join(", "))
    }],
    ["Normal termination of Gaussian", (l) => {
      if (this.m.status !== "error") this.m.status = "normal"
      this.m.statusLine = l.trim()
    }],
    ["Error termination", (l) => {
      this.m.status = "error"
      this.m.statusLine = l.trim()
      this.errors.add(l.trim())
    }],
    ["Job cpu time:", (l) => this.addTime(l, "cpu")],
    ["Elapsed time:", (l) => this.addTime(l, "wall")],
    ["Warning", (l) => this.warn(l)],
    ["WARNING", (l) => this.warn(l)],
    ["Gaussian, Inc.", () => {}],
    ["Revision", (l) => {
      const v = /^\s*Gaussian (\d+),\s+Revision\s+([A-Za-z0-9.]+)/.exec(l)
      if (v !== null && this.m.version === null) {
        this.m.displayName = `Gaussian ${v[1]}`
        this.m.version = `${v[1]} Revision ${v[2]!.replace(/,$/, "")}`
        this.m.fullName = `Gaussian ${v[1]} (Revision ${v[2]!.replace(/,$/, "")})`
      }
    }],
    ["Gaussian ", (l) => {
      const v = /^\s*Gaussian (\d+):\s+(\S+)/.exec(l)
      if (v !== null && this.m.version === null) {
        this.m.displayName = `Gaussian ${v[1]}`
        const rev = /Rev([A-Z]\.\d+)/.exec(v[2]!)
        this.m.version = rev !== null ? `${v[1]} Revision ${rev[1]}` : `${v[1]} ${v[2]}`
        this.m.fullName = `Gaussian ${v[1]} (${rev !== null ? `Revision ${rev[1]}` : v[2]})`
      }
    }],
    ["1\\1\\", (l) => this.archiveStart(l)],
    [" #", (l) => this.routeStart(l)],
    ["-----", (l) => this.dash(l)],
    ["", (l) => this.other(l)]
  ]

  private scfDone(l: string): void {
    const s = /SCF Done:\s+E\((\S+)\)\s+=\s+(\S+)\s+A\.U\. after\s+(\d+) cycles/.exec(l)
    if (s === null) return
    const e = num(s[2])
    const label = s[1]!
    const pre = /^(RO|R|U)(.*)$/.exec(label)
    if (pre !== null) {
      const kind = pre[1] === "RO" ? "restricted open-shell" : pre[1] === "R" ? "restricted" : "unrestricted"
      this.m.reference = `${kind} (${label})`
      if (this.m.method === null) this.m.method = pre[2]!
    }
    this.m.scfEnergies.push(e)
    this.m.scfCycles.push(Number(s[3]))
    if (this.m.scfConverged === null) this.m.scfConverged = true
    this.m.setEnergy("SCF energy", e)
    if (this.m.jobTypes.includes("opt")) this.m.optEnergies.push(e)
  }

  private eigen(l: string, occ: boolean): void {
    if (!l.includes("Alpha")) return
    const vals = (l.split("--")[1] ?? "").match(/-?\d+\.\d+/g)?.map(Number) ?? []
    if (occ) {
      if (this.sawVirt) {
        this.occ = []
        this.sawVirt = false
        this.lumoSet = false
      }
      this.occ = vals
      if (vals.length > 0) this.m.homo = vals[vals.length - 1]!
    } else {
      this.sawVirt = true
      if (!this.lumoSet && vals.length > 0) {
        this.m.lumo = vals[0]!
        this.lumoSet = true
      }
    }
  }

  private thermo(l: string, label: string): void {
    const v = /=\s*(-?[\d.]+)/.exec(l)
    if (v !== null) this.m.setThermo(label, num(v[1]), "Hartree")
  }

  private addTime(l: string, kind: "cpu" | "wall"): void {
    const t = /(\d+) days\s+(\d+) hours\s+(\d+) minutes\s+([\d.]+) seconds/.exec(l)
    if (t === null) return
    const s = Number(t[1]) * 86400 + Number(t[2]) * 3600 + Number(t[3]) * 60 + num(t[4])
    if (kind === "cpu") this.m.cpuSeconds = (this.m.cpuSeconds ?? 0) + s
    else this.m.wallSeconds = (this.m.wallSeconds ?? 0) + s
  }

  private warn(l: string): void {
    if (l.includes("may not be used in any manner") || l.includes("competes with the business")) return
    let text = l.trim()
    this.block = (r) => {
      if (/^ {6,}\S/.test(r) && !/^\s*[-=]{5}/.test(r) && text.length < 300) {
        text += ` ${r.trim()}`
        return true
      }
      this.warnings.add(text)
      return false
    }
  }

  private routeStart(l: string): void {
    if (!/^ #/.test(l)) return
    this.route = l.slice(1)
    this.block = (r) => {
      if (/^\s*-{5,}\s*$/.test(r)) {
        this.routeDone = true
        this.m.input.push(this.route.trim())
        parseRoute(this.route, this.m)
        this.titleWatch = true
        this.dashLen = -1
        return false
      }
      this.route += r.replace(/^ /, "")
      return true
    }
  }

  private dash(l: string): void {
    if (!this.titleWatch || !/^\s*-{3,}\s*$/.test(l)) return
    const len = l.trim().length
    if (this.titleCandidate !== null && len === this.dashLen) {
      if (this.m.title === null && this.titleCandidate.trim() !== "Title Card Required") this.m.title = this.titleCandidate.trim()
      this.titleWatch = false
      return
    }
    this.dashLen = len
    this.titleCandidate = null
  }

  private other(l: string): void {
    if (!this.titleWatch) return
    if (this.dashLen > 0 && this.titleCandidate === null && l.trim() !== "") this.titleCandidate = clip(l, 200)
    else {
      this.dashLen = -1
      this.titleCandidate = null
    }
  }

  private archiveStart(l: string): void {
    if (this.archiveDone || !/^\s1\\1\\/.test(l)) return
    this.archive = l.trim()
    const endNow = this.archive.endsWith("@")
    if (endNow) this.parseArchive()
    else
      this.block = (r) => {
        if (this.archive.length < 8000) this.archive += r.trim()
        if (r.trim().endsWith("@")) {
          this.parseArchive()
          return true
        }
        return r.trim() !== ""
      }
  }

  private parseArchive(): void {
    this.archiveDone = true
    const f = this.archive.split("\\")
    if (f.length > 6) {
      if (this.m.method === null && f[4]) this.m.method = f[4].replace(/^(RO|R|U)/, "")
      if (this.m.basis === null && f[5]) this.m.basis = f[5]
      if (f[3]) this.m.addJob(f[3].toLowerCase().split(/[^a-z]/)[0]!)
    }
    const state = /\\State=([^\\]+)/.exec(this.archive)
    if (state !== null) this.m.setProp("electronic state", state[1]!)
    const nimag = /\\NImag=(\d+)/.exec(this.archive)
    if (nimag !== null) this.m.setProp("imaginary frequencies (NImag)", Number(nimag[1]))
  }

  finish(): SimulationDocument {
    this.flush()
    if (this.m.jobTypes.length === 0 && this.routeDone) this.m.addJob("sp")
    this.m.inputLabel = "route"
    return renderQc(this.m, this)
  }
}

export function detectGaussian(head: string): number {
  if (head.includes("Entering Gaussian System")) return 0.99
  if (/Gaussian \d\d:\s+\S+/.test(head) && head.includes("Gaussian, Inc.")) return 0.95
  if (head.includes("Entering Link 1 =")) return 0.9
  if (/^\s*#[pnt]?\s+\S+\/\S+/m.test(head) && head.includes("Leave Link")) return 0.8
  return 0
}

export const GAUSSIAN_LOG: LogProgram = {
  format: "gaussian-log",
  detect: detectGaussian,
  create: () => new GaussianReader()
}
