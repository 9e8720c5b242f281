/**
 * LAMMPS outputs: log files and screen output (`lammps-log`), text dump trajectories
 * (`lammps-dump`, "ITEM: TIMESTEP" format) and fix phonon logs (`lammps-phonon`).
 *
 * The log reader keeps one record per run (MD or minimisation) with per-column running summaries of
 * the thermo output and a bounded row sample; only the first runs and the last ones are kept in
 * detail, the others are counted and folded into totals and all-run column summaries. The dump
 * reader streams snapshots, keeping per-column statistics over all atoms and snapshots, the first
 * and last box and a few sample atom rows, so a dump of any size becomes a document of bounded size.
 */
import { BaseReader, type Rule } from "./base.ts"
import {
  clip,
  ColumnTable,
  compact,
  DocBuilder,
  fcount,
  FirstN,
  fixed,
  fmt,
  joinList,
  LastN,
  num,
  numericRow,
  plural,
  q,
  qOpt,
  round,
  Series,
  STAT_HEADERS
} from "./render.ts"
import type { LogProgram, LogReader, SimulationDocument } from "./types.ts"

// ---------------------------------------------------------------------------------------------------
// Units

interface UnitSystem {
  readonly distance: string
  readonly time: string
  readonly energy: string
  readonly temperature: string
  readonly pressure: string
  readonly density: string
  /** Multiply a time in this unit to get nanoseconds (NaN when reduced units). */
  readonly toNs: number
  readonly description: string
}

const UNITS: Record<string, UnitSystem> = {
  real: { distance: "Å", time: "fs", energy: "kcal/mol", temperature: "K", pressure: "atm", density: "g/cm^3", toNs: 1e-6, description: "distance Å, time fs, energy kcal/mol, temperature K, pressure atm" },
  metal: { distance: "Å", time: "ps", energy: "eV", temperature: "K", pressure: "bar", density: "g/cm^3", toNs: 1e-3, description: "distance Å, time ps, energy eV, temperature K, pressure bar" },
  lj: { distance: "σ", time: "τ", energy: "ε", temperature: "ε/k_B", pressure: "ε/σ^3", density: "σ^-3", toNs: Number.NaN, description: "dimensionless Lennard-Jones reduced units" },
  si: { distance: "m", time: "s", energy: "J", temperature: "K", pressure: "Pa", density: "kg/m^3", toNs: 1e9, description: "SI: m, s, J, K, Pa" },
  cgs: { distance: "cm", time: "s", energy: "erg", temperature: "K", pressure: "dyne/cm^2", density: "g/cm^3", toNs: 1e9, description: "cgs: cm, s, erg, K, dyne/cm^2" },
  electron: { distance: "bohr", time: "fs", energy: "Hartree", temperature: "K", pressure: "Pa", density: "amu/bohr^3", toNs: 1e-6, description: "distance bohr, time fs, energy Hartree, temperature K, pressure Pa" },
  micro: { distance: "µm", time: "µs", energy: "pg µm^2/µs^2", temperature: "K", pressure: "pg/(µm µs^2)", density: "pg/µm^3", toNs: 1e3, description: "distance µm, time µs, mass pg" },
  nano: { distance: "nm", time: "ns", energy: "ag nm^2/ns^2", temperature: "K", pressure: "ag/(nm ns^2)", density: "ag/nm^3", toNs: 1, description: "distance nm, time ns, mass ag" }
}

const ENERGY_COLS = /^(TotEng|KinEng|PotEng|E_pair|E_mol|E_vdwl|E_coul|E_long|E_bond|E_angle|E_dihed|E_impro|E_tail|Enthalpy|Ecouple|Econserve|Etotal|c_pe|pe|ke|etotal|evdwl|ecoul|elong|ebond|eangle|edihed|eimp|emol|epair)$/
const PRESS_COLS = /^(Press|Pxx|Pyy|Pzz|Pxy|Pxz|Pyz|press|pxx|pyy|pzz|pxy|pxz|pyz|v_press)$/
const LENGTH_COLS = /^(Lx|Ly|Lz|Xlo|Xhi|Ylo|Yhi|Zlo|Zhi|xlo|xhi|ylo|yhi|zlo|zhi|lx|ly|lz|Xy|Xz|Yz|xy|xz|yz|Cella|Cellb|Cellc)$/

function columnUnits(cols: readonly string[], u: UnitSystem | undefined): Map<string, string> {
  const m = new Map<string, string>()
  if (u === undefined) return m
  for (const c of cols) {
    if (ENERGY_COLS.test(c)) m.set(c, u.energy)
    else if (/^(Temp|temp|c_.*temp.*)$/i.test(c)) m.set(c, u.temperature)
    else if (PRESS_COLS.test(c)) m.set(c, u.pressure)
    else if (/^(Volume|vol)$/i.test(c)) m.set(c, `${u.distance}^3`)
    else if (/^density$/i.test(c)) m.set(c, u.density)
    else if (LENGTH_COLS.test(c)) m.set(c, u.distance)
    else if (/^(CPU|Cpu|cpu|CPULeft|Tpcpu|T\/CPU)$/.test(c) || c === "CPU") m.set(c, "s")
    else if (/^(Time|time|Dt|dt)$/.test(c)) m.set(c, u.time)
  }
  return m
}

const THERMO_DESCRIPTIONS: Record<string, string> = {
  Step: "timestep",
  Temp: "temperature",
  TotEng: "total energy",
  KinEng: "kinetic energy",
  PotEng: "potential energy",
  E_pair: "pairwise (non-bonded) energy",
  E_mol: "molecular (bonded) energy",
  E_vdwl: "van der Waals energy",
  E_coul: "short-range Coulomb energy",
  E_long: "long-range (k-space) Coulomb energy",
  E_bond: "bond energy",
  E_angle: "angle energy",
  E_dihed: "dihedral energy",
  E_impro: "improper energy",
  Press: "pressure",
  Volume: "volume",
  Density: "mass density",
  CPU: "elapsed CPU time",
  Enthalpy: "enthalpy",
  Lx: "box length x",
  Ly: "box length y",
  Lz: "box length z"
}

// ---------------------------------------------------------------------------------------------------
// Log

interface Run {
  readonly index: number
  kind: string
  startStep: number | null
  timestep: number | null
  table: ColumnTable | null
  loopTime: number | null
  procs: number | null
  steps: number | null
  atoms: number | null
  performance: string | null
  cpuUse: string | null
  breakdown: Array<[string, number]>
  minStop: string | null
  minEnergy: number[] | null
  minIterations: string | null
  neighborBuilds: number | null
  dangerousBuilds: number | null
  memory: string | null
}

const newRun = (index: number, kind: string): Run => ({
  index,
  kind,
  startStep: null,
  timestep: null,
  table: null,
  loopTime: null,
  procs: null,
  steps: null,
  atoms: null,
  performance: null,
  cpuUse: null,
  breakdown: [],
  minStop: null,
  minEnergy: null,
  minIterations: null,
  neighborBuilds: null,
  dangerousBuilds: null,
  memory: null
})

