/**
 * VASP outputs: OUTCAR (`vasp-outcar`) and vasprun.xml (`vasp-xml`).
 *
 * Built from the documented formats (no VASP sample in the shared corpus). OUTCAR: version line,
 * POTCAR/TITEL species, ions per type, INCAR parameters echoed (ENCUT, ISMEAR, SIGMA, IBRION, NSW,
 * EDIFF, GGA, ISPIN, NELECT), lattice vectors and volume, electronic iterations, free energy TOTEN,
 * energy(sigma->0), E-fermi, forces, external pressure, relaxation convergence, dynamical-matrix
 * frequencies, timing. vasprun.xml is read line by line (no DOM): generator, incar, atominfo,
 * k-point generation, structures, per-step energies, final energies and Fermi level.
 */
import { BaseReader, type Rule } from "./base.ts"
import { Composition, compact, DocBuilder, elementFromLabel, fixed, fmt, num, plural, q, qOpt, Series } from "./render.ts"
import { InputRejected, type LogProgram, type SimulationDocument } from "./types.ts"
import { decodeXmlText, UNSAFE_XML, XmlPrologGuard } from "../xml.ts"

const IBRION: Record<string, string> = {
  "-1": "no ionic update (single point)",
  "0": "molecular dynamics",
  "1": "ionic relaxation (quasi-Newton)",
  "2": "ionic relaxation (conjugate gradient)",
  "3": "ionic relaxation (damped MD)",
  "5": "finite-difference phonons",
  "6": "finite-difference phonons (symmetry)",
  "7": "DFPT phonons",
  "8": "DFPT phonons (symmetry)",
  "44": "transition-state search (dimer)"
}

const GGA: Record<string, string> = { PE: "PBE", PS: "PBEsol", RP: "RPBE", "91": "PW91", AM: "AM05", B3: "B3LYP", CA: "LDA (Ceperley-Alder)", "--": "LDA (from POTCAR)", RE: "revPBE", BO: "optB86b", MK: "optB88/vdW", ML: "vdW-DF2" }

function structureSection(d: DocBuilder, comp: Composition, lattice: number[][], volume: number | null): void {
  d.section("Structure")
  if (comp.total > 0) d.kv("composition", `${comp.formula()} (${comp.entries().map(([e, n]) => `${e} ${n}`).join(", ")}; ${plural(comp.total, "atom")})`)
  if (lattice.length === 3) {
    d.kv("lattice vectors (Å)", lattice.map((v, i) => `a${i + 1} = (${v.map((x) => fmt(x, 7)).join(", ")})`).join("; "))
    d.kv("lattice lengths (Å)", lattice.map((v) => fmt(Math.hypot(v[0]!, v[1]!, v[2]!), 6)).join(", "))
  }
  if (volume !== null) d.kv("cell volume", `${fmt(volume)} Å^3${comp.total > 0 ? ` (${fmt(volume / comp.total, 5)} Å^3/atom)` : ""}`)
}

// ---------------------------------------------------------------------------------------------------
// OUTCAR

class OutcarReader extends BaseReader {
  private version: string | null = null
  private readonly potcars: string[] = []
  private ionsPerType: number[] = []
  private readonly params = new Map<string, string>()
  private lattice: number[][] = []
  private volume: number | null = null
  private readonly toten = new Series(64)
  private sigma0: number | null = null
  private freeEnergy: number | null = null
  private efermi: number | null = null
  private elecIterations = 0
  private readonly elecPerStep = new Series(64)
  private ionicSteps = 0
  private readonly pressure = new Series(64)
  private maxForce: number | null = null
  private readonly maxForces = new Series(64)
  private relaxed = false
  private readonly freqs: number[] = []
  private readonly imagFreqs: number[] = []
  private cpu: number | null = null
  private elapsed: number | null = null
  private cores: number | null = null
  private nkpts: number | null = null
  private nbands: number | null = null
  private magnetization: number | null = null

