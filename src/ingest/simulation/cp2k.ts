/**
 * CP2K output (Quickstep DFT and FIST force fields): version, run type and project, cell, kinds with
 * basis sets and pseudopotentials, atomic coordinates, DFT settings (functional, RKS/UKS, charge,
 * multiplicity), SCF convergence, energies, geometry optimisation, MD steps (temperature, potential
 * and conserved energy), warnings and errors.
 *
 * Built from the documented output layout (no CP2K sample in the shared corpus): the patterns are
 * the labelled "PREFIX|" lines CP2K has printed for many versions.
 */
import { BaseReader, type Rule } from "./base.ts"
import { atomTable, QcModel, renderQc } from "./qc.ts"
import { fmt, num, Series } from "./render.ts"
import type { LogProgram, SimulationDocument } from "./types.ts"

class Cp2kReader extends BaseReader {
  private readonly m = new QcModel("CP2K", "cp2k-log")
  private runType: string | null = null
  private project: string | null = null
  private qsMethod: string | null = null
  private readonly cell: string[] = []
  private volume: number | null = null
  private readonly kinds: Array<{ kind: string; basis?: string; potential?: string }> = []
  private currentKind: { kind: string; basis?: string; potential?: string } | null = null
  private scfSteps = 0
  private readonly mdTemp = new Series(64)
  private readonly mdPot = new Series(64)
  private readonly mdCons = new Series(64)
  private mdSteps = 0
  private mdTime: number | null = null
  private ensemble: string | null = null
  private functionals: string[] = []
  private started: string | null = null

