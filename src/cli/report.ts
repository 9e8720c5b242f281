/** What `status`, `run` and `verify` print: plain text tables, one screen. */
import * as fs from "node:fs"
import * as path from "node:path"
import { readJson, readLock, stageLayout } from "../core/layout.ts"
import type { StagePlan } from "../core/stage.ts"
import { sumStats } from "../core/stats.ts"
import { readManifest, type Manifest } from "../bundle/manifest.ts"
import { fmtBytes, fmtInt } from "../executors/progress.ts"
import type { VerifyReport } from "../bundle/verify.ts"
import { readStageStats, type StageTiming } from "../pipeline/run.ts"
import { bundleReviews, describeReview } from "../review/states.ts"

export { readManifest }

export interface StageStatus {
  readonly plan: StagePlan
  readonly done: number
  readonly summary: ReturnType<typeof sumStats>
  /** Wall time of the stage's last execution, when known. */
  readonly wallSeconds: number | null
}

/** The stages found in a work folder, in pipeline order. */
export function readWorkStatus(work: string): StageStatus[] {
  if (!fs.existsSync(work)) return []
  return fs
    .readdirSync(work)
    .map((d) => path.join(work, d))
    .filter((d) => fs.existsSync(stageLayout(d).planFile))
    // The folder where the plan was found, not the one it names: a work folder may have been moved.
    .map((d) => ({ ...readJson<StagePlan>(stageLayout(d).planFile), dir: d }))
    .sort((a, b) => a.position - b.position)
    .map((plan) => {
      const layout = stageLayout(plan.dir)
      const done = Array.from({ length: plan.world }, (_, r) => r).filter((r) => fs.existsSync(layout.done(r))).length
      const timing = fs.existsSync(layout.timing) ? readJson<StageTiming>(layout.timing) : null
      return { plan, done, summary: sumStats(plan.stage, readStageStats(plan)), wallSeconds: timing?.wall_seconds ?? null }
    })
}

/**
 * Whether a run holds `dir` (a work folder, or a stage folder a single-stage command writes): "running:
 * pid N since T, stage S", or that a lock left by a process that is gone is stale; null when unlocked.
 */
export function renderLock(dir: string): string | null {
  const lock = readLock(dir)
  if (lock === null) return null
  const since = lock.since ? ` since ${lock.since}` : ""
  if (!lock.alive) {
    return `stale lock: ${lock.file} names pid ${lock.pid}${since}, which is no longer running; the next run takes it over`
  }
  const stage = lock.stage ? `, stage ${lock.stage}${lock.stage_since ? ` (since ${lock.stage_since})` : ""}` : ", planning"
  return `running: pid ${lock.pid}${since}${stage}`
}