const isWordRow = (toks: readonly string[]): boolean => toks.length > 1 && toks.every((t) => /^[A-Za-z_][\w\[\]\/.:-]*$/.test(t))

class LammpsLogReader extends BaseReader {
  private version: string | null = null
  private units: string | null = null
  private atomStyle: string | null = null
  private boundary: string | null = null
  private dimension: string | null = null
  private atoms: number | null = null
  private readonly topology = new Map<string, number>()
  private firstBox: string | null = null
  private lastBox: string | null = null
  private readonly pairStyles: string[] = []
  private readonly styles = new Map<string, string>()
  private readonly potentialFiles: string[] = []
  private kspace: string | null = null
  private readonly kspaceInfo: string[] = []
  private shake: string | null = null
  private readonly fixes = new FirstN<string>(30)
  private readonly computes = new FirstN<string>(20)
  private readonly commands = new FirstN<string>(40)
  private readonly commandSet = new Set<string>()
  private readonly specialNotes = new FirstN<string>(12)
  private readonly atcLines = new FirstN<string>(8)
  private timestepCmd: number | null = null
  private readonly runCmds = new FirstN<string>(20)
  private readonly runsHead: Run[] = []
  private readonly runsTail = new LastN<Run>(3)
  private runCount = 0
  private current: Run | null = null
  private totalSteps = 0
  private totalLoop = 0
  private readonly allColumns = new Map<string, Series>()
  private wall: string | null = null
  private readonly dataFiles: string[] = []
  private readonly fep: string[] = []
  private lastCommand: string | null = null

  protected readonly rules: ReadonlyArray<Rule> = [
    ["Step", (l) => this.thermoHeader(l)],
    ["Loop time of", (l) => {
      const m = /Loop time of\s+(\S+)\s+on\s+(\d+)\s+procs\s+for\s+(\d+)\s+steps\s+with\s+(\d+)\s+atoms/.exec(l)
      if (m === null) return
      const r = this.run()
      r.loopTime = num(m[1])
      r.procs = Number(m[2])
      r.steps = Number(m[3])
      r.atoms = Number(m[4])
      this.atoms = r.atoms
      this.totalSteps += r.steps
      this.totalLoop += r.loopTime
    }],
    ["Performance:", (l) => {
      this.run().performance = l.replace(/^\s*Performance:\s*/, "").trim()
    }],
    ["CPU use with", (l) => {
      this.run().cpuUse = l.trim()
    }],
    ["Setting up", (l) => {
      const m = /^Setting up (.*?)\s*(run|minimization)\s*\.\.\./.exec(l.trim())
      if (m === null) return false
      const kind = m[2] === "minimization" ? `minimization${m[1] ? ` (${m[1].replace(/ style$/, "")})` : ""}` : m[1] === "Verlet" ? "MD (Verlet)" : m[1] ? `MD (${m[1]})` : "run"
      this.startRun(kind)
    }],
    ["Unit style", (l) => {
      this.units = l.split(":")[1]!.trim()
    }],
    ["Current step", (l) => {
      if (this.current !== null) this.current.startStep = num(l.split(":")[1])
    }],
    ["Time step", (l) => {
      const t = num(l.split(":")[1])
      if (this.current !== null) this.current.timestep = t
    }],
    ["Mbytes", (l) => {
      const m = /(?:memory allocation \(min\/avg\/max\) =|Memory usage per processor =)\s*(.+Mbytes)/.exec(l)
      if (m !== null && this.current !== null) this.current.memory = m[1]!.replace(/\s+/g, " ")
      else return false
    }],
    ["|", (l) => {
      const m = /^(\w+)\s*\|\s*\S*\s*\|\s*(\S+)\s*\|\s*\S*\s*\|\s*\S*\s*\|\s*(\S+)\s*$/.exec(l)
      if (m === null || m[1] === "Section") return false
      this.run().breakdown.push([m[1]!, num(m[3])])
    }],
    ["time (%) =", (l) => {
      const m = /^\s*(\w+)\s+time \(%\) =\s*(\S+)\s*\((\S+)\)/.exec(l)
      if (m !== null) this.run().breakdown.push([m[1]!, num(m[3])])
    }],
    ["Stopping criterion =", (l) => {
      this.run().minStop = l.split("=")[1]!.trim()
    }],
    ["Energy initial, next-to-last, final =", () => {
      this.block = (r) => {
        const v = numericRow(r)
        if (v !== null && v.length === 3) this.run().minEnergy = v
        return false
      }
    }],
    ["Iterations, force evaluations =", (l) => {
      this.run().minIterations = l.split("=")[1]!.trim()
    }],
    ["Neighbor list builds =", (l) => {
      this.run().neighborBuilds = num(l.split("=")[1])
    }],
    ["Dangerous builds =", (l) => {
      const n = num(l.split("=")[1])
      this.run().dangerousBuilds = n
    }],
    ["Total wall time:", (l) => {
      this.wall = l.split(": ")[1]!.trim()
    }],
    ["WARNING", (l) => this.warnings.add(l.trim().replace(/^WARNING:\s*/, "").replace(/\s*\([^()]*\.(cpp|h):\d+\)\s*$/, ""))],
    ["ERROR", (l) => this.errors.add(l.trim().replace(/\s*\([^()]*\.(cpp|h):\d+\)\s*$/, ""))],
    ["Last command:", (l) => {
      this.lastCommand = l.trim()
      this.errors.add(l.trim())
    }],
    ["box = (", (l) => this.box(l)],
    ["LAMMPS (", (l) => {
      const v = /^LAMMPS \((.+?)\)/.exec(l.trim())
      if (v !== null && this.version === null) this.version = v[1]!
      else return false
    }],
    [" atoms", (l) => {
      const a = /^\s*(\d+) atoms\s*$/.exec(l) ?? /^Created (\d+) atoms/.exec(l.trim())
      if (a !== null) {
        this.atoms = Number(a[1])
        return
      }
      const d = /new total = (\d+)/.exec(l)
      if (d !== null) {
        this.atoms = Number(d[1])
        return
      }
      const rb = /(\d+) rigid bodies with (\d+) atoms/.exec(l)
      if (rb !== null) {
        this.specialNotes.push(l.trim())
        return
      }
      return false
    }],
    ["(", (l) => {
      const p = /^\s*\(\d+\) pair ([^,\s]+)/.exec(l)
      if (p === null) return false
      if (!this.pairStyles.includes(p[1]!) && this.pairStyles.length < 10) this.pairStyles.push(p[1]!)
    }],
    ["Reading potential file", (l) => {
      const f = /Reading potential file (\S+)(?: with DATE: (\S+))?/.exec(l)
      if (f !== null && this.potentialFiles.length < 10 && !this.potentialFiles.includes(f[1]!)) this.potentialFiles.push(f[1]!)
    }],
    ["PPPM initialization", () => this.kspaceStart("PPPM")],
    ["PPPMDisp initialization", () => this.kspaceStart("PPPM/disp")],
    ["Ewald initialization", () => this.kspaceStart("Ewald")],
    ["MSM initialization", () => this.kspaceStart("MSM")],
    ["# of size", (l) => {
      const s = /^\s*(\d+) = # of size (\d+) clusters/.exec(l)
      if (s !== null && Number(s[1]) > 0) this.shake = `${this.shake !== null ? `${this.shake}, ` : ""}${s[1]} clusters of size ${s[2]}`
    }],
    ["FEP settings", () => {
      this.block = (r) => {
        if (/^\s{2,}\S/.test(r) && this.fep.length < 10) {
          this.fep.push(r.trim())
          return true
        }
        return false
      }
    }],
    ["lattice-Boltzmann", (l) => this.specialNotes.push(l.trim().replace(/\s*\([^()]*\.cpp:\d+\)\s*$/, ""))],
    ["PRD done", () => this.specialNotes.push("parallel replica dynamics (PRD) run")],
    ["PRD stats:", () => {}],
    ["TAD stats", () => this.specialNotes.push("temperature-accelerated dynamics (TAD) run")],
    ["ATC:", (l) => this.atcLines.push(l.trim())],
    [" bonds", (l) => this.topo(l)],
    [" angles", (l) => this.topo(l)],
    [" dihedrals", (l) => this.topo(l)],
    [" impropers", (l) => this.topo(l)],
    ["", (l) => this.command(l)]
  ]

