/**
 * The bundle list (/ui/) and one bundle's page (/ui/bundles/<name>): the manifest as a page with charts
 * computed from its shards, what routing did, samples, the dataset card, and the decision slot.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { Context } from "hono"
import type { Manifest } from "../../bundle/manifest.ts"
import { readReviewLog, reviewState, type ReviewLog, type ReviewState } from "../../review/log.ts"
import type { ServeContext } from "../context.ts"
import { barChart, CHART_GRID_STYLE, columnChart, log2Bins, type Bar } from "./charts.ts"
import { bundleHref, documentHref, href, num, uiPage } from "./common.ts"
import { bundleReviews, manifestHashProblem } from "../../review/states.ts"
import { bundleSource, findBundle, latestReleaseWith, memoized, query, removedSource, rootRelative, type BundleRef } from "./data.ts"
import { signInStatus } from "./auth.ts"
import { decisionPanel } from "./decide.ts"
import { html, type SafeHtml } from "./html.ts"
import { renderCard } from "./markdown.ts"
import { topTerms } from "./terms.ts"

const emptyLog = (): ReviewLog => ({ file: "", decisions: [], problems: [] })

export const reviewLogOf = (ctx: ServeContext): ReviewLog => (ctx.reviewDir === null ? emptyLog() : readReviewLog(ctx.reviewDir))

export const stateBadge = (s: ReviewState): SafeHtml =>
  html`<span class="state ${s.state}" data-state="${s.state}">${s.state}</span>${s.changedSinceReview ? html` <span class="state needs-review changed" title="the latest decision was about other content">changed since review</span>` : ""}`

/** `status`: the header's sign-in status (auth.ts signInStatus). */
export function bundleListPage(ctx: ServeContext, status?: SafeHtml): string {
  if (ctx.bundlesDir === null) return uiPage("Bundles", html`<p class="muted">No bundles are served here.</p>`, status)
  const log = reviewLogOf(ctx)
  const reviews = bundleReviews(ctx.bundlesDir, log)
  if (reviews.length === 0) return uiPage("Bundles", html`<p class="muted">No bundles are served here.</p>`, status)
  const rows = reviews.map((b) => {
    if (b.manifest === null)
      return html`<tr data-bundle="${b.name}"><td>${b.name}</td><td colspan="4" class="state rejected">${b.problem}</td><td><span class="state needs-review" data-state="unreadable">cannot be reviewed</span></td></tr>`
    const m = b.manifest
    return html`<tr data-bundle="${b.name}">
      <td><a href="${bundleHref(b.name)}">${b.name}</a><div class="muted">${m.title}</div></td>
      <td class="num" data-field="documents">${num(m.totals.documents)}</td>
      <td class="num" data-field="tokens">${num(m.totals.tokens)}</td>
      <td class="num" data-field="shards">${num(m.totals.shards)}</td>
      <td>${m.version}</td>
      <td>${stateBadge(b.review)}</td></tr>`
  })
  const problems = log.problems.length === 0 ? html`` : html`<p class="state rejected">The review log ${log.file} has ${log.problems.length} problem line(s): ${log.problems.map((p) => `line ${p.line}: ${p.problem}`).join("; ")}</p>`
  const readable = reviews.flatMap((b) => (b.manifest === null ? [] : [b.manifest.totals]))
  const total = readable.reduce((a, t) => ({ documents: a.documents + t.documents, tokens: a.tokens + t.tokens }), { documents: 0, tokens: 0 })
  return uiPage(
    "Bundles",
    html`${problems}<p class="muted">${reviews.length} bundle(s), ${num(total.documents)} documents, ${num(total.tokens)} tokens, from ${ctx.bundlesDir}.</p>
    <table id="bundles"><thead><tr><th>bundle</th><th class="num">documents</th><th class="num">tokens</th><th class="num">shards</th><th>version</th><th>review</th></tr></thead>
    <tbody>${rows}</tbody></table>`,
    status
  )
}

interface BundleStats {
  readonly lengths: Bar[]
  readonly tokens: Bar[]
  readonly programs: Bar[]
  readonly duplicates: number
}

/** Charts' numbers from the shards themselves (the manifest has breakdowns, not distributions). */
function bundleStats(ctx: ServeContext, b: BundleRef): Promise<BundleStats> {
  return memoized(`stats:${b.dir}:${b.manifest.content_sha256}`, async () => {
    const src = bundleSource(b)
    if (src === null) return { lengths: [], tokens: [], programs: [], duplicates: 0 }
    const bins = async (expr: string) =>
      (await query(`SELECT CAST(floor(log2(greatest(${expr}, 1))) AS INTEGER) AS bin, count(*) AS documents FROM ${src} GROUP BY 1 ORDER BY 1`)) as Array<{ bin: number; documents: number }>
    const programs = await query(
      `SELECT json_extract_string(metadata, '$.program') AS program, count(*) AS documents FROM ${src}
       WHERE json_valid(metadata) AND json_extract_string(metadata, '$.program') IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 30`
    )
    const removed = removedSource(ctx)
    const duplicates = removed === null ? 0 : Number((await query(`SELECT count(*) AS n FROM ${removed} WHERE kept_id IN (SELECT id FROM ${src})`))[0]?.n ?? 0)
    return {
      lengths: log2Bins(await bins("length(text)"), "characters"),
      tokens: log2Bins(await bins("n_tokens"), "tokens"),
      programs: programs.map((r) => ({ label: String(r.program), value: Number(r.documents) })),
      duplicates
    }
  })
}

