/**
 * The quality report as curators read it: `README.md` (tables) and `index.html` (a histogram per rule
 * and bundle with the threshold marked, and the documents either side of it), both offline and self-contained.
 */
import { columnChart, CHART_GRID_STYLE, type Bar } from "../serve/ui/charts.ts"
import { html, page, type SafeHtml } from "../serve/ui/html.ts"
import type { QualityReport, ReportSample, RuleBundleReport, RuleReport } from "./report.ts"

const pct = (x: number): string => `${(x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 1)}%`
const fmt = (n: number): string => n.toLocaleString("en-US")
const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\s+/g, " ")
const boundText = (r: RuleReport["rule"], threshold: number | null): string =>
  threshold === null ? "off" : `${r.bound === "min" ? "removed below" : "removed above"} ${threshold}`

export function renderReportMarkdown(report: QualityReport): string {
  const lines = [
    "# Quality report",
    "",
    `${fmt(report.documents)} documents; nothing was removed (this report only measures). Bundles: ${Object.entries(report.bundles).map(([b, n]) => `${b} ${fmt(n)}`).join(", ")}.`,
    "",
    "## What the filter stage would remove, per bundle and reason",
    "",
    "| bundle | documents | removed | reasons |",
    "| --- | ---: | ---: | --- |",
    ...Object.entries(report.bundles).map(([bundle, n]) => {
      const reasons = report.filter_removed[bundle] ?? {}
      const removed = Object.values(reasons).reduce((a, b) => a + b, 0)
      return `| ${bundle} | ${fmt(n)} | ${fmt(removed)} (${pct(removed / Math.max(1, n))}) | ${Object.entries(reasons).map(([r, k]) => `${r} ${fmt(k)}`).join(", ") || "none"} |`
    }),
    "",
    "## Rules",
    "",
    "Per rule and bundle: documents the rule applies to, the share failing it at its threshold (whatever other rules say), those it would be recorded for (their first failing rule), and the measure's percentiles.",
    "",
    "| rule | reason | threshold | bundle | judged | failing | recorded | p1 | p10 | p50 | p90 | p99 |",
    "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...report.rules.flatMap((r) =>
      r.bundles.map(
        (b) =>
          `| ${r.rule.name} | ${r.rule.reason} | ${boundText(r.rule, b.threshold)} | ${b.bundle} | ${fmt(b.judged)} | ${fmt(b.failing)} (${pct(b.failing_rate)}) | ${fmt(b.removed_first)} | ` +
          `${b.quantiles?.p1 ?? ""} | ${b.quantiles?.p10 ?? ""} | ${b.quantiles?.p50 ?? ""} | ${b.quantiles?.p90 ?? ""} | ${b.quantiles?.p99 ?? ""} |`
      )
    ),
    "",
    "## Documents nearest each threshold",
    "",
    ...report.rules.flatMap((r) =>
      r.bundles.flatMap((b) =>
        b.removed_side.length + b.kept_side.length === 0
          ? []
          : [
              `### ${r.rule.name} in ${b.bundle} (${boundText(r.rule, b.threshold)})`,
              "",
              r.rule.description,
              "",
              "| side | value | document | excerpt |",
              "| --- | ---: | --- | --- |",
              ...b.removed_side.map((s) => sampleRow("removed", s)),
              ...b.kept_side.map((s) => sampleRow("kept", s)),
              ""
            ]
      )
    ),
    ...(report.languages === null
      ? []
      : [
          "## Languages",
          "",
          "| bundle | judged | exempt | languages | would remove |",
          "| --- | ---: | ---: | --- | --- |",
          ...report.languages.map(
            (l) =>
              `| ${l.bundle} | ${fmt(l.judged)} | ${fmt(l.exempt)} | ${Object.entries(l.languages).slice(0, 12).map(([c, n]) => `${c} ${fmt(n)}`).join(", ")} | ${Object.entries(l.removed).map(([r, n]) => `${r} ${fmt(n)}`).join(", ") || "none"} |`
          ),
          ""
        ])
  ]
  return lines.join("\n") + "\n"
}

