/**
 * The JSON Schemas in `schemas/`, generated from the Effect Schemas (never edited by hand).
 * `make schemas` rewrites them; a test fails when the checked-in files drift from the code.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Schema } from "effect"
import { ClassifiedDocument, Document, Reject, TokenizedDocument } from "./core/document.ts"
import { TaskStats } from "./core/stats.ts"
import { Manifest } from "./bundle/manifest.ts"
import { PipelineConfig } from "./pipeline/config.ts"
import { BundleDefinition } from "./classify/definitions.ts"
import { ReleaseIndex, ReleaseSignature } from "./release/schema.ts"
import { ReviewDecision } from "./review/log.ts"

export const SCHEMAS: Record<string, Schema.Top> = {
  "document.schema.json": Document,
  "tokenized-document.schema.json": TokenizedDocument,
  "classified-document.schema.json": ClassifiedDocument,
  "reject.schema.json": Reject,
  "task-stats.schema.json": TaskStats,
  "pipeline.schema.json": PipelineConfig,
  "manifest.schema.json": Manifest,
  "bundle.schema.json": BundleDefinition,
  "review-decision.schema.json": ReviewDecision,
  "release.schema.json": ReleaseIndex,
  "release-signature.schema.json": ReleaseSignature
}

export function renderSchema(name: string, schema: Schema.Top): string {
  const doc = Schema.toJsonSchemaDocument(schema, { onExcessProperty: name === "pipeline.schema.json" || name === "bundle.schema.json" ? "error" : "ignore" })
  const out = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: `https://scicurate.dev/schemas/${name}`,
    ...doc.schema,
    ...(Object.keys(doc.definitions).length > 0 ? { $defs: doc.definitions } : {})
  }
  return JSON.stringify(out, null, 2) + "\n"
}

export const SCHEMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../schemas")

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  fs.mkdirSync(SCHEMA_DIR, { recursive: true })
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    fs.writeFileSync(path.join(SCHEMA_DIR, name), renderSchema(name, schema))
    console.log(`wrote schemas/${name}`)
  }
}
