/**
 * The bundle definitions in bundles/: all valid against the schema, one file per name, lexicons in the
 * form the classifier expects, and the science and code families the issue asks for all present.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { BundleDefinitionError, loadBundleDefinitions } from "../../src/classify/definitions.ts"
import { repoRoot, tempDir } from "../helpers.ts"

describe("bundles/", () => {
  const defs = loadBundleDefinitions(path.join(repoRoot, "bundles"))

  it("holds about 20 valid definitions covering the sciences and code families", () => {
    expect(defs.length).toBeGreaterThanOrEqual(18)
    const names = defs.map((d) => d.name)
    for (const n of ["biology-biochemistry", "genomics-bioinformatics", "medicine-health", "chemistry", "materials-science", "condensed-matter-physics", "high-energy-nuclear-physics", "astrophysics-cosmology", "climate-atmosphere-ocean", "earth-environment", "ecology-evolution", "mathematics-statistics", "computer-science-hpc", "energy", "engineering"]) {
      expect(names).toContain(n)
    }
    expect(defs.filter((d) => d.kinds.includes("code")).length).toBeGreaterThanOrEqual(3)
    expect(new Set(names).size).toBe(names.length)
  })

  it("gives every science bundle a lexicon and claims each format for at most one bundle", () => {
    for (const d of defs) if (!d.kinds.includes("code")) expect(Object.keys(d.lexicon).length, d.name).toBeGreaterThanOrEqual(10)
    const owner = new Map<string, string>()
    for (const d of defs) for (const f of d.formats ?? []) {
      expect(owner.get(f), `${f} claimed by ${owner.get(f)} and ${d.name}`).toBeUndefined()
      owner.set(f, d.name)
    }
    expect(owner.get("lammps-log")).toBe("materials-science")
    expect(owner.get("python")).toBe("code-python")
  })

  it("rejects unknown keys, bad weights and misnamed files, naming the file", () => {
    const dir = tempDir()
    const base = "title: T\ndescription: D\nkinds: [paper]\nlexicon: { word: 1 }\nsampling_weight: 1\n"
    fs.writeFileSync(path.join(dir, "x.yaml"), `name: x\n${base}colour: blue\n`)
    expect(() => loadBundleDefinitions(dir)).toThrow(/x\.yaml/)
    fs.writeFileSync(path.join(dir, "x.yaml"), `name: x\n${base.replace("word: 1", "word: -2")}`)
    expect(() => loadBundleDefinitions(dir)).toThrow(BundleDefinitionError)
    fs.writeFileSync(path.join(dir, "x.yaml"), `name: y\n${base}`)
    expect(() => loadBundleDefinitions(dir)).toThrow(/does not match/)
    fs.writeFileSync(path.join(dir, "x.yaml"), `name: x\n${base.replace("word: 1", "Word: 1")}`)
    expect(() => loadBundleDefinitions(dir)).toThrow(/lower case/)
    fs.writeFileSync(path.join(dir, "x.yaml"), `name: x\n${base}`)
    expect(loadBundleDefinitions(dir).map((d) => d.name)).toEqual(["x"])
  })
})
