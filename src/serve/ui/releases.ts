/**
 * The releases pages: what has been released from this server's releases folder, for a curator to
 * check what went out and on whose approval.
 *
 *   /ui/releases          every release: name, created, bundles, tokens, signed or not (a broken
 *                         release.json is a row saying what is wrong, not a failed page)
 *   /ui/releases/<name>   its bundles with their approvals, what was left out and why, the mixing
 *                         table, totals, and a link to the release.json trainers pull
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { Hono } from "hono"
import { fmtBytes } from "../../executors/progress.ts"
import { RELEASE_INDEX, RELEASE_SIGNATURE, ReleaseIndex, ReleaseSignature } from "../../release/schema.ts"
import type { ServeContext } from "../context.ts"
import { refusal, signInStatus } from "./auth.ts"
import { num, uiPage } from "./common.ts"
import { html, type SafeHtml } from "./html.ts"

export interface ReleaseEntry {
  readonly name: string
  readonly index: ReleaseIndex | null
  /** Why release.json could not be read, when it could not. */
  readonly problem: string | null
  /** The signature file's key id; null when unsigned; a problem string when present but unreadable. */
  readonly signature: { readonly keyId: string } | { readonly problem: string } | null
}

const decodeIndex = Schema.decodeUnknownSync(ReleaseIndex)
const decodeSignature = Schema.decodeUnknownSync(ReleaseSignature)
const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n")[0]!

function readRelease(releasesDir: string, name: string): ReleaseEntry {
  const dir = path.join(releasesDir, name)
  let index: ReleaseIndex | null = null
  let problem: string | null = null
  try {
    index = decodeIndex(JSON.parse(fs.readFileSync(path.join(dir, RELEASE_INDEX), "utf8")))
  } catch (e) {
    problem = `${RELEASE_INDEX} unreadable: ${firstLine(e)}`
  }
  let signature: ReleaseEntry["signature"] = null
  const sigFile = path.join(dir, RELEASE_SIGNATURE)
  if (fs.existsSync(sigFile)) {
    try {
      signature = { keyId: decodeSignature(JSON.parse(fs.readFileSync(sigFile, "utf8"))).key_id }
    } catch (e) {
      signature = { problem: `${RELEASE_SIGNATURE} unreadable: ${firstLine(e)}` }
    }
  }
  return { name, index, problem, signature }
}

/** The releases in the folder: every sub-folder holding a release.json, by name. */
export function listReleases(releasesDir: string): ReadonlyArray<ReleaseEntry> {
  if (!fs.existsSync(releasesDir)) return []
  return fs
    .readdirSync(releasesDir)
    .sort()
    .filter((d) => !d.startsWith(".") && fs.existsSync(path.join(releasesDir, d, RELEASE_INDEX)))
    .map((d) => readRelease(releasesDir, d))
}

const signatureCell = (s: ReleaseEntry["signature"]): SafeHtml =>
  s === null
    ? html`<span class="state needs-review">unsigned</span>`
    : "problem" in s
      ? html`<span class="state rejected" title="${s.problem}">broken signature file</span>`
      : html`<span class="state approved">signed</span> <span class="muted">key <code title="${s.keyId}">${s.keyId.slice(0, 12)}</code></span>`

const releaseLink = (name: string): string => `/ui/releases/${encodeURIComponent(name)}`

function releaseList(entries: ReadonlyArray<ReleaseEntry>): SafeHtml {
  if (entries.length === 0) return html`<p class="muted">No releases yet. Make one with <code>scicurate release WORK --name NAME --to DIR</code>.</p>`
  const rows = entries.map((e) =>
    e.index === null
      ? html`<tr class="release-error"><td>${e.name}</td><td colspan="4" class="error">${e.problem}</td><td>${signatureCell(e.signature)}</td></tr>`
      : html`<tr><td><a href="${releaseLink(e.name)}">${e.name}</a></td><td>${e.index.created_at}</td><td class="num">${e.index.bundles.length}</td>
<td class="num">${e.index.left_out.length}</td><td class="num">${num(e.index.totals.tokens)}</td><td>${signatureCell(e.signature)}</td></tr>`
  )
  return html`<table class="releases"><thead><tr><th>Release</th><th>Created</th><th class="num">Bundles</th><th class="num">Left out</th><th class="num">Tokens</th><th>Signature</th></tr></thead><tbody>${rows}</tbody></table>`
}

