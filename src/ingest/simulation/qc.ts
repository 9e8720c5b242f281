/**
 * The common model and renderer of quantum-chemistry outputs (Gaussian, ORCA, NWChem, Psi4, GAMESS,
 * Molpro, Q-Chem, DALTON, xtb). Each program's reader fills a `QcModel` while it streams the log; the
 * model holds only bounded pieces (the last geometry up to a cap, series summaries of energies, the
 * frequency list up to a cap), and `renderQc` turns it into the training document and its metadata.
 */
import {
  cut,
  clip,
  Composition,
  compact,
  DocBuilder,
  elementFromLabel,
  FirstN,
  fixed,
  fmt,
  HARTREE_TO_EV,
  HARTREE_TO_KCAL,
  joinList,
  plural,
  q,
  type Quantity,
  round,
  Series
} from "./render.ts"
import type { SimulationDocument } from "./types.ts"

export interface Atom {
  readonly element: string
  readonly x: number
  readonly y: number
  readonly z: number
}

export interface ExcitedState {
  readonly index: number
  readonly energyEv: number
  readonly multiplicity?: string
  readonly symmetry?: string
  readonly wavelengthNm?: number
  readonly oscillator?: number
  readonly totalEnergy?: number
}

/** Cap on atoms kept of a geometry (the composition counts all of them). */
const GEOMETRY_CAP = 200
/** Cap on vibrational frequencies kept. */
const FREQ_CAP = 6000

/** A geometry being read: the next complete one replaces the previous. */
export class Geometry {
  readonly atoms: Atom[] = []
  readonly composition = new Composition()
  readonly unit: string
  constructor(unit: string) {
    this.unit = unit
  }
  add(element: string, x: number, y: number, z: number): void {
    this.composition.add(element)
    if (this.atoms.length < GEOMETRY_CAP) this.atoms.push({ element, x, y, z })
  }
  get count(): number {
    return this.composition.total
  }
}

export class QcModel {
  version: string | null = null
  /** Full program name for prose, e.g. "Gaussian 09". */
  displayName: string
  /** Overrides "displayName version" in prose, e.g. "Gaussian 09 (Revision D.01)". */
  fullName: string | null = null
  title: string | null = null
  /** e.g. "B3LYP", "MP2", "CCSD(T)", "GFN2-xTB". */
  method: string | null = null
  /** e.g. "RHF", "UKS". */
  reference: string | null = null
  functional: string | null = null
  basis: string | null = null
  readonly jobTypes: string[] = []
  charge: number | null = null
  multiplicity: number | null = null
  pointGroup: string | null = null
  nBasis: number | null = null
  nElectrons: number | null = null
  nAlpha: number | null = null
  nBeta: number | null = null
  nuclearRepulsion: number | null = null
  /** Input echoed in the log (route, keywords, input file), capped. */
  readonly input = new FirstN<string>(40)
  inputLabel = "input"
  /** The last complete geometry, and the one being filled. */
  geometry: Geometry | null = null
  private pending: Geometry | null = null
  /** Declared number of atoms, when the log says it but prints no geometry. */
  atomCount: number | null = null
  /** Element counts from a composition table, when no geometry is printed. */
  composition: Composition | null = null
  /** Converged SCF energy of each geometry (Hartree). */
  readonly scfEnergies = new Series(64)
  /** SCF iterations to convergence, per SCF solved. */
  readonly scfCycles = new Series(64)
  scfConverged: boolean | null = null
  /** Final labelled energies (Hartree unless stated), last value wins, in order of first appearance. */
  readonly energies = new Map<string, Quantity>()
  /** Other labelled results (gap, dipole, …), last value wins. */
  readonly properties = new Map<string, Quantity | string>()
  optSteps = 0
  optConverged: boolean | null = null
  readonly optEnergies = new Series(64)
  readonly frequencies: number[] = []
  readonly irIntensities: number[] = []
  readonly ramanActivities: number[] = []
  readonly excited = new FirstN<ExcitedState>(60)
  readonly thermo = new Map<string, Quantity>()
  temperature: number | null = null
  pressure: number | null = null
  dipole: { x?: number; y?: number; z?: number; total: number; unit: string } | null = null
  homo: number | null = null
  lumo: number | null = null
  /** "normal", "error" or null (no termination line seen: probably cut short). */
  status: "normal" | "error" | null = null
  statusLine: string | null = null
  wallSeconds: number | null = null
  cpuSeconds: number | null = null
  /** Program-specific facts for the summary section, in order. */
  readonly notes: Array<[string, string]> = []
  readonly extraMeta: Record<string, unknown> = {}

