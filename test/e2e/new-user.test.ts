/**
 * What a new user meets on the command line, through the real CLI on the demo sample: progress in
 * records and bytes with a rate and an ETA, dedup's phases saying what they did, 1-based task numbers,
 * `status` during a run, one-line errors for bad flags, `scicurate sql`, and a content hash that does not
 * depend on the pipeline file's name. Counts are checked against the stats files and manifests the run
 * wrote, not against numbers written into the test.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { beforeAll, describe, expect, it } from "vitest"
import { writeSampleCorpus } from "../../src/demo/sample-corpus.ts"
import { cli, cliDetached, filesUnder, repoRoot, tempDir } from "../helpers.ts"

const env = { SOURCE_DATE_EPOCH: "1700000000" }
const demo = path.join(repoRoot, "pipelines/demo.yaml")

interface Stats {
  records_in: number
  bytes_in: number
  documents_out: number
  bytes_out: number
  duplicates: number
  reasons: Record<string, number>
}
/** The summed stats files of a stage folder. */
function stageStats(dir: string): Stats {
  const sum: Stats = { records_in: 0, bytes_in: 0, documents_out: 0, bytes_out: 0, duplicates: 0, reasons: {} }
  for (const f of fs.readdirSync(path.join(dir, "_stats"))) {
    const s = JSON.parse(fs.readFileSync(path.join(dir, "_stats", f), "utf8")) as Stats
    for (const k of ["records_in", "bytes_in", "documents_out", "bytes_out", "duplicates"] as const) sum[k] += s[k]
    for (const [k, v] of Object.entries(s.reasons)) sum.reasons[k] = (sum.reasons[k] ?? 0) + v
  }
  return sum
}
const filesBytes = (dir: string): number => [...filesUnder(dir).values()].reduce((a, b) => a + b.length, 0)
const fmt = (n: number): string => n.toLocaleString("en-US")
const fmtBytes = (b: number): string => (b < 1e3 ? `${b} B` : b < 1e6 ? `${(b / 1e3).toFixed(1)} kB` : `${(b / 1e6).toFixed(1)} MB`)

