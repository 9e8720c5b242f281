/**
 * Needs ../shared/corpus (skipped with a message when absent). The acceptance run on real data:
 * `scicurate run pipelines/shared-corpus.yaml` routes the whole corpus (abstracts, papers, simulation
 * outputs) into domain bundles that verify; the routing of the labelled files agrees with SOURCES.md;
 * a second run gives the same bytes; killing a run mid-way and running it again gives the same bytes.
 * Content, not only counts: every document's text in every stage and bundle is its text after ingest,
 * and the token shards (read from their bytes, and by the independent numpy reader) hold the
 * tokenizer's ids of that text; a copy with one text or one token id altered is caught.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { setTimeout as sleep } from "node:timers/promises"
import { beforeAll, describe, expect, it } from "vitest"
import { formatAccuracyReport, readRoutedDocuments, scoreRouting } from "../../src/classify/accuracy.ts"
import { readSourceLabels } from "../../src/classify/labels.ts"
import { openDuckDB, sqlString } from "../../src/core/duckdb.ts"
import { cli, cliDetached, completedStages, corpusDir, doneMarkers, expectNothingRedone, filesUnder, hasCorpus, hasPythonModule, repoRoot, requirePresent, tempDir } from "../helpers.ts"
import { laterStagesIn, readTokenShardsWith, textMismatches, tokenShardMismatches } from "./bundle-content.ts"

const pipeline = path.join(repoRoot, "pipelines/shared-corpus.yaml")
const env = { SOURCE_DATE_EPOCH: "1700000000" }
const hasNumpy = requirePresent("numpy (Debian python3-numpy; make system-deps)", hasPythonModule("numpy"), "the numpy reader of the shared-corpus bundles")
const countIn = (dir: string): number => (fs.existsSync(dir) ? fs.readdirSync(dir).length : 0)

describe.skipIf(!hasCorpus)("shared corpus pipeline (needs ../shared/corpus)", () => {
  let root: string
  let first: string
  const bundleOf = (work: string) => path.join(work, "bundles")
  const manifests = (work: string) =>
    fs
      .readdirSync(bundleOf(work))
      .filter((d) => !d.startsWith("."))
      .sort()
      .map((d) => JSON.parse(fs.readFileSync(path.join(bundleOf(work), d, "manifest.json"), "utf8")))
  const sum = (work: string, pick: (m: any) => number | undefined) => manifests(work).reduce((a, m) => a + (pick(m) ?? 0), 0)

  beforeAll(() => {
    root = tempDir()
    first = path.join(root, "first")
    const r = cli(["run", pipeline, "--work", first, "--workers", "2"], env)
    if (r.status !== 0) throw new Error(`run failed (${r.status}):\n${r.stderr}`)
  })

  it("accounts for every abstract, paper and simulation file and yields bundles that verify", () => {
    const [manifest] = manifests(first)
    const { ingest, dedup, filter, language, pii, tokenize, classify } = manifest.accounting
    // 1,992 + 1,000 JSONL records, 16 PDFs and 36 simulation files.
    expect(ingest.records_in).toBe(1992 + 1000 + 16 + 36)
    expect(ingest.reasons["rejected:no-text-layer"]).toBe(1)
    expect(ingest.records_in).toBe(ingest.documents_out + ingest.filtered + ingest.rejected)
    expect(dedup.records_in).toBe(dedup.documents_out + dedup.duplicates)
    // The quality stages each read what the stage before wrote; on this real corpus (all of it wanted)
    // they remove nothing: no abstract, paper or simulation output fails a filter rule or is not English.
    expect(filter.records_in).toBe(dedup.documents_out)
    expect(language.records_in).toBe(filter.documents_out)
    expect(pii.records_in).toBe(language.documents_out)
    expect(filter.filtered + language.filtered + pii.filtered).toBe(0)
    expect(tokenize.records_in).toBe(pii.documents_out)
    expect(classify.records_in).toBe(dedup.documents_out)
    // Every document is in exactly one bundle; the routed ones in a bundle of their science.
    expect(sum(first, (m) => m.totals.documents)).toBe(dedup.documents_out)
    expect(sum(first, (m) => m.by_format.pdf?.documents)).toBe(15)
    expect(sum(first, (m) => m.by_kind.simulation?.documents)).toBe(36)
    expect(sum(first, (m) => (m.by_license["Apache-2.0"]?.documents ?? 0) + (m.by_license.MIT?.documents ?? 0))).toBe(sum(first, (m) => m.by_format.jsonl?.documents))
    expect(sum(first, (m) => m.totals.tokens)).toBeGreaterThan(500_000)
    const names = manifests(first).map((m) => m.name)
    for (const b of ["materials-science", "chemistry", "climate-atmosphere-ocean", "computer-science-hpc", "medicine-health"]) expect(names).toContain(b)
    const rejects = fs.readFileSync(path.join(first, "ingest/_rejects", fs.readdirSync(path.join(first, "ingest/_rejects"))[0]!), "utf8")
    expect(rejects).toContain('"source_path":"papers/cermine_simple_scanned.pdf"')
    expect(cli(["verify", bundleOf(first)]).status).toBe(0)
  })

  // A regression check: these 51 labelled files are the ones the lexicons were tuned on (see
  // test/classify/accuracy.test.ts); the generalisation figure is in `make bench --only=generalisation`.
  it("still routes the tuned-on labelled papers and simulation files where SOURCES.md says they belong (regression check, at least 90%)", async () => {
    const labels = readSourceLabels(fs.readFileSync(path.join(corpusDir, "SOURCES.md"), "utf8"))
    const report = scoreRouting(await readRoutedDocuments(path.join(first, "classify")), labels)
    const table = formatAccuracyReport(report)
    console.log(`[shared corpus routing]\n${table}`)
    // 16 papers (one scanned without a text layer is rejected) and 36 simulation files.
    expect(report.files.total, table).toBe(51)
    expect(report.missing).toEqual(["papers/cermine_simple_scanned.pdf"])
    expect(report.unscorable).toEqual([])
    expect(report.unknownWords).toEqual([])
    expect(report.files.accuracy, table).toBeGreaterThanOrEqual(0.9)
    expect(report.text.total).toBe(manifests(first)[0].accounting.dedup.documents_out - 51)
    expect(report.text.accuracy, table).toBeGreaterThanOrEqual(0.9)
  })

  it("keeps each document's ingest text, by id, through every stage into the bundles", async () => {
    expect(await textMismatches(first)).toEqual([])
  })

  it("stores in the token shards, read from their bytes, the tokenizer's ids of each document's ingest text + EOS", async () => {
    const { problems, documents } = await tokenShardMismatches(first)
    expect(problems).toEqual([])
    expect(documents).toBe(sum(first, (m) => m.totals.documents))
  })

  it.skipIf(!hasNumpy)("token shards read by the independent numpy reader hold the same ids", async () => {
    const { problems, documents } = await tokenShardMismatches(first, readTokenShardsWith("read_megatron.py"))
    expect(problems).toEqual([])
    expect(documents).toBe(sum(first, (m) => m.totals.documents))
  })

  it("catches, in a copy, one document's text altered in classify's output and one token id altered in a shard", async () => {
    const copy = path.join(root, "tampered")
    for (const d of ["ingest", ...laterStagesIn(first), "bundles"]) fs.cpSync(path.join(first, d), path.join(copy, d), { recursive: true })
    // One text changed in one classify part file (ids unchanged): every count still agrees.
    const part = path.join(copy, "classify", fs.readdirSync(path.join(copy, "classify")).filter((f) => f.endsWith(".parquet")).sort()[0]!)
    const { connection } = await openDuckDB()
    const id = String((await connection.runAndReadAll(`SELECT id FROM read_parquet(${sqlString(part)}) ORDER BY id LIMIT 1`)).getRows()[0]![0])
    await connection.run(
      `COPY (SELECT * REPLACE (CASE WHEN id = ${sqlString(id)} THEN text || ' (altered)' ELSE text END AS text) FROM read_parquet(${sqlString(part)})) ` +
        `TO ${sqlString(`${part}.new`)} (FORMAT parquet)`
    )
    connection.closeSync()
    fs.renameSync(`${part}.new`, part)
    const textProblems = await textMismatches(copy)
    expect(textProblems).toEqual([`classify: text differs from pii: ${id} (classify/${path.basename(part)})`])
    expect(textProblems.join("\n")).toContain(id)
    // One token id changed in the first bundle's first token shard (its last sequence's first token).
    const [bundle] = manifests(copy)
    const bin = path.join(copy, "bundles", bundle.name, bundle.token_shards[0].bin.path)
    const bytes = fs.readFileSync(bin)
    const at = bytes.length - 4 * bundle.token_shards[0].documents - 4 // inside the last documents, never on an EOS at the very end
    bytes.writeInt32LE(bytes.readInt32LE(at) === 0 ? 1 : 0, at)
    fs.writeFileSync(bin, bytes)
    const { problems } = await tokenShardMismatches(copy)
    expect(problems.length).toBe(1)
    expect(problems[0]).toContain(`${bundle.name}/${bundle.token_shards[0].prefix}`)
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
    { name: "during tokenize", ready: (work: string) => fs.existsSync(path.join(work, "tokenize/_plan.json")) },
    { name: "during bundle", ready: (work: string) => fs.existsSync(path.join(work, "bundle/_plan.json")) }
  ]
  for (const point of killPoints) {
    it(`resumes after being killed ${point.name}, runs no finished task again, and ends with the same bytes`, async () => {
      const work = path.join(root, `killed-${point.name.replace(/\s+/g, "-")}`)
      const child = cliDetached(["run", pipeline, "--work", work, "--workers", "2"], env)
      const deadline = Date.now() + 120_000
      while (Date.now() < deadline && !point.ready(work)) await sleep(10)
      process.kill(-child.pid!, "SIGKILL")
      await new Promise((resolve) => child.once("exit", resolve))
      expect(point.ready(work), "the kill point was never reached").toBe(true)
      if (point.name !== "during bundle") expect(fs.existsSync(bundleOf(work))).toBe(false)
      const finished = { markers: doneMarkers(work), stages: completedStages(work) }
      expect(finished.markers.size, "no task had finished at the kill: nothing to resume").toBeGreaterThan(0)

      const r = cli(["run", pipeline, "--work", work, "--workers", "2"], env)
      expect(r.status, r.stderr).toBe(0)
      expectNothingRedone(work, finished, r.stdout + r.stderr)
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
