/**
 * Bundle definitions: the YAML files in `bundles/`, one per domain bundle, validated against the Effect
 * Schema below (from which `schemas/bundle.schema.json` is generated). A definition says what belongs
 * in the bundle — document kinds, formats and programs, a weighted keyword lexicon — and what the bundle
 * is for: its license policy, token target and sampling weight. The classifier (issue 6) scores
 * documents against these; the definitions are data, so curators change routing without code.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Schema } from "effect"
import { parse } from "yaml"
import { DocumentKind } from "../core/document.ts"

const Name = Schema.String.check(Schema.isPattern(/^[a-z0-9][a-z0-9-]*$/))
const Weight = Schema.Finite.check(Schema.isGreaterThan(0), Schema.isLessThanOrEqualTo(10))

export const BundleDefinition = Schema.Struct({
  name: Name.annotate({ description: "Bundle name: lower case letters, digits and '-'; the file is bundles/<name>.yaml" }),
  title: Schema.String.annotate({ description: "Human title for dataset cards" }),
  description: Schema.String.annotate({ description: "What the bundle holds, for curators and dataset cards" }),
  kinds: Schema.Array(DocumentKind).check(Schema.isMinLength(1)).annotate({ description: "Document kinds that may go into the bundle" }),
  formats: Schema.optionalKey(Schema.Array(Schema.String)).annotate({
    description: "Document formats or producing programs (e.g. python, lammps-log, qe-pw) that point to this bundle"
  }),
  lexicon: Schema.Record(Schema.String, Weight).annotate({
    description: "Keywords and phrases (lower case) with weights in (0, 10]: evidence that a document belongs here"
  }),
  license: Schema.optionalKey(
    Schema.Struct({
      allowed: Schema.optionalKey(Schema.Array(Schema.String)).annotate({ description: "SPDX ids allowed (absent: any)" }),
      keep_unknown: Schema.optionalKey(Schema.Boolean).annotate({ description: "Keep documents whose license is unknown (default true)" })
    })
  ).annotate({ description: "License policy of the bundle" }),
  token_target: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))).annotate({ description: "Tokens the bundle aims for" }),
  sampling_weight: Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0)).annotate({ description: "Relative weight of the bundle in a training mixture" }),
  quality: Schema.optionalKey(
    Schema.Struct({
      thresholds: Schema.optionalKey(Schema.Record(Schema.String, Schema.Finite)).annotate({
        description: "Filter rule thresholds for this bundle's documents, by rule name (see `scicurate quality-report`); the pipeline's for the others"
      }),
      disabled: Schema.optionalKey(Schema.Array(Schema.String)).annotate({ description: "Filter rules not applied to this bundle's documents" }),
      languages: Schema.optionalKey(Schema.Array(Schema.String)).annotate({
        description: "Languages kept in this bundle (ISO 639-1 codes), instead of the language stage's keep list"
      })
    })
  ).annotate({ description: "Quality settings for the documents this bundle would receive, over the pipeline's filter and language stages" })
}).annotate({ title: "BundleDefinition", description: "A domain bundle: what belongs in it and what it is for" })
export type BundleDefinition = typeof BundleDefinition.Type

export class BundleDefinitionError extends Error {}

/** The definitions shipped with scicurate (`bundles/` at the top of the checkout). */
export const DEFAULT_BUNDLES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bundles")

/** The name of the set of documents no bundle claims; no definition may take it. */
export const UNROUTED = "unrouted"

/** Every `*.yaml` in `dir`, validated, in name order. Errors name the file and the problem. */
export function loadBundleDefinitions(dir: string): BundleDefinition[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()
  const out: BundleDefinition[] = []
  for (const f of files) {
    const file = path.join(dir, f)
    let raw: unknown
    try {
      raw = parse(fs.readFileSync(file, "utf8"))
    } catch (e) {
      throw new BundleDefinitionError(`${file}: not valid YAML: ${(e as Error).message}`)
    }
    let def: BundleDefinition
    try {
      def = Schema.decodeUnknownSync(BundleDefinition)(raw, { onExcessProperty: "error" })
    } catch (e) {
      throw new BundleDefinitionError(`${file}: ${(e as Error).message}`)
    }
    if (def.name === UNROUTED) throw new BundleDefinitionError(`${file}: the name ${UNROUTED} is reserved for documents no bundle claims`)
    if (`${def.name}.yaml` !== f) throw new BundleDefinitionError(`${file}: name ${def.name} does not match the file name`)
    for (const term of Object.keys(def.lexicon)) {
      if (term !== term.toLowerCase() || term.trim() !== term || term === "") throw new BundleDefinitionError(`${file}: lexicon term ${JSON.stringify(term)} must be lower case and trimmed`)
    }
    out.push(def)
  }
  if (out.length === 0) throw new BundleDefinitionError(`${dir}: no bundle definitions (*.yaml) found`)
  return out
}
