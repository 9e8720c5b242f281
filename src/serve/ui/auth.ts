/**
 * Who may write through the curators' pages, and how a write is known to come from them.
 *
 * - Sign-in: a curator pastes the token `scicurate curators add` printed once; the server keeps only
 *   the token's hash (the curators file) and, on a match, opens a session held in memory: a random
 *   32-byte id in a cookie (HttpOnly: no script reads it; SameSite=Strict: no other site's page sends
 *   it; Path=/ui) that expires after SESSION_HOURS. A restart signs everybody out, which is fine for a
 *   handful of curators and keeps no credential on disk.
 * - Every POST (any method but GET/HEAD/OPTIONS) passes `writeGuards` first: refused on a read-only
 *   server; refused unless its Origin (or, lacking one, its Referer) names this very host; and, except
 *   the sign-in itself, refused unless it carries the session's CSRF token (compared in constant time).
 *   SameSite=Strict already stops cross-site form posts in current browsers; the Origin check and the
 *   token hold even where a browser, a proxy or a sibling subdomain weakens that.
 * - Failed sign-ins are counted per client address: past MAX_FAILURES in a window the client waits.
 *   Tokens are 32 random bytes, so this is about noise in the log, not about guessing.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import { getConnInfo } from "@hono/node-server/conninfo"
import type { Context, MiddlewareHandler } from "hono"
import { Hono } from "hono"
import { bodyLimit } from "hono/body-limit"
import { deleteCookie, getCookie, setCookie } from "hono/cookie"
import { curatorForToken } from "../../review/curators.ts"
import type { ServeContext } from "../context.ts"
import { uiPage } from "./common.ts"
import { html, type SafeHtml } from "./html.ts"

export const SESSION_COOKIE = "scicurate_session"
export const SESSION_HOURS = 12
/** The form field every POST form carries (`csrfField`). */
export const CSRF_FIELD = "csrf"
const MAX_FAILURES = 5
const FAILURE_WINDOW_MS = 60_000
/** Forms hold a note and a few hashes: anything bigger is not ours. */
const MAX_FORM_BYTES = 64 * 1024

export interface Session {
  readonly curator: string
  readonly csrf: string
  readonly expiresAt: number
}

interface AuthState {
  /** By sha256 of the session id, so a lookup's timing says nothing about the id itself. */
  readonly sessions: Map<string, Session>
  readonly failures: Map<string, { count: number; since: number }>
}

// One state per served context: two servers in one process (tests) never share sessions.
const states = new WeakMap<ServeContext, AuthState>()
const stateOf = (ctx: ServeContext): AuthState => {
  let s = states.get(ctx)
  if (s === undefined) states.set(ctx, (s = { sessions: new Map(), failures: new Map() }))
  return s
}

const idKey = (id: string): string => createHash("sha256").update(id, "utf8").digest("hex")

/** The signed-in curator's session for this request, or null (none, unknown, expired, read-only server). */
export function sessionOf(ctx: ServeContext, c: Context): Session | null {
  if (ctx.curators === null) return null
  const id = getCookie(c, SESSION_COOKIE)
  if (id === undefined) return null
  const { sessions } = stateOf(ctx)
  const key = idKey(id)
  const s = sessions.get(key)
  if (s === undefined) return null
  if (s.expiresAt <= Date.now()) {
    sessions.delete(key)
    return null
  }
  return s
}

function openSession(ctx: ServeContext, c: Context, curator: string): void {
  const { sessions } = stateOf(ctx)
  const now = Date.now()
  for (const [k, s] of sessions) if (s.expiresAt <= now) sessions.delete(k)
  const id = randomBytes(32).toString("base64url")
  sessions.set(idKey(id), { curator, csrf: randomBytes(32).toString("base64url"), expiresAt: now + SESSION_HOURS * 3600_000 })
  setCookie(c, SESSION_COOKIE, id, { httpOnly: true, sameSite: "Strict", path: "/ui", maxAge: SESSION_HOURS * 3600 })
}

/** Forget the request's session on the server (its cookie then names nothing). */
function dropSession(ctx: ServeContext, c: Context): void {
  const id = getCookie(c, SESSION_COOKIE)
  if (id !== undefined) stateOf(ctx).sessions.delete(idKey(id))
}

function closeSession(ctx: ServeContext, c: Context): void {
  dropSession(ctx, c)
  deleteCookie(c, SESSION_COOKIE, { path: "/ui", httpOnly: true, sameSite: "Strict" })
}

