import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { expandEnv, loadPipeline, parsePipelineYaml } from "../../src/pipeline/config.ts"
import { repoRoot, tempDir } from "../helpers.ts"

const parseError = async (yaml: string): Promise<string> => {
  const r = await Effect.runPromise(Effect.result(parsePipelineYaml("p.yaml", yaml)))
  if (r._tag === "Success") throw new Error("expected a config error")
  return r.failure.message
}

describe("pipeline config", () => {
  it("accepts every pipeline shipped in pipelines/", async () => {
    const files = fs.readdirSync(path.join(repoRoot, "pipelines")).filter((f) => f.endsWith(".yaml"))
    expect(files).toContain("demo.yaml")
    for (const f of files) {
      const p = await Effect.runPromise(loadPipeline(path.join(repoRoot, "pipelines", f)))
      expect(p.config.stages.length).toBeGreaterThan(0)
      expect(p.configSha256).toMatch(/^[0-9a-f]{64}$/)
    }
  })

  it("names the file, the line, the key and what was expected", async () => {
    const msg = await parseError("name: demo\ninputs: [a]\nstages:\n  - stage: ingest\n    tasks: four\n")
    expect(msg).toBe("p.yaml:5: stages[0].tasks: expected number")
  })

  it("rejects unknown keys instead of ignoring a typo", async () => {
    const msg = await parseError("name: demo\ninputs: [a]\nstages:\n  - stage: dedup\n    taks: 3\n")
    expect(msg).toBe("p.yaml:5: stages[0].taks: unknown key")
  })

  it("says which stage name is unknown", async () => {
    const msg = await parseError("name: demo\ninputs: [a]\nstages:\n  - stage: ingest\n  - stage: dedupe\n")
    expect(msg).toMatch(/^p\.yaml:5: stages\[1\]\.stage: unknown stage "dedupe", expected one of ingest, dedup, filter, language, pii, decontaminate, tokenize, classify, bundle$/)
  })

  it("reports YAML syntax errors with their position", async () => {
    const msg = await parseError("name: demo\ninputs: [a\nstages: []\n")
    expect(msg).toMatch(/^p\.yaml:\d+:\d+: invalid YAML/)
  })

  it("checks values, not only types", async () => {
    expect(await parseError("name: Demo Pipeline\ninputs: [a]\nstages:\n  - stage: ingest\n")).toMatch(/^p\.yaml:1: name: /)
    expect(await parseError("name: demo\ninputs: [a]\nstages:\n  - stage: ingest\n    tasks: 0\n")).toMatch(/^p\.yaml:5: stages\[0\]\.tasks: expected a value greater than or equal to 1/)
  })

  it("resolves inputs relative to the pipeline file, expanding ${VAR:-default}", async () => {
    const dir = tempDir()
    fs.mkdirSync(path.join(dir, "pipes"))
    const file = path.join(dir, "pipes", "p.yaml")
    fs.writeFileSync(file, "name: p\ninputs:\n  - ${NO_SUCH_VAR_X:-../data}\n  - path: more\n    license: MIT\nstages:\n  - stage: ingest\n")
    const p = await Effect.runPromise(loadPipeline(file))
    expect(p.inputs).toEqual([
      { path: path.join(dir, "data"), license: null, domain: null },
      { path: path.join(dir, "pipes", "more"), license: "MIT", domain: null }
    ])
    expect(expandEnv("${A}/x", { A: "/a" })).toBe("/a/x")
  })

  it("takes the default work folder, like every path in the file, relative to the pipeline file", async () => {
    const dir = tempDir()
    fs.mkdirSync(path.join(dir, "pipes"))
    const file = path.join(dir, "pipes", "p.yaml")
    fs.writeFileSync(file, "name: p\ninputs: [data]\nstages:\n  - stage: ingest\n")
    expect((await Effect.runPromise(loadPipeline(file))).work).toBe(path.join(dir, "pipes", "work", "p"))
    expect((await Effect.runPromise(loadPipeline(file, { work: "elsewhere" }))).work).toBe(path.resolve("elsewhere"))
    fs.writeFileSync(file, "name: p\ninputs: [data]\nwork: ../w\nstages:\n  - stage: ingest\n")
    const p = await Effect.runPromise(loadPipeline(file))
    expect([p.work, p.output]).toEqual([path.join(dir, "w"), path.join(dir, "w", "bundles")])
  })

  it("hashes the config, not where it is run", async () => {
    const y = "name: p\ninputs: [a]\nstages:\n  - stage: ingest\n"
    const a = await Effect.runPromise(parsePipelineYaml("a.yaml", y))
    const b = await Effect.runPromise(parsePipelineYaml("b.yaml", y + "work: elsewhere\n"))
    const { resolvePipeline } = await import("../../src/pipeline/config.ts")
    expect(resolvePipeline(a, "/x/a.yaml").configSha256).toBe(resolvePipeline(b, "/y/b.yaml").configSha256)
  })
})

describe("stage order", () => {
  const stages = (...names: string[]) => `name: p\ninputs: [a]\nstages:\n${names.map((n) => `  - stage: ${n}\n`).join("")}`
  it("accepts the stages in pipeline order, with any of them left out after ingest", async () => {
    for (const s of [["ingest"], ["ingest", "dedup"], ["ingest", "tokenize", "classify", "bundle"], ["ingest", "dedup", "tokenize", "classify", "bundle"], ["ingest", "tokenize", "classify"], ["ingest", "classify"], ["ingest", "dedup", "classify"]]) {
      await expect(Effect.runPromise(parsePipelineYaml("p.yaml", stages(...s)))).resolves.toBeDefined()
    }
  })
  it("says what is wrong with an order that cannot run", async () => {
    expect(await parseError(stages("dedup", "ingest"))).toBe("p.yaml:4: stages[0].stage: the first stage must be ingest (it reads the inputs), not dedup")
    expect(await parseError(stages("ingest", "dedup", "dedup"))).toBe("p.yaml:6: stages[2].stage: dedup appears twice; each stage runs once")
    expect(await parseError(stages("ingest", "tokenize", "dedup"))).toMatch(/^p\.yaml:6: stages\[2\]\.stage: dedup cannot come after tokenize/)
    expect(await parseError(stages("ingest", "bundle"))).toBe("p.yaml:5: stages[1].stage: bundle needs a tokenize stage and a classify stage before it (manifests count tokens; it writes one bundle per routed domain)")
    expect(await parseError(stages("ingest", "tokenize", "bundle"))).toBe("p.yaml:6: stages[2].stage: bundle needs a classify stage before it (it writes one bundle per routed domain)")
    expect(await parseError(stages("ingest", "classify", "bundle"))).toBe("p.yaml:6: stages[2].stage: bundle needs a tokenize stage before it (manifests count tokens)")
    expect(await parseError(stages("ingest", "classify", "tokenize"))).toMatch(/^p\.yaml:6: stages\[2\]\.stage: tokenize cannot come after classify \(it would drop the columns classify adds: route_score/)
    expect(await parseError(stages("ingest", "tokenize", "classify", "bundle", "dedup"))).toBe("p.yaml:8: stages[4].stage: dedup cannot come after bundle (it writes no dataset to read)")
    expect(await parseError(stages("ingest", "dedup", "ingest"))).toBe("p.yaml:6: stages[2].stage: ingest appears twice; each stage runs once")
  })
})
