/**
 * Trainers' read-only file tree: GET/HEAD /releases/<name>/<path> for the files release.json lists.
 * (Placeholder: the pull helper builds this.)
 */
import { Hono } from "hono"
import type { ServeContext } from "./context.ts"

export function releaseFiles(_ctx: ServeContext): Hono {
  const app = new Hono()
  return app
}
