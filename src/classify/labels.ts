/**
 * Ground truth for routing accuracy: the `domain` labels of a corpus's SOURCES.md, and which bundles
 * each label accepts.
 *
 * SOURCES.md has one Markdown table per input folder, under a heading `## <folder>/ — ...`, with (at
 * least) a `file` and a `domain` column. Labels are free text in a small house style:
 * "materials/chemistry (MD)", "physics (quantum optics)", "climate/energy (resource data)",
 * "chemistry (spectroscopy)/statistics". `acceptableBundles` reads them word by word through a table
 * of field words, so new labels in the same style work; words the table lacks are skipped and listed
 * (unknownLabelWords), and a label with no known field throws rather than silently accepting nothing.
 */

export interface SourceLabel {
  /** `<folder>/<file name>`, e.g. "papers/0807.3577.pdf", "text/scitldr_A_train.jsonl". */
  readonly file: string
  readonly label: string
}

export class LabelError extends Error {}

const splitRow = (line: string): string[] => {
  const t = line.trim().replace(/^\|/, "").replace(/\|$/, "")
  return t.split(/(?<!\\)\|/).map((c) => c.trim())
}
const unquote = (cell: string): string => cell.replace(/^`+|`+$/g, "").trim()

/** The labelled files of a SOURCES.md, in document order. */
export function readSourceLabels(sourcesMdText: string): SourceLabel[] {
  const out: SourceLabel[] = []
  let folder: string | null = null
  let fileCol = -1
  let domainCol = -1
  let inTable = false
  for (const raw of sourcesMdText.split(/\r?\n/)) {
    const line = raw.trim()
    const heading = /^##\s+`?([A-Za-z0-9._-]+)\/`?(\s|$)/.exec(line)
    if (/^#{1,6}\s/.test(line)) {
      folder = heading !== null && line.startsWith("## ") ? heading[1]! : null
      inTable = false
      fileCol = domainCol = -1
      continue
    }
    if (folder === null || !line.startsWith("|")) {
      if (line === "") inTable = false
      continue
    }
    const cells = splitRow(line)
    if (!inTable) {
      const lower = cells.map((c) => c.toLowerCase())
      fileCol = lower.indexOf("file")
      domainCol = lower.indexOf("domain")
      inTable = true
      continue
    }
    if (cells.every((c) => /^:?-{3,}:?$/.test(c))) continue
    if (fileCol < 0 || domainCol < 0) continue
    const file = unquote(cells[fileCol] ?? "")
    const label = (cells[domainCol] ?? "").trim()
    if (file === "" || label === "") continue
    out.push({ file: `${folder}/${file}`, label })
  }
  return out
}

// ---------------------------------------------------------------------------------------------------
// Label words → bundles.

const ASTRO = "astrophysics-cosmology"
const BIO = "biology-biochemistry"
const CHEM = "chemistry"
const CLIMATE = "climate-atmosphere-ocean"
const CMP = "condensed-matter-physics"
const CS = "computer-science-hpc"
const EARTH = "earth-environment"
const ECO = "ecology-evolution"
const ENERGY = "energy"
const ENG = "engineering"
const GEN = "genomics-bioinformatics"
const HENP = "high-energy-nuclear-physics"
const MAT = "materials-science"
const MATH = "mathematics-statistics"
const MED = "medicine-health"
const AMO = "physics-quantum-optics"
/** "Physics" without a qualifier: any of the physics bundles (astrophysics is physics too). */
const PHYSICS = [AMO, CMP, HENP, ASTRO]

/**
 * Field words and phrases (lower case; phrases are matched before single words). An empty list marks
 * a neutral word — a method or modifier that names no field ("MD", "DFT", "theory", "data").
 */
