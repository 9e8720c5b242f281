/**
 * Quantum ESPRESSO outputs: pw.x (scf, nscf/bands, relax, md, vc-relax, vc-md), ph.x (DFPT phonons,
 * dielectric tensor, Born effective charges), cp.x (Car-Parrinello MD) and neb.x (nudged elastic band).
 *
 * pw.x and ph.x share the system header (lattice, species, positions, cutoffs, XC functional, k-points),
 * parsed by `QeSystem`. Trajectories (ionic steps, MD steps, NEB iterations) are kept as bounded series.
 */
import { BaseReader, type Rule } from "./base.ts"
import {
  BOHR_TO_ANGSTROM,
  ColumnTable,
  Composition,
  compact,
  DocBuilder,
  elementFromLabel,
  EV_TO_KJ,
  FirstN,
  fixed,
  fmt,
  LastN,
  num,
  numericRow,
  plural,
  q,
  qOpt,
  RY_TO_EV,
  Series,
  STAT_HEADERS
} from "./render.ts"
import type { LogProgram, SimulationDocument } from "./types.ts"

const IBRAV: Record<string, string> = {
  "0": "free, cell given by CELL_PARAMETERS",
  "1": "simple cubic",
  "2": "face-centred cubic, fcc",
  "3": "body-centred cubic, bcc",
  "-3": "body-centred cubic, bcc, symmetric axes",
  "4": "hexagonal / trigonal P",
  "5": "trigonal R, 3-fold axis c",
  "-5": "trigonal R, 3-fold axis <111>",
  "6": "simple tetragonal",
  "7": "body-centred tetragonal",
  "8": "simple orthorhombic",
  "9": "base-centred orthorhombic",
  "-9": "base-centred orthorhombic",
  "91": "one-face base-centred orthorhombic, A-type",
  "10": "face-centred orthorhombic",
  "11": "body-centred orthorhombic",
  "12": "monoclinic P, unique axis c",
  "-12": "monoclinic P, unique axis b",
  "13": "base-centred monoclinic",
  "-13": "base-centred monoclinic, unique axis b",
  "14": "triclinic"
}

