/**
 * GROMACS outputs: mdrun log files (`gromacs-log`) and XVG data files (`gromacs-xvg`, written by
 * gmx energy, rms, gyrate, …).
 *
 * Built from the documented formats (no GROMACS sample in the shared corpus). md.log: version and
 * command line, the "Input Parameters" block (integrator, dt, nsteps, coupling, electrostatics),
 * atom count, the periodic "Energies (kJ/mol)" blocks (labels and values in 15-character fields),
 * the final averages, performance, notes, warnings and fatal errors. XVG: title, axis labels and
 * legends from the "@" lines, then per-column statistics and sampled rows of the data.
 */
import { BaseReader, type Rule } from "./base.ts"
import { clip, ColumnTable, compact, DocBuilder, fcount, fmt, num, numericRow, plural, Series, STAT_HEADERS } from "./render.ts"
import type { LogProgram, SimulationDocument } from "./types.ts"

const MDP_KEYS = [
  "integrator", "tinit", "dt", "nsteps", "cutoff-scheme", "nstlist", "pbc", "coulombtype", "rcoulomb", "vdwtype", "vdw-modifier", "rvdw",
  "DispCorr", "fourierspacing", "tcoupl", "nsttcouple", "ref-t", "tau-t", "pcoupl", "pcoupltype", "tau-p", "ref-p", "compressibility",
  "constraints", "constraint-algorithm", "gen-vel", "gen-temp", "free-energy", "nstcalcenergy", "nstenergy", "comm-mode", "ld-seed", "bd-fric", "emtol", "emstep"
]

/** Split a GROMACS energy line into 15-character fields. */
function fields15(line: string): string[] {
  const out: string[] = []
  for (let i = 0; i < line.length; i += 15) {
    const f = line.slice(i, i + 15).trim()
    if (f !== "") out.push(f)
  }
  return out
}

class GromacsLogReader extends BaseReader {
  private version: string | null = null
  private command: string | null = null
  private readonly mdp = new Map<string, string>()
  private atoms: number | null = null
  private readonly energies = new Map<string, Series>()
  private readonly averages = new Map<string, number>()
  private inAverages = false
  private averagesInfo: string | null = null
  private lastStep: number | null = null
  private lastTime: number | null = null
  private frames = 0
  private performance: string | null = null
  private wall: number | null = null
  private finished: string | null = null
  private readonly notes = new Set<string>()
  private started: string | null = null
  private precision: string | null = null

