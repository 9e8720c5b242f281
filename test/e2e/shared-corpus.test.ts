/**
 * Needs ../shared/corpus (skipped with a message when absent). The acceptance run on real data:
 * `scicurate run pipelines/shared-corpus.yaml` yields a bundle that verifies; a second run gives the same
 * bytes; killing a run mid-way and running it again completes with the same bytes.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { beforeAll, describe, expect, it } from "vitest"
import { cli, cliDetached, filesUnder, hasCorpus, repoRoot, tempDir } from "../helpers.ts"

const pipeline = path.join(repoRoot, "pipelines/shared-corpus.yaml")
const env = { SOURCE_DATE_EPOCH: "1700000000" }
const countIn = (dir: string): number => (fs.existsSync(dir) ? fs.readdirSync(dir).length : 0)

describe.skipIf(!hasCorpus)("shared corpus pipeline (needs ../shared/corpus)", () => {
  let root: string
  let first: string
  const bundleOf = (work: string) => path.join(work, "bundles/shared-corpus")

  beforeAll(() => {
    root = tempDir()
    first = path.join(root, "first")
    const r = cli(["run", pipeline, "--work", first, "--workers", "2"], env)
    if (r.status !== 0) throw new Error(`run failed (${r.status}):\n${r.stderr}`)
  })

  it("accounts for every abstract and paper and yields a bundle that verifies", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(bundleOf(first), "manifest.json"), "utf8"))
    const { ingest, dedup } = manifest.accounting
    // 1,992 + 1,000 JSONL records and 16 PDFs.
    expect(ingest.records_in).toBe(1992 + 1000 + 16)
    expect(ingest.reasons["rejected:no-text-layer"]).toBe(1)
    expect(ingest.records_in).toBe(ingest.documents_out + ingest.filtered + ingest.rejected)
    expect(dedup.records_in).toBe(dedup.documents_out + dedup.duplicates)
    expect(manifest.by_format.pdf.documents).toBe(15)
    expect(manifest.by_license["Apache-2.0"].documents + manifest.by_license.MIT.documents).toBe(manifest.by_format.jsonl.documents)
    expect(manifest.totals.tokens).toBeGreaterThan(500_000)
    const rejects = fs.readFileSync(path.join(first, "ingest/_rejects", fs.readdirSync(path.join(first, "ingest/_rejects"))[0]!), "utf8")
    expect(rejects).toContain('"source_path":"papers/cermine_simple_scanned.pdf"')
    expect(cli(["verify", bundleOf(first)]).status).toBe(0)
  })

  it("gives byte-identical shards and manifest on a second run", () => {
    const second = path.join(root, "second")
    expect(cli(["run", pipeline, "--work", second, "--workers", "1"], env).status).toBe(0)
    const a = filesUnder(bundleOf(first))
    const b = filesUnder(bundleOf(second))
    expect([...b.keys()]).toEqual([...a.keys()])
    for (const [name, bytes] of a) expect(b.get(name)!.equals(bytes), name).toBe(true)
  })

  // Kill points: inside ingest (some tasks done), inside dedup (a MinHash phase under way), and once the
  // tokenize stage has started (ingest and dedup complete, later stages partial or not begun).
  const killPoints = [
    { name: "during ingest", ready: (work: string) => countIn(path.join(work, "ingest/_done")) >= 1 },
    // Between dedup's phases: signatures partly or wholly done, buckets and the filter not yet.
    { name: "during dedup's MinHash phases", ready: (work: string) => countIn(path.join(work, "dedup/_minhash/signatures/_done")) >= 1 },
    { name: "during tokenize", ready: (work: string) => fs.existsSync(path.join(work, "tokenize/_plan.json")) }
  ]
  for (const point of killPoints) {
    it(`resumes after being killed ${point.name} and ends with the same bytes`, async () => {
      const work = path.join(root, `killed-${point.name.replace(/\s+/g, "-")}`)
      const child = cliDetached(["run", pipeline, "--work", work, "--workers", "2"], env)
      const deadline = Date.now() + 120_000
      while (Date.now() < deadline && !point.ready(work)) await sleep(10)
      process.kill(-child.pid!, "SIGKILL")
      await new Promise((resolve) => child.once("exit", resolve))
      expect(point.ready(work), "the kill point was never reached").toBe(true)
      expect(fs.existsSync(path.join(bundleOf(work), "manifest.json"))).toBe(false)

      const r = cli(["run", pipeline, "--work", work, "--workers", "2"], env)
      expect(r.status, r.stderr).toBe(0)
      const a = filesUnder(bundleOf(first))
      const b = filesUnder(bundleOf(work))
      expect([...b.keys()]).toEqual([...a.keys()])
      for (const [name, bytes] of a) expect(b.get(name)!.equals(bytes), name).toBe(true)
      // No temporary files are left behind by the killed run.
      const leftovers = [...filesUnder(work).keys()].filter((f) => f.endsWith(".tmp") || f.includes("_tmp/"))
      expect(leftovers).toEqual([])
    })
  }
})
