/**
 * I/O for source code: one document per source file, in a folder (a checkout) or inside an archive
 * (.tar, .tar.gz, .zip). The pure parts live in src/ingest/code/ (language, filters, license, secrets,
 * notebooks, rendering); this file finds each file's license context and applies the pipeline's policy.
 *
 * License context: a file's own SPDX header or notice decides; else the DEP-5 paragraph of the
 * nearest debian/copyright that covers it; else the nearest LICENSE/COPYING files up the tree (the
 * repository's license); else the license the pipeline gives the input; else unknown, which is
 * counted (noted:license-unknown) and, under an allow-list, filtered rather than kept.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import path from "node:path"
import { binarySkip, contentSkip, pathSkip, screenFile } from "./code/filters.ts"
import { DEFAULT_CODE_OPTIONS, type LicenseContext } from "./code/options.ts"
import { isAllowed, isDep5, isLicenseFileName, parseDep5, repoLicense, type Dep5, type LicenseMatch } from "./code/license.ts"
import { notebookToText } from "./code/notebook.ts"
import { renderCodeDocument, resolveFileLicense } from "./code/render.ts"
import { errorMessage, filtered, makeDocument, rejected, type Extracted, type IngestOptions, type InputFile } from "./types.ts"
import { sha256Hex } from "../core/text.ts"

export { DEFAULT_CODE_OPTIONS, type CodeOptions } from "./code/options.ts"


/** Per-process caches: a tree's license files are read once, however many files it has. */
const dirLicense = new Map<string, LicenseMatch | null>()
const dirDep5 = new Map<string, Dep5 | null>()

const LICENSE_FILE_LIMIT = 256 * 1024

function readSmall(file: string): string | null {
  try {
    const st = statSync(file)
    return st.isFile() && st.size <= LICENSE_FILE_LIMIT ? readFileSync(file, "utf8") : null
  } catch {
    return null
  }
}

/** The license stated by the license files directly in `dir`, or null (cached). */
function licenseInDir(dir: string): LicenseMatch | null {
  if (dirLicense.has(dir)) return dirLicense.get(dir)!
  let result: LicenseMatch | null = null
  try {
    const files = readdirSync(dir)
      .filter((name) => isLicenseFileName(name))
      .sort()
      .flatMap((name) => {
        const text = readSmall(path.join(dir, name))
        return text === null ? [] : [{ path: name, text }]
      })
    if (files.length > 0) {
      const r = repoLicense(files)
      result = r.spdx === null ? null : r
    }
  } catch {
    result = null
  }
  dirLicense.set(dir, result)
  return result
}

/** The DEP-5 debian/copyright of `dir` (as `dir/debian/copyright`, or Debian's installed `usr/share/doc/<pkg>/copyright`). */
function dep5InDir(dir: string): Dep5 | null {
  if (dirDep5.has(dir)) return dirDep5.get(dir)!
  const candidates = [path.join(dir, "debian", "copyright")]
  const docs = path.join(dir, "usr", "share", "doc")
  if (existsSync(docs)) {
    try {
      for (const pkg of readdirSync(docs).sort()) candidates.push(path.join(docs, pkg, "copyright"))
    } catch {
      // An unreadable doc folder just has no copyright file for us.
    }
  }
  let result: Dep5 | null = null
  for (const c of candidates) {
    const text = readSmall(c)
    if (text !== null && isDep5(text)) {
      result = parseDep5(text)
      if (result !== null) break
    }
  }
  dirDep5.set(dir, result)
  return result
}

/** Whether `dir` is `root` or inside it (a path-prefix test alone would let /data/ab pass for /data/a). */
const isWithin = (dir: string, root: string): boolean => dir === root || dir.startsWith(root.endsWith(path.sep) ? root : root + path.sep)

/** License context of a file on disk: the nearest license files and debian/copyright up to its input root. */
function licenseContext(file: InputFile): LicenseContext & { readonly relPath: string } {
  const root = file.root ?? path.dirname(file.absPath)
  let repo: LicenseMatch | null = null
  let dep5: Dep5 | null = null
  for (let dir = path.dirname(file.absPath); ; dir = path.dirname(dir)) {
    repo ??= licenseInDir(dir)
    dep5 ??= dep5InDir(dir)
    if (dir === root || path.dirname(dir) === dir || !isWithin(path.dirname(dir), root)) break
  }
  return { repo, dep5, relPath: path.relative(root, file.absPath).split(path.sep).join("/") }
}