/** The hidden field that carries the session's CSRF token: put it in every POST form. */
export const csrfField = (session: Session): SafeHtml => html`<input type="hidden" name="${CSRF_FIELD}" value="${session.csrf}">`

const sameToken = (given: string, expected: string): boolean => {
  const a = Buffer.from(given, "utf8")
  const b = Buffer.from(expected, "utf8")
  // timingSafeEqual needs equal lengths; comparing b with itself keeps the time the same either way.
  return a.length === b.length ? timingSafeEqual(a, b) : (timingSafeEqual(b, b), false)
}

/** A same-site path to return to after a form, or null: only our own pages, never `//host` or `/\host`. */
export function localReturnPath(value: unknown): string | null {
  // Printable ASCII only (no CR/LF for a header, no backslash some browsers read as "/").
  return typeof value === "string" && /^\/ui(?:[/?#][\x21-\x5b\x5d-\x7e]*)?$/.test(value) ? value : null
}

/** A page that refuses a request and says why, with its status. */
export function refusal(c: Context, status: 400 | 403 | 404 | 409 | 413 | 429, title: string, why: string, more: SafeHtml = html``): Response {
  return c.html(uiPage(title, html`<p>${why}</p>${more}<p><a href="/ui/">Back to the bundles</a></p>`), status)
}

export const READ_ONLY_REASON =
  "This server is read-only: it was started without --curators, so no decision can be recorded here. Record decisions from the shell with `scicurate review BUNDLE_DIR --approve|--reject|--request-changes --note TEXT`, or restart the server with --curators FILE."

/** Origin (or Referer) names this host; anything else, or neither, is a cross-site or unknown writer. */
function sameHost(c: Context): { ok: true } | { ok: false; why: string } {
  const host = c.req.header("host")
  const from = c.req.header("origin") ?? c.req.header("referer")
  if (host === undefined) return { ok: false, why: "the request names no Host" }
  if (from === undefined || from === "null") return { ok: false, why: "the request carries no Origin or Referer, so it cannot be shown to come from these pages" }
  let fromHost: string
  try {
    fromHost = new URL(from).host
  } catch {
    return { ok: false, why: "the request's Origin is not a URL" }
  }
  return fromHost === host ? { ok: true } : { ok: false, why: `the form was sent from ${fromHost}, not from this server (${host})` }
}

const WRITE_METHODS_EXEMPT = new Set(["GET", "HEAD", "OPTIONS"])
const SIGN_IN_PATH = /\/ui\/sign-in\/?$/

/**
 * Every page: never inside another site's frame (a framed Approve button could be clicked through a
 * decoy), and a page made for a signed-in curator (it holds their CSRF token) is not kept in caches.
 */
function protectPage(ctx: ServeContext, c: Context): void {
  try {
    c.res.headers.set("X-Frame-Options", "DENY")
    c.res.headers.append("Content-Security-Policy", "frame-ancestors 'none'")
    if (sessionOf(ctx, c) !== null) c.res.headers.set("Cache-Control", "no-store")
  } catch {
    // a response with immutable headers (a file stream): not a page
  }
}

/**
 * Mounted before every /ui route (`app.use("*", ...writeGuards(ctx))`): what every write must pass. The
 * sign-in form is exempt from the session and CSRF checks only (there is no session yet); the Origin
 * check guards it against another site signing a browser in as someone else.
 */
export function writeGuards(ctx: ServeContext): ReadonlyArray<MiddlewareHandler> {
  const limit = bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => refusal(c, 413, "Form too large", `A form may hold at most ${MAX_FORM_BYTES} bytes.`) })
  const guard: MiddlewareHandler = async (c, next) => {
    if (WRITE_METHODS_EXEMPT.has(c.req.method)) return next().then(() => protectPage(ctx, c))
    if (ctx.curators === null) return refusal(c, 403, "Read-only server", READ_ONLY_REASON)
    const origin = sameHost(c)
    if (!origin.ok) return refusal(c, 403, "Refused", `Refused: ${origin.why}.`)
    if (SIGN_IN_PATH.test(c.req.path)) return next()
    const session = sessionOf(ctx, c)
    if (session === null)
      return refusal(c, 403, "Sign in first", "Recording a decision needs a signed-in curator; your session is missing or has expired.", html`<p><a href="/ui/sign-in">Sign in</a></p>`)
    const body = await c.req.parseBody()
    const token = body[CSRF_FIELD]
    if (typeof token !== "string" || !sameToken(token, session.csrf))
      return refusal(c, 403, "Refused", "Refused: the form's security token is missing or does not match your session (an old tab, or a form from elsewhere). Reload the page and try again.")
    return next()
  }
  return [limit, guard]
}

