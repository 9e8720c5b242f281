/**
 * `make bench --only=generalisation`: routing accuracy on files the lexicons were NOT tuned on.
 *
 * The accuracy tests (test/classify/accuracy.test.ts, the shared-corpus e2e check) score the 51 labelled
 * files of the shared corpus, which are the files the lexicons were tuned against: a regression check,
 * not a measure of how routing does on new files. This section routes the held-out set of
 * bench/generalisation-set.json (real files of Debian science packages, labelled from the packages'
 * descriptions and fixed before the routing was ever run on them) and reports per-label accuracy and
 * where the misses went. It is a figure to watch, not a threshold: do not tune lexicons to this set.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { readRoutedDocuments } from "../src/classify/accuracy.ts"
import { debianPackage } from "../scripts/debian-package.ts"

interface HeldOutSet {
  readonly packages: Record<string, { readonly bundle: string; readonly also: ReadonlyArray<string>; readonly files: ReadonlyArray<string> }>
}

/** One held-out file: where the run reads it, its package and what it should be routed to. */
interface HeldOutFile {
  readonly sourcePath: string
  readonly pkg: string
  readonly file: string
  readonly bundle: string
  readonly also: ReadonlyArray<string>
}

const UNROUTED = "(unrouted)"
const MISSING = "(no document)"
const pct = (a: number, n: number): string => (n === 0 ? "-" : `${((100 * a) / n).toFixed(0)}%`)

export async function benchGeneralisation(opts: { repoRoot: string; benchDir: string; say: (s?: string) => void }): Promise<Record<string, unknown>> {
  const { repoRoot, benchDir, say } = opts
  const set = JSON.parse(fs.readFileSync(path.join(repoRoot, "bench/generalisation-set.json"), "utf8")) as HeldOutSet
  const dir = path.join(benchDir, "generalisation")
  const input = path.join(dir, "held-out")
  fs.rmSync(dir, { recursive: true, force: true })
  say()
  say("## routing generalisation: held-out files of Debian science packages (bench/generalisation-set.json)")

  const files: HeldOutFile[] = []
  const skipped: string[] = []
  for (const [pkg, entry] of Object.entries(set.packages)) {
    const unpacked = debianPackage(pkg)
    if ("skip" in unpacked) {
      skipped.push(`${pkg} (${unpacked.skip})`)
      continue
    }
    fs.mkdirSync(path.join(input, pkg), { recursive: true })
    for (const [i, file] of entry.files.entries()) {
      // Numbered, so two files of one package with the same name stay apart.
      const name = `${String(i).padStart(2, "0")}-${path.basename(file)}`
      fs.copyFileSync(path.join(unpacked.dir, file), path.join(input, pkg, name))
      files.push({ sourcePath: `held-out/${pkg}/${name}`, pkg, file, bundle: entry.bundle, also: entry.also })
    }
  }
  if (skipped.length > 0) say(`packages not available, left out of the figure: ${skipped.join("; ")}`)
  if (files.length === 0) {
    say("no held-out file available (no apt-get or no network): skipped")
    return { generalisation: { skipped } }
  }

  const pipeline = path.join(dir, "generalisation.yaml")
  fs.writeFileSync(
    pipeline,
    [`name: generalisation`, `inputs:`, `  - path: ${input}`, `tokenizer: o200k_base`, `stages:`, `  - stage: ingest`, `    min_chars: 1`, `  - stage: tokenize`, `  - stage: classify`, ``].join("\n")
  )
  const work = path.join(dir, "work")
  const r = spawnSync(process.execPath, [path.join(repoRoot, "bin/scicurate.mjs"), "run", pipeline, "--work", work], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, SOURCE_DATE_EPOCH: "1700000000" }
  })
  if (r.status !== 0) throw new Error(`generalisation run failed (status ${r.status}):\n${r.stderr}\n${r.stdout}`)

  // One vote per file: the bundle most of its documents went to (ties: the first in name order).
  const votes = new Map<string, Map<string, number>>()
  for (const doc of await readRoutedDocuments(path.join(work, "classify"))) {
    const v = votes.get(doc.source_path) ?? new Map<string, number>()
    const b = doc.bundle ?? UNROUTED
    v.set(b, (v.get(b) ?? 0) + 1)
    votes.set(doc.source_path, v)
  }
  const routedTo = (f: HeldOutFile): string => {
    const v = votes.get(f.sourcePath)
    if (v === undefined) return MISSING
    return [...v].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0]
  }

  interface LabelRow {
    files: number
    exact: number
    acceptable: number
    went: Map<string, number>
  }
  const byLabel = new Map<string, LabelRow>()
  const lines: string[] = []
  for (const f of files) {
    const got = routedTo(f)
    const row = byLabel.get(f.bundle) ?? { files: 0, exact: 0, acceptable: 0, went: new Map<string, number>() }
    row.files++
    if (got === f.bundle) row.exact++
    if (got === f.bundle || f.also.includes(got)) row.acceptable++
    else row.went.set(got, (row.went.get(got) ?? 0) + 1)
    byLabel.set(f.bundle, row)
    lines.push(`  ${got === f.bundle ? "ok  " : f.also.includes(got) ? "also" : "MISS"} ${f.pkg}/${f.file} [${f.bundle}] → ${got}`)
  }
  const total = files.length
  const exact = [...byLabel.values()].reduce((a, x) => a + x.exact, 0)
  const acceptable = [...byLabel.values()].reduce((a, x) => a + x.acceptable, 0)
  say(`${total} files of ${Object.keys(set.packages).length - skipped.length} packages, one vote per file`)
  say(`accuracy: ${exact}/${total} = ${pct(exact, total)} to the package's bundle; ${acceptable}/${total} = ${pct(acceptable, total)} counting the also-acceptable bundles`)
  say("per label (files, to its bundle, acceptable) and where the misses went:")
  for (const [label, row] of [...byLabel].sort((a, b) => a[0].localeCompare(b[0]))) {
    const misses = [...row.went].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([b, n]) => `${b} ${n}`)
    say(`  ${label.padEnd(28)} ${String(row.files).padStart(3)}  ${pct(row.exact, row.files).padStart(4)}  ${pct(row.acceptable, row.files).padStart(4)}${misses.length ? `   misses → ${misses.join(", ")}` : ""}`)
  }
  say("per file:")
  for (const l of lines) say(l)
  return {
    generalisation: {
      files: total,
      accuracy: exact / total,
      acceptable: acceptable / total,
      by_label: Object.fromEntries([...byLabel].map(([l, x]) => [l, { files: x.files, accuracy: x.exact / x.files, acceptable: x.acceptable / x.files, misses: Object.fromEntries(x.went) }])),
      skipped
    }
  }
}