const FIELDS: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
  // phrases
  ["computer science", [CS]],
  ["machine learning", [CS]],
  ["artificial intelligence", [CS]],
  ["high performance computing", [CS]],
  ["high-performance computing", [CS]],
  ["data science", [CS, MATH]],
  ["quantum optics", [AMO]],
  ["quantum information", [AMO]],
  ["quantum computing", [AMO, CS]],
  ["quantum chemistry", [CHEM]],
  ["condensed matter", [CMP]],
  ["solid state", [CMP]],
  ["solid-state", [CMP]],
  ["materials science", [MAT]],
  ["particle physics", [HENP]],
  ["high energy", [HENP]],
  ["high-energy", [HENP]],
  ["nuclear energy", [ENERGY]],
  ["nuclear medicine", [MED]],
  ["space physics", [ASTRO]],
  ["space weather", [ASTRO]],
  ["solar physics", [ASTRO]],
  ["plasma physics", PHYSICS],
  ["earth science", [EARTH]],
  ["earth sciences", [EARTH]],
  ["earth system", [EARTH, CLIMATE]],
  ["remote sensing", [EARTH]],
  ["public health", [MED]],
  ["molecular biology", [BIO]],
  ["cell biology", [BIO]],
  ["structural biology", [BIO]],
  ["marine biology", [ECO]],
  ["computational biology", [GEN]],
  ["fluid dynamics", [ENG]],
  ["signal processing", [ENG, CS]],
  ["statistical physics", PHYSICS],
  ["statistical mechanics", PHYSICS],
  ["mathematical physics", [...PHYSICS, MATH]],
  ["semiconductor physics", [CMP, MAT]],
  ["planetary science", [ASTRO, EARTH]],
  ["space science", [ASTRO]],
  ["soil science", [EARTH]],
  ["food science", [CHEM, BIO]],
  ["natural language processing", [CS]],
  ["computer vision", [CS]],
  ["information retrieval", [CS]],
  ["scientific computing", [CS, MATH]],
  ["numerical analysis", [MATH]],
  ["numerical methods", [MATH]],
  ["medical imaging", [MED]],
  ["soft matter", [CMP, MAT]],
  ["surface science", [MAT, CHEM, CMP]],
  ["neutron scattering", [CMP, MAT]],
  ["molecular physics", [AMO, CHEM]],
  ["general relativity", [ASTRO]],
  ["gravitational waves", [ASTRO]],
  ["power systems", [ENERGY, ENG]],
  ["molecular dynamics", []],
  ["monte carlo", []],
  ["time series", []],
  ["ab initio", []],
  ["first principles", []],
  ["resource data", []],
  ["model output", []],
  // astronomy and space
  ["astrophysics", [ASTRO]],
  ["astronomy", [ASTRO]],
  ["astroparticle", [ASTRO, HENP]],
  ["cosmology", [ASTRO]],
  ["heliophysics", [ASTRO]],
  ["space", [ASTRO]],
  ["planetary", [ASTRO]],
  ["exoplanets", [ASTRO]],
  ["relativity", [ASTRO, HENP]],
  ["gravitation", [ASTRO, HENP]],
  ["solar", [ASTRO, ENERGY]],
  // physics
  ["physics", PHYSICS],
  ["nuclear", [HENP]],
  ["particle", [HENP]],
  ["quantum", [AMO]],
  ["optics", [AMO]],
  ["photonics", [AMO]],
  ["laser", [AMO]],
  ["atomic", [AMO]],
  ["plasma", PHYSICS],
  ["phonons", [CMP, MAT]],
  ["phonon", [CMP, MAT]],
  ["magnetism", [CMP]],
  ["superconductivity", [CMP]],
  ["semiconductors", [CMP, MAT]],
  ["acoustics", [ENG, ...PHYSICS]],
  ["mechanics", [ENG, ...PHYSICS]],
  ["thermodynamics", [...PHYSICS, CHEM, ENG]],
  ["electromagnetism", PHYSICS],
  ["photovoltaics", [ENERGY]],
  ["batteries", [ENERGY]],
  // chemistry and materials
  ["chemistry", [CHEM]],
  ["chemical", [CHEM]],
  ["spectroscopy", [CHEM, AMO]],
  ["catalysis", [CHEM]],
  ["electrochemistry", [CHEM, ENERGY]],
  ["photochemistry", [CHEM]],
  ["phytochemistry", [CHEM]],
  ["crystallography", [MAT, CHEM, CMP]],
  ["materials", [MAT]],
  ["molecular", [CHEM, BIO]],
  ["biomolecular", [BIO, CHEM]],
  ["protein", [BIO]],
  ["proteins", [BIO]],
  ["enzymology", [BIO]],
  ["combustion", [ENERGY, ENG, CHEM]],
  ["hydrogen", [ENERGY, CHEM]],
  ["wind", [ENERGY, CLIMATE]],
  ["electricity", [ENERGY]],
  ["fluids", [ENG, ...PHYSICS]],
  ["electronics", [ENG]],
  ["polymers", [MAT, CHEM]],
  ["polymer", [MAT, CHEM]],
  ["nanotechnology", [MAT]],
  ["nanoscience", [MAT]],
  ["nanomaterials", [MAT]],
  ["metallurgy", [MAT]],
  // life sciences
  ["biology", [BIO, GEN]],
  ["biological", [BIO]],
  ["biochemistry", [BIO, CHEM]],
  ["biophysics", [BIO, ...PHYSICS]],
  ["physiology", [BIO, MED]],
  ["neuroscience", [BIO, MED]],
  ["microbiology", [BIO]],
  ["immunology", [BIO, MED]],
  ["virology", [BIO, MED]],
  ["structural", []],
  ["plant", [BIO, ECO]],
  ["botany", [BIO, ECO]],
  ["bioinformatics", [GEN]],
  ["genomics", [GEN]],
  ["genetics", [GEN, BIO]],
  ["proteomics", [GEN, BIO]],
  ["ecology", [ECO]],
  ["evolution", [ECO, GEN]],
  ["evolutionary", [ECO, GEN]],
  ["biodiversity", [ECO]],
  ["zoology", [ECO]],
  ["fisheries", [ECO]],
  ["marine", [ECO, CLIMATE]],
  ["medicine", [MED]],
  ["medical", [MED]],
  ["medicinal", [MED, CHEM]],
  ["biomedicine", [MED, BIO]],
  ["biomedical", [MED, BIO]],
  ["clinical", [MED]],
  ["health", [MED]],
  ["epidemiology", [MED]],
  ["oncology", [MED]],
  ["pharmacology", [MED, BIO]],
  ["pharmacy", [MED, CHEM]],
  ["toxicology", [MED, BIO]],
  ["psychology", [MED]],
  ["psychiatry", [MED]],
  ["nursing", [MED]],
  ["dentistry", [MED]],
  ["nutrition", [MED]],
  ["veterinary", [MED, BIO]],
  ["agriculture", [ECO, EARTH]],
  ["agronomy", [ECO, EARTH]],
  ["forestry", [ECO]],
  ["limnology", [ECO, EARTH]],
  // earth, climate, environment
  ["climate", [CLIMATE]],
  ["climatology", [CLIMATE]],
  ["atmospheric", [CLIMATE]],
  ["atmosphere", [CLIMATE]],
  ["meteorology", [CLIMATE]],
  ["weather", [CLIMATE]],
  ["ocean", [CLIMATE]],
  ["oceanography", [CLIMATE]],
  ["oceanic", [CLIMATE]],
  ["cryosphere", [CLIMATE]],
  ["glaciology", [CLIMATE]],
  ["earth", [EARTH]],
  ["geology", [EARTH]],
  ["geophysics", [EARTH]],
  ["geoscience", [EARTH]],
  ["geosciences", [EARTH]],
  ["geochemistry", [EARTH, CHEM]],
  ["hydrology", [EARTH]],
  ["seismology", [EARTH]],
  ["volcanology", [EARTH]],
  ["geography", [EARTH]],
  ["soil", [EARTH]],
  ["environmental", [EARTH]],
  ["environment", [EARTH]],
  ["energy", [ENERGY]],
  ["renewable", [ENERGY]],
  // mathematics, computing, engineering
  ["mathematics", [MATH]],
  ["mathematical", [MATH]],
  ["math", [MATH]],
  ["statistics", [MATH]],
  ["statistical", [MATH]],
  ["probability", [MATH]],
  ["algorithms", [CS, MATH]],
  ["optimization", [MATH, CS]],
  ["ml", [CS, MATH]],
  ["ai", [CS]],
  ["computing", [CS]],
  ["hpc", [CS]],
  ["software", [CS]],
  ["compilers", [CS]],
  ["cryptography", [CS, MATH]],
  ["networking", [CS]],
  ["engineering", [ENG]],
  ["cfd", [ENG]],
  ["hydrodynamics", [ENG, CLIMATE]],
  ["mechanical", [ENG]],
  ["civil", [ENG]],
  ["electrical", [ENG]],
  ["aerospace", [ENG]],
  ["robotics", [ENG, CS]],
  // neutral: methods and modifiers
  ...[
    "md", "dft", "qm", "mm", "simulation", "simulations", "data", "dataset", "datasets", "resource", "resources",
    "output", "outputs", "observational", "observations", "observation", "measurement", "measurements", "experiment",
    "experiments", "model", "models", "modelling", "modeling", "trajectory", "trajectories", "benchmark", "benchmarks",
    "example", "examples", "sample", "samples", "tabular", "table", "tables", "log", "logs", "spectra", "imaging",
    "satellite", "reanalysis", "wave", "waves", "surface", "structure", "structures", "properties", "x-ray", "theory", "theoretical", "experimental", "computational", "applied", "pure", "general",
    "science", "sciences", "studies", "research", "methods", "review", "and", "of", "the", "in", "for"
  ].map((w) => [w, []] as const)
]

