/**
 * `scicurate formats` and the README's format table come from the same reader list, so they cannot
 * drift: the README's table must equal the generated one (regenerate with
 * `node scripts/update-readme-formats.ts`), and every reader is one file under src/ingest/readers/.
 */
import { readdirSync, readFileSync } from "node:fs"
import path from "node:path"
import { describe, expect, it } from "vitest"
import { formatRows, formatsMarkdown, README_BEGIN, README_END } from "../../src/ingest/formats.ts"
import { READERS } from "../../src/ingest/router.ts"
import { repoRoot } from "./support.ts"

describe("the format table", () => {
  it("in README.md equals the one generated from the readers (node scripts/update-readme-formats.ts)", () => {
    const readme = readFileSync(path.join(repoRoot, "README.md"), "utf8")
    const a = readme.indexOf(README_BEGIN)
    const b = readme.indexOf(README_END)
    expect(a, "README.md has no formats:begin marker").toBeGreaterThan(0)
    expect(readme.slice(a + README_BEGIN.length, b).trim()).toBe(formatsMarkdown(formatRows(READERS)))
  })

  it("lists every reader once, each with a kind, a format, what it detects on and examples", () => {
    const rows = formatRows(READERS)
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length)
    for (const r of rows) {
      expect(r.kind, r.id).toMatch(/^(text|code|paper|simulation|members|filter)$/)
      expect(r.detects_on.length, r.id).toBeGreaterThan(5)
      expect(r.examples.length, r.id).toBeGreaterThan(0)
    }
    for (const id of ["jsonl", "pdf", "code", "text", "table", "archive", "gzip", "zstd", "bzip2", "xz", "hdf5", "netcdf", "lammps-log", "qe-pw", "vasp-outcar", "gaussian-log", "orca-log"])
      expect(rows.map((r) => r.id)).toContain(id)
  })

  it("one reader per file: each file under src/ingest/readers/ (but the index) exports exactly one reader", async () => {
    const dir = path.join(repoRoot, "src/ingest/readers")
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts") && f !== "index.ts")
    const found: string[] = []
    for (const f of files) {
      const mod = (await import(path.join(dir, f))) as Record<string, unknown>
      const readers = Object.values(mod).filter((v) => READERS.includes(v as (typeof READERS)[number]))
      expect(readers, f).toHaveLength(1)
      found.push((readers[0] as { id: string }).id)
    }
    expect(found.sort()).toEqual(READERS.map((r) => r.id).sort())
  })
})
