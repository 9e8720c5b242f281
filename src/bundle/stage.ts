/**
 * The bundle stage: one folder per bundle the classify stage routed documents to, plus `unrouted` for
 * the documents no bundle claimed:
 *
 *   <output>/<bundle>/data/{train,validation}-XXXXX-of-YYYYY.parquet     document shards (ZSTD)
 *   <output>/<bundle>/tokens/<tokenizer>/{train,validation}-XXXXX-of-YYYYY.{bin,idx}   Megatron token shards
 *   <output>/<bundle>/manifest.json                                      checksums, counts, routing, accounting
 *   <output>/<bundle>/README.md                                          dataset card
 *
 * It runs as two plans, so that one large bundle does not put the work on one task:
 *
 *   bundle-shards  W tasks  every task places every document alike (write.ts), then writes the shards
 *                           assigned to it by bytes (assignUnits) into staged/, and lists them in
 *                           its receipt                                             _bundles/shards/
 *   bundle         W tasks  whole bundles (assignBundles): the staged shards linked into a build
 *                           folder with the manifest and dataset card, published by rename   ./
 *
 * A bundle is built under a temporary name and renamed into place, so it appears only complete; a
 * task's receipt (`_published/<rank>.json`) lists what it published. The staged shards stay where they
 * are (the published files are hard links to them), so a bundle task that dies is simply run again.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { DuckDB } from "../core/duckdb.ts"
import { DatasetError } from "../core/errors.ts"
import { linkOrCopy } from "../core/files.ts"
import { canonicalJson, readJson, stageLayout, writeFileAtomic } from "../core/layout.ts"
import { readParquetSql } from "../core/parquet.ts"
import { taskReceipt, type Stage, type StagePlan, type TaskContext } from "../core/stage.ts"
import { sumStats, type TaskStats } from "../core/stats.ts"
import { sha256Hex } from "../core/text.ts"
import { creationTime, SCICURATE_VERSION } from "../core/version.ts"
import { UNROUTED, type BundleDefinition } from "../classify/definitions.ts"
import { DEFAULT_MIN_SCORE } from "../classify/route.ts"
import type { TokenizerName } from "../core/settings.ts"
import { tokenDTypeFor } from "../tokenize/megatron.ts"
import { TokenFileReader } from "../tokenize/token-file.ts"
import { openTokenizer, type Tokenizer } from "../tokenize/tokenizer.ts"
import { renderDatasetCard } from "./card.ts"
import { shardsPhaseDir } from "./layout.ts"
import { manifestContentHash, type Manifest } from "./manifest.ts"
import { assignBundles, assignUnits, DEFAULT_SHARD_BYTES, DEFAULT_VALIDATION_FRACTION, ORDER_RULE, SPLIT_RULE } from "./split.ts"
import { summarizeBundle, type ContentSummary } from "./summary.ts"
import { bundleFiles, placeBundles, writeUnits, type BundleFiles, type WrittenUnit } from "./write.ts"

export interface BundleSettings {
  readonly version: string
  readonly validationFraction: number
  readonly seed: number
  readonly limit: { readonly unit: "bytes" | "tokens"; readonly value: number }
  readonly tokenShards: boolean
}

export const bundleSettingsOf = (plan: StagePlan): BundleSettings => {
  const p = plan.params as { version?: string; validation_fraction?: number; seed?: number; shard_bytes?: number; shard_tokens?: number; token_shards?: boolean }
  return {
    version: p.version ?? "0.1.0",
    validationFraction: p.validation_fraction ?? DEFAULT_VALIDATION_FRACTION,
    seed: p.seed ?? 0,
    limit: p.shard_tokens ? { unit: "tokens", value: p.shard_tokens } : { unit: "bytes", value: p.shard_bytes ?? DEFAULT_SHARD_BYTES },
    tokenShards: p.token_shards ?? true
  }
}

const stagingDir = (shardsDir: string): string => path.join(shardsDir, "staged")

/** What a task of the writing phase leaves in its receipt besides `files`: the shards it wrote. */
interface ShardsReceipt {
  readonly files: ReadonlyArray<string>
  readonly units: ReadonlyArray<WrittenUnit>
}