/** Broad fields that a more specific part of the same label narrows ("physics/astronomy" → astronomy). */
const UMBRELLAS: ReadonlySet<string> = new Set(["physics", "biology"])

const FIELD_MAP = new Map<string, ReadonlyArray<string>>(FIELDS)
const MAX_PHRASE = Math.max(...FIELDS.map(([k]) => k.split(" ").length))

/** Bundles named by a phrase without parentheses ("marine ecology", "atmospheric science"). */
function phraseBundles(phrase: string, label: string): ReadonlyArray<string> {
  const ws = phrase.toLowerCase().replace(/[^a-z0-9-]+/g, " ").trim().split(/\s+/).filter((w) => w !== "")
  const sets: Array<ReadonlyArray<string>> = []
  for (let i = 0; i < ws.length; ) {
    let hit = false
    for (let len = Math.min(MAX_PHRASE, ws.length - i); len >= 1; len--) {
      const key = ws.slice(i, i + len).join(" ")
      const b = FIELD_MAP.get(key)
      if (b !== undefined) {
        if (b.length > 0) sets.push(b)
        i += len
        hit = true
        break
      }
    }
    if (!hit) {
      // A word the table lacks ("economics") names no bundle: the label is judged by the words it knows,
      // and the word is listed by unknownLabelWords so the gap is visible.
      UNKNOWN.add(`${label}\u0000${ws[i]}`)
      i++
    }
  }
  // Words of one phrase qualify each other ("marine ecology", "medicinal chemistry"): keep what they
  // share; when they share nothing, each names a field of its own.
  return combine(sets)
}