  protected readonly rules: ReadonlyArray<Rule> = [
    ["Iteration", (l) => {
      const m = /-+\s*Iteration\s+(\d+)\(\s*(\d+)\)/.exec(l)
      if (m === null) return false
      const ionic = Number(m[1])
      if (ionic !== this.ionicSteps) {
        if (this.ionicSteps > 0) this.elecPerStep.push(this.elecIterations)
        this.ionicSteps = ionic
      }
      this.elecIterations = Number(m[2])
    }],
    ["free  energy   TOTEN", (l) => {
      this.freeEnergy = num(/=\s*(-?\d+\.\d+)/.exec(l)?.[1])
      this.toten.push(this.freeEnergy)
    }],
    ["energy(sigma->0)", (l) => {
      this.sigma0 = num(/energy\(sigma->0\)\s*=\s*(-?\d+\.\d+)/.exec(l)?.[1])
    }],
    ["E-fermi", (l) => {
      this.efermi = num(/E-fermi\s*:\s*(-?\d+\.\d+)/.exec(l)?.[1])
    }],
    ["external pressure", (l) => this.pressure.push(num(/=\s*(-?\d+\.\d+)\s*kB/.exec(l)?.[1]))],
    ["TOTAL-FORCE (eV/Angst)", () => {
      let max = 0
      let rows = 0
      this.block = (r) => {
        const v = r.trim().split(/\s+/).map(num)
        if (v.length === 6 && v.every(Number.isFinite)) {
          max = Math.max(max, Math.hypot(v[3]!, v[4]!, v[5]!))
          rows++
          return true
        }
        if (rows === 0) return true
        this.maxForce = max
        this.maxForces.push(max)
        return false
      }
    }],
    ["reached required accuracy", () => {
      this.relaxed = true
    }],
    ["f  =", (l) => {
      const f = /^\s*\d+\s+f\s+=.*?(-?\d+\.\d+)\s*cm-1/.exec(l)
      if (f === null) return false
      if (this.freqs.length < 3000) this.freqs.push(num(f[1]))
    }],
    ["f/i=", (l) => {
      const f = /^\s*\d+\s+f\/i=.*?(-?\d+\.\d+)\s*cm-1/.exec(l)
      if (f !== null && this.imagFreqs.length < 3000) this.imagFreqs.push(num(f[1]))
    }],
    ["vasp.", (l) => {
      const v = /^\s*vasp\.(\S+)/.exec(l)
      if (v === null || this.version !== null) return false
      this.version = v[1]!
    }],
    ["running on", (l) => {
      const c = /running on\s+(\d+)\s+total cores/.exec(l)
      if (c !== null) this.cores = Number(c[1])
      else return false
    }],
    ["POTCAR:", (l) => {
      const p = /POTCAR:\s*(.+?)\s*$/.exec(l)
      if (p !== null && !this.potcars.includes(p[1]!) && this.potcars.length < 30) this.potcars.push(p[1]!)
    }],
    ["ions per type =", (l) => {
      this.ionsPerType = l.split("=")[1]!.trim().split(/\s+/).map(Number)
    }],
    ["NKPTS =", (l) => {
      this.nkpts = num(/NKPTS =\s*(\d+)/.exec(l)?.[1])
      const b = /NBANDS=\s*(\d+)/.exec(l)
      if (b !== null) this.nbands = Number(b[1])
    }],
    ["direct lattice vectors", () => {
      const rows: number[][] = []
      this.block = (r) => {
        const v = r.trim().split(/\s+/).map(num)
        if (v.length >= 3 && v.slice(0, 3).every(Number.isFinite)) {
          rows.push(v.slice(0, 3))
          if (rows.length === 3) {
            this.lattice = rows
            return false
          }
          return true
        }
        return false
      }
    }],
    ["volume of cell :", (l) => {
      this.volume = num(l.split(":")[1])
    }],
    ["number of electron", (l) => {
      const m = /magnetization\s+(-?\d+\.\d+)/.exec(l)
      if (m !== null) this.magnetization = num(m[1])
      else return false
    }],
    ["Total CPU time used (sec):", (l) => {
      this.cpu = num(l.split(":")[1])
    }],
    ["Elapsed time (sec):", (l) => {
      this.elapsed = num(l.split(":")[1])
    }],
    ["Error", (l) => {
      if (/error|ERROR/.test(l) && /(VERY BAD NEWS|internal error|Error EDDDAV|ZBRENT|Sub-Space-Matrix)/.test(l)) this.errors.add(l.trim())
      else return false
    }],
    ["WARNING", (l) => this.warnings.add(l.replace(/[|]/g, "").trim())],
    ["=", (l) => this.param(l)]
  ]