/** Settings shared by both plans, and the resources both open. */
const openBundleTask = (ctx: TaskContext) =>
  Effect.gen(function* () {
    const db = yield* DuckDB
    const { plan } = ctx
    if (plan.input.kind !== "dataset") return yield* Effect.die(new Error("bundle plans take a dataset"))
    const inputs = plan.input.shards
    const inputSql = readParquetSql(inputs)
    const columns = new Set((yield* db.rows(`DESCRIBE SELECT * FROM ${inputSql}`)).map((r) => String(r.column_name)))
    if (!columns.has("route_score")) {
      return yield* new DatasetError({ path: plan.input.dir, operation: "bundle", cause: "the input has no routing columns: run the classify stage before bundle" })
    }
    const tokenizerName = (plan.tokenizer ?? plan.pipeline.tokenizer) as TokenizerName
    const tokenizer = yield* Effect.acquireRelease(
      Effect.sync(() => openTokenizer(tokenizerName)),
      (t) => Effect.sync(() => t.free())
    )
    // Sorts and the scatter spill past this, so a task's memory does not grow with the bundle.
    yield* db.run(`SET memory_limit = '${process.env.SCICURATE_BUNDLE_MEMORY ?? "512MB"}'`)
    return { db, plan, inputs, inputSql, tokenizer, settings: bundleSettingsOf(plan) }
  })

/** The writing phase: every task places all documents alike, then writes the shards assigned to it. */
export const bundleShardsStage: Stage = {
  name: "bundle-shards",
  runTask: (ctx) =>
    Effect.gen(function* () {
      const { db, plan, inputs, tokenizer, settings } = yield* openBundleTask(ctx)
      const fail = (operation: string, where = plan.dir) => (cause: unknown) => new DatasetError({ path: where, operation, cause })
      const tokenSource = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const dir = lineageDir(plan, "tokenize")
          return dir === null ? null : new TokenFileReader(dir, readJson<StagePlan>(stageLayout(dir).planFile).hash)
        }),
        (r) => Effect.sync(() => r?.close())
      )
      const side = yield* Effect.acquireRelease(
        Effect.tryPromise({ try: () => db.connect(), catch: fail("connect") }),
        (c) => Effect.sync(() => c.closeSync())
      )
      const { placement, units } = yield* Effect.tryPromise({ try: () => placeBundles(db.connection, side, { inputs, ...settings }), catch: fail("place documents") })
      const assignment = assignUnits(units, ctx.world)
      const mine = units.filter((_, i) => assignment[i] === ctx.rank)
      const written = yield* Effect.tryPromise({
        try: () =>
          writeUnits(db.connection, {
            inputs,
            placement,
            units: mine,
            stagingDir: stagingDir(plan.dir),
            scratchDir: path.join(ctx.tmpDir, "scatter"),
            tokens: settings.tokenShards ? { tokenizer, dtype: tokenDTypeFor(tokenizer.vocabularySize), source: tokenSource } : null,
            onProgress: ctx.progress
          }),
        catch: fail("write shards", stagingDir(plan.dir))
      })
      // Documents are counted where they are written: each exactly once, by the task that wrote its shard.
      for (const { unit } of written) {
        ctx.counter.recordsIn += unit.rows
        ctx.counter.documentsOut += unit.rows
        ctx.counter.bytesIn += unit.bytes
        ctx.counter.bytesOut += unit.bytes
        ctx.counter.tokensOut += unit.tokens
        ctx.counter.note(`bundle:${unit.bundle}`, unit.rows)
      }
      const receipt: ShardsReceipt = { files: [], units: written }
      writeFileAtomic(taskReceipt(plan, ctx.rank), JSON.stringify(receipt) + "\n")
    }).pipe(Effect.scoped)
}

/** The shards the writing phase of `plan`'s stage wrote, by bundle (a missing receipt throws). */
function stagedUnits(plan: StagePlan): Map<string, WrittenUnit[]> {
  const dir = shardsPhaseDir(plan.dir)
  const out = new Map<string, WrittenUnit[]>()
  for (let r = 0; r < plan.world; r++) {
    const { units } = readJson<ShardsReceipt>(taskReceipt({ dir }, r))
    for (const u of units) out.set(u.unit.bundle, [...(out.get(u.unit.bundle) ?? []), u])
  }
  return out
}

/**
 * The bundle stage's own tasks: whole bundles from the staged shards (light: links, a summary of the
 * small columns, a manifest). Task r's counts are those of task r of the writing phase, which wrote
 * those documents, so the stage's stats show how the documents were shared.
 */
