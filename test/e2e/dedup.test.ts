/**
 * `scicurate dedup` end to end on a planted-duplicate corpus built from the shared abstracts: exact
 * and near duplicates found with the accuracy (pair precision ≥ 0.998, recall ≥ 0.99 on copies
 * of true 5-gram Jaccard ≥ 0.8), the same clusters and kept documents with any number of tasks, the
 * same bytes on a rerun, and new data deduplicated against a released run's stored signatures.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { evaluateClusters, type TruthRecord } from "../../src/dedup/planted.ts"
import { plantedRemovals } from "../../src/dedup/score.ts"
import { loadAbstracts, writePlantedCorpus } from "../../scripts/planted-corpus.ts"
import { plantedConfig } from "../../src/dedup/planted.ts"
import { cli, corpusDir, filesUnder, hasCorpus, tempDir, query } from "../helpers.ts"

if (!hasCorpus) console.warn("[scicurate tests] ../shared/corpus absent: the dedup tests on a planted corpus are skipped")

const readTruth = (dir: string): TruthRecord[] =>
  fs.readFileSync(path.join(dir, "truth.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as TruthRecord)

describe.skipIf(!hasCorpus)("near-duplicate removal on a planted corpus (needs ../shared/corpus)", () => {
  const root = tempDir()
  const planted = path.join(root, "planted")
  const ingested = path.join(root, "ingested")
  const setup = (async () => {
    await writePlantedCorpus({ abstracts: loadAbstracts(path.join(corpusDir, "text")), out: planted, config: plantedConfig({ docs: 20_000, seed: 7 }), docsPerPart: 5_000, worker: false })
    const r = cli(["ingest", path.join(planted, "docs"), "--out", ingested, "--workers", "2", "--tasks", "3"])
    if (r.status !== 0) throw new Error(r.stderr)
  })()

  it("finds the planted copies: pair precision ≥ 0.998, recall ≥ 0.99 at Jaccard ≥ 0.8; every document accounted for", async () => {
    await setup
    const out = path.join(root, "dedup-3")
    const r = cli(["dedup", ingested, "--out", out, "--workers", "2", "--tasks", "3"])
    expect(r.status, r.stderr).toBe(0)
    const score = evaluateClusters(readTruth(planted), await plantedRemovals(out, ingested))
    expect(score.pairPrecision).toBeGreaterThanOrEqual(0.998)
    expect(score.recall.recall).toBeGreaterThanOrEqual(0.99)
    expect(score.recallByKind.exact.recall).toBe(1)
    expect(score.recallByKind.format.recall).toBe(1)
    // The S-curve: far-apart pairs are not candidates (near-random recall would show here).
    expect(score.recallByBand["lt_0.5"].recall ?? 0).toBeLessThan(0.05)
    const stats = fs.readdirSync(path.join(out, "_stats")).map((f) => JSON.parse(fs.readFileSync(path.join(out, "_stats", f), "utf8")))
    const sum = (k: string) => stats.reduce((n, s) => n + s[k], 0)
    expect(sum("records_in")).toBe(20_000)
    expect(sum("documents_out") + sum("duplicates")).toBe(20_000)
    const reasons = stats.reduce((acc: Record<string, number>, s) => {
      for (const [k, v] of Object.entries(s.reasons as Record<string, number>)) acc[k] = (acc[k] ?? 0) + v
      return acc
    }, {})
    expect(reasons["duplicate:exact"]).toBeGreaterThan(0)
    expect(reasons["duplicate:minhash"]).toBeGreaterThan(0)
    // Removal records name their cluster, the kept document and the similarity.
    const [rec] = await query<{ n: bigint; bad: bigint }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE kept_id IS NULL OR similarity < 0.5 OR similarity > 1 OR cluster_size < 2 OR (method = 'minhash' AND cluster_id <> kept_id)) AS bad
       FROM read_parquet('${out}/_removed/*.parquet')`
    )
    expect(Number(rec!.n)).toBe(sum("duplicates"))
    expect(Number(rec!.bad)).toBe(0)
  }, 300_000)

  it("gives the same clusters and kept documents with 1 task and with 4, and the same bytes on a rerun", async () => {
    await setup
    const runs = [
      ["dedup-1", "1", "1"],
      ["dedup-4", "2", "4"],
      ["dedup-4-again", "2", "4"]
    ] as const
    for (const [name, workers, tasks] of runs) {
      const r = cli(["dedup", ingested, "--out", path.join(root, name), "--workers", workers, "--tasks", tasks])
      expect(r.status, r.stderr).toBe(0)
    }
    const removals = async (name: string) =>
      query<Record<string, unknown>>(
        `SELECT source_path, source_index, kept_source_path, kept_source_index, method, similarity, cluster_size
         FROM read_parquet('${path.join(root, name)}/_removed/*.parquet') ORDER BY source_path, source_index`
      )
    const kept = async (name: string) => query<{ id: string }>(`SELECT id FROM read_parquet('${path.join(root, name)}/part-*.parquet') ORDER BY id`)
    expect(await removals("dedup-4")).toEqual(await removals("dedup-1"))
    expect(await kept("dedup-4")).toEqual(await kept("dedup-1"))
    // Every Parquet file: the documents, the removal records and each phase's signatures, pairs, clusters.
    const bytes = (name: string) => [...filesUnder(path.join(root, name))].filter(([f]) => f.endsWith(".parquet"))
    expect(bytes("dedup-4-again").map(([f, b]) => [f, b.toString("base64")])).toEqual(bytes("dedup-4").map(([f, b]) => [f, b.toString("base64")]))
  }, 300_000)

  it("removes copies of released documents using only the released run's signatures", async () => {
    await setup
    // A released run of 3 tasks: 3 signature shards, re-keyed one after the other.
    const released = path.join(root, "released")
    expect(cli(["dedup", ingested, "--out", released, "--workers", "2", "--tasks", "3"]).status).toBe(0)
    // New data: 30 lightly edited copies of released documents and 30 documents of another corpus.
    const old = await query<{ text: string; source_path: string; source_index: bigint }>(
      `SELECT text, source_path, source_index FROM read_parquet('${released}/part-*.parquet') ORDER BY id LIMIT 30`
    )
    const fresh = path.join(root, "fresh")
    await writePlantedCorpus({ abstracts: loadAbstracts(path.join(corpusDir, "text")), out: fresh, config: plantedConfig({ docs: 30, seed: 99, copyFraction: 0 }), docsPerPart: 100, worker: false })
    const newDir = path.join(root, "new-data")
    fs.mkdirSync(newDir)
    const edited = old.map((d, i) => ({ id: `copy-${i}`, text: d.text.replace(/\b(the)\b/, "a") }))
    const others = fs.readFileSync(path.join(fresh, "docs", "part-00000.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { id: string; text: string })
    fs.writeFileSync(path.join(newDir, "new.jsonl"), [...edited, ...others].map((d) => JSON.stringify(d)).join("\n") + "\n")
    const newIngested = path.join(root, "new-ingested")
    expect(cli(["ingest", newDir, "--out", newIngested]).status).toBe(0)
    // The released run's texts are gone: only its signatures remain.
    for (const f of fs.readdirSync(released)) if (f.endsWith(".parquet")) fs.renameSync(path.join(released, f), path.join(root, `moved-${f}`))
    const config = path.join(root, "against.yaml")
    // Relative to the pipeline file, and listed twice (counted once).
    fs.writeFileSync(config, `name: against\ninputs: [x]\nstages:\n  - stage: ingest\n  - stage: dedup\n    near: { against: [released, ./released] }\n`)
    const out = path.join(root, "new-dedup")
    // A run never compares itself with itself.
    const selfConfig = path.join(root, "self.yaml")
    fs.writeFileSync(selfConfig, `name: self\ninputs: [x]\nstages:\n  - stage: ingest\n  - stage: dedup\n    near: { against: [new-dedup] }\n`)
    const self = cli(["dedup", newIngested, "--out", out, "--config", selfConfig])
    expect(self.status).not.toBe(0)
    expect(self.stderr).toMatch(/overlaps/)
    const r = cli(["dedup", newIngested, "--out", out, "--config", config])
    expect(r.status, r.stderr).toBe(0)
    const removed = await query<{ kept_source_path: string; kept_source_index: bigint; method: string }>(
      `SELECT kept_source_path, kept_source_index, method FROM read_parquet('${out}/_removed/*.parquet')`
    )
    expect(removed.length).toBe(30)
    const released30 = new Set(old.map((d) => `${d.source_path}#${d.source_index}`))
    for (const x of removed) {
      expect(x.method).toBe("minhash")
      expect(released30.has(`${x.kept_source_path}#${x.kept_source_index}`)).toBe(true)
    }
    const [{ n }] = (await query<{ n: bigint }>(`SELECT count(*) AS n FROM read_parquet('${out}/part-*.parquet')`)) as [{ n: bigint }]
    expect(Number(n)).toBe(others.length)
  }, 300_000)
})

describe("near dedup and simulation outputs", () => {
  it("leaves runs of a parameter sweep alone by default (their summaries differ only in numbers)", async () => {
    const root = tempDir()
    const inputs = path.join(root, "sweep")
    fs.mkdirSync(inputs)
    for (const [t, scale] of [[300, 1], [350, 1.7], [400, 2.9]] as const) {
      const rows = Array.from({ length: 60 }, (_, i) => `${i * 10},${(-1520.25 + i * 0.013 * scale).toFixed(4)},${(t + Math.sin(i) * 3).toFixed(2)},${(1.013 + i * 0.001 * scale).toFixed(4)}`)
      fs.writeFileSync(path.join(inputs, `thermo-${t}K.csv`), ["step,energy,temperature,pressure", ...rows].join("\n") + "\n")
    }
    const ingested = path.join(root, "ingested")
    expect(cli(["ingest", inputs, "--out", ingested]).status).toBe(0)
    const out = path.join(root, "dedup")
    expect(cli(["dedup", ingested, "--out", out]).status).toBe(0)
    const [kept] = await query<{ n: bigint }>(`SELECT count(*) AS n FROM read_parquet('${out}/part-*.parquet')`)
    expect(Number(kept!.n)).toBe(3)
    // Asked to compare them, MinHash finds what digit folding makes of them: near-identical texts.
    const config = path.join(root, "sim.yaml")
    fs.writeFileSync(config, "name: sim\ninputs: [x]\nstages:\n  - stage: ingest\n  - stage: dedup\n    near: { kinds: [simulation] }\n")
    const out2 = path.join(root, "dedup-sim")
    expect(cli(["dedup", ingested, "--out", out2, "--config", config]).status).toBe(0)
    const [kept2] = await query<{ n: bigint }>(`SELECT count(*) AS n FROM read_parquet('${out2}/part-*.parquet')`)
    expect(Number(kept2!.n)).toBeLessThan(3)
  }, 120_000)
})
