/**
 * The decision panel of a bundle: where it stands (approved, rejected, changes requested, needs review),
 * every decision so far, and for a signed-in curator a form to approve, reject or request changes.
 *
 * Decisions go through `appendDecision` to <work>/reviews.jsonl, bound to the bundle's content_sha256
 * as manifest.json says at the moment of the POST. The form also carries the hash the curator was
 * looking at: when the two differ, the bundle was rebuilt while they reviewed it, and the decision is
 * refused rather than recorded against content they never saw.
 *
 *   decisionPanel(ctx, c, name, manifest)   the panel, for the bundle page (and /ui/bundles/<name>/review)
 *   POST /ui/bundles/<name>/decision        record one decision, then redirect back (post/redirect/get)
 */
import * as fs from "node:fs"
import * as path from "node:path"
import type { Context } from "hono"
import { Hono } from "hono"
import { bundleFoldersIn } from "../../bundle/verify.ts"
import type { Manifest } from "../../bundle/manifest.ts"
import { appendDecision, DecisionKind, readReviewLog, type ReviewDecision, reviewState, type ReviewStateName } from "../../review/log.ts"
import type { ServeContext } from "../context.ts"
import { csrfField, localReturnPath, READ_ONLY_REASON, refusal, sessionOf, signInStatus } from "./auth.ts"
import { uiPage } from "./common.ts"
import { html, type SafeHtml } from "./html.ts"

const STATE_WORDS: Record<ReviewStateName, string> = {
  approved: "approved",
  rejected: "rejected",
  "changes-requested": "changes requested",
  "needs-review": "needs review"
}
const DECISION_WORDS: Record<DecisionKind, string> = { approve: "approved", reject: "rejected", "request-changes": "requested changes" }
const MAX_NOTE_CHARS = 4000
export const STALE_CONTENT_MESSAGE = "the bundle changed while you were reviewing it; reload"

/** The folder of the bundle called `name`, only if it is one of the served bundles (never a path built from the URL). */
export function servedBundleDir(ctx: ServeContext, name: string): string | null {
  if (ctx.bundlesDir === null) return null
  return bundleFoldersIn(ctx.bundlesDir).find((d) => path.basename(d) === name) ?? null
}

/** The bundle's content hash as its manifest says now, or null when the manifest is unreadable. */
function currentContentSha256(bundleDir: string): string | null {
  try {
    const hash = (JSON.parse(fs.readFileSync(path.join(bundleDir, "manifest.json"), "utf8")) as { content_sha256?: unknown }).content_sha256
    return typeof hash === "string" && /^[0-9a-f]{64}$/.test(hash) ? hash : null
  } catch {
    return null
  }
}

const short = (sha: string): string => sha.slice(0, 12)

function historyTable(history: ReadonlyArray<ReviewDecision>, contentSha256: string): SafeHtml {
  if (history.length === 0) return html`<p class="muted">No decisions yet.</p>`
  const rows = [...history].reverse().map(
    (d) => html`<tr class="decision-row">
<td><time datetime="${d.at}">${d.at.replace("T", " ").replace(/\.\d+Z$/, "Z")}</time></td>
<td>${d.curator} <span class="muted">(${d.via})</span></td>
<td><span class="state ${d.decision === "approve" ? "approved" : d.decision === "reject" ? "rejected" : "changes-requested"}">${DECISION_WORDS[d.decision]}</span></td>
<td class="note">${d.note}</td>
<td><code title="${d.content_sha256}">${short(d.content_sha256)}</code> ${d.content_sha256 === contentSha256 ? html`<span class="muted">this content</span>` : html`<span class="muted">other content</span>`}</td>
</tr>`
  )
  return html`<table class="history"><thead><tr><th>When</th><th>Who</th><th>Decision</th><th>Note</th><th>On content</th></tr></thead><tbody>${rows}</tbody></table>`
}

function decisionForm(ctx: ServeContext, c: Context, bundleName: string, contentSha256: string): SafeHtml {
  if (ctx.curators === null) return html`<p class="muted">${READ_ONLY_REASON}</p>`
  const session = sessionOf(ctx, c)
  if (session === null) return html`<p>${signInStatus(ctx, c)} to record a decision.</p>`
  return html`<form class="decision-form" method="post" action="/ui/bundles/${encodeURIComponent(bundleName)}/decision">
${csrfField(session)}
<input type="hidden" name="content_sha256" value="${contentSha256}">
<input type="hidden" name="back" value="${c.req.path}">
<p><label>Note <span class="muted">(required to reject or request changes)</span><br><textarea name="note" maxlength="${MAX_NOTE_CHARS}"></textarea></label></p>
<p>As <b>${session.curator}</b>:
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="request-changes">Request changes</button>
<button type="submit" name="decision" value="reject">Reject</button></p>
</form>`
}

