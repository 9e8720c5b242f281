/**
 * The demo corpus's JSONL of short abstracts, generated from templates: a handful of research topics,
 * each told through five sentence patterns, so the records read like real abstracts but are original
 * and deterministic. The file also carries the defects a curation pipeline must handle: exact
 * duplicate lines and one line of invalid JSON.
 */

interface Topic {
  readonly domain: string
  readonly keywords: ReadonlyArray<string>
  /** Five variants of each slot; template i uses variant i, so the five records of a topic differ. */
  readonly systems: ReadonlyArray<string>
  readonly methods: ReadonlyArray<string>
  readonly quantity: string
  readonly findings: ReadonlyArray<string>
  readonly mechanism: string
  readonly implication: string
}

const TOPICS: ReadonlyArray<Topic> = [
  {
    domain: "materials",
    keywords: ["perovskite", "photovoltaics", "defects"],
    systems: ["formamidinium lead iodide films", "caesium-rich mixed-cation perovskites", "tin-lead narrow-gap perovskites", "two-dimensional Ruddlesden-Popper perovskites", "bromide-rich wide-gap perovskite films"],
    methods: ["time-resolved photoluminescence", "transient absorption spectroscopy", "impedance spectroscopy", "grazing-incidence X-ray diffraction", "kelvin probe force microscopy"],
    quantity: "non-radiative recombination",
    findings: ["Carrier lifetimes increased from 180 ns to over 1 microsecond after surface passivation.", "Ion migration activation energies fell between 0.3 and 0.5 eV across all compositions.", "Oxidation of tin(II) was identified as the main source of p-type background doping.", "Layer orientation controlled out-of-plane charge transport by more than an order of magnitude.", "Light-induced halide segregation reversed within minutes in the dark."],
    mechanism: "trap states at grain boundaries and interfaces",
    implication: "suggest routes to devices that keep their efficiency under continuous illumination"
  },
  {
    domain: "biology",
    keywords: ["protein folding", "kinetics", "molecular dynamics"],
    systems: ["a three-helix bundle domain", "the SH3 domain", "a designed beta-hairpin peptide", "cold-shock protein variants", "a small ubiquitin-like modifier"],
    methods: ["stopped-flow fluorescence", "hydrogen-deuterium exchange mass spectrometry", "single-molecule force spectroscopy", "all-atom molecular dynamics", "phi-value analysis"],
    quantity: "folding rates and transition-state structure",
    findings: ["Folding followed single-exponential kinetics with a rate of 2,400 per second at 25 degrees Celsius.", "Protection factors revealed a partially structured intermediate populated at low denaturant.", "Unfolding forces ranged from 40 to 120 piconewtons depending on pulling geometry.", "Simulations reproduced the experimental folding time to within a factor of three.", "Mutations in the central strand had phi values above 0.7."],
    mechanism: "early formation of a hydrophobic nucleus",
    implication: "constrain coarse-grained models of the folding energy landscape"
  },
  {
    domain: "astrophysics",
    keywords: ["dark matter", "galaxies", "rotation curves"],
    systems: ["nearby dwarf irregular galaxies", "low-surface-brightness spiral galaxies", "Milky Way satellite galaxies", "galaxy clusters at intermediate redshift", "simulated Milky Way analogues"],
    methods: ["high-resolution HI kinematics", "stellar velocity dispersion profiles", "weak gravitational lensing", "X-ray observations of intracluster gas", "hydrodynamical cosmological simulations"],
    quantity: "the inner dark matter density profile",
    findings: ["Most galaxies were better fitted by cored profiles than by cusped ones.", "Inferred central densities were lower than predicted for collisionless cold dark matter.", "Stacked lensing signals constrained halo masses to within 15 percent.", "Hydrostatic mass estimates agreed with lensing after correcting for non-thermal pressure.", "Bursty star formation flattened the central cusp in halos above 10^10 solar masses."],
    mechanism: "baryonic feedback redistributing mass in the halo centre",
    implication: "tighten the allowed cross-section of self-interacting dark matter"
  },
  {
    domain: "climate",
    keywords: ["ocean heat content", "Argo", "sea level"],
    systems: ["the upper 2000 m of the global ocean", "the Southern Ocean", "the North Atlantic subpolar gyre", "the tropical Pacific", "marginal seas of the Arctic"],
    methods: ["Argo profiling float data", "an ocean reanalysis", "satellite altimetry combined with gravimetry", "expendable bathythermograph records", "a coupled climate model ensemble"],
    quantity: "ocean heat uptake",
    findings: ["Heat content increased at 0.6 watts per square metre averaged over the Earth's surface.", "More than a third of the global heat gain was stored south of 30 degrees south.", "Decadal variability was dominated by changes in the overturning circulation.", "El Nino events temporarily moved heat from the subsurface to the surface layer.", "Warming of inflowing Atlantic water reduced winter sea-ice formation."],
    mechanism: "wind-driven subduction of warm surface water",
    implication: "reduce uncertainty in projections of thermosteric sea-level rise"
  },
  {
    domain: "mathematics",
    keywords: ["numerical linear algebra", "Krylov methods", "preconditioning"],
    systems: ["sparse systems from finite-element elasticity", "convection-diffusion problems", "saddle-point systems from Stokes flow", "graph Laplacians of social networks", "Helmholtz equations at high frequency"],
    methods: ["preconditioned conjugate gradients", "restarted GMRES", "block-diagonal preconditioners with MINRES", "algebraic multigrid", "shifted-Laplacian preconditioning"],
    quantity: "iteration counts and time to solution",
    findings: ["Iteration counts stayed below 40 as the mesh was refined from 10^5 to 10^8 unknowns.", "Restart lengths below 20 caused stagnation for strongly non-normal operators.", "Eigenvalue bounds of the preconditioned system were independent of the viscosity.", "Aggressive coarsening halved the setup cost with little loss of convergence.", "Convergence degraded linearly with wavenumber despite the complex shift."],
    mechanism: "clustering of the preconditioned spectrum",
    implication: "enable scalable solvers on distributed-memory machines"
  },
  {
    domain: "chemistry",
    keywords: ["catalysis", "density functional theory", "electrochemistry"],
    systems: ["single-atom platinum catalysts on ceria", "nickel-iron layered double hydroxides", "copper electrodes for carbon dioxide reduction", "zeolite-confined iron-oxo sites", "molybdenum disulfide edge sites"],
    methods: ["density functional theory with a Hubbard correction", "operando X-ray absorption spectroscopy", "differential electrochemical mass spectrometry", "microkinetic modelling", "in situ Raman spectroscopy"],
    quantity: "the rate-determining step",
    findings: ["Computed activation barriers were within 0.1 eV of values derived from Arrhenius plots.", "The oxygen evolution overpotential dropped to 250 mV at 10 mA per square centimetre.", "Ethylene selectivity reached 60 percent on oxide-derived copper.", "Methane was oxidised to methanol at room temperature with high selectivity.", "Sulfur vacancies doubled the hydrogen evolution activity."],
    mechanism: "changes in the binding energy of key adsorbed intermediates",
    implication: "guide the design of catalysts from abundant elements"
  },
  {
    domain: "earth-science",
    keywords: ["permafrost", "carbon cycle", "methane"],
    systems: ["peat plateaus in subarctic Canada", "Siberian yedoma deposits", "thermokarst lakes in Alaska", "high-altitude permafrost on the Tibetan Plateau", "polygonal tundra in the Lena Delta"],
    methods: ["eddy-covariance flux towers", "radiocarbon dating of emitted carbon dioxide", "airborne methane surveys", "incubation experiments", "a land-surface model with vertically resolved soil carbon"],
    quantity: "greenhouse gas emissions from thawing soils",
    findings: ["Winter emissions offset about half of the summer carbon uptake.", "Released carbon was up to several thousand years old.", "Methane hotspots covered less than 5 percent of the area but emitted a third of the flux.", "Respiration increased by a factor of 2.5 for a 10 degree warming of incubated soil.", "Including abrupt thaw doubled projected emissions by the end of the century."],
    mechanism: "microbial decomposition of previously frozen organic matter",
    implication: "narrow the range of the permafrost carbon feedback in Earth system models"
  },
  {
    domain: "neuroscience",
    keywords: ["hippocampus", "place cells", "memory"],
    systems: ["hippocampal CA1 place cells in mice", "grid cells in the medial entorhinal cortex", "sharp-wave ripples during sleep", "head-direction cells in the thalamus", "dentate gyrus granule cells"],
    methods: ["two-photon calcium imaging", "high-density silicon probe recordings", "optogenetic silencing", "Bayesian decoding of population activity", "a recurrent network model"],
    quantity: "the stability of spatial representations",
    findings: ["About 40 percent of place fields shifted location over ten days in a familiar arena.", "Grid spacing expanded transiently in a novel environment.", "Disrupting ripples after training impaired next-day recall.", "Decoded head direction drifted during darkness at a few degrees per second.", "Sparse activity limited the overlap between representations of similar rooms."],
    mechanism: "plasticity at recurrent synapses",
    implication: "link representational drift to memory consolidation"
  }
]

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)

