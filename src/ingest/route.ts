/**
 * The routing decision for text as a small value (which family a name and head go to), for callers
 * and tests that only want the decision: a view of the router's choice (router.ts), not a second
 * routing table. Pure.
 */
import { Probe } from "./probe.ts"
import { chooseReader } from "./router.ts"
import { LOG_PROGRAMS } from "./simulation/detect.ts"
import type { LogProgram } from "./simulation/types.ts"

export { credentialsFileName } from "./readers/credentials-file.ts"
export { hasNumericColumns, periodicNumericShare } from "./simulation/generic.ts"
export { CERTAIN_CODE, LIKELY_CODE } from "./code/language-tiers.ts"

export type TextRoute =
  | { readonly kind: "license-file" }
  | { readonly kind: "credentials-file"; readonly detail: string }
  | { readonly kind: "code"; readonly language: string }
  | { readonly kind: "log"; readonly program: LogProgram }
  | { readonly kind: "table" }
  | { readonly kind: "generic-log" }
  | { readonly kind: "text" }
  | { readonly kind: "jsonl" }

const PROGRAMS = new Map(LOG_PROGRAMS.map((p) => [p.format, p]))

/** Where text named `name` and starting with `head` goes (as an archive member or a file on disk). */
export function routeText(name: string, head: string): TextRoute {
  const bytes = Buffer.from(head, "utf8")
  const probe = new Probe(name, bytes, bytes.length)
  const choice = chooseReader(probe)
  const id = choice?.reader.id ?? "text"
  switch (id) {
    case "license-file":
      return { kind: "license-file" }
    case "credentials-file":
      return { kind: "credentials-file", detail: `${probe.baseName} holds credentials by convention; it is not read` }
    case "code":
      return { kind: "code", language: probe.language!.language }
    case "table":
      return { kind: "table" }
    case "text-log":
      return { kind: "generic-log" }
    case "jsonl":
      return { kind: "jsonl" }
  }
  const program = PROGRAMS.get(id)
  return program !== undefined ? { kind: "log", program } : { kind: "text" }
}