  program: string
  readonly format: string
  constructor(program: string, format: string) {
    this.program = program
    this.format = format
    this.displayName = program
  }

  addJob(job: string): void {
    const j = job.toLowerCase()
    if (!this.jobTypes.includes(j)) this.jobTypes.push(j)
  }

  /** Start reading a geometry; `atom` adds to it; `endGeometry` makes it the current one. */
  beginGeometry(unit = "Angstrom"): void {
    this.pending = new Geometry(unit)
  }

  atom(labelOrElement: string, x: number, y: number, z: number): void {
    if (this.pending === null) this.pending = new Geometry("Angstrom")
    const el = elementFromLabel(labelOrElement) ?? labelOrElement
    this.pending.add(el, x, y, z)
  }

  endGeometry(): void {
    if (this.pending !== null && this.pending.count > 0) this.geometry = this.pending
    this.pending = null
  }

  setEnergy(label: string, value: number, unit = "Hartree"): void {
    if (!Number.isFinite(value)) return
    if (this.energies.size >= 40 && !this.energies.has(label)) return
    this.energies.set(label, q(value, unit))
  }

  setProp(label: string, value: number | string, unit = ""): void {
    if (this.properties.size >= 40 && !this.properties.has(label)) return
    if (typeof value === "number") {
      if (!Number.isFinite(value)) return
      this.properties.set(label, q(value, unit))
    } else if (value !== "") this.properties.set(label, value)
  }

  setThermo(label: string, value: number, unit: string): void {
    if (Number.isFinite(value) && (this.thermo.size < 40 || this.thermo.has(label))) this.thermo.set(label, q(value, unit))
  }

  addFrequency(f: number): void {
    if (Number.isFinite(f) && this.frequencies.length < FREQ_CAP) this.frequencies.push(f)
  }

  addIrIntensity(x: number): void {
    if (this.irIntensities.length < FREQ_CAP) this.irIntensities.push(x)
  }

  addRamanActivity(x: number): void {
    if (this.ramanActivities.length < FREQ_CAP) this.ramanActivities.push(x)
  }

  /** Forget frequencies (a new frequency job in the same log). */
  resetFrequencies(): void {
    this.frequencies.length = 0
    this.irIntensities.length = 0
    this.ramanActivities.length = 0
  }

  note(label: string, value: string): void {
    const i = this.notes.findIndex(([l]) => l === label)
    if (i >= 0) this.notes[i] = [label, value]
    else if (this.notes.length < 40) this.notes.push([label, value])
  }

  /** Atom count and formula from whatever the log offered. */
  systemFacts(): { formula: string | null; atoms: number | null; composition: Record<string, number> | null } {
    const comp = this.geometry?.composition ?? this.composition
    if (comp !== null && comp !== undefined && comp.total > 0) return { formula: comp.formula(), atoms: comp.total, composition: comp.record() }
    return { formula: null, atoms: this.atomCount, composition: null }
  }
}

// ---------------------------------------------------------------------------------------------------

const eh = (x: number): string => `${fixed(x, 8)} Hartree`

function energyText(v: Quantity): string {
  if (v.unit === "Hartree") return `${fixed(v.value, 8)} Hartree (${fmt(v.value * HARTREE_TO_EV, 8)} eV)`
  return `${fmt(v.value, 10)} ${v.unit}`
}

/** Shortest method label for prose: "B3LYP/STO-3G". */
/**
 * The block that reads a coordinate table into `m`'s pending geometry: `row` parses one line and
 * returns true when it added an atom; up to `maxSkip` header lines before the first atom are passed
 * over; the first other line ends the table (and is dispatched as usual).
 */
export function atomTable(m: QcModel, maxSkip: number, row: (line: string) => boolean): (line: string) => boolean {
  let rows = 0
  let skipped = 0
  return (line) => {
    if (row(line)) {
      rows++
      return true
    }
    if (rows === 0 && skipped++ < maxSkip) return true
    m.endGeometry()
    return false
  }
}

