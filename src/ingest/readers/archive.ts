/**
 * Software and data archives: tar (plain, or from a compression layer: .tar.gz, .tar.zst...) and zip,
 * recognised by content. One item per member, in archive order; each member goes back through the
 * router like a file on disk (code, logs, tables, text, JSONL, even a nested .gz), with the archive's
 * license files known to every member: a tar lists LICENSE wherever it was added, often after the code,
 * so a first pass reads them (decompressing twice costs less than holding every member in memory).
 * Archive policy on top of routing: binaries no reader can take from memory, hidden paths, vendored,
 * generated and lock files are filtered with the reason. Zip files that are data containers (.npz,
 * office documents, Java/Python packages) are not archives of files to read: they stay binary rejects.
 */
import { detectArchive, readArchive, readTarStream, type ArchiveMember, type ArchiveOptions } from "../code/archive.ts"
import { binaryContent, pathSkip } from "../code/filters.ts"
import { isDep5, isLicenseFileName, parseDep5, repoLicense, type Dep5 } from "../code/license.ts"
import { DEFAULT_CODE_OPTIONS, type LicenseContext } from "../code/options.ts"
import { Probe, PROBE_BYTES } from "../probe.ts"
import { locationOf, memberTarget, type Choice, type Reader, type ReadContext, type Target } from "../reader.ts"
import { errorMessage, filtered, rejected, type Extracted } from "../types.ts"

/** Zip files that are data containers, not archives of software: they stay binary-file rejects. */
const DATA_CONTAINER = /\.(npz|xlsx|xlsm|docx|pptx|odt|ods|odp|jar|war|apk|whl|egg|nupkg)$/i

/** Readers that take binary members from memory; any other binary member is filtered as binary. */
const READS_BINARY_MEMBERS: ReadonlySet<string> = new Set(["pdf", "gzip", "zstd", "bzip2", "xz", "archive"])

export const archiveReader: Reader = {
  id: "archive",
  kind: "members",
  format: "(each member's)",
  priority: 80,
  ceiling: 1,
  detectsOn: "zip signature or a tar header checksum (not .npz/.docx/.jar... data containers)",
  examples: ["pkg.tar", "src.zip", "run.tar.gz"],
  detect(probe) {
    const format = detectArchive(probe.head)
    if (format === "tar") return { score: 1, reason: "tar header" }
    if (format === "zip" && !DATA_CONTAINER.test(probe.name)) return { score: 1, reason: "zip signature" }
    return null
  },
  read: readMembers
}