export const bundleStage: Stage = {
  name: "bundle",
  runTask: (ctx) =>
    Effect.gen(function* () {
      const { db, plan, inputSql, tokenizer, settings } = yield* openBundleTask(ctx)
      const output = plan.pipeline.output
      const fail = (operation: string, where = output) => (cause: unknown) => new DatasetError({ path: where, operation, cause })
      const shardsDir = shardsPhaseDir(plan.dir)
      const staged = yield* Effect.try({ try: () => stagedUnits(plan), catch: fail("read the staged shards' receipts", shardsDir) })
      const sizes = [...staged.keys()].sort().map((name) => {
        const files = bundleFiles(staged.get(name)!)
        return { name, documents: files.documents, tokens: files.tokens }
      })
      const assignment = assignBundles(sizes, ctx.world)
      const mine = sizes.filter((s) => assignment.get(s.name) === ctx.rank).map((s) => s.name)
      const definitions = definitionsOf(plan)
      const createdAt = creationTimeOf(plan)
      if (ctx.rank === 0) removeStale(output, new Set(sizes.map((s) => s.name)))
      for (const name of mine) {
        const bundle = name === UNROUTED ? null : name
        const finalDir = path.join(output, name)
        const buildDir = path.join(output, `.${name}.${process.pid}.tmp`)
        removeStaleBuilds(output, name)
        const files = bundleFiles(staged.get(name)!)
        const paths = [...files.shards.map((s) => s.path), ...files.tokenShards.flatMap((t) => [t.bin.path, t.idx.path])]
        yield* Effect.try({ try: () => linkStaged(path.join(stagingDir(shardsDir), name), buildDir, paths), catch: fail("gather staged shards", finalDir) })
        const summary = yield* summarizeBundle(db, inputSql, bundle, settings.validationFraction, settings.seed, minScoreOf(plan), removedFilesOf(plan))
        const manifest = buildManifest(plan, name, definitions.get(name) ?? null, settings, tokenizer, files, summary, createdAt)
        writeFileAtomic(path.join(buildDir, "manifest.json"), canonicalJson(manifest, 2) + "\n")
        writeFileAtomic(path.join(buildDir, "README.md"), renderDatasetCard(manifest))
        yield* Effect.try({ try: () => publish(buildDir, finalDir), catch: fail("publish bundle", finalDir) })
        // Fault injection for the resume tests: die between publishing a bundle and the task's receipt.
        if (process.env.SCICURATE_FAULT === "bundle-after-publish") process.kill(process.pid, "SIGKILL")
      }
      countWritten(ctx, readJson<TaskStats>(stageLayout(shardsDir).stats(ctx.rank)))
      writeFileAtomic(taskReceipt(plan, ctx.rank), JSON.stringify({ bundles: mine, files: mine.map((b) => path.join(b, "manifest.json")) }) + "\n")
    }).pipe(Effect.scoped)
}

/** Count what task r of the writing phase counted (see bundleStage). */
function countWritten(ctx: TaskContext, s: TaskStats): void {
  ctx.counter.recordsIn += s.records_in
  ctx.counter.documentsOut += s.documents_out
  ctx.counter.bytesIn += s.bytes_in
  ctx.counter.bytesOut += s.bytes_out
  ctx.counter.tokensOut += s.tokens_out
  for (const [key, n] of Object.entries(s.reasons)) if (key.startsWith("noted:")) ctx.counter.note(key.slice("noted:".length), n)
  // Progress says what the stats say: these documents are done once their bundle is assembled.
  ctx.progress(s.records_in, s.bytes_in)
}

/**
 * Put the staged files of a bundle into its build folder as hard links: no copy, and the staged file
 * stays for a rebuild. A file system without hard links between the two folders gets a copy.
 */
function linkStaged(from: string, buildDir: string, files: ReadonlyArray<string>): void {
  for (const rel of files) linkOrCopy(path.join(from, rel), path.join(buildDir, rel))
}

/** The classifier's threshold the documents were routed with (from the classify plan), for the unrouted set's summary. */
function minScoreOf(plan: StagePlan): number {
  if (plan.input.kind !== "dataset") return DEFAULT_MIN_SCORE
  const file = stageLayout(plan.input.dir).planFile
  const p = fs.existsSync(file) ? readJson<StagePlan>(file).params.min_score : undefined
  return typeof p === "number" ? p : DEFAULT_MIN_SCORE
}

