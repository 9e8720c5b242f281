/**
 * Two runs of a bundle side by side (/ui/compare?a=FOLDER&b=FOLDER): documents added, removed and
 * changed by id (the id is the sha256 of the text: "changed" = the same input position, source_path and
 * source_index, with another id), and the token and source deltas. Folders are named root-relative
 * (`work/bundles/chemistry`, `releases/v1/bundles/chemistry`) and must lie under the served roots: a
 * request never names a filesystem path.
 */
import type { Context } from "hono"
import type { Manifest } from "../../bundle/manifest.ts"
import { clip, documentHref, href, num, uiPage } from "./common.ts"
import { bundleSource, findBundle, listBundles, listReleases, memoized, query, resolveServedBundle, rootRelative, servedRoots, type BundleRef } from "./data.ts"
import { html, type SafeHtml } from "./html.ts"
import type { ServeContext } from "../context.ts"

const LISTED_PER_CHANGE = 200

interface Change {
  readonly change: "added" | "removed" | "changed"
  readonly source_path: string
  readonly source_index: number | null
  readonly a_id: string | null
  readonly b_id: string | null
  readonly a_tokens: number | null
  readonly b_tokens: number | null
}

function diffDocuments(a: BundleRef, b: BundleRef): Promise<{ counts: Record<string, number>; changes: Change[] }> {
  return memoized(`compare:${a.dir}:${a.manifest.content_sha256}:${b.dir}:${b.manifest.content_sha256}`, async () => {
    const empty = `(SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS source_path, NULL::BIGINT AS source_index, NULL::BIGINT AS n_tokens WHERE false)`
    const side = (x: BundleRef) => {
      const src = bundleSource(x)
      return src === null ? empty : `(SELECT id, source_path, source_index, n_tokens FROM ${src})`
    }
    const ctes = `WITH a AS ${side(a)}, b AS ${side(b)},
      only_a AS (SELECT * FROM a WHERE id NOT IN (SELECT id FROM b)),
      only_b AS (SELECT * FROM b WHERE id NOT IN (SELECT id FROM a)),
      changed AS (SELECT only_a.source_path, only_a.source_index, only_a.id AS a_id, only_b.id AS b_id, only_a.n_tokens AS a_tokens, only_b.n_tokens AS b_tokens
                  FROM only_a JOIN only_b ON only_a.source_path = only_b.source_path AND only_a.source_index IS NOT DISTINCT FROM only_b.source_index),
      changes AS (
        SELECT 'changed' AS change, * FROM changed
        UNION ALL SELECT 'removed', source_path, source_index, id, NULL, n_tokens, NULL FROM only_a WHERE id NOT IN (SELECT a_id FROM changed)
        UNION ALL SELECT 'added', source_path, source_index, NULL, id, NULL, n_tokens FROM only_b WHERE id NOT IN (SELECT b_id FROM changed))`
    const counts = Object.fromEntries((await query(`${ctes} SELECT change, count(*) AS n FROM changes GROUP BY 1`)).map((r) => [String(r.change), Number(r.n)]))
    const changes = (await query(
      `${ctes} SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY change ORDER BY source_path, source_index, coalesce(a_id, b_id)) AS rank FROM changes)
       WHERE rank <= ${LISTED_PER_CHANGE} ORDER BY change, rank`,
      [],
      LISTED_PER_CHANGE * 3
    )) as unknown as Change[]
    return { counts, changes }
  })
}

const delta = (a: number, b: number): SafeHtml => {
  const d = b - a
  return html`<span class="${d > 0 ? "delta-up" : d < 0 ? "delta-down" : "delta-none"}">${d > 0 ? "+" : ""}${num(d)}</span>`
}

function breakdownDelta(title: string, a: Manifest["by_source"], b: Manifest["by_source"]): SafeHtml {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
  return html`<table class="delta"><thead><tr><th>${title}</th><th class="num">documents A</th><th class="num">documents B</th><th class="num">Δ</th><th class="num">tokens A</th><th class="num">tokens B</th><th class="num">Δ</th></tr></thead><tbody>${keys.map((k) => {
    const x = a[k] ?? { documents: 0, tokens: 0 }
    const y = b[k] ?? { documents: 0, tokens: 0 }
    return html`<tr><td>${k}</td><td class="num">${num(x.documents)}</td><td class="num">${num(y.documents)}</td><td class="num">${delta(x.documents, y.documents)}</td><td class="num">${num(x.tokens)}</td><td class="num">${num(y.tokens)}</td><td class="num">${delta(x.tokens, y.tokens)}</td></tr>`
  })}</tbody></table>`
}

/** The served bundle a folder is, when it is one (its documents then get links). */
function servedName(ctx: ServeContext, x: BundleRef): string | null {
  const served = listBundles(ctx).find((b) => b.dir === x.dir)
  return served?.name ?? null
}

