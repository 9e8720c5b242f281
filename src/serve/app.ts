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

export function makeApp(ctx: ServeContext): Hono {
  // Not strict: /ui and /ui/ are the same page, as a user typing the address expects.
  const app = new Hono({ strict: false })
  app.route("/releases", releaseFiles(ctx))
  app.route("/ui", curatorPages(ctx))
  app.get("/", (c) => c.redirect("/ui/"))
  return app
}