const intersect = (a: ReadonlyArray<string>, b: ReadonlyArray<string>): string[] => a.filter((x) => b.includes(x))
const union = (sets: ReadonlyArray<ReadonlyArray<string>>): string[] => [...new Set(sets.flat())]

function combine(sets: ReadonlyArray<ReadonlyArray<string>>): string[] {
  if (sets.length === 0) return []
  let acc: string[] = [...sets[0]!]
  for (const s of sets.slice(1)) {
    const both = intersect(acc, s)
    acc = both.length > 0 ? both : union([acc, s])
  }
  return acc
}

/** Split at `sep` characters outside parentheses. */
function splitTop(s: string, seps: RegExp): string[] {
  const out: string[] = []
  let depth = 0
  let cur = ""
  for (const ch of s) {
    if (ch === "(") depth++
    else if (ch === ")") depth = Math.max(0, depth - 1)
    if (depth === 0 && seps.test(ch)) {
      out.push(cur)
      cur = ""
    } else cur += ch
  }
  out.push(cur)
  return out.map((x) => x.trim()).filter((x) => x !== "")
}

const cache = new Map<string, ReadonlyArray<string>>()
const UNKNOWN = new Set<string>()

/** The words of `label` that the field table does not know (ignored when judging routing). */
export function unknownLabelWords(label: string): string[] {
  try {
    acceptableBundles(label)
  } catch {
    // names no field at all: its words are still collected
  }
  return [...UNKNOWN].filter((k) => k.startsWith(`${label}\u0000`)).map((k) => k.slice(label.length + 1))
}

