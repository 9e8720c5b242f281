/**
 * The code and simulation-output sections of `make bench`: `scicurate ingest` through the CLI with 1
 * and 2 workers on real inputs, files/s, MB/s and peak worker memory, against a baseline measured in
 * the same invocation (reading and hashing the same files in one process: the floor any ingest pays).
 *
 * Code: Debian's python3-scipy, fetched by name and unpacked (scripts/debian-package.ts). Simulation:
 * the shared corpus's simulation/ folder (LAMMPS, Quantum ESPRESSO, quantum-chemistry logs, CSV,
 * netCDF, HDF5), COPIES times over so start-up does not decide the figure.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { debianPackage } from "../scripts/debian-package.ts"
import { runCli, type CliRun } from "./pdf.ts"

const COPIES = 4

function filesUnder(dir: string): string[] {
  const out: string[] = []
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...filesUnder(abs))
    else if (e.isFile()) out.push(abs)
  }
  return out.sort()
}

/** Read + sha256 of every file, in this process: MB/s. */
function readBaseline(files: ReadonlyArray<string>): number {
  const started = performance.now()
  let bytes = 0
  for (const f of files) {
    const b = fs.readFileSync(f)
    bytes += b.length
    createHash("sha256").update(b).digest()
  }
  return bytes / 1e6 / ((performance.now() - started) / 1000)
}

/** extractFile over every file in this process, after a warm-up pass: the readers' own throughput. */
async function inProcess(files: ReadonlyArray<string>, root: string): Promise<{ seconds: number; items: number }> {
  const { extractFile } = await import("../src/ingest/extract.ts")
  const once = async () => {
    let items = 0
    const started = performance.now()
    for (const f of files) {
      const input = { absPath: f, sourcePath: path.relative(path.dirname(root), f).split(path.sep).join("/"), size: fs.statSync(f).size, license: null, domain: null }
      for await (const _ of extractFile(input, { minChars: 1, maxFileBytes: 256 * 1024 * 1024, maxRecordBytes: 64 * 1024 * 1024 })) items++
    }
    return { seconds: (performance.now() - started) / 1000, items }
  }
  await once()
  return once()
}

async function section(name: string, input: string, repoRoot: string, benchDir: string, say: (s?: string) => void): Promise<Record<string, unknown>> {
  const files = filesUnder(input)
  const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0)
  const baseline = Math.max(readBaseline(files), readBaseline(files))
  const warm = await inProcess(files, input)
  const runs: CliRun[] = []
  for (const workers of [1, 2]) runs.push(runCli(repoRoot, input, path.join(benchDir, `${name}-w${workers}`), workers, 4))
  say(`## ${name}: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB (${path.relative(repoRoot, input) || input})`)
  say(`${"workers".padStart(7)} ${"wall s".padStart(7)} ${"files/s".padStart(8)} ${"MB/s".padStart(6)} ${"documents".padStart(9)} ${"peak worker RSS MB".padStart(18)} ${"coord RSS MB".padStart(12)}`)
  for (const r of runs) {
    say(`${String(r.workers).padStart(7)} ${r.wall.toFixed(2).padStart(7)} ${(files.length / r.wall).toFixed(0).padStart(8)} ${(bytes / 1e6 / r.wall).toFixed(2).padStart(6)} ${String(r.documents).padStart(9)} ${(r.peakTaskRss / 1e6).toFixed(1).padStart(18)} ${(r.coordinatorRss / 1e6).toFixed(1).padStart(12)}`)
  }
  say(`${"in-process extractFile, warm, 1 core:".padEnd(40)} ${warm.seconds.toFixed(2)} s, ${(files.length / warm.seconds).toFixed(0)} files/s, ${(bytes / 1e6 / warm.seconds).toFixed(2)} MB/s (${warm.items} items)`)
  say(`task seconds (_stats): --workers 1 ${runs[0]!.taskSeconds.map((t) => t.toFixed(2)).join(" + ")}; --workers 2 ${runs[1]!.taskSeconds.map((t) => t.toFixed(2)).join(" + ")}; CLI start-up and planning ~${(runs[0]!.wall - runs[0]!.stageWall).toFixed(2)} s per run`)
  const [one, two] = runs as [CliRun, CliRun]
  say(`speedup of --workers 2 over --workers 1: ${(one.wall / two.wall).toFixed(2)}x; baseline read+sha256 in one process ${baseline.toFixed(0)} MB/s -> ingest (1 worker) at ${(bytes / 1e6 / one.wall / baseline).toFixed(3)}x`)
  return { files: files.length, bytes, baselineMBps: baseline, inProcessSeconds: warm.seconds, runs: runs.map((r) => ({ ...r, left: r.left.size })) }
}

export async function benchFamilies(opts: { repoRoot: string; corpus: string; benchDir: string; say: (s?: string) => void }): Promise<Record<string, unknown>> {
  const { repoRoot, corpus, benchDir, say } = opts
  const results: Record<string, unknown> = {}
  const scipy = debianPackage("python3-scipy")
  say()
  if ("skip" in scipy) say(`## code: skipped (${scipy.skip})`)
  else results["code"] = await section("code-python3-scipy", scipy.dir, repoRoot, benchDir, say)
  const sim = path.join(corpus, "simulation")
  say()
  if (!fs.existsSync(sim)) say(`## simulation: ${sim} is absent; skipped`)
  else {
    const copies = path.join(benchDir, `simulation-x${COPIES}`)
    fs.rmSync(copies, { recursive: true, force: true })
    for (let c = 0; c < COPIES; c++) {
      fs.mkdirSync(path.join(copies, `copy${c}`), { recursive: true })
      for (const f of fs.readdirSync(sim)) fs.copyFileSync(path.join(sim, f), path.join(copies, `copy${c}`, f))
    }
    results["simulation"] = await section(`simulation-x${COPIES}`, copies, repoRoot, benchDir, say)
  }
  return results
}
