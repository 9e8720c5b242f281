/**
 * License files (LICENSE, COPYING, ...) are not training text: they give the license of the files
 * beside them (see source.ts). Filtered by name, never read into a document.
 */
import { isLicenseFileName } from "../code/license.ts"
import { locationOf, type Reader } from "../reader.ts"
import { filtered } from "../types.ts"

export const licenseFileReader: Reader = {
  id: "license-file",
  kind: "filter",
  format: "-",
  priority: 95,
  ceiling: 0.98,
  detectsOn: "file name (LICENSE, COPYING, NOTICE...)",
  examples: ["LICENSE", "COPYING.LESSER"],
  detect: (probe) => (probe.sniffed._tag === "Text" && isLicenseFileName(probe.baseName) ? { score: 0.98, reason: `license file name ${probe.baseName}` } : null),
  async *read(target) {
    const where = target.member !== undefined ? "the archive's files" : "the files beside it"
    yield filtered("license-file", `a license text: it gives the license of ${where}`, locationOf(target))
  }
}
