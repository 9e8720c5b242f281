/**
 * Listing an ingest stage's inputs: every file under the input roots, with a stable source path, and
 * every entry that cannot be read planned with a `problem` so that ingest rejects it by name.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { ConfigError } from "../core/errors.ts"
import { isInside } from "../core/files.ts"
import type { PlannedFile } from "../core/stage.ts"
import { credentialsFileName } from "./route.ts"

export interface ListOptions {
  /**
   * Follow symbolic links whose target lies outside the input root they were found under. Off by
   * default: on a shared file system a link in someone else's folder may lead anywhere (/etc/passwd,
   * another user's home), and such links are rejected as link-outside-input.
   */
  readonly followLinksOutsideInput?: boolean
}

export interface InputRoot {
  readonly path: string
  readonly license: string | null
  readonly domain: string | null
}

/**
 * Every input file under the input roots, sorted by its source path: `<root label>/<path inside the
 * root>`, where a root's label is its own name (`text/abstracts.jsonl`, `papers/x.pdf`), lengthened by
 * parent folder names only where two roots share a name (`a/data/…`, `b/data/…`). Source paths are so
 * unique and the same on every machine. Every entry is accounted for: hidden files and folders (`.git`,
 * editor droppings) are not read but planned with a `filter` (`credentials-file` for `.env`, `.netrc`...;
 * `hidden` otherwise, one entry per hidden folder with its file count), so ingest counts them. Only
 * scicurate's own folders (`skip`: the work and output folders; any folder with a stage plan or a run
 * lock) are left out, so a run never ingests its own output. Entries that cannot be read as files —
 * broken or cyclic links, links leading out of their input root, FIFOs and devices, names that are not
 * UTF-8, unreadable folders — are planned with a `problem`, so ingest rejects them by name instead of
 * the run crashing or dropping them. A missing root, overlapping roots or no files at all are config errors.
 */
export function listInputFiles(
  roots: ReadonlyArray<InputRoot>,
  configFile: string,
  skip: ReadonlyArray<string> = [],
  options: ListOptions = {}
): PlannedFile[] | ConfigError {
  const fail = (message: string) => new ConfigError({ file: configFile, message: `${configFile}: ${message}` })
  for (const root of roots) if (!fs.existsSync(root.path)) return fail(`input not found: ${root.path}`)
  const absRoots = roots.map((r) => path.resolve(r.path))
  const labels = rootLabels(absRoots)
  const skipped = new Set(skip.map((d) => path.resolve(d)))
  const files: PlannedFile[] = []
  roots.forEach((root, i) => {
    const abs = absRoots[i]!
    const isFolder = fs.statSync(abs).isDirectory()
    const top = isFolder ? abs : path.dirname(abs)
    // Links are judged by where they really lead, so the root is too (it may itself be reached through a link).
    const realTop = isFolder ? fs.realpathSync(abs) : null
    walkInput(abs, labels[i]!, { ...root, top, realTop, followOutside: options.followLinksOutsideInput === true }, new Set(), skipped, files)
  })
  files.sort(byPosition)
  const seen = new Map<string, string>()
  for (const f of files) {
    // The same path reached from two roots (one inside the other). Symlinked copies are fine: dedup sees them.
    const other = seen.get(f.absPath)
    if (other !== undefined) return fail(`inputs overlap: ${f.absPath} is listed as ${other} and as ${f.sourcePath}`)
    seen.set(f.absPath, f.sourcePath)
  }
  if (files.length === 0) return fail(`no input files under ${roots.map((r) => r.path).join(", ")}`)
  return files
}