const sampleRow = (side: string, s: ReportSample): string => `| ${side} | ${s.value} | ${cell(s.source_path)} #${s.source_index} | ${cell(s.excerpt.slice(0, 200))} |`

function histogramBars(b: RuleBundleReport, rule: RuleReport["rule"]): Bar[] {
  return b.histogram.map((h) => {
    const removed = b.threshold !== null && (rule.bound === "min" ? h.to <= b.threshold : h.from >= b.threshold)
    return { label: `${removed ? "✗ " : ""}${h.from}`, value: h.documents, detail: `${h.from} to ${h.to}: ${fmt(h.documents)} document(s)${removed ? ", removed" : ""}` }
  })
}

const samplesTable = (side: string, samples: ReadonlyArray<ReportSample>): SafeHtml =>
  samples.length === 0
    ? html``
    : html`<table class="samples" data-side="${side}"><thead><tr><th>${side}</th><th class="num">value</th><th>document</th><th>excerpt</th></tr></thead><tbody>${samples.map(
        (s) => html`<tr><td>${side}</td><td class="num">${s.value}</td><td>${s.source_path} #${s.source_index}</td><td>${s.excerpt}</td></tr>`
      )}</tbody></table>`

export function renderReportHtml(report: QualityReport): string {
  const removedTotal = (bundle: string) => Object.values(report.filter_removed[bundle] ?? {}).reduce((a, b) => a + b, 0)
  const body = html`<p>${fmt(report.documents)} documents; nothing was removed: this report measures what the filter and language stages would do at the configured thresholds.</p>
    <h2>What the filter stage would remove</h2>
    <table class="reasons"><thead><tr><th>bundle</th><th class="num">documents</th><th class="num">removed</th><th>reasons</th></tr></thead><tbody>${Object.entries(report.bundles).map(
      ([bundle, n]) =>
        html`<tr data-bundle="${bundle}"><td>${bundle}</td><td class="num">${fmt(n)}</td><td class="num">${fmt(removedTotal(bundle))} (${pct(removedTotal(bundle) / Math.max(1, n))})</td><td>${Object.entries(report.filter_removed[bundle] ?? {}).map(([r, k]) => `${r} ${fmt(k)}`).join(", ") || "none"}</td></tr>`
    )}</tbody></table>
    ${report.rules.map(
      (r) => html`<section class="rule" id="${r.rule.name}"><h2>${r.rule.name} <span class="muted">(${r.rule.reason}, ${r.rule.family})</span></h2><p>${r.rule.description}</p>
        ${r.bundles.length === 0
          ? html`<p class="muted">No document of the kinds it judges (${r.rule.kinds.join(", ")}).</p>`
          : r.bundles.map(
              (b) => html`<h3>${b.bundle}: ${boundText(r.rule, b.threshold)}; ${fmt(b.failing)} of ${fmt(b.judged)} failing (${pct(b.failing_rate)}), ${fmt(b.removed_first)} recorded under this rule</h3>
                <div style="${CHART_GRID_STYLE}">${columnChart(`${r.rule.measure} in ${b.bundle} (✗: removed side)`, histogramBars(b, r.rule), { xLabel: r.rule.measure })}</div>
                ${samplesTable("removed", b.removed_side)}${samplesTable("kept", b.kept_side)}`
            )}</section>`
    )}
    ${report.languages === null
      ? html``
      : html`<h2>Languages</h2><table><thead><tr><th>bundle</th><th class="num">judged</th><th class="num">exempt</th><th>languages</th><th>would remove</th></tr></thead><tbody>${report.languages.map(
          (l) =>
            html`<tr><td>${l.bundle}</td><td class="num">${fmt(l.judged)}</td><td class="num">${fmt(l.exempt)}</td><td>${Object.entries(l.languages).slice(0, 12).map(([c, n]) => `${c} ${fmt(n)}`).join(", ")}</td><td>${Object.entries(l.removed).map(([r, n]) => `${r} ${fmt(n)}`).join(", ") || "none"}</td></tr>`
        )}</tbody></table>`}`
  return page("Quality report", body)
}