  private run(): Run {
    if (this.current === null) this.startRun("run")
    return this.current!
  }

  private startRun(kind: string): void {
    this.runCount++
    const r = newRun(this.runCount, kind)
    this.current = r
    if (this.runsHead.length < 6) this.runsHead.push(r)
    else this.runsTail.push(r)
  }

  private thermoHeader(l: string): boolean {
    const toks = l.trim().split(/\s+/)
    if (toks[0] !== "Step" || !isWordRow(toks)) {
      const multi = /^-+ Step\s+(\d+) -+ CPU =\s*(\S+)/.exec(l.trim())
      if (multi !== null) return this.thermoMulti(l)
      return false
    }
    const r = this.run()
    if (r.table === null || r.table.columns.join(" ") !== toks.join(" ")) r.table = new ColumnTable(toks)
    const t = r.table
    this.block = (row) => {
      const v = numericRow(row)
      if (v !== null && v.length === t.columns.length) {
        t.push(v)
        for (let i = 0; i < v.length; i++) this.colSeries(t.columns[i]!)?.push(v[i]!)
        return true
      }
      if (row.includes("WARNING")) {
        this.warnings.add(row.trim().replace(/^WARNING:\s*/, "").replace(/\s*\([^()]*\.(cpp|h):\d+\)\s*$/, ""))
        return true
      }
      return false
    }
    return true
  }

  /** thermo_style multi: "---- Step N ----- CPU = x (sec) ----" followed by "Key = value" triplets. */
  private thermoMulti(first: string): boolean {
    const r = this.run()
    let keys: string[] = []
    let vals: number[] = []
    const flush = (): void => {
      if (keys.length === 0) return
      if (r.table === null || r.table.columns.join(" ") !== keys.join(" ")) r.table = new ColumnTable(keys)
      r.table.push(vals)
      for (let i = 0; i < vals.length; i++) this.colSeries(keys[i]!)?.push(vals[i]!)
      keys = []
      vals = []
    }
    const head = (line: string): boolean => {
      const m = /^-+ Step\s+(\d+) -+ CPU =\s*(\S+)/.exec(line.trim())
      if (m === null) return false
      flush()
      keys = ["Step", "CPU"]
      vals = [num(m[1]), num(m[2])]
      return true
    }
    head(first)
    this.block = (line) => {
      if (head(line)) return true
      const pairs = [...line.matchAll(/(\S+)\s*=\s*(\S+)/g)]
      if (pairs.length > 0 && keys.length > 0 && pairs.every((p) => Number.isFinite(num(p[2])))) {
        for (const p of pairs) {
          keys.push(p[1]!)
          vals.push(num(p[2]))
        }
        return true
      }
      flush()
      return false
    }
    return true
  }

  private colSeries(name: string): Series | undefined {
    let s = this.allColumns.get(name)
    if (s === undefined && this.allColumns.size < 40) {
      s = new Series(48)
      this.allColumns.set(name, s)
    }
    return s
  }