/** Each root's name, with as many parent folders as it takes to tell roots of the same name apart. */
function rootLabels(absRoots: ReadonlyArray<string>): string[] {
  const parts = absRoots.map((r) => r.split(path.sep).filter(Boolean))
  const depth = parts.map(() => 1)
  for (let changed = true; changed; ) {
    changed = false
    const labels = parts.map((p, i) => p.slice(-depth[i]!).join("/"))
    labels.forEach((label, i) => {
      if (labels.some((other, j) => j !== i && other === label) && depth[i]! < parts[i]!.length) {
        depth[i]!++
        changed = true
      }
    })
  }
  return parts.map((p, i) => p.slice(-depth[i]!).join("/") || "/")
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** A file name as text: itself when it is UTF-8, else with every non-ASCII byte written as %XX. */
function nameOf(raw: Buffer): { name: string; valid: boolean } {
  try {
    return { name: utf8.decode(raw), valid: true }
  } catch {
    let name = ""
    for (const b of raw) name += b < 0x80 && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`
    return { name, valid: false }
  }
}

/** A folder scicurate itself wrote: a stage folder (plan) or a work folder (lock). */
const isScicurateFolder = (dir: string): boolean => fs.existsSync(path.join(dir, "_plan.json")) || fs.existsSync(path.join(dir, ".scicurate.lock"))

interface WalkRoot extends InputRoot {
  /** The folder given as input (a file root's folder). */
  readonly top: string
  /** The real path of a folder root (links resolved); null for a file root, which has nothing under it. */
  readonly realTop: string | null
  readonly followOutside: boolean
}

/** Why an entry is not read although it is there: a hidden file or folder, a credentials file by name. */
const HIDDEN_FILTER = "hidden"

/** Number of files (not folders) under `dir`, without following links; a count, so unreadable parts count as 0. */
function countFiles(dir: string): number {
  let n = 0
  let entries: fs.Dirent[]
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true })
  } catch {
    return 0
  }
  for (const e of entries) n += e.isDirectory() ? countFiles(path.join(dir, e.name)) : 1
  return n
}

/** `permission-denied` for an access error (an unreadable file or folder on a shared file system), else `read-error`. */
export const readErrorReason = (e: unknown): "permission-denied" | "read-error" => {
  const code = (e as NodeJS.ErrnoException | null)?.code
  return code === "EACCES" || code === "EPERM" ? "permission-denied" : "read-error"
}

function walkInput(abs: string, sourcePath: string, root: WalkRoot, ancestors: Set<string>, skip: Set<string>, out: PlannedFile[]): void {
  const entry = (size: number, problem?: PlannedFile["problem"], mtimeMs?: number): PlannedFile => ({
    absPath: abs,
    sourcePath,
    root: root.top,
    size,
    license: root.license,
    domain: root.domain,
    ...(problem ? { problem } : {}),
    ...(mtimeMs !== undefined ? { mtimeMs } : {})
  })
  let st: fs.Stats
  try {
    const link = fs.lstatSync(abs)
    st = link.isSymbolicLink() ? fs.statSync(abs) : link
    // A link found under a folder root must lead to somewhere inside that root (the root itself was chosen by the user).
    if (link.isSymbolicLink() && root.realTop !== null && ancestors.size > 0 && !root.followOutside) {
      const target = fs.realpathSync(abs)
      if (!isInside(target, root.realTop)) {
        out.push(entry(0, { reason: "link-outside-input", detail: `a symbolic link to ${target}, outside the input ${root.top}; not followed (set follow_links_outside_input: true to allow)` }))
        return
      }
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const reason = code === "ENOENT" || code === "ELOOP" ? "broken-link" : readErrorReason(e)
    out.push(entry(0, { reason, detail: `cannot stat: ${(e as Error).message}` }))
    return
  }
  if (st.isFile()) {
    out.push(entry(st.size, undefined, st.mtimeMs))
    return
  }
  if (!st.isDirectory()) {
    out.push(entry(0, { reason: "not-a-regular-file", detail: "a FIFO, socket or device, not a file" }))
    return
  }
  if (skip.has(abs) || isScicurateFolder(abs)) return
  const real = fs.realpathSync(abs)
  if (ancestors.has(real)) {
    out.push(entry(0, { reason: "broken-link", detail: `a link back to ${real}: following it would loop` }))
    return
  }
  let names: Buffer[]
  try {
    names = fs.readdirSync(abs, { encoding: "buffer" })
  } catch (e) {
    out.push(entry(0, { reason: readErrorReason(e), detail: `cannot list folder: ${(e as Error).message}` }))
    return
  }
  const inner = new Set(ancestors).add(real)
  for (const raw of names.sort(Buffer.compare)) {
    const { name, valid } = nameOf(raw)
    if (!valid) {
      // The name cannot be stored faithfully in the plan or in a document's source_path: say so.
      out.push({
        absPath: path.join(abs, name),
        sourcePath: `${sourcePath}/${name}`,
        root: root.top,
        size: 0,
        license: root.license,
        domain: root.domain,
        problem: { reason: "invalid-file-name", detail: `file name is not valid UTF-8 (bytes ${raw.toString("hex")})` }
      })
      continue
    }
    const child = path.join(abs, name)
    if (name.startsWith(".")) hiddenEntry(child, `${sourcePath}/${name}`, root, skip, out)
    else walkInput(child, `${sourcePath}/${name}`, root, inner, skip, out)
  }
}

/**
 * A hidden file or folder: never read, never descended into, but planned as filtered so it is counted
 * (`credentials-file` for `.env` and the like; `hidden` for the rest, one entry per folder with the
 * number of files in it). scicurate's own folders (a work folder named `.work`) stay out entirely.
 */
function hiddenEntry(abs: string, sourcePath: string, root: WalkRoot, skip: Set<string>, out: PlannedFile[]): void {
  let st: fs.Stats | null = null
  try {
    st = fs.lstatSync(abs)
  } catch {
    // Gone since the folder was listed: still counted below, as a hidden file.
  }
  const folder = st?.isDirectory() === true
  if (folder && (skip.has(abs) || isScicurateFolder(abs))) return
  const credentials = folder ? null : credentialsFileName(abs)
  const filter =
    credentials !== null
      ? { reason: "credentials-file", detail: credentials }
      : folder
        ? { reason: HIDDEN_FILTER, detail: `hidden folder: its ${countFiles(abs)} file(s) are not read` }
        : { reason: HIDDEN_FILTER, detail: "hidden file: not read" }
  out.push({ absPath: abs, sourcePath, root: root.top, size: 0, license: root.license, domain: root.domain, filter })
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
/** Input order: by source path, then (parts of a split file) by where the part starts. */
export const byPosition = (a: PlannedFile, b: PlannedFile): number => compareStrings(a.sourcePath, b.sourcePath) || (a.range?.start ?? 0) - (b.range?.start ?? 0)

