/**
 * The Slurm executor against a real slurmctld: the one-node cluster of ../shared/slurm/start-local-slurm.sh,
 * started here when it is not running (as root; about 10 s, apt-get included on a clean machine). Skipped
 * with a visible message, which fails the run under CI, only when the cluster cannot start.
 *
 * - the demo pipeline through Slurm writes the same bytes as the local executor (shards of every stage,
 *   bundles), with arrays split at a lowered MaxArraySize;
 * - a failing task (a fault injected in one task; scancel of one array index) leaves what depends on it
 *   cancelled, `status` names the task, why and its log, and `run` again submits only what is unfinished;
 * - `kill -9` of the `run` following the jobs loses nothing: `run` again attaches to the queued jobs;
 * - `--dry-run` prints the scripts (with the stage's and phase's settings) and submits nothing;
 * - the shared-corpus pipeline through Slurm writes the local executor's bundles.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { loadPipeline } from "../../src/pipeline/config.ts"
import { writeSampleCorpus } from "../../src/demo/sample-corpus.ts"
import type { Submission } from "../../src/executors/slurm.ts"
import { cli, cliDetached, corpusDir, filesUnder, hasCorpus, repoRoot, requirePresent, tempDir } from "../helpers.ts"

const START = path.resolve(repoRoot, "../shared/slurm/start-local-slurm.sh")

const STOP = path.resolve(repoRoot, "../shared/slurm/stop-local-slurm.sh")
/** Set when this file started the cluster: it stops it again when done (a cluster it found running stays). */
let startedHere = false

/** Whether the local cluster answers; started (idempotently) when it does not. */
function clusterReady(): boolean {
  const state = spawnSync("sinfo", ["-h", "-o", "%T"], { encoding: "utf8" })
  if (state.status === 0 && /idle|mix|alloc/.test(state.stdout)) return true
  if (!fs.existsSync(START)) return false
  startedHere = true
  // More CPUs than the machine has, so that an array's tasks run side by side (the start script's knob).
  const r = spawnSync("bash", [START], { encoding: "utf8", env: { ...process.env, LOCAL_SLURM_CPUS: process.env.LOCAL_SLURM_CPUS ?? "8" }, timeout: 600_000 })
  if (r.status !== 0) console.warn(`[scicurate tests] ${START} failed:\n${r.stderr.split("\n").slice(-8).join("\n")}`)
  return r.status === 0
}

const hasSlurm = requirePresent("a local Slurm cluster (slurmctld from ../shared/slurm/start-local-slurm.sh)", clusterReady(), "the Slurm executor tests")

const demo = path.join(repoRoot, "pipelines/demo.yaml")
const env = { SOURCE_DATE_EPOCH: "1700000000", SCICURATE_SLURM_POLL_MS: "300" }
const readSubmission = (work: string): Submission => JSON.parse(fs.readFileSync(path.join(work, "_slurm/submission.json"), "utf8"))
const jobIds = (work: string): string[] => readSubmission(work).jobs.flatMap((j) => j.chunks.map((c) => c.id))
/** Every `part-*` file of every stage folder, by relative path: the datasets each stage wrote. */
function stageShards(work: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  for (const stage of ["ingest", "dedup", "filter", "language", "pii", "tokenize", "classify"]) {
    for (const name of fs.readdirSync(path.join(work, stage)).filter((n) => n.startsWith("part-"))) out.set(`${stage}/${name}`, fs.readFileSync(path.join(work, stage, name)))
  }
  return out
}
/** Wait until none of a work folder's submitted jobs is in the queue. */
async function jobsGone(work: string): Promise<void> {
  const ids = new Set(jobIds(work))
  for (;;) {
    const q = spawnSync("squeue", ["--me", "-h", "-o", "%F"], { encoding: "utf8" })
    if (!q.stdout.split("\n").some((id) => ids.has(id.trim()))) return
    await sleep(300)
  }
}