/** A line that reports the run failed: the status, the line that says so, and an error message. */
export function recordFailure(m: QcModel, errors: { add(message: string): void }, line: string): void {
  m.status = "error"
  m.statusLine = line.trim()
  errors.add(line.trim())
}

export function levelOfTheory(m: QcModel): string | null {
  const method = m.method ?? m.functional
  if (method === null && m.basis === null) return null
  if (method === null) return `basis ${m.basis}`
  return m.basis === null ? method : `${method}/${m.basis}`
}

function freqSummary(m: QcModel, d: DocBuilder, meta: Record<string, unknown>): void {
  const f = m.frequencies
  if (f.length === 0) return
  d.section("Vibrational analysis")
  const imag = f.filter((x) => x < 0)
  const sorted = [...f].sort((a, b) => a - b)
  const real = sorted.filter((x) => x >= 0)
  d.line(
    `${plural(f.length, "vibrational frequency", "vibrational frequencies")} (cm^-1)` +
      (imag.length > 0 ? `, ${imag.length} imaginary (printed negative: ${imag.slice(0, 6).map((x) => fmt(x, 6)).join(", ")}) — not a minimum` : ", none imaginary (a minimum)") +
      "."
  )
  if (real.length > 0) d.bullet(`lowest: ${real.slice(0, 5).map((x) => fmt(x, 6)).join(", ")}`)
  if (real.length > 5) d.bullet(`highest: ${real.slice(-5).map((x) => fmt(x, 6)).join(", ")}`)
  if (f.length <= 90) d.bullet(`all (cm^-1): ${f.map((x) => fmt(x, 6)).join(", ")}`)
  else {
    const n = 12
    const pick = Array.from({ length: n }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (n - 1))]!)
    d.bullet(`evenly spaced through the sorted list: ${pick.map((x) => fmt(x, 6)).join(", ")}`)
  }
  const ir = m.irIntensities
  if (ir.length === f.length && ir.length > 0) {
    const order = ir.map((v, i) => i).sort((a, b) => ir[b]! - ir[a]! || a - b)
    const top = order.slice(0, 6).filter((i) => ir[i]! > 0)
    if (top.length > 0) d.bullet(`strongest IR bands (cm^-1, intensity in km/mol): ${top.map((i) => `${fmt(f[i]!, 6)} (${fmt(ir[i]!, 4)})`).join(", ")}`)
    const active = ir.filter((v) => v > 0.01).length
    d.bullet(`IR-active modes (intensity > 0.01 km/mol): ${active} of ${ir.length}`)
  }
  const ra = m.ramanActivities
  if (ra.length === f.length && ra.length > 0) {
    const order = ra.map((v, i) => i).sort((a, b) => ra[b]! - ra[a]! || a - b)
    const top = order.slice(0, 5).filter((i) => ra[i]! > 0)
    if (top.length > 0) d.bullet(`strongest Raman activities (cm^-1, A^4/amu): ${top.map((i) => `${fmt(f[i]!, 6)} (${fmt(ra[i]!, 4)})`).join(", ")}`)
  }
  meta.frequencies = {
    unit: "cm^-1",
    count: f.length,
    imaginary: imag.length,
    lowest: real.length > 0 ? real[0] : undefined,
    highest: sorted.length > 0 ? sorted[sorted.length - 1] : undefined,
    values: f.length <= 300 ? f : undefined,
    irIntensities: ir.length === f.length && ir.length <= 300 ? { unit: "km/mol", values: ir } : undefined
  }
}

