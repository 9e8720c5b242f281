/**
 * The output of programs no other reader knows: text that looks like a log (mostly printable, short
 * lines) with repeating columns of numbers. Summarised like a log (src/ingest/simulation/generic.ts),
 * not kept verbatim.
 */
import { readLinesOf, type Reader } from "../reader.ts"
import { GENERIC_LOG, hasNumericColumns, looksLikeLog, periodicNumericShare } from "../simulation/generic.ts"

export const textLogReader: Reader = {
  id: "text-log",
  kind: "simulation",
  format: "text-log",
  priority: 20,
  ceiling: 0.5,
  detectsOn: "log-like lines with repeating numeric columns",
  examples: ["md.out", "opt.log"],
  detect(probe) {
    if (probe.sniffed._tag !== "Text" || !probe.asciiCompatible) return null
    const head = probe.text
    if (looksLikeLog(head) < 0.4) return null
    if (hasNumericColumns(head)) return { score: 0.5, reason: "log lines with numeric columns" }
    if (periodicNumericShare(head) >= 0.8) return { score: 0.5, reason: "log lines with periodic numeric records" }
    return null
  },
  async *read(target, ctx) {
    yield await readLinesOf(target, ctx.options, GENERIC_LOG.create(), GENERIC_LOG.format)
  }
}