/** The folder of the `stage` stage this bundle descends from (its plan names the stage), or null. */
function lineageDir(plan: StagePlan, stage: string): string | null {
  for (const dir of plan.lineage) {
    const file = stageLayout(dir).planFile
    if (fs.existsSync(file) && readJson<StagePlan>(file).stage === stage) return dir
  }
  return null
}

/** The removal records of the dedup stage this bundle descends from (none without one). */
function removedFilesOf(plan: StagePlan): string[] {
  const dedup = lineageDir(plan, "dedup")
  const removed = dedup === null ? null : path.join(dedup, "_removed")
  return removed !== null && fs.existsSync(removed) ? fs.readdirSync(removed).filter((f) => f.endsWith(".parquet")).sort().map((f) => path.join(removed, f)) : []
}


/** The definitions the documents were routed with: from the classify plan that wrote the input. */
function definitionsOf(plan: StagePlan): Map<string, BundleDefinition> {
  if (plan.input.kind !== "dataset") return new Map()
  const file = stageLayout(plan.input.dir).planFile
  if (!fs.existsSync(file)) return new Map()
  const defs = (readJson<StagePlan>(file).params.definitions ?? []) as ReadonlyArray<BundleDefinition>
  return new Map(defs.map((d) => [d.name, d]))
}

export function buildManifest(
  plan: StagePlan,
  name: string,
  definition: BundleDefinition | null,
  settings: BundleSettings,
  tokenizer: Tokenizer,
  files: BundleFiles,
  summary: ContentSummary,
  createdAt: string
): Manifest {
  const { shards, tokenShards } = files
  const split = (s: "train" | "validation") => ({
    documents: shards.filter((x) => x.split === s).reduce((a, x) => a + x.rows, 0),
    tokens: shards.filter((x) => x.split === s).reduce((a, x) => a + x.tokens, 0)
  })
  const withoutHash: Omit<Manifest, "content_sha256"> = {
    format: "scicurate-bundle/2",
    name,
    title: definition?.title ?? (name === UNROUTED ? "Unrouted documents" : name),
    description: definition?.description ?? (name === UNROUTED ? "Documents that no bundle definition claimed, kept for curators to review." : ""),
    version: settings.version,
    created_at: createdAt,
    scicurate_version: SCICURATE_VERSION,
    pipeline: { name: plan.pipeline.name, file: plan.pipeline.file ? path.basename(plan.pipeline.file) : null, config_sha256: plan.pipeline.configSha256 },
    definition: definition
      ? {
          kinds: [...definition.kinds],
          formats: [...(definition.formats ?? [])],
          token_target: definition.token_target ?? null,
          sampling_weight: definition.sampling_weight,
          sha256: sha256Hex(canonicalJson(definition))
        }
      : null,
    tokenizer: { name: tokenizer.name, eos_token_id: tokenizer.eos, vocabulary_size: tokenizer.vocabularySize },
    split: { validation_fraction: settings.validationFraction, rule: SPLIT_RULE, seed: settings.seed, order: ORDER_RULE },
    shard_limit: settings.limit,
    shards,
    token_shards: tokenShards,
    totals: {
      shards: shards.length,
      documents: files.documents,
      tokens: files.tokens,
      text_bytes: files.textBytes,
      bytes: shards.reduce((a, s) => a + s.bytes, 0),
      token_bytes: tokenShards.reduce((a, s) => a + s.bin.bytes + s.idx.bytes, 0),
      train: split("train"),
      validation: split("validation")
    },
    ...summary,
    ...upstreamQuality(plan),
    accounting: upstreamAccounting(plan)
  }
  return { ...withoutHash, content_sha256: manifestContentHash(withoutHash) }
}

/** What the stages this bundle descends from said they did to the data (see StageProvenance); absent when none did. */
function upstreamQuality(plan: StagePlan): { quality?: NonNullable<Manifest["quality"]> } {
  const out: Record<string, NonNullable<Manifest["quality"]>[string]> = {}
  for (const dir of plan.lineage) {
    const file = stageLayout(dir).planFile
    if (!fs.existsSync(file)) continue
    const p = readJson<StagePlan>(file)
    if (p.provenance) out[p.stage] = { summary: p.provenance.summary, facts: p.provenance.facts }
  }
  return Object.keys(out).length > 0 ? { quality: out } : {}
}