  private box(l: string): void {
    const m = /(orthogonal|triclinic) box = \(([^)]*)\) to \(([^)]*)\)(?: with tilt \(([^)]*)\))?/.exec(l)
    if (m === null) return
    const lo = m[2]!.trim().split(/\s+/).map(num)
    const hi = m[3]!.trim().split(/\s+/).map(num)
    const len = hi.map((h, i) => h - lo[i]!)
    const desc = `${m[1]} box ${len.map((x) => fmt(x, 6)).join(" x ")} (from (${lo.map((x) => fmt(x, 6)).join(", ")}) to (${hi.map((x) => fmt(x, 6)).join(", ")}))${m[4] !== undefined ? `, tilt (${m[4].trim()})` : ""}`
    if (this.firstBox === null) this.firstBox = desc
    this.lastBox = desc
    this.boxLengths = len
  }

  private boxLengths: number[] | null = null

  private kspaceStart(kind: string): void {
    if (this.kspace === null) this.kspace = kind
    this.block = (r) => {
      if (!/^\s{2,}\S/.test(r)) return false
      const t = r.trim()
      if (/^(G vector|grid =|stencil order|estimated (absolute|relative)|using double precision|using single precision)/.test(t) && this.kspaceInfo.length < 6 && !this.kspaceInfo.includes(t))
        this.kspaceInfo.push(t.replace(/\s*\([^()]*\.cpp:\d+\)\s*$/, ""))
      return true
    }
  }

  private topo(l: string): boolean {
    const m = /^\s*(\d+) (bonds|angles|dihedrals|impropers)\s*$/.exec(l)
    if (m === null) return false
    this.topology.set(m[2]!, Number(m[1]))
    return true
  }

  /** Echoed input commands (log files and -echo screen). */
  private command(l: string): void {
    const t = l.trim()
    if (t === "" || t.startsWith("#")) return
    const sp = t.indexOf(" ")
    const cmd = sp < 0 ? t : t.slice(0, sp)
    const rest = sp < 0 ? "" : t.slice(sp + 1).trim()
    if (rest.includes("${") || /\$[a-zA-Z]/.test(rest)) return // unexpanded variable: LAMMPS echoes the expanded line next
    switch (cmd) {
      case "units":
        this.units = rest.split(/\s+/)[0] ?? null
        break
      case "atom_style":
        this.atomStyle = rest
        break
      case "boundary":
        this.boundary = rest
        break
      case "dimension":
        this.dimension = rest
        break
      case "pair_style":
      case "bond_style":
      case "angle_style":
      case "dihedral_style":
      case "improper_style":
        this.styles.set(cmd, clip(rest, 120))
        break
      case "kspace_style":
        this.styles.set(cmd, clip(rest, 120))
        break
      case "fix":
        if (!this.fixes.items.some((f) => f === clip(rest, 140))) this.fixes.push(clip(rest, 140))
        break
      case "compute":
        this.computes.push(clip(rest, 140))
        break
      case "timestep":
        this.timestepCmd = num(rest)
        break
      case "run":
      case "minimize":
      case "rerun":
        this.runCmds.push(`${cmd} ${clip(rest, 80)}`)
        break
      case "read_data":
      case "read_restart":
        if (this.dataFiles.length < 5 && !rest.includes("=")) this.dataFiles.push(`${cmd} ${clip(rest, 80)}`)
        break
      case "lattice":
      case "region":
      case "create_box":
      case "create_atoms":
      case "mass":
      case "velocity":
      case "thermo":
      case "thermo_style":
      case "thermo_modify":
      case "neighbor":
      case "neigh_modify":
      case "special_bonds":
      case "pair_coeff":
      case "dump":
      case "min_style":
      case "min_modify":
      case "change_box":
      case "displace_atoms":
      case "group":
      case "fix_modify":
      case "include":
      case "label":
      case "jump":
      case "next": {
        const c = clip(t, 140)
        if (!this.commandSet.has(c) && this.commandSet.size < 200) {
          this.commandSet.add(c)
          this.commands.push(c)
        }
        break
      }
      default:
        break
    }
  }

  finish(): SimulationDocument {
    this.flush()
    const u = this.units !== null ? UNITS[this.units] : undefined
    const runs = [...this.runsHead, ...this.runsTail.items]
    const omittedRuns = this.runCount - runs.length
    const mdRuns = runs.filter((r) => r.kind.startsWith("MD"))
    const dt = runs.find((r) => r.timestep !== null)?.timestep ?? this.timestepCmd
    const title = `LAMMPS${this.version !== null ? ` (${this.version})` : ""}: ${this.atoms !== null ? `${fcount(this.atoms)} atoms, ` : ""}${this.units !== null ? `${this.units} units, ` : ""}${plural(this.runCount, "run")}${this.totalSteps > 0 ? ` (${fcount(this.totalSteps)} steps)` : ""}`
    const d = new DocBuilder(title)

    // Lead.
    const lead: string[] = []
    let s = `LAMMPS${this.version !== null ? ` (version ${this.version})` : ""} molecular dynamics output`
    if (this.atoms !== null) s += ` for ${fcount(this.atoms)} atoms`
    const topo = [...this.topology].filter(([, n]) => n > 0).map(([k, n]) => `${fcount(n)} ${k}`)
    if (topo.length > 0) s += ` (${joinList(topo)})`
    if (this.boxLengths !== null && u !== undefined) s += ` in ${this.lastBox?.startsWith("triclinic") ? "a triclinic" : "an orthogonal"} box of ${this.boxLengths.map((x) => fmt(x, 5)).join(" x ")} ${u.distance}`
    lead.push(`${s}.`)
    if (u !== undefined) lead.push(`Units: ${this.units} (${u.description}).`)
    const ff: string[] = []
    const pairs = this.pairStyles.length > 0 ? this.pairStyles : this.styles.has("pair_style") ? [this.styles.get("pair_style")!.split(/\s+/)[0]!] : []
    if (pairs.length > 0) ff.push(`pair style ${pairs.join(" + ")}`)
    if (this.potentialFiles.length > 0) ff.push(`potential file ${this.potentialFiles.join(", ")}`)
    if (this.kspace !== null) ff.push(`${this.kspace} long-range electrostatics`)
    if (this.shake !== null) ff.push(`SHAKE constraints (${this.shake})`)
    if (ff.length > 0) lead.push(`Interactions: ${ff.join("; ")}.`)
    if (this.runCount > 0) {
      let r = `${plural(this.runCount, "run")}`
      const kinds = new Map<string, number>()
      for (const x of runs) kinds.set(x.kind, (kinds.get(x.kind) ?? 0) + 1)
      if (omittedRuns === 0) r += `: ${[...kinds].map(([k, n]) => (n === 1 ? k : `${n} × ${k}`)).join(", ")},`
      if (this.totalSteps > 0) r += ` totalling ${fcount(this.totalSteps)} steps`
      if (dt !== null && u !== undefined) {
        r += ` with a time step of ${fmt(dt)} ${u.time}`
        const mdSteps = omittedRuns === 0 ? mdRuns.reduce((a, x) => a + (x.steps ?? 0), 0) : null
        if (mdSteps !== null && mdSteps > 0 && Number.isFinite(u.toNs)) r += ` (${fmt(mdSteps * dt * u.toNs, 4)} ns of dynamics)`
      }
      lead.push(`${r}.`)
    }
    const lastTable = [...runs].reverse().find((x) => x.table !== null && x.table.count > 0)?.table ?? null
    if (lastTable !== null) {
      const units = columnUnits(lastTable.columns, u)
      const bits: string[] = []
      for (const c of ["Temp", "TotEng", "PotEng", "Press", "Density", "Volume"]) {
        const i = lastTable.columns.indexOf(c)
        if (i < 0) continue
        const se = lastTable.series[i]!
        bits.push(`${c} mean ${fmt(se.mean, 5)}${units.has(c) ? ` ${units.get(c)}` : ""} (final ${fmt(se.last, 5)})`)
      }
      if (bits.length > 0) lead.push(`In the last run with thermo output: ${bits.join(", ")}.`)
    }
    const perf = [...runs].reverse().find((x) => x.performance !== null)?.performance ?? null
    if (perf !== null) lead.push(`Performance ${perf.split(",")[0]}.`)
    if (this.wall !== null) lead.push(`Total wall time ${this.wall}.`)
    if (this.errors.size > 0) lead.push(`The run stopped with an error: ${this.errors.list()[0]!.message}.`)
    d.paragraph(lead.join(" "))

    d.section("System and settings")
    d.kv("LAMMPS version", this.version)
    d.kv("units", this.units !== null ? `${this.units}${u !== undefined ? ` (${u.description})` : ""}` : null)
    d.kv("atom style", this.atomStyle)
    d.kv("dimension", this.dimension)
    d.kv("boundary", this.boundary)
    d.kv("atoms", this.atoms)
    for (const [k, n] of this.topology) d.kv(k, n)
    d.kv("initial box", this.firstBox)
    if (this.lastBox !== this.firstBox) d.kv("last box", this.lastBox)
    for (const f of this.dataFiles) d.kv("input data", f)
    if (this.pairStyles.length > 0) d.kv("pair styles (neighbor lists)", this.pairStyles.join(", "))
    for (const [k, v] of this.styles) d.kv(k.replace("_", " "), v)
    if (this.potentialFiles.length > 0) d.kv("potential files", this.potentialFiles.join(", "))
    if (this.kspace !== null) d.kv("long-range solver", `${this.kspace}${this.kspaceInfo.length > 0 ? `: ${this.kspaceInfo.join("; ")}` : ""}`)
    d.kv("SHAKE constraints", this.shake)
    if (this.fep.length > 0) d.kv("FEP settings", this.fep.join("; "))
    if (dt !== null) d.kv("time step", `${fmt(dt)}${u !== undefined ? ` ${u.time}` : ""}`)
    for (const n of this.specialNotes.items) d.kv("note", n)
    if (this.fixes.total > 0) d.kv("fixes", this.fixes.items.join("; ") + (this.fixes.omitted > 0 ? ` … (${this.fixes.omitted} more)` : ""))
    if (this.computes.total > 0) d.kv("computes", this.computes.items.join("; ") + (this.computes.omitted > 0 ? ` … (${this.computes.omitted} more)` : ""))
    if (this.runCmds.total > 0) d.kv("run commands", this.runCmds.items.join("; ") + (this.runCmds.omitted > 0 ? ` … (${this.runCmds.omitted} more)` : ""))
    if (this.atcLines.total > 0) d.kv("AtC (atom-to-continuum) messages", this.atcLines.items.join("; "))
    if (this.commands.total > 0) {
      d.line("")
      d.line(`Other input commands echoed (${this.commands.total} distinct${this.commands.omitted > 0 ? `, first ${this.commands.items.length} shown` : ""}):`)
      d.line("```")
      for (const c of this.commands.items) d.line(c)
      d.line("```")
    }

    if (this.runCount > 0) {
      d.section("Runs")
      d.table(
        ["run", "type", "start step", "steps", "atoms", "loop time (s)", "MPI procs", "performance"],
        runs.map((r) => [String(r.index), r.kind, r.startStep !== null ? String(r.startStep) : "", r.steps !== null ? fcount(r.steps) : "", r.atoms !== null ? fcount(r.atoms) : "", r.loopTime !== null ? fmt(r.loopTime, 6) : "", r.procs !== null ? String(r.procs) : "", r.performance ?? ""])
      )
      if (omittedRuns > 0) d.line(`${fcount(omittedRuns)} runs between run ${this.runsHead.length} and run ${runs[this.runsHead.length]?.index ?? "?"} are not listed; all runs together: ${fcount(this.totalSteps)} steps, ${fmt(this.totalLoop, 6)} s of loop time.`)
      const dang = runs.filter((r) => (r.dangerousBuilds ?? 0) > 0)
      if (dang.length > 0) d.line(`Dangerous neighbor-list builds occurred in run(s) ${dang.map((r) => `${r.index} (${r.dangerousBuilds})`).join(", ")}: atoms may have moved farther than the skin distance between rebuilds.`)
    }

    // Detailed runs (only those with thermo output or minimisation results), at most 5.
    const detailed = runs.filter((r) => (r.table !== null && r.table.count > 0) || r.minEnergy !== null)
    const showDetailed = detailed.length <= 5 ? detailed : [...detailed.slice(0, 3), ...detailed.slice(-2)]
    for (const r of showDetailed) {
      d.section(`Run ${r.index}: ${r.kind}${r.steps !== null ? `, ${fcount(r.steps)} steps` : ""}`)
      if (r.minEnergy !== null) d.kv("energy initial / next-to-last / final", `${r.minEnergy.map((x) => fmt(x, 12)).join(" / ")}${u !== undefined ? ` ${u.energy}` : ""}`)
      d.kv("stopping criterion", r.minStop)
      d.kv("iterations, force evaluations", r.minIterations)
      const t = r.table
      if (t !== null && t.count > 0) {
        const units = columnUnits(t.columns, u)
        d.line(`${plural(t.count, "thermo row")}; columns: ${t.columns.map((c) => (THERMO_DESCRIPTIONS[c] !== undefined ? `${c} (${THERMO_DESCRIPTIONS[c]})` : c)).join(", ")}.`)
        d.table([...STAT_HEADERS], t.statRows(units))
        if (t.count > 2) {
          d.line("Sampled rows:")
          d.table([...t.columns], t.sampleRows(8))
        }
      }
      if (r.breakdown.length > 0) d.kv("time breakdown (% of loop time)", r.breakdown.map(([k, v]) => `${k} ${fmt(v, 4)}`).join(", "))
      d.kv("neighbor list builds", r.neighborBuilds)
      d.kv("memory", r.memory)
      d.kv("CPU use", r.cpuUse)
    }
    if (detailed.length > showDetailed.length) d.line(`(${detailed.length - showDetailed.length} more runs with thermo output are summarised only in the table below.)`)

    if (this.runCount > showDetailed.length && this.allColumns.size > 0) {
      d.section("Thermo output over all runs")
      const cols = [...this.allColumns]
      const units = columnUnits(cols.map(([c]) => c), u)
      d.table([...STAT_HEADERS], cols.map(([c, se]) => [units.has(c) ? `${c} (${units.get(c)})` : c, fmt(se.first), fmt(se.last), fmt(se.min), fmt(se.max), fmt(se.mean), fmt(se.std, 3)]))
    }

    if (this.warnings.size > 0 || this.errors.size > 0) {
      d.section("Warnings and errors")
      for (const { message, count } of this.errors.list()) d.bullet(`ERROR: ${message}${count > 1 ? ` (x${count})` : ""}`)
      for (const { message, count } of this.warnings.list()) d.bullet(`warning: ${message}${count > 1 ? ` (x${count})` : ""}`)
    }
    d.section("Run")
    d.kv("total wall time", this.wall)
    d.kv("loop time over all runs", this.totalLoop > 0 ? `${fmt(this.totalLoop, 6)} s` : null)
    d.kv("log size", plural(this.lines, "line"))

    const allCols: Record<string, unknown> = {}
    for (const [c, se] of this.allColumns) allCols[c] = se.summary()
    const metadata = compact({
      program: "LAMMPS",
      version: this.version,
      format: "lammps-log",
      units: this.units,
      unitSystem: u !== undefined ? { distance: u.distance, time: u.time, energy: u.energy, temperature: u.temperature, pressure: u.pressure } : null,
      system: { atoms: this.atoms, topology: Object.fromEntries(this.topology), box: this.lastBox, boxLengths: this.boxLengths, atomStyle: this.atomStyle, boundary: this.boundary },
      forceField: { pairStyles: pairs, styles: Object.fromEntries(this.styles), potentialFiles: this.potentialFiles, kspace: this.kspace, shake: this.shake },
      parameters: { timestep: dt !== null ? qOpt(dt, u?.time ?? "") : null, fixes: this.fixes.items, computes: this.computes.items, runCommands: this.runCmds.items },
      runs: {
        count: this.runCount,
        totalSteps: this.totalSteps,
        totalLoopTime: this.totalLoop > 0 ? q(round(this.totalLoop, 8), "s") : null,
        detail: runs.map((r) => ({
          index: r.index,
          kind: r.kind,
          startStep: r.startStep,
          steps: r.steps,
          atoms: r.atoms,
          loopTime: r.loopTime,
          procs: r.procs,
          performance: r.performance,
          minimization: r.minEnergy !== null ? { energies: r.minEnergy, stop: r.minStop } : null,
          thermo: r.table !== null ? r.table.metadata() : null
        }))
      },
      thermoAllRuns: this.runCount > 1 ? allCols : null,
      wallTime: this.wall,
      termination: this.errors.size > 0 ? "error" : this.wall !== null ? "normal" : "unknown",
      warnings: this.warnings.strings(),
      errors: this.errors.strings(),
      lines: this.lines
    }) as Record<string, unknown>
    return { program: "LAMMPS", format: "lammps-log", title, text: d.build(), metadata }
  }
}