/** For the page header: who is signed in and a sign-out button, a sign-in link, or "read-only" on a server without curators. */
export function signInStatus(ctx: ServeContext, c: Context): SafeHtml {
  if (ctx.curators === null) return html`<span class="muted">read-only</span>`
  const s = sessionOf(ctx, c)
  if (s === null) return html`<a href="/ui/sign-in?next=${encodeURIComponent(c.req.path)}">Sign in</a>`
  return html`<span>Signed in as <b>${s.curator}</b></span><form class="inline" method="post" action="/ui/sign-out">${csrfField(s)}<button type="submit">Sign out</button></form>`
}

function clientOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown"
  } catch {
    return "unknown"
  }
}

/** Whether this client has failed too often lately; counts windows per address. */
function tooManyFailures(state: AuthState, client: string, now: number): boolean {
  const f = state.failures.get(client)
  if (f === undefined || now - f.since > FAILURE_WINDOW_MS) return false
  return f.count >= MAX_FAILURES
}

function countFailure(state: AuthState, client: string, now: number): void {
  // Forget windows that are over, so many clients cannot grow the table without bound.
  if (state.failures.size > 1000) for (const [k, v] of state.failures) if (now - v.since > FAILURE_WINDOW_MS) state.failures.delete(k)
  const f = state.failures.get(client)
  if (f === undefined || now - f.since > FAILURE_WINDOW_MS) state.failures.set(client, { count: 1, since: now })
  else f.count++
}

function signInForm(next: string, problem: string | null): SafeHtml {
  return html`${problem === null ? "" : html`<p class="error" role="alert">${problem}</p>`}
<form method="post" action="/ui/sign-in">
<input type="hidden" name="next" value="${next}">
<p><label>Curator token<br><input type="password" name="token" autocomplete="off" required size="50"></label></p>
<p><button type="submit">Sign in</button></p>
</form>
<p class="muted">The token is the one <code>scicurate curators add NAME --file FILE</code> printed for you. The server keeps only its hash.</p>`
}

/** GET/POST /sign-in and POST /sign-out, to be mounted under /ui. */
export function authRoutes(ctx: ServeContext): Hono {
  const app = new Hono()
  app.get("/sign-in", (c) => {
    if (ctx.curators === null) return c.html(uiPage("Read-only server", html`<p>${READ_ONLY_REASON}</p>`))
    const next = localReturnPath(c.req.query("next")) ?? "/ui/"
    const s = sessionOf(ctx, c)
    if (s !== null)
      return c.html(
        uiPage("Signed in", html`<p>Signed in as <b>${s.curator}</b>.</p><form method="post" action="/ui/sign-out">${csrfField(s)}<button type="submit">Sign out</button></form>`)
      )
    return c.html(uiPage("Sign in", signInForm(next, null)))
  })
  app.post("/sign-in", async (c) => {
    const curators = ctx.curators
    if (curators === null) return refusal(c, 403, "Read-only server", READ_ONLY_REASON)
    const state = stateOf(ctx)
    const client = clientOf(c)
    const now = Date.now()
    if (tooManyFailures(state, client, now)) return refusal(c, 429, "Too many failed sign-ins", "Too many failed sign-ins from your address: wait a minute and try again.")
    const body = await c.req.parseBody()
    const next = localReturnPath(body.next) ?? "/ui/"
    const curator = typeof body.token === "string" && body.token.trim() !== "" ? curatorForToken(curators, body.token.trim()) : null
    if (curator === null) {
      countFailure(state, client, now)
      return c.html(uiPage("Sign in", signInForm(next, "That token belongs to no curator of this server.")), 403)
    }
    state.failures.delete(client)
    // A fresh id at every sign-in: an id planted before sign-in never becomes a signed-in session.
    dropSession(ctx, c)
    openSession(ctx, c, curator.name)
    return c.redirect(next, 303)
  })
  app.post("/sign-out", (c) => {
    closeSession(ctx, c)
    return c.redirect("/ui/", 303)
  })
  return app
}
