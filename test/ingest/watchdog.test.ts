/**
 * The watchdog per input file, through the real CLI: a real, valid but large file that overruns a small
 * time budget (or memory limit) set in the pipeline is rejected (`timeout`, `too-much-memory`), the worker
 * reading it is killed and the task rerun (also when it exhausts the worker's heap), the other files are ingested, and the shard is byte for byte
 * the one a run without that file writes.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { cli, readRejects, tempDir } from "../helpers.ts"

let root: string

/** 70 MB of prose lines (about 7 s of work for the text reader) and a few small notes around it. */
beforeAll(() => {
  root = tempDir()
  const input = path.join(root, "in")
  fs.mkdirSync(input)
  const words = "phonon lattice thermal conductivity crystal measured sample temperature scattering energy band gap electron".split(" ")
  let seed = 1
  const pick = () => words[((seed = (seed * 1103515245 + 12345) % 2147483648) >>> 8) % words.length]!
  const fd = fs.openSync(path.join(input, "big.txt"), "w")
  for (let chunk = 0; chunk < 60; chunk++) {
    const lines: string[] = []
    for (let i = 0; i < 9000; i++) lines.push(Array.from({ length: 16 }, pick).join(" ") + ".")
    fs.writeSync(fd, lines.join("\n") + "\n")
  }
  fs.closeSync(fd)
  for (const name of ["a1", "a2", "n1", "n2", "n3"]) {
    fs.writeFileSync(path.join(input, `${name}.md`), `# Note ${name}\n\nPhonons carry the heat in insulating crystals; sample ${name} was measured between 10 and 300 K.\n`)
  }
})

function pipeline(name: string, inputs: string, watchdog: string | null): string {
  const file = path.join(root, `${name}.yaml`)
  fs.writeFileSync(file, `name: ${name}\ninputs: [${inputs}]\nstages:\n  - stage: ingest\n    tasks: 1\n${watchdog ? `    watchdog: ${watchdog}\n` : ""}`)
  return file
}

const shard = (work: string): Buffer => fs.readFileSync(path.join(work, "ingest", "part-00000-of-00001.parquet"))

describe("the watchdog", () => {
  it("rejects a file that overruns its time budget as timeout, restarts the task and ingests the rest, with the bytes of a run without that file", () => {
    const work = path.join(root, "timeout")
    const r = cli(["run", pipeline("timeout", "in", "{ base_seconds: 1, seconds_per_mb: 0.005 }"), "--work", work, "--workers", "1"])
    expect(r.status, r.stderr).toBe(0)
    expect(readRejects(path.join(work, "ingest"))).toEqual([
      { source_path: "in/big.txt", stage: "ingest", reason: "timeout", detail: expect.stringMatching(/^still being read after its time budget of 1\.\d+ s \(watchdog: base_seconds \+ seconds_per_mb × size\)$/) }
    ])
    const stats = JSON.parse(fs.readFileSync(path.join(work, "ingest", "_stats", "0.json"), "utf8"))
    expect(stats).toMatchObject({ records_in: 6, documents_out: 5, rejected: 1 })
    // The files before it (a1, a2) and after it (n1..n3) were all ingested by the restarted task.

    // The same notes without the big file: the shard is byte for byte the same.
    const notesOnly = path.join(root, "notes-only")
    fs.mkdirSync(notesOnly, { recursive: true })
    for (const f of fs.readdirSync(path.join(root, "in")).filter((f) => f.endsWith(".md"))) fs.copyFileSync(path.join(root, "in", f), path.join(notesOnly, f))
    fs.mkdirSync(path.join(root, "alt"), { recursive: true })
    fs.renameSync(notesOnly, path.join(root, "alt", "in"))
    const reference = path.join(root, "reference")
    const ref = cli(["run", pipeline("reference", "alt/in", null), "--work", reference, "--workers", "1"])
    expect(ref.status, ref.stderr).toBe(0)
    expect(shard(work).equals(shard(reference))).toBe(true)

    // A rerun keeps the decision: the task is done, nothing is redone.
    const again = cli(["run", path.join(root, "timeout.yaml"), "--work", work, "--workers", "1"])
    expect(again.status, again.stderr).toBe(0)
    expect(again.stderr).toContain("already done")
  })

  it("rejects a file that exhausts the worker's heap as too-much-memory, and ingests the rest", () => {
    // One JSONL record holding four million small objects: a real parse that no 64 MB heap survives.
    const dir = path.join(root, "heap-in")
    fs.mkdirSync(dir)
    fs.writeFileSync(path.join(dir, "a.md"), "# Before\n\nPhonons carry the heat in insulating crystals.\n")
    fs.writeFileSync(path.join(dir, "records.jsonl"), `{"text": "A record with a large structure.", "x": [${new Array(4_000_000).fill('{"a":1}').join(",")}]}\n`)
    fs.writeFileSync(path.join(dir, "z.md"), "# After\n\nUmklapp scattering limits the conductivity above the Debye temperature.\n")
    const work = path.join(root, "heap")
    const r = cli(["run", pipeline("heap", "heap-in", null), "--work", work, "--workers", "1"], { SCICURATE_WORKER_HEAP_MB: "64" })
    expect(r.status, r.stderr).toBe(0)
    expect(readRejects(path.join(work, "ingest"))).toEqual([
      { source_path: "heap-in/records.jsonl", stage: "ingest", reason: "too-much-memory", detail: "the worker ran out of memory (heap cap 64 MB) while reading it" }
    ])
    expect(JSON.parse(fs.readFileSync(path.join(work, "ingest", "_stats", "0.json"), "utf8"))).toMatchObject({ records_in: 3, documents_out: 2, rejected: 1 })
  })

  it("rejects a file during which the worker's memory passes max_rss_mb as too-much-memory", () => {
    const work = path.join(root, "memory")
    const r = cli(["run", pipeline("memory", "in", "{ max_rss_mb: 350 }"), "--work", work, "--workers", "1"])
    expect(r.status, r.stderr).toBe(0)
    expect(readRejects(path.join(work, "ingest")).map((x) => [x.source_path, x.reason])).toEqual([["in/big.txt", "too-much-memory"]])
    expect(JSON.parse(fs.readFileSync(path.join(work, "ingest", "_stats", "0.json"), "utf8"))).toMatchObject({ records_in: 6, documents_out: 5 })
  })
})
