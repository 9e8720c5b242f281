import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { renderSchema, SCHEMA_DIR, SCHEMAS } from "../../src/schemas.ts"

describe("schemas/", () => {
  it("matches the Effect Schemas in src (run `make schemas` after changing them)", () => {
    for (const [name, schema] of Object.entries(SCHEMAS)) {
      const file = path.join(SCHEMA_DIR, name)
      expect(fs.existsSync(file), `schemas/${name} is missing`).toBe(true)
      expect(fs.readFileSync(file, "utf8"), `schemas/${name} drifted from the code`).toBe(renderSchema(name, schema))
    }
  })

  it("keeps the document column names that readers query", () => {
    const doc = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, "document.schema.json"), "utf8"))
    for (const col of ["id", "text", "kind", "format", "source_path", "source_sha256", "license", "title", "domain", "bundle", "metadata"]) {
      expect(doc.properties).toHaveProperty(col)
    }
    expect(doc.properties.kind.enum).toEqual(["paper", "code", "simulation", "text"])
  })

  it("makes the pipeline schema strict about unknown keys", () => {
    const p = JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, "pipeline.schema.json"), "utf8"))
    expect(p.additionalProperties).toBe(false)
  })
})