  protected readonly rules: ReadonlyArray<Rule> = [
    ["Energies (kJ/mol)", () => this.energyBlock()],
    ["Step           Time", () => {
      this.block = (r) => {
        const v = numericRow(r)
        if (v !== null && v.length === 2) {
          this.lastStep = v[0]!
          this.lastTime = v[1]!
        }
        return false
      }
    }],
    ["A V E R A G E S", () => {
      this.inAverages = true
    }],
    ["Statistics over", (l) => {
      this.averagesInfo = l.trim()
    }],
    ["GROMACS:", (l) => {
      const v = /version\s+(\S+)/.exec(l)
      if (v !== null) this.version = v[1]!
      else return false
    }],
    ["GROMACS - gmx", (l) => {
      const v = /GROMACS - gmx \w+, (?:VERSION )?(\S+) \(-:/.exec(l)
      if (v !== null && this.version === null) this.version = v[1]!
    }],
    ["GROMACS version:", (l) => {
      this.version = l.split(":")[1]!.trim()
    }],
    ["Precision:", (l) => {
      this.precision = l.split(":")[1]!.trim()
    }],
    ["Command line:", () => {
      this.block = (r) => {
        if (this.command === null && r.trim() !== "") this.command = clip(r.trim(), 200)
        return false
      }
    }],
    ["Input Parameters:", () => {
      this.block = (r) => {
        if (r.trim() === "") return false
        if (!/^\s/.test(r) && !/^grpopts:/.test(r)) return false
        const m = /^\s+([\w-]+)\s*[=:]\s*(.*)$/.exec(r)
        if (m !== null) {
          const k = m[1]!.replace(/_/g, "-")
          if ((MDP_KEYS.includes(k) || MDP_KEYS.includes(m[1]!)) && !this.mdp.has(k)) this.mdp.set(k, m[2]!.trim().replace(/\s+/g, " "))
        }
        return true
      }
    }],
    ["There are:", (l) => {
      const a = /There are:\s*(\d+)\s*Atoms/.exec(l)
      if (a !== null) this.atoms = Number(a[1])
    }],
    ["Started mdrun on rank", (l) => {
      this.started = l.trim()
    }],
    ["Performance:", (l) => {
      const v = l.split(":")[1]!.trim().split(/\s+/)
      if (v.length >= 2) this.performance = `${v[0]} ns/day, ${v[1]} hour/ns`
    }],
    ["Time:", (l) => {
      const t = /Time:\s+(\S+)\s+(\S+)/.exec(l)
      if (t !== null) this.wall = num(t[2])
    }],
    ["Finished mdrun", (l) => {
      this.finished = l.trim()
    }],
    ["Fatal error", (l) => {
      let text = l.trim()
      this.block = (r) => {
        if (r.trim() === "" || text.length > 300) {
          this.errors.add(text)
          return false
        }
        text += ` ${r.trim()}`
        return true
      }
    }],
    ["WARNING", (l) => this.warnings.add(l.trim())],
    ["NOTE", (l) => {
      let text = l.trim()
      this.block = (r) => {
        if (/^\s+\S/.test(r) && text.length < 300) {
          text += ` ${r.trim()}`
          return true
        }
        if (this.notes.size < 10) this.notes.add(clip(text, 300))
        return false
      }
    }]
  ]

  private energyBlock(): void {
    let labels: string[] | null = null
    let labelLine = ""
    let pairs = 0
    const target = this.inAverages ? "avg" : "run"
    if (target === "run") this.frames++
    this.block = (r) => {
      if (r.trim() === "") return pairs === 0
      const vals = r.trim().split(/\s+/).map(num)
      if (labels === null || !vals.every(Number.isFinite)) {
        labels = fields15(r)
        labelLine = r
        return true
      }
      if (vals.length !== labels.length) {
        // Not the %15s layout: fall back to labels separated by two or more spaces.
        const alt = labelLine.trim().split(/\s{2,}/)
        if (alt.length !== vals.length) return false
        labels = alt
      }
      const labs = labels
      labs.forEach((lab, i) => {
        if (target === "avg") {
          if (this.averages.size < 60 || this.averages.has(lab)) this.averages.set(lab, vals[i]!)
        }
        else {
          let s = this.energies.get(lab)
          if (s === undefined && this.energies.size < 40) {
            s = new Series(48)
            this.energies.set(lab, s)
          }
          s?.push(vals[i]!)
        }
      })
      labels = null
      pairs++
      return true
    }
  }

  finish(): SimulationDocument {
    this.flush()
    const mdp = this.mdp
    const integrator = mdp.get("integrator") ?? null
    const nsteps = num(mdp.get("nsteps"))
    const dt = num(mdp.get("dt"))
    const kind = integrator === null ? "run" : /^(steep|cg|l-bfgs)$/.test(integrator) ? `energy minimisation (${integrator})` : /^(md|md-vv|md-vv-avek|sd|bd)$/.test(integrator) ? `molecular dynamics (${integrator})` : integrator
    const title = `GROMACS ${this.version ?? ""} mdrun log: ${kind}${this.atoms !== null ? `, ${fcount(this.atoms)} atoms` : ""}`.replace(/\s+/g, " ")
    const d = new DocBuilder(title)
    const lead: string[] = [`GROMACS ${this.version ?? ""} mdrun log of a ${kind}${this.atoms !== null ? ` of ${fcount(this.atoms)} atoms` : ""}.`.replace(/\s+/g, " ")]
    if (Number.isFinite(nsteps) && Number.isFinite(dt)) lead.push(`${fcount(nsteps)} steps of ${fmt(dt)} ps requested (${fmt((nsteps * dt) / 1000, 5)} ns).`)
    const coupling = [mdp.get("tcoupl") !== undefined && mdp.get("tcoupl") !== "No" ? `${mdp.get("tcoupl")} thermostat${mdp.has("ref-t") ? ` at ${mdp.get("ref-t")} K` : ""}` : null, mdp.get("pcoupl") !== undefined && mdp.get("pcoupl") !== "No" ? `${mdp.get("pcoupl")} barostat${mdp.has("ref-p") && /^[\d.\s]+$/.test(mdp.get("ref-p")!) ? ` at ${mdp.get("ref-p")} bar` : ""}` : null].filter((x): x is string => x !== null)
    if (coupling.length > 0) lead.push(`${coupling.join(", ")}.`.replace(/^./, (c) => c.toUpperCase()))
    if (mdp.has("coulombtype")) lead.push(`Electrostatics ${mdp.get("coulombtype")} (rcoulomb ${mdp.get("rcoulomb") ?? "?"} nm), van der Waals ${mdp.get("vdwtype") ?? "?"} (rvdw ${mdp.get("rvdw") ?? "?"} nm).`)
    const avgBits = ["Potential", "Temperature", "Pressure (bar)", "Density"].filter((k) => this.averages.has(k)).map((k) => `${k} ${fmt(this.averages.get(k), 6)}`)
    if (avgBits.length > 0) lead.push(`Averages: ${avgBits.join(", ")}.`)
    if (this.performance !== null) lead.push(`Performance ${this.performance}.`)
    lead.push(this.finished !== null ? "The run finished normally." : this.errors.size > 0 ? "The run stopped with a fatal error." : "No 'Finished mdrun' line: the log may be incomplete.")
    d.paragraph(lead.join(" "))
    d.section("Setup")
    d.kv("GROMACS version", this.version)
    d.kv("precision", this.precision)
    d.kv("command line", this.command)
    d.kv("atoms", this.atoms)
    for (const [k, v] of mdp) d.kv(k, v)
    if (this.energies.size > 0) {
      d.section("Energies along the run")
      d.line(`${plural(this.frames, "energy frame")} printed${this.lastStep !== null ? `, last at step ${fcount(this.lastStep)} (t = ${fmt(this.lastTime)} ps)` : ""}. Energies in kJ/mol, temperature in K, pressure in bar.`)
      d.table([...STAT_HEADERS], [...this.energies].map(([k, s]) => [k, fmt(s.first), fmt(s.last), fmt(s.min), fmt(s.max), fmt(s.mean), fmt(s.std, 3)]))
    }
    if (this.averages.size > 0) {
      d.section("Averages")
      if (this.averagesInfo !== null) d.line(this.averagesInfo)
      for (const [k, v] of this.averages) d.kv(k, fmt(v, 7))
    }
    if (this.warnings.size > 0 || this.errors.size > 0 || this.notes.size > 0) {
      d.section("Notes, warnings and errors")
      for (const m of this.errors.strings()) d.bullet(`ERROR: ${m}`)
      for (const m of this.warnings.strings()) d.bullet(`warning: ${m}`)
      for (const n of this.notes) d.bullet(n)
    }
    d.section("Run")
    d.kv("started", this.started)
    d.kv("wall time", this.wall !== null ? `${fmt(this.wall)} s` : null)
    d.kv("performance", this.performance)
    d.kv("finished", this.finished)
    const en: Record<string, unknown> = {}
    for (const [k, s] of this.energies) en[k] = s.summary()
    const metadata = compact({
      program: "GROMACS",
      version: this.version,
      format: "gromacs-log",
      calculation: kind,
      system: { atoms: this.atoms },
      parameters: Object.fromEntries(mdp),
      energies: en,
      averages: Object.fromEntries(this.averages),
      units: { energy: "kJ/mol", temperature: "K", pressure: "bar", time: "ps", length: "nm" },
      termination: this.finished !== null ? "normal" : this.errors.size > 0 ? "error" : "unknown",
      warnings: this.warnings.strings(),
      errors: this.errors.strings(),
      lines: this.lines
    }) as Record<string, unknown>
    return { program: "GROMACS", format: "gromacs-log", title, text: d.build(), metadata }
  }
}

// ---------------------------------------------------------------------------------------------------

class XvgReader extends BaseReader {
  private title: string | null = null
  private xaxis: string | null = null
  private yaxis: string | null = null
  private readonly legends: string[] = []
  private creator: string | null = null
  private command: string | null = null
  private table: ColumnTable | null = null
  private bad = 0
  private expectCommand = false

