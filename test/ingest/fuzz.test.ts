/**
 * Property-based fuzzing of the ingest entry point (`extractFile`: the router and every reader behind
 * it): random bytes, and samples of every format with bytes flipped, cut, inserted or repeated, under
 * the sample's own name. Whatever the bytes, nothing throws past the reader, every case ends within its
 * budget, and every item is a document or a filtered/rejected record with a reason.
 *
 * `make test` runs a bounded number of cases (FUZZ_RUNS, default 400); `make fuzz` runs many more.
 * FUZZ_SEED replays a failing run (fast-check prints the seed and the shrunk case).
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { makeTinyPdf } from "../../src/demo/tiny-pdf.ts"
import { extractFile, type Extracted, type InputFile } from "../../src/ingest/extract.ts"
import { tempDir } from "../helpers.ts"
import { corpusRoot, defaultOptions, hasCorpus } from "./support.ts"

const RUNS = Number(process.env.FUZZ_RUNS) || 400
/** A case's budget: the files are small (at most a few hundred KB), so this is generous; a hang is a failure. */
const CASE_BUDGET_MS = 20_000
/** Corpus samples are taken up to this size, so a case stays quick whatever the mutation. */
const MAX_SAMPLE_BYTES = 130 * 1024

if (!hasCorpus) console.warn("[scicurate tests] ../shared/corpus absent: the fuzz test uses only the samples it builds")

interface Sample {
  readonly name: string
  readonly bytes: Buffer
}

const PROSE = "Phonons carry most of the heat in insulating crystals; their mean free path sets the thermal conductivity."

/** One sample of every format the test can build itself, plus the small files of the shared corpus. */
function samples(dir: string): Sample[] {
  const out: Sample[] = [
    { name: "notes.md", bytes: Buffer.from(`# Thermal transport\n\n${PROSE}\n\n| T (K) | k (W/mK) |\n|---|---|\n| 10 | 120 |\n`) },
    { name: "abstract.txt", bytes: Buffer.from(`${PROSE}\n`.repeat(5)) },
    { name: "records.jsonl", bytes: Buffer.from(Array.from({ length: 8 }, (_, i) => JSON.stringify({ id: i, text: `${i}: ${PROSE}`, title: `Record ${i}` })).join("\n") + "\n") },
    { name: "solver.py", bytes: Buffer.from('"""Conjugate gradient."""\nimport numpy as np\n\n\ndef cg(a, b, tol=1e-8):\n    x = np.zeros_like(b)\n    r = b - a @ x\n    return x, r\n') },
    { name: "table.csv", bytes: Buffer.from("temperature,conductivity,sample\n" + Array.from({ length: 40 }, (_, i) => `${10 + i * 5},${(120 / (1 + i / 10)).toFixed(3)},S${i % 4}`).join("\n") + "\n") },
    { name: "paper.pdf", bytes: Buffer.from(makeTinyPdf({ heading: "Thermal transport", info: { Title: "Thermal transport" }, pages: [[PROSE, PROSE], [PROSE]] })) },
    {
      name: "vasprun.xml",
      bytes: Buffer.from(
        '<?xml version="1.0"?>\n<modeling>\n <generator>\n  <i name="program" type="string">vasp </i>\n  <i name="version" type="string">6.3.0</i>\n </generator>\n <incar>\n  <i name="ENCUT">400.0</i>\n </incar>\n <calculation>\n  <energy>\n   <i name="e_0_energy"> -10.84 </i>\n  </energy>\n </calculation>\n</modeling>\n'
      )
    },
    { name: "notebook.ipynb", bytes: Buffer.from(JSON.stringify({ cells: [{ cell_type: "markdown", source: [PROSE] }, { cell_type: "code", source: ["print(1 + 1)"] }], metadata: {}, nbformat: 4, nbformat_minor: 5 })) },
    { name: "single.txt.gz", bytes: zlib.gzipSync(Buffer.from(`${PROSE}\n`.repeat(4))) }
  ]
  if (spawnSync("tar", ["--version"]).status === 0) {
    const tree = path.join(dir, "tree")
    fs.mkdirSync(path.join(tree, "pkg"), { recursive: true })
    fs.writeFileSync(path.join(tree, "pkg", "solver.py"), out[3]!.bytes)
    fs.writeFileSync(path.join(tree, "pkg", "README.md"), out[0]!.bytes)
    fs.symlinkSync("/etc/passwd", path.join(tree, "pkg", "passwd"))
    const tgz = path.join(dir, "pkg.tar.gz")
    execFileSync("tar", ["-czf", tgz, "-C", tree, "pkg"])
    out.push({ name: "pkg.tar.gz", bytes: fs.readFileSync(tgz) })
    const tar = path.join(dir, "pkg.tar")
    execFileSync("tar", ["-cf", tar, "-C", tree, "pkg"])
    out.push({ name: "pkg.tar", bytes: fs.readFileSync(tar) })
  }
  if (hasCorpus) {
    for (const folder of ["simulation", "text", "formats"]) {
      const base = path.join(corpusRoot, folder)
      if (!fs.existsSync(base)) continue
      for (const rel of (fs.readdirSync(base, { recursive: true, encoding: "utf8" }) as string[]).sort()) {
        const p = path.join(base, rel)
        const st = fs.statSync(p)
        if (st.isFile() && st.size > 0 && st.size <= MAX_SAMPLE_BYTES) out.push({ name: path.basename(p), bytes: fs.readFileSync(p) })
      }
    }
  }
  return out
}