function releaseDetail(e: ReleaseEntry & { readonly index: ReleaseIndex }): SafeHtml {
  const r = e.index
  const bundles = r.bundles.map(
    (b) => html`<tr><td>${b.name}</td><td class="num">${num(b.documents)}</td><td class="num">${num(b.tokens)}</td><td class="num">${b.files.length}</td>
<td class="num">${fmtBytes(b.files.reduce((a, f) => a + f.bytes, 0))}</td>
<td><span class="state approved">approved</span> by ${b.approval.curator} <span class="muted">(${b.approval.via}) ${b.approval.at}</span>${b.approval.note === "" ? "" : html`<br>“${b.approval.note}”`}</td>
<td><code title="${b.content_sha256}">${b.content_sha256.slice(0, 12)}</code></td></tr>`
  )
  const leftOut =
    r.left_out.length === 0
      ? html`<p class="muted">None: every bundle was approved.</p>`
      : html`<table class="left-out"><thead><tr><th>Bundle</th><th>State</th><th>Why</th><th>Content</th></tr></thead><tbody>${r.left_out.map(
          (l) => html`<tr><td>${l.name}</td><td><span class="state ${l.state}">${l.state.replace("-", " ")}</span></td><td>${l.reason}</td><td><code title="${l.content_sha256}">${l.content_sha256.slice(0, 12)}</code></td></tr>`
        )}</tbody></table>`
  const mixing = html`<table class="mixing"><thead><tr><th>Bundle</th><th class="num">Weight</th><th class="num">Sampling weight (as defined)</th><th class="num">Train tokens</th><th class="num">Validation tokens</th><th>Token shards</th></tr></thead><tbody>${r.mixing.map(
    (m) => html`<tr><td>${m.bundle}</td><td class="num">${m.weight.toFixed(4)}</td><td class="num">${m.sampling_weight}</td><td class="num">${num(m.tokens.train)}</td><td class="num">${num(m.tokens.validation)}</td>
<td>${m.token_prefixes.map((p) => html`<code>${p.prefix}</code> <span class="muted">${p.split}, ${num(p.tokens)}</span><br>`)}</td></tr>`
  )}</tbody></table>`
  const t = r.totals
  return html`<p>Created ${r.created_at} by scicurate ${r.scicurate_version}; tokenizer ${r.tokenizer.name}. ${signatureCell(e.signature)}
· <a href="/releases/${encodeURIComponent(e.name)}/${RELEASE_INDEX}">${RELEASE_INDEX}</a>${e.signature !== null ? html` · <a href="/releases/${encodeURIComponent(e.name)}/${RELEASE_SIGNATURE}">${RELEASE_SIGNATURE}</a>` : ""}</p>
<table class="totals"><tbody>
<tr><th>Bundles</th><td class="num">${num(t.bundles)}</td></tr><tr><th>Documents</th><td class="num">${num(t.documents)}</td></tr>
<tr><th>Tokens</th><td class="num">${num(t.tokens)}</td></tr><tr><th>Files</th><td class="num">${num(t.files)}</td></tr>
<tr><th>Bytes</th><td class="num">${fmtBytes(t.bytes)} <span class="muted">(${num(t.bytes)})</span></td></tr></tbody></table>
<h2>Bundles</h2>
<table class="release-bundles"><thead><tr><th>Bundle</th><th class="num">Documents</th><th class="num">Tokens</th><th class="num">Files</th><th class="num">Bytes</th><th>Approval</th><th>Content</th></tr></thead><tbody>${bundles}</tbody></table>
<h2>Left out</h2>
${leftOut}
<h2>Mixing</h2>
${mixing}`
}

/** GET /releases and /releases/<name>, under /ui. */
export function releasePages(ctx: ServeContext): Hono {
  const app = new Hono()
  const none = html`<p class="muted">This server has no releases folder (serve a work folder with a releases/ folder, or pass --releases DIR).</p>`
  app.get("/releases", (c) => c.html(uiPage("Releases", ctx.releasesDir === null ? none : releaseList(listReleases(ctx.releasesDir)), signInStatus(ctx, c))))
  app.get("/releases/:name", (c) => {
    const name = c.req.param("name")
    // Only a name the listing has: the URL never becomes a path on its own.
    const entry = ctx.releasesDir === null ? undefined : listReleases(ctx.releasesDir).find((e) => e.name === name)
    if (entry === undefined) return refusal(c, 404, "No such release", `No release called ${name} is served here.`)
    const nav = signInStatus(ctx, c)
    if (entry.index === null) return c.html(uiPage(`Release ${name}`, html`<p class="error" role="alert">${entry.problem}</p>`, nav), 500)
    return c.html(uiPage(`Release ${name}`, releaseDetail({ ...entry, index: entry.index }), nav))
  })
  return app
}