// ---------------------------------------------------------------------------------------------------
// Text dump ("ITEM: TIMESTEP")

interface Snapshot {
  readonly timestep: number
  readonly atoms: number
  readonly box: string
  readonly volume: number
}

/** Running statistics without sampling (one per column of per-atom data). */
class Stat {
  n = 0
  mean = 0
  m2 = 0
  min = Infinity
  max = -Infinity
  push(x: number): void {
    if (!(x === x) || x === Infinity || x === -Infinity) return
    this.n++
    const d = x - this.mean
    this.mean += d / this.n
    this.m2 += d * (x - this.mean)
    if (x < this.min) this.min = x
    if (x > this.max) this.max = x
  }
  get std(): number {
    return this.n > 0 ? Math.sqrt(this.m2 / this.n) : Number.NaN
  }
}

const DUMP_COLUMN_DESCRIPTIONS: Record<string, string> = {
  id: "atom ID",
  mol: "molecule ID",
  type: "atom type",
  element: "element",
  mass: "mass",
  q: "charge",
  x: "x position",
  y: "y position",
  z: "z position",
  xs: "scaled x",
  ys: "scaled y",
  zs: "scaled z",
  xu: "unwrapped x",
  yu: "unwrapped y",
  zu: "unwrapped z",
  ix: "image flag x",
  iy: "image flag y",
  iz: "image flag z",
  vx: "velocity x",
  vy: "velocity y",
  vz: "velocity z",
  fx: "force x",
  fy: "force y",
  fz: "force z"
}

