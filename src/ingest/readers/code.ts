/**
 * Source code (src/ingest/source.ts, src/ingest/code/): one `code` document per file, with its
 * license. An extension or shebang that makes the language certain decides before content (a `.py`
 * file quoting a Gaussian banner is still Python); config formats (XML, JSON, YAML...) are certain
 * too but yield to a program's output (vasprun.xml); content alone (`.h`, `.m`, `#include`) decides
 * only once no program claimed the file.
 */
import { CERTAIN_CODE, LIKELY_CODE } from "../code/language-tiers.ts"
import { languageKind } from "../code/language.ts"
import { placeAtMember, wholeContent, type Reader } from "../reader.ts"
import { extractCodeFile, extractCodeMember } from "../source.ts"
import { describeFailure, rejected } from "../types.ts"

export const CODE_BY_NAME = 0.96
export const CONFIG_BY_NAME = 0.94
export const CODE_BY_CONTENT = 0.85

export const codeReader: Reader = {
  id: "code",
  kind: "code",
  format: "<language> (python, c, fortran, jupyter-notebook...)",
  priority: 50,
  ceiling: CODE_BY_NAME,
  detectsOn: "extension, shebang, then content (#include, module/def lines)",
  examples: ["solver.py", "mesh.f90", "grid.h", "analysis.ipynb", "Makefile"],
  detect(probe) {
    if (probe.sniffed._tag !== "Text" || !probe.asciiCompatible) return null
    const language = probe.language
    if (language === null) return null
    const kind = languageKind(language.language)
    if (kind === "docs") return null
    const how = `${language.language} (confidence ${language.confidence.toFixed(2)})`
    if (language.confidence >= CERTAIN_CODE) return { score: kind === "config" ? CONFIG_BY_NAME : CODE_BY_NAME, reason: `name or shebang: ${how}` }
    if (language.confidence >= LIKELY_CODE) return { score: CODE_BY_CONTENT, reason: `content: ${how}` }
    return null
  },
  async *read(target, ctx) {
    const language = target.probe.language?.language ?? "Text"
    const bytes = await wholeContent(target, ctx.options.maxFileBytes)
    if (!(bytes instanceof Uint8Array)) {
      yield placeAtMember(bytes, target.member)
      return
    }
    try {
      if (target.member !== undefined && target.licenseContext !== undefined) {
        yield extractCodeMember(target.file, ctx.options, { path: target.member.path, index: target.member.index, bytes }, language, target.licenseContext)
      } else yield placeAtMember(extractCodeFile(bytes, target.file, ctx.options, language), target.member)
    } catch (e) {
      yield placeAtMember(rejected("extract-error", describeFailure(e, "source code extraction failed")), target.member)
    }
  }
}
