/**
 * The domain classifier (src/classify/route.ts): realistic small documents routed with the real
 * bundles/, and the decision rules (kinds, formats, thresholds, ties, licenses, input domains) on small
 * hand-made definitions whose scores are easy to predict.
 */
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { BundleDefinitionError, loadBundleDefinitions, type BundleDefinition } from "../../src/classify/definitions.ts"
import { DEFAULT_MIN_SCORE, FORMAT_SCORE, compileClassifier, words, type RoutableDocument } from "../../src/classify/route.ts"
import { repoRoot } from "../helpers.ts"

const doc = (over: Partial<RoutableDocument>): RoutableDocument => ({
  kind: "paper",
  format: "pdf",
  title: null,
  text: "",
  metadata: "{}",
  domain: null,
  license: null,
  ...over
})

const def = (name: string, over: Partial<BundleDefinition> = {}): BundleDefinition => ({
  name,
  title: name,
  description: name,
  kinds: ["paper", "text", "simulation"],
  lexicon: {},
  sampling_weight: 1,
  ...over
})

const QE_SUMMARY = `# Quantum ESPRESSO pw.x 6.4: Fe2O3, scf, PBE

Quantum ESPRESSO pw.x (PWSCF v.6.4) self-consistent field (SCF) calculation on Fe4O6 (10 atoms per cell),
rhombohedral lattice with alat = 10.2 bohr. Exchange-correlation: PBE; spin-polarised; 4 MPI processes.

## Structure

- Bravais lattice: ibrav = 5 (trigonal R)
- lattice parameter alat: 10.2 bohr = 5.3976 Å
- atoms per cell: 10
- composition: Fe4O6

| species | valence | mass (amu) | pseudopotential file | type |
|---|---|---|---|---|
| Fe | 16 | 55.845 | Fe.pbe-spn-kjpaw_psl.1.0.0.UPF | PAW |
| O | 6 | 15.999 | O.pbe-n-kjpaw_psl.1.0.0.UPF | PAW |

## Parameters

- plane-wave cutoff (wavefunctions): 45 Ry
- k-points (irreducible): 28
- SCF convergence threshold: 1e-8 Ry

## Results

- total energy: -1021.33817 Ry
- total magnetization: 0.00 Bohr mag/cell; Fermi energy 9.3327 eV
`

const CORAL_ABSTRACT = `Mass coral bleaching events have become more frequent as marine heatwaves intensify. We combined
twenty years of reef surveys with satellite sea surface temperature records to estimate how degree heating
weeks predict bleaching and subsequent coral mortality across 120 reefs of the Great Barrier Reef. Bleaching
severity rose steeply above 4 degree heating weeks, and reefs that bleached twice within five years lost most
of their branching coral cover. Recovery of coral communities depended on larval supply from neighbouring
reefs, herbivorous fish abundance and water quality. Our results suggest that the resilience of coral reef
ecosystems under continued ocean warming depends on local management of fisheries and runoff.`

const PYTHON_FILE = `"""Fit a damped oscillator to a measured time series."""
import numpy as np
from scipy.optimize import curve_fit


def model(t, a, gamma, omega):
    return a * np.exp(-gamma * t) * np.cos(omega * t)


def fit(t, y):
    params, _ = curve_fit(model, t, y, p0=(1.0, 0.1, 2.0))
    return params
`

const GAUSSIAN_SUMMARY = `# Gaussian 16 (Revision C.01): C6H6, B3LYP/6-31G(d), opt freq

Gaussian 16 calculation on C6H6 (12 atoms), B3LYP/6-31G(d); job: opt freq. Charge 0, spin multiplicity 1,
point group D6H. Final SCF energy: -232.2486 Hartree. 30 vibrational frequencies. The run finished normally.

- method: B3LYP
- basis set: 6-31G(d)
- basis functions: 102
- electrons: 42 (21 alpha, 21 beta)
`

const NETCDF_SUMMARY = `# NetCDF data file

netCDF-4 file (HDF5 storage); conventions: CF-1.6. 4 variables, 3 dimensions.

## Variables (4)

### lat (coordinate)
- units: degrees_north; standard_name: latitude
### lon (coordinate)
- units: degrees_east; standard_name: longitude
### time (coordinate)
- units: days since 1981-01-01
### analysed_sst — analysed sea surface temperature
- shape (time=1, lat=720, lon=1440); type int16
- units: kelvin; standard_name: sea_surface_temperature
- statistics over 629,813 valid values: min 271.35, max 305.62, mean 287.4, std 10.6
`