/** `stage  [###---]  45%  12/47 records  1.2 kB/2.7 kB  850 rec/s  0.8 kB/s  ETA 2 s  tasks 1/2`, parsed. */
const PROGRESS = /^(\S+)\s+\[[#-]+\]\s+(\d+)%\s+([\d,]+)(?:\/([\d,]+))? records\s+([\d.]+ [kMG]?B)(?:\/([\d.]+ [kMG]?B))?\s+([\d,]+) rec\/s\s+\S+ \S+\/s\s+(ETA \S+(?: \S+)*?|done in \S+(?: \S+)*?)\s+tasks (\d+)\/(\d+)$/

describe("a new user's run of the demo pipeline", () => {
  let root: string
  let sample: string
  let work: string
  let stderr: string

  beforeAll(async () => {
    root = tempDir()
    sample = path.join(root, "sample")
    await writeSampleCorpus(sample)
    work = path.join(root, "w")
    // Output captured (not a terminal); every update printed, so the lines between start and end show.
    const r = cli(["run", demo, "--work", work, "--workers", "2"], { ...env, SCICURATE_SAMPLE: sample, SCICURATE_PROGRESS_SECONDS: "0" })
    if (r.status !== 0) throw new Error(`run failed:\n${r.stderr}`)
    stderr = r.stderr
  })

  it("shows progress per stage in records and bytes, with a rate and an ETA, ending at 100%", () => {
    const lines = stderr.split("\n").map((l) => l.match(PROGRESS)).filter((m): m is RegExpMatchArray => m !== null)
    const byStage = new Map<string, RegExpMatchArray[]>()
    for (const m of lines) byStage.set(m[1]!, [...(byStage.get(m[1]!) ?? []), m])
    for (const stage of ["ingest", "dedup-exact", "minhash-signatures", "dedup", "tokenize", "classify", "bundle"]) {
      const mine = byStage.get(stage) ?? []
      expect(mine.length, `progress lines of ${stage}`).toBeGreaterThan(0)
      const last = mine.at(-1)!
      expect(last[2], `${stage} ends at 100%`).toBe("100")
      expect(last[8]).toMatch(/^done in /)
      expect(last[9]).toBe(last[10])
      // Before the end: never 100%, and an ETA.
      for (const m of mine.slice(0, -1)) {
        expect(Number(m[2])).toBeLessThan(100)
        expect(m[8]).toMatch(/^ETA /)
      }
      const percents = mine.map((m) => Number(m[2]))
      expect(percents).toEqual([...percents].sort((a, b) => a - b))
    }
    // Ingest's total is the bytes of the files it was given.
    const ingest = byStage.get("ingest")!.at(-1)!
    expect(ingest[6]).toBe(fmtBytes(filesBytes(sample)))
    expect(Number(ingest[3]!.replaceAll(",", ""))).toBe(stageStats(path.join(work, "ingest")).records_in)
    // Dataset stages: the documents and text bytes their input stage wrote.
    for (const [stage, upstream] of [["dedup", "ingest"], ["tokenize", "dedup"], ["classify", "tokenize"], ["bundle", "classify"]] as const) {
      const up = stageStats(path.join(work, upstream))
      const last = byStage.get(stage)!.at(-1)!
      expect(last[4], `${stage} total records`).toBe(fmt(up.documents_out))
      expect(last[3], `${stage} records read`).toBe(fmt(stageStats(path.join(work, stage)).records_in))
      expect(last[6], `${stage} total bytes`).toBe(fmtBytes(up.bytes_out))
    }
    // At least one line before the end of some stage carries a real ETA (a number of seconds).
    expect(lines.some((m) => /^ETA \d/.test(m[8]!))).toBe(true)
  })

  it("prints a progress line only now and then off a terminal, not one per update", () => {
    const r = cli(["tokenize", path.join(work, "dedup"), "--out", path.join(root, "tokenized-again"), "--workers", "2"])
    expect(r.status, r.stderr).toBe(0)
    const lines = r.stderr.split("\n").filter((l) => PROGRESS.test(l))
    // One line per 10 s at most, and the last at 100%: this small stage takes a few seconds.
    expect(lines.length).toBeGreaterThanOrEqual(1)
    expect(lines.length).toBeLessThanOrEqual(3)
    expect(lines.at(-1)).toMatch(/ 100%  /)
  })

  it("says what each dedup phase did instead of '0 in, 0 out'", () => {
    expect(stderr).not.toMatch(/^(dedup-exact|minhash-[a-z]+)\b.*\b0 in, 0 out/m)
    const ingest = stageStats(path.join(work, "ingest"))
    const exact = stageStats(path.join(work, "dedup", "_exact"))
    const clusters = stageStats(path.join(work, "dedup", "_minhash", "clusters"))
    const removed = cli(["sql", path.join(work, "dedup"), "select method, count(*) AS n from data_removed group by all order by 1", "--format", "jsonl"])
    expect(removed.status).toBe(0)
    const byMethod = Object.fromEntries(removed.stdout.trim().split("\n").map((l) => JSON.parse(l) as { method: string; n: number }).map((r) => [r.method, r.n]))
    const exactCopies = byMethod.exact ?? 0
    expect(exactCopies).toBeGreaterThan(0) // the sample plants exact copies
    expect(stderr).toContain(`dedup-exact: ${ingest.documents_out} documents hashed, ${exactCopies} exact copies`)
    expect(exact.reasons["noted:documents-hashed"]).toBe(ingest.documents_out)
    expect(stderr).toContain(`minhash-signatures: ${ingest.documents_out - exactCopies} signatures`)
    expect(stderr).toMatch(/^minhash-buckets: \d+ candidate pairs, \d+ similar pairs$/m)
    expect(stderr).toContain(`near copies`)
    expect(clusters.reasons["noted:near-copies"]).toBe(byMethod.minhash ?? 0)
  })

  it("numbers tasks from 1 in errors, as in progress", () => {
    const dedup = path.join(root, "copy-of-dedup")
    fs.cpSync(path.join(work, "dedup"), dedup, { recursive: true })
    fs.rmSync(path.join(dedup, "_done", "1"))
    const r = cli(["tokenize", dedup, "--out", path.join(root, "t")])
    expect(r.status).toBe(2)
    // The second of two tasks (rank 1, shard part-00001-of-00002) is "task 2 of 2".
    expect(r.stderr).toMatch(/task\(s\) 2 of 2 in .* are not finished/)
  })

  it("queries every stage with `scicurate sql`, matching the stats the stages wrote", () => {
    for (const stage of ["ingest", "dedup", "tokenize", "classify"]) {
      const r = cli(["sql", work, `select count(*) AS n, sum(strlen(text)) AS bytes from ${stage}`, "--format", "csv"])
      expect(r.status, r.stderr).toBe(0)
      const s = stageStats(path.join(work, stage))
      expect(r.stdout).toBe(`n,bytes\n${s.documents_out},${s.bytes_out}\n`)
    }
    const rejects = cli(["sql", work, "select count(*) AS n from ingest_rejects", "--format", "jsonl"])
    expect(JSON.parse(rejects.stdout)).toEqual({ n: Object.entries(stageStats(path.join(work, "ingest")).reasons).filter(([k]) => k.startsWith("rejected:")).reduce((a, [, v]) => a + v, 0) })
    const table = cli(["sql", work, "select kind, count(*) AS documents from ingest group by all order by kind"])
    expect(table.status).toBe(0)
    const [header, rule, ...rest] = table.stdout.trimEnd().split("\n")
    expect(header).toMatch(/^kind\s+documents$/)
    expect(rule).toMatch(/^-+\s+-+$/)
    expect(rest.at(-1)).toMatch(/^\(\d+ rows?\)$/)
    // A folder of bundles: one view per bundle, each as many rows as its manifest says.
    const bundles = path.join(work, "bundles")
    for (const name of fs.readdirSync(bundles)) {
      const m = JSON.parse(fs.readFileSync(path.join(bundles, name, "manifest.json"), "utf8"))
      const r = cli(["sql", bundles, `select count(*) AS n from "${name}"`, "--format", "csv"])
      expect(r.stdout, name).toBe(`n\n${m.totals.documents}\n`)
    }
  })

  it("keeps `scicurate sql` read-only and its errors to one line", () => {
    const target = path.join(work, "ingest", "out.csv")
    for (const query of ["select nope from ingest", "select * from ingset", "selec 1", `copy (select 1) to '${target}'`, "create table t as select 1", "select 1; select 2", "select * from read_csv('/etc/passwd')"]) {
      const r = cli(["sql", work, query])
      expect(r.status, query).toBe(2)
      expect(r.stderr.trim().split("\n"), query).toHaveLength(1)
      expect(r.stderr, query).toMatch(/^scicurate: SQL: /)
      expect(r.stderr, query).not.toMatch(/\n\s+at /)
    }
    expect(fs.existsSync(target)).toBe(false)
    expect(cli(["sql", work, "select * from ingset"]).stderr).toContain("views: classify, dedup, dedup_removed, filter, ingest, ingest_rejects, language, pii, tokenize")
    const plain = tempDir()
    fs.writeFileSync(path.join(plain, "notes.txt"), "not a dataset")
    const notData = cli(["sql", plain, "select 1"])
    expect(notData.status).toBe(2)
    expect(notData.stderr).toContain("no Parquet shards here")
  })

  it("says in `status` that a run is active (pid, since when, stage) and when a lock is stale", async () => {
    const busy = path.join(root, "busy")
    const child = cliDetached(["run", demo, "--work", busy, "--workers", "1"], { ...env, SCICURATE_SAMPLE: sample })
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()))
    let seen: RegExpMatchArray | null = null
    let alive = true
    void exited.then(() => (alive = false))
    while (alive && seen === null) {
      const s = cli(["status", busy])
      seen = s.stdout.match(/^running: pid (\d+) since (\S+), stage ([a-z-]+)/m)
      if (seen === null) await sleep(200)
    }
    await exited
    expect(seen, "status showed the run while it ran").not.toBeNull()
    expect(Number(seen![1])).toBe(child.pid)
    expect(Number.isNaN(Date.parse(seen![2]!))).toBe(false)
    expect(["ingest", "dedup-exact", "minhash-signatures", "minhash-buckets", "minhash-clusters", "dedup", "tokenize", "classify", "bundle"]).toContain(seen![3])
    const after = cli(["status", busy])
    expect(after.stdout).not.toContain("running:")
    // A pipeline file stands for its work folder (relative to the file); any other file is a one-line error.
    const pipelineFile = path.join(root, "busy.yaml")
    fs.writeFileSync(pipelineFile, `name: busy\ninputs: [${JSON.stringify(sample)}]\nwork: busy\nstages:\n  - stage: ingest\n`)
    const viaPipeline = cli(["status", pipelineFile])
    expect(viaPipeline.status, viaPipeline.stderr).toBe(0)
    expect(viaPipeline.stdout).toBe(after.stdout)
    const notAPipeline = cli(["status", path.join(busy, "ingest", "_plan.json")])
    expect(notAPipeline.status).toBe(2)
    expect(notAPipeline.stderr).not.toMatch(/ENOTDIR|at .*\.ts:\d+/)
    // A lock left by a process that is gone.
    const gone = cliDetached(["--version"])
    await new Promise((resolve) => gone.on("exit", resolve))
    fs.writeFileSync(path.join(busy, ".scicurate.lock"), JSON.stringify({ pid: gone.pid, since: "2026-01-01T00:00:00.000Z", stage: "tokenize" }))
    const stale = cli(["status", busy])
    expect(stale.stdout).toMatch(new RegExp(`^stale lock: .* names pid ${gone.pid} since 2026-01-01T00:00:00.000Z, which is no longer running`, "m"))
  })
})

