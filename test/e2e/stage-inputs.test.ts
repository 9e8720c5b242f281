/**
 * Every single-stage command on every other stage's output, and on a folder that is not a dataset, as a
 * user trying the commands in the wrong order would. Each either works (a stage whose work does not
 * need an earlier stage: classify without token counts) or exits 2 with one line naming the missing
 * columns and the command that makes them; an engine error (DuckDB's "Binder Error") never reaches
 * the user.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { cli, tempDir } from "../helpers.ts"

const TOPICS = [
  "Perovskite solar cells show carrier lifetimes above one microsecond after surface passivation of grain boundaries",
  "Density functional theory calculations of the band gap of silicon carbide polytypes with hybrid functionals",
  "A randomized clinical trial of a vaccine against influenza in elderly patients with chronic kidney disease",
  "Graph neural networks predict molecular properties from the atom connectivity of small organic molecules",
  "Sea surface temperature anomalies in the tropical Pacific drive the El Nino southern oscillation"
]

/** Output folder of each stage run in pipeline order on a small JSONL, plus classify straight on ingest's output. */
const made: Record<string, string> = {}

const ENGINE_ERROR = /Binder Error|Catalog Error|Parser Error|Invalid Input Error|IO Error|Conversion Error|duckdb/i

describe("single-stage commands on the wrong kind of input", () => {
  let root: string
  beforeAll(() => {
    root = tempDir()
    const lines = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: `d${i}`, text: `${TOPICS[i % TOPICS.length]}. Sample ${i} adds its own words: ${"x".repeat(i)} ${i * 7919}.` }))
    fs.writeFileSync(path.join(root, "docs.jsonl"), lines.join("\n") + "\n")
    const run = (stage: string, input: string, name = stage) => {
      const out = path.join(root, name)
      const r = cli([stage, input, "--out", out, "--tasks", "2", "--workers", "1"])
      if (r.status !== 0) throw new Error(`${stage} failed:\n${r.stderr}`)
      made[name] = out
    }
    run("ingest", path.join(root, "docs.jsonl"))
    run("dedup", made.ingest!)
    run("tokenize", made.dedup!)
    run("classify", made.tokenize!)
    run("bundle", made.classify!)
    // Classify does not need token counts: it works on ingest's output directly.
    run("classify", made.ingest!, "classify-untokenized")
    const notDataset = path.join(root, "not-a-dataset")
    fs.mkdirSync(notDataset)
    fs.writeFileSync(path.join(notDataset, "notes.txt"), "just a note\n")
    made["not-a-dataset"] = notDataset
  }, 600_000)

  /** What each stage command does with each input: "ok", or the columns its one-line error names and the command. */
  const expected = (stage: string, input: string): "ok" | "one line" | { mentions: RegExp[] } => {
    // Ingest reads raw files: a stage's output is refused as such; a folder of bundles holds files it can read.
    if (stage === "ingest") return input === "not-a-dataset" ? "ok" : input === "bundle" ? "one line" : { mentions: [/is a dataset written by `scicurate (ingest|dedup|tokenize|classify)`/] }
    if (input === "bundle" || input === "not-a-dataset") return { mentions: [/is not a dataset/, /`?scicurate ingest`?/] }
    if (stage !== "bundle") return "ok"
    if (input === "classify") return "ok"
    if (input === "tokenize") return { mentions: [/route_score/, /`scicurate classify`/] }
    if (input === "classify-untokenized") return { mentions: [/n_tokens/, /`scicurate tokenize`/] }
    return { mentions: [/n_tokens/, /`scicurate tokenize`/, /route_score/, /`scicurate classify`/] }
  }

  for (const stage of ["ingest", "dedup", "tokenize", "classify", "bundle"]) {
    it(`${stage} on every other stage's output and on a folder that is not a dataset`, () => {
      for (const input of ["ingest", "dedup", "tokenize", "classify", "classify-untokenized", "bundle", "not-a-dataset"]) {
        if (input === stage) continue
        const out = path.join(root, `${stage}-on-${input}`)
        const r = cli([stage, made[input]!, "--out", out, "--tasks", "2", "--workers", "1"])
        const want = expected(stage, input)
        const what = `${stage} on ${input}: exit ${r.status}\n${r.stderr}`
        expect(r.stderr, what).not.toMatch(ENGINE_ERROR)
        if (want === "ok") {
          expect(r.status, what).toBe(0)
          continue
        }
        const lines = r.stderr.trim().split("\n")
        if (want === "one line" && r.status === 0) continue
        expect(r.status, what).toBe(2)
        expect(lines, what).toHaveLength(1)
        if (want === "one line") continue
        expect(lines[0], what).toMatch(new RegExp(`^scicurate: ${stage}: `))
        for (const m of want.mentions) expect(lines[0], what).toMatch(m)
      }
    }, 600_000)
  }

  it("classifies documents without token counts and leaves the token columns out", () => {
    const stats = JSON.parse(fs.readFileSync(path.join(made["classify-untokenized"]!, "_stats", "0.json"), "utf8"))
    expect(stats.documents_out).toBeGreaterThan(0)
    const r = cli(["status", made["classify-untokenized"]!])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/classify/)
  })
})