  private param(l: string): boolean {
    const keys = ["ENCUT", "ISMEAR", "SIGMA", "IBRION", "NSW", "EDIFF", "EDIFFG", "GGA", "ISPIN", "NELECT", "PREC", "ALGO", "LREAL", "ISIF", "POTIM", "TEBEG", "METAGGA", "IVDW", "LHFCALC", "LDAU", "NELM"]
    const m = /^\s*([A-Z]+)\s*=\s*([^\s;]+)/.exec(l)
    if (m === null || !keys.includes(m[1]!)) return false
    if (!this.params.has(m[1]!)) this.params.set(m[1]!, m[2]!)
    const m2 = /;\s*([A-Z]+)\s*=\s*([^\s;]+)/.exec(l)
    if (m2 !== null && keys.includes(m2[1]!) && !this.params.has(m2[1]!)) this.params.set(m2[1]!, m2[2]!)
    return true
  }

  private composition(): Composition {
    const c = new Composition()
    const species = this.potcars.map((p) => {
      const t = p.split(/\s+/)
      return elementFromLabel((t[1] ?? t[0] ?? "X").replace(/_.*$/, "")) ?? t[1] ?? "X"
    })
    this.ionsPerType.forEach((n, i) => {
      if (species[i] !== undefined) c.add(species[i]!, n)
    })
    return c
  }

