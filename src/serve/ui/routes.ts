/**
 * Curators' pages under /ui. (Placeholder: the ui helper builds this.)
 */
import { Hono } from "hono"
import type { ServeContext } from "../context.ts"

export function curatorPages(_ctx: ServeContext): Hono {
  const app = new Hono()
  app.get("/", (c) => c.html("<!doctype html><title>scicurate</title><p>scicurate</p>"))
  return app
}
