/** What `status`, `run` and `verify` print: plain text tables, one screen. */
import * as fs from "node:fs"
import * as path from "node:path"
import { readJson, stageLayout } from "../core/layout.ts"
import type { StagePlan } from "../core/stage.ts"
import { sumStats } from "../core/stats.ts"
import type { Manifest } from "../bundle/manifest.ts"
import type { VerifyReport } from "../bundle/verify.ts"
import { readStageStats, type StageTiming } from "../pipeline/run.ts"

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

const fmtInt = (n: number): string => n.toLocaleString("en-US")
export function fmtBytes(b: number): string {
  if (b < 1e3) return `${b} B`
  if (b < 1e6) return `${(b / 1e3).toFixed(1)} kB`
  if (b < 1e9) return `${(b / 1e6).toFixed(1)} MB`
  return `${(b / 1e9).toFixed(2)} GB`
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")
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

export function renderManifestSummary(dir: string, m: Manifest): string {
  const lines = [
    `bundle ${m.name} ${m.version}: ${dir}`,
    `  ${fmtInt(m.totals.documents)} documents, ${fmtInt(m.totals.tokens)} tokens (${m.tokenizer}), ${fmtBytes(m.totals.text_bytes)} of text in ${m.totals.shards} shard(s), ${fmtBytes(m.totals.bytes)} on disk`,
    `  by kind:    ${Object.entries(m.by_kind).map(([k, v]) => `${k} ${fmtInt(v.documents)}`).join(", ")}`,
    `  by format:  ${Object.entries(m.by_format).map(([k, v]) => `${k} ${fmtInt(v.documents)}`).join(", ")}`,
    `  by license: ${Object.entries(m.by_license).map(([k, v]) => `${k} ${fmtInt(v.documents)}`).join(", ")}`,
    `  manifest:   ${path.join(dir, "manifest.json")} (created ${m.created_at})`
  ]
  return lines.join("\n")
}

export function renderVerify(dir: string, report: VerifyReport): string {
  const lines = report.shards.map((s) => `${s.ok ? "ok      " : "MISMATCH"} ${s.path}${s.ok ? "" : `: ${s.problems.join("; ")}`}`)
  for (const o of report.other) lines.push(`PROBLEM  ${o}`)
  const bad = report.shards.filter((s) => !s.ok).length + report.other.length
  lines.push(report.ok ? `verified ${dir}: ${report.shards.length} shard(s) match the manifest` : `FAILED ${dir}: ${bad} problem(s)`)
  return lines.join("\n")
}
