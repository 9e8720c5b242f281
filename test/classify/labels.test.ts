/**
 * Ground-truth labels (src/classify/labels.ts): SOURCES.md tables parsed into file → label, and labels
 * read into the bundles they accept — on a small inline SOURCES.md, and on the shared corpus's own.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { loadBundleDefinitions } from "../../src/classify/definitions.ts"
import { LabelError, acceptableBundles, readSourceLabels, unknownLabelWords } from "../../src/classify/labels.ts"
import { corpusDir, hasCorpus, repoRoot } from "../helpers.ts"

const SAMPLE = `# Corpus

Intro text with a | pipe that is not a table.

## papers/ — PDFs (2 files)

| file | bytes | domain | what it is |
| --- | --- | --- | --- |
| \`a.pdf\` | 1,000 | physics/cosmology | A paper |
| \`b c.pdf\` | 2,000 | biology (bioinformatics) | Another |

## simulation/ — outputs

| domain | file |
|---|---|
| materials/chemistry (MD) | \`run.log\` |

## text/ — JSONL

| file | domain |
| --- | --- |
| \`t.jsonl\` | computer science (ML) |

## Licensing notes

| file | domain |
| --- | --- |
| \`ignored.pdf\` | chemistry |
`

describe("readSourceLabels", () => {
  it("reads the file and domain columns of every folder table, by header name", () => {
    expect(readSourceLabels(SAMPLE)).toEqual([
      { file: "papers/a.pdf", label: "physics/cosmology" },
      { file: "papers/b c.pdf", label: "biology (bioinformatics)" },
      { file: "simulation/run.log", label: "materials/chemistry (MD)" },
      { file: "text/t.jsonl", label: "computer science (ML)" }
    ])
  })
})

describe("acceptableBundles", () => {
  const names = new Set(loadBundleDefinitions(path.join(repoRoot, "bundles")).map((d) => d.name))
  const cases: Array<[string, string[]]> = [
    ["materials/chemistry (MD)", ["chemistry", "materials-science"]],
    ["physics/cosmology", ["astrophysics-cosmology"]],
    ["physics (quantum optics)", ["physics-quantum-optics"]],
    ["physics (nuclear theory)", ["high-energy-nuclear-physics"]],
    ["physics (space/heliophysics)", ["astrophysics-cosmology"]],
    ["physics/astronomy", ["astrophysics-cosmology"]],
    ["physics/applied mathematics", ["astrophysics-cosmology", "condensed-matter-physics", "high-energy-nuclear-physics", "mathematics-statistics", "physics-quantum-optics"]],
    ["climate/energy (resource data)", ["climate-atmosphere-ocean", "energy"]],
    ["climate/marine ecology", ["climate-atmosphere-ocean", "ecology-evolution"]],
    ["climate/earth science", ["climate-atmosphere-ocean", "earth-environment"]],
    ["biology/medicine", ["biology-biochemistry", "genomics-bioinformatics", "medicine-health"]],
    ["biology (bioinformatics)", ["genomics-bioinformatics"]],
    ["biochemistry/medicinal chemistry", ["biology-biochemistry", "chemistry"]],
    ["chemistry (spectroscopy)/statistics", ["chemistry", "mathematics-statistics"]],
    ["computer science (ML)", ["computer-science-hpc"]],
    ["computer science/mathematics (algorithms)", ["computer-science-hpc", "mathematics-statistics"]],
    ["materials (DFT phonons)", ["materials-science"]],
    ["Oceanography and Meteorology", ["climate-atmosphere-ocean"]]
  ]
  it.each(cases)("%s → %j", (label, expected) => {
    expect(acceptableBundles(label)).toEqual(expected)
    for (const b of expected) expect(names.has(b), b).toBe(true)
  })

  it("throws on words it does not know and on labels that name no field", () => {
    // An unknown word is skipped and listed; the label is judged by the fields it does name.
    expect(acceptableBundles("chemistry/economics")).toEqual(["chemistry"])
    expect(unknownLabelWords("chemistry/economics")).toEqual(["economics"])
    expect(() => acceptableBundles("economics")).toThrow(LabelError)
    expect(() => acceptableBundles("simulation data (MD)")).toThrow(/names no field/)
  })
})

describe.skipIf(!hasCorpus)("the shared corpus's SOURCES.md", () => {
  const labels = hasCorpus ? readSourceLabels(fs.readFileSync(path.join(corpusDir, "SOURCES.md"), "utf8")) : []

  it("labels every file of papers/, simulation/ and text/ once, and only files that exist", () => {
    const count = (folder: string) => labels.filter((l) => l.file.startsWith(`${folder}/`)).length
    expect([count("papers"), count("simulation"), count("text")]).toEqual([16, 36, 2])
    expect(new Set(labels.map((l) => l.file)).size).toBe(labels.length)
    for (const l of labels) expect(fs.existsSync(path.join(corpusDir, l.file)), l.file).toBe(true)
    expect(labels).toContainEqual({ file: "papers/0807.3577.pdf", label: "physics/cosmology" })
    expect(labels).toContainEqual({ file: "simulation/ri_wave_2010.h5", label: "climate/energy (resource data)" })
    expect(labels).toContainEqual({ file: "text/pubmedqa_ori_pqal.jsonl", label: "biology/medicine" })
  })

  it("has only labels the bundle table understands, each accepting real bundles", () => {
    const names = new Set(loadBundleDefinitions(path.join(repoRoot, "bundles")).map((d) => d.name))
    for (const l of labels) {
      const ok = acceptableBundles(l.label)
      expect(ok.length, l.label).toBeGreaterThan(0)
      for (const b of ok) expect(names.has(b), `${l.label} → ${b}`).toBe(true)
    }
  })
})
if (!hasCorpus) console.warn(`[scicurate tests] labels.test.ts: ${corpusDir} is absent; the SOURCES.md checks are skipped`)
