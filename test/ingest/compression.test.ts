/**
 * Compression is a layer, not a format: .gz, .zst, .bz2 and .xz files (by magic bytes) are decompressed
 * as a stream and their content routed like any file, under the inner name. Archives and compressed
 * files share one budget per input file (depth, unpacked bytes, ratio). Files built by the test.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import * as zlib from "node:zlib"
import { afterAll, describe, expect, it } from "vitest"
import { sha256Hex } from "../../src/core/text.ts"
import { makeTinyPdf } from "../../src/demo/tiny-pdf.ts"
import type { Extracted } from "../../src/ingest/types.ts"
import { defaultOptions, expectDocument, extractAll, reasonOf } from "./support.ts"

const dir = mkdtempSync(path.join(tmpdir(), "scicurate-compress-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const file = (name: string, bytes: Uint8Array): string => {
  const p = path.join(dir, name)
  mkdirSync(path.dirname(p), { recursive: true })
  writeFileSync(p, bytes)
  return p
}
const hasTool = (tool: string): boolean => spawnSync(tool, ["--version"]).status === 0
/** Compress with a command-line tool (Node has no bzip2 or xz encoder). */
const compressWith = (tool: string, bytes: Uint8Array): Buffer => execFileSync(tool, ["-c"], { input: bytes, maxBuffer: 1 << 28 })
const meta = (item: Extracted | undefined) => JSON.parse(expectDocument(item).metadata) as Record<string, unknown>

const record = (i: number) => JSON.stringify({ id: i, text: `Record ${i}: the thermal conductivity of silicon falls with temperature.` })
const JSONL = [record(1), "{not json", record(3)].join("\n") + "\n"
const NOTE = "Field notes from the glacier survey: ablation stakes were read every morning and the snow line rose by forty metres.\n"

describe("compressed files are read as their content", () => {
  it("a .jsonl.gz is JSONL, record by record, with stable locations and the file's hash", async () => {
    const gz = zlib.gzipSync(JSONL)
    const p = file("shards/abstracts.jsonl.gz", gz)
    const items = await extractAll(p, defaultOptions, "in/abstracts.jsonl.gz")
    expect(items.map(reasonOf)).toEqual(["document", "Rejected:invalid-json", "document"])
    expect(items[1]).toMatchObject({ location: "member abstracts.jsonl, line 2" })
    const first = expectDocument(items[0])
    expect(first).toMatchObject({ format: "jsonl", source_path: "in/abstracts.jsonl.gz", source_index: 1, source_sha256: sha256Hex(gz) })
    expect(meta(items[0])).toMatchObject({ source_id: 1, archive_member: "abstracts.jsonl", reader: { id: "jsonl", score: 0.99, reason: "extension .jsonl", via: ["gzip"] } })
    expect(expectDocument(items[2]).source_index).toBe(3)
  })

  it("streams a large .jsonl.zst: every record comes out", async () => {
    const lines = Array.from({ length: 3000 }, (_, i) => record(i)).join("\n")
    const items = await extractAll(file("big.jsonl.zst", zlib.zstdCompressSync(lines)))
    expect(items).toHaveLength(3000)
    expect(items.every((i) => i._tag === "Document")).toBe(true)
    expect(expectDocument(items[2999]).source_index).toBe(3000)
  })

  it("a misnamed gzip (magic bytes, not the extension, decide) and a text inside", async () => {
    const items = await extractAll(file("notes.dat", zlib.gzipSync(NOTE)))
    const doc = expectDocument(items[0])
    expect(doc).toMatchObject({ kind: "text", format: "plain-text", text: NOTE.trim() })
    expect(meta(items[0])).toMatchObject({ archive_member: "notes.dat", reader: { id: "text", via: ["gzip"] } })
  })

  it("a compressed PDF is read as a paper", async () => {
    const pdf = makeTinyPdf({ heading: "Phonon Transport in Thin Films", pages: [["Phonons carry heat in thin films, and boundary scattering lowers the conductivity of the film well below the bulk value."]] })
    const items = await extractAll(file("paper.pdf.gz", zlib.gzipSync(pdf)))
    expect(expectDocument(items[0])).toMatchObject({ kind: "paper", format: "pdf", title: "Phonon Transport in Thin Films" })
    expect(meta(items[0])).toMatchObject({ archive_member: "paper.pdf", reader: { id: "pdf", via: ["gzip"] } })
  })

  it("a .tar.zst is an archive, member by member, through the zstd layer", async () => {
    const src = path.join(dir, "build", "proj")
    mkdirSync(src, { recursive: true })
    writeFileSync(path.join(src, "solver.py"), "import numpy as np\n\n\ndef solve(a, b):\n    return np.linalg.solve(a, b)\n")
    writeFileSync(path.join(src, "README.md"), "# Proj\n\nA small solver for linear systems, with notes on conditioning.\n")
    const tar = execFileSync("tar", ["-cf", "-", "-C", path.join(dir, "build"), "proj"], { maxBuffer: 1 << 24 })
    const items = await extractAll(file("proj.tar.zst", zlib.zstdCompressSync(tar)))
    const docs = items.filter((i) => i._tag === "Document").map((i) => expectDocument(i))
    expect(docs.map((d) => [d.format, JSON.parse(d.metadata).archive_member]).sort()).toEqual([["markdown", "proj/README.md"], ["python", "proj/solver.py"]])
    expect(JSON.parse(docs.find((d) => d.format === "python")!.metadata).reader).toMatchObject({ id: "code", via: ["zstd", "archive"] })
  })

  it.skipIf(!hasTool("bzip2"))("bzip2 (needs the bzip2 tool to build the file)", async () => {
    const items = await extractAll(file("notes.txt.bz2", compressWith("bzip2", Buffer.from(NOTE))))
    expect(expectDocument(items[0]).text).toBe(NOTE.trim())
    expect(meta(items[0])).toMatchObject({ archive_member: "notes.txt", reader: { via: ["bzip2"] } })
  })

  it.skipIf(!hasTool("xz"))("xz (needs the xz tool to build the file)", async () => {
    const items = await extractAll(file("records.jsonl.xz", compressWith("xz", Buffer.from(JSONL))))
    expect(items.map(reasonOf)).toEqual(["document", "Rejected:invalid-json", "document"])
  })

  it("a cut-off or corrupt stream is a corrupt-archive reject", async () => {
    const gz = zlib.gzipSync(NOTE.repeat(50))
    expect((await extractAll(file("cut.txt.gz", gz.subarray(0, gz.length / 2)))).map(reasonOf)).toEqual(["Rejected:corrupt-archive"])
    const zst = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(64, 0x55)])
    expect((await extractAll(file("junk.zst", zst))).map(reasonOf)).toEqual(["Rejected:corrupt-archive"])
  })
})