/** Render a filled model as a training document. */
export function renderQc(m: QcModel, input: { lines: number; chars: number; warnings: { strings(): string[]; size: number; list(): Array<{ message: string; count: number }> }; errors: { strings(): string[]; size: number; list(): Array<{ message: string; count: number }> } }): SimulationDocument {
  const sys = m.systemFacts()
  const lot = levelOfTheory(m)
  const jobs = m.jobTypes.length > 0 ? m.jobTypes.join(" ") : null
  const name = m.fullName ?? (m.version !== null ? `${m.displayName} ${m.version}`.replace(/\s+/g, " ") : m.displayName)
  const titleParts = [sys.formula, lot, jobs].filter((x): x is string => x !== null)
  const title = titleParts.length > 0 ? `${name}: ${titleParts.join(", ")}` : `${name} output`
  const d = new DocBuilder(title)

  // Lead paragraph: the facts a reader wants first.
  const lead: string[] = []
  let s = `${name} calculation`
  if (sys.formula !== null) s += ` on ${sys.formula}${sys.atoms !== null ? ` (${plural(sys.atoms, "atom")})` : ""}`
  else if (sys.atoms !== null) s += ` on a system of ${plural(sys.atoms, "atom")}`
  if (m.title !== null && m.title !== "") s += ` titled "${clip(m.title, 80)}"`
  if (lot !== null) s += `, ${lot}`
  if (jobs !== null) s += `; job: ${jobs}`
  lead.push(`${s}.`)
  const state: string[] = []
  if (m.charge !== null) state.push(`charge ${m.charge}`)
  if (m.multiplicity !== null) state.push(`spin multiplicity ${m.multiplicity}`)
  if (m.pointGroup !== null) state.push(`point group ${m.pointGroup}`)
  if (state.length > 0) lead.push(`${state.join(", ").replace(/^./, (c) => c.toUpperCase())}.`)
  const finalEnergy = [...m.energies].pop()
  if (finalEnergy !== undefined) lead.push(`Final ${finalEnergy[0]}: ${energyText(finalEnergy[1])}.`)
  if (m.frequencies.length > 0) {
    const imag = m.frequencies.filter((x) => x < 0).length
    lead.push(`${plural(m.frequencies.length, "vibrational frequency", "vibrational frequencies")}${imag > 0 ? ` (${imag} imaginary)` : ""}.`)
  }
  if (m.status === "normal") lead.push("The run finished normally.")
  else if (m.status === "error") lead.push(`The run ended with an error${m.statusLine !== null ? `: ${clip(m.statusLine, 160)}` : ""}.`)
  else lead.push("No normal-termination message was found (the run may have been cut short).")
  d.paragraph(lead.join(" "))

  // Method and system.
  d.section("Method and system")
  d.kv("program", name)
  d.kv("method", m.method)
  d.kv("reference wavefunction", m.reference)
  if (m.functional !== null && m.functional !== m.method) d.kv("exchange-correlation functional", m.functional)
  d.kv("basis set", m.basis)
  d.kv("job type", jobs)
  if (sys.formula !== null) d.kv("formula", `${sys.formula} (${plural(sys.atoms ?? 0, "atom")})`)
  else d.kv("atoms", sys.atoms)
  d.kv("charge", m.charge)
  d.kv("multiplicity", m.multiplicity)
  d.kv("point group", m.pointGroup)
  d.kv("basis functions", m.nBasis)
  if (m.nElectrons !== null || m.nAlpha !== null)
    d.kv("electrons", m.nElectrons !== null ? `${m.nElectrons}${m.nAlpha !== null ? ` (${m.nAlpha} alpha, ${m.nBeta ?? "?"} beta)` : ""}` : `${m.nAlpha} alpha, ${m.nBeta ?? "?"} beta`)
  if (m.nuclearRepulsion !== null) d.kv("nuclear repulsion energy", eh(m.nuclearRepulsion))
  for (const [k, v] of m.notes) d.kv(k, v)

  if (m.input.items.length > 0) {
    d.section(m.inputLabel.replace(/^./, (c) => c.toUpperCase()))
    d.line("```")
    for (const l of m.input.items) d.line(cut(l, 160))
    if (m.input.omitted > 0) d.line(`… (${m.input.omitted} more lines)`)
    d.line("```")
  }

  const g = m.geometry
  if (g !== null) {
    d.section(`Geometry (${g.unit})`)
    const show = g.atoms.slice(0, 30)
    d.table(["#", "element", "x", "y", "z"], show.map((a, i) => [String(i + 1), a.element, fixed(a.x, 6), fixed(a.y, 6), fixed(a.z, 6)]))
    if (g.count > show.length) d.line(`… ${g.count - show.length} more atoms not shown.`)
  }

  // Energies and convergence.
  if (m.energies.size > 0 || m.scfEnergies.count > 0 || m.scfCycles.count > 0) {
    d.section("Energies and convergence")
    for (const [k, v] of m.energies) d.kv(k, energyText(v))
    if (m.scfCycles.count > 0) {
      const c = m.scfCycles
      d.kv("SCF iterations", c.count === 1 ? `converged in ${plural(c.last, "cycle")}` : `${c.count} SCF solutions, ${fmt(c.min)}–${fmt(c.max)} cycles each (last ${fmt(c.last)})`)
    }
    if (m.scfConverged === false) d.bullet("SCF did NOT converge")
    if (m.scfEnergies.count > 1) d.kv("SCF energy over the run (Hartree)", m.scfEnergies.describe("", 10, 8))
    if (m.homo !== null) d.kv("HOMO energy", `${fmt(m.homo)} Hartree (${fmt(m.homo * HARTREE_TO_EV, 5)} eV)`)
    if (m.lumo !== null) d.kv("LUMO energy", `${fmt(m.lumo)} Hartree (${fmt(m.lumo * HARTREE_TO_EV, 5)} eV)`)
    if (m.homo !== null && m.lumo !== null) d.kv("HOMO-LUMO gap", `${fmt((m.lumo - m.homo) * HARTREE_TO_EV, 5)} eV`)
  }

  if (m.optSteps > 0 || m.optConverged !== null) {
    d.section("Geometry optimisation")
    d.kv("optimisation steps", m.optSteps > 0 ? m.optSteps : null)
    d.kv("converged", m.optConverged === null ? null : m.optConverged ? "yes" : "no")
    if (m.optEnergies.count > 1) {
      const e = m.optEnergies
      d.kv("energy along the optimisation (Hartree)", e.describe("", 10, 8))
      d.kv("energy lowered by", `${fmt((e.first - e.last) * HARTREE_TO_KCAL, 5)} kcal/mol (${fmt(e.first - e.last, 6)} Hartree)`)
    }
  }

  const meta: Record<string, unknown> = {}
  freqSummary(m, d, meta)

  if (m.thermo.size > 0) {
    d.section("Thermochemistry")
    if (m.temperature !== null) d.kv("temperature", `${fmt(m.temperature)} K${m.pressure !== null ? `, pressure ${fmt(m.pressure)} atm` : ""}`)
    for (const [k, v] of m.thermo)
      d.kv(k, v.unit === "Hartree" ? `${fixed(v.value, 6)} Hartree${Math.abs(v.value) < 10 ? ` (${fmt(v.value * HARTREE_TO_KCAL, 6)} kcal/mol)` : ""}` : `${fmt(v.value, 8)} ${v.unit}`)
  }

  if (m.excited.total > 0) {
    d.section("Excited states")
    const rows = m.excited.items.slice(0, 25).map((e) => [
      String(e.index),
      e.multiplicity ?? e.symmetry ?? "",
      fmt(e.energyEv, 6),
      e.wavelengthNm !== undefined ? fmt(e.wavelengthNm, 5) : fmt(1239.84198 / e.energyEv, 5),
      e.oscillator !== undefined ? fmt(e.oscillator, 4) : ""
    ])
    d.line(`${plural(m.excited.total, "excited state")} computed.`)
    d.table(["state", "spin/symmetry", "excitation energy (eV)", "wavelength (nm)", "oscillator strength"], rows)
    if (m.excited.total > rows.length) d.line(`… ${m.excited.total - rows.length} more states not shown.`)
    const bright = m.excited.items.filter((e) => (e.oscillator ?? 0) > 0).sort((a, b) => (b.oscillator ?? 0) - (a.oscillator ?? 0))[0]
    if (bright !== undefined) d.line(`Brightest state: ${bright.index} at ${fmt(bright.energyEv, 5)} eV (f = ${fmt(bright.oscillator, 4)}).`)
  }

  if (m.properties.size > 0 || m.dipole !== null) {
    d.section("Properties")
    if (m.dipole !== null) {
      const dp = m.dipole
      const comps = dp.x !== undefined ? ` (x ${fmt(dp.x, 5)}, y ${fmt(dp.y, 5)}, z ${fmt(dp.z, 5)})` : ""
      d.kv("dipole moment", `${fmt(dp.total, 5)} ${dp.unit}${comps}`)
    }
    for (const [k, v] of m.properties) d.kv(k, typeof v === "string" ? v : `${fmt(v.value, 8)}${v.unit === "" ? "" : ` ${v.unit}`}`)
  }

  if (input.warnings.size > 0 || input.errors.size > 0) {
    d.section("Warnings and errors")
    for (const { message, count } of input.errors.list()) d.bullet(`ERROR: ${message}${count > 1 ? ` (x${count})` : ""}`)
    for (const { message, count } of input.warnings.list()) d.bullet(`warning: ${message}${count > 1 ? ` (x${count})` : ""}`)
  }

  d.section("Run")
  d.kv("termination", m.status === "normal" ? "normal" : m.status === "error" ? "error" : "not found (output may be incomplete)")
  if (m.wallSeconds !== null) d.kv("wall time", `${fmt(m.wallSeconds, 6)} s`)
  if (m.cpuSeconds !== null) d.kv("CPU time", `${fmt(m.cpuSeconds, 6)} s`)
  d.kv("log size", `${plural(input.lines, "line")}, ${input.chars} characters`)

  const energies: Record<string, Quantity> = {}
  for (const [k, v] of m.energies) energies[k] = q(round(v.value, 14), v.unit)
  const props: Record<string, unknown> = {}
  for (const [k, v] of m.properties) props[k] = v
  const thermo: Record<string, Quantity> = {}
  for (const [k, v] of m.thermo) thermo[k] = v
  const metadata = compact({
    program: m.program,
    version: m.version,
    format: m.format,
    title: m.title,
    method: m.method,
    reference: m.reference,
    functional: m.functional,
    basis: m.basis,
    jobTypes: m.jobTypes,
    system: {
      formula: sys.formula,
      atoms: sys.atoms,
      composition: sys.composition,
      charge: m.charge,
      multiplicity: m.multiplicity,
      pointGroup: m.pointGroup,
      geometry: g !== null && g.count <= 50 ? { unit: g.unit, atoms: g.atoms.map((a) => [a.element, a.x, a.y, a.z]) } : undefined
    },
    parameters: { basisFunctions: m.nBasis, electrons: m.nElectrons, alphaElectrons: m.nAlpha, betaElectrons: m.nBeta },
    results: {
      energies,
      nuclearRepulsion: m.nuclearRepulsion !== null ? q(m.nuclearRepulsion, "Hartree") : undefined,
      homo: m.homo !== null ? q(m.homo, "Hartree") : undefined,
      lumo: m.lumo !== null ? q(m.lumo, "Hartree") : undefined,
      dipole: m.dipole !== null ? q(m.dipole.total, m.dipole.unit) : undefined,
      properties: props,
      thermochemistry: m.thermo.size > 0 ? { temperature: m.temperature !== null ? q(m.temperature, "K") : undefined, ...thermo } : undefined,
      excitedStates: m.excited.total > 0 ? { count: m.excited.total, states: m.excited.items.slice(0, 30) } : undefined,
      ...meta
    },
    convergence: {
      scfConverged: m.scfConverged,
      scfCycles: m.scfCycles.count > 0 ? m.scfCycles.summary() : undefined,
      scfEnergies: m.scfEnergies.count > 1 ? m.scfEnergies.summary(12) : undefined,
      optimization: m.optSteps > 0 || m.optConverged !== null ? { steps: m.optSteps, converged: m.optConverged, energies: m.optEnergies.count > 0 ? m.optEnergies.summary(12) : undefined } : undefined
    },
    termination: m.status ?? "unknown",
    timing: { wallSeconds: m.wallSeconds, cpuSeconds: m.cpuSeconds },
    warnings: input.warnings.strings(),
    errors: input.errors.strings(),
    ...m.extraMeta,
    lines: input.lines
  }) as Record<string, unknown>
  return { program: m.program, format: m.format, title, text: d.build(), metadata }
}

/** Helper for readers: "a, b and c" of the distinct non-empty values. */
export const listOf = (xs: ReadonlyArray<string | null | undefined>): string => joinList([...new Set(xs.filter((x): x is string => x !== null && x !== undefined && x !== ""))])