const breakdownBars = (breakdown: Manifest["by_kind"]): Bar[] =>
  Object.entries(breakdown)
    .sort((a, b) => b[1].documents - a[1].documents || a[0].localeCompare(b[0]))
    .slice(0, 30)
    .map(([label, v]) => ({ label, value: v.documents, detail: `${label}: ${num(v.documents)} documents, ${num(v.tokens)} tokens` }))

const breakdownTable = (title: string, breakdown: Manifest["by_kind"]): SafeHtml =>
  html`<table class="breakdown"><thead><tr><th>${title}</th><th class="num">documents</th><th class="num">tokens</th></tr></thead><tbody>${Object.entries(breakdown)
    .sort((a, b) => b[1].documents - a[1].documents)
    .map(([k, v]) => html`<tr><td>${k}</td><td class="num">${num(v.documents)}</td><td class="num">${num(v.tokens)}</td></tr>`)}</tbody></table>`

export async function bundlePage(ctx: ServeContext, c: Context, name: string): Promise<string> {
  const b = findBundle(ctx, name)
  const m = b.manifest
  const state = reviewState(reviewLogOf(ctx), b.name, m.content_sha256)
  const stats = await bundleStats(ctx, b)
  const isUnrouted = m.definition === null
  const hashProblem = manifestHashProblem(m)
  const missingShards = m.shards.filter((s) => !fs.existsSync(path.join(b.dir, s.path))).map((s) => s.path)
  const terms = isUnrouted ? await topTerms(b) : []
  const released = latestReleaseWith(ctx, b.name)
  const here = rootRelative(ctx, b.dir)
  const cardFile = path.join(b.dir, "README.md")
  const card = fs.existsSync(cardFile) ? renderCard(fs.readFileSync(cardFile, "utf8")) : html`<p class="muted">No dataset card (README.md).</p>`

  const totals = html`<table id="totals"><tbody>
    <tr><th>documents</th><td class="num" data-field="documents">${num(m.totals.documents)}</td></tr>
    <tr><th>tokens</th><td class="num" data-field="tokens">${num(m.totals.tokens)}</td></tr>
    <tr><th>text bytes</th><td class="num">${num(m.totals.text_bytes)}</td></tr>
    <tr><th>Parquet shards</th><td class="num" data-field="shards">${num(m.totals.shards)} (${num(m.totals.bytes)} bytes)</td></tr>
    <tr><th>token shards</th><td class="num">${num(m.token_shards.length)} (${num(m.totals.token_bytes)} bytes, ${m.tokenizer.name})</td></tr>
    <tr><th>duplicates removed (kept copy here)</th><td class="num">${Object.entries(m.duplicates_removed).map(([k, v]) => `${k} ${num(v)}`).join(", ") || "none"}</td></tr>
  </tbody></table>`
  const splits = html`<table id="splits"><thead><tr><th>split</th><th class="num">documents</th><th class="num">tokens</th></tr></thead><tbody>
    <tr><td>train</td><td class="num" data-field="train-documents">${num(m.totals.train.documents)}</td><td class="num">${num(m.totals.train.tokens)}</td></tr>
    <tr><td>validation</td><td class="num" data-field="validation-documents">${num(m.totals.validation.documents)}</td><td class="num">${num(m.totals.validation.tokens)}</td></tr>
  </tbody></table><p class="muted">Validation fraction ${m.split.validation_fraction}, seed ${m.split.seed}: ${m.split.rule}.</p>`
  const shards = html`<table id="shards"><thead><tr><th>shard</th><th>split</th><th class="num">rows</th><th class="num">tokens</th><th class="num">bytes</th><th>sha256</th></tr></thead><tbody>${m.shards.map(
    (s) => html`<tr><td>${s.path}</td><td>${s.split}</td><td class="num">${num(s.rows)}</td><td class="num">${num(s.tokens)}</td><td class="num">${num(s.bytes)}</td><td><code title="${s.sha256}">${s.sha256.slice(0, 16)}…</code></td></tr>`
  )}</tbody></table>`

  const routingBars: Bar[] = m.routing.histogram.map((h) => ({ label: h.to === null ? `≥${h.from}` : `${h.from}–${h.to}`, value: h.documents }))
  const runnerUps: Bar[] = Object.entries(m.routing.runner_up)
    .sort((a, b) => b[1] - a[1])
    .map(([label, value]) => ({ label, value }))
  const q = m.routing.score
  const charts = html`<div id="charts" style="${CHART_GRID_STYLE}">
    ${columnChart("Document length (characters)", stats.lengths, { xLabel: "characters (power-of-two bins)" })}
    ${columnChart("Tokens per document", stats.tokens, { xLabel: `${m.tokenizer.name} tokens (power-of-two bins)` })}
    ${barChart("By kind (documents)", breakdownBars(m.by_kind))}
    ${barChart("By format (documents)", breakdownBars(m.by_format))}
    ${stats.programs.length > 0 ? barChart("By program (documents)", stats.programs) : ""}
    ${barChart("By license (documents)", breakdownBars(m.by_license))}
    ${barChart("By source (documents)", breakdownBars(m.by_source))}
    ${columnChart(isUnrouted ? "Best score reached (unrouted)" : "Routing score", routingBars, { xLabel: "score" })}
    ${barChart(isUnrouted ? "Closest bundle" : "Runner-up bundle", runnerUps)}
  </div>
  <p>Routing score: min ${num(q.min)}, p10 ${num(q.p10)}, median ${num(q.p50)}, p90 ${num(q.p90)}, max ${num(q.max)}, mean ${num(q.mean)}; close calls: ${num(m.routing.close_calls)}.</p>`

  const termsBlock = isUnrouted
    ? html`<section id="top-terms"><h2>Top terms</h2><p class="muted">The most frequent words of these documents by the number of documents using them (then occurrences; stop words, numbers and words under 3 letters left out): candidates for a bundle's lexicon. Shown as documents / occurrences.</p>
      <ol class="terms" style="columns:4 14rem;padding-left:1.6rem">${terms.map(
        (t) => html`<li><span class="term">${t.term}</span> <span class="muted" title="documents / occurrences">${num(t.documents)} / ${num(t.occurrences)}</span></li>`
      )}</ol></section>`
    : html``

  const samples = html`<table id="samples"><thead><tr><th>title</th><th>source</th><th>routing reason</th></tr></thead><tbody>${m.samples.map(
    (s) => html`<tr><td><a href="${documentHref(b.name, s.id)}">${s.title ?? s.id.slice(0, 16)}</a></td><td>${s.source_path}</td><td>${s.route_reason}</td></tr>`
  )}</tbody></table>`

  const accounting = html`<table id="accounting"><thead><tr><th>stage</th><th class="num">in</th><th class="num">out</th><th class="num">filtered</th><th class="num">duplicates</th><th class="num">rejected</th></tr></thead><tbody>${Object.entries(
    m.accounting
  ).map(
    ([stage, a]) =>
      html`<tr><td>${stage}</td><td class="num">${num(a.records_in)}</td><td class="num">${num(a.documents_out)}</td><td class="num">${num(a.filtered)}</td><td class="num">${num(a.duplicates)}</td><td class="num">${num(a.rejected)}</td></tr>`
  )}</tbody></table><p class="muted">The whole run (all bundles). <a href="/ui/left-out">What was left out and why</a>.</p>`

  const compareLinks = html`<p id="compare-links">${
    released !== null && here !== null
      ? html`<a href="${href("/ui/compare", { a: rootRelative(ctx, released.dir), b: here })}">Compare with release ${released.release.name}</a> · `
      : html`<span class="muted">No release holds this bundle yet.</span> `
  }<a href="${href("/ui/compare", { b: here })}">compare with another folder…</a></p>`

  const documentsBlock = html`<form method="get" action="${bundleHref(b.name)}/documents" class="search">
      <label>Search text and source path <input type="search" name="q" required></label> <button>Search</button>
      · <a href="${href(`${bundleHref(b.name)}/documents`, { sample: 20 })}">random sample of 20</a>
      · <a id="duplicates-link" href="${href("/ui/left-out", { bundle: b.name })}#duplicates">${num(stats.duplicates)} duplicate(s) whose kept copy is here</a>
    </form>`

  return uiPage(
    m.title,
    html`${hashProblem === null ? "" : html`<p class="state rejected" id="manifest-problem">${hashProblem}</p>`}
    ${missingShards.length === 0 ? "" : html`<p class="state rejected" id="missing-shards">Shards listed in the manifest are missing (the charts and documents leave them out): ${missingShards.join(", ")}. Run scicurate verify.</p>`}
    <p><code>${b.name}</code> ${m.version} · ${stateBadge(state)} · made ${m.created_at} by scicurate ${m.scicurate_version} from pipeline ${m.pipeline.name}</p>
    <p>${m.description}</p>
    <p class="muted">content_sha256 <code id="content-sha256">${m.content_sha256}</code></p>
    ${compareLinks}
    <section id="decision">${await decisionPanel(ctx, c, b.name, m)}</section>
    <h2>Documents</h2>${documentsBlock}
    <h2>Totals</h2>${totals}
    <h2>Splits</h2>${splits}
    <h2>Charts</h2>${charts}
    ${termsBlock}
    <h2>Breakdowns</h2><div class="grid">${breakdownTable("kind", m.by_kind)}${breakdownTable("format", m.by_format)}${breakdownTable("license", m.by_license)}${breakdownTable("source", m.by_source)}</div>
    <h2>Samples</h2>${samples}
    <h2>Shards</h2>${shards}
    <h2>Accounting</h2>${accounting}
    <h2>Dataset card</h2><section id="card">${card}</section>`,
    signInStatus(ctx, c)
  )
}
