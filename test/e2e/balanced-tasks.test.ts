/**
 * Balanced tasks: one large JSONL (built here) through a pipeline of 4 tasks per stage. Every stage
 * shares its input by rows, not by files, so no task reads more than 1.5x the mean share of bytes, and
 * the outputs are the same bytes with 1 or 2 workers. The bundle stage shares shards, not bundles: one
 * bundle holds most of the documents here, and its shards are written by every task. Also the other shape a user meets: one shard
 * holding a whole dataset, read by a stage with 4 tasks.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { cli, filesUnder, tempDir } from "../helpers.ts"

const WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega lattice phonon electron spin orbital band gap crystal polymer enzyme protein genome climate ocean aerosol galaxy plasma".split(" ")

/** Deterministic pseudo-random words, so every record differs (nothing is a duplicate) and the file is the same each time. */
function record(i: number): string {
  let x = (i + 1) * 2654435761
  const words: string[] = []
  for (let k = 0; k < 150; k++) {
    x = (x * 1103515245 + 12345) % 2147483648
    words.push(WORDS[x % WORDS.length]!)
  }
  return JSON.stringify({ id: `r${i}`, text: `Record ${i}: ${words.join(" ")}.` })
}

interface Stats {
  readonly bytes_in: number
  readonly records_in: number
}

const statsOf = (stageDir: string, world: number): Stats[] =>
  Array.from({ length: world }, (_, r) => JSON.parse(fs.readFileSync(path.join(stageDir, "_stats", `${r}.json`), "utf8")) as Stats)

/** Each task's share of the input bytes, against 1.5x the mean. */
function expectBalanced(what: string, stats: ReadonlyArray<Stats>): void {
  const total = stats.reduce((a, s) => a + s.bytes_in, 0)
  expect(total, `${what}: no bytes read`).toBeGreaterThan(0)
  const mean = total / stats.length
  for (const [rank, s] of stats.entries()) {
    expect(s.bytes_in, `${what}: task ${rank + 1} of ${stats.length} read ${s.bytes_in} bytes, mean ${mean}`).toBeLessThanOrEqual(1.5 * mean)
    expect(s.records_in, `${what}: task ${rank + 1} got no records`).toBeGreaterThan(0)
  }
}

describe("balanced tasks", () => {
  let root: string
  let pipeline: string
  beforeAll(() => {
    root = tempDir()
    // About 6 MB in one file: above the smallest part, far below the old 128 MiB split threshold.
    const lines: string[] = []
    for (let i = 0; i < 6000; i++) lines.push(record(i))
    fs.writeFileSync(path.join(root, "big.jsonl"), lines.join("\n") + "\n")
    pipeline = path.join(root, "p.yaml")
    fs.writeFileSync(
      pipeline,
      [
        "name: balanced",
        "inputs: [big.jsonl]",
        "work: w",
        "stages:",
        ...["ingest", "dedup", "tokenize", "classify", "bundle"].flatMap((s) => [`  - stage: ${s}`, "    tasks: 4"]),
        // Shards of 64 kB: a task's share is about 650 kB here, so shards can be shared out evenly.
        "    shard_bytes: 65536"
      ].join("\n") + "\n"
    )
  })

  it("gives every task of every dataset stage about the same bytes of one large JSONL, and the same outputs with 1 or 2 workers", () => {
    const work = path.join(root, "w")
    const one = cli(["run", pipeline, "--workers", "1"], { SOURCE_DATE_EPOCH: "1700000000" })
    expect(one.status, one.stderr).toBe(0)
    for (const stage of ["ingest", "dedup", "tokenize", "classify", "bundle"]) expectBalanced(stage, statsOf(path.join(work, stage), 4))
    // The bundle stage's writing phase, where the shards are written: the same shares (the stage's own tasks report them).
    const writing = statsOf(path.join(work, "bundle/_bundles/shards"), 4)
    expectBalanced("bundle's shard writing", writing)
    expect(writing.map((s) => s.bytes_in)).toEqual(statsOf(path.join(work, "bundle"), 4).map((s) => s.bytes_in))
    // One bundle dominates: most of the documents are in it, yet no task writes much more than the mean.
    const manifests = fs.readdirSync(path.join(work, "bundles")).map((b) => JSON.parse(fs.readFileSync(path.join(work, "bundles", b, "manifest.json"), "utf8")) as { totals: { text_bytes: number } })
    const bundleBytes = manifests.map((m) => m.totals.text_bytes).sort((a, b) => b - a)
    expect(bundleBytes[0]!, "no bundle dominates the input").toBeGreaterThan(0.6 * bundleBytes.reduce((a, b) => a + b, 0))
    const outputs = (dir: string) =>
      new Map([...filesUnder(dir)].filter(([f]) => /part-\d+-of-\d+\.(parquet|tokens)$|^bundles\/.*\.(parquet|bin|idx|json|md)$/.test(f)))
    const first = outputs(work)
    expect(first.size).toBeGreaterThan(10)
    fs.rmSync(work, { recursive: true })
    const two = cli(["run", pipeline, "--workers", "2"], { SOURCE_DATE_EPOCH: "1700000000" })
    expect(two.status, two.stderr).toBe(0)
    const second = outputs(work)
    expect([...second.keys()]).toEqual([...first.keys()])
    for (const [name, bytes] of first) expect(second.get(name)!.equals(bytes), name).toBe(true)
  }, 900_000)

  it("spreads one shard holding a whole dataset over every task", () => {
    const ingest = path.join(root, "one-shard")
    expect(cli(["ingest", path.join(root, "big.jsonl"), "--out", ingest, "--tasks", "1"]).status).toBe(0)
    const tokenize = path.join(root, "tokenized")
    const r = cli(["tokenize", ingest, "--out", tokenize, "--tasks", "4", "--workers", "2"])
    expect(r.status, r.stderr).toBe(0)
    expectBalanced("tokenize of one shard", statsOf(tokenize, 4))
    const dedup = path.join(root, "deduped")
    const d = cli(["dedup", ingest, "--out", dedup, "--tasks", "4", "--workers", "2"])
    expect(d.status, d.stderr).toBe(0)
    expectBalanced("dedup of one shard", statsOf(dedup, 4))
  }, 900_000)
})
