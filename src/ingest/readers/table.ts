/** Delimited tables (CSV, TSV, semicolon, whitespace columns): streamed into a table summary (src/ingest/simulation/table.ts). */
import { readLinesOf, type Reader } from "../reader.ts"
import { createTableReader, looksLikeTable } from "../simulation/table.ts"

/** A head scoring this much as a table (consistent delimited columns) is read as one. */
const TABLE_THRESHOLD = 0.6

export const tableReader: Reader = {
  id: "table",
  kind: "simulation",
  format: "csv, tsv",
  priority: 30,
  ceiling: 0.7,
  detectsOn: "consistent delimited columns in the head",
  examples: ["sunspots.csv", "results.tsv", "co2.csv.gz"],
  detect(probe) {
    if (probe.sniffed._tag !== "Text" || !probe.asciiCompatible) return null
    const t = looksLikeTable(probe.text)
    return t >= TABLE_THRESHOLD ? { score: 0.6 + 0.1 * Math.min(1, t), reason: `delimited columns (table score ${t.toFixed(2)})` } : null
  },
  async *read(target, ctx) {
    const name = target.probe.baseName
    yield await readLinesOf(target, ctx.options, createTableReader({ name }), "table")
  }
}