/** Columns of text: the first (a name) and `textColumns` padded on the right, numbers on the left. */
function table(header: string[], rows: string[][], textColumns: ReadonlyArray<number> = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || textColumns.includes(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ").trimEnd()
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

export function renderStatus(stages: ReadonlyArray<StageStatus>): string {
  if (stages.length === 0) return "no stages found (is this a scicurate work folder?)"
  const rows = stages.map(({ plan, done, summary: s, wallSeconds }) => {
    const balanced = s.records_in === s.documents_out + s.filtered + s.duplicates + s.rejected
    return [
      plan.stage,
      `${done}/${plan.world}`,
      fmtInt(s.records_in),
      fmtInt(s.documents_out),
      fmtInt(s.filtered),
      fmtInt(s.duplicates),
      fmtInt(s.rejected),
      fmtBytes(s.bytes_in),
      s.tokens_out ? fmtInt(s.tokens_out) : "-",
      wallSeconds === null ? "-" : `${wallSeconds.toFixed(1)} s`,
      done < plan.world ? "incomplete" : balanced ? "ok" : "UNBALANCED"
    ]
  })
  const out = [table(["stage", "tasks", "in", "out", "filtered", "duplicates", "rejected", "bytes in", "tokens", "wall time", "accounting"], rows)]
  const reasons = stages.flatMap(({ plan, summary }) => Object.entries(summary.reasons).map(([k, v]) => `  ${plan.stage} ${k}: ${fmtInt(v)}`))
  if (reasons.length > 0) out.push("", "reasons:", ...reasons)
  const rejectFiles = stages.flatMap(({ plan }) => {
    const dir = path.join(plan.dir, "_rejects")
    return fs.existsSync(dir) && fs.readdirSync(dir).length > 0 ? [`  ${dir}`] : []
  })
  if (rejectFiles.length > 0) out.push("", "rejected inputs are listed in:", ...rejectFiles)
  return out.join("\n")
}

/** `scicurate inspect`: a bundle's manifest as one screen for a curator. */
export function renderManifestSummary(dir: string, m: Manifest, review: string | null = null): string {
  const list = (b: Manifest["by_kind"]) =>
    Object.entries(b)
      .sort((x, y) => y[1].documents - x[1].documents || (x[0] < y[0] ? -1 : 1))
      .map(([k, v]) => `${k} ${fmtInt(v.documents)}`)
      .join(", ")
  const r = m.routing
  const lines = [
    `bundle ${m.name} ${m.version} (${m.title}): ${dir}`,
    ...(review === null ? [] : [`  review: ${review}`]),
    `  content sha256 ${m.content_sha256}, created ${m.created_at} by scicurate ${m.scicurate_version}, pipeline ${m.pipeline.name}`,
    `  ${fmtInt(m.totals.documents)} documents, ${fmtInt(m.totals.tokens)} tokens (${m.tokenizer.name}), ${fmtBytes(m.totals.text_bytes)} of text`,
    `  train ${fmtInt(m.totals.train.documents)} docs / ${fmtInt(m.totals.train.tokens)} tokens; validation ${fmtInt(m.totals.validation.documents)} docs / ${fmtInt(m.totals.validation.tokens)} tokens (fraction ${m.split.validation_fraction})`,
    `  ${m.totals.shards} Parquet shard(s), ${fmtBytes(m.totals.bytes)}; ${m.token_shards.length} token shard(s), ${fmtBytes(m.totals.token_bytes)}`,
    `  by kind:    ${list(m.by_kind)}`,
    `  by format:  ${list(m.by_format)}`,
    `  by license: ${list(m.by_license)}`,
    `  by source:  ${list(m.by_source)}`,
    `  routing score: min ${r.score.min}, p10 ${r.score.p10}, median ${r.score.p50}, p90 ${r.score.p90}, max ${r.score.max}; close calls ${fmtInt(r.close_calls)}`,
    `  duplicates removed upstream (kept copy here): ${Object.entries(m.duplicates_removed).map(([k, v]) => `${k} ${fmtInt(v)}`).join(", ") || "none"}`,
    `  runner-up:  ${Object.entries(r.runner_up).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${fmtInt(v)}`).join(", ")}`,
    ...(m.definition?.token_target ? [`  token target ${fmtInt(m.definition.token_target)} (${((100 * m.totals.tokens) / m.definition.token_target).toFixed(3)}% reached), sampling weight ${m.definition.sampling_weight}`] : []),
    "  samples:",
    ...m.samples.map((s) => `    ${s.id.slice(0, 12)} ${s.source_path}${s.title ? ` "${s.title.replace(/\s+/g, " ").slice(0, 60)}"` : ""}: ${s.route_reason}`),
    `  manifest:   ${path.join(dir, "manifest.json")}; dataset card: ${path.join(dir, "README.md")}`
  ]
  return lines.join("\n")
}

/** After a run: one line per bundle in an output folder. */
export function renderBundleTable(output: string): string {
  if (!fs.existsSync(output)) return `no bundles in ${output}`
  const rows: string[][] = []
  for (const name of fs.readdirSync(output).sort()) {
    if (name.startsWith(".") || !fs.existsSync(path.join(output, name, "manifest.json"))) continue
    const m = readManifest(path.join(output, name))
    if (typeof m === "string") {
      rows.push([name, "-", "-", "-", "-", "-", m])
      continue
    }
    const top = Object.entries(m.by_kind).sort((a, b) => b[1].documents - a[1].documents).map(([k, v]) => `${k} ${fmtInt(v.documents)}`).join(", ")
    rows.push([m.name, fmtInt(m.totals.documents), fmtInt(m.totals.tokens), fmtInt(m.totals.validation.documents), String(m.totals.shards), String(m.token_shards.length), top])
  }
  if (rows.length === 0) return `no bundles in ${output}`
  return [`bundles in ${output}:`, table(["bundle", "documents", "tokens", "validation", "shards", "token shards", "kinds"], rows)].join("\n")
}

export function renderVerify(dir: string, report: VerifyReport): string {
  const lines = report.shards.map((s) => `${s.ok ? "ok      " : "MISMATCH"} ${s.path}${s.ok ? "" : `: ${s.problems.join("; ")}`}`)
  for (const o of report.other) lines.push(`PROBLEM  ${o}`)
  const bad = report.shards.filter((s) => !s.ok).length + report.other.length
  lines.push(report.ok ? `verified ${dir}: ${report.shards.length} shard(s) match the manifest` : `FAILED ${dir}: ${bad} problem(s)`)
  return lines.join("\n")
}

/**
 * `status`: where each bundle stands with the curators (state of its current content), so the data
 * engineer sees what a release would take before running it.
 */
export function renderReviewTable(bundlesDir: string): string {
  const reviews = bundleReviews(bundlesDir)
  if (reviews.length === 0) return `no bundles in ${bundlesDir}`
  const rows = reviews.map((r) =>
    r.manifest === null
      ? [r.name, "unknown", "-", r.problem]
      : [r.name, r.review.state, `${r.manifest.content_sha256.slice(0, 12)}…`, describeReview(r.review)]
  )
  const approved = reviews.filter((r) => r.manifest !== null && r.review.state === "approved").length
  return [`reviews of the bundles in ${bundlesDir} (${approved} of ${reviews.length} approved for release):`, table(["bundle", "review", "content", "decision"], rows, [1, 2, 3])].join("\n")
}