describe.skipIf(!hasSlurm)("the Slurm executor on a real cluster", () => {
  let root: string
  let sample: string
  let local: string
  const works: string[] = []
  const run = (work: string, extra: string[] = [], more: Record<string, string> = {}) => {
    works.push(work)
    return cli(["run", demo, "--work", work, "--executor", "slurm", ...extra], { ...env, SCICURATE_SAMPLE: sample, ...more })
  }

  beforeAll(async () => {
    root = tempDir()
    sample = path.join(root, "sample")
    await writeSampleCorpus(sample)
    local = path.join(root, "local")
    const r = cli(["run", demo, "--work", local, "--workers", "2"], { ...env, SCICURATE_SAMPLE: sample })
    expect(r.status, r.stderr).toBe(0)
  })

  afterAll(() => {
    // Nothing of ours left in the queue, whatever a failed test left behind.
    for (const work of works) if (fs.existsSync(path.join(work, "_slurm/submission.json"))) cli(["cancel", work])
    if (startedHere && fs.existsSync(STOP)) spawnSync("bash", [STOP], { stdio: "ignore", timeout: 120_000 })
  })

  it("runs the demo pipeline as job arrays and writes the local executor's bytes, arrays split at MaxArraySize", () => {
    const work = path.join(root, "slurm")
    const scratch = path.join(root, "node-local")
    const r = run(work, ["--scratch", scratch], { SCICURATE_SLURM_MAX_ARRAY_SIZE: "3" })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^bundle\s+2\/2/m)
    expect(r.stdout).not.toContain("UNBALANCED")
    // Every stage's wall time, from Slurm's start and end times of its jobs.
    for (const stage of ["ingest", "dedup", "filter", "language", "pii", "tokenize", "classify", "bundle"]) expect(r.stdout).toMatch(new RegExp(`^${stage}\\s+\\d+/\\d+ .* \\d+\\.\\d s\\s+ok$`, "m"))
    expect(filesUnder(path.join(work, "bundles"))).toEqual(filesUnder(path.join(local, "bundles")))
    expect(stageShards(work)).toEqual(stageShards(local))
    const submission = readSubmission(work)
    // Ingest's 4 tasks do not fit arrays of 3: two arrays, the second for rank 3 alone as index 0.
    const ingest = submission.jobs.find((j) => j.name === "ingest")!
    expect(ingest.chunks.map((c) => [c.offset, c.indices])).toEqual([
      [0, [0, 1, 2]],
      [3, [0]]
    ])
    expect(submission.jobs.map((j) => j.name)).toEqual(["ingest", "plan-dedup", "dedup-exact", "minhash-signatures", "minhash-buckets", "minhash-clusters", "dedup", "plan-filter", "filter", "plan-language", "language", "plan-pii", "pii", "plan-tokenize", "tokenize", "plan-classify", "classify", "plan-bundle", "bundle-shards", "bundle"])
    // The clusters task's memory follows the documents, known once ingest has run: the planning job raised it.
    const raised = /minhash-clusters \(job \d+\): --mem (\d+)M for (\d+) documents/.exec(fs.readFileSync(path.join(work, "_slurm/logs/dedup/plan.log"), "utf8"))
    expect(raised, "the planning job's log names the raised --mem").not.toBeNull()
    expect(Number(raised![1])).toBe(4096 + Math.ceil((Number(raised![2]) * 48) / 1048576))
    // One log per task in the work folder, saying where it ran.
    expect(fs.readFileSync(path.join(work, "_slurm/logs/ingest/3.log"), "utf8")).toMatch(new RegExp(`ingest task 3 of 4, job \\d+_0 on .*, scratch ${scratch}`))
    // The tasks' temporaries went to the scratch folder (made by the first task, emptied by each), never to the stage folders.
    expect(fs.readdirSync(scratch)).toEqual([])
    for (const stage of ["ingest", "dedup", "filter", "language", "pii", "tokenize", "classify"]) expect(fs.existsSync(path.join(work, stage, "_tmp")), stage).toBe(false)
    const status = cli(["status", work])
    expect(status.stdout).toMatch(/^ingest\s+\d+,\d+\s+4\s+4\s+0\s+0\s+0\s+0$/m)
    expect(status.stdout).toMatch(/^bundle\s+\d+\s+2\s+2\s/m)
    // Run again: nothing left to do, nothing submitted.
    const again = run(work)
    expect(again.status, again.stderr).toBe(0)
    expect(again.stderr).toContain("every task is done; nothing to submit")
  })

  it("a failing task cancels what depends on it; status names the task, why and its log; run again finishes", async () => {
    const work = path.join(root, "failing")
    const r = run(work, [], { SCICURATE_FAULT: "fail-task:tokenize:1" })
    expect(r.status).toBe(1)
    const log = path.join(work, "_slurm/logs/tokenize/1.log")
    expect(r.stderr).toMatch(/failed: tokenize task 2 of 2 \(job \d+_1\): FAILED, exit code 1/)
    expect(r.stderr).toContain(`log ${log}`)
    expect(r.stderr).toMatch(/cancelled: classify \(job \d+, 2 task\(s\) never started\): an earlier job failed or was cancelled/)
    expect(r.stderr).toContain("only the unfinished tasks are submitted")
    const status = cli(["status", work])
    expect(status.stdout).toMatch(/failed: tokenize task 2 of 2 .*exit code 1/)
    expect(status.stdout).toContain("last line of the log: injected fault")
    expect(status.stdout).toMatch(/^bundle\s+\d+\s+2\s+0\s+0\s+0\s+0\s+2$/m)
    // Nothing downstream ran.
    expect(fs.existsSync(path.join(work, "classify/_done"))).toBe(false)

    const again = run(work)
    expect(again.status, again.stderr).toBe(0)
    // Only the unfinished: tokenize's failed task, then the stages after it.
    const names = readSubmission(work).jobs.map((j) => [j.name, j.ranks.length])
    expect(names[0]).toEqual(["tokenize", 1])
    expect(names.map((n) => n[0])).not.toContain("ingest")
    expect(filesUnder(path.join(work, "bundles"))).toEqual(filesUnder(path.join(local, "bundles")))
  })

  it("scancel of one array index cancels the jobs after it; run again resubmits only that task and what follows", async () => {
    const work = path.join(root, "scancel")
    const r = run(work, ["--detach"])
    expect(r.status, r.stderr).toBe(0)
    // dedup-exact waits for ingest (and the planning of dedup): cancel its second task while it is pending.
    const exact = readSubmission(work).jobs.find((j) => j.name === "dedup-exact")!.chunks[0]!.id
    expect(spawnSync("scancel", [`${exact}_1`]).status).toBe(0)
    await jobsGone(work)
    const status = cli(["status", work])
    expect(status.stdout).toMatch(new RegExp(`cancelled: dedup-exact \\(job ${exact}, 1 task\\(s\\) never started\\): cancelled before it started`))
    expect(status.stdout).toMatch(/cancelled: minhash-signatures \(job \d+, 2 task\(s\) never started\): an earlier job failed or was cancelled \(dependency never satisfied\)/)
    expect(status.stdout).toMatch(/^dedup-exact\s+\d+\s+2\s+1\s+0\s+0\s+0\s+1$/m)

    const again = run(work)
    expect(again.status, again.stderr).toBe(0)
    const jobs = readSubmission(work).jobs
    expect(jobs[0]!.name).toBe("dedup-exact")
    expect(jobs[0]!.ranks).toEqual([1])
    expect(filesUnder(path.join(work, "bundles"))).toEqual(filesUnder(path.join(local, "bundles")))
  })

  it("cancel scancels what the run submitted; a local run refuses the folder while its jobs are queued", async () => {
    const work = path.join(root, "cancelled")
    expect(run(work, ["--detach"]).status).toBe(0)
    const local = cli(["run", demo, "--work", work, "--workers", "1"], { ...env, SCICURATE_SAMPLE: sample })
    expect(local.status).toBe(2)
    expect(local.stderr).toMatch(/Slurm jobs [\d, ]+ submitted for it are still queued/)
    const r = cli(["cancel", work])
    expect(r.status, r.stderr).toBe(0)
    // Those still queued (ingest may have ended meanwhile): at least the last stage's.
    expect(Number(/cancelled (\d+) job\(s\)/.exec(r.stdout)?.[1])).toBeGreaterThanOrEqual(1)
    await jobsGone(work)
    const status = cli(["status", work])
    expect(status.stdout).toMatch(/0 job\(s\) still in the queue/)
    expect(status.stdout).toMatch(/^bundle\s+\d+\s+2\s+0\s+0\s+0\s+0\s+2$/m)
    expect(cli(["cancel", work]).stdout).toContain("nothing to cancel")
  })

  it("kill -9 of the run following the jobs loses nothing: run again attaches to them", async () => {
    const work = path.join(root, "killed")
    works.push(work)
    const child = cliDetached(["run", demo, "--work", work, "--executor", "slurm"], { ...env, SCICURATE_SAMPLE: sample })
    const file = path.join(work, "_slurm/submission.json")
    while (!(fs.existsSync(file) && readSubmission(work).complete)) await sleep(100)
    const submitted = readSubmission(work)
    process.kill(child.pid!, "SIGKILL")
    const again = run(work)
    expect(again.status, again.stderr).toBe(0)
    expect(again.stderr).toMatch(/attaching to \d+ job\(s\) still queued/)
    expect(again.stderr).toContain("nothing submitted")
    // The same submission: no job submitted twice.
    expect(readSubmission(work)).toEqual(submitted)
    expect(filesUnder(path.join(work, "bundles"))).toEqual(filesUnder(path.join(local, "bundles")))
  })

  it("--dry-run prints the sbatch scripts with the command line's and the pipeline's settings, and submits nothing", () => {
    const pipeline = path.join(root, "tuned.yaml")
    const text = fs
      .readFileSync(demo, "utf8")
      .replace("${SCICURATE_SAMPLE:-../work/sample}", sample)
      .replace(/(- stage: dedup\n\s+tasks: 2\n)/, "$1    slurm:\n      mem: 8G\n      phases:\n        minhash-buckets:\n          mem: 16G\n          sbatch_args: [--constraint=bigmem]\n")
    fs.writeFileSync(pipeline, text)
    const work = path.join(root, "dry")
    const r = cli(["run", pipeline, "--work", work, "--executor", "slurm", "--dry-run", "--partition", "debug", "--max-parallel", "2", "--time", "00:30:00", "--sbatch-arg=--qos=normal"], env)
    expect(r.status, r.stderr).toBe(0)
    expect(fs.existsSync(work) && fs.readdirSync(work).length > 0).toBe(false)
    const script = r.stdout
    expect(script.match(/\$\(sbatch --parsable/g)).toHaveLength(20)
    const block = (name: string) => script.slice(script.indexOf(`# ${name}:`), script.indexOf("SBATCH\n)", script.indexOf(`# ${name}:`)))
    const expected: Array<[string, string]> = [
      ["ingest", "#SBATCH --array=0-3%2"],
      ["ingest", "#SBATCH --mem=4096M"],
      ["ingest", "#SBATCH --partition=debug"],
      ["ingest", "#SBATCH --time=00:30:00"],
      ["ingest", "#SBATCH --qos=normal"],
      ["dedup-exact", "#SBATCH --mem=8G"],
      ["dedup-exact", "--dependency=afterok:${job2%%;*} --kill-on-invalid-dep=yes"],
      ["minhash-buckets", "#SBATCH --mem=16G"],
      ["minhash-buckets", "#SBATCH --constraint=bigmem"],
      ["minhash-buckets", "#SBATCH --qos=normal"]
    ]
    for (const [name, line] of expected) expect(block(name), name).toContain(line)
    expect(block("plan-dedup")).toContain("slurm-plan-job.ts")
  })

  it("a stage's slurm block changes no plan: the config hash the manifests record is the same without it", async () => {
    const tuned = path.join(root, "tuned.yaml")
    const plain = path.join(root, "plain.yaml")
    fs.writeFileSync(plain, fs.readFileSync(tuned, "utf8").replace(/    slurm:\n(      .*\n|        .*\n|          .*\n)*/, ""))
    expect(fs.readFileSync(plain, "utf8")).not.toContain("slurm")
    const [a, b] = await Promise.all([tuned, plain].map((f) => Effect.runPromise(loadPipeline(f))))
    expect(a!.config.stages[1]).toHaveProperty("slurm")
    expect(a!.configSha256).toBe(b!.configSha256)
  })

  it.skipIf(!hasCorpus)("the shared-corpus pipeline through Slurm writes the local executor's bundles", () => {
    const pipeline = path.join(repoRoot, "pipelines/shared-corpus.yaml")
    const corpusEnv = { ...env, SCICURATE_CORPUS: corpusDir }
    const localWork = path.join(root, "corpus-local")
    const slurmWork = path.join(root, "corpus-slurm")
    works.push(slurmWork)
    expect(cli(["run", pipeline, "--work", localWork, "--workers", "2"], corpusEnv).status).toBe(0)
    const r = cli(["run", pipeline, "--work", slurmWork, "--executor", "slurm"], corpusEnv)
    expect(r.status, r.stderr).toBe(0)
    expect(filesUnder(path.join(slurmWork, "bundles"))).toEqual(filesUnder(path.join(localWork, "bundles")))
  })
})

describe("the Slurm executor where there is no Slurm", () => {
  it("run says sbatch is missing and writes nothing; --dry-run still prints the scripts for review", async () => {
    const root = tempDir()
    const sample = path.join(root, "sample")
    await writeSampleCorpus(sample)
    const work = path.join(root, "w")
    // A PATH with Node and nothing else: no sbatch, squeue or scontrol.
    const noSlurm = { ...env, SCICURATE_SAMPLE: sample, PATH: path.dirname(process.execPath) }
    const r = cli(["run", demo, "--work", work, "--executor", "slurm"], noSlurm)
    expect(r.status).toBe(1)
    expect(r.stderr).toContain("scicurate: sbatch: not found (is this a Slurm login node?)")
    expect(fs.existsSync(work)).toBe(false)
    const dry = cli(["run", demo, "--work", work, "--executor", "slurm", "--dry-run"], noSlurm)
    expect(dry.status, dry.stderr).toBe(0)
    expect(dry.stdout).toContain("#SBATCH --array=0-3")
    expect(fs.existsSync(work)).toBe(false)
  })
})