/**
 * The decision panel for one bundle: its state on the content `manifest` describes, the history of
 * decisions, and the form when a curator is signed in. The bundle page puts it in its `<section id="decision">`
 * (a recorded decision redirects back to `#decision`).
 */
export function decisionPanel(ctx: ServeContext, c: Context, bundleName: string, manifest: Pick<Manifest, "content_sha256">): SafeHtml {
  if (ctx.reviewDir === null) return html``
  const log = readReviewLog(ctx.reviewDir)
  const review = reviewState(log, bundleName, manifest.content_sha256)
  const current = review.current
  return html`<div class="decision-panel">
<h2>Decision</h2>
<p>State: <span class="state ${review.state}" data-state="${review.state}">${STATE_WORDS[review.state]}</span>
${review.changedSinceReview ? html` <span class="state needs-review changed">changed since the last review</span>` : ""}
${current !== null ? html` <span class="muted">by ${current.curator}, ${current.at}${current.note === "" ? "" : html`: “${current.note}”`}</span>` : ""}</p>
<p class="muted">Content sha256 <code>${manifest.content_sha256}</code>: a decision speaks for this content only.</p>
${log.problems.length === 0 ? "" : html`<p class="error" role="alert">The review log ${log.file} has ${log.problems.length} problem(s): ${log.problems.map((p) => html`line ${p.line}: ${p.problem}. `)}</p>`}
${decisionForm(ctx, c, bundleName, manifest.content_sha256)}
<h3>History</h3>
${historyTable(review.history, manifest.content_sha256)}
</div>`
}

/** GET /bundles/<name>/review (the panel on a page of its own) and POST /bundles/<name>/decision, under /ui. */
export function decisionRoutes(ctx: ServeContext): Hono {
  const app = new Hono()
  app.get("/bundles/:name/review", (c) => {
    const name = c.req.param("name")
    const dir = servedBundleDir(ctx, name)
    const hash = dir === null ? null : currentContentSha256(dir)
    if (dir === null || hash === null) return refusal(c, 404, "No such bundle", `No bundle called ${name} is served here.`)
    return c.html(
      uiPage(`Review ${name}`, html`<p><a href="/ui/bundles/${encodeURIComponent(name)}">The bundle's page</a></p><section id="decision">${decisionPanel(ctx, c, name, { content_sha256: hash })}</section>`, signInStatus(ctx, c))
    )
  })
  // Session, CSRF and Origin were checked by writeGuards before this runs.
  app.post("/bundles/:name/decision", async (c) => {
    const name = c.req.param("name")
    const session = sessionOf(ctx, c)
    const dir = servedBundleDir(ctx, name)
    if (dir === null || ctx.reviewDir === null) return refusal(c, 404, "No such bundle", `No bundle called ${name} is served here.`)
    if (session === null) return refusal(c, 403, "Sign in first", "Recording a decision needs a signed-in curator.")
    const body = await c.req.parseBody()
    const decision = body.decision
    const note = typeof body.note === "string" ? body.note.trim() : ""
    const seen = body.content_sha256
    const reviewPage = `/ui/bundles/${encodeURIComponent(name)}/review`
    if (!DecisionKind.literals.includes(decision as DecisionKind)) return refusal(c, 400, "Unknown decision", "Choose approve, reject or request changes.")
    if (decision !== "approve" && note === "") return refusal(c, 400, "A note is needed", "Say why in the note when you reject a bundle or request changes: the data engineer acts on it.", html`<p><a href="${reviewPage}">Back</a></p>`)
    if (note.length > MAX_NOTE_CHARS) return refusal(c, 400, "Note too long", `A note may hold at most ${MAX_NOTE_CHARS} characters.`)
    const current = currentContentSha256(dir)
    if (current === null) return refusal(c, 409, "Bundle unreadable", `The manifest of ${name} cannot be read now (a rerun may be writing it); reload and try again.`)
    if (seen !== current)
      return refusal(c, 409, "The bundle changed", `Not recorded: ${STALE_CONTENT_MESSAGE}.`, html`<p><a href="${localReturnPath(body.back) ?? reviewPage}">Reload</a></p>`)
    appendDecision(ctx.reviewDir, { bundle: name, content_sha256: current, decision: decision as DecisionKind, note, curator: session.curator, via: "web" })
    return c.redirect(`${localReturnPath(body.back) ?? reviewPage}#decision`, 303)
  })
  return app
}