const ML_ABSTRACT = `We study the generalization of deep neural networks trained with stochastic gradient descent. We show
that the sharpness of the loss landscape at convergence predicts the test error of convolutional networks on
CIFAR-10 and ImageNet, and propose a regularizer that biases training towards flat minima. Experiments with
ResNet and transformer architectures show consistent gains over strong baselines with standard data augmentation.`

const CLINICAL_ABSTRACT = `Background: Postoperative delirium is common in elderly patients after hip fracture surgery. Methods: In
this prospective cohort study we enrolled 412 patients aged 70 years or older admitted to two hospitals. Results:
Delirium occurred in 31% of patients and was associated with higher 1-year mortality (hazard ratio 1.8) and longer
length of stay. Conclusions: Screening for delirium risk factors at admission may improve clinical outcomes.`

describe("compileClassifier with the bundles/ definitions", () => {
  const defs = loadBundleDefinitions(path.join(repoRoot, "bundles"))
  const classifier = compileClassifier(defs)

  it("routes a Quantum ESPRESSO output summary to materials science by its format", () => {
    const r = classifier.route(doc({ kind: "simulation", format: "qe-pw", title: "Quantum ESPRESSO pw.x 6.4: Fe2O3, scf, PBE", text: QE_SUMMARY, license: "GPL-2.0-only" }))
    expect(r.bundle).toBe("materials-science")
    expect(r.reason).toMatch(/^format qe-pw; terms: /)
    expect(r.score).toBeGreaterThan(FORMAT_SCORE)
    expect(r.second).not.toBe("materials-science")
    expect(r.secondScore).toBeLessThan(r.score)
  })

  it("routes a Gaussian output summary to chemistry", () => {
    const r = classifier.route(doc({ kind: "simulation", format: "gaussian-log", title: "Gaussian 16 (Revision C.01): C6H6, B3LYP/6-31G(d), opt freq", text: GAUSSIAN_SUMMARY }))
    expect(r.bundle).toBe("chemistry")
    expect(r.reason).toContain("format gaussian-log")
    expect(r.reason).toContain("b3lyp×")
  })

  it("routes a CF NetCDF summary by its variables, not its (generic) format", () => {
    const r = classifier.route(doc({ kind: "simulation", format: "netcdf4", text: NETCDF_SUMMARY }))
    expect(r.bundle).toBe("climate-atmosphere-ocean")
    expect(r.reason).not.toContain("format")
    // sea_surface_temperature (underscores) matched the phrase "sea surface temperature".
    expect(r.reason).toContain("sea surface temperature×")
  })

  it("routes an abstract about coral bleaching to ecology, with climate as the runner-up", () => {
    const r = classifier.route(doc({ kind: "text", format: "jsonl", title: "Repeated marine heatwaves and the recovery of coral reefs", text: CORAL_ABSTRACT }))
    expect(r.bundle).toBe("ecology-evolution")
    expect(r.second).toBe("climate-atmosphere-ocean")
    expect(r.reason).toMatch(/terms: .*coral×\d/)
    expect(r.reason).toContain("title: ")
  })

  it("routes an ML abstract to computer science and a clinical one to medicine", () => {
    expect(classifier.route(doc({ text: ML_ABSTRACT })).bundle).toBe("computer-science-hpc")
    expect(classifier.route(doc({ text: CLINICAL_ABSTRACT })).bundle).toBe("medicine-health")
  })

  it("routes a Python file to code-python, and only code to the code bundles", () => {
    const r = classifier.route(doc({ kind: "code", format: "python", title: "fit/oscillator.py", text: PYTHON_FILE, license: "BSD-3-Clause" }))
    expect(r.bundle).toBe("code-python")
    expect(r.reason).toMatch(/^format python/)
    // The same text as prose is no code document: no code bundle may take it.
    const asText = classifier.route(doc({ kind: "text", format: "plain-text", text: PYTHON_FILE }))
    expect(asText.bundle === null || !asText.bundle.startsWith("code-")).toBe(true)
    // A Fortran file goes to the compiled-code bundle whatever it mentions.
    expect(classifier.route(doc({ kind: "code", format: "fortran", text: "subroutine scf(n)\n  implicit none\n  ! coral reef climate model\nend subroutine" })).bundle).toBe("code-c-cpp-fortran")
  })

  it("leaves a document without evidence unrouted, saying why", () => {
    const r = classifier.route(doc({ kind: "text", format: "plain-text", text: "The meeting moved to Tuesday at ten. Please bring the signed forms and your badge." }))
    expect(r).toEqual({ bundle: null, score: 0, reason: `no bundle scored ≥ ${DEFAULT_MIN_SCORE.toFixed(1)} (no evidence)`, second: null, secondScore: 0 })
  })

  it("leaves weak evidence unrouted and names the closest bundle", () => {
    const r = classifier.route(doc({ kind: "text", format: "plain-text", text: "Minutes of the committee: the new cell phone rules apply from May." }))
    expect(r.bundle).toBeNull()
    expect(r.score).toBeGreaterThan(0)
    expect(r.score).toBeLessThan(DEFAULT_MIN_SCORE)
    expect(r.second).toBe("biology-biochemistry")
    expect(r.reason).toMatch(/^no bundle scored ≥ 3\.0 \(best biology-biochemistry \d+\.\d: terms: cell×1\)$/)
  })

  it("is deterministic across calls and compilations", () => {
    const d = doc({ kind: "text", text: CORAL_ABSTRACT + "\n" + ML_ABSTRACT })
    const a = classifier.route(d)
    expect(classifier.route(doc({ text: CLINICAL_ABSTRACT })).bundle).toBe("medicine-health")
    expect(classifier.route(d)).toEqual(a)
    expect(compileClassifier(defs).route(d)).toEqual(a)
  })

  it("does not let a long text's repetitions swamp the score", () => {
    const short = classifier.route(doc({ text: CORAL_ABSTRACT }))
    const long = classifier.route(doc({ text: Array.from({ length: 40 }, () => CORAL_ABSTRACT).join("\n\n") }))
    expect(long.bundle).toBe(short.bundle)
    expect(long.score).toBeLessThan(2 * short.score)
  })

  it("scans only maxChars characters", () => {
    const filler = "Nothing to see here at all. ".repeat(40)
    const text = filler + CORAL_ABSTRACT
    expect(compileClassifier(defs).route(doc({ text })).bundle).toBe("ecology-evolution")
    expect(compileClassifier(defs, { maxChars: filler.length }).route(doc({ text })).bundle).toBeNull()
  })
})