/** Counts (never timings, so the manifest stays reproducible) of the stages this bundle descends from. */
function upstreamAccounting(plan: StagePlan): Manifest["accounting"] {
  const out: Record<string, Manifest["accounting"][string]> = {}
  for (const dir of plan.lineage) {
    const layout = stageLayout(dir)
    if (!fs.existsSync(layout.planFile)) continue
    const p = readJson<StagePlan>(layout.planFile)
    const stats: TaskStats[] = []
    for (let r = 0; r < p.world; r++) if (fs.existsSync(layout.stats(r))) stats.push(readJson<TaskStats>(layout.stats(r)))
    const sum = sumStats(p.stage, stats)
    out[p.stage] = {
      tasks: sum.tasks,
      records_in: sum.records_in,
      documents_out: sum.documents_out,
      filtered: sum.filtered,
      duplicates: sum.duplicates,
      rejected: sum.rejected,
      reasons: sum.reasons
    }
  }
  return out
}

const isBundleFolder = (dir: string): boolean => {
  const file = path.join(dir, "manifest.json")
  if (!fs.existsSync(file)) return false
  try {
    return String(readJson<{ format?: string }>(file).format ?? "").startsWith("scicurate-bundle/")
  } catch {
    return false
  }
}

/**
 * Put a finished bundle folder in place of the old one. The old one is renamed aside first and removed
 * after, so there is never a moment without a complete bundle, and a folder that is not a scicurate
 * bundle is never replaced.
 */
function publish(buildDir: string, finalDir: string): void {
  if (fs.existsSync(finalDir) && !isBundleFolder(finalDir)) {
    throw new Error(`refusing to replace ${finalDir}: it exists and is not a scicurate bundle (no manifest.json)`)
  }
  const old = `${path.join(path.dirname(finalDir), `.${path.basename(finalDir)}`)}.${process.pid}.old.tmp`
  if (fs.existsSync(finalDir)) fs.renameSync(finalDir, old)
  fs.renameSync(buildDir, finalDir)
  fs.rmSync(old, { recursive: true, force: true })
}

/**
 * What earlier runs left that this run does not produce (routing changed): their published bundles and
 * the build folders a killed task left for them. Other tasks only ever build current names.
 */
function removeStale(output: string, current: ReadonlySet<string>): void {
  if (!fs.existsSync(output)) return
  for (const entry of fs.readdirSync(output)) {
    const dir = path.join(output, entry)
    const build = /^\.(.+)\.\d+(\.old)?\.tmp$/.exec(entry)
    if (build !== null && !current.has(build[1]!)) fs.rmSync(dir, { recursive: true, force: true })
    else if (!entry.startsWith(".") && !current.has(entry) && isBundleFolder(dir)) fs.rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * The manifests' creation time: SOURCE_DATE_EPOCH when set, else the time the stage first ran, kept
 * in the stage folder, so a bundle rebuilt after a crash gets the same manifest bytes as before.
 */
function creationTimeOf(plan: StagePlan): string {
  if (process.env.SOURCE_DATE_EPOCH && /^\d+$/.test(process.env.SOURCE_DATE_EPOCH)) return creationTime()
  const file = path.join(plan.dir, "_created_at")
  if (!fs.existsSync(file)) {
    const temp = path.join(plan.dir, `.created_at.${process.pid}.tmp`)
    const fd = fs.openSync(temp, "w")
    fs.writeSync(fd, new Date().toISOString())
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    try {
      fs.linkSync(temp, file) // fails if another task got there first; theirs stands
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code !== "EEXIST") {
        // No hard links on this file system: an exclusive create is the next best once-only write.
        try {
          fs.writeFileSync(file, fs.readFileSync(temp, "utf8"), { flag: "wx" })
        } catch (e2) {
          if ((e2 as NodeJS.ErrnoException).code !== "EEXIST") throw e2
        }
      }
    }
    fs.rmSync(temp, { force: true })
  }
  return fs.readFileSync(file, "utf8")
}

/** Remove the build and swap folders a killed bundle task left beside the bundle (only this bundle's). */
function removeStaleBuilds(output: string, name: string): void {
  if (!fs.existsSync(output)) return
  const stale = new RegExp(`^\\.${name.replace(/[.]/g, "\\.")}\\.\\d+(\\.old)?\\.tmp$`)
  for (const entry of fs.readdirSync(output)) if (stale.test(entry)) fs.rmSync(path.join(output, entry), { recursive: true, force: true })
}