function compareForm(ctx: ServeContext, a: string, b: string): SafeHtml {
  const options = [
    ...listBundles(ctx).map((x) => rootRelative(ctx, x.dir)),
    ...listReleases(ctx).flatMap((r) => r.index.bundles.map((x) => rootRelative(ctx, `${r.dir}/${x.path}`)))
  ].filter((x): x is string => x !== null)
  return html`<form method="get" action="/ui/compare" id="compare-form">
    <p class="muted">Folders are named from a served root: ${Object.keys(servedRoots(ctx)).map((r) => `${r}/…`).join(", ")} (for example <code>work/bundles/chemistry</code> or <code>releases/v1/bundles/chemistry</code>).</p>
    <label>A (before) <input name="a" list="served-bundles" value="${a}" size="50" required></label>
    <label>B (after) <input name="b" list="served-bundles" value="${b}" size="50" required></label>
    <datalist id="served-bundles">${options.map((o) => html`<option value="${o}"></option>`)}</datalist>
    <button>Compare</button></form>`
}

export async function comparePage(ctx: ServeContext, c: Context): Promise<string> {
  const aSpec = c.req.query("a") ?? ""
  const bSpec = c.req.query("b") ?? ""
  if (aSpec === "" || bSpec === "") return uiPage("Compare two runs of a bundle", compareForm(ctx, aSpec, bSpec))
  // A bare bundle name means the served bundle of that name.
  const resolve = (spec: string) => (spec.includes("/") ? resolveServedBundle(ctx, spec) : findBundle(ctx, spec))
  const a = resolve(aSpec)
  const b = resolve(bSpec)
  const { counts, changes } = await diffDocuments(a, b)
  const aName = servedName(ctx, a)
  const bName = servedName(ctx, b)
  const idCell = (id: string | null, served: string | null) =>
    id === null ? html`–` : served !== null ? html`<a href="${documentHref(served, id)}"><code>${id.slice(0, 12)}…</code></a>` : html`<code>${id.slice(0, 12)}…</code>`
  const list = (change: Change["change"]) => {
    const rows = changes.filter((x) => x.change === change)
    const n = counts[change] ?? 0
    return html`<section id="${change}"><h2>${change[0]!.toUpperCase()}${change.slice(1)} (<span data-count="${change}">${num(n)}</span>)</h2>${
      rows.length === 0
        ? html`<p class="muted">None.</p>`
        : html`<table><thead><tr><th>source</th><th>A</th><th>B</th><th class="num">tokens A</th><th class="num">tokens B</th></tr></thead><tbody>${rows.map(
            (x) => html`<tr><td>${clip(x.source_path, 100)} <span class="muted">#${String(x.source_index)}</span></td><td>${idCell(x.a_id, aName)}</td><td>${idCell(x.b_id, bName)}</td><td class="num">${num(x.a_tokens)}</td><td class="num">${num(x.b_tokens)}</td></tr>`
          )}</tbody></table>${n > rows.length ? html`<p class="muted">The first ${rows.length} of ${num(n)}.</p>` : ""}`
    }</section>`
  }
  const ma = a.manifest
  const mb = b.manifest
  return uiPage(
    `Compare ${a.name}`,
    html`${compareForm(ctx, aSpec, bSpec)}
    <table id="compare-totals"><thead><tr><th></th><th>A: ${aSpec}</th><th>B: ${bSpec}</th><th class="num">Δ</th></tr></thead><tbody>
      <tr><th>version</th><td>${ma.version}</td><td>${mb.version}</td><td></td></tr>
      <tr><th>content_sha256</th><td><code>${ma.content_sha256.slice(0, 16)}…</code></td><td><code>${mb.content_sha256.slice(0, 16)}…</code></td><td>${ma.content_sha256 === mb.content_sha256 ? "same content" : "differs"}</td></tr>
      <tr><th>documents</th><td class="num">${num(ma.totals.documents)}</td><td class="num">${num(mb.totals.documents)}</td><td class="num" data-delta="documents">${delta(ma.totals.documents, mb.totals.documents)}</td></tr>
      <tr><th>tokens</th><td class="num">${num(ma.totals.tokens)}</td><td class="num">${num(mb.totals.tokens)}</td><td class="num" data-delta="tokens">${delta(ma.totals.tokens, mb.totals.tokens)}</td></tr>
      <tr><th>train tokens</th><td class="num">${num(ma.totals.train.tokens)}</td><td class="num">${num(mb.totals.train.tokens)}</td><td class="num">${delta(ma.totals.train.tokens, mb.totals.train.tokens)}</td></tr>
      <tr><th>validation tokens</th><td class="num">${num(ma.totals.validation.tokens)}</td><td class="num">${num(mb.totals.validation.tokens)}</td><td class="num">${delta(ma.totals.validation.tokens, mb.totals.validation.tokens)}</td></tr>
    </tbody></table>
    ${list("added")}${list("removed")}${list("changed")}
    <h2>Sources</h2>${breakdownDelta("source", ma.by_source, mb.by_source)}
    <h2>Formats</h2>${breakdownDelta("format", ma.by_format, mb.by_format)}
    <p><a href="${href("/ui/compare", { a: bSpec, b: aSpec })}">swap A and B</a></p>`
  )
}
