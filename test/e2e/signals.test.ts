/**
 * Ctrl-C and SIGTERM during a run, through the real CLI: the workers stop, the lock is released, the
 * user is told how to resume, the exit code is 130 or 143, and the rerun ends with the same bytes as an
 * uninterrupted run.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { beforeAll, describe, expect, it } from "vitest"
import { makeTinyPdf } from "../../src/demo/tiny-pdf.ts"
import { cli, filesUnder, repoRoot, tempDir } from "../helpers.ts"

let root: string
let pipeline: string

/** Enough PDFs that the ingest stage is busy for a while on two workers. */
beforeAll(() => {
  root = tempDir()
  const input = path.join(root, "papers")
  fs.mkdirSync(input)
  for (let i = 0; i < 160; i++) {
    const pages = Array.from({ length: 4 }, (_, p) => [
      `Paper ${i}, page ${p + 1}. Phonons carry most of the heat in insulating crystals, and their mean free path sets the thermal conductivity of sample ${i}.`,
      `We measured ${i * 7 + p} samples between 10 K and 300 K; the conductivity falls as T^-1 above the Debye temperature, as Umklapp scattering predicts.`
    ])
    fs.writeFileSync(path.join(input, `paper-${String(i).padStart(3, "0")}.pdf`), makeTinyPdf({ heading: `Thermal transport study ${i}`, pages }))
  }
  pipeline = path.join(root, "signals.yaml")
  fs.writeFileSync(pipeline, "name: signals\ninputs: [papers]\nstages:\n  - stage: ingest\n    tasks: 6\n  - stage: dedup\n    tasks: 2\n")
})

const outputs = (work: string): Map<string, Buffer> =>
  new Map([...filesUnder(work)].filter(([f]) => /(^|\/)(part-\d+-of-\d+\.parquet|_rejects\/.*|_filtered\/.*)$/.test(f)))

/** Whether any process of the group still exists. */
const groupAlive = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

/** Start `scicurate ARGS`, wait until a task of the stage in `stageDir` is running, send `signal`, wait for the exit. */
async function interrupted(args: string[], stageDir: string, signal: "SIGINT" | "SIGTERM", toGroup: boolean): Promise<{ code: number | null; stderr: string; pid: number }> {
  const child = spawn(process.execPath, [path.join(repoRoot, "bin/scicurate.mjs"), ...args], { cwd: repoRoot, detached: true, stdio: ["ignore", "ignore", "pipe"] })
  let stderr = ""
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  // Mid-stage: the plan is written and a task has started (its scratch folder exists) but not all are done.
  const started = () => fs.existsSync(path.join(stageDir, "_tmp")) && fs.readdirSync(path.join(stageDir, "_tmp")).length > 0
  for (let i = 0; i < 600 && !started(); i++) await new Promise((r) => setTimeout(r, 50))
  expect(started(), stderr).toBe(true)
  // Ctrl-C reaches the whole process group; a scheduler's SIGTERM only the coordinator.
  process.kill(toGroup ? -child.pid! : child.pid!, signal)
  const code = await exited
  return { code, stderr, pid: child.pid! }
}

const interruptedRun = (work: string, signal: "SIGINT" | "SIGTERM", toGroup: boolean) =>
  interrupted(["run", pipeline, "--work", work, "--workers", "2"], path.join(work, "ingest"), signal, toGroup)

describe("signals during a run", () => {
  it("stops on SIGTERM with exit 143, no lock and no worker left, says how to resume, and the rerun matches an uninterrupted run", async () => {
    const reference = path.join(root, "reference")
    const ok = cli(["run", pipeline, "--work", reference, "--workers", "2"])
    expect(ok.status, ok.stderr).toBe(0)

    const work = path.join(root, "term")
    const r = await interruptedRun(work, "SIGTERM", false)
    expect(r.code, r.stderr).toBe(143)
    expect(r.stderr).toContain("SIGTERM received: stopping the workers")
    expect(r.stderr).toContain(`To resume, run again:\n  scicurate run ${pipeline} --work ${work} --workers 2\n`)
    expect(fs.existsSync(path.join(work, ".scicurate.lock"))).toBe(false)
    expect(groupAlive(r.pid)).toBe(false) // the coordinator and every worker it started are gone
    expect(fs.existsSync(path.join(work, "dedup", "_plan.json"))).toBe(false) // it stopped inside ingest

    const again = cli(["run", pipeline, "--work", work, "--workers", "2"])
    expect(again.status, again.stderr).toBe(0)
    expect(outputs(work)).toEqual(outputs(reference))
  })

  it("stops on Ctrl-C (SIGINT to the process group) with exit 130 and resumes", async () => {
    const work = path.join(root, "int")
    const r = await interruptedRun(work, "SIGINT", true)
    expect(r.code, r.stderr).toBe(130)
    expect(r.stderr).toContain("To resume, run again:")
    expect(fs.existsSync(path.join(work, ".scicurate.lock"))).toBe(false)
    expect(groupAlive(r.pid)).toBe(false)
    const again = cli(["run", pipeline, "--work", work, "--workers", "2"])
    expect(again.status, again.stderr).toBe(0)
    expect(outputs(work).size).toBeGreaterThan(0)
    expect(outputs(work)).toEqual(outputs(path.join(root, "reference")))
  })

  it("stops a single-stage command the same way", async () => {
    const out = path.join(root, "single")
    const { code, stderr, pid } = await interrupted(["ingest", path.join(root, "papers"), "--out", out, "--workers", "2", "--tasks", "6"], out, "SIGTERM", false)
    expect(code, stderr).toBe(143)
    expect(stderr).toContain(`scicurate ingest ${path.join(root, "papers")} --out ${out} --workers 2 --tasks 6`)
    expect(fs.existsSync(path.join(out, ".scicurate.lock"))).toBe(false)
    expect(groupAlive(pid)).toBe(false)
  })
})
