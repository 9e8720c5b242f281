/**
 * HTML for the curators' pages: an escaping template tag and the page shell with the shipped style
 * sheet (inline: no CDN, no asset requests, works offline). Every value interpolated into `html`
 * is escaped unless it is itself the result of `html` (a `SafeHtml`), so document text and file names
 * from the corpus can never inject markup.
 */
export class SafeHtml {
  readonly value: string
  constructor(value: string) {
    this.value = value
  }
  toString(): string {
    return this.value
  }
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!)

type Interpolated = SafeHtml | string | number | bigint | boolean | null | undefined | ReadonlyArray<Interpolated>

const render = (v: Interpolated): string =>
  v instanceof SafeHtml ? v.value : Array.isArray(v) ? v.map(render).join("") : v === null || v === undefined || v === false ? "" : escapeHtml(String(v))

export function html(strings: TemplateStringsArray, ...values: ReadonlyArray<Interpolated>): SafeHtml {
  let out = strings[0]!
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!
  return new SafeHtml(out)
}

/** Trusted markup made elsewhere (an SVG chart drawn by our own code). Never pass corpus text here. */
export const raw = (s: string): SafeHtml => new SafeHtml(s)

const STYLE = `
:root { --fg:#1d232b; --muted:#5b6673; --line:#d8dee5; --bg:#fff; --accent:#1f5fae; --ok:#1c7c3a; --bad:#b3261e; --warn:#9a6200; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui, sans-serif; color:var(--fg); background:var(--bg); }
header { padding:.6rem 1.2rem; border-bottom:1px solid var(--line); display:flex; gap:1.2rem; align-items:baseline; }
header a { color:var(--fg); text-decoration:none; } header .brand { font-weight:700; }
main { padding:1rem 1.2rem; max-width:1200px; }
a { color:var(--accent); }
table { border-collapse:collapse; margin:.5rem 0 1rem; } th, td { border-bottom:1px solid var(--line); padding:.25rem .6rem; text-align:left; vertical-align:top; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
pre.text { white-space:pre-wrap; word-break:break-word; background:#f6f8fa; padding:.8rem; border:1px solid var(--line); max-height:70vh; overflow:auto; }
.state { display:inline-block; padding:.05rem .45rem; border-radius:.3rem; font-size:.85em; border:1px solid currentColor; }
.state.approved { color:var(--ok); } .state.rejected { color:var(--bad); } .state.changes-requested, .state.needs-review { color:var(--warn); }
.muted { color:var(--muted); } .error { color:var(--bad); } .grid { display:grid; grid-template-columns:repeat(auto-fill,minmax(340px,1fr)); gap:1rem; }
.diff-del { background:#ffd7d5; } .diff-add { background:#ccf0d4; }
form.inline { display:inline; } textarea { width:100%; min-height:4rem; }
`

export function page(title: string, body: SafeHtml, options: { readonly nav?: SafeHtml } = {}): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · scicurate</title><link rel="icon" href="data:,"><style>${raw(STYLE)}</style></head>
<body><header><a class="brand" href="/ui/">scicurate</a><a href="/ui/">Bundles</a><a href="/ui/releases">Releases</a>${options.nav ?? ""}</header>
<main><h1>${title}</h1>${body}</main></body></html>`.value
}