/** A readable name for QE's XC description ("SLA  PZ   NOGX NOGC" → "LDA (Perdew-Zunger)"). */
export function xcName(raw: string): string {
  const s = raw.replace(/\(.*$/, "").trim().replace(/\s+/g, " ")
  const u = s.toUpperCase()
  if (/^[A-Z0-9\-]+$/.test(u) && !u.includes(" ")) return u
  if (u.includes("PBX") && u.includes("PBC")) return `PBE (GGA; ${s})`
  if (u.includes("PSX") && u.includes("PSC")) return `PBEsol (GGA; ${s})`
  if (u.includes("B88") && u.includes("BLYP")) return `BLYP (GGA; ${s})`
  if (u.includes("GGX") && u.includes("GGC")) return `PW91 (GGA; ${s})`
  if (u.includes("NOGX") && u.includes("NOGC")) return `LDA (${u.includes("PZ") ? "Perdew-Zunger" : u.includes(" PW ") || u.endsWith(" PW") ? "Perdew-Wang" : "local"}; ${s})`
  return s
}

const pseudoKind = (s: string): string => s.replace(/^Pseudo is\s*/, "").replace(/,\s*Zval.*$/, "").trim()

/** Shared header of pw.x / ph.x: cell, species, positions, cutoffs, functional, k-points. */
class QeSystem {
  version: string | null = null
  svn: string | null = null
  program: string | null = null
  startedOn: string | null = null
  ibrav: string | null = null
  alat: number | null = null
  volume: number | null = null
  natoms: number | null = null
  ntypes: number | null = null
  nelec: number | null = null
  nbands: number | null = null
  ecutwfc: number | null = null
  ecutrho: number | null = null
  convThr: number | null = null
  mixingBeta: number | null = null
  xc: string | null = null
  nstep: number | null = null
  readonly axes: number[][] = []
  readonly species: Array<{ label: string; valence: number; mass: number; pseudo: string }> = []
  readonly pseudoFiles: string[] = []
  readonly pseudoKinds: string[] = []
  readonly positions = new FirstN<{ label: string; x: number; y: number; z: number }>(40)
  readonly composition = new Composition()
  positionsRead = false
  nk: number | null = null
  smearing: string | null = null
  fft: string | null = null
  symOps: string | null = null
  procs: number | null = null
  readonly magnetization: string[] = []
  jobDone = false
  wall: string | null = null

  /** Rules for the common header lines; `reader` receives blocks. */
  rules(reader: { setBlock(b: (l: string) => boolean): void }, w: { add(m: string): void }, e: { add(m: string): void }): Rule[] {
    return [
      ["Program ", (l) => {
        const v = /Program (\S+) v\.(\S+)(?:\s+\(svn rev\. (\d+)\w*\))?\s+starts on\s+(\S+)\s+at\s+(.+)$/.exec(l)
        if (v === null) return false
        if (this.version === null) {
          this.program = v[1]!
          this.version = v[2]!
          this.svn = v[3] ?? null
          this.startedOn = `${v[4]} ${v[5]!.trim()}`
        }
      }],
      ["running on", (l) => {
        const p = /running on\s+(\d+)\s+processor/.exec(l) ?? /Number of MPI processes:\s+(\d+)/.exec(l)
        if (p !== null) this.procs = Number(p[1])
        else return false
      }],
      ["Number of MPI processes:", (l) => {
        this.procs = num(l.split(":")[1])
      }],
      ["bravais-lattice index", (l) => {
        this.ibrav = l.split("=")[1]!.trim()
      }],
      ["lattice parameter (alat)", (l) => {
        this.alat = num(/=\s*(\S+)/.exec(l)?.[1])
      }],
      ["unit-cell volume", (l) => {
        const v = /unit-cell volume\s+=\s*(\S+)/.exec(l)
        if (v !== null && this.volume === null) this.volume = num(v[1])
        else return false
      }],
      ["number of atoms/cell", (l) => {
        this.natoms = num(l.split("=")[1])
      }],
      ["number of atomic types", (l) => {
        this.ntypes = num(l.split("=")[1])
      }],
      ["number of electrons", (l) => {
        this.nelec = num(/=\s*(\S+)/.exec(l)?.[1])
      }],
      ["number of Kohn-Sham states", (l) => {
        this.nbands = num(l.split("=")[1])
      }],
      ["kinetic-energy cut", (l) => {
        this.ecutwfc = num(/=\s*(\S+)/.exec(l)?.[1])
      }],
      ["charge density cut", (l) => {
        this.ecutrho = num(/=\s*(\S+)/.exec(l)?.[1])
      }],
      ["convergence threshold", (l) => {
        if (this.convThr === null) this.convThr = num(l.split("=")[1])
      }],
      ["mixing beta", (l) => {
        this.mixingBeta = num(l.split("=")[1])
      }],
      ["Exchange-correlation", (l) => {
        const x = l.split("=").slice(1).join("=").trim()
        if (x !== "" && this.xc === null) this.xc = x
      }],
      ["nstep                     =", (l) => {
        this.nstep = num(l.split("=")[1])
      }],
      ["crystal axes:", () => {
        if (this.axes.length > 0) return
        reader.setBlock((r) => {
          const a = /a\(\d\)\s*=\s*\(\s*(\S+)\s+(\S+)\s+(\S+)\s*\)/.exec(r)
          if (a === null) return false
          this.axes.push([num(a[1]), num(a[2]), num(a[3])])
          return this.axes.length < 3
        })
      }],
      ["PseudoPot. #", () => {
        reader.setBlock((r) => {
          const f = r.trim()
          if (this.pseudoFiles.length < 20 && f !== "") this.pseudoFiles.push(f.replace(/^.*\//, ""))
          return false
        })
      }],
      ["Pseudo is ", (l) => {
        if (this.pseudoKinds.length < 20) this.pseudoKinds.push(pseudoKind(l.trim()))
      }],
      ["atomic species   valence    mass", () => {
        if (this.species.length > 0) return
        reader.setBlock((r) => {
          const p = r.trim().split(/\s+/)
          if (p.length >= 4 && Number.isFinite(num(p[1])) && Number.isFinite(num(p[2]))) {
            if (this.species.length < 50) this.species.push({ label: p[0]!, valence: num(p[1]), mass: num(p[2]), pseudo: p.slice(3).join(" ") })
            return true
          }
          return false
        })
      }],
      ["tau(", (l) => {
        const t = /^\s*\d+\s+(\S+)\s+(?:[\d.]+\s+)?tau\(\s*\d+\)\s*=\s*\(\s*(\S+)\s+(\S+)\s+(\S+)/.exec(l)
        if (t === null || this.positionsRead) return
        this.positions.push({ label: t[1]!, x: num(t[2]), y: num(t[3]), z: num(t[4]) })
        this.composition.add(elementFromLabel(t[1]!) ?? t[1]!)
        if (this.natoms !== null && this.positions.total >= this.natoms) this.positionsRead = true
      }],
      ["number of k points=", (l) => {
        this.nk = num(/k points=\s*(\d+)/.exec(l)?.[1])
        const s = /k points=\s*\d+\s+(.+?smearing),\s*width \(Ry\)=\s*(\S+)/.exec(l)
        if (s !== null) this.smearing = `${s[1]}, width ${s[2]} Ry`
        else if (/tetrahedron/i.test(l)) this.smearing = "tetrahedron method"
      }],
      ["FFT dimensions:", (l) => {
        const f = /Dense\s+grid:\s*(\d+) G-vectors\s+FFT dimensions: \(\s*(\d+),\s*(\d+),\s*(\d+)\)/.exec(l)
        if (f !== null && this.fft === null) this.fft = `${f[2]}x${f[3]}x${f[4]} (${f[1]} G-vectors)`
      }],
      ["Sym. Ops.", (l) => {
        if (this.symOps === null) this.symOps = l.trim()
      }],
      ["Sym.Ops.", (l) => {
        if (this.symOps === null) this.symOps = l.trim()
      }],
      ["Starting magnetic structure", () => {
        let header = false
        reader.setBlock((r) => {
          if (!header) {
            header = r.includes("magnetization")
            return true
          }
          const p = r.trim().split(/\s+/)
          if (p.length === 2 && Number.isFinite(num(p[1]))) {
            if (this.magnetization.length < 20) this.magnetization.push(`${p[0]} ${p[1]}`)
            return true
          }
          return false
        })
      }],
      ["JOB DONE", () => {
        this.jobDone = true
      }],
      ["WALL", (l) => {
        const t = /^\s*(PWSCF|PHONON|NEB|CP)\s*:\s*(.+WALL)/.exec(l)
        if (t === null) return false
        this.wall = t[2]!.replace(/\s+/g, " ").trim()
      }],
      ["Error in routine", (l) => {
        const msg = l.trim()
        reader.setBlock((r) => {
          const t = r.trim()
          if (t.startsWith("%%%%") || t === "") {
            e.add(msg)
            return false
          }
          e.add(`${msg} ${t}`)
          return false
        })
      }],
      ["DEPRECATED", (l) => w.add(l.trim())],
      ["SCF correction compared to forces is large", (l) => w.add(l.trim())],
      ["Warning", (l) => w.add(l.trim())],
      ["WARNING", (l) => w.add(l.trim())]
    ]
  }

  /** Formula of the cell from the positions table (or species when no table). */
  formula(): string | null {
    return this.composition.total > 0 ? this.composition.formula() : null
  }

  /** "Structure" and "Parameters" sections. */
  render(d: DocBuilder, opts: { skipKpoints?: boolean } = {}): void {
    d.section("Structure")
    if (this.ibrav !== null) d.kv("Bravais lattice", `ibrav = ${this.ibrav} (${IBRAV[this.ibrav] ?? "unknown"})`)
    if (this.alat !== null) d.kv("lattice parameter alat", `${fmt(this.alat)} bohr = ${fmt(this.alat * BOHR_TO_ANGSTROM, 6)} Å`)
    if (this.volume !== null) d.kv("cell volume", `${fmt(this.volume)} bohr^3 = ${fmt(this.volume * BOHR_TO_ANGSTROM ** 3, 6)} Å^3`)
    if (this.axes.length === 3) d.kv("cell vectors (alat units)", this.axes.map((a, i) => `a${i + 1} = (${a.map((x) => fmt(x, 6)).join(", ")})`).join("; "))
    if (this.natoms !== null) d.kv("atoms per cell", this.natoms)
    const f = this.formula()
    if (f !== null) d.kv("composition", f)
    if (this.species.length > 0) {
      d.line("")
      d.line("Atomic species:")
      d.table(
        ["species", "valence", "mass (amu)", "pseudopotential file", "type"],
        this.species.map((s, i) => [s.label, fmt(s.valence), fmt(s.mass), this.pseudoFiles[i] ?? "", this.pseudoKinds[i] ?? ""])
      )
    }
    if (this.positions.items.length > 0) {
      d.line("Atomic positions (Cartesian, alat units):")
      d.table(["#", "atom", "x", "y", "z"], this.positions.items.slice(0, 20).map((p, i) => [String(i + 1), p.label, fixed(p.x, 6), fixed(p.y, 6), fixed(p.z, 6)]))
      if (this.positions.total > 20) d.line(`… ${this.positions.total - 20} more atoms not shown.`)
    }
    d.section("Parameters")
    if (this.xc !== null) d.kv("exchange-correlation functional", xcName(this.xc))
    if (this.ecutwfc !== null) d.kv("plane-wave cutoff (wavefunctions)", `${fmt(this.ecutwfc)} Ry (${fmt(this.ecutwfc * RY_TO_EV, 5)} eV)`)
    if (this.ecutrho !== null) d.kv("charge-density cutoff", `${fmt(this.ecutrho)} Ry${this.ecutwfc !== null ? ` (${fmt(this.ecutrho / this.ecutwfc, 3)} x ecutwfc${this.ecutrho / this.ecutwfc > 4.5 ? ", as needed for ultrasoft/PAW" : ""})` : ""}`)
    if (!opts.skipKpoints && this.nk !== null) d.kv("k-points (irreducible)", this.nk)
    d.kv("occupations", this.smearing)
    d.kv("electrons", this.nelec)
    d.kv("Kohn-Sham states (bands)", this.nbands)
    if (this.magnetization.length > 0) d.kv("spin-polarised, starting magnetization", this.magnetization.join(", "))
    if (this.convThr !== null) d.kv("SCF convergence threshold", `${fmt(this.convThr)} Ry`)
    d.kv("mixing beta", this.mixingBeta)
    d.kv("FFT grid", this.fft)
    d.kv("symmetry", this.symOps)
    d.kv("MPI processes", this.procs)
  }

  meta(): Record<string, unknown> {
    return {
      version: this.version,
      svnRevision: this.svn,
      system: {
        formula: this.formula(),
        atoms: this.natoms ?? (this.composition.total > 0 ? this.composition.total : null),
        composition: this.composition.total > 0 ? this.composition.record() : null,
        cell: {
          ibrav: this.ibrav !== null ? Number(this.ibrav) : null,
          alat: qOpt(this.alat, "bohr"),
          volume: qOpt(this.volume, "bohr^3"),
          vectors: this.axes.length === 3 ? { unit: "alat", values: this.axes } : null
        },
        species: this.species.map((s, i) => ({ label: s.label, valence: s.valence, mass: s.mass, pseudopotential: this.pseudoFiles[i] ?? null }))
      },
      functional: this.xc !== null ? xcName(this.xc) : null,
      parameters: {
        ecutwfc: qOpt(this.ecutwfc, "Ry"),
        ecutrho: qOpt(this.ecutrho, "Ry"),
        kpoints: this.nk,
        occupations: this.smearing,
        electrons: this.nelec,
        bands: this.nbands,
        convergenceThreshold: qOpt(this.convThr, "Ry"),
        mixingBeta: this.mixingBeta,
        startingMagnetization: this.magnetization,
        mpiProcesses: this.procs
      }
    }
  }
}

function finishStatus(d: DocBuilder, sys: QeSystem, warnings: { list(): Array<{ message: string; count: number }>; size: number }, errors: { list(): Array<{ message: string; count: number }>; size: number }, lines: number): void {
  if (warnings.size > 0 || errors.size > 0) {
    d.section("Warnings and errors")
    for (const { message, count } of errors.list()) d.bullet(`ERROR: ${message}${count > 1 ? ` (x${count})` : ""}`)
    for (const { message, count } of warnings.list()) d.bullet(`warning: ${message}${count > 1 ? ` (x${count})` : ""}`)
  }
  d.section("Run")
  d.kv("started", sys.startedOn)
  d.kv("time", sys.wall)
  d.kv("termination", sys.jobDone ? "JOB DONE (normal)" : errors.size > 0 ? "error" : "no JOB DONE line (output may be incomplete)")
  d.kv("log size", plural(lines, "line"))
}

// ---------------------------------------------------------------------------------------------------
// pw.x

class PwReader extends BaseReader {
  private readonly sys = new QeSystem()
  private calc: string | null = null
  private readonly scfIterations = new Series(64)
  private iterInScf = 0
  private scfConvergedCount = 0
  private scfNotConverged = 0
  private readonly lastScf = new LastN<[number, number, number]>(40)
  private lastScfEnergy = Number.NaN
  private readonly totalEnergy = new Series(64)
  private readonly terms = new Map<string, number>()
  private fermi: string | null = null
  private fermiEv: number | null = null
  private homoEv: number | null = null
  private lumoEv: number | null = null
  private totMag: number | null = null
  private absMag: number | null = null
  private readonly totalForce = new Series(64)
  private maxForce = 0
  private forceAtoms = 0
  private forceAtomsLast = 0
  private readonly maxForceSeries = new Series(64)
  private readonly pressure = new Series(64)
  private stressKbar: number[][] = []
  private mdSteps = 0
  private timeStepFs: number | null = null
  private readonly temperature = new Series(64)
  private readonly ekin = new Series(64)
  private readonly econst = new Series(64)
  private readonly volumeA3 = new Series(64)
  private simTimePs: number | null = null
  private diffusion: number | null = null
  private bfgs: string | null = null
  private finalEnergy: number | null = null
  private finalEnthalpy: number | null = null
  private readonly enthalpy = new Series(64)
  private cellMin: string | null = null
  private finalCell: string[] = []
  private finalPositions = new FirstN<string>(20)
  private finalPosHeader: string | null = null
  private maxStepsReached = false

  private readonly common = this.sys.rules({ setBlock: (b) => (this.block = b) }, this.warnings, this.errors)

  protected readonly rules: ReadonlyArray<Rule> = [
    ["total energy              =", (l) => {
      const e = num(/=\s*(-?\d+\.\d+)\s*Ry/.exec(l)?.[1])
      if (l.trimStart().startsWith("!")) {
        this.totalEnergy.push(e)
        this.lastScfEnergy = e
        return
      }
      this.lastScfEnergy = e
    }],
    ["estimated scf accuracy", (l) => {
      const a = num(/<\s*(\S+)\s*Ry/.exec(l)?.[1])
      if (this.iterInScf > 0) this.lastScf.push([this.iterInScf, this.lastScfEnergy, a])
    }],
    ["iteration #", (l) => {
      const i = /iteration #\s*(\d+)/.exec(l)
      if (i === null) return false
      const n = Number(i[1])
      if (n === 1) this.lastScf.clear()
      this.iterInScf = n
    }],
    ["convergence has been achieved in", (l) => {
      this.scfIterations.push(num(/in\s+(\d+)\s+iterations/.exec(l)?.[1]))
      this.scfConvergedCount++
    }],
    ["convergence NOT achieved", (l) => {
      this.scfNotConverged++
      this.warnings.add(l.trim())
    }],
    ["force =", (l) => {
      const f = /atom\s+\d+\s+type\s+\d+\s+force =\s+(\S+)\s+(\S+)\s+(\S+)/.exec(l)
      if (f === null) return false
      const m = Math.hypot(num(f[1]), num(f[2]), num(f[3]))
      if (this.forceAtoms === 0) this.maxForce = 0
      this.forceAtoms++
      if (m > this.maxForce) this.maxForce = m
    }],
    ["Total force =", (l) => {
      this.totalForce.push(num(/Total force =\s*(\S+)/.exec(l)?.[1]))
      this.maxForceSeries.push(this.maxForce)
      this.forceAtomsLast = this.forceAtoms
      this.forceAtoms = 0
    }],
    ["P=", (l) => {
      const p = /total\s+stress.*P=\s*(-?[\d.]+)/.exec(l)
      if (p === null) return false
      this.pressure.push(num(p[1]))
      const rows: number[][] = []
      this.block = (r) => {
        const v = numericRow(r)
        if (v !== null && v.length === 6) {
          rows.push(v.slice(3))
          if (rows.length === 3) {
            this.stressKbar = rows
            return false
          }
          return true
        }
        return false
      }
    }],
    ["Entering Dynamics", (l) => {
      this.mdSteps++
      const t = /time\s*=\s*(\S+) pico-seconds/.exec(l)
      if (t !== null) this.simTimePs = num(t[1])
    }],
    ["time      =", (l) => {
      const t = /time\s*=\s*(\S+) pico-seconds/.exec(l)
      if (t !== null) this.simTimePs = num(t[1])
      else return false
    }],
    ["temperature           =", (l) => this.temperature.push(num(/=\s*(\S+)\s*K/.exec(l)?.[1]))],
    ["kinetic energy (Ekin) =", (l) => this.ekin.push(num(/=\s*(\S+)\s*Ry/.exec(l)?.[1]))],
    ["Ekin + Etot (const)", (l) => this.econst.push(num(/=\s*(\S+)\s*Ry/.exec(l)?.[1]))],
    ["Ekin =", (l) => {
      const v = /Ekin =\s*(\S+)\s*Ry\s+T =\s*(\S+)\s*K\s+Etot =\s*(\S+)/.exec(l)
      if (v === null) return false
      this.ekin.push(num(v[1]))
      this.temperature.push(num(v[2]))
      this.econst.push(num(v[3]))
    }],
    ["Time step             =", (l) => {
      this.timeStepFs = num(/,\s*(\S+)\s*femto-seconds/.exec(l)?.[1])
    }],
    ["new unit-cell volume =", (l) => {
      const a = /\(\s*(\S+)\s*Ang\^3\s*\)/.exec(l)
      if (a !== null) this.volumeA3.push(num(a[1]))
    }],
    ["Molecular Dynamics Calculation", () => this.setCalc("md", "Born-Oppenheimer molecular dynamics")],
    ["Wentzcovitch Damped Cell Dynamics Minimization", () => this.setCalc("vc-relax", "variable-cell relaxation by damped (Wentzcovitch) cell dynamics")],
    ["Wentzcovitch Cell Dynamics", () => this.setCalc("vc-md", "variable-cell molecular dynamics (Wentzcovitch)")],
    ["Parrinello-Rahman", () => this.setCalc("vc-md", "variable-cell molecular dynamics (Parrinello-Rahman)")],
    ["BFGS Geometry Optimization", () => this.setCalc("relax", "geometry optimisation (BFGS)")],
    ["Damped Dynamics Calculation", () => this.setCalc("relax", "geometry optimisation (damped dynamics)")],
    ["Band Structure Calculation", () => this.setCalc("bands", "non-self-consistent band-structure calculation")],
    ["convergence achieved, Efinal=", (l) => {
      this.finalEnergy = num(/Efinal=\s*(\S+)/.exec(l)?.[1])
      this.cellMin = "converged"
    }],
    ["bfgs converged in", (l) => {
      this.bfgs = l.trim()
    }],
    ["The maximum number of steps has been reached", () => {
      this.maxStepsReached = true
    }],
    ["Final energy", (l) => {
      const e = /Final energy\s*=\s*(\S+)\s*Ry/.exec(l)
      if (e !== null) this.finalEnergy = num(e[1])
      else return false
    }],
    ["Final enthalpy", (l) => {
      this.finalEnthalpy = num(/=\s*(\S+)\s*Ry/.exec(l)?.[1])
    }],
    ["enthalpy new", (l) => this.enthalpy.push(num(/=\s*(\S+)\s*Ry/.exec(l)?.[1]))],
    ["CELL_PARAMETERS", (l) => {
      const rows: string[] = [l.trim()]
      this.block = (r) => {
        const v = numericRow(r)
        if (v !== null && v.length === 3) {
          rows.push(v.map((x) => fixed(x, 6)).join("  "))
          if (rows.length === 4) {
            this.finalCell = rows
            return false
          }
          return true
        }
        return false
      }
    }],
    ["ATOMIC_POSITIONS", (l) => {
      const pos = new FirstN<string>(20)
      const header = l.trim()
      this.block = (r) => {
        const p = r.trim().split(/\s+/)
        if (p.length >= 4 && /^[A-Za-z]/.test(p[0]!) && Number.isFinite(num(p[1]))) {
          pos.push(`${p[0]}  ${fixed(num(p[1]), 6)}  ${fixed(num(p[2]), 6)}  ${fixed(num(p[3]), 6)}`)
          return true
        }
        if (pos.total > 0) {
          this.finalPositions = pos
          this.finalPosHeader = header
        }
        return false
      }
    }],
    ["the Fermi energy is", (l) => {
      this.fermiEv = num(/is\s+(\S+)\s*ev/i.exec(l)?.[1])
      this.fermi = `${fmt(this.fermiEv)} eV`
    }],
    ["Fermi energies are", (l) => {
      const f = /are\s+(\S+)\s+(\S+)\s*ev/i.exec(l)
      if (f !== null) this.fermi = `spin up ${f[1]} eV, spin down ${f[2]} eV`
    }],
    ["highest occupied, lowest unoccupied level", (l) => {
      const h = /:\s*(\S+)\s+(\S+)/.exec(l)
      if (h !== null) {
        this.homoEv = num(h[1])
        this.lumoEv = num(h[2])
      }
    }],
    ["highest occupied level", (l) => {
      this.homoEv = num(/:\s*(\S+)/.exec(l)?.[1])
    }],
    ["total magnetization       =", (l) => {
      this.totMag = num(/=\s*(\S+)/.exec(l)?.[1])
    }],
    ["absolute magnetization    =", (l) => {
      this.absMag = num(/=\s*(\S+)/.exec(l)?.[1])
    }],
    ["contribution", (l) => this.term(l)],
    ["contrib. (-TS)", (l) => this.term(l)],
    ["Dispersion Correction", (l) => this.term(l)],
    ["diffusion coefficients", () => {}],
    ["< D > =", (l) => {
      this.diffusion = num(/=\s*(\S+)/.exec(l)?.[1])
    }],
    ...this.common
  ]

  private setCalc(id: string, label: string): void {
    if (this.calc === null || this.calc === "bands" || this.calc === "relax") this.calc = `${id}|${label}`
  }

  private term(l: string): void {
    const t = /^\s*(.+?)\s*=\s*(-?\d+\.\d+)\s*Ry/.exec(l)
    if (t !== null && (this.terms.size < 30 || this.terms.has(t[1]!.replace(/\s+/g, " ")))) this.terms.set(t[1]!.replace(/\s+/g, " "), num(t[2]))
  }

  finish(): SimulationDocument {
    this.flush()
    const s = this.sys
    let [calcId, calcLabel] = (this.calc ?? (this.totalEnergy.count > 0 ? "scf|self-consistent field (SCF) calculation" : "unknown|calculation")).split("|") as [string, string]
    if (calcId === "relax" && this.volumeA3.count > 0) {
      calcId = "vc-relax"
      calcLabel = "variable-cell relaxation (BFGS)"
    }
    const formula = s.formula()
    const e = this.totalEnergy
    const finalE = this.finalEnergy ?? (e.count > 0 ? e.last : null)
    const titleBits = [formula, calcId, s.xc !== null ? xcName(s.xc).replace(/\s*\(.*$/, "") : null].filter((x): x is string => x !== null && x !== "")
    const title = `Quantum ESPRESSO pw.x ${s.version?.replace(/\s*\(.*$/, "") ?? ""}: ${titleBits.join(", ")}`.replace(/\s+:/, ":")
    const d = new DocBuilder(title)

    const lead: string[] = []
    let first = `Quantum ESPRESSO pw.x (PWSCF v.${s.version ?? "?"}${s.svn !== null ? `, svn rev. ${s.svn}` : ""}) ${calcLabel}`
    if (formula !== null) first += ` on ${formula} (${plural(s.natoms ?? s.composition.total, "atom")} per cell)`
    if (s.ibrav === "0") first += ", cell given explicitly (ibrav = 0)"
    else if (s.ibrav !== null) first += `, ${IBRAV[s.ibrav] ?? `ibrav ${s.ibrav}`} lattice`
    if (s.alat !== null) first += ` with alat = ${fmt(s.alat)} bohr (${fmt(s.alat * BOHR_TO_ANGSTROM, 5)} Å)`
    lead.push(`${first}.`)
    const p2: string[] = []
    if (s.xc !== null) p2.push(`exchange-correlation ${xcName(s.xc)}`)
    if (s.ecutwfc !== null) p2.push(`cutoffs ${fmt(s.ecutwfc)} Ry (wavefunctions) / ${fmt(s.ecutrho)} Ry (density)`)
    if (s.nk !== null) p2.push(`${plural(s.nk, "k-point")}`)
    if (s.smearing !== null) p2.push(s.smearing)
    if (p2.length > 0) lead.push(`${p2.join("; ").replace(/^./, (c) => c.toUpperCase())}.`)
    if (finalE !== null) {
      let t = `Final total energy ${fixed(finalE, 8)} Ry (${fmt(finalE * RY_TO_EV, 9)} eV)`
      if (this.scfIterations.count === 1) t += `, SCF converged in ${plural(this.scfIterations.last, "iteration")}`
      else if (this.scfIterations.count > 1) t += ` after ${plural(this.scfIterations.count, "SCF cycle")} (${fmt(this.scfIterations.min)}–${fmt(this.scfIterations.max)} iterations each)`
      lead.push(`${t}.`)
    }
    if (calcId.includes("md") && this.mdSteps > 0) {
      let t = `${plural(this.mdSteps, "MD step")}${this.timeStepFs !== null ? ` of ${fmt(this.timeStepFs, 4)} fs` : ""}${this.simTimePs !== null ? ` (${fmt(this.simTimePs, 4)} ps)` : ""}`
      if (this.temperature.count > 0) t += `; ionic temperature ${fmt(this.temperature.mean, 4)} K on average (${fmt(this.temperature.min, 4)}–${fmt(this.temperature.max, 4)} K)`
      if (this.econst.count > 1) t += `; the conserved energy drifted by ${fmt((this.econst.max - this.econst.min) * RY_TO_EV * 1000, 3)} meV`
      lead.push(`${t}.`)
    }
    if (calcId.startsWith("vc") && this.volumeA3.count > 0 && s.volume !== null) {
      const v0 = s.volume * BOHR_TO_ANGSTROM ** 3
      const v1 = this.volumeA3.last
      lead.push(`The cell volume went from ${fmt(v0, 6)} to ${fmt(v1, 6)} Å^3 (${v1 >= v0 ? "+" : ""}${fmt(((v1 - v0) / v0) * 100, 3)}%).`)
    }
    if (this.fermi !== null) lead.push(`Fermi energy ${this.fermi}.`)
    else if (this.homoEv !== null) lead.push(`Highest occupied level ${fmt(this.homoEv)} eV${this.lumoEv !== null ? `, lowest unoccupied ${fmt(this.lumoEv)} eV (gap ${fmt(this.lumoEv - this.homoEv, 4)} eV)` : ""}.`)
    if (this.totMag !== null) lead.push(`Total magnetization ${fmt(this.totMag)} Bohr magneton/cell.`)
    if (this.pressure.count > 0) lead.push(`Pressure ${fmt(this.pressure.last)} kbar.`)
    lead.push(s.jobDone ? "The run completed (JOB DONE)." : "No JOB DONE line: the run may be incomplete.")
    d.paragraph(lead.join(" "))

    s.render(d)
    d.kv("calculation", `${calcId} (${calcLabel})`)
    if (s.nstep !== null) d.kv("maximum ionic steps (nstep)", s.nstep)

    d.section("SCF convergence")
    if (this.scfIterations.count > 0) d.kv("SCF cycles", `${this.scfIterations.count} converged${this.scfNotConverged > 0 ? `, ${this.scfNotConverged} NOT converged` : ""}; iterations per cycle ${this.scfIterations.describe("", 4)}`)
    const rows = this.lastScf.items
    if (rows.length > 0) {
      d.line(`${this.scfIterations.count > 1 ? "Last" : "The"} SCF cycle, iteration by iteration:`)
      d.table(["iteration", "total energy (Ry)", "estimated accuracy (Ry)"], rows.map(([i, en, a]) => [String(i), Number.isFinite(en) ? fixed(en, 8) : "", fmt(a, 3)]))
    }

    d.section("Results")
    if (finalE !== null) d.kv("total energy", `${fixed(finalE, 8)} Ry = ${fmt(finalE * RY_TO_EV, 10)} eV`)
    if (this.terms.size > 0) for (const [k, v] of this.terms) d.kv(k, `${fixed(v, 8)} Ry`)
    d.kv("Fermi energy", this.fermi)
    if (this.homoEv !== null) d.kv("highest occupied level", `${fmt(this.homoEv)} eV`)
    if (this.lumoEv !== null) d.kv("lowest unoccupied level", `${fmt(this.lumoEv)} eV`)
    if (this.totMag !== null) d.kv("total magnetization", `${fmt(this.totMag)} Bohr mag/cell (absolute ${fmt(this.absMag)})`)
    if (this.totalForce.count > 0) d.kv("total force (last step)", `${fmt(this.totalForce.last)} Ry/bohr; largest atomic force ${fmt(this.maxForceSeries.last, 4)} Ry/bohr (${fmt(this.maxForceSeries.last * RY_TO_EV / BOHR_TO_ANGSTROM, 4)} eV/Å) over ${plural(this.forceAtomsLast, "atom")}`)
    if (this.pressure.count > 0) d.kv("pressure (last)", `${fmt(this.pressure.last)} kbar`)
    if (this.stressKbar.length === 3) d.kv("stress tensor (kbar)", this.stressKbar.map((r) => `[${r.map((x) => fmt(x, 5)).join(", ")}]`).join(" "))

    const traj = e.count > 1 || this.mdSteps > 0
    if (traj) {
      d.section(calcId.includes("md") ? "Molecular dynamics trajectory" : calcId.includes("relax") ? "Relaxation trajectory" : "Ionic steps")
      if (this.mdSteps > 0) d.kv(calcId.includes("relax") ? "relaxation steps" : "dynamics steps", this.mdSteps)
      if (this.timeStepFs !== null) d.kv("time step", `${fmt(this.timeStepFs)} fs`)
      if (this.simTimePs !== null) d.kv("simulated time", `${fmt(this.simTimePs)} ps`)
      if (e.count > 1) d.kv("total energy per ionic step (Ry)", e.describe("", 10, 8))
      if (this.temperature.count > 0) d.kv("ionic temperature (K)", this.temperature.describe("", 6, 6))
      if (this.ekin.count > 0) d.kv("ionic kinetic energy (Ry)", this.ekin.describe("", 6))
      if (this.econst.count > 1) {
        const c = this.econst
        if (calcId.includes("relax")) d.kv("Etot reported by the damped dynamics (Ry)", c.describe("", 10))
        else d.kv("conserved energy Ekin + Etot (Ry)", `${c.describe("", 10)}; drift max-min ${fmt(c.max - c.min, 3)} Ry (${fmt((c.max - c.min) * RY_TO_EV * 1000, 3)} meV)`)
      }
      if (this.enthalpy.count > 0) d.kv("enthalpy per step (Ry)", this.enthalpy.describe("", 10, 6))
      if (this.volumeA3.count > 0) d.kv("cell volume (Å^3)", this.volumeA3.describe("", 7, 8))
      if (this.pressure.count > 1) d.kv("pressure (kbar)", this.pressure.describe("", 5, 8))
      if (this.totalForce.count > 1) d.kv("total force (Ry/bohr)", this.totalForce.describe("", 5, 6))
      if (this.diffusion !== null) d.kv("mean diffusion coefficient <D>", `${fmt(this.diffusion)} cm^2/s`)
      d.kv("BFGS", this.bfgs)
      if (this.cellMin !== null) d.kv("cell minimisation", this.cellMin)
      if (this.maxStepsReached) d.bullet("the maximum number of steps was reached")
      if (this.finalEnergy !== null) d.kv("final energy", `${fixed(this.finalEnergy, 8)} Ry`)
      if (this.finalEnthalpy !== null) d.kv("final enthalpy", `${fixed(this.finalEnthalpy, 8)} Ry`)
      if (this.finalCell.length === 4) {
        d.line("")
        d.line("Final cell:")
        d.line("```")
        for (const r of this.finalCell) d.line(r)
        d.line("```")
      }
      if (this.finalPositions.total > 0) {
        d.line(`Final positions (${this.finalPosHeader ?? "ATOMIC_POSITIONS"}):`)
        d.line("```")
        for (const r of this.finalPositions.items) d.line(r)
        if (this.finalPositions.omitted > 0) d.line(`… ${this.finalPositions.omitted} more atoms`)
        d.line("```")
      }
    }
    finishStatus(d, s, this.warnings, this.errors, this.lines)

    const base = s.meta()
    const metadata = compact({
      program: "Quantum ESPRESSO",
      executable: "pw.x",
      format: "qe-pw",
      ...base,
      calculation: calcId,
      results: {
        totalEnergy: finalE !== null ? q(finalE, "Ry") : null,
        totalEnergyEv: finalE !== null ? q(Number((finalE * RY_TO_EV).toPrecision(12)), "eV") : null,
        energyTerms: Object.fromEntries([...this.terms].map(([k, v]) => [k, q(v, "Ry")])),
        fermiEnergy: qOpt(this.fermiEv, "eV"),
        highestOccupied: qOpt(this.homoEv, "eV"),
        lowestUnoccupied: qOpt(this.lumoEv, "eV"),
        totalMagnetization: qOpt(this.totMag, "Bohr mag/cell"),
        absoluteMagnetization: qOpt(this.absMag, "Bohr mag/cell"),
        totalForce: this.totalForce.count > 0 ? q(this.totalForce.last, "Ry/bohr") : null,
        pressure: this.pressure.count > 0 ? q(this.pressure.last, "kbar") : null,
        stress: this.stressKbar.length === 3 ? { unit: "kbar", values: this.stressKbar } : null
      },
      convergence: {
        scfCycles: this.scfIterations.count,
        scfNotConverged: this.scfNotConverged,
        iterationsPerCycle: this.scfIterations.count > 0 ? this.scfIterations.summary() : null
      },
      trajectory: traj
        ? {
            steps: this.mdSteps > 0 ? this.mdSteps : e.count,
            timeStep: qOpt(this.timeStepFs, "fs"),
            simulatedTime: qOpt(this.simTimePs, "ps"),
            totalEnergy: e.count > 1 ? { unit: "Ry", ...e.summary(12) } : null,
            temperature: this.temperature.count > 0 ? { unit: "K", ...this.temperature.summary() } : null,
            conservedEnergy: this.econst.count > 1 ? { unit: "Ry", ...this.econst.summary(12) } : null,
            volume: this.volumeA3.count > 0 ? { unit: "Angstrom^3", ...this.volumeA3.summary() } : null,
            pressure: this.pressure.count > 1 ? { unit: "kbar", ...this.pressure.summary() } : null
          }
        : null,
      termination: s.jobDone ? "normal" : this.errors.size > 0 ? "error" : "unknown",
      warnings: this.warnings.strings(),
      errors: this.errors.strings(),
      lines: this.lines
    }) as Record<string, unknown>
    return { program: "Quantum ESPRESSO", format: "qe-pw", title, text: d.build(), metadata }
  }
}

// ---------------------------------------------------------------------------------------------------
// ph.x

interface QPoint {
  readonly q: [number, number, number]
  readonly freqCm: number[]
  readonly symmetries: string[]
}

class PhReader extends BaseReader {
  private readonly sys = new QeSystem()
  private grid: string | null = null
  private nq: number | null = null
  private readonly qpoints: QPoint[] = []
  private qCount = 0
  private current: QPoint | null = null
  private readonly allFreq = new Series(64)
  private dielectric: number[][] = []
  private readonly zeff: Array<{ atom: string; diag: number[] }> = []
  private zeffSeen = false
  private irreps = 0
  private phConverged = 0
  private readonly common = this.sys.rules({ setBlock: (b) => (this.block = b) }, this.warnings, this.errors)

  protected readonly rules: ReadonlyArray<Rule> = [
    ["freq (", (l) => {
      const f = /freq \(\s*\d+\)\s*=\s*(\S+)\s*\[THz\]\s*=\s*(\S+)\s*\[cm-1\]/.exec(l)
      if (f !== null) {
        if (this.current !== null && this.current.freqCm.length < 300) this.current.freqCm.push(num(f[2]))
        this.allFreq.push(num(f[2]))
        return
      }
      const s = /freq \(\s*(\d+)\s*-\s*(\d+)\)\s*=\s*(\S+)\s*\[cm-1\]\s*-->\s*(.+)$/.exec(l)
      if (s !== null && this.current !== null && this.current.symmetries.length < 40) this.current.symmetries.push(`${s[3]} cm^-1 (modes ${s[1]}-${s[2]}): ${s[4]!.trim().replace(/\s+/g, " ")}`)
    }],
    ["Diagonalizing the dynamical matrix", () => {
      this.block = (r) => {
        const m = /q = \(\s*(\S+)\s+(\S+)\s+(\S+)\s*\)/.exec(r)
        if (m === null) return r.trim() === ""
        this.qCount++
        const qp: QPoint = { q: [num(m[1]), num(m[2]), num(m[3])], freqCm: [], symmetries: [] }
        this.current = qp
        if (this.qpoints.length < 64) this.qpoints.push(qp)
        return false
      }
    }],
    ["Dynamical matrices for", (l) => {
      const g = /\(\s*(\d+),\s*(\d+),\s*(\d+)\)/.exec(l)
      if (g !== null) this.grid = `${g[1]}x${g[2]}x${g[3]}`
    }],
    ["q-points):", (l) => {
      this.nq = num(/\(\s*(\d+)\s*q-points/.exec(l)?.[1])
    }],
    ["Dielectric constant in cartesian axis", () => {
      const rows: number[][] = []
      this.block = (r) => {
        const m = /\(\s*(\S+)\s+(\S+)\s+(\S+)\s*\)/.exec(r)
        if (m !== null) {
          rows.push([num(m[1]), num(m[2]), num(m[3])])
          if (rows.length === 3) {
            this.dielectric = rows
            return false
          }
          return true
        }
        return r.trim() === "" && rows.length === 0
      }
    }],
    ["Effective charges (d Force / dE) in cartesian axis", () => {
      if (this.zeffSeen) return
      this.zeffSeen = true
      let atom: string | null = null
      let diag: number[] = []
      this.block = (r) => {
        const a = /atom\s+\d+\s+(\S+)/.exec(r)
        if (a !== null) {
          atom = a[1]!
          diag = []
          return true
        }
        const m = /^\s*E[xyz]\s+\(\s*(\S+)\s+(\S+)\s+(\S+)\s*\)/.exec(r)
        if (m !== null && atom !== null) {
          diag.push(num(m[diag.length + 1]))
          if (diag.length === 3 && this.zeff.length < 50) this.zeff.push({ atom, diag })
          return true
        }
        return r.trim() === ""
      }
    }],
    ["irreducible representations", (l) => {
      const n = /There are\s+(\d+) irreducible/.exec(l)
      if (n !== null) this.irreps += Number(n[1])
    }],
    ["Convergence has been achieved", () => {
      this.phConverged++
    }],
    ["No convergence has been achieved", (l) => this.warnings.add(l.trim())],
    ...this.common
  ]

  finish(): SimulationDocument {
    this.flush()
    const s = this.sys
    const formula = s.formula()
    const title = `Quantum ESPRESSO ph.x ${s.version?.replace(/\s*\(.*$/, "") ?? ""}: phonons of ${formula ?? "a crystal"}${this.grid !== null ? ` on a ${this.grid} q-grid` : ""}`
    const d = new DocBuilder(title)
    const lead: string[] = []
    lead.push(
      `Quantum ESPRESSO ph.x (PHONON v.${s.version ?? "?"}${s.svn !== null ? `, svn rev. ${s.svn}` : ""}) density-functional perturbation theory (DFPT) phonon calculation on ${formula ?? "a crystal"}` +
        `${s.natoms !== null ? ` (${plural(s.natoms, "atom")} per cell, ${3 * s.natoms} phonon branches)` : ""}` +
        `${this.grid !== null ? `, dynamical matrices on a ${this.grid} uniform grid (${this.nq ?? "?"} irreducible q-points)` : ""}.`
    )
    if (s.xc !== null) lead.push(`Exchange-correlation ${xcName(s.xc)}; cutoff ${fmt(s.ecutwfc)} Ry.`)
    if (this.allFreq.count > 0) lead.push(`${plural(this.qCount, "q-point")} computed; phonon frequencies range from ${fmt(this.allFreq.min, 5)} to ${fmt(this.allFreq.max, 5)} cm^-1 (${fmt(this.allFreq.max * 0.0299792458, 4)} THz).`)
    if (this.dielectric.length === 3) lead.push(`High-frequency dielectric constant ε∞ = ${fmt((this.dielectric[0]![0]! + this.dielectric[1]![1]! + this.dielectric[2]![2]!) / 3, 5)} (trace/3).`)
    if (this.zeff.length > 0) lead.push(`Born effective charges (diagonal, average): ${this.zeff.map((z) => `${z.atom} ${fmt((z.diag[0]! + z.diag[1]! + z.diag[2]!) / 3, 4)}`).join(", ")}.`)
    lead.push(s.jobDone ? "The run completed (JOB DONE)." : "No JOB DONE line: the run may be incomplete.")
    d.paragraph(lead.join(" "))
    s.render(d, { skipKpoints: true })

    if (this.qpoints.length > 0) {
      d.section("Phonon frequencies")
      const nModes = Math.max(...this.qpoints.map((p) => p.freqCm.length))
      if (nModes <= 12) {
        d.table(
          ["q (2π/alat)", ...Array.from({ length: nModes }, (_, i) => `ω${i + 1} (cm^-1)`)],
          this.qpoints.map((p) => [`(${p.q.map((x) => fmt(x, 4)).join(", ")})`, ...p.freqCm.map((f) => fmt(f, 6))])
        )
      } else {
        d.table(["q (2π/alat)", "modes", "lowest (cm^-1)", "highest (cm^-1)"], this.qpoints.map((p) => [`(${p.q.map((x) => fmt(x, 4)).join(", ")})`, String(p.freqCm.length), fmt(Math.min(...p.freqCm), 6), fmt(Math.max(...p.freqCm), 6)]))
      }
      if (this.qCount > this.qpoints.length) d.line(`… ${this.qCount - this.qpoints.length} more q-points not shown.`)
      const gamma = this.qpoints.find((p) => p.q.every((x) => Math.abs(x) < 1e-8))
      if (gamma !== undefined && gamma.freqCm.length >= 3) {
        const ac = gamma.freqCm.slice(0, 3)
        d.line(
          `At Γ the three lowest modes are the acoustic branches (${ac.map((x) => fmt(x, 4)).join(", ")} cm^-1); they should vanish, and small residuals come from numerical error because ph.x does not impose the acoustic sum rule (dynmat.x/matdyn.x do). The optical modes at Γ exclude the non-analytic LO-TO term.`
        )
      }
      const withSym = this.qpoints.filter((p) => p.symmetries.length > 0).slice(0, 8)
      if (withSym.length > 0) {
        d.line("")
        d.line("Mode symmetries (I = infrared active, R = Raman active):")
        for (const p of withSym) d.bullet(`q = (${p.q.map((x) => fmt(x, 4)).join(", ")}): ${p.symmetries.join("; ")}`)
      }
    }
    if (this.dielectric.length === 3 || this.zeff.length > 0) {
      d.section("Dielectric properties")
      if (this.dielectric.length === 3) d.kv("dielectric tensor ε∞", this.dielectric.map((r) => `[${r.map((x) => fmt(x, 6)).join(", ")}]`).join(" "))
      for (const z of this.zeff) d.kv(`Born effective charge Z* of ${z.atom} (xx, yy, zz)`, z.diag.map((x) => fmt(x, 5)).join(", "))
      if (this.zeff.length > 1) d.kv("charge neutrality check (sum of Z*xx over atoms; 0 when the sum rule holds)", fmt(this.zeff.reduce((a, z) => a + z.diag[0]!, 0), 4))
    }
    d.section("Convergence")
    d.kv("irreducible representations solved", this.irreps)
    d.kv("self-consistent linear-response cycles converged", this.phConverged)
    finishStatus(d, s, this.warnings, this.errors, this.lines)
    const metadata = compact({
      program: "Quantum ESPRESSO",
      executable: "ph.x",
      format: "qe-ph",
      ...s.meta(),
      calculation: "phonons (DFPT)",
      parameters: { ...(s.meta().parameters as object), qGrid: this.grid, irreducibleQPoints: this.nq },
      results: {
        qpoints: this.qpoints.map((p) => ({ q: p.q, frequencies: p.freqCm })),
        qpointsComputed: this.qCount,
        frequencyUnit: "cm^-1",
        frequencyRange: this.allFreq.count > 0 ? { min: this.allFreq.min, max: this.allFreq.max } : null,
        dielectricTensor: this.dielectric.length === 3 ? this.dielectric : null,
        bornEffectiveCharges: this.zeff.map((z) => ({ atom: z.atom, diagonal: z.diag }))
      },
      termination: s.jobDone ? "normal" : this.errors.size > 0 ? "error" : "unknown",
      warnings: this.warnings.strings(),
      errors: this.errors.strings(),
      lines: this.lines
    }) as Record<string, unknown>
    return { program: "Quantum ESPRESSO", format: "qe-ph", title, text: d.build(), metadata }
  }
}

// ---------------------------------------------------------------------------------------------------
// cp.x

const CP_UNITS = new Map([
  ["ekinc", "Hartree"],
  ["temph", "K"],
  ["tempp", "K"],
  ["etot", "Hartree"],
  ["enthal", "Hartree"],
  ["econs", "Hartree"],
  ["econt", "Hartree"]
])

class CpReader extends BaseReader {
  private version: string | null = null
  private title: string | null = null
  private readonly params: Array<[string, string]> = []
  private readonly comp = new Composition()
  private table: ColumnTable | null = null
  private readonly averages: Array<[string, string]> = []
  private xc: string | null = null
  private done = false
  private wall: string | null = null
  private startedOn: string | null = null
  private cell: string[] = []
  private readonly species: string[] = []

  protected readonly rules: ReadonlyArray<Rule> = [
    ["nfi", (l) => {
      const cols = l.trim().split(/\s+/)
      if (cols[0] !== "nfi") return false
      if (this.table === null) this.table = new ColumnTable(cols)
      const t = this.table
      this.block = (r) => {
        const v = numericRow(r)
        if (v !== null && v.length === t.columns.length) {
          t.push(v)
          return true
        }
        return r.trim() === "" || r.includes("Physical Quantities at step")
      }
    }],
    ["Version:", (l) => {
      const v = /Version:\s*(\S+)/.exec(l)
      if (v !== null && this.version === null) this.version = v[1]!
    }],
    ["Program CP v.", (l) => {
      const v = /Program CP v\.(\S+)/.exec(l)
      if (v !== null) this.version = v[1]!
    }],
    ["This run was started on:", (l) => {
      this.startedOn = l.split("on:")[1]!.trim()
    }],
    ["Job Title:", (l) => {
      this.title = l.split(":")[1]!.trim()
    }],
    ["Number of MD Steps =", (l) => this.param("MD steps", l.split("=")[1]!.trim())],
    ["MD Simulation time step", (l) => this.param("time step", `${l.split("=")[1]!.trim()} a.u. (${fmt(num(l.split("=")[1]) * 0.02418884, 4)} fs)`)],
    ["Electronic fictitious mass (emass)", (l) => this.param("electronic fictitious mass (emass)", `${l.split("=")[1]!.trim()} a.u.`)],
    ["emass cut-off", (l) => this.param("emass cut-off", `${l.split("=")[1]!.trim()} Ry`)],
    ["Restart Mode", (l) => this.param("restart mode", l.split("=")[1]!.trim().replace(/\s+/g, " "))],
    ["external pressure", (l) => this.param("external pressure", l.split("=")[1]!.trim().replace(/\s+/g, " "))],
    ["ibrav =", (l) => this.param("ibrav", l.split("=")[1]!.trim())],
    ["alat  =", (l) => this.param("alat", `${l.split("=")[1]!.trim()} bohr`)],
    ["omega =", (l) => this.param("cell volume (omega)", `${fmt(num(l.split("=")[1]))} bohr^3 (${fmt(num(l.split("=")[1]) * BOHR_TO_ANGSTROM ** 3, 6)} Å^3)`)],
    ["a1    =", (l) => this.cellLine(l)],
    ["a2    =", (l) => this.cellLine(l)],
    ["a3    =", (l) => this.cellLine(l)],
    ["Ecutwfc =", (l) => {
      const e = /Ecutwfc =\s*(\S+) Ry,\s*Ecutrho =\s*(\S+) Ry,\s*Ecuts =\s*(\S+) Ry/.exec(l)
      if (e !== null) this.param("cutoffs", `${e[1]} Ry (wavefunctions), ${e[2]} Ry (density), ${e[3]} Ry (smooth)`)
    }],
    ["Number of Electron =", (l) => {
      const e = /Electron =\s*(\d+), of States =\s*(\d+)/.exec(l)
      if (e !== null) this.param("electrons / states", `${e[1]} / ${e[2]}`)
    }],
    ["Exchange-correlation", (l) => {
      this.xc = l.split("=").slice(1).join("=").trim()
    }],
    ["Ions are not allowed to move", (l) => this.param("ions", l.trim())],
    ["Ions are allowed to move", (l) => this.param("ions", l.trim())],
    ["cell parameters are not allowed to move", (l) => this.param("cell", l.trim())],
    ["Electron dynamics", (l) => this.param("electron dynamics", l.trim().replace(/^Electron dynamics\s*:\s*/, ""))],
    ["verlet algorithm for electron dynamics", (l) => this.param("electron integrator", l.trim())],
    ["Reading pseudopotential for specie", () => {
      this.block = (r) => {
        if (this.species.length < 20) this.species.push(r.trim().replace(/^.*\//, ""))
        return false
      }
    }],
    ["Scaled positions from standard input", () => this.positions()],
    ["Species   ", (l) => {
      const s = /Species\s+\d+\s+atoms =\s*(\d+)\s+mass =.*?([\d.]+) \(amu\)/.exec(l)
      if (s !== null) this.param(`species (${this.params.filter(([k]) => k.startsWith("species")).length + 1}) atoms and mass`, `${s[1]} atoms, ${s[2]} amu`)
    }],
    ["Averaged Physical Quantities", () => {
      this.block = (r) => {
        const a = /^\s*([a-z][a-z ]+?)\s*:\s*(\S+)\s+(\S+)\s*\((.+)\)/.exec(r)
        if (a !== null) {
          if (this.averages.length < 20) this.averages.push([a[1]!, `${a[3]} ${a[4]!.trim()}`])
          return true
        }
        return r.trim() === "" || r.includes("accomulated") || r.includes("accumulated")
      }
    }],
    ["CP           :", (l) => {
      this.wall = l.split(":").slice(1).join(":").trim().replace(/\s+/g, " ")
    }],
    ["JOB DONE", () => {
      this.done = true
    }],
    ["Error", (l) => {
      if (/Error in routine/.test(l)) this.errors.add(l.trim())
      else return false
    }],
    ["Warning", (l) => this.warnings.add(l.trim())],
    ["WARNING", (l) => this.warnings.add(l.trim())]
  ]

  private param(k: string, v: string): void {
    if (this.params.length < 40 && !this.params.some(([x]) => x === k)) this.params.push([k, v])
  }

  private cellLine(l: string): void {
    const v = l.split("=")[1]!.trim().split(/\s+/).map(num)
    if (v.length === 3 && this.cell.length < 3) this.cell.push(`(${v.map((x) => fmt(x, 6)).join(", ")})`)
  }

  private positions(): void {
    let rows = 0
    this.block = (r) => {
      const p = r.trim().split(/\s+/)
      if (p.length === 4 && /^[A-Za-z]/.test(p[0]!) && Number.isFinite(num(p[1]))) {
        this.comp.add(elementFromLabel(p[0]!) ?? p[0]!)
        rows++
        return true
      }
      return rows === 0 && r.trim() === ""
    }
  }

  finish(): SimulationDocument {
    this.flush()
    const formula = this.comp.total > 0 ? this.comp.formula() : null
    const title = `Quantum ESPRESSO cp.x ${this.version ?? ""}: Car-Parrinello MD${formula !== null ? ` of ${formula}` : ""}`.replace(/\s+:/, ":")
    const d = new DocBuilder(title)
    const t = this.table
    const lead = [
      `Quantum ESPRESSO cp.x (version ${this.version ?? "?"}) Car-Parrinello molecular dynamics${formula !== null ? ` of ${formula} (${plural(this.comp.total, "atom")})` : ""}${this.title !== null ? `, job "${this.title}"` : ""}.`
    ]
    if (this.xc !== null) lead.push(`Exchange-correlation ${xcName(this.xc)}.`)
    if (t !== null && t.count > 0) {
      const iE = t.columns.indexOf("etot")
      const iK = t.columns.indexOf("ekinc")
      if (iE >= 0) lead.push(`${plural(t.count, "step")} printed; Kohn-Sham total energy went from ${fmt(t.series[iE]!.first, 8)} to ${fmt(t.series[iE]!.last, 8)} Hartree.`)
      if (iK >= 0) lead.push(`Fictitious electronic kinetic energy ekinc ended at ${fmt(t.series[iK]!.last, 6)} Hartree${t.series[iK]!.last < t.series[iK]!.max / 10 ? " (electrons relaxing towards the Born-Oppenheimer surface)" : ""}.`)
    }
    lead.push(this.done ? "The run completed (JOB DONE)." : "No JOB DONE line: the run may be incomplete.")
    d.paragraph(lead.join(" "))
    d.section("Parameters")
    for (const [k, v] of this.params) d.kv(k, v)
    if (this.cell.length === 3) d.kv("cell vectors (bohr)", this.cell.join(", "))
    if (this.species.length > 0) d.kv("pseudopotentials", this.species.join(", "))
    if (formula !== null) d.kv("composition", `${formula} (${this.comp.entries().map(([e, n]) => `${e} ${n}`).join(", ")})`)
    if (this.xc !== null) d.kv("exchange-correlation", xcName(this.xc))
    if (t !== null && t.count > 0) {
      d.section("Trajectory")
      d.line(`${plural(t.count, "row")} of step output. Columns: nfi step index; ekinc fictitious electronic kinetic energy; temph cell temperature; tempp ionic temperature; etot DFT total energy; enthal enthalpy; econs conserved energy of the physical system; econt constant of motion of the Car-Parrinello Lagrangian (energies in Hartree, temperatures in K).`)
      d.table([...STAT_HEADERS], t.statRows(CP_UNITS))
      d.line("Sampled rows:")
      d.table([...t.columns], t.sampleRows(8))
    }
    if (this.averages.length > 0) {
      d.section("Averages over the run")
      for (const [k, v] of this.averages) d.kv(k, v)
    }
    if (this.warnings.size > 0 || this.errors.size > 0) {
      d.section("Warnings and errors")
      for (const m of this.errors.strings()) d.bullet(`ERROR: ${m}`)
      for (const m of this.warnings.strings()) d.bullet(`warning: ${m}`)
    }
    d.section("Run")
    d.kv("started", this.startedOn)
    d.kv("time", this.wall)
    d.kv("termination", this.done ? "JOB DONE (normal)" : "no JOB DONE line")
    const metadata = compact({
      program: "Quantum ESPRESSO",
      executable: "cp.x",
      format: "qe-cp",
      version: this.version,
      title: this.title,
      calculation: "Car-Parrinello molecular dynamics",
      functional: this.xc !== null ? xcName(this.xc) : null,
      system: { formula, atoms: this.comp.total > 0 ? this.comp.total : null, composition: this.comp.total > 0 ? this.comp.record() : null },
      parameters: Object.fromEntries(this.params),
      trajectory: t !== null ? t.metadata() : null,
      averages: Object.fromEntries(this.averages),
      termination: this.done ? "normal" : "unknown",
      warnings: this.warnings.strings(),
      errors: this.errors.strings(),
      lines: this.lines
    }) as Record<string, unknown>
    return { program: "Quantum ESPRESSO", format: "qe-cp", title, text: d.build(), metadata }
  }
}

// ---------------------------------------------------------------------------------------------------
// neb.x

class NebReader extends BaseReader {
  private version: string | null = null
  private svn: string | null = null
  private readonly params: Array<[string, string]> = []
  private iterations = 0
  private readonly forward = new Series(64)
  private readonly backward = new Series(64)
  private firstProfile: Array<[number, number, number]> = []
  private lastProfile: Array<[number, number, number]> = []
  private climbing: string | null = null
  private pathLength: string | null = null
  private converged: string | null = null
  private done = false
  private wall: string | null = null
  private paramBlock = false

  protected readonly rules: ReadonlyArray<Rule> = [
    ["Program NEB v.", (l) => {
      const v = /Program NEB v\.(\S+)(?:\s+\(svn rev\. (\d+)\w*\))?/.exec(l)
      if (v !== null) {
        this.version = v[1]!
        this.svn = v[2] ?? null
      }
    }],
    ["initial path length", (l) => {
      this.paramBlock = true
      this.kv(l)
    }],
    ["-- iteration", (l) => {
      this.paramBlock = false
      this.iterations = Math.max(this.iterations, num(/iteration\s+(\d+)/.exec(l)?.[1]) || 0)
    }],
    ["activation energy (->)", (l) => this.forward.push(num(/=\s*(\S+)\s*eV/.exec(l)?.[1]))],
    ["activation energy (<-)", (l) => this.backward.push(num(/=\s*(\S+)\s*eV/.exec(l)?.[1]))],
    ["image        energy (eV)", () => {
      const rows: Array<[number, number, number]> = []
      this.block = (r) => {
        const p = r.trim().split(/\s+/)
        if (p.length >= 3 && /^\d+$/.test(p[0]!) && Number.isFinite(num(p[1]))) {
          if (rows.length < 100) rows.push([Number(p[0]), num(p[1]), num(p[2])])
          return true
        }
        if (rows.length === 0 && r.trim() === "") return true
        if (this.firstProfile.length === 0) this.firstProfile = rows
        this.lastProfile = rows
        return false
      }
    }],
    ["climbing image", (l) => {
      this.climbing = l.split("=")[1]!.trim()
    }],
    ["path length          =", (l) => {
      this.pathLength = l.split("=")[1]!.trim()
    }],
    ["neb: convergence achieved", (l) => {
      this.converged = l.trim().replace(/^neb:\s*/, "").replace(/\s+/g, " ")
    }],
    ["reached the maximum number of steps", (l) => {
      this.converged = "NOT converged: maximum number of steps reached"
      this.warnings.add(l.trim())
    }],
    ["JOB DONE", () => {
      this.done = true
    }],
    ["NEB          :", (l) => {
      this.wall = l.split(":").slice(1).join(":").trim().replace(/\s+/g, " ")
    }],
    ["Error in routine", (l) => this.errors.add(l.trim())],
    ["Warning", (l) => this.warnings.add(l.trim())],
    ["=", (l) => {
      if (!this.paramBlock) return false
      this.kv(l)
    }]
  ]

  private kv(l: string): void {
    const m = /^\s*(\S[^=]*?)\s*=\s*(.+)$/.exec(l)
    if (m !== null && this.params.length < 30) this.params.push([m[1]!, m[2]!.trim()])
  }

  finish(): SimulationDocument {
    this.flush()
    const prof = this.lastProfile
    const title = `Quantum ESPRESSO neb.x ${this.version ?? ""}: nudged elastic band, ${prof.length} images`
    const d = new DocBuilder(title)
    const lead: string[] = []
    const method = this.params.find(([k]) => k === "string_method")?.[1] ?? "neb"
    lead.push(`Quantum ESPRESSO neb.x (NEB v.${this.version ?? "?"}${this.svn !== null ? `, svn rev. ${this.svn}` : ""}) minimum-energy-path calculation (${method === "neb" ? "nudged elastic band" : method}) with ${plural(prof.length, "image")}.`)
    if (this.forward.count > 0) {
      const f = this.forward.last
      const b = this.backward.last
      lead.push(
        `Final activation energy ${fmt(f, 6)} eV forward (${fmt(f * EV_TO_KJ, 5)} kJ/mol) and ${fmt(b, 6)} eV backward; it fell from ${fmt(this.forward.first, 6)} eV at the first iteration as the path relaxed.`
      )
    }
    if (prof.length > 1) {
      const e0 = prof[0]![1]
      const eN = prof[prof.length - 1]![1]
      lead.push(`Reaction energy (last minus first image) ${fixed(eN - e0, 4)} eV.`)
    }
    lead.push(`${this.converged !== null ? `${this.converged.replace(/^./, (c) => c.toUpperCase())}.` : "No convergence message."} ${this.done ? "The run completed (JOB DONE)." : ""}`.trim())
    d.paragraph(lead.join(" "))
    d.section("Parameters")
    for (const [k, v] of this.params) d.kv(k, v)
    if (prof.length > 0) {
      d.section("Energy profile along the path")
      const e0 = prof[0]![1]
      const top = prof.reduce((a, r) => (r[1] > a[1] ? r : a), prof[0]!)
      d.table(
        ["image", "energy (eV)", "relative to image 1 (eV)", "error (eV/Å)"],
        prof.map(([i, e, err]) => [String(i), fixed(e, 6), fixed(e - e0, 4), fmt(err, 4)])
      )
      d.line(`Highest image: ${top[0]} at ${fixed(top[1] - e0, 4)} eV above image 1${this.climbing !== null ? `; climbing image ${this.climbing}` : ""}.`)
      d.kv("path length", this.pathLength)
    }
    if (this.forward.count > 1) {
      d.section("Optimisation of the path")
      d.kv("iterations", this.iterations)
      d.kv("forward barrier per iteration (eV)", this.forward.describe("", 6, 8))
      if (this.firstProfile.length > 0 && this.firstProfile !== prof) {
        const e0 = this.firstProfile[0]![1]
        d.kv("initial (interpolated) path, relative energies (eV)", this.firstProfile.map(([, e]) => fixed(e - e0, 3)).join(", "))
      }
    }
    if (this.warnings.size > 0 || this.errors.size > 0) {
      d.section("Warnings and errors")
      for (const m of this.errors.strings()) d.bullet(`ERROR: ${m}`)
      for (const m of this.warnings.strings()) d.bullet(`warning: ${m}`)
    }
    d.section("Run")
    d.kv("time", this.wall)
    d.kv("termination", this.done ? "JOB DONE (normal)" : "no JOB DONE line")
    const metadata = compact({
      program: "Quantum ESPRESSO",
      executable: "neb.x",
      format: "qe-neb",
      version: this.version,
      svnRevision: this.svn,
      calculation: "nudged elastic band",
      parameters: Object.fromEntries(this.params),
      results: {
        activationEnergyForward: this.forward.count > 0 ? q(this.forward.last, "eV") : null,
        activationEnergyBackward: this.backward.count > 0 ? q(this.backward.last, "eV") : null,
        images: prof.map(([i, e, err]) => ({ image: i, energy: e, error: err })),
        energyUnit: "eV",
        errorUnit: "eV/Angstrom",
        climbingImage: this.climbing !== null ? num(this.climbing) : null
      },
      convergence: { iterations: this.iterations, status: this.converged },
      termination: this.done ? "normal" : "unknown",
      warnings: this.warnings.strings(),
      errors: this.errors.strings(),
      lines: this.lines
    }) as Record<string, unknown>
    return { program: "Quantum ESPRESSO", format: "qe-neb", title, text: d.build(), metadata }
  }
}

// ---------------------------------------------------------------------------------------------------
// Detection

const QE_BANNER = /^\s*Program (PWSCF|PHONON|NEB|CP) v\.\S+/m

function qeProgram(head: string): string | null {
  const m = QE_BANNER.exec(head)
  if (m !== null) return m[1]!
  if (head.includes("CP: variable-cell Car-Parrinello molecular dynamics")) return "CP"
  return null
}

export const QE_PW: LogProgram = {
  format: "qe-pw",
  detect: (head) => {
    const p = qeProgram(head)
    if (p === "PWSCF") return 0.99
    if (p === null && head.includes("Quantum ESPRESSO") && head.includes("bravais-lattice index")) return 0.7
    return 0
  },
  create: () => new PwReader()
}

export const QE_PH: LogProgram = { format: "qe-ph", detect: (head) => (qeProgram(head) === "PHONON" ? 0.99 : 0), create: () => new PhReader() }
export const QE_CP: LogProgram = { format: "qe-cp", detect: (head) => (qeProgram(head) === "CP" ? 0.99 : 0), create: () => new CpReader() }
export const QE_NEB: LogProgram = { format: "qe-neb", detect: (head) => (qeProgram(head) === "NEB" ? 0.99 : 0), create: () => new NebReader() }

