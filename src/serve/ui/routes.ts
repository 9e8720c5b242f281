/**
 * Curators' pages under /ui:
 *
 *   /ui/                                   bundles with size and review state
 *   /ui/bundles/<name>                     a bundle's manifest as a page, charts, samples, card, decision slot
 *   /ui/bundles/<name>/documents           ?sample=N&seed=S (random, repeatable) or ?q=TEXT (search), paged
 *   /ui/bundles/<name>/documents/<id>      one document: text (paged), metadata, reader, routing
 *   /ui/left-out                           rejects and filtered inputs per reason, duplicate clusters
 *   /ui/duplicates/<cluster or removed id> kept and removed copies side by side, differences marked
 *   /ui/compare?a=FOLDER&b=FOLDER          two runs of a bundle: added, removed, changed; deltas
 *   /ui/sign-in, /ui/sign-out              curators' sessions (auth.ts); every POST is checked there first
 *   /ui/bundles/<name>/review              the decision panel alone; POST .../decision records one (decide.ts)
 *   /ui/releases, /ui/releases/<name>      releases made from this work folder (releases.ts)
 *
 * A missing bundle, document or cluster is a 404 page; a bad parameter a 400 page; anything else a 500
 * page with the one-line cause (never a stack trace; the cause is also logged on the server's stderr).
 */
import { Hono, type Context } from "hono"
import type { ContentfulStatusCode } from "hono/utils/http-status"
import type { ServeContext } from "../context.ts"
import { bundleListPage, bundlePage } from "./bundles.ts"
import { uiPage } from "./common.ts"
import { comparePage } from "./compare.ts"
import { BadRequest, NotFound } from "./data.ts"
import { documentPage, documentsPage } from "./documents.ts"
import { authRoutes, signInStatus, writeGuards } from "./auth.ts"
import { decisionRoutes } from "./decide.ts"
import { html } from "./html.ts"
import { duplicatePage, leftOutPage } from "./left-out.ts"
import { releasePages } from "./releases.ts"

function errorPage(c: Context, status: ContentfulStatusCode, title: string, message: string): Response {
  return c.html(uiPage(title, html`<p class="error" data-status="${status}">${message}</p><p><a href="/ui/">Back to the bundles</a></p>`), status)
}

export function curatorPages(ctx: ServeContext): Hono {
  const app = new Hono({ strict: false })
  // Before any route, the catch-all included: every write is checked here (read-only server, Origin, session, CSRF).
  app.use("*", ...writeGuards(ctx))
  app.route("/", authRoutes(ctx))
  app.route("/", decisionRoutes(ctx))
  app.route("/", releasePages(ctx))
  app.get("/", (c) => c.html(bundleListPage(ctx, signInStatus(ctx, c))))
  app.get("/bundles/:name", async (c) => c.html(await bundlePage(ctx, c, c.req.param("name"))))
  app.get("/bundles/:name/documents", (c) => documentsPage(ctx, c, c.req.param("name")))
  app.get("/bundles/:name/documents/:id", async (c) => c.html(await documentPage(ctx, c, c.req.param("name"), c.req.param("id"))))
  app.get("/left-out", async (c) => c.html(await leftOutPage(ctx, c)))
  app.get("/duplicates/:key", async (c) => c.html(await duplicatePage(ctx, c.req.param("key"))))
  app.get("/compare", async (c) => c.html(await comparePage(ctx, c)))
  // A catch-all rather than notFound(): a mounted app's notFound is not consulted by the app it is mounted in.
  app.all("*", (c) => errorPage(c, 404, "Not found", `Nothing at ${c.req.path}.`))
  app.onError((err, c) => {
    if (err instanceof NotFound) return errorPage(c, 404, "Not found", err.message)
    if (err instanceof BadRequest) return errorPage(c, 400, "Bad request", err.message)
    const cause = (err.message || String(err)).split("\n")[0]!
    console.error(`scicurate serve: ${c.req.method} ${c.req.path}: ${cause}`)
    return errorPage(c, 500, "Something went wrong", `This page could not be made: ${cause}`)
  })
  return app
}