  finish(): SimulationDocument {
    this.flush()
    if (this.ionicSteps > 0) this.elecPerStep.push(this.elecIterations)
    const comp = this.composition()
    const p = this.params
    const ibrion = p.get("IBRION")
    const nsw = num(p.get("NSW"))
    const calc = ibrion !== undefined && (nsw > 0 || ["5", "6", "7", "8"].includes(ibrion)) ? (IBRION[ibrion] ?? `IBRION=${ibrion}`) : "single-point calculation"
    const gga = p.get("GGA")
    const xc = p.get("METAGGA") !== undefined && p.get("METAGGA") !== "--" ? p.get("METAGGA")! : gga !== undefined ? (GGA[gga] ?? gga) : null
    const formula = comp.total > 0 ? comp.formula() : null
    const title = `VASP ${this.version?.split(/\s/)[0] ?? ""} OUTCAR: ${[formula, calc, xc].filter((x) => x !== null).join(", ")}`
    const d = new DocBuilder(title)
    const lead: string[] = [`VASP ${this.version ?? ""} ${calc}${formula !== null ? ` on ${formula} (${plural(comp.total, "atom")})` : ""}${xc !== null ? ` with the ${xc} functional` : ""}${p.has("ENCUT") ? `, plane-wave cutoff ${p.get("ENCUT")} eV` : ""}.`.replace(/\s+/g, " ")]
    const e0 = this.sigma0 ?? this.freeEnergy
    if (e0 !== null) lead.push(`Final energy(sigma->0) ${fixed(this.sigma0 ?? Number.NaN, 6)} eV, free energy TOTEN ${fixed(this.freeEnergy ?? Number.NaN, 6)} eV${comp.total > 0 ? ` (${fmt((this.sigma0 ?? this.freeEnergy!) / comp.total, 6)} eV/atom)` : ""}.`)
    if (this.efermi !== null) lead.push(`Fermi energy ${fmt(this.efermi)} eV.`)
    if (this.pressure.count > 0) lead.push(`External pressure ${fmt(this.pressure.last)} kB.`)
    if (this.ionicSteps > 1) lead.push(`${plural(this.ionicSteps, "ionic step")}${this.relaxed ? "; the relaxation reached the required accuracy" : ""}.`)
    if (this.freqs.length + this.imagFreqs.length > 0) lead.push(`${this.freqs.length} real and ${this.imagFreqs.length} imaginary vibrational frequencies.`)
    d.paragraph(lead.join(" "))
    structureSection(d, comp, this.lattice, this.volume)
    d.section("Parameters")
    if (this.potcars.length > 0) d.kv("POTCARs", this.potcars.join("; "))
    const units: Record<string, string> = { ENCUT: "eV", SIGMA: "eV", EDIFF: "eV", EDIFFG: "eV (negative: force criterion in eV/Å)", POTIM: "fs or scaling", TEBEG: "K" }
    for (const [k, v] of p) d.kv(k, units[k] !== undefined ? `${v} ${units[k]}` : v)
    d.kv("k-points", this.nkpts)
    d.kv("bands", this.nbands)
    d.section("Results")
    if (this.freeEnergy !== null) d.kv("free energy TOTEN", `${fixed(this.freeEnergy, 8)} eV`)
    if (this.sigma0 !== null) d.kv("energy(sigma->0)", `${fixed(this.sigma0, 8)} eV`)
    if (this.efermi !== null) d.kv("Fermi energy", `${fmt(this.efermi)} eV`)
    if (this.magnetization !== null) d.kv("magnetization", `${fmt(this.magnetization)} μB`)
    if (this.maxForce !== null) d.kv("largest force (last step)", `${fmt(this.maxForce, 5)} eV/Å`)
    if (this.pressure.count > 0) d.kv("external pressure (last)", `${fmt(this.pressure.last)} kB`)
    if (this.elecPerStep.count > 0) d.kv("electronic iterations per ionic step", this.elecPerStep.describe("", 4))
    if (this.toten.count > 1) d.kv("TOTEN over ionic steps (eV)", this.toten.describe("", 10, 8))
    if (this.pressure.count > 1) d.kv("pressure over ionic steps (kB)", this.pressure.describe("", 5, 6))
    if (this.maxForces.count > 1) d.kv("largest force over ionic steps (eV/Å)", this.maxForces.describe("", 4, 6))
    if (this.freqs.length + this.imagFreqs.length > 0) {
      const f = [...this.freqs].sort((a, b) => a - b)
      d.kv("vibrational frequencies (cm^-1)", `${f.length} real: ${f.length <= 30 ? f.map((x) => fmt(x, 6)).join(", ") : `lowest ${f.slice(0, 5).map((x) => fmt(x, 6)).join(", ")} … highest ${f.slice(-5).map((x) => fmt(x, 6)).join(", ")}`}${this.imagFreqs.length > 0 ? `; imaginary: ${this.imagFreqs.slice(0, 10).map((x) => `${fmt(x, 6)}i`).join(", ")}` : ""}`)
    }
    if (this.warnings.size > 0 || this.errors.size > 0) {
      d.section("Warnings and errors")
      for (const m of this.errors.strings()) d.bullet(`ERROR: ${m}`)
      for (const m of this.warnings.strings()) d.bullet(`warning: ${m}`)
    }
    d.section("Run")
    d.kv("cores", this.cores)
    if (this.cpu !== null) d.kv("CPU time", `${fmt(this.cpu)} s`)
    if (this.elapsed !== null) d.kv("elapsed time", `${fmt(this.elapsed)} s`)
    d.kv("termination", this.elapsed !== null ? "normal (timing summary printed)" : "no timing summary (run may be incomplete)")
    const metadata = compact({
      program: "VASP",
      version: this.version,
      format: "vasp-outcar",
      functional: xc,
      calculation: calc,
      system: { formula, atoms: comp.total > 0 ? comp.total : null, composition: comp.record(), cell: { vectors: this.lattice.length === 3 ? this.lattice : null, volume: qOpt(this.volume, "Angstrom^3") } },
      parameters: Object.fromEntries(p),
      potcars: this.potcars,
      results: {
        freeEnergy: qOpt(this.freeEnergy, "eV"),
        energySigma0: qOpt(this.sigma0, "eV"),
        fermiEnergy: qOpt(this.efermi, "eV"),
        pressure: this.pressure.count > 0 ? q(this.pressure.last, "kB") : null,
        maxForce: qOpt(this.maxForce, "eV/Angstrom"),
        frequencies: this.freqs.length > 0 ? { unit: "cm^-1", values: this.freqs.slice(0, 300), imaginary: this.imagFreqs.slice(0, 300) } : null
      },
      convergence: { ionicSteps: this.ionicSteps, relaxed: this.relaxed },
      termination: this.elapsed !== null ? "normal" : "unknown",
      warnings: this.warnings.strings(),
      errors: this.errors.strings(),
      lines: this.lines
    }) as Record<string, unknown>
    return { program: "VASP", format: "vasp-outcar", title, text: d.build(), metadata }
  }
}

// ---------------------------------------------------------------------------------------------------
// vasprun.xml

const xmlText = (s: string): string => decodeXmlText(s.replace(/<[^>]+>/g, "")).trim()

class VasprunReader extends BaseReader {
  /** A vasprun.xml whose DOCTYPE declares entities is refused whole (see xml.ts); nothing is expanded or fetched. */
  private readonly prolog = new XmlPrologGuard()

  override feed(raw: string): void {
    if (!this.prolog.done) this.prolog.feed(raw)
    if (this.prolog.problem !== null) return // refused: the rest is not even scanned
    super.feed(raw)
  }

