/**
 * A bundle's documents: a seeded random sample (the seed is in the address, so a reload shows the same
 * documents), a search over text and source path (DuckDB over the shards: bound parameters, ILIKE with
 * % and _ escaped), paged; and one document with its text escaped and paged, metadata, reader and routing.
 */
import type { Context } from "hono"
import { bundleHref, clip, documentHref, href, intParam, num, pager, uiPage } from "./common.ts"
import { BadRequest, bundleSource, clustersKeeping, findBundle, NotFound, query, routingOf } from "./data.ts"
import { html, type SafeHtml } from "./html.ts"
import type { ServeContext } from "../context.ts"

const PAGE_SIZE = 50
/** Characters of a document's text per page: long papers and logs load in parts. */
export const TEXT_PAGE_CHARS = 20_000
const MAX_QUERY_CHARS = 200
const SNIPPET_BEFORE = 80
const SNIPPET_CHARS = 240

/** `text` with each case-insensitive occurrence of `term` in <mark> (all of it escaped). */
export function markMatches(text: string, term: string): SafeHtml {
  const lower = text.toLowerCase()
  const needle = term.toLowerCase()
  // Lower-casing that changes lengths (rare scripts) would shift offsets: show the text unmarked then.
  if (needle === "" || lower.length !== text.length) return html`${text}`
  const parts: SafeHtml[] = []
  let from = 0
  for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, at + needle.length)) {
    parts.push(html`${text.slice(from, at)}<mark>${text.slice(at, at + needle.length)}</mark>`)
    from = at + needle.length
  }
  parts.push(html`${text.slice(from)}`)
  return html`${parts}`
}

/** A search term as an ILIKE pattern matching it anywhere, literally: its own %, _ and \ are escaped. */
export const likePattern = (q: string): string => `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`

const LIST_COLUMNS = `id, title, kind, format, source_path, source_index, n_tokens, length(text) AS chars`

export async function documentsPage(ctx: ServeContext, c: Context, name: string): Promise<Response> {
  const b = findBundle(ctx, name)
  const src = bundleSource(b)
  const base = `${bundleHref(b.name)}/documents`
  const q = c.req.query("q")
  const sampleParam = c.req.query("sample")
  if (q === undefined && sampleParam === undefined) return c.redirect(href(base, { sample: 20 }))
  const pageNo = intParam(c.req.query("page"), 1, 1, 1_000_000)

  let rows: Array<Record<string, unknown>> = []
  let heading
  let paging = html``
  if (q !== undefined) {
    if (q.trim() === "") throw new BadRequest("the search is empty: give a word or part of a source path")
    if (q.length > MAX_QUERY_CHARS) throw new BadRequest(`the search is longer than ${MAX_QUERY_CHARS} characters`)
    if (src !== null) {
      const where = `WHERE text ILIKE ? ESCAPE '\\' OR source_path ILIKE ? ESCAPE '\\'`
      const pattern = likePattern(q)
      const total = Number((await query(`SELECT count(*) AS n FROM ${src} ${where}`, [pattern, pattern]))[0]?.n ?? 0)
      const pages = Math.max(1, Math.ceil(total / PAGE_SIZE))
      // The words around the first match, so a curator sees why a document matched without opening it.
      const snippet = `substring(text, greatest(1, instr(lower(text), lower(?)) - ${SNIPPET_BEFORE}), ${SNIPPET_CHARS}) AS snippet`
      rows = await query(
        `SELECT ${LIST_COLUMNS}, ${snippet} FROM ${src} ${where} ORDER BY source_path, source_index, id LIMIT ${PAGE_SIZE} OFFSET ${(Math.min(pageNo, pages) - 1) * PAGE_SIZE}`,
        [q, pattern, pattern]
      )
      paging = pager(base, { q }, Math.min(pageNo, pages), pages)
      heading = html`<p id="result-count">${num(total)} document(s) contain “${q}” in their text or source path.</p>`
    } else heading = html`<p>The bundle has no shards.</p>`
  } else {
    const size = intParam(sampleParam, 20, 1, 500)
    const seedParam = c.req.query("seed")
    // No seed yet: choose one and put it in the address, so this exact sample can be reloaded and shared.
    if (seedParam === undefined || !/^\d{1,12}$/.test(seedParam)) return c.redirect(href(base, { sample: size, seed: Math.floor(Math.random() * 1_000_000) }))
    if (src !== null) rows = await query(`SELECT ${LIST_COLUMNS} FROM ${src} ORDER BY md5(? || ':' || id) LIMIT ${size}`, [seedParam])
    heading = html`<p id="sample-seed">A random sample of ${size} document(s), seed <code>${seedParam}</code> (reload to see the same ones; <a href="${href(base, { sample: size })}">another sample</a>).</p>`
  }
  const table = html`<table id="documents"><thead><tr><th>title</th><th>source</th><th>kind</th><th>format</th><th class="num">tokens</th><th class="num">characters</th></tr></thead><tbody>${rows.map(
    (r) => html`<tr><td><a href="${documentHref(b.name, String(r.id))}">${clip((r.title as string | null) ?? String(r.id).slice(0, 16), 100)}</a></td>
      <td>${clip(String(r.source_path), 100)}${r.source_index !== null ? html` <span class="muted">#${String(r.source_index)}</span>` : ""}</td>
      <td>${String(r.kind)}</td><td>${String(r.format)}</td><td class="num">${num(r.n_tokens as number)}</td><td class="num">${num(r.chars as number)}</td></tr>${
        typeof r.snippet === "string" && q !== undefined ? html`<tr class="snippet"><td colspan="6" class="muted">…${markMatches(r.snippet.replace(/\s+/g, " "), q)}…</td></tr>` : ""
      }`
  )}</tbody></table>`
  const form = html`<form method="get" action="${base}"><label>Search text and source path <input type="search" name="q" value="${q ?? ""}" required></label> <button>Search</button></form>`
  return c.html(uiPage(`${b.manifest.title}: documents`, html`<p><a href="${bundleHref(b.name)}">← ${b.name}</a></p>${form}${heading}${table}${paging}`))
}