describe("compileClassifier rules", () => {
  it("breaks ties by bundle name and reports the runner-up with its score", () => {
    const c = compileClassifier([def("beta", { lexicon: { galaxy: 5 } }), def("alpha", { lexicon: { galaxy: 5 } })])
    const r = c.route(doc({ text: "A galaxy." }))
    expect(r.bundle).toBe("alpha")
    expect(r.second).toBe("beta")
    expect(r.secondScore).toBe(r.score)
    expect(r.score).toBeCloseTo(5)
    expect(c.bundles).toEqual(["beta", "alpha"])
  })

  it("scores terms sublinearly in their count and matches the longest phrase", () => {
    const c = compileClassifier([def("astro", { lexicon: { "dark matter": 4, matter: 1 } }), def("other", { lexicon: { matter: 3.5 } })], { minScore: 0.5 })
    // "dark matter" ×3 consumes its "matter"s: 4 × (1 + ln 3) for astro, nothing for other.
    const r = c.route(doc({ text: "Dark matter, dark-matter and dark_matter halos." }))
    expect(r.bundle).toBe("astro")
    expect(r.score).toBeCloseTo(4 * (1 + Math.log(3)))
    expect(r.second).toBeNull()
    expect(r.reason).toBe("terms: dark matter×3")
    // Alone, "matter" is other's.
    expect(c.route(doc({ text: "It does not matter." })).bundle).toBe("other")
  })

  it("counts title terms once more, at full weight", () => {
    const c = compileClassifier([def("a", { lexicon: { reef: 2 } })])
    const body = c.route(doc({ text: "the reef" })).score
    const titled = c.route(doc({ text: "the reef", title: "Reef survey" }))
    expect(titled.score).toBeCloseTo(body + 2)
    expect(titled.reason).toBe("terms: reef×1; title: reef")
  })

  it("matches terms with and without diacritics", () => {
    const c = compileClassifier([def("clim", { lexicon: { "el niño": 5 } })])
    expect(c.route(doc({ text: "El Niño years" })).bundle).toBe("clim")
    expect(c.route(doc({ text: "El Nino years" })).bundle).toBe("clim")
  })

  it("gives a bundle only the kinds it lists, and format evidence only to its owner", () => {
    const c = compileClassifier([
      def("code-py", { kinds: ["code"], formats: ["python"], lexicon: { numpy: 1 } }),
      def("science", { kinds: ["paper"], lexicon: { numpy: 9 } })
    ])
    expect(c.route(doc({ kind: "code", format: "python", text: "import numpy" }))).toMatchObject({ bundle: "code-py", second: null })
    expect(c.route(doc({ kind: "paper", format: "python", text: "import numpy" })).bundle).toBe("science")
    expect(c.route(doc({ kind: "simulation", text: "numpy" }))).toEqual({ bundle: null, score: 0, reason: "no bundle takes kind simulation", second: null, secondScore: 0 })
  })

  it("lets strong lexicon evidence outvote a format", () => {
    const c = compileClassifier([def("mat", { formats: ["lammps-log"], lexicon: { alloy: 1 } }), def("bio", { lexicon: { protein: 5 } })])
    const r = c.route(doc({ kind: "simulation", format: "lammps-log", text: "protein ".repeat(20) }))
    expect(r.bundle).toBe("bio")
    expect(r.second).toBe("mat")
    expect(r.secondScore).toBe(FORMAT_SCORE)
  })

  it("falls through to the next bundle when the best one refuses the license", () => {
    const defs = [
      def("strict", { lexicon: { qubit: 6 }, license: { allowed: ["MIT", "Apache-2.0"], keep_unknown: false } }),
      def("lenient", { lexicon: { qubit: 4 } })
    ]
    const c = compileClassifier(defs)
    const text = "A superconducting qubit."
    expect(c.route(doc({ text, license: "MIT" })).bundle).toBe("strict")
    expect(c.route(doc({ text, license: "MIT OR GPL-3.0-only" })).bundle).toBe("strict")
    const gpl = c.route(doc({ text, license: "GPL-3.0-only" }))
    expect(gpl.bundle).toBe("lenient")
    expect(gpl.reason).toBe("license GPL-3.0-only not allowed by strict; terms: qubit×1")
    expect(gpl.second).toBe("strict")
    const unknown = c.route(doc({ text, license: null }))
    expect(unknown.bundle).toBe("lenient")
    expect(unknown.reason).toMatch(/^license unknown not allowed by strict/)
    // Nobody else scores enough: unrouted, and the reason says it was the license.
    const alone = compileClassifier([defs[0]!, def("lenient", { lexicon: { qubit: 1 } })])
    const r = alone.route(doc({ text, license: "GPL-3.0-only" }))
    expect(r.bundle).toBeNull()
    expect(r.reason).toBe("license GPL-3.0-only not allowed by strict (6.0); no other bundle scored ≥ 3.0")
    expect(r.second).toBe("strict")
  })

  it("routes to an explicit input domain that names a bundle, within kinds and license", () => {
    const c = compileClassifier([
      def("astro", { lexicon: { galaxy: 5 } }),
      def("chem", { kinds: ["paper"], lexicon: { solvent: 5 }, license: { allowed: ["CC-BY-4.0"] } })
    ])
    const text = "Galaxy galaxy galaxy."
    const r = c.route(doc({ text, domain: "chem", license: "CC-BY-4.0" }))
    expect(r).toMatchObject({ bundle: "chem", reason: "input domain", score: 0, second: "astro" })
    // Not a kind chem takes, or a license it refuses: ordinary scoring.
    expect(c.route(doc({ kind: "text", text, domain: "chem", license: "CC-BY-4.0" })).bundle).toBe("astro")
    expect(c.route(doc({ text, domain: "chem", license: "GPL-2.0-only" })).bundle).toBe("astro")
    // A domain that names no bundle is read as evidence, like a title.
    const c2 = compileClassifier([def("astro", { lexicon: { astronomy: 4 } }), def("chem", { lexicon: { chemistry: 4 } })])
    expect(c2.route(doc({ text: "Observations.", domain: "astronomy" })).bundle).toBe("astro")
  })

  it("applies minScore", () => {
    const defs = [def("astro", { lexicon: { galaxy: 2 } })]
    expect(compileClassifier(defs).route(doc({ text: "a galaxy" })).bundle).toBeNull()
    expect(compileClassifier(defs, { minScore: 2 }).route(doc({ text: "a galaxy" })).bundle).toBe("astro")
  })

  it("rejects definitions it cannot compile", () => {
    expect(() => compileClassifier([def("a", { formats: ["x"] }), def("b", { formats: ["x"] })])).toThrow(/format x is claimed by both a and b/)
    expect(() => compileClassifier([def("a", { lexicon: { "#!": 1 } })])).toThrow(BundleDefinitionError)
  })

  it("splits words at punctuation, hyphens and underscores, lower-cased", () => {
    expect(words("Sea_Surface-Temperature (SST), Niño3.4; a-Si:H")).toEqual(["sea", "surface", "temperature", "sst", "niño3", "4", "a", "si", "h"])
  })
})
