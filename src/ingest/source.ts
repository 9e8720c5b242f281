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
import { readArchive } from "./code/archive.ts"
import { binaryContent, binarySkip, contentSkip, pathSkip, screenFile, type FilterOptions } from "./code/filters.ts"
import { isAllowed, isDep5, isLicenseFileName, parseDep5, repoLicense, type Dep5, type LicenseMatch } from "./code/license.ts"
import { notebookToText } from "./code/notebook.ts"
import { renderCodeDocument, resolveFileLicense } from "./code/render.ts"
import { extractMemberLines, formatOf, lineReaderFor } from "./outputs.ts"
import { routeText } from "./route.ts"
import { extractTextFile } from "./text.ts"
import { errorMessage, filtered, makeDocument, rejected, type Extracted, type IngestOptions, type InputFile } from "./types.ts"
import { sha256Hex } from "../core/text.ts"

/** The `code:` block of an ingest stage. */
export interface CodeOptions {
  /** SPDX ids allowed; null keeps every license. */
  readonly allowedLicenses: ReadonlyArray<string> | null
  /** Under an allow-list, keep files whose license is unknown (they are counted either way). */
  readonly keepUnknownLicense: boolean
  readonly filters: Partial<FilterOptions>
}

export const DEFAULT_CODE_OPTIONS: CodeOptions = { allowedLicenses: null, keepUnknownLicense: false, filters: {} }

interface LicenseContext {
  readonly repo: LicenseMatch | null
  readonly dep5: Dep5 | null
}

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

/**
 * One archive member, routed exactly as a file on disk would be (route.ts): code, logs and tables of
 * known programs, unknown program output, text; binaries and credential files are filtered by reason.
 * (JSONL members are read as text: the record-per-line reading needs a file of its own.)
 */
function memberItem(file: InputFile, options: IngestOptions, m: { path: string; index: number; bytes: Uint8Array }, context: LicenseContext): Extracted {
  const code = options.code ?? DEFAULT_CODE_OPTIONS
  const location = `member ${m.path}`
  const binary = binaryContent(m.bytes)
  if (binary !== null) return filtered(binary.reason, binary.detail, location)
  const head = Buffer.from(m.bytes.buffer, m.bytes.byteOffset, Math.min(m.bytes.byteLength, MEMBER_HEAD_BYTES)).toString("utf8")
  const route = routeText(m.path, head)
  if (route.kind !== "license-file" && route.kind !== "credentials-file") {
    // As on disk, where the planner does not descend into dot-folders: .git/, .github/, .cache/ ...
    const hidden = m.path.split("/").find((seg) => seg.startsWith(".") && seg !== "." && seg !== "..")
    if (hidden !== undefined) return filtered("hidden", `under ${hidden}/ (hidden files and folders are not read)`, location)
    // Vendored folders, lock files, minified and generated files: the same path rules as for code.
    const skip = route.kind === "code" ? null : pathSkip(m.path, m.bytes.length, code.filters)
    if (skip !== null) return filtered(skip.reason, skip.detail, location)
  }
  switch (route.kind) {
    case "license-file":
      return filtered("license-file", "a license text: it gives the license of the archive's files", location)
    case "credentials-file":
      return filtered("credentials-file", route.detail, location)
    case "code":
      return codeDocument(file, options, { relPath: m.path, bytes: m.bytes, language: route.language, context, sourceIndex: m.index, member: m.path })
    case "log":
    case "table":
    case "generic-log": {
      return extractMemberLines(m.bytes, file, options, lineReaderFor(route, m.path), formatOf(route), { index: m.index, path: m.path })
    }
    case "text": {
      // Prose (README, docs): a text document at this position of the archive.
      const item = extractTextFile(m.bytes, { ...file, absPath: m.path, size: m.bytes.length }, options)
      if (item._tag !== "Document") return { ...item, location }
      const metadata = JSON.stringify({ ...(JSON.parse(item.doc.metadata) as object), archive_member: m.path })
      return { ...item, doc: { ...item.doc, source_index: m.index, title: item.doc.title ?? m.path, metadata } }
    }
  }
}

/** How much of a member the router looks at (as for files on disk). */
const MEMBER_HEAD_BYTES = 64 * 1024

/**
 * The members of an archive, one item each, in archive order: code and build files become code
 * documents, prose (README, Markdown) text documents, the rest is filtered with the reason (binary,
 * data blob...). License files inside the archive are read in a first pass so every member knows them:
 * a tar lists LICENSE wherever it was added, often after the code, and decompressing twice costs less
 * than holding every member in memory until the archive's end.
 */
export async function* extractArchive(file: InputFile, options: IngestOptions): AsyncGenerator<Extracted> {
  const code = options.code ?? DEFAULT_CODE_OPTIONS
  const maxMemberBytes = code.filters.maxBytes ?? 1024 * 1024
  const licenseFiles = new Map<string, string>()
  let dep5: Dep5 | null = null
  try {
    for await (const m of readArchive(file.absPath, { maxMemberBytes })) {
      if (m.bytes === null) continue
      const base = m.path.slice(m.path.lastIndexOf("/") + 1)
      if (isLicenseFileName(base)) licenseFiles.set(m.path, Buffer.from(m.bytes).toString("utf8"))
      if (/(^|\/)debian\/copyright$|(^|\/)usr\/share\/doc\/[^/]+\/copyright$/.test(m.path)) {
        const text = Buffer.from(m.bytes).toString("utf8")
        if (isDep5(text)) dep5 ??= parseDep5(text)
      }
    }
  } catch (e) {
    yield rejected("corrupt-archive", errorMessage(e))
    return
  }
  // The repository license: license files of the shallowest folder that has any.
  const files = [...licenseFiles].map(([p, text]) => ({ path: p, text }))
  const repoMatch = files.length > 0 ? repoLicense(files) : null
  const context: LicenseContext = { repo: repoMatch !== null && repoMatch.spdx !== null ? repoMatch : null, dep5 }
  let index = 0
  let members = 0
  try {
    for await (const m of readArchive(file.absPath, { maxMemberBytes })) {
      index++
      members++
      const location = `member ${m.path}`
      if (m.bytes === null) {
        const why = m.skipped ?? "unreadable"
        if (why === "symlink" || why === "hard-link") {
          const target = m.linkTarget === undefined ? "" : ` to ${m.linkTarget}`
          yield filtered("archive-link", `a ${why === "symlink" ? "symbolic" : "hard"} link${target}: links in archives are never materialised or followed`, location)
        } else yield why === "too-large" ? filtered("too-large", `${m.size} bytes, limit ${maxMemberBytes}`, location) : rejected(`archive-${why}`, `${why} member`, location)
        continue
      }
      if (licenseFiles.has(m.path)) {
        yield filtered("license-file", "a license text: it gives the license of the archive's files", location)
        continue
      }
      yield memberItem(file, options, { path: m.path, index, bytes: m.bytes }, context)
    }
  } catch (e) {
    yield rejected("corrupt-archive", `${errorMessage(e)} (after ${members} member(s))`)
    return
  }
  if (members === 0) yield rejected("empty-file", "the archive has no files")
}
