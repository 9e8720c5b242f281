/**
 * The web application behind `scicurate serve`: one Hono app with two halves that share nothing but
 * the ServeContext.
 *
 *   /ui/...            curators' pages (src/serve/ui): bundles, documents, what was left out, decisions
 *   /releases/<name>/  trainers' read-only file tree (src/serve/files.ts): release.json, its signature,
 *                      manifests, cards and shards, with Range, HEAD and ETag = sha256
 *   /                  redirects to /ui/
 */
import { Hono } from "hono"
import type { ServeContext } from "./context.ts"
import { releaseFiles } from "./files.ts"
import { curatorPages } from "./ui/routes.ts"

export interface AppOptions {
  /**
   * The server listens on a loopback address: answer only requests addressed to a loopback name. A web
   * page elsewhere can point its own host name at 127.0.0.1 (DNS rebinding) and read the pages through
   * the curator's browser; such requests carry that foreign name in Host and are refused.
   */
  readonly loopbackOnly?: boolean
}

const LOOPBACK_NAME = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i

export function makeApp(ctx: ServeContext, options: AppOptions = {}): Hono {
  // Not strict: /ui and /ui/ are the same page, as a user typing the address expects.
  const app = new Hono({ strict: false })
  if (options.loopbackOnly === true)
    app.use("*", async (c, next) => {
      const host = c.req.header("host") ?? ""
      if (!LOOPBACK_NAME.test(host)) return c.text(`421 Misdirected Request: this server answers only to a loopback address, not to "${host.slice(0, 100)}"\n`, 421)
      await next()
    })
  app.route("/releases", releaseFiles(ctx))
  app.route("/ui", curatorPages(ctx))
  app.get("/", (c) => c.redirect("/ui/"))
  return app
}
