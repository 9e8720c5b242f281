/**
 * The Slurm executor's pure part: ranks to `--array` specs under MaxArraySize, Slurm's own index lists
 * read back, job settings (command line < stage < phase), the memory model, and the job scripts.
 */
import { describe, expect, it } from "vitest"
import { arraySpec, chunkRanks, dependencyArgs, expandArraySpec, jobScript, jobSettings, taskMemoryMb, TASK_BASE_MB, type JobSpec, type ScriptContext } from "../../src/executors/slurm-jobs.ts"
import { parseJobLines } from "../../src/executors/slurm.ts"

describe("array specs", () => {
  it("writes runs of ranks as ranges, with %K for the parallel limit", () => {
    expect(arraySpec([0, 1, 2, 3])).toBe("0-3")
    expect(arraySpec([1, 3, 5])).toBe("1,3,5")
    expect(arraySpec([5, 0, 1, 2, 9, 8, 2])).toBe("0-2,5,8-9")
    expect(arraySpec([1, 3, 5], 2)).toBe("1,3,5%2")
  })

  it("reads back what Slurm prints (ranges, steps, a %K suffix)", () => {
    expect(expandArraySpec("1,3-5")).toEqual([1, 3, 4, 5])
    expect(expandArraySpec("0-6:3")).toEqual([0, 3, 6])
    expect(expandArraySpec("2-3%4")).toEqual([2, 3])
    for (const ranks of [[0], [0, 1, 2, 7, 8, 20], [4, 6, 8, 9, 10]]) expect(expandArraySpec(arraySpec(ranks, 3))).toEqual(ranks)
  })

  it("splits ranks at MaxArraySize: index = rank - offset, always below the limit", () => {
    expect(chunkRanks([0, 1, 2, 3], 1001)).toEqual([{ offset: 0, indices: [0, 1, 2, 3] }])
    expect(chunkRanks([0, 1, 2, 3], 3)).toEqual([
      { offset: 0, indices: [0, 1, 2] },
      { offset: 3, indices: [0] }
    ])
    const ranks = Array.from({ length: 2500 }, (_, r) => r).filter((r) => r % 7 !== 3)
    const chunks = chunkRanks(ranks, 1000)
    expect(chunks.map((c) => c.offset)).toEqual([0, 1000, 2000])
    expect(chunks.flatMap((c) => c.indices.map((i) => c.offset + i))).toEqual(ranks)
    for (const c of chunks) expect(Math.max(...c.indices)).toBeLessThan(1000)
  })
})

describe("job settings and memory", () => {
  it("takes the command line, then the stage's slurm block, then its phase's; sbatch arguments add up", () => {
    const cli = { partition: "cpu", mem: "6G", sbatch_args: ["--qos=normal"] }
    const stage = { mem: "8G", time: "01:00:00", sbatch_args: ["--constraint=hm"], phases: { "minhash-buckets": { mem: "16G" } } }
    expect(jobSettings(cli, stage, "minhash-buckets", null)).toEqual({ partition: "cpu", mem: "16G", time: "01:00:00", sbatch_args: ["--qos=normal", "--constraint=hm"] })
    expect(jobSettings(cli, stage, "dedup-exact", null).mem).toBe("8G")
    expect(jobSettings(cli, undefined, "ingest", null).mem).toBe("6G")
  })

  it("sizes the default --mem from the phase's model: constant per task, plus per document for the clusters task", () => {
    expect(jobSettings({}, undefined, "ingest", 100_000_000).mem).toBe(`${TASK_BASE_MB}M`)
    expect(taskMemoryMb("minhash-clusters", null)).toBe(TASK_BASE_MB)
    expect(taskMemoryMb("minhash-clusters", 100_000_000)).toBe(TASK_BASE_MB + Math.ceil((100_000_000 * 48) / 1048576))
    expect(jobSettings({}, undefined, "minhash-clusters", 10_000_000).mem).toBe(`${TASK_BASE_MB + 458}M`)
  })
})