class LammpsDumpReader implements LogReader {
  lines = 0
  chars = 0
  private item: string | null = null
  private snapshots = 0
  private readonly timesteps = new Series(64)
  private readonly atomCounts = new Series(64)
  private readonly volumes = new Series(64)
  private first: Snapshot | null = null
  private last: Snapshot | null = null
  private boxHeader = ""
  private boxLines: number[][] = []
  private curStep = Number.NaN
  private curAtoms = Number.NaN
  private columns: string[] = []
  private stats: Stat[] = []
  private firstSnap: Stat[] = []
  private lastSnap: Stat[] = []
  private readonly sampleRows = new FirstN<string>(5)
  private typeCol = -1
  private readonly typeCounts = new Map<string, number>()
  private countingTypes = false
  private columnChanges = 0
  private badLines = 0
  private readonly units: string[] = []
  private time: number | null = null

  feed(raw: string): void {
    this.lines++
    const line = raw.length > 0 && raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw
    this.chars += line.length + 1
    if (line.startsWith("ITEM:")) {
      this.itemLine(line)
      return
    }
    switch (this.item) {
      case "TIMESTEP":
        this.curStep = num(line)
        this.timesteps.push(this.curStep)
        break
      case "NUMBER OF ATOMS":
        this.curAtoms = num(line)
        this.atomCounts.push(this.curAtoms)
        break
      case "BOX BOUNDS":
        if (this.boxLines.length < 3) this.boxLines.push(line.trim().split(/\s+/).map(num))
        if (this.boxLines.length === 3) this.endBox()
        break
      case "ATOMS":
        this.atomLine(line)
        break
      case "TIME":
        this.time = num(line)
        break
      case "UNITS":
        if (this.units.length < 1) this.units.push(line.trim())
        break
      default:
        break
    }
  }

  private itemLine(line: string): void {
    const rest = line.slice(5).trim()
    if (rest === "TIMESTEP") {
      this.endSnapshot()
      this.item = "TIMESTEP"
      this.snapshots++
    } else if (rest.startsWith("NUMBER OF ATOMS")) this.item = "NUMBER OF ATOMS"
    else if (rest.startsWith("BOX BOUNDS")) {
      this.item = "BOX BOUNDS"
      this.boxHeader = rest.slice(10).trim()
      this.boxLines = []
    } else if (rest.startsWith("ATOMS")) {
      this.item = "ATOMS"
      const cols = rest.slice(5).trim().split(/\s+/).filter((c) => c !== "")
      if (cols.join(" ") !== this.columns.join(" ")) {
        if (this.columns.length > 0) this.columnChanges++
        this.columns = cols
        this.stats = cols.map(() => new Stat())
        this.typeCol = cols.indexOf("element") >= 0 ? cols.indexOf("element") : cols.indexOf("type")
      }
      this.lastSnap = this.columns.map(() => new Stat())
      if (this.snapshots === 1) this.firstSnap = this.lastSnap
      this.countingTypes = this.snapshots === 1 && this.typeCol >= 0
    } else if (rest === "TIME") this.item = "TIME"
    else if (rest === "UNITS") this.item = "UNITS"
    else this.item = rest
  }

  private endBox(): void {
    const b = this.boxLines
    const tilt = this.boxHeader.startsWith("xy")
    const lo = b.map((r) => r[0]!)
    const hi = b.map((r) => r[1]!)
    let len = hi.map((h, i) => h - lo[i]!)
    if (tilt) {
      // Triclinic: bounds include the tilt; lengths from the bounding box are an upper bound.
      const [xy, xz, yz] = [b[0]![2] ?? 0, b[1]![2] ?? 0, b[2]![2] ?? 0]
      const xlo = lo[0]! - Math.min(0, xy, xz, xy + xz)
      const xhi = hi[0]! - Math.max(0, xy, xz, xy + xz)
      const ylo = lo[1]! - Math.min(0, yz)
      const yhi = hi[1]! - Math.max(0, yz)
      len = [xhi - xlo, yhi - ylo, len[2]!]
    }
    const vol = len[0]! * len[1]! * len[2]!
    this.volumes.push(vol)
    const snap: Snapshot = {
      timestep: this.curStep,
      atoms: this.curAtoms,
      box: `${len.map((x) => fmt(x, 6)).join(" x ")} (bounds ${b.map((r) => `[${r.slice(0, 2).map((x) => fmt(x, 7)).join(", ")}]`).join(" ")}${this.boxHeader !== "" ? `, ${this.boxHeader}` : ""})`,
      volume: vol
    }
    if (this.first === null) this.first = snap
    this.last = snap
  }

  private atomLine(line: string): void {
    const n = this.columns.length
    let start = 0
    let col = 0
    const L = line.length
    // Manual split on spaces/tabs: the hot loop of a large dump.
    while (col < n) {
      while (start < L && (line.charCodeAt(start) === 32 || line.charCodeAt(start) === 9)) start++
      if (start >= L) break
      let end = start
      while (end < L && line.charCodeAt(end) !== 32 && line.charCodeAt(end) !== 9) end++
      const tok = line.slice(start, end)
      if (col === this.typeCol && this.countingTypes) {
        const c = this.typeCounts.get(tok)
        if (c !== undefined) this.typeCounts.set(tok, c + 1)
        else if (this.typeCounts.size < 1000) this.typeCounts.set(tok, 1)
      }
      const v = +tok
      this.stats[col]!.push(v)
      this.lastSnap[col]?.push(v)
      col++
      start = end
    }
    if (col === 0) return
    if (col < n) this.badLines++
    if (this.snapshots === 1) this.sampleRows.push(line.trim())
  }

