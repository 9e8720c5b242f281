import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { openDuckDB } from "../../src/core/duckdb.ts"
import type { PlannedFile } from "../../src/core/stage.ts"
import { splitFile, splitLargeFiles } from "../../src/ingest/split.ts"
import { cli, readRejects, tempDir } from "../helpers.ts"

/** A JSONL file of `n` records of varied length (and a blank line and a bad line among them). */
function writeJsonl(file: string, n: number, trailingNewline = true): Buffer {
  const lines: string[] = []
  for (let i = 0; i < n; i++) {
    if (i === 17) lines.push("")
    if (i === 400) lines.push("{not json")
    lines.push(JSON.stringify({ id: `r${i}`, text: `Record ${i} on the thermal conductivity of layered ${"perovskite ".repeat(1 + (i % 23))}films.` }))
  }
  const bytes = Buffer.from(lines.join("\n") + (trailingNewline ? "\n" : ""))
  fs.writeFileSync(file, bytes)
  return bytes
}

describe("splitting large JSONL files", () => {
  it("cuts right after newlines into ranges that cover the file, with the right line numbers and hash", () => {
    for (const trailing of [true, false]) {
      const file = path.join(tempDir(), "big.jsonl")
      const bytes = writeJsonl(file, 3000, trailing)
      const ranges = splitFile(file, 40_000)
      expect(ranges.length).toBeGreaterThan(5)
      expect(ranges[0]!.start).toBe(0)
      expect(ranges.at(-1)!.end).toBe(bytes.length)
      for (const [k, r] of ranges.entries()) {
        if (k > 0) {
          expect(r.start).toBe(ranges[k - 1]!.end)
          expect(bytes[r.start - 1]).toBe(0x0a)
        }
        // firstLine = 1 + newlines before the range
        let nl = 0
        for (let i = 0; i < r.start; i++) if (bytes[i] === 0x0a) nl++
        expect(r.firstLine).toBe(nl + 1)
        expect(r.fileSha256).toBe(createHash("sha256").update(bytes).digest("hex"))
      }
    }
  })

  it("leaves small and non-JSONL files whole, and reuses the cuts of an unchanged file", () => {
    const dir = tempDir()
    const big = path.join(dir, "big.jsonl")
    writeJsonl(big, 3000)
    const small = path.join(dir, "small.txt")
    fs.writeFileSync(small, "x".repeat(100_000))
    const entry = (absPath: string): PlannedFile => ({ absPath, sourcePath: path.basename(absPath), root: dir, size: fs.statSync(absPath).size, license: null, domain: null })
    const first = splitLargeFiles([entry(big), entry(small)], 40_000)
    expect(first.filter((f) => f.sourcePath === "small.txt")).toEqual([entry(small)])
    const parts = first.filter((f) => f.range)
    expect(parts.reduce((a, f) => a + f.size, 0)).toBe(fs.statSync(big).size)
    // Reuse: a doctored previous plan is taken as it is while the file is unchanged...
    const previous = parts.map((p) => ({ ...p, range: { ...p.range!, fileSha256: "f".repeat(64) } }))
    expect(splitLargeFiles([entry(big)], 40_000, previous).every((f) => f.range!.fileSha256 === "f".repeat(64))).toBe(true)
    // ...and ignored once the file changed.
    writeJsonl(big, 3001)
    expect(splitLargeFiles([entry(big)], 40_000, previous).every((f) => f.range!.fileSha256 !== "f".repeat(64))).toBe(true)
  })

  it("gives the same documents, line numbers and rejects whether a file is split or not", async () => {
    const root = tempDir()
    const input = path.join(root, "in")
    fs.mkdirSync(input)
    writeJsonl(path.join(input, "records.jsonl"), 5000)
    const pipeline = (name: string, split: string) => {
      const file = path.join(root, `${name}.yaml`)
      fs.writeFileSync(file, `name: ${name}\ninputs: [in]\nstages:\n  - stage: ingest\n    tasks: 4\n${split}`)
      return file
    }
    const split = path.join(root, "w-split")
    const whole = path.join(root, "w-whole")
    expect(cli(["run", pipeline("split", "    split_bytes: 60000\n"), "--work", split, "--workers", "2"]).status).toBe(0)
    expect(cli(["run", pipeline("whole", ""), "--work", whole]).status).toBe(0)
    const plan = JSON.parse(fs.readFileSync(path.join(split, "ingest/_plan.json"), "utf8"))
    expect(plan.input.assignments.flat().length).toBeGreaterThan(4)
    const { connection, instance } = await openDuckDB()
    const rows = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJS()
    const cols = "id, source_path, source_index, source_sha256, metadata, text"
    const diff = await rows(
      `SELECT count(*) AS n FROM ((SELECT ${cols} FROM read_parquet('${split}/ingest/*.parquet') EXCEPT ALL SELECT ${cols} FROM read_parquet('${whole}/ingest/*.parquet'))
       UNION ALL (SELECT ${cols} FROM read_parquet('${whole}/ingest/*.parquet') EXCEPT ALL SELECT ${cols} FROM read_parquet('${split}/ingest/*.parquet')))`
    )
    expect(diff[0]!.n).toBe(0n)
    expect((await rows(`SELECT count(*) AS n FROM read_parquet('${split}/ingest/*.parquet')`))[0]!.n).toBe(5000n)
    connection.closeSync()
    instance.closeSync()
    const rejects = (w: string) => readRejects(path.join(w, "ingest")).map((r) => r.location)
    expect(rejects(split)).toEqual(["line 402"])
    expect(rejects(whole)).toEqual(["line 402"])
  })
})