describe("command-line errors", () => {
  it("reports an invalid flag value in one line with a pointer to --help, exit 2", () => {
    const r = cli(["run", demo, "--workers", "two"])
    expect(r.status).toBe(2)
    expect(r.stdout).toBe("")
    const lines = r.stderr.trim().split("\n")
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/^scicurate: .*--workers.*"two"/)
    expect(lines[1]).toBe("Run 'scicurate run --help' for usage.")
    const unknown = cli(["frobnicate"])
    expect(unknown.status).toBe(2)
    expect(unknown.stderr.trim().split("\n")).toHaveLength(2)
    expect(cli(["run", "--help"]).stdout).toContain("--workers")
  })
})

describe("content_sha256", () => {
  it("depends on the content only, not on the pipeline file's name", async () => {
    const root = tempDir()
    const sample = path.join(root, "sample")
    await writeSampleCorpus(sample)
    const text = fs.readFileSync(demo, "utf8").replace("${SCICURATE_SAMPLE:-../work/sample}", sample)
    const runs = ["first-name.yaml", "renamed.yaml"].map((name) => {
      const file = path.join(root, name)
      fs.writeFileSync(file, text)
      const work = path.join(root, `w-${name}`)
      const r = cli(["run", file, "--work", work, "--workers", "2"], env)
      expect(r.status, r.stderr).toBe(0)
      return path.join(work, "bundles")
    })
    const [a, b] = runs as [string, string]
    const names = fs.readdirSync(a).sort()
    expect(fs.readdirSync(b).sort()).toEqual(names)
    for (const name of names) {
      const ma = JSON.parse(fs.readFileSync(path.join(a, name, "manifest.json"), "utf8"))
      const mb = JSON.parse(fs.readFileSync(path.join(b, name, "manifest.json"), "utf8"))
      expect(ma.pipeline.file).toBe("first-name.yaml")
      expect(mb.pipeline.file).toBe("renamed.yaml")
      expect(mb.content_sha256, name).toBe(ma.content_sha256)
      // The shards themselves are the same bytes.
      const da = filesUnder(path.join(a, name, "data"))
      const db = filesUnder(path.join(b, name, "data"))
      expect([...db.keys()]).toEqual([...da.keys()])
      for (const [f, bytes] of da) expect(db.get(f)!.equals(bytes), `${name}/data/${f}`).toBe(true)
    }
  })
})
