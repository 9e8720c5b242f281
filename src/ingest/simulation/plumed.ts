/**
 * PLUMED logs (enhanced sampling / free-energy plugin for MD engines): version, MD engine, atoms,
 * units, the actions defined in plumed.dat with their parameters (collective variables, biases,
 * restraints, printing), timestep, bibliography and the timing table.
 */
import { BaseReader, type Rule } from "./base.ts"
import { compact, DocBuilder, FirstN, fmt, num, plural } from "./render.ts"
import type { LogProgram, SimulationDocument } from "./types.ts"

interface Action {
  readonly name: string
  label: string | null
  readonly details: string[]
}

const ACTION_KINDS: Record<string, string> = {
  DISTANCE: "collective variable: distance between atoms",
  ANGLE: "collective variable: angle",
  TORSION: "collective variable: torsion (dihedral) angle",
  COORDINATION: "collective variable: coordination number",
  RMSD: "collective variable: RMSD from a reference",
  GYRATION: "collective variable: radius of gyration",
  COM: "virtual atom at the centre of mass",
  CENTER: "virtual atom at a geometric centre",
  RESTRAINT: "bias: harmonic/linear restraint",
  UPPER_WALLS: "bias: upper wall",
  LOWER_WALLS: "bias: lower wall",
  METAD: "bias: metadynamics",
  OPES_METAD: "bias: OPES metadynamics",
  MOVINGRESTRAINT: "bias: steered (moving) restraint",
  ABMD: "bias: adiabatic bias MD",
  PRINT: "output: print values to a file",
  UNITS: "units used inside PLUMED",
  FLUSH: "output: flush files",
  WHOLEMOLECULES: "make molecules whole across periodic boundaries",
  ENERGY: "collective variable: potential energy",
  VOLUME: "collective variable: cell volume",
  COMBINE: "function combining values",
  CUSTOM: "custom function of values",
  HISTOGRAM: "analysis: histogram",
  DUMPGRID: "output: dump a grid"
}

class PlumedReader extends BaseReader {
  private version: string | null = null
  private engine: string | null = null
  private atoms: number | null = null
  private nodes: number | null = null
  private timestep: number | null = null
  private readonly units: string[] = []
  private readonly actions = new FirstN<Action>(60)
  private current: Action | null = null
  private inFile = false
  private readonly bib: string[] = []
  private readonly timing: Array<[string, number, number]> = []
  private cycles: number | null = null
  private kbt: string | null = null
  private plumedLines = 0

  protected readonly rules: ReadonlyArray<Rule> = [
    ["PLUMED:", (l) => this.plumed(l.slice(l.indexOf("PLUMED:") + 7))]
  ]

  private plumed(t: string): void {
    this.plumedLines++
    const s = t.trim()
    let m: RegExpExecArray | null
    if ((m = /^Version:\s*(\S+)/.exec(s)) !== null) this.version = m[1]!
    else if ((m = /^Molecular dynamics engine:\s*(.+)$/.exec(s)) !== null) this.engine = m[1]!
    else if ((m = /^Number of atoms:\s*(\d+)/.exec(s)) !== null) this.atoms = Number(m[1])
    else if ((m = /^Running over (\d+) node/.exec(s)) !== null) this.nodes = Number(m[1])
    else if ((m = /^Timestep:\s*(\S+)/.exec(s)) !== null) this.timestep = num(m[1])
    else if (/^FILE:/.test(s)) this.inFile = true
    else if (/^END FILE:/.test(s)) {
      this.inFile = false
      this.current = null
    } else if ((m = /^Action (\S+)/.exec(s)) !== null) {
      this.current = { name: m[1]!, label: null, details: [] }
      this.actions.push(this.current)
    } else if (/^KbT/.test(s)) this.kbt = s
    else if ((m = /^\s*\[\d+\]\s*(.+)$/.exec(s)) !== null && this.bib.length < 10) this.bib.push(m[1]!)
    else if ((m = /^\d+\s+(.+?)\s{2,}(\d+)\s+(\S+)\s+\S+\s+\S+\s+\S+$/.exec(s)) !== null) {
      if (this.timing.length < 20) this.timing.push([m[1]!, Number(m[2]), num(m[3])])
    } else if ((m = /^(\d+)\s+(\S+)\s+\S+\s+\S+\s+\S+$/.exec(s)) !== null && this.cycles === null) {
      this.cycles = Number(m[1])
    } else if (this.current !== null && this.inFile && t.startsWith("  ")) {
      const w = /^with label (.+)$/.exec(s)
      if (w !== null) this.current.label = w[1]!
      else if (this.current.details.length < 10) this.current.details.push(s)
      if (this.current.name === "UNITS" && /:/.test(s) && this.units.length < 8) this.units.push(s)
    }
  }

