/**
 * What the run left out and why: rejected and filtered inputs per stage and reason, with samples and a
 * paged list per reason; and the duplicate clusters dedup removed, each cluster's kept and removed
 * copies side by side with their word differences marked.
 */
import type { Context } from "hono"
import { clip, href, intParam, num, pager, uiPage } from "./common.ts"
import { BadRequest, bundleSource, dedupInputSource, filteredExcerpts, findBundle, forEachLeftOut, NotFound, query, removedSource, type LeftOutKind, type LeftOutRecord } from "./data.ts"
import { diffWords } from "./diff.ts"
import { html, type SafeHtml } from "./html.ts"
import type { ServeContext } from "../context.ts"

const SAMPLES_PER_REASON = 5
const LIST_PAGE = 100
const CLUSTERS_SHOWN = 200

interface ReasonSummary {
  readonly stage: string
  readonly reason: string
  count: number
  readonly samples: LeftOutRecord[]
}

function summarize(ctx: ServeContext, kind: LeftOutKind): ReasonSummary[] {
  const byKey = new Map<string, ReasonSummary>()
  forEachLeftOut(ctx, kind, (r) => {
    const key = `${r.stage}\u0000${r.reason}`
    let s = byKey.get(key)
    if (s === undefined) byKey.set(key, (s = { stage: r.stage, reason: r.reason, count: 0, samples: [] }))
    s.count++
    if (s.samples.length < SAMPLES_PER_REASON) s.samples.push(r)
  })
  return [...byKey.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
}

/** Scores as a curator reads them: `name value` pairs, the measure that decided first when known. */
const scoresText = (scores: Readonly<Record<string, number>> | undefined): string =>
  scores === undefined ? "" : Object.entries(scores).map(([k, v]) => `${k} ${v}`).join(" · ")

const recordRow =
  (excerpts: ReadonlyMap<string, string>) =>
  (r: LeftOutRecord): SafeHtml => {
    const excerpt = r.id !== undefined ? excerpts.get(r.id) : undefined
    return html`<tr><td>${clip(r.source_path, 120)}${r.location !== undefined ? html` <span class="muted">${r.location}</span>` : ""}</td><td>${clip(r.detail, 240)}${
      r.scores !== undefined ? html`<div class="muted scores">${clip(scoresText(r.scores), 400)}</div>` : ""
    }</td>${excerpts.size > 0 ? html`<td class="excerpt">${excerpt === undefined ? "" : clip(excerpt, 400)}</td>` : ""}</tr>`
  }

const recordHead = (excerpts: ReadonlyMap<string, string>): SafeHtml => html`<thead><tr><th>input</th><th>detail</th>${excerpts.size > 0 ? html`<th>text</th>` : ""}</tr></thead>`

function reasonSection(kind: LeftOutKind, summaries: ReasonSummary[], excerpts: ReadonlyMap<string, string> = new Map()): SafeHtml {
  const title = kind === "rejects" ? "Rejected inputs" : "Filtered inputs"
  if (summaries.length === 0) return html`<section id="${kind}"><h2>${title}</h2><p class="muted">None.</p></section>`
  const total = summaries.reduce((n, s) => n + s.count, 0)
  return html`<section id="${kind}"><h2>${title} (${num(total)})</h2>
    <table class="reasons"><thead><tr><th>stage</th><th>reason</th><th class="num">inputs</th></tr></thead><tbody>${summaries.map(
      (s) => html`<tr data-reason="${s.reason}"><td>${s.stage}</td><td><a href="${href("/ui/left-out", { kind, stage: s.stage, reason: s.reason })}">${s.reason}</a></td><td class="num">${num(s.count)}</td></tr>`
    )}</tbody></table>
    ${summaries.map(
      (s) => html`<h3>${s.stage}: ${s.reason} <span class="muted">(${num(s.count)})</span></h3>
        <table class="samples">${recordHead(excerpts)}<tbody>${s.samples.map(recordRow(excerpts))}</tbody></table>${
          s.count > s.samples.length ? html`<p><a href="${href("/ui/left-out", { kind, stage: s.stage, reason: s.reason })}">all ${num(s.count)}</a></p>` : ""
        }`
    )}</section>`
}

/** One reason's inputs, paged. */
async function reasonListPage(ctx: ServeContext, kind: LeftOutKind, stage: string, reason: string, pageNo: number): Promise<string> {
  const first = (pageNo - 1) * LIST_PAGE
  const shown: LeftOutRecord[] = []
  let count = 0
  forEachLeftOut(ctx, kind, (r) => {
    if (r.reason !== reason || (stage !== "" && r.stage !== stage)) return
    if (count >= first && shown.length < LIST_PAGE) shown.push(r)
    count++
  })
  const pages = Math.max(1, Math.ceil(count / LIST_PAGE))
  const paging = pager("/ui/left-out", { kind, stage, reason }, pageNo, pages)
  const excerpts = await filteredExcerpts(shown)
  return uiPage(
    `${kind === "rejects" ? "Rejected" : "Filtered"}: ${reason}`,
    html`<p><a href="/ui/left-out">← everything left out</a></p><p>${num(count)} input(s) of stage ${stage || "any"}.</p>${paging}
    <table class="samples">${recordHead(excerpts)}<tbody>${shown.map(recordRow(excerpts))}</tbody></table>${paging}`
  )
}

async function duplicateSection(ctx: ServeContext, bundle: string | undefined): Promise<SafeHtml> {
  const removed = removedSource(ctx)
  if (removed === null) return html`<section id="duplicates"><h2>Duplicate clusters</h2><p class="muted">No dedup stage with removed documents is served.</p></section>`
  let filter = ""
  let note = html``
  if (bundle !== undefined && bundle !== "") {
    const b = findBundle(ctx, bundle)
    const src = bundleSource(b)
    filter = src === null ? "WHERE false" : `WHERE kept_id IN (SELECT id FROM ${src})`
    note = html`<p>Only clusters whose kept copy is in <a href="/ui/bundles/${encodeURIComponent(b.name)}">${b.name}</a> (<a href="/ui/left-out#duplicates">all clusters</a>).</p>`
  }
  const byMethod = await query(`SELECT method, count(*) AS removed, count(DISTINCT cluster_id) AS clusters FROM ${removed} ${filter} GROUP BY 1 ORDER BY 1`)
  // Near duplicates first, least similar first: they are the ones a curator should look at.
  const clusters = await query(
    `SELECT cluster_id, any_value(method) AS method, max(cluster_size) AS cluster_size, min(similarity) AS similarity, count(*) AS removed,
            any_value(kept_id) AS kept_id, any_value(kept_source_path) AS kept_source_path, any_value(kept_source_index) AS kept_source_index,
            arg_min(source_path, source_path) AS source_path, arg_min(source_index, source_path) AS source_index
     FROM ${removed} ${filter} GROUP BY cluster_id ORDER BY (any_value(method) = 'exact'), min(similarity), cluster_id LIMIT ${CLUSTERS_SHOWN}`
  )
  const total = byMethod.reduce((n, r) => n + Number(r.clusters), 0)
  return html`<section id="duplicates"><h2>Duplicate clusters</h2>${note}
    <p>${byMethod.map((r) => `${String(r.method)}: ${num(Number(r.removed))} removed in ${num(Number(r.clusters))} cluster(s)`).join("; ") || "None."}${
      total > CLUSTERS_SHOWN ? ` The first ${CLUSTERS_SHOWN} clusters are listed.` : ""
    }</p>
    <table id="clusters"><thead><tr><th>cluster</th><th>method</th><th class="num">similarity</th><th class="num">size</th><th>kept copy</th><th>a removed copy</th></tr></thead><tbody>${clusters.map(
      (r) => html`<tr><td><a href="/ui/duplicates/${encodeURIComponent(String(r.cluster_id))}">${String(r.cluster_id).slice(0, 12)}…</a></td><td>${String(r.method)}</td>
        <td class="num">${num(Number(r.similarity))}</td><td class="num">${num(Number(r.cluster_size))}</td>
        <td>${clip(String(r.kept_source_path), 80)} <span class="muted">#${String(r.kept_source_index)}</span></td><td>${clip(String(r.source_path), 80)} <span class="muted">#${String(r.source_index)}</span></td></tr>`
    )}</tbody></table></section>`
}

/** The filtered inputs per reason; a quality stage's samples show the beginning of the removed text. */
async function filteredSection(ctx: ServeContext): Promise<SafeHtml> {
  const summaries = summarize(ctx, "filtered")
  return reasonSection("filtered", summaries, await filteredExcerpts(summaries.flatMap((s) => s.samples)))
}

export async function leftOutPage(ctx: ServeContext, c: Context): Promise<string> {
  const kind = c.req.query("kind")
  const reason = c.req.query("reason")
  if (kind !== undefined || reason !== undefined) {
    if (kind !== "rejects" && kind !== "filtered") throw new BadRequest("kind must be rejects or filtered")
    if (reason === undefined || reason === "") throw new BadRequest("name the reason to list")
    return reasonListPage(ctx, kind, c.req.query("stage") ?? "", reason, intParam(c.req.query("page"), 1, 1, 1_000_000))
  }
  if (ctx.workDir === null) return uiPage("Left out", html`<p class="muted">Only a work folder (with its stage folders) records what was left out; this server serves bundles alone.</p>`)
  return uiPage(
    "Left out",
    html`<p>Every input that did not become a document of a bundle: rejected (could not be read), filtered (left out on purpose) or removed as a duplicate.</p>
    <p><a href="#rejects">rejected</a> · <a href="#filtered">filtered</a> · <a href="#duplicates">duplicates</a></p>
    ${reasonSection("rejects", summarize(ctx, "rejects"))}
    ${await filteredSection(ctx)}
    ${await duplicateSection(ctx, c.req.query("bundle"))}`
  )
}

interface Copy {
  readonly id: string
  readonly source_path: string
  readonly source_index: number | null
  readonly text: string | null
  readonly title: string | null
}

/** Characters of each copy compared and shown: the diff is bounded, and so is the page. */
const DIFF_CHARS = 100_000

async function copyText(src: string | null, id: string, sourcePath: string, sourceIndex: number | null): Promise<Copy> {
  const rows =
    src === null
      ? []
      : await query(
          `SELECT substring(text, 1, ${DIFF_CHARS}) AS text, title FROM ${src} WHERE id = ? ORDER BY (source_path = ? AND source_index IS NOT DISTINCT FROM ?) DESC LIMIT 1`,
          [id, sourcePath, sourceIndex],
          1
        )
  return { id, source_path: sourcePath, source_index: sourceIndex, text: (rows[0]?.text as string | undefined) ?? null, title: (rows[0]?.title as string | null | undefined) ?? null }
}

export async function duplicatePage(ctx: ServeContext, key: string): Promise<string> {
  const removed = removedSource(ctx)
  if (removed === null || !/^[0-9a-f]{8,64}$/.test(key)) throw new NotFound(`no duplicate cluster ${key}`)
  // A cluster id, or the id of a removed copy: both lead to the cluster.
  const rows = await query(
    `SELECT * FROM ${removed} WHERE cluster_id = (SELECT cluster_id FROM ${removed} WHERE cluster_id = ? OR id = ? LIMIT 1) ORDER BY source_path, source_index LIMIT 20`,
    [key, key]
  )
  if (rows.length === 0) throw new NotFound(`no duplicate cluster ${key}`)
  const first = rows[0]!
  const src = dedupInputSource(ctx)
  const kept = await copyText(src, String(first.kept_id), String(first.kept_source_path), first.kept_source_index as number | null)
  const copies = await Promise.all(rows.map(async (r) => ({ row: r, copy: await copyText(src, String(r.id), String(r.source_path), r.source_index as number | null) })))
  const sections = copies.map(({ row, copy }, i) => {
    const diff = kept.text !== null && copy.text !== null ? diffWords(kept.text, copy.text) : null
    const left = diff === null ? html`${kept.text ?? "(text not found)"}` : diff.parts.map((p) => (p.op === "same" ? html`${p.text}` : p.op === "del" ? html`<span class="diff-del">${p.text}</span>` : html``))
    const right = diff === null ? html`${copy.text ?? "(text not found)"}` : diff.parts.map((p) => (p.op === "same" ? html`${p.text}` : p.op === "add" ? html`<span class="diff-add">${p.text}</span>` : html``))
    const changed = diff === null ? null : diff.parts.filter((p) => p.op !== "same").length
    return html`<section class="pair" id="copy-${i + 1}">
      <h2>Removed copy ${i + 1} of ${rows.length}: ${String(row.method)}, similarity ${num(Number(row.similarity))}</h2>
      <p class="muted">${diff === null ? "The copies are too different (or missing) to mark word by word." : changed === 0 ? "No word differs (the copies differ at most in case, accents, punctuation or spacing that normalisation removes, or are identical)." : `${changed} changed run(s) of words marked.`}${diff?.truncated ? " Only the beginnings were compared." : ""}</p>
      <div class="side-by-side" style="display:grid;grid-template-columns:1fr 1fr;gap:1rem">
        <div class="kept"><h3>Kept</h3><p>${kept.source_path} #${String(kept.source_index)}<br><code>${kept.id.slice(0, 16)}…</code></p><pre class="text">${left}</pre></div>
        <div class="removed"><h3>Removed</h3><p>${copy.source_path} #${String(copy.source_index)}<br><code>${copy.id.slice(0, 16)}…</code></p><pre class="text">${right}</pre></div>
      </div></section>`
  })
  return uiPage(
    `Duplicate cluster ${String(first.cluster_id).slice(0, 12)}…`,
    html`<p><a href="/ui/left-out#duplicates">← all duplicate clusters</a></p>
    <p>${String(first.method)} cluster of ${num(Number(first.cluster_size))} document(s); kept: ${kept.title ?? kept.source_path}. Words only in the kept copy are marked <span class="diff-del">like this</span>, words only in the removed copy <span class="diff-add">like this</span>.</p>
    ${sections}`
  )
}
