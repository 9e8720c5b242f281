/**
 * Listing an ingest stage's inputs: every file under the input roots, with a stable source path, and
 * every entry that cannot be read planned with a `problem` so that ingest rejects it by name.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { ConfigError } from "../core/errors.ts"
import type { PlannedFile } from "../core/stage.ts"

export interface InputRoot {
  readonly path: string
  readonly license: string | null
  readonly domain: string | null
}

/**
 * Every input file under the input roots, sorted by its source path: `<root label>/<path inside the
 * root>`, where a root's label is its own name (`text/abstracts.jsonl`, `papers/x.pdf`), lengthened by
 * parent folder names only where two roots share a name (`a/data/…`, `b/data/…`). Source paths are so
 * unique and the same on every machine. Hidden files and folders (`.git`, editor droppings) are skipped,
 * and so are scicurate's own folders (`skip`: the work and output folders; any folder with a stage plan
 * or a run lock), so a run never ingests its own output. Entries that cannot be read as files — broken
 * or cyclic links, FIFOs and devices, names that are not UTF-8, unreadable folders — are planned with a
 * `problem`, so ingest rejects them by name instead of the run crashing or dropping them. A missing
 * root, overlapping roots or no files at all are config errors.
 */
export function listInputFiles(roots: ReadonlyArray<InputRoot>, configFile: string, skip: ReadonlyArray<string> = []): PlannedFile[] | ConfigError {
  const fail = (message: string) => new ConfigError({ file: configFile, message: `${configFile}: ${message}` })
  for (const root of roots) if (!fs.existsSync(root.path)) return fail(`input not found: ${root.path}`)
  const absRoots = roots.map((r) => path.resolve(r.path))
  const labels = rootLabels(absRoots)
  const skipped = new Set(skip.map((d) => path.resolve(d)))
  const files: PlannedFile[] = []
  roots.forEach((root, i) => {
    const abs = absRoots[i]!
    const top = fs.statSync(abs).isDirectory() ? abs : path.dirname(abs)
    walkInput(abs, labels[i]!, { ...root, top }, new Set(), skipped, files)
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

function walkInput(abs: string, sourcePath: string, root: InputRoot & { readonly top: string }, ancestors: Set<string>, skip: Set<string>, out: PlannedFile[]): void {
  const entry = (size: number, problem?: PlannedFile["problem"]): PlannedFile => ({
    absPath: abs,
    sourcePath,
    root: root.top,
    size,
    license: root.license,
    domain: root.domain,
    ...(problem ? { problem } : {})
  })
  let st: fs.Stats
  try {
    const link = fs.lstatSync(abs)
    st = link.isSymbolicLink() ? fs.statSync(abs) : link
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const reason = code === "ENOENT" || code === "ELOOP" ? "broken-link" : "read-error"
    out.push(entry(0, { reason, detail: `cannot stat: ${(e as Error).message}` }))
    return
  }
  if (st.isFile()) {
    out.push(entry(st.size))
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
    out.push(entry(0, { reason: "read-error", detail: `cannot list folder: ${(e as Error).message}` }))
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
    if (!name.startsWith(".")) walkInput(path.join(abs, name), `${sourcePath}/${name}`, root, inner, skip, out)
  }
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
/** Input order: by source path, then (parts of a split file) by where the part starts. */
export const byPosition = (a: PlannedFile, b: PlannedFile): number => compareStrings(a.sourcePath, b.sourcePath) || (a.range?.start ?? 0) - (b.range?.start ?? 0)