  private readonly gen = new Map<string, string>()
  private readonly incar = new Map<string, string>()
  private section: string | null = null
  private readonly atoms = new Composition()
  private inAtomsArray = false
  private atomCount: number | null = null
  private kgen: string | null = null
  private kdiv: string | null = null
  private calculations = 0
  private scsteps = 0
  private readonly e0 = new Series(64)
  private readonly efr = new Series(64)
  private efermi: number | null = null
  private structure: string | null = null
  private basis: number[][] = []
  private finalBasis: number[][] = []
  private volume: number | null = null
  private finalVolume: number | null = null
  private inCalcEnergy = false
  private complete = false
  private depth = 0

  protected readonly rules: ReadonlyArray<Rule> = [
    ["<generator>", () => {
      this.section = "generator"
    }],
    ["</generator>", () => {
      this.section = null
    }],
    ["<incar>", () => {
      this.section = "incar"
    }],
    ["</incar>", () => {
      this.section = null
    }],
    ["<atominfo>", () => {
      this.section = "atominfo"
    }],
    ["</atominfo>", () => {
      this.section = null
    }],
    ["<array name=\"atoms\"", () => {
      this.inAtomsArray = true
    }],
    ["</array>", () => {
      this.inAtomsArray = false
    }],
    ["<atoms>", (l) => {
      this.atomCount = num(xmlText(l))
    }],
    ["<generation param=", (l) => {
      this.kgen = /param="([^"]+)"/.exec(l)?.[1] ?? null
    }],
    ["name=\"divisions\"", (l) => {
      this.kdiv = xmlText(l).replace(/\s+/g, " ")
    }],
    ["<calculation>", () => {
      this.calculations++
      this.depth = 0
    }],
    ["<scstep>", () => {
      this.scsteps++
      this.depth++
    }],
    ["</scstep>", () => {
      this.depth--
    }],
    ["<structure", (l) => {
      this.structure = /name="([^"]+)"/.exec(l)?.[1] ?? "step"
    }],
    ["</structure>", () => {
      this.structure = null
    }],
    ["<varray name=\"basis\"", () => {
      const rows: number[][] = []
      const target = this.structure
      this.block = (r) => {
        if (r.includes("<v>")) {
          rows.push(xmlText(r).split(/\s+/).map(num))
          return true
        }
        if (rows.length === 3) {
          if (target === "initialpos" || (this.basis.length === 0 && target !== "finalpos")) this.basis = rows
          this.finalBasis = rows
        }
        return false
      }
    }],
    ["name=\"volume\"", (l) => {
      const v = num(xmlText(l))
      if (this.volume === null) this.volume = v
      this.finalVolume = v
    }],
    ["<energy>", () => {
      this.inCalcEnergy = this.depth === 0
    }],
    ["</energy>", () => {
      this.inCalcEnergy = false
    }],
    ["name=\"e_0_energy\"", (l) => {
      if (this.inCalcEnergy) this.e0.push(num(xmlText(l)))
    }],
    ["name=\"e_fr_energy\"", (l) => {
      if (this.inCalcEnergy) this.efr.push(num(xmlText(l)))
    }],
    ["name=\"efermi\"", (l) => {
      this.efermi = num(xmlText(l))
    }],
    ["</modeling>", () => {
      this.complete = true
    }],
    ["<i ", (l) => this.item(l)],
    ["<rc>", (l) => {
      if (this.section === "atominfo" && this.inAtomsArray) {
        const c = /<c>([^<]*)<\/c>/.exec(l)
        if (c !== null) this.atoms.add(elementFromLabel(c[1]!.trim()) ?? c[1]!.trim())
      }
    }]
  ]

  private item(l: string): void {
    const m = /<i(?:\s+type="\w+")?\s+name="([^"]+)"(?:\s+type="\w+")?\s*>([^<]*)<\/i>/.exec(l)
    if (m === null) return
    const value = decodeXmlText(m[2]!).trim()
    if (this.section === "generator") this.gen.set(m[1]!, value)
    else if (this.section === "incar" && this.incar.size < 60) this.incar.set(m[1]!, value)
  }

  finish(): SimulationDocument {
    if (this.prolog.problem !== null) throw new InputRejected(UNSAFE_XML, this.prolog.problem)
    this.flush()
    const comp = this.atoms
    const formula = comp.total > 0 ? comp.formula() : null
    const version = this.gen.get("version") ?? null
    const ibrion = this.incar.get("IBRION")
    const nsw = num(this.incar.get("NSW"))
    const calc = ibrion !== undefined && nsw > 0 ? (IBRION[ibrion] ?? `IBRION=${ibrion}`) : ibrion !== undefined && ["5", "6", "7", "8"].includes(ibrion) ? IBRION[ibrion]! : "single-point calculation"
    const gga = this.incar.get("GGA")
    const xc = gga !== undefined ? (GGA[gga.toUpperCase()] ?? gga) : null
    const title = `VASP ${version ?? ""} vasprun.xml: ${[formula, calc, xc].filter((x) => x !== null).join(", ")}`.replace(/\s+/g, " ")
    const d = new DocBuilder(title)
    const lead = [`VASP ${version ?? ""} (${this.gen.get("program")?.trim() ?? "vasp"}) XML output: ${calc}${formula !== null ? ` on ${formula} (${plural(comp.total, "atom")})` : ""}${xc !== null ? `, ${xc} functional` : ""}${this.incar.has("ENCUT") ? `, ENCUT ${fmt(num(this.incar.get("ENCUT")))} eV` : ""}.`.replace(/\s+/g, " ")]
    if (this.e0.count > 0) lead.push(`Final energy(sigma->0) ${fixed(this.e0.last, 6)} eV${comp.total > 0 ? ` (${fmt(this.e0.last / comp.total, 6)} eV/atom)` : ""} after ${plural(this.calculations, "ionic step")} and ${plural(this.scsteps, "electronic step")}.`)
    if (this.efermi !== null) lead.push(`Fermi energy ${fmt(this.efermi)} eV.`)
    lead.push(this.complete ? "The XML is complete." : "The XML is truncated (no closing </modeling>): the run may have stopped early.")
    d.paragraph(lead.join(" "))
    structureSection(d, comp, this.finalBasis.length === 3 ? this.finalBasis : this.basis, this.finalVolume)
    if (this.volume !== null && this.finalVolume !== null && this.volume !== this.finalVolume) d.kv("initial volume", `${fmt(this.volume)} Å^3`)
    d.section("Parameters (INCAR)")
    for (const [k, v] of this.incar) d.kv(k, v)
    if (this.kgen !== null) d.kv("k-point generation", `${this.kgen}${this.kdiv !== null ? ` ${this.kdiv}` : ""}`)
    d.section("Results")
    if (this.e0.count > 0) d.kv("energy(sigma->0) per ionic step (eV)", this.e0.describe("", 10, 8))
    if (this.efr.count > 0) d.kv("free energy per ionic step (eV)", this.efr.describe("", 10, 6))
    if (this.efermi !== null) d.kv("Fermi energy", `${fmt(this.efermi)} eV`)
    const metadata = compact({
      program: "VASP",
      version,
      format: "vasp-xml",
      functional: xc,
      calculation: calc,
      system: { formula, atoms: comp.total > 0 ? comp.total : this.atomCount, composition: comp.record(), cell: { vectors: this.finalBasis.length === 3 ? this.finalBasis : null, volume: qOpt(this.finalVolume, "Angstrom^3") } },
      parameters: Object.fromEntries(this.incar),
      kpoints: { generation: this.kgen, divisions: this.kdiv },
      results: { energySigma0: this.e0.count > 0 ? q(this.e0.last, "eV") : null, freeEnergy: this.efr.count > 0 ? q(this.efr.last, "eV") : null, fermiEnergy: qOpt(this.efermi, "eV") },
      convergence: { ionicSteps: this.calculations, electronicSteps: this.scsteps },
      termination: this.complete ? "normal" : "incomplete",
      lines: this.lines
    }) as Record<string, unknown>
    return { program: "VASP", format: "vasp-xml", title, text: d.build(), metadata }
  }
}

export function detectOutcar(head: string): number {
  if (/^\s*vasp\.\d+\.\d+/m.test(head) && (head.includes("POTCAR:") || head.includes("executed on"))) return 0.98
  if (head.includes("POTCAR:") && head.includes("TITEL  =")) return 0.9
  return 0
}

export function detectVasprun(head: string): number {
  if (head.includes("<modeling>") && /name="program"[^>]*>\s*vasp/i.test(head)) return 0.98
  if (head.includes("<modeling>") && head.includes("<incar>")) return 0.85
  return 0
}

export const VASP_OUTCAR: LogProgram = { format: "vasp-outcar", detect: detectOutcar, create: () => new OutcarReader() }
export const VASP_XML: LogProgram = { format: "vasp-xml", detect: detectVasprun, create: () => new VasprunReader() }