describe("job scripts", () => {
  const ctx: ScriptContext = {
    node: "/opt/node/bin/node",
    taskMain: "/repo/src/executors/task-main.ts",
    planJob: "/repo/src/executors/slurm-plan-job.ts",
    submissionFile: "/w/_slurm/submission.json",
    pipelineName: "demo",
    version: "9.9.9",
    heapMb: 2048,
    env: { SOURCE_DATE_EPOCH: "1700000000" }
  }
  const job: JobSpec = {
    name: "dedup-exact",
    stage: "dedup",
    kind: "tasks",
    position: 1,
    planFile: "/w/dedup/_exact/_plan.json",
    world: 1500,
    ranks: [2, 1000, 1001],
    settings: { mem: "8G", partition: "cpu", time: "02:00:00", max_parallel: 4, sbatch_args: ["--qos=low"] },
    logDir: "/w/_slurm/logs/dedup-exact"
  }

  it("runs task-main with the rank from SLURM_ARRAY_TASK_ID plus the chunk's offset, logging per task in the work folder", () => {
    const [, second] = chunkRanks(job.ranks, 1000)
    const script = jobScript(job, second!, ctx)
    expect(script).toMatch(/^#!\/bin\/bash\n/)
    for (const line of ["#SBATCH --array=0-1%4", "#SBATCH --mem=8G", "#SBATCH --partition=cpu", "#SBATCH --time=02:00:00", "#SBATCH --qos=low", "#SBATCH --output=/dev/null"]) {
      expect(script).toContain(line)
    }
    expect(script).toContain("rank=$((SLURM_ARRAY_TASK_ID + 1000))")
    expect(script).toContain('exec >/w/_slurm/logs/dedup-exact/"$rank.log" 2>&1')
    expect(script).toContain('export SCICURATE_SCRATCH="${SCICURATE_SCRATCH:-${TMPDIR:-/tmp}}"')
    expect(script).toContain("export SOURCE_DATE_EPOCH=1700000000")
    expect(script).toContain('/repo/src/executors/task-main.ts /w/dedup/_exact/_plan.json "$rank"')
  })

  it("a configured scratch folder replaces $TMPDIR; a planning job is one task running the planner", () => {
    expect(jobScript({ ...job, settings: { scratch: "/local scratch" } }, { offset: 0, indices: [2] }, ctx)).toContain("export SCICURATE_SCRATCH='/local scratch'")
    const plan = jobScript({ ...job, name: "plan-dedup", kind: "plan", ranks: [0], world: 1, logDir: "/w/_slurm/logs/dedup" }, { offset: 0, indices: [0] }, ctx)
    expect(plan).not.toContain("--array")
    expect(plan).toContain("/repo/src/executors/slurm-plan-job.ts /w/_slurm/submission.json 1")
    expect(plan).toContain("exec >/w/_slurm/logs/dedup/plan.log 2>&1")
  })

  it("a dependent job is cancelled when what it waits for fails, instead of pending forever", () => {
    expect(dependencyArgs([])).toEqual([])
    expect(dependencyArgs(["12", "13"])).toEqual(["--dependency=afterok:12:13", "--kill-on-invalid-dep=yes"])
  })
})

describe("Slurm's view", () => {
  it("reads scontrol -o and jobcomp lines per array index, ranges included", () => {
    const known = new Map<string, Map<number, { state: string; reason: string | null; exitCode: string | null }>>()
    parseJobLines(
      [
        "JobId=41 ArrayJobId=40 ArrayTaskId=1 JobName=x JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=1:0 RunTime=00:00:01",
        "JobId=40 ArrayJobId=40 ArrayTaskId=0 JobName=x JobState=COMPLETED Reason=None ExitCode=0:0",
        "JobId=43 ArrayJobId=43 ArrayTaskId=0-3 JobName=y JobState=CANCELLED Reason=DependencyNeverSatisfied ExitCode=0:0",
        "JobId=44 UserId=root(0) Name=plan JobState=COMPLETED Partition=debug ExitCode=0:0"
      ].join("\n"),
      known
    )
    expect(known.get("40")?.get(1)).toEqual({ state: "FAILED", reason: "NonZeroExitCode", exitCode: "1:0" })
    expect(known.get("40")?.get(0)?.state).toBe("COMPLETED")
    expect([...known.get("43")!.keys()]).toEqual([0, 1, 2, 3])
    expect(known.get("43")?.get(2)?.reason).toBe("DependencyNeverSatisfied")
    expect(known.get("44")?.get(-1)?.state).toBe("COMPLETED")
  })
})
