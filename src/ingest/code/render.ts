/**
 * The training document for one source file: a one-line header naming the file, its language and its
 * license, a blank line, then the code with secrets redacted. Redaction happens here, on the whole
 * document, so no caller can forget it; the metadata carries counts per kind, never values.
 */
import { dep5LicenseFor, licenseOfFileText, type Dep5, type LicenseMatch } from "./license.ts"
import { redactSecrets, type SecretKind } from "./secrets.ts"

/** Where a file's license came from, most specific first. */
export type LicenseSource = "spdx-header" | "notice" | "dep5" | "repo" | "none"

export interface FileLicense {
  readonly spdx: string | null
  readonly source: LicenseSource
  readonly confidence: number
}

/**
 * The license of one file: its own SPDX header or notice, else the DEP-5 paragraph that covers its path
 * (when the tree has a debian/copyright), else the repository's license, else unknown.
 */
export function resolveFileLicense(
  path: string,
  text: string,
  repo: LicenseMatch | null,
  dep5: Dep5 | null = null
): FileLicense {
  const own = licenseOfFileText(text)
  if (own.spdx !== null) return { spdx: own.spdx, source: own.method === "spdx-header" ? "spdx-header" : "notice", confidence: own.confidence }
  if (dep5 !== null) {
    const para = dep5LicenseFor(dep5, path)
    if (para !== null && para.spdx !== null) return { spdx: para.spdx, source: "dep5", confidence: 0.9 }
  }
  if (repo !== null && repo.spdx !== null) return { spdx: repo.spdx, source: "repo", confidence: repo.confidence }
  return { spdx: null, source: "none", confidence: 0 }
}

export interface CodeDocumentInput {
  /** Relative path inside the repository or archive. */
  readonly path: string
  /** Decoded source text (for notebooks: the converted text). */
  readonly text: string
  /** Detected language, or null when unknown. */
  readonly language: string | null
  readonly license: FileLicense
  /** The repository's license expression, or null when unknown. */
  readonly repoLicense: string | null
}

export interface CodeMetadata {
  readonly language: string | null
  readonly license: string | null
  readonly license_source: LicenseSource
  readonly repo_license: string | null
  readonly lines: number
  readonly redactions: Readonly<Partial<Record<SecretKind, number>>>
}

export interface RenderedCode {
  readonly text: string
  readonly metadata: CodeMetadata
}

const countLines = (s: string): number => {
  if (s.length === 0) return 0
  let n = 0
  for (let i = s.indexOf("\n"); i !== -1; i = s.indexOf("\n", i + 1)) n++
  return s.endsWith("\n") ? n : n + 1
}

/** The header line: `File: PATH | Language: X | License: Y` (license "unknown" when null). */
export function headerLine(path: string, language: string | null, license: string | null): string {
  const safePath = path.replace(/[\r\n]+/g, " ")
  return `File: ${safePath} | Language: ${language ?? "unknown"} | License: ${license ?? "unknown"}`
}

/** Build the document text and metadata for one file. */
export function renderCodeDocument(input: CodeDocumentInput): RenderedCode {
  const code = input.text.replace(/\r\n?/g, "\n")
  const header = headerLine(input.path, input.language, input.license.spdx)
  // Redact header and code together: a secret in a path is as secret as one in the code.
  const red = redactSecrets(`${header}\n\n${code.endsWith("\n") || code === "" ? code : `${code}\n`}`)
  return {
    text: red.text,
    metadata: {
      language: input.language,
      license: input.license.spdx,
      license_source: input.license.source,
      repo_license: input.repoLicense,
      lines: countLines(code),
      redactions: red.redactions
    }
  }
}
