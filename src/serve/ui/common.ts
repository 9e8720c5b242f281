/**
 * What every curators' page shares: the page shell with the navigation, number formatting, links with
 * query strings, and reading whole-number query parameters within bounds.
 */
import { html, page, type SafeHtml } from "./html.ts"

const NAV = html`<a href="/ui/left-out">Left out</a><a href="/ui/compare">Compare</a>`

/** A curators' page; `status` is what ends the header (who is signed in: auth.ts signInStatus). */
export const uiPage = (title: string, body: SafeHtml, status?: SafeHtml): string => page(title, body, { nav: status === undefined ? NAV : html`${NAV}${status}` })

export const num = (n: number | null | undefined): string =>
  n === null || n === undefined || Number.isNaN(n) ? "–" : Number.isInteger(n) ? n.toLocaleString("en-US") : n.toLocaleString("en-US", { maximumFractionDigits: 3 })

/** A path under /ui with its query string (values encoded; empty ones left out). */
export function href(pathname: string, params: Record<string, string | number | null | undefined> = {}): string {
  const qs = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") qs.set(k, String(v))
  const s = qs.toString()
  return s === "" ? pathname : `${pathname}?${s}`
}

export const bundleHref = (name: string): string => `/ui/bundles/${encodeURIComponent(name)}`
export const documentHref = (bundle: string, id: string): string => `${bundleHref(bundle)}/documents/${encodeURIComponent(id)}`

/** A whole number from a query parameter, clamped to [min, max]; the default when absent or not a number. */
export function intParam(value: string | undefined, fallback: number, min: number, max: number): number {
  const n = value === undefined || value.trim() === "" ? NaN : Number(value)
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.trunc(n))) : fallback
}

/** "previous · page N of M · next" links for a paged list. */
export function pager(pathname: string, params: Record<string, string | number | null | undefined>, pageNo: number, pages: number): SafeHtml {
  if (pages <= 1) return html``
  return html`<p class="pager">${pageNo > 1 ? html`<a rel="prev" href="${href(pathname, { ...params, page: pageNo - 1 })}">previous</a> · ` : ""}page ${pageNo} of ${pages}${
    pageNo < pages ? html` · <a rel="next" href="${href(pathname, { ...params, page: pageNo + 1 })}">next</a>` : ""
  }</p>`
}

/** Text cut to `max` characters for a table cell (the full text is one click away). */
export const clip = (s: string | null | undefined, max = 160): string => (s === null || s === undefined ? "" : s.length > max ? `${s.slice(0, max - 1)}…` : s)