/** How a case changes its sample. */
type Mutation =
  | { readonly kind: "random"; readonly bytes: Uint8Array }
  | { readonly kind: "flip"; readonly at: ReadonlyArray<number>; readonly value: number }
  | { readonly kind: "cut"; readonly at: number }
  | { readonly kind: "insert"; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: "repeat"; readonly at: number; readonly length: number; readonly times: number }

/** Positions are fractions of the sample's length (0..1e6 → 0..length), so one case fits every sample. */
const position = fc.integer({ min: 0, max: 1_000_000 })
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("random" as const), bytes: fc.uint8Array({ maxLength: 4096 }) }),
  fc.record({ kind: fc.constant("flip" as const), at: fc.array(position, { minLength: 1, maxLength: 24 }), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: position }),
  fc.record({ kind: fc.constant("insert" as const), at: position, bytes: fc.uint8Array({ minLength: 1, maxLength: 512 }) }),
  fc.record({ kind: fc.constant("repeat" as const), at: position, length: fc.integer({ min: 1, max: 4096 }), times: fc.integer({ min: 2, max: 50 }) })
)

function mutate(bytes: Buffer, m: Mutation): Buffer {
  const at = (fraction: number) => Math.floor((fraction / 1_000_000) * bytes.length)
  switch (m.kind) {
    case "random":
      return Buffer.from(m.bytes)
    case "flip": {
      const out = Buffer.from(bytes)
      for (const f of m.at) if (out.length > 0) out[Math.min(at(f), out.length - 1)] = m.value
      return out
    }
    case "cut":
      return bytes.subarray(0, at(m.at))
    case "insert":
      return Buffer.concat([bytes.subarray(0, at(m.at)), Buffer.from(m.bytes), bytes.subarray(at(m.at))])
    case "repeat": {
      const segment = bytes.subarray(at(m.at), at(m.at) + m.length)
      return Buffer.concat([bytes.subarray(0, at(m.at)), ...new Array<Buffer>(m.times).fill(segment), bytes.subarray(at(m.at))])
    }
  }
}

/** Every item of one file, or a description of what went wrong: a throw past the readers, or a case over its budget. */
async function extractWithin(file: InputFile, budgetMs: number): Promise<Extracted[] | string> {
  const items: Extracted[] = []
  let timer: NodeJS.Timeout | undefined
  const overrun = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`still running after ${budgetMs} ms`), budgetMs)))
  const run = (async () => {
    try {
      for await (const item of extractFile(file, defaultOptions)) items.push(item)
      return items
    } catch (e) {
      return `threw past the readers: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`
    }
  })()
  try {
    return await Promise.race([run, overrun])
  } finally {
    clearTimeout(timer)
  }
}

