/** Shared test helpers: where things are, and running the real CLI as a user would. */
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { openDuckDB } from "../src/core/duckdb.ts"
import { fileURLToPath } from "node:url"
import { expect } from "vitest"

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
export const corpusDir = path.resolve(repoRoot, process.env.SCICURATE_CORPUS ?? "../shared/corpus")

/**
 * Where tests record what they skipped for want of a tool or the shared corpus, one JSON line each.
 * `make test` empties it before the run; scripts/test-summary.mjs reads it and, under CI=true, fails the
 * run naming each one: a CI run that skipped the pdftotext, OCR, qpdf or numpy tests is not green.
 */
export const missingRequirementsFile = path.resolve(repoRoot, process.env.SCICURATE_MISSING_LOG ?? ".test-results/missing-requirements.jsonl")

/**
 * `present`, after saying loudly (and recording, see above) that `requirement` is missing and that
 * `skipped` will not run. Use as `const hasQpdf = requirePresent("qpdf", commandWorks("qpdf"), "the encrypted-PDF tests")`.
 */
export function requirePresent(requirement: string, present: boolean, skipped: string): boolean {
  if (present) return present
  const testFile = (new Error().stack ?? "").split("\n").map((l) => /(\/test\/[^:)]*\.test\.ts)/.exec(l)?.[1]).find(Boolean) ?? "?"
  console.warn(`[scicurate tests] ${requirement} is missing, so this is skipped: ${skipped}${process.env.CI ? " (which fails the run under CI)" : ""}`)
  try {
    fs.mkdirSync(path.dirname(missingRequirementsFile), { recursive: true })
    fs.appendFileSync(missingRequirementsFile, `${JSON.stringify({ requirement, skipped, testFile: testFile.replace(/^\//, "") })}\n`)
  } catch {
    // a read-only checkout: the warning above is all we can do
  }
  return present
}

/** Whether a command runs (`cmd --version` exits 0). */
export const commandWorks = (cmd: string): boolean => spawnSync(cmd, ["--version"], { stdio: "ignore" }).status === 0

/** Debian's python3, which runs the independent numpy and torch readers of token shards. */
export const PYTHON = "/usr/bin/python3"
/** Whether Debian's python3 imports `module`. */
export const hasPythonModule = (module: string): boolean => fs.existsSync(PYTHON) && spawnSync(PYTHON, ["-c", `import ${module}`]).status === 0

/**
 * The shared corpus is a requirement like a tool: absent under CI it fails the run, unless the run says
 * it has no corpus on purpose (SCICURATE_ALLOW_NO_CORPUS=1).
 */
export const hasCorpus =
  fs.existsSync(path.join(corpusDir, "SOURCES.md")) ||
  (process.env.SCICURATE_ALLOW_NO_CORPUS === "1"
    ? (console.warn(`[scicurate tests] ${corpusDir} is absent (allowed by SCICURATE_ALLOW_NO_CORPUS=1): tests on the shared corpus are skipped`), false)
    : requirePresent(`the shared corpus (${corpusDir})`, false, "tests on the shared corpus"))

const created: string[] = []

/** Remove the folders `tempDir` made (test/setup.ts calls it after each test file). */
export function removeTempDirs(): void {
  if (process.env.SCICURATE_KEEP_TEST_DIRS) return
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
}

export function tempDir(prefix = "scicurate-test-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  created.push(dir)
  return dir
}

export interface CliResult {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Run `scicurate ARGS` through the real launcher with the Node running the tests. */
export function cli(args: ReadonlyArray<string>, env: Record<string, string> = {}): CliResult {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [path.join(repoRoot, "bin/scicurate.mjs"), ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 600_000
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

/** Start `scicurate ARGS` in its own process group, so a test can kill it together with its workers. */
export function cliDetached(args: ReadonlyArray<string>, env: Record<string, string> = {}) {
  return spawn(process.execPath, [path.join(repoRoot, "bin/scicurate.mjs"), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    detached: true,
    stdio: "ignore"
  })
}

/** Every file under a folder with its bytes, for byte-for-byte comparisons of two runs. */
export function filesUnder(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name)
      if (fs.statSync(p).isDirectory()) walk(p)
      else out.set(path.relative(dir, p), fs.readFileSync(p))
    }
  }
  walk(dir)
  return out
}

/** The records in a stage folder's `_rejects/*.jsonl`, in file order. */
export function readRejects(stageDir: string): Array<{ source_path: string; stage: string; reason: string; detail: string; location?: string }> {
  const dir = path.join(stageDir, "_rejects")
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir)
    .sort()
    .flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").trim().split("\n"))
    .filter(Boolean)
    .map((l) => JSON.parse(l))
}

/**
 * The reviewed golden copy of `actual` at `file`. A missing golden fails the test: goldens are written
 * only when asked for with UPDATE_GOLDEN=1 (then review the diff by eye before committing), never from
 * the code's own output on a run that merely lacks the file — that would make the check pass by
 * construction.
 */
export function expectGolden(file: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === "1") {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, actual)
  } else if (!fs.existsSync(file)) {
    throw new Error(`golden file ${path.relative(repoRoot, file)} is missing: write it with UPDATE_GOLDEN=1 and review the diff by eye`)
  }
  expect(actual, `${path.relative(repoRoot, file)} (after a deliberate change: UPDATE_GOLDEN=1, then review the diff)`).toBe(
    fs.readFileSync(file, "utf8")
  )
}

/**
 * Every task's completion marker under a work folder (`_done/<rank>` of each stage and of a stage's
 * phases) with its modification time: a resumed run must leave the markers of finished tasks untouched,
 * which a run that redid everything would not.
 */
export function doneMarkers(work: string): Map<string, number> {
  const out = new Map<string, number>()
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      // A marker being written when the run was killed is a hidden temporary (`.<rank>.<pid>.tmp`), not a marker.
      else if (path.basename(d) === "_done" && !e.name.startsWith(".")) out.set(path.relative(work, p), fs.statSync(p).mtimeMs)
    }
  }
  if (fs.existsSync(work)) walk(work)
  return out
}

/** The stages of a work folder whose every task has its marker (planned `world` tasks, all `_done`). */
export function completedStages(work: string): string[] {
  return fs
    .readdirSync(work)
    .filter((d) => fs.existsSync(path.join(work, d, "_plan.json")))
    .filter((d) => {
      const plan = JSON.parse(fs.readFileSync(path.join(work, d, "_plan.json"), "utf8")) as { world: number }
      const done = path.join(work, d, "_done")
      return fs.existsSync(done) && fs.readdirSync(done).length === plan.world
    })
    .sort()
}

/**
 * Check a resumed run against what the killed one had finished (`markers`, `stages` taken before the
 * rerun): no finished task ran again, and each finished stage was reported as already done.
 */
export function expectNothingRedone(work: string, before: { markers: Map<string, number>; stages: string[] }, output: string): void {
  const after = doneMarkers(work)
  const redone = [...before.markers].filter(([marker, mtime]) => after.get(marker) !== mtime).map(([marker]) => marker)
  expect(redone, "tasks finished before the kill ran again (their _done markers were rewritten or removed)").toEqual([])
  for (const stage of before.stages) expect(output, `${stage} was complete before the kill`).toMatch(new RegExp(`^${stage}: .*already done`, "m"))
}

/** The rows of one query over files (read_parquet, read_json, ...) in a fresh in-memory DuckDB. */
export async function query<T>(sql: string): Promise<T[]> {
  const { instance, connection } = await openDuckDB()
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS() as T[]
  } finally {
    connection.closeSync()
    instance.closeSync()
  }
}