export async function documentPage(ctx: ServeContext, c: Context, name: string, id: string): Promise<string> {
  const b = findBundle(ctx, name)
  const src = bundleSource(b)
  if (!/^[0-9a-f]{64}$/.test(id) || src === null) throw new NotFound(`no document ${id} in ${name}`)
  const pageNo = intParam(c.req.query("page"), 1, 1, 1_000_000)
  const start = (pageNo - 1) * TEXT_PAGE_CHARS + 1
  const rows = await query(
    `SELECT id, title, kind, format, source_path, source_sha256, source_index, license, domain, bundle, metadata, n_tokens,
            length(text) AS chars, substring(text, ${start}, ${TEXT_PAGE_CHARS}) AS part FROM ${src} WHERE id = ? LIMIT 1`,
    [id],
    1
  )
  const d = rows[0]
  if (d === undefined) throw new NotFound(`no document ${id} in ${name}`)
  const chars = Number(d.chars)
  const pages = Math.max(1, Math.ceil(chars / TEXT_PAGE_CHARS))
  if (pageNo > pages) throw new NotFound(`the text has ${pages} page(s)`)
  let metadata: Record<string, unknown> = {}
  try {
    metadata = JSON.parse(String(d.metadata ?? "{}")) as Record<string, unknown>
  } catch {
    metadata = { unparsed: String(d.metadata) }
  }
  const reader = metadata.reader as { id?: string; score?: number; reason?: string; via?: string[] } | undefined
  const routing = await routingOf(ctx, id)
  const clusters = await clustersKeeping(ctx, id)
  const facts = html`<table id="facts"><tbody>
    <tr><th>id</th><td><code>${String(d.id)}</code></td></tr>
    <tr><th>source</th><td data-field="source_path">${String(d.source_path)}${d.source_index !== null ? ` #${String(d.source_index)}` : ""}</td></tr>
    <tr><th>source sha256</th><td><code>${String(d.source_sha256 ?? "")}</code></td></tr>
    <tr><th>kind / format</th><td>${String(d.kind)} / ${String(d.format)}</td></tr>
    <tr><th>reader</th><td data-field="reader">${reader === undefined ? "–" : html`${reader.id ?? "?"} (score ${num(reader.score)}): ${reader.reason ?? ""}${reader.via?.length ? ` via ${reader.via.join(", ")}` : ""}`}</td></tr>
    <tr><th>license</th><td>${String(d.license ?? "–")}</td></tr>
    <tr><th>tokens / characters</th><td>${num(d.n_tokens as number)} / ${num(chars)}</td></tr>
    <tr><th>routed to</th><td data-field="routing">${String(d.bundle ?? "–")}${
      routing === null
        ? html` <span class="muted">(no classify stage served: routing details unavailable)</span>`
        : html`, score ${num(routing.route_score)}: ${routing.route_reason ?? ""}`
    }</td></tr>
    <tr><th>duplicates removed</th><td data-field="duplicates">${
      clusters.length === 0
        ? "none"
        : clusters.map((k, i) => html`${i > 0 ? ", " : ""}<a href="/ui/duplicates/${encodeURIComponent(k.cluster_id)}">${num(k.removed)} ${k.method} cop${k.removed === 1 ? "y" : "ies"}</a>`)
    }</td></tr>
    <tr><th>runner-up</th><td data-field="runner-up">${routing === null || routing.route_second === null ? "none" : html`${routing.route_second} (score ${num(routing.route_second_score)})`}</td></tr>
  </tbody></table>`
  const textPager = pager(documentHref(b.name, id), {}, pageNo, pages)
  return uiPage(
    clip((d.title as string | null) ?? `Document ${id.slice(0, 16)}`, 140),
    html`<p><a href="${bundleHref(b.name)}">← ${b.name}</a></p>${facts}
    <h2>Text</h2>${pages > 1 ? html`<p class="muted">Characters ${num(start)}–${num(Math.min(chars, start + TEXT_PAGE_CHARS - 1))} of ${num(chars)}.</p>` : ""}${textPager}
    <pre class="text" id="text">${String(d.part ?? "")}</pre>${textPager}
    <h2>Metadata</h2><pre class="text" id="metadata">${JSON.stringify(metadata, null, 2)}</pre>`
  )
}