/** Why an item is malformed, or null. */
function malformed(item: Extracted, file: InputFile): string | null {
  if (item._tag === "Document") {
    const d = item.doc
    if (typeof d.text !== "string" || d.text.length === 0) return "a document without text"
    if (!/^[0-9a-f]{64}$/.test(d.id)) return `a document id that is not a sha256: ${d.id}`
    if (d.source_path !== file.sourcePath) return `a document naming another source: ${d.source_path}`
    try {
      JSON.parse(d.metadata)
    } catch {
      return "document metadata that is not JSON"
    }
    return null
  }
  if (item._tag !== "Rejected" && item._tag !== "Filtered") return `an item that is neither a document nor a reject: ${JSON.stringify(item).slice(0, 200)}`
  if (!/^[a-z0-9][a-z0-9:-]*$/.test(item.reason)) return `a ${item._tag} item without a reason code: ${JSON.stringify(item.reason)}`
  // The router turns a reader's exception into this reject as a last resort: for the fuzz, that is a reader bug.
  if (item._tag === "Rejected" && item.reason === "extract-error" && /reader failed|detecting the format failed/.test(item.detail)) return `a reader threw: ${item.detail}`
  if (typeof item.detail !== "string") return `a ${item._tag} item without a detail`
  return null
}

describe("fuzzing the ingest entry point", () => {
  it("rejects a gzip file whose checksum is wrong as corrupt-archive (a case the fuzzer found: the text reader used to throw)", async () => {
    const dir = tempDir()
    const gz = zlib.gzipSync(Buffer.from(`${PROSE}\n`.repeat(5000))) // longer than the head the router probes
    gz[gz.length - 6] = gz[gz.length - 6]! ^ 0xff // a byte of the CRC-32 in the trailer
    const absPath = path.join(dir, "notes.txt.gz")
    fs.writeFileSync(absPath, gz)
    const items = await extractWithin({ absPath, sourcePath: "x/notes.txt.gz", root: dir, size: gz.length, license: null, domain: null }, CASE_BUDGET_MS)
    expect(items).toEqual([{ _tag: "Rejected", reason: "corrupt-archive", detail: expect.stringMatching(/^corrupt or truncated gzip stream: /), location: "member notes.txt" }])
  })

  it(`turns random and mutated bytes of every sample format into documents or reasoned rejects (${RUNS} cases)`, async () => {
    const dir = tempDir()
    const pool = samples(dir)
    expect(pool.length).toBeGreaterThanOrEqual(10)
    let n = 0
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: pool.length - 1 }), mutation, async (index, m) => {
        const sample = pool[index]!
        const bytes = mutate(sample.bytes, m)
        const caseDir = path.join(dir, `case-${n++}`)
        fs.mkdirSync(caseDir)
        const absPath = path.join(caseDir, sample.name)
        fs.writeFileSync(absPath, bytes)
        const file: InputFile = { absPath, sourcePath: `fuzz/${sample.name}`, root: caseDir, size: bytes.length, license: null, domain: null }
        const result = await extractWithin(file, CASE_BUDGET_MS)
        fs.rmSync(caseDir, { recursive: true, force: true })
        const what = `${sample.name} (${bytes.length} bytes, ${m.kind})`
        if (typeof result === "string") throw new Error(`${what}: ${result}`)
        if (result.length === 0) throw new Error(`${what}: no item at all (the input would vanish from the accounting)`)
        for (const item of result) {
          const problem = malformed(item, file)
          if (problem !== null) throw new Error(`${what}: ${problem}`)
        }
      }),
      { numRuns: RUNS, ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}) }
    )
  }, Math.max(600_000, RUNS * 200))
})