async function* readMembers(target: Target, ctx: ReadContext): AsyncGenerator<Extracted> {
  const code = ctx.options.code ?? DEFAULT_CODE_OPTIONS
  const maxMemberBytes = code.filters.maxBytes ?? 1024 * 1024
  const limits = target.budget.limits
  const where = locationOf(target)
  if (target.depth >= limits.maxDepth) {
    yield rejected("nested-too-deep", `archive nested ${target.depth} containers deep (max_depth ${limits.maxDepth})`, where)
    return
  }
  const format = detectArchive(target.probe.head)
  if (format === "zip" && target.path === null) {
    yield rejected("unsupported-format", "a zip archive inside another archive or compressed file is not read (zip needs random access)", where)
    return
  }
  const options: ArchiveOptions = { maxMemberBytes }
  const members = (): AsyncIterable<ArchiveMember> => (format === "zip" ? readArchive(target.path!, options) : readTarStream(target.chunks(), options))
  const prefix = target.member !== undefined && target.via !== undefined && target.via.includes("archive") ? `${target.member.path}!/` : ""
  const licenseFiles = new Map<string, string>()
  let dep5: Dep5 | null = null
  try {
    for await (const m of members()) {
      if (m.bytes === null) continue
      const base = m.path.slice(m.path.lastIndexOf("/") + 1)
      if (isLicenseFileName(base)) licenseFiles.set(m.path, Buffer.from(m.bytes).toString("utf8"))
      if (/(^|\/)debian\/copyright$|(^|\/)usr\/share\/doc\/[^/]+\/copyright$/.test(m.path)) {
        const text = Buffer.from(m.bytes).toString("utf8")
        if (isDep5(text)) dep5 ??= parseDep5(text)
      }
    }
  } catch (e) {
    yield failure(target, e, "corrupt-archive", errorMessage(e))
    return
  }
  // The repository license: license files of the shallowest folder that has any.
  const files = [...licenseFiles].map(([p, text]) => ({ path: p, text }))
  const repoMatch = files.length > 0 ? repoLicense(files) : null
  const context: LicenseContext = { repo: repoMatch !== null && repoMatch.spdx !== null ? repoMatch : null, dep5 }
  let index = 0
  try {
    for await (const m of members()) {
      index++
      const path = prefix + m.path
      const location = `member ${path}`
      if (m.bytes === null) {
        const why = m.skipped ?? "unreadable"
        if (why === "symlink" || why === "hard-link") {
          const target = m.linkTarget === undefined ? "" : ` to ${m.linkTarget}`
          yield filtered("archive-link", `a ${why === "symlink" ? "symbolic" : "hard"} link${target}: links in archives are never materialised or followed`, location)
        } else yield why === "too-large" ? filtered("too-large", `${m.size} bytes, limit ${maxMemberBytes}`, location) : rejected(`archive-${why}`, `${why} member`, location)
        continue
      }
      target.budget.take(m.bytes.length, 0, 0)
      if (licenseFiles.has(m.path)) {
        yield filtered("license-file", "a license text: it gives the license of the archive's files", location)
        continue
      }
      const probe = new Probe(m.path, m.bytes.length > PROBE_BYTES ? m.bytes.subarray(0, PROBE_BYTES) : m.bytes, m.bytes.length)
      const choice = ctx.choose(probe)
      const policy = memberPolicy(m.path, m.bytes, probe, choice, code.filters)
      if (policy !== null) {
        yield filtered(policy.reason, policy.detail, location)
        continue
      }
      const member = memberTarget(target, probe, { index, path }, m.bytes, context)
      if (choice === null) yield* ctx.route(member)
      else yield* ctx.readWith(choice, member)
    }
  } catch (e) {
    yield failure(target, e, "corrupt-archive", `${errorMessage(e)} (after ${index} member(s))`)
    return
  }
  if (index === 0) yield rejected("empty-file", "the archive has no files", where)
}

/** A reject for an archive that failed mid-way: the budget's reason when a limit stopped it. */
function failure(target: Target, _e: unknown, reason: string, detail: string): Extracted {
  const exceeded = target.budget.exceeded
  return exceeded !== null ? rejected(exceeded.reason, exceeded.detail, locationOf(target)) : rejected(reason, detail, locationOf(target))
}

/**
 * Why an archive member is left out before it is read, or null: binaries that no reader takes from
 * memory; as on disk, where the planner does not descend into dot-folders, hidden paths (.git/,
 * .github/...); vendored folders, lock files, minified and generated files (code files get the same
 * rules from the code reader itself). License and credential files are exempt: their readers filter them.
 */
function memberPolicy(path: string, bytes: Uint8Array, probe: Probe, choice: Choice | null, filters: typeof DEFAULT_CODE_OPTIONS.filters): { reason: string; detail: string } | null {
  const id = choice?.reader.id
  // UTF-16/32 text holds NUL bytes: it is text all the same (the text reader decodes it).
  const wideText = probe.sniffed._tag === "Text" && !probe.asciiCompatible
  if (!wideText && (id === undefined || !READS_BINARY_MEMBERS.has(id))) {
    const binary = binaryContent(bytes)
    if (binary !== null) return binary
  }
  if (id === "license-file" || id === "credentials-file") return null
  const hidden = path.split("/").find((seg) => seg.startsWith(".") && seg !== "." && seg !== "..")
  if (hidden !== undefined) return { reason: "hidden", detail: `under ${hidden}/ (hidden files and folders are not read)` }
  return id === "code" ? null : pathSkip(path, bytes.length, filters)
}