/**
 * The bundles a document labelled `label` may acceptably be routed to, sorted by name.
 *
 * The label is split at '/', ',', '&' and ';' outside parentheses into parts; a part's head (the
 * words outside parentheses) names fields, its parenthesised qualifier may name a subfield:
 * "physics (quantum optics)" → physics-quantum-optics only, "physics (space/heliophysics)" →
 * astrophysics-cosmology; a qualifier that names no field ("(MD)", "(resource data)") leaves the head
 * as it is, and one that names a different field than the head adds it ("biology (bioinformatics)").
 * The parts are alternatives: "climate/energy" accepts either bundle, except that an umbrella field
 * ("physics", "biology") beside one of its own subfields means that subfield: "physics/cosmology" →
 * astrophysics-cosmology. Words the table does not know are skipped (see unknownLabelWords); a
 * label that names no known field at all throws LabelError.
 */
export function acceptableBundles(label: string): ReadonlyArray<string> {
  const hit = cache.get(label)
  if (hit !== undefined) return hit
  const parts = splitTop(label.replace(/\band\b/gi, "/"), /[/,&;]/)
  const sets: Array<{ set: ReadonlyArray<string>; umbrella: boolean }> = []
  for (const part of parts) {
    const quals: string[] = []
    const head = part.replace(/\(([^()]*)\)/g, (_, q: string) => {
      quals.push(q)
      return " "
    })
    const h = phraseBundles(head, label)
    const q = union(quals.flatMap((x) => x.split(/[/,&;]/)).map((x) => phraseBundles(x, label)))
    let set: ReadonlyArray<string>
    if (q.length === 0) set = h
    else if (h.length === 0) set = q
    else {
      const both = intersect(h, q)
      set = both.length > 0 ? both : union([h, q])
    }
    sets.push({ set, umbrella: quals.length === 0 && UMBRELLAS.has(head.trim().toLowerCase()) })
  }
  // "physics/cosmology", "physics/astronomy": an umbrella field next to one of its own subfields means
  // the subfield ("physics/applied mathematics" keeps both: mathematics is not a physics bundle).
  const accepted = new Set<string>()
  for (const { set, umbrella } of sets) {
    if (umbrella && sets.some((o) => !o.umbrella && o.set.length > 0 && o.set.every((b) => set.includes(b)))) continue
    for (const b of set) accepted.add(b)
  }
  if (accepted.size === 0) throw new LabelError(`label ${JSON.stringify(label)} names no field`)
  const out = [...accepted].sort()
  cache.set(label, out)
  return out
}