/** Five ways to tell a study; `i` picks the variant of each slot. */
const TEMPLATES: ReadonlyArray<(t: Topic, i: number) => { title: string; text: string }> = [
  (t, i) => ({
    title: `${cap(t.quantity)} in ${t.systems[i]}`,
    text: `We investigate ${t.quantity} in ${t.systems[i]} using ${t.methods[i]}. ${t.findings[i]} The results are consistent with ${t.mechanism}. Taken together, these observations ${t.implication}.`
  }),
  (t, i) => ({
    title: `Probing ${t.systems[i]} with ${t.methods[i]}`,
    text: `Understanding ${t.quantity} remains an open problem. Here we apply ${t.methods[i]} to ${t.systems[i]}. ${t.findings[i]} A simple model based on ${t.mechanism} accounts for the main trends, and the approach could ${t.implication}.`
  }),
  (t, i) => ({
    title: `The role of ${t.mechanism} in ${t.quantity}`,
    text: `Is ${t.quantity} in ${t.systems[i]} governed by ${t.mechanism}? To test this, we combined ${t.methods[i]} with controlled variations of the sample conditions. ${t.findings[i]} Alternative explanations fail to reproduce the dependence on conditions. The findings ${t.implication}.`
  }),
  (t, i) => ({
    title: `A systematic study of ${t.systems[i]}`,
    text: `Previous studies of ${t.systems[i]} reached conflicting conclusions about ${t.quantity}. We report a systematic data set obtained with ${t.methods[i]}. ${t.findings[i]} We discuss the role of ${t.mechanism} and show how the results ${t.implication}.`
  }),
  (t, i) => ({
    title: `Constraining ${t.quantity} with ${t.methods[i]}`,
    text: `${cap(t.methods[i]!)} offers a direct view of ${t.quantity}. We apply it to ${t.systems[i]}. ${t.findings[i]} These measurements point to ${t.mechanism} and ${t.implication}.`
  })
]