describe("archive members go through the same router", () => {
  it("a JSONL member is read record by record; a UTF-16 member is decoded text, not binary", async () => {
    const build = path.join(dir, "members", "data")
    mkdirSync(build, { recursive: true })
    writeFileSync(path.join(build, "records.jsonl"), JSONL)
    writeFileSync(path.join(build, "notes.txt"), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(NOTE, "utf16le")]))
    const tar = execFileSync("tar", ["-cf", "-", "-C", path.join(dir, "members"), "data"])
    const items = await extractAll(file("data.tar", tar))
    const byMember = (m: string) => items.filter((i) => (i._tag === "Document" ? JSON.parse(i.doc.metadata).archive_member : i.location?.replace(/^member /, "").replace(/, line \d+$/, "")) === m)
    expect(byMember("data/records.jsonl").map(reasonOf)).toEqual(["document", "Rejected:invalid-json", "document"])
    expect(byMember("data/records.jsonl")[1]).toMatchObject({ location: "member data/records.jsonl, line 2" })
    const note = byMember("data/notes.txt")
    expect(expectDocument(note[0]).text).toBe(NOTE.trim())
    expect(meta(note[0])).toMatchObject({ encoding: "utf-16le", reader: { id: "text", via: ["archive"] } })
  })
})

describe("bomb limits", () => {
  const tight = (limits: Partial<NonNullable<typeof defaultOptions.containers>>) => ({
    ...defaultOptions,
    containers: { maxDepth: 4, maxTotalBytes: 1 << 30, maxRatio: 1000, ratioFloorBytes: 1 << 20, ...limits }
  })

  it("an expansion ratio past the limit is a decompression-bomb reject", async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(32 << 20, 0x41)) // 32 MiB of "A": ~1000x
    const items = await extractAll(file("bomb.txt.gz", bomb), tight({ maxRatio: 100 }))
    expect(items.map(reasonOf)).toEqual(["Rejected:decompression-bomb"])
    expect(items[0]!._tag !== "Document" && items[0]!.detail).toMatch(/expands more than 100x/)
  })

  it("too many unpacked bytes stop a JSONL stream mid-way, after the records read", async () => {
    const lines = Array.from({ length: 40000 }, (_, i) => record(i)).join("\n") // ~3 MB
    const items = await extractAll(file("many.jsonl.gz", zlib.gzipSync(lines)), tight({ maxTotalBytes: 1 << 20 }))
    const last = items[items.length - 1]!
    expect(reasonOf(last)).toBe("Rejected:unpacked-too-large")
    expect(items.length).toBeGreaterThan(100)
    expect(items.slice(0, -1).every((i) => i._tag === "Document")).toBe(true)
  })

  it("containers nested deeper than max_depth are rejected, shallower ones read", async () => {
    const inner = zlib.gzipSync(NOTE)
    const build = path.join(dir, "nest")
    mkdirSync(build, { recursive: true })
    writeFileSync(path.join(build, "note.txt.gz"), inner)
    const tar = execFileSync("tar", ["-cf", "-", "-C", build, "note.txt.gz"])
    const p = file("nested.tar.gz", zlib.gzipSync(tar))
    const ok = await extractAll(p)
    expect(expectDocument(ok[0]).text).toBe(NOTE.trim())
    expect(meta(ok[0])).toMatchObject({ archive_member: "note.txt", reader: { id: "text", via: ["gzip", "archive", "gzip"] } })
    const deep = await extractAll(p, tight({ maxDepth: 2 }))
    expect(deep.map(reasonOf)).toEqual(["Rejected:nested-too-deep"])
    expect(deep[0]).toMatchObject({ location: "member note.txt.gz" })
  })
})

describe("single compressed files keep the layout of earlier versions", () => {
  it("a .csv.gz is a table titled by the inner name, placed as member 1", async () => {
    const csv = "year,co2_ppm\n" + Array.from({ length: 40 }, (_, i) => `${1980 + i},${(338 + 1.8 * i).toFixed(2)}`).join("\n") + "\n"
    const items = await extractAll(file("co2.csv.gz", zlib.gzipSync(csv)))
    const doc = expectDocument(items[0])
    expect(doc).toMatchObject({ kind: "simulation", format: "csv", source_index: 1 })
    expect(meta(items[0])).toMatchObject({ archive_member: "co2.csv", reader: { id: "table", via: ["gzip"] } })
    expect(readFileSync(path.join(dir, "co2.csv.gz")).length).toBeGreaterThan(0)
  })
})
