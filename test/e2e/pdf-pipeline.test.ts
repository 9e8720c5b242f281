/**
 * The `pdf:` block of an ingest stage reaches the extractor through the CLI: a pipeline that turns OCR
 * on and keeps references in the text, run with `scicurate ingest --config`, on real papers.
 * Needs ../shared/corpus; the OCR half also needs tesseract (`make system-deps`).
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { openDuckDB } from "../../src/core/duckdb.ts"
import { cli, corpusDir, hasCorpus, readRejects, requirePresent, tempDir } from "../helpers.ts"

const hasTesseract = requirePresent("tesseract (Debian tesseract-ocr; make system-deps)", spawnSync("tesseract", ["--version"]).error === undefined, "the pipeline OCR test")

async function documents(stageDir: string): Promise<Array<{ source_path: string; text: string; metadata: string }>> {
  const { connection } = await openDuckDB()
  try {
    const rows = (await connection.runAndReadAll(`SELECT source_path, text, metadata FROM read_parquet('${stageDir}/*.parquet') ORDER BY source_path`)).getRowObjectsJS()
    return rows as Array<{ source_path: string; text: string; metadata: string }>
  } finally {
    connection.closeSync()
  }
}

describe.skipIf(!hasCorpus)("pdf settings in a pipeline (needs ../shared/corpus)", () => {
  const root = tempDir()
  const input = path.join(root, "papers")
  fs.mkdirSync(input)
  for (const name of ["cermine_simple_scanned.pdf", "tracemonkey-pldi-09.pdf"]) fs.copyFileSync(path.join(corpusDir, "papers", name), path.join(input, name))
  const pipeline = (pdf: string) => {
    const file = path.join(root, `p-${Math.random().toString(36).slice(2)}.yaml`)
    fs.writeFileSync(file, `name: pdf-settings\ninputs: [papers]\nstages:\n  - stage: ingest\n    pdf: ${pdf}\n`)
    return file
  }

  it("defaults: the scan is rejected as no-text-layer, references go to metadata", async () => {
    const out = path.join(root, "default")
    const r = cli(["ingest", input, "--out", out])
    expect(r.status, r.stderr).toBe(0)
    expect(readRejects(out).map((x) => [path.basename(x.source_path), x.reason])).toEqual([["cermine_simple_scanned.pdf", "no-text-layer"]])
    const [doc] = await documents(out)
    expect(doc!.text).not.toContain("LuaJIT roadmap 2008")
    expect(JSON.parse(doc!.metadata).references).toMatch(/LuaJIT roadmap 2008/)
  })

  it.skipIf(!hasTesseract)("pdf: { ocr: true, references: keep } → the scan is OCRed, references stay in the text", async () => {
    const out = path.join(root, "ocr")
    const r = cli(["ingest", input, "--out", out, "--config", pipeline("{ ocr: true, references: keep }")])
    expect(r.status, r.stderr).toBe(0)
    expect(readRejects(out)).toEqual([])
    const docs = await documents(out)
    expect(docs.map((d) => path.basename(d.source_path))).toEqual(["cermine_simple_scanned.pdf", "tracemonkey-pldi-09.pdf"])
    const scan = docs[0]!
    expect(scan.text).toMatch(/hydrogen/i)
    expect(JSON.parse(scan.metadata).ocr).toMatchObject({ engine: "tesseract", pages: [1] })
    expect(docs[1]!.text).toContain("LuaJIT roadmap 2008")
  }, 120_000)

  it("rejects a bad pdf setting with the file and the key", () => {
    const r = cli(["ingest", input, "--out", path.join(root, "bad"), "--config", pipeline("{ references: somewhere }")])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/references/)
  })
})
