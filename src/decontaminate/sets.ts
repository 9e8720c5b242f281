/** The evaluation sets a decontaminate stage names: the files its `against` patterns match, and each set as planned. */
import * as fs from "node:fs"
import * as path from "node:path"

/** One evaluation set as planned: what the tasks read, and what the bundle manifests state. */
export interface PlannedEvalSet {
  readonly name: string
  readonly file: string
  readonly sha256: string
  readonly bytes: number
  readonly items: number
}

/** The files `against` names, in a stable order; a pattern that matches nothing is a configuration error. */
export function resolveEvalFiles(patterns: ReadonlyArray<string>, base: string): string[] | string {
  const files = new Set<string>()
  for (const pattern of patterns) {
    const absolute = path.resolve(base, pattern)
    const matches = /[*?[{]/.test(pattern) ? fs.globSync(absolute).filter((f) => fs.statSync(f).isFile()) : fs.existsSync(absolute) ? [absolute] : []
    if (matches.length === 0) return `decontaminate: ${pattern} (from ${base}) matches no evaluation set file`
    for (const f of matches) files.add(path.resolve(f))
  }
  return [...files].sort()
}