  private endSnapshot(): void {
    this.countingTypes = false
  }

  finish(): SimulationDocument {
    this.endSnapshot()
    const first = this.first
    const last = this.last
    const natoms = this.atomCounts.count > 0 ? this.atomCounts.last : null
    const title = `LAMMPS dump trajectory: ${plural(this.snapshots, "snapshot")}${natoms !== null ? ` of ${fcount(natoms)} atoms` : ""}`
    const d = new DocBuilder(title)
    const lead: string[] = []
    lead.push(`LAMMPS text dump (ITEM: format) with ${plural(this.snapshots, "snapshot")}${natoms !== null ? ` of ${fcount(natoms)} atoms` : ""}.`)
    if (this.timesteps.count > 0)
      lead.push(
        `Timesteps ${fmt(this.timesteps.first)} to ${fmt(this.timesteps.last)}${this.timesteps.count > 1 ? ` (every ${fmt((this.timesteps.last - this.timesteps.first) / (this.timesteps.count - 1), 6)} steps on average)` : ""}.`
      )
    if (this.columns.length > 0) lead.push(`Per-atom columns: ${this.columns.map((c) => (DUMP_COLUMN_DESCRIPTIONS[c] !== undefined ? `${c} (${DUMP_COLUMN_DESCRIPTIONS[c]})` : c)).join(", ")}.`)
    if (first !== null) lead.push(`Box ${first.box.split(" (")[0]}${last !== null && last.volume !== first.volume ? `, changing to ${last.box.split(" (")[0]} by the last snapshot` : ", constant"}.`)
    d.paragraph(lead.join(" "))

    d.section("Snapshots")
    d.kv("snapshots", this.snapshots)
    if (this.timesteps.count > 0) d.kv("timesteps", this.timesteps.describe("", 10, 6))
    if (this.time !== null) d.kv("simulation time of last snapshot", this.time)
    if (this.atomCounts.count > 0) d.kv("atoms per snapshot", this.atomCounts.min === this.atomCounts.max ? fcount(this.atomCounts.last) : this.atomCounts.describe("", 8))
    if (first !== null) d.kv("first box", first.box)
    if (last !== null && last !== first) d.kv("last box", last.box)
    if (this.volumes.count > 1 && this.volumes.min !== this.volumes.max) d.kv("box volume", this.volumes.describe("", 6, 6))
    if (this.units.length > 0) d.kv("units", this.units[0])
    if (this.typeCounts.size > 0) {
      const kind = this.columns[this.typeCol] === "element" ? "elements" : "atom types"
      d.kv(`${kind} (first snapshot)`, [...this.typeCounts].sort((a, b) => (a[0] < b[0] ? -1 : 1)).slice(0, 30).map(([t, n]) => `${t}: ${fcount(n)}`).join(", "))
    }
    if (this.columnChanges > 0) d.kv("column layout changes", this.columnChanges)
    if (this.badLines > 0) d.kv("short atom lines", this.badLines)

    if (this.columns.length > 0) {
      d.section("Per-atom columns (all snapshots)")
      const rows = this.columns.map((c, i) => {
        const s = this.stats[i]!
        const f = this.firstSnap[i]
        const l = this.lastSnap[i]
        return [c, fmt(s.n ? s.min : null), fmt(s.n ? s.max : null), fmt(s.n ? s.mean : null), fmt(s.n ? s.std : null, 4), fmt(f !== undefined && f.n ? f.mean : null), fmt(l !== undefined && l.n ? l.mean : null)]
      })
      d.table(["column", "min", "max", "mean", "std", "mean (first snapshot)", "mean (last snapshot)"], rows)
      if (this.sampleRows.items.length > 0) {
        d.line("First atom lines of the first snapshot:")
        d.line("```")
        d.line(this.columns.join(" "))
        for (const r of this.sampleRows.items) d.line(clip(r, 200))
        d.line("```")
      }
    }
    d.section("File")
    d.kv("lines", fcount(this.lines))
    d.kv("characters", fcount(this.chars))

    const cols: Record<string, unknown> = {}
    this.columns.forEach((c, i) => {
      const s = this.stats[i]!
      cols[c] = s.n > 0 ? { count: s.n, min: round(s.min, 8), max: round(s.max, 8), mean: round(s.mean, 8), std: round(s.std, 8) } : { count: 0 }
    })
    const metadata = compact({
      program: "LAMMPS",
      format: "lammps-dump",
      snapshots: this.snapshots,
      atoms: natoms,
      timesteps: this.timesteps.count > 0 ? this.timesteps.summary(12) : null,
      columns: this.columns,
      columnStats: cols,
      types: this.typeCounts.size > 0 ? Object.fromEntries([...this.typeCounts].slice(0, 100)) : null,
      box: { first: first?.box, last: last?.box, volume: this.volumes.count > 0 ? this.volumes.summary() : null },
      lines: this.lines
    }) as Record<string, unknown>
    return { program: "LAMMPS", format: "lammps-dump", title, text: d.build(), metadata }
  }
}

// ---------------------------------------------------------------------------------------------------
// fix phonon log

class LammpsPhononReader extends BaseReader {
  private readonly header: Array<[string, string]> = []
  private readonly blocks: Array<{ step: number; measurements: number; temperature: number }> = []
  private readonly temperature = new Series(64)
  private basis: string[] = []
  private kB: number | null = null
  private qRows = 0
  private qLast = 0
  private readonly phiDiag = new Series(64)
  private gammaDiag: number[] | null = null
  private nucell: number | null = null
  private mapping = 0
  private inHeader = true

  protected readonly rules: ReadonlyArray<Rule> = [
    ["#", (l) => this.comment(l)],
    ["", (l) => {
      const v = numericRow(l)
      if (v === null) return
      if (this.inHeader) {
        if (v.length === 5) this.mapping++
        return
      }
      this.qLast++
      this.qRows++
      const n = 3 * (this.nucell ?? 1)
      if (v.length === 3 + 2 * n * n) {
        const isGamma = Math.abs(v[0]!) < 1e-12 && Math.abs(v[1]!) < 1e-12 && Math.abs(v[2]!) < 1e-12
        const diag: number[] = []
        for (let i = 0; i < n; i++) diag.push(v[3 + 2 * (i * n + i)]!)
        for (const x of diag) this.phiDiag.push(x)
        if (isGamma) this.gammaDiag = diag
      }
    }]
  ]

