/**
 * The decision panel on a bundle page (approve / reject / request changes). Owned by the ui-decide
 * branch; this stub only keeps the bundle page compiling until that branch is merged.
 */
import type { Context } from "hono"
import type { Manifest } from "../../bundle/manifest.ts"
import type { ServeContext } from "../context.ts"
import { html, type SafeHtml } from "./html.ts"

export function decisionPanel(_ctx: ServeContext, _c: Context, _bundleName: string, _manifest: Manifest): SafeHtml {
  return html``
}