  protected readonly rules: ReadonlyArray<Rule> = [
    ["@", (l) => {
      const t = l.trim()
      if (!t.startsWith("@")) return false
      let m: RegExpExecArray | null
      if ((m = /^@\s+title\s+"(.*)"/.exec(t)) !== null) this.title = m[1]!
      else if ((m = /^@\s+xaxis\s+label\s+"(.*)"/.exec(t)) !== null) this.xaxis = m[1]!
      else if ((m = /^@\s+yaxis\s+label\s+"(.*)"/.exec(t)) !== null) this.yaxis = m[1]!
      else if ((m = /^@\s*s(\d+)\s+legend\s+"(.*)"/.exec(t)) !== null && this.legends.length < 200) this.legends[Number(m[1])] = m[2]!
    }],
    ["#", (l) => {
      const t = l.trim()
      if (!t.startsWith("#")) return false
      const g = /:-\)\s*(GROMACS - .+?)\s*\(-:/.exec(t)
      if (g !== null) this.creator = g[1]!
      if (this.expectCommand && t.length > 1) {
        this.command = clip(t.slice(1).trim(), 200)
        this.expectCommand = false
      }
      if (/^#\s*Command line:/.test(t)) this.expectCommand = true
    }],
    ["&", () => {}],
    ["", (l) => {
      const v = numericRow(l)
      if (v === null) {
        if (l.trim() !== "") this.bad++
        return
      }
      if (this.table === null) this.table = new ColumnTable(this.columnNames(v.length))
      if (v.length === this.table.columns.length) this.table.push(v)
      else this.bad++
    }]
  ]

  private columnNames(n: number): string[] {
    const names = [this.xaxis ?? "x"]
    for (let i = 1; i < n; i++) names.push(this.legends[i - 1] ?? (n === 2 && this.yaxis !== null ? this.yaxis : `y${i}`))
    return names
  }

  finish(): SimulationDocument {
    this.flush()
    const t = this.table
    const title = `GROMACS XVG: ${this.title ?? "data"}${t !== null ? ` (${fcount(t.count)} rows x ${t.columns.length} columns)` : ""}`
    const d = new DocBuilder(title)
    const lead = [`XVG data file${this.creator !== null ? ` written by ${this.creator}` : ""}${this.title !== null ? `, titled "${this.title}"` : ""}.`]
    if (t !== null && t.count > 0) {
      const x = t.series[0]!
      lead.push(`${fcount(t.count)} rows; x axis ${this.xaxis ?? "x"} from ${fmt(x.first)} to ${fmt(x.last)}; y axis ${this.yaxis ?? "values"}.`)
      for (let i = 1; i < Math.min(t.columns.length, 6); i++) {
        const s = t.series[i]!
        lead.push(`${t.columns[i]}: mean ${fmt(s.mean, 6)}, range ${fmt(s.min, 6)} to ${fmt(s.max, 6)}.`)
      }
    }
    d.paragraph(lead.join(" "))
    d.section("Provenance")
    d.kv("program", this.creator)
    d.kv("command line", this.command)
    d.kv("x axis", this.xaxis)
    d.kv("y axis", this.yaxis)
    if (this.legends.length > 0) d.kv("series", this.legends.filter((l) => l !== undefined).join(", "))
    if (t !== null && t.count > 0) {
      d.section("Data")
      d.table([...STAT_HEADERS], t.statRows())
      d.line("Sampled rows:")
      d.table([...t.columns], t.sampleRows(10))
    }
    if (this.bad > 0) d.kv("unparsed lines", this.bad)
    const metadata = compact({
      program: "GROMACS",
      format: "gromacs-xvg",
      creator: this.creator,
      title: this.title,
      axes: { x: this.xaxis, y: this.yaxis },
      legends: this.legends.filter((l) => l !== undefined),
      data: t !== null ? t.metadata() : null,
      lines: this.lines
    }) as Record<string, unknown>
    return { program: "GROMACS", format: "gromacs-xvg", title, text: d.build(), metadata }
  }
}

export function detectGromacsLog(head: string): number {
  if (/:-\) GROMACS - gmx mdrun/.test(head) && !/^#/m.test(head.slice(0, 200))) return 0.98
  if (/^GROMACS:\s+gmx mdrun, version/m.test(head)) return 0.98
  if (head.includes("Log file opened on") && head.includes("GROMACS")) return 0.95
  if (head.includes("Input Parameters:") && head.includes("integrator") && head.includes("Energies (kJ/mol)")) return 0.8
  return 0
}

export function detectXvg(head: string): number {
  const hasAt = /^@\s+(title|xaxis|yaxis|s\d+ legend|TYPE)/m.test(head)
  if (hasAt && /^#.*GROMACS/m.test(head)) return 0.98
  if (hasAt && /^@\s+xaxis\s+label/m.test(head)) return 0.85
  return 0
}

export const GROMACS_LOG: LogProgram = { format: "gromacs-log", detect: detectGromacsLog, create: () => new GromacsLogReader() }
export const GROMACS_XVG: LogProgram = { format: "gromacs-xvg", detect: detectXvg, create: () => new XvgReader() }
