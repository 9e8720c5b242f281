/**
 * PII redaction on the whole shared corpus, ingested with the real CLI (papers, LaTeX sources, JSONL
 * abstracts, simulation logs, CIF/PDB/GenBank files, NetCDF and HDF5 summaries): every replacement is
 * printed with its context for the curator, every one is an identifier of its type (e-mail addresses;
 * phone numbers after a label or in an international or US shape), nothing but e-mail addresses is
 * replaced in simulation outputs, and every DOI, arXiv id and ORCID in the texts comes through unchanged.
 */
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { openDuckDB } from "../../src/core/duckdb.ts"
import { findPii, redactPii } from "../../src/pii/redact.ts"
import { cli, corpusDir, hasCorpus, tempDir } from "../helpers.ts"

interface Row {
  readonly id: string
  readonly kind: string
  readonly source_path: string
  readonly text: string
}

async function ingestedCorpus(): Promise<Row[]> {
  const out = path.join(tempDir("scicurate-pii-"), "ingested")
  const r = cli(["ingest", corpusDir, "--out", out])
  expect(r.status, r.stderr).toBe(0)
  const { instance, connection } = await openDuckDB()
  try {
    const sql = `SELECT id, kind, source_path, text FROM read_parquet('${path.join(out, "*.parquet").replace(/'/g, "''")}') ORDER BY id`
    return (await connection.runAndReadAll(sql)).getRowObjectsJS() as unknown as Row[]
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}

/** Identifiers that must survive, found by patterns of this test's own (not the module's). */
const KEEP_PATTERNS: ReadonlyArray<[string, RegExp]> = [
  ["DOI", /10\.\d{4,9}\/[^\s"'<>{}\],;]+/g],
  ["arXiv", /(?:arXiv:\s*)?\b\d{4}\.\d{4,5}(?:v\d+)?\b|\b(?:hep-th|hep-ph|astro-ph|gr-qc|cond-mat|quant-ph|math\.[A-Z]{2})\/\d{7}\b/g],
  ["ORCID", /\b\d{4}-\d{4}-\d{4}-\d{3}[\dX]\b/g]
]

const occurrences = (text: string, re: RegExp): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const m of text.matchAll(re)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1)
  return counts
}

const PHONE_LABEL = /\b(?:tel|telephone|phone|fax|mobile|telefon|call(?:ing)?)\b[.:]*\s*$/i

describe.skipIf(!hasCorpus)("PII redaction on the shared corpus", () => {
  it("replaces only real identifiers, never DOIs, arXiv ids, ORCIDs or numeric data", async () => {
    const rows = await ingestedCorpus()
    expect(rows.length).toBeGreaterThan(1000)
    const report: string[] = []
    const kept = new Map<string, number>(KEEP_PATTERNS.map(([name]) => [name, 0]))
    for (const row of rows) {
      const matches = findPii(row.text)
      const { text: redacted } = redactPii(row.text)
      for (const m of matches) {
        const value = row.text.slice(m.start, m.end)
        const lead = row.text.slice(Math.max(0, m.start - 40), m.start)
        report.push(`${m.type.padEnd(10)} ${row.source_path}: …${JSON.stringify(lead + "⟦" + value + "⟧" + row.text.slice(m.end, m.end + 20))}…`)
        // Numeric data (simulation outputs) is never rewritten; an e-mail in a file's metadata is still an address.
        if (row.kind === "simulation") expect(m.type, `${row.source_path}: ${value}`).toBe("EMAIL")
        if (m.type === "EMAIL") expect(value).toMatch(/^[^\s@]+@(?:[a-z0-9-]+\.)+[a-z]{2,}$/i)
        else if (m.type === "PHONE") expect(PHONE_LABEL.test(lead) || /^[+(]/.test(value), `${lead}⟦${value}⟧`).toBe(true)
        // Nothing in a corpus of science documents is a card, IBAN, SSN, IP address or secret key.
        else expect.unreachable(`${m.type} replaced in ${row.source_path}: ${lead}⟦${value}⟧`)
      }
      for (const [name, re] of KEEP_PATTERNS) {
        const before = occurrences(row.text, re)
        const after = occurrences(redacted, re)
        for (const [id, n] of before) {
          expect(after.get(id), `${name} ${id} in ${row.source_path}`).toBe(n)
          kept.set(name, kept.get(name)! + n)
        }
      }
    }
    const intact = [...kept].map(([k, n]) => `${n} ${k}`).join(", ")
    console.log(`[pii on the shared corpus] ${rows.length} documents, ${report.length} replacements; kept intact: ${intact}\n${report.join("\n")}`)
    // The corpus does carry authors' addresses (papers, LaTeX sources): the stage must find them.
    expect(report.some((r) => r.startsWith("EMAIL"))).toBe(true)
    expect(kept.get("DOI")).toBeGreaterThan(100)
    expect(kept.get("ORCID")).toBeGreaterThan(20)
  })
})