export interface AbstractRecord {
  readonly id: string
  readonly title: string
  readonly text: string
  readonly domain: string
  readonly year: number
  readonly keywords: ReadonlyArray<string>
}

/** The unique records, in file order: topic by topic, five templates each. */
export function abstractRecords(): AbstractRecord[] {
  const out: AbstractRecord[] = []
  TOPICS.forEach((topic, ti) => {
    TEMPLATES.forEach((template, i) => {
      const { title, text } = template(topic, i)
      const n = out.length + 1
      out.push({
        id: `abs-${String(n).padStart(4, "0")}`,
        title,
        text,
        domain: topic.domain,
        year: 2014 + ((ti * 5 + i * 3) % 11),
        keywords: topic.keywords
      })
    })
  })
  return out
}

/** 1-based record numbers copied again (exactly) later in the file, to exercise exact dedup. */
export const DUPLICATED_RECORDS: ReadonlyArray<number> = [2, 9, 15, 21, 30]

/** The line of invalid JSON (a record cut off mid-string, as when a writer crashes). */
export const INVALID_JSON_LINE = `{"id": "abs-broken", "title": "An interrupted record", "text": "This line was cut off while it was being writ`

/**
 * The JSONL file's lines: the 40 records, with a duplicate of an earlier record after every eighth
 * record and the invalid line after record 20. Returns the lines and, per line, what it is.
 */
export function abstractLines(): { lines: string[]; kinds: Array<{ record: number } | { duplicateOf: number } | "invalid"> } {
  const records = abstractRecords()
  const encoded = records.map((r) => JSON.stringify(r))
  const lines: string[] = []
  const kinds: Array<{ record: number } | { duplicateOf: number } | "invalid"> = []
  let dup = 0
  encoded.forEach((line, i) => {
    const n = i + 1
    lines.push(line)
    kinds.push({ record: n })
    if (n === 20) {
      lines.push(INVALID_JSON_LINE)
      kinds.push("invalid")
    }
    if (n % 8 === 0 && dup < DUPLICATED_RECORDS.length) {
      const of = DUPLICATED_RECORDS[dup++]!
      lines.push(encoded[of - 1]!)
      kinds.push({ duplicateOf: of })
    }
  })
  return { lines, kinds }
}