/** A format id for a language: lower case, words joined by '-' ("C++" → "cpp", "Jupyter Notebook" → "jupyter-notebook"). */
export const languageFormat = (language: string): string =>
  language.toLowerCase().replace(/\+\+/g, "pp").replace(/#/g, "sharp").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")

interface CodeInput {
  /** Path used for language, filters and DEP-5 rules (relative to the repository or archive). */
  readonly relPath: string
  readonly bytes: Uint8Array
  readonly language: string
  readonly context: LicenseContext
  readonly sourceIndex: number
  /** For archive members: where in the archive, for rejects and metadata. */
  readonly member?: string
}

/** One source file → a code document, or a filtered/rejected item with the reason. */
function codeDocument(file: InputFile, options: IngestOptions, input: CodeInput): Extracted {
  const code = options.code ?? DEFAULT_CODE_OPTIONS
  const location = input.member === undefined ? undefined : `member ${input.member}`
  let text: string
  if (input.language === "Jupyter Notebook") {
    // A notebook is judged on its cells, not on its JSON (one long line, outputs that look like data).
    const early = pathSkip(input.relPath, input.bytes.length, code.filters) ?? binarySkip(input.bytes)
    if (early !== null) return filtered(early.reason, early.detail, location)
    try {
      text = notebookToText(Buffer.from(input.bytes).toString("utf8")).text
    } catch (e) {
      return rejected("invalid-notebook", errorMessage(e), location)
    }
    const late = contentSkip(input.relPath, text, code.filters)
    if (late !== null) return filtered(late.reason, late.detail, location)
  } else {
    const screened = screenFile(input.relPath, input.bytes, code.filters)
    if (!screened.ok) return filtered(screened.reason, screened.detail, location)
    text = screened.text
  }
  const own = resolveFileLicense(input.relPath, text, input.context.repo, input.context.dep5)
  const license = own.spdx ?? file.license
  const licenseSource = own.spdx !== null ? own.source : file.license !== null ? "pipeline" : "none"
  const notes: Record<string, number> = {}
  if (license === null) {
    notes["license-unknown"] = 1
    if (code.allowedLicenses !== null && !code.keepUnknownLicense) {
      return filtered("license-unknown", "no SPDX header, notice, debian/copyright or LICENSE file gives its license", location)
    }
  } else if (code.allowedLicenses !== null && !isAllowed(license, code.allowedLicenses)) {
    return filtered("license-not-allowed", `${license} is not among allowed_licenses (${code.allowedLicenses.join(", ")})`, location)
  }
  const rendered = renderCodeDocument({ path: input.relPath, text, language: input.language, license: { ...own, spdx: license }, repoLicense: input.context.repo?.spdx ?? null })
  for (const [kind, n] of Object.entries(rendered.metadata.redactions)) if (n) notes[`secret-redacted:${kind}`] = n
  const made = makeDocument(file, options, {
    rawText: rendered.text,
    kind: "code",
    format: languageFormat(input.language),
    sourceSha256: sha256Hex(input.bytes),
    sourceIndex: input.sourceIndex,
    title: input.relPath,
    metadata: { ...rendered.metadata, license_source: licenseSource, path: input.relPath, ...(input.member !== undefined ? { archive_member: input.member } : {}) },
    ...(location !== undefined ? { location } : {})
  })
  if (made._tag !== "Document") return made
  for (const [k, n] of Object.entries(made.notes ?? {})) notes[k] = (notes[k] ?? 0) + n
  // The document carries the file's own license, not only the input's default.
  return { _tag: "Document", doc: { ...made.doc, license }, ...(Object.keys(notes).length > 0 ? { notes } : {}) }
}

/** A source file on disk (its bytes already read by the caller). */
export function extractCodeFile(bytes: Uint8Array, file: InputFile, options: IngestOptions, language: string): Extracted {
  const context = licenseContext(file)
  return codeDocument(file, options, { relPath: context.relPath, bytes, language, context, sourceIndex: 0 })
}

/** An archive member that routing found to be code, with the archive's license context. */
export function extractCodeMember(file: InputFile, options: IngestOptions, m: { path: string; index: number; bytes: Uint8Array }, language: string, context: LicenseContext): Extracted {
  return codeDocument(file, options, { relPath: m.path, bytes: m.bytes, language, context, sourceIndex: m.index, member: m.path })
}
