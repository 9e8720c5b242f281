/**
 * Curators' pages under /ui. (Placeholder: the ui helper builds this.)
 */
import { Hono } from "hono"
import type { ServeContext } from "../context.ts"
import { authRoutes, writeGuards } from "./auth.ts"
import { decisionRoutes } from "./decide.ts"
import { releasePages } from "./releases.ts"

export function curatorPages(ctx: ServeContext): Hono {
  const app = new Hono()
  // Before any route: every write is checked here (read-only server, Origin, session, CSRF).
  app.use("*", ...writeGuards(ctx))
  app.route("/", authRoutes(ctx))
  app.route("/", decisionRoutes(ctx))
  app.route("/", releasePages(ctx))
  app.get("/", (c) => c.html("<!doctype html><title>scicurate</title><p>scicurate</p>"))
  return app
}
