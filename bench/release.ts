/**
 * The release section of `make bench` (`--only=release`): ingest of the whole shared corpus (text,
 * papers, simulation, formats) by the previous release and by this checkout, in the same invocation,
 * as a ratio. Answers "did this change slow ingest down?" without comparing timings across machines.
 *
 * The previous release is a git commit (`SCICURATE_BASELINE_REF`, default the 0.3.0 release commit),
 * unpacked with `git archive` into `.bench/` and run with this checkout's node_modules (a release's
 * dependencies are a subset of later ones). Runs alternate (before, after, before, after, ...): the rows
 * show the fastest run of each side, and the ratio line also gives the median of the per-round ratios,
 * since a 2-core machine drifts by 20% within minutes and each round's pair shares the same moment.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { runCli, type CliRun } from "./pdf.ts"

/** The last commit of release 0.3.0 (domain bundles, before issue 12 reworked stages and readers). */
const DEFAULT_BASELINE = "29276f8"
const ROUNDS = 5
const TASKS = 4
const WORKERS = 2

/** Unpack `ref` into `dir`; null with the reason when it cannot (no git, a shallow clone without that commit). */
function checkoutRelease(repoRoot: string, ref: string, dir: string): string | null {
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const archive = spawnSync("bash", ["-c", `git -C "${repoRoot}" archive --format=tar "${ref}" | tar -x -C "${dir}"`], { encoding: "utf8" })
  if (archive.status !== 0 || !fs.existsSync(path.join(dir, "bin/scicurate.mjs"))) return `cannot unpack ${ref}: ${archive.stderr.trim() || "no bin/scicurate.mjs"}`
  fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"))
  return null
}

const mb = (b: number) => (b / 1e6).toFixed(1)
const sum = (xs: ReadonlyArray<number>) => xs.reduce((a, x) => a + x, 0)
const pad = (s: string | number, n: number) => String(s).padStart(n)

export async function benchRelease(opts: { repoRoot: string; corpus: string; benchDir: string; say: (s?: string) => void }): Promise<Record<string, unknown>> {
  const { repoRoot, corpus, benchDir, say } = opts
  const ref = process.env.SCICURATE_BASELINE_REF ?? DEFAULT_BASELINE
  const releaseDir = path.join(benchDir, "release")
  const problem = checkoutRelease(repoRoot, ref, releaseDir)
  say()
  say(`## release: ingest of the shared corpus, previous release (${ref}) against this checkout, ${WORKERS} workers, ${TASKS} tasks`)
  if (problem) {
    say(`skipped: ${problem}`)
    return { release: { skipped: problem } }
  }
  const inputs = ["text", "papers", "simulation", "formats"].map((d) => path.join(corpus, d)).filter((d) => fs.existsSync(d))
  const bytes = inputs.reduce((n, d) => n + duBytes(d), 0)
  const best = { before: null as CliRun | null, after: null as CliRun | null }
  const pairRatios: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const pair: Partial<Record<"before" | "after", CliRun>> = {}
    for (const [side, root] of [["before", releaseDir], ["after", repoRoot]] as const) {
      const run = runCli(root, inputs, path.join(benchDir, `release-${side}`), WORKERS, TASKS)
      pair[side] = run
      if (best[side] === null || run.stageWall < best[side]!.stageWall) best[side] = run
    }
    pairRatios.push(pair.before!.stageWall / pair.after!.stageWall)
  }
  const medianRatio = [...pairRatios].sort((a, b) => a - b)[Math.floor(pairRatios.length / 2)]!
  const before = best.before!
  const after = best.after!
  say(`${"version".padEnd(8)} ${pad("docs", 6)} ${pad("MB in", 6)} ${pad("stage s", 8)} ${pad("MB/s", 6)} ${pad("docs/s", 7)} ${pad("task s (sum)", 12)} ${pad("command s", 9)} ${pad("peak worker RSS MB", 18)}`)
  for (const [name, r] of [["before", before], ["after", after]] as const) {
    say(
      `${name.padEnd(8)} ${pad(r.documents, 6)} ${pad(mb(bytes), 6)} ${pad(r.stageWall.toFixed(2), 8)} ${pad((bytes / 1e6 / r.stageWall).toFixed(2), 6)} ${pad((r.documents / r.stageWall).toFixed(0), 7)} ${pad(sum(r.taskSeconds).toFixed(2), 12)} ${pad(r.wall.toFixed(2), 9)} ${pad(mb(r.peakTaskRss), 18)}`
    )
  }
  const speed = before.stageWall / after.stageWall
  const cpu = sum(before.taskSeconds) / sum(after.taskSeconds)
  const command = before.wall / after.wall
  const memory = after.peakTaskRss / before.peakTaskRss
  say(
    `after/before: stage throughput ${speed.toFixed(2)}x (fastest runs), ${medianRatio.toFixed(2)}x (median of ${ROUNDS} paired rounds: ${pairRatios.map((r) => r.toFixed(2)).join(" ")}), task seconds ${cpu.toFixed(2)}x, whole command ${command.toFixed(2)}x (above 1 is faster); peak worker memory ${memory.toFixed(2)}x; documents ${before.documents} -> ${after.documents}`
  )
  return { release: { ref, bytes, before, after, throughputRatio: speed, pairRatios, medianRatio, taskSecondsRatio: cpu, commandRatio: command, memoryRatio: memory } }
}

function duBytes(dir: string): number {
  let n = 0
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name)
    if (e.isDirectory()) n += duBytes(abs)
    else if (e.isFile()) n += fs.statSync(abs).size
  }
  return n
}
