/** PDF papers (src/ingest/pdf/): one `paper` document per file, by the `%PDF-` header. */
import { extractPdf } from "../pdf/extract.ts"
import { placeAtMember, wholeContent, type Reader } from "../reader.ts"
import { describeFailure, rejected } from "../types.ts"

export const pdfReader: Reader = {
  id: "pdf",
  kind: "paper",
  format: "pdf",
  priority: 100,
  ceiling: 1,
  detectsOn: "%PDF- header in the first 1024 bytes",
  examples: ["paper.pdf", "preprint.pdf.gz"],
  detect: (probe) => (probe.sniffed._tag === "Pdf" ? { score: 1, reason: "%PDF- header" } : null),
  async *read(target, ctx) {
    const bytes = await wholeContent(target, ctx.options.maxFileBytes)
    if (!(bytes instanceof Uint8Array)) {
      yield placeAtMember(bytes, target.member)
      return
    }
    try {
      yield placeAtMember(await extractPdf(bytes, target.file, ctx.options), target.member)
    } catch (e) {
      // extractPdf catches what pdfjs throws while reading; this is the last resort for the contract.
      yield placeAtMember(rejected("extract-error", describeFailure(e, "PDF extraction failed")), target.member)
    }
  }
}