  protected readonly rules: ReadonlyArray<Rule> = [
    ["SCF run converged in", (l) => {
      this.m.scfCycles.push(num(/in\s+(\d+)\s+steps/.exec(l)?.[1]))
      if (this.m.scfConverged === null) this.m.scfConverged = true
    }],
    ["SCF run NOT converged", (l) => {
      this.m.scfConverged = false
      this.warnings.add(l.trim().replace(/\*/g, "").trim())
    }],
    ["ENERGY| Total FORCE_EVAL", (l) => {
      const e = num(/:\s*(-?\d+\.\d+(?:[eE][-+]?\d+)?)/.exec(l)?.[1])
      this.m.setEnergy("total FORCE_EVAL energy", e)
      this.m.scfEnergies.push(e)
      if (this.runType !== null && /GEO_OPT|CELL_OPT/.test(this.runType)) this.m.optEnergies.push(e)
    }],
    ["Total energy:", (l) => {
      const e = num(/Total energy:\s*(-?\d+\.\d+)/.exec(l)?.[1])
      if (Number.isFinite(e)) this.m.setEnergy("Quickstep total energy", e)
    }],
    ["CP2K| version string:", (l) => {
      const v = /CP2K version\s+(\S+)/.exec(l)
      if (v !== null) this.m.version = v[1]!
    }],
    ["PROGRAM STARTED AT", (l) => {
      this.started = l.split("AT").slice(1).join("AT").trim()
    }],
    ["GLOBAL| Run type", (l) => {
      this.runType = l.trim().split(/\s+/).pop()!
      const map: Record<string, string> = { ENERGY: "energy", ENERGY_FORCE: "energy+forces", GEO_OPT: "opt", CELL_OPT: "cell-opt", MD: "md", VIBRATIONAL_ANALYSIS: "freq", BAND: "neb" }
      this.m.addJob(map[this.runType] ?? this.runType.toLowerCase())
    }],
    ["GLOBAL| Project name", (l) => {
      this.project = l.trim().split(/\s+/).pop()!
      this.m.title = this.project
    }],
    ["QS| Method:", (l) => {
      this.qsMethod = l.trim().split(/\s+/).pop()!
    }],
    ["CELL| Volume", (l) => {
      this.volume = num(/:\s*(\S+)/.exec(l)?.[1])
    }],
    ["CELL| Vector", (l) => {
      const v = /Vector (\w) \[angstrom\]:\s*(\S+)\s+(\S+)\s+(\S+)/.exec(l)
      if (v !== null && this.cell.length < 3) this.cell.push(`${v[1]} = (${v[2]}, ${v[3]}, ${v[4]})`)
    }],
    ["DFT| Spin", (l) => {
      const r = /\((RKS|UKS|ROKS|LSD)\)/.exec(l) ?? /\b(RKS|UKS|ROKS)\s*$/.exec(l.trim())
      if (r !== null) this.m.reference = r[1]!
    }],
    ["DFT| Multiplicity", (l) => {
      this.m.multiplicity = num(l.trim().split(/\s+/).pop())
    }],
    ["DFT| Charge", (l) => {
      this.m.charge = num(l.trim().split(/\s+/).pop())
    }],
    ["FUNCTIONAL|", (l) => {
      const f = /FUNCTIONAL\|\s*([A-Za-z0-9_+\-()]+):\s*$/.exec(l)
      if (f !== null && this.functionals.length < 5 && !this.functionals.includes(f[1]!)) this.functionals.push(f[1]!)
    }],
    ["Atomic kind:", (l) => {
      const k = /Atomic kind:\s*(\S+)/.exec(l)
      if (k !== null) {
        this.currentKind = { kind: k[1]! }
        if (this.kinds.length < 30) this.kinds.push(this.currentKind)
      }
    }],
    ["Orbital Basis Set", (l) => {
      if (this.currentKind !== null && this.currentKind.basis === undefined) this.currentKind.basis = l.trim().split(/\s+/).pop()!
    }],
    ["Potential information for", (l) => {
      if (this.currentKind !== null) this.currentKind.potential = l.trim().split(/\s+/).pop()!
    }],
    ["- Atoms:", (l) => {
      if (this.m.atomCount === null) this.m.atomCount = num(l.trim().split(/\s+/).pop())
    }],
    ["ATOMIC COORDINATES IN", (l) => {
      const unit = /IN\s+(\w+)/.exec(l)?.[1] ?? "angstrom"
      this.m.beginGeometry(/angstrom/i.test(unit) ? "Angstrom" : "Bohr")
      this.block = atomTable(this.m, 4, (r) => {
        const p = r.trim().split(/\s+/)
        if (p.length >= 7 && /^\d+$/.test(p[0]!) && /^\d+$/.test(p[1]!) && /^[A-Za-z]/.test(p[2]!)) {
          // Atom Kind Element Z X Y Z Z(eff) Mass (Z column present in newer versions)
          const off = /^\d+$/.test(p[3]!) ? 4 : 3
          this.m.atom(p[2]!, num(p[off]), num(p[off + 1]), num(p[off + 2]))
          return true
        }
        return false
      })
    }],
    ["Number of electrons:", (l) => {
      if (this.m.nElectrons === null) this.m.nElectrons = num(l.trim().split(/\s+/).pop())
    }],
    ["Number of orbital functions:", (l) => {
      this.m.nBasis = num(l.trim().split(/\s+/).pop())
    }],
    ["HOMO - LUMO gap [eV]", (l) => this.m.setProp("HOMO-LUMO gap", num(l.split(":")[1]), "eV")],
    ["Fermi energy:", (l) => this.m.setProp("Fermi energy", num(l.split(":")[1]), "Hartree")],
    ["Informations at step", (l) => {
      this.m.optSteps = Math.max(this.m.optSteps, num(/step\s*=\s*(\d+)/.exec(l)?.[1]) || 0)
    }],
    ["OPT| Step number", (l) => {
      this.m.optSteps = Math.max(this.m.optSteps, num(l.trim().split(/\s+/).pop()) || 0)
    }],
    ["GEOMETRY OPTIMIZATION COMPLETED", () => {
      this.m.optConverged = true
    }],
    ["MAXIMUM NUMBER OF OPTIMIZATION STEPS REACHED", (l) => {
      this.m.optConverged = false
      this.warnings.add(l.trim().replace(/\*/g, "").trim())
    }],
    ["ENSEMBLE TYPE", (l) => {
      this.ensemble = l.split("=")[1]!.trim()
    }],
    ["MD| Ensemble type", (l) => {
      this.ensemble = l.trim().split(/\s+/).pop()!
    }],
    ["STEP NUMBER", (l) => {
      this.mdSteps = Math.max(this.mdSteps, num(l.split("=")[1]) || 0)
    }],
    ["MD| Step number", (l) => {
      this.mdSteps = Math.max(this.mdSteps, num(l.trim().split(/\s+/).pop()) || 0)
    }],
    ["TIME [fs]", (l) => {
      this.mdTime = num(l.split("=")[1])
    }],
    ["MD| Time [fs]", (l) => {
      this.mdTime = num(l.trim().split(/\s+/).pop())
    }],
    ["CONSERVED QUANTITY [hartree]", (l) => this.mdCons.push(num(l.split("=")[1]))],
    ["MD| Conserved quantity [hartree]", (l) => this.mdCons.push(num(l.trim().split(/\s+/)[4]))],
    ["POTENTIAL ENERGY[hartree]", (l) => {
      if (l.includes("INITIAL")) return
      this.mdPot.push(num(l.split("=")[1]!.trim().split(/\s+/)[0]))
    }],
    ["MD| Potential energy [hartree]", (l) => this.mdPot.push(num(l.trim().split(/\s+/)[4]))],
    ["TEMPERATURE [K]", (l) => this.mdTemp.push(num(l.split("=")[1]!.trim().split(/\s+/)[0]))],
    ["MD| Temperature [K]", (l) => this.mdTemp.push(num(l.trim().split(/\s+/)[3]))],
    ["VIB|Frequency", (l) => {
      for (const v of l.split(/Frequency\s*/)[1]!.trim().split(/\s+/)) this.m.addFrequency(num(v))
    }],
    ["PROGRAM ENDED AT", (l) => {
      if (this.m.status !== "error") this.m.status = "normal"
      this.m.statusLine = l.trim().replace(/^\*+\s*/, "")
    }],
    ["CP2K ", (l) => {
      const t = /^\s*CP2K\s+1\s+1\.0\s+\S+\s+\S+\s+\S+\s+(\S+)\s*$/.exec(l)
      if (t === null) return false
      this.m.wallSeconds = num(t[1])
    }],
    ["*** WARNING", (l) => this.warnings.add(l.replace(/\*+/g, "").trim())],
    ["*** ERROR", (l) => this.fail(l)],
    ["[ABORT]", (l) => this.fail(l)]
  ]