  private comment(l: string): void {
    const kv = /^#\s*(.+?)\s*:\s*(.+)$/.exec(l)
    if (kv !== null) {
      const k = kv[1]!.trim()
      const v = kv[2]!.trim()
      if (k === "Current time step") {
        this.inHeader = false
        this.blocks.push({ step: num(v), measurements: Number.NaN, temperature: Number.NaN })
        this.qLast = 0
      } else if (k === "Total number of measurements") {
        const b = this.blocks[this.blocks.length - 1]
        if (b !== undefined) this.blocks[this.blocks.length - 1] = { ...b, measurements: num(v) }
      } else if (k === "Average temperature of the measurement") {
        this.temperature.push(num(v))
        const b = this.blocks[this.blocks.length - 1]
        if (b !== undefined) this.blocks[this.blocks.length - 1] = { ...b, temperature: num(v) }
      } else if (k.startsWith("Boltzmann constant")) this.kB = num(v)
      else if (this.inHeader && this.header.length < 20) {
        this.header.push([k, v])
        if (k === "number of atoms per unit cell") this.nucell = num(v)
      }
      return
    }
    const b = /^#\s*basis vector (A\d) = \[(.+)\]/.exec(l)
    if (b !== null && this.basis.length < 3) this.basis.push(`${b[1]} = (${b[2]!.trim().split(/\s+/).join(", ")})`)
    if (/Phi\(q\)/.test(l)) {
      // Start of a block of q rows; the previous block's count is in qLast.
    }
  }

  finish(): SimulationDocument {
    this.flush()
    const natoms = this.header.find(([k]) => k === "total number of atoms in the group")?.[1]
    const title = `LAMMPS fix phonon: force-constant matrices Φ(q)${natoms !== undefined ? ` of ${natoms} atoms` : ""}, ${plural(this.blocks.length, "output block")}`
    const d = new DocBuilder(title)
    const blocks = this.blocks
    const lastB = blocks[blocks.length - 1]
    const nq = blocks.length > 0 ? Math.round(this.qRows / blocks.length) : 0
    d.paragraph(
      [
        `Output of LAMMPS fix phonon, which measures the dynamical (force-constant) matrix Φ(q) of a crystal from the displacement fluctuations during molecular dynamics (fluctuation-dissipation approach).`,
        natoms !== undefined ? `The group holds ${natoms} atoms${this.nucell !== null ? ` with ${this.nucell} atoms per unit cell` : ""}.` : "",
        blocks.length > 0 ? `${plural(blocks.length, "block")} of Φ(q) were written, from step ${fmt(blocks[0]!.step)} to ${fmt(lastB!.step)}, each with ${nq} q-points (complex ${3 * (this.nucell ?? 1)}x${3 * (this.nucell ?? 1)} matrices).` : "",
        this.temperature.count > 0 ? `The average temperature of the measurement stayed at ${fmt(this.temperature.mean, 5)} K (${fmt(this.temperature.min, 5)}–${fmt(this.temperature.max, 5)} K).` : ""
      ]
        .filter((x) => x !== "")
        .join(" ")
    )
    d.section("Settings")
    for (const [k, v] of this.header) d.kv(k, v)
    if (this.mapping > 0) d.kv("lattice-index to atom-id map", `${this.mapping} entries`)
    if (this.basis.length > 0) d.kv("basis vectors", this.basis.join("; "))
    const unitGuess = this.kB === null ? null : Math.abs(this.kB - 8.617343e-5) < 1e-8 ? "metal" : Math.abs(this.kB - 0.0019872067) < 1e-6 ? "real" : this.kB === 1 ? "lj" : null
    d.kv("Boltzmann constant (current units)", this.kB !== null ? `${fmt(this.kB)}${unitGuess !== null ? ` (LAMMPS ${unitGuess} units${unitGuess === "metal" ? ": Φ in eV/Å^2" : unitGuess === "real" ? ": Φ in kcal/mol/Å^2" : ""})` : ""}` : null)
    if (blocks.length > 0) {
      d.section("Measurement blocks")
      const show = blocks.length <= 12 ? blocks : [...blocks.slice(0, 6), ...blocks.slice(-4)]
      d.table(["time step", "measurements", "average temperature (K)"], show.map((b) => [fmt(b.step), fmt(b.measurements), fmt(b.temperature, 6)]))
      if (show.length < blocks.length) d.line(`… ${blocks.length - show.length} blocks not shown.`)
    }
    if (this.phiDiag.count > 0) {
      d.section("Force constants")
      const phiUnit = this.kB !== null && Math.abs(this.kB - 8.617343e-5) < 1e-8 ? "eV/Å^2" : this.kB !== null && Math.abs(this.kB - 0.0019872067) < 1e-6 ? "kcal/mol/Å^2" : "energy/distance^2"
      d.kv("diagonal elements Re Φ_ii(q) over all blocks and q-points", this.phiDiag.describe(phiUnit, 6))
      if (this.gammaDiag !== null) d.kv(`Re Φ_ii at q = 0 (last block, ${phiUnit})`, this.gammaDiag.map((x) => fmt(x, 6)).join(", "))
    }
    d.section("File")
    d.kv("lines", fcount(this.lines))
    const metadata = compact({
      program: "LAMMPS",
      format: "lammps-phonon",
      settings: Object.fromEntries(this.header),
      atoms: natoms !== undefined ? num(natoms) : null,
      atomsPerUnitCell: this.nucell,
      blocks: blocks.length,
      qPointsPerBlock: nq,
      temperature: this.temperature.count > 0 ? { unit: "K", ...this.temperature.summary() } : null,
      basisVectors: this.basis,
      gammaDiagonal: this.gammaDiag,
      lines: this.lines
    }) as Record<string, unknown>
    return { program: "LAMMPS", format: "lammps-phonon", title, text: d.build(), metadata }
  }
}

// ---------------------------------------------------------------------------------------------------
// Detection

const LAMMPS_BANNER = /^LAMMPS \((\d{1,2} \w{3,9} \d{4}|[^)]*\d{4}[^)]*)\)/m

export function detectLammpsLog(head: string): number {
  if (LAMMPS_BANNER.test(head)) return 0.98
  let score = 0
  if (/^\s*Step\s+(Temp|TotEng|PotEng|CPU|Press|E_pair)\b/m.test(head)) score += 0.35
  if (head.includes("Loop time of")) score += 0.3
  if (/Setting up (Verlet run|.*minimization)/.test(head)) score += 0.25
  if (head.includes("Per MPI rank memory allocation") || head.includes("Memory usage per processor")) score += 0.15
  if (/^\s*(units|atom_style|pair_style)\s+\S+/m.test(head)) score += 0.1
  return Math.min(0.9, score)
}

export function detectLammpsDump(head: string): number {
  const t = head.trimStart()
  if (t.startsWith("ITEM: TIMESTEP")) return 0.99
  if (head.includes("ITEM: NUMBER OF ATOMS") && head.includes("ITEM: BOX BOUNDS")) return 0.9
  return 0
}

export function detectLammpsPhonon(head: string): number {
  if (head.includes("# group name of the atoms under study") && head.includes("# mapping information between lattice indices and atom id")) return 0.97
  if (head.includes("Phi(q)") && head.includes("# basis vector A1")) return 0.9
  return 0
}

export const LAMMPS_LOG: LogProgram = { format: "lammps-log", detect: detectLammpsLog, create: () => new LammpsLogReader() }
export const LAMMPS_DUMP: LogProgram = { format: "lammps-dump", detect: detectLammpsDump, create: () => new LammpsDumpReader() }
export const LAMMPS_PHONON: LogProgram = { format: "lammps-phonon", detect: detectLammpsPhonon, create: () => new LammpsPhononReader() }