  finish(): SimulationDocument {
    this.flush()
    const acts = this.actions.items
    const title = `PLUMED ${this.version ?? ""} log${this.engine !== null ? ` (with ${this.engine})` : ""}: ${acts.length > 0 ? acts.map((a) => a.name).join(", ") : "no actions"}`.replace(/\s+log/, " log")
    const d = new DocBuilder(title)
    const lead: string[] = []
    lead.push(`PLUMED${this.version !== null ? ` ${this.version}` : ""} log from an enhanced-sampling / free-energy setup${this.engine !== null ? ` driven by the ${this.engine} molecular dynamics engine` : ""}${this.atoms !== null ? ` with ${this.atoms} atoms` : ""}${this.nodes !== null ? ` on ${plural(this.nodes, "node")}` : ""}.`)
    const cvs = acts.filter((a) => (ACTION_KINDS[a.name] ?? "").startsWith("collective variable"))
    const biases = acts.filter((a) => (ACTION_KINDS[a.name] ?? "").startsWith("bias"))
    if (cvs.length > 0) lead.push(`Collective variables: ${cvs.map((a) => `${a.name}${a.label !== null ? ` "${a.label}"` : ""}${a.details[0] !== undefined ? ` (${a.details[0]})` : ""}`).join("; ")}.`)
    if (biases.length > 0) lead.push(`Biases: ${biases.map((a) => `${a.name}${a.details.length > 0 ? ` (${a.details.filter((x) => !x.startsWith("added component")).slice(0, 4).join(", ")})` : ""}`).join("; ")}.`)
    const timeUnit = /^time:\s*(\S+)/.exec(this.units.find((u) => u.startsWith("time:")) ?? "")?.[1] ?? null
    if (this.timestep !== null) lead.push(`MD timestep ${fmt(this.timestep)}${timeUnit !== null ? ` ${timeUnit}` : " (PLUMED time units)"}.`)
    const steps = this.timing.length > 0 ? Math.max(...this.timing.map(([, c]) => c)) : null
    if (steps !== null) lead.push(`PLUMED was called on ${plural(steps, "MD step")} (timing table).`)
    d.paragraph(lead.join(" "))
    d.section("Setup")
    d.kv("PLUMED version", this.version)
    d.kv("MD engine", this.engine)
    d.kv("atoms", this.atoms)
    d.kv("MPI nodes", this.nodes)
    d.kv("timestep", this.timestep)
    if (this.units.length > 0) d.kv("units", this.units.join("; "))
    d.kv("thermal energy", this.kbt)
    if (acts.length > 0) {
      d.section("Actions (plumed.dat)")
      for (const a of acts) {
        const kind = ACTION_KINDS[a.name]
        d.bullet(`${a.name}${a.label !== null ? ` [label ${a.label}]` : ""}${kind !== undefined ? ` — ${kind}` : ""}${a.details.length > 0 ? `: ${a.details.join("; ")}` : ""}`)
      }
      if (this.actions.omitted > 0) d.line(`… ${this.actions.omitted} more actions.`)
    }
    if (this.timing.length > 0) {
      d.section("Timing")
      d.table(["stage", "cycles", "total (s)"], this.timing.map(([k, c, t]) => [k, String(c), fmt(t, 6)]))
    }
    if (this.bib.length > 0) {
      d.section("References printed")
      for (const b of this.bib) d.bullet(b)
    }
    if (this.warnings.size > 0 || this.errors.size > 0) {
      d.section("Warnings and errors")
      for (const m of this.errors.strings()) d.bullet(`ERROR: ${m}`)
      for (const m of this.warnings.strings()) d.bullet(`warning: ${m}`)
    }
    const metadata = compact({
      program: "PLUMED",
      version: this.version,
      format: "plumed-log",
      engine: this.engine,
      atoms: this.atoms,
      timestep: this.timestep,
      units: this.units,
      actions: acts.map((a) => ({ name: a.name, label: a.label, details: a.details })),
      steps: this.timing.length > 0 ? Math.max(...this.timing.map(([, c]) => c)) : null,
      lines: this.lines
    }) as Record<string, unknown>
    return { program: "PLUMED", format: "plumed-log", title, text: d.build(), metadata }
  }
}

export function detectPlumed(head: string): number {
  let total = 0
  let hits = 0
  for (const l of head.split("\n", 200)) {
    if (l.trim() === "") continue
    total++
    if (l.startsWith("PLUMED:")) hits++
  }
  if (total > 0 && hits / total > 0.6) return 0.97
  if (head.includes("PLUMED: PLUMED is starting")) return 0.6
  return 0
}

export const PLUMED_LOG: LogProgram = { format: "plumed-log", detect: detectPlumed, create: () => new PlumedReader() }