  private fail(l: string): void {
    this.m.status = "error"
    this.m.statusLine = l.replace(/\*+/g, "").trim()
    this.errors.add(this.m.statusLine)
  }

  finish(): SimulationDocument {
    this.flush()
    if (this.functionals.length > 0) {
      this.m.functional = this.functionals.join("+")
      this.m.method = `DFT ${this.functionals.join("+")}${this.qsMethod !== null ? ` (${this.qsMethod})` : ""}`
    } else if (this.qsMethod !== null) this.m.method = this.qsMethod
    const bases = [...new Set(this.kinds.map((k) => k.basis).filter((b): b is string => b !== undefined))]
    if (bases.length > 0) this.m.basis = bases.join(", ")
    if (this.kinds.length > 0) this.m.note("atomic kinds", this.kinds.map((k) => `${k.kind}${k.basis !== undefined ? ` basis ${k.basis}` : ""}${k.potential !== undefined ? `, potential ${k.potential}` : ""}`).join("; "))
    if (this.runType !== null) this.m.note("run type", this.runType)
    if (this.cell.length > 0) this.m.note("cell vectors (Å)", this.cell.join("; "))
    if (this.volume !== null) this.m.note("cell volume", `${fmt(this.volume)} Å^3`)
    if (this.started !== null) this.m.note("started", this.started)
    if (this.mdSteps > 0 || this.mdTemp.count > 0) {
      this.m.addJob("md")
      this.m.note("MD", `${this.ensemble ?? "ensemble not stated"}, ${this.mdSteps} steps${this.mdTime !== null ? `, ${fmt(this.mdTime)} fs simulated` : ""}`)
      if (this.mdTemp.count > 0) this.m.note("MD temperature (K)", this.mdTemp.describe("", 6, 6))
      if (this.mdPot.count > 0) this.m.note("MD potential energy (Hartree)", this.mdPot.describe("", 10, 6))
      if (this.mdCons.count > 1) this.m.note("MD conserved quantity (Hartree)", `${this.mdCons.describe("", 10)}; drift ${fmt(this.mdCons.last - this.mdCons.first, 3)} Hartree`)
      this.m.extraMeta.md = {
        ensemble: this.ensemble,
        steps: this.mdSteps,
        timeFs: this.mdTime,
        temperature: this.mdTemp.count > 0 ? { unit: "K", ...this.mdTemp.summary() } : undefined,
        potentialEnergy: this.mdPot.count > 0 ? { unit: "Hartree", ...this.mdPot.summary(12) } : undefined
      }
    }
    this.m.extraMeta.runType = this.runType
    this.m.extraMeta.cell = this.cell.length > 0 ? { vectors: this.cell, volume: this.volume !== null ? { value: this.volume, unit: "Angstrom^3" } : undefined } : undefined
    if (this.m.jobTypes.length === 0) this.m.addJob("energy")
    return renderQc(this.m, this)
  }
}

export function detectCp2k(head: string): number {
  if (/CP2K\| version string:/.test(head)) return 0.99
  if (head.includes("PROGRAM STARTED AT") && /\bCP2K\b/.test(head)) return 0.95
  if (/^\s*GLOBAL\| Run type/m.test(head) && /^\s*(DBCSR|CP2K)\|/m.test(head)) return 0.9
  return 0
}

export const CP2K_LOG: LogProgram = { format: "cp2k-log", detect: detectCp2k, create: () => new Cp2kReader() }
