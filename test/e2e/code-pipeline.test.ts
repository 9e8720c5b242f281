/**
 * Source code through the CLI: a small repository and a .tar.gz of another one, ingested with a
 * license allow-list. Checks languages, licenses from LICENSE files and SPDX headers, the policy
 * (filtered with a reason, unknown licenses counted), the StarCoder-style filters, secret redaction
 * and archive members as records.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { openDuckDB } from "../../src/core/duckdb.ts"
import { cli, tempDir } from "../helpers.ts"

const licenses = createRequire(import.meta.url)("spdx-license-list/full") as Record<string, { licenseText: string }>

function write(root: string, rel: string, content: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
  fs.writeFileSync(path.join(root, rel), content)
}

async function rows(dir: string): Promise<Array<{ title: string; format: string; license: string | null; text: string; metadata: string; source_path: string; source_index: bigint }>> {
  const { connection } = await openDuckDB()
  try {
    const r = await connection.runAndReadAll(`SELECT title, format, license, text, metadata, source_path, source_index FROM read_parquet('${dir}/*.parquet') ORDER BY source_path, source_index`)
    return r.getRowObjectsJS() as never
  } finally {
    connection.closeSync()
  }
}

describe("source code through the CLI", () => {
  const root = tempDir()
  const repo = path.join(root, "inputs", "solver")
  write(repo, "LICENSE", licenses["MIT"]!.licenseText.replace("<year>", "2024").replace("<copyright holders>", "Example Lab"))
  write(repo, "src/heat.py", "import numpy as np\n\n\ndef step(u, alpha, dt):\n    \"\"\"One explicit Euler step of the 1-D heat equation.\"\"\"\n    return u + alpha * dt * (np.roll(u, 1) - 2 * u + np.roll(u, -1))\n")
  write(repo, "src/kernel.c", "// SPDX-License-Identifier: GPL-2.0-only\n#include <math.h>\n\ndouble gaussian(double x, double s) {\n    return exp(-x * x / (2 * s * s));\n}\n")
  const awsKey = ["AKIA", "Q3EXAMPLEKEY7ZZ4"].join("")
  write(repo, "scripts/upload.sh", `#!/bin/sh\n# Upload results to the bucket\nexport AWS_ACCESS_KEY_ID=${awsKey}\naws s3 cp results/ s3://lab-results/ --recursive\n`)
  write(repo, "vendor/lib.js", "export function add(a, b) {\n  return a + b\n}\n")
  write(repo, "package-lock.json", JSON.stringify({ name: "solver", lockfileVersion: 3, packages: {} }, null, 2))
  write(repo, "notebooks/fit.ipynb", JSON.stringify({
    nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { language: "python", name: "python3" } },
    cells: [
      { cell_type: "markdown", metadata: {}, source: ["# Fitting the decay constant\n", "We fit an exponential to the counts."] },
      { cell_type: "code", metadata: {}, execution_count: 1, source: ["import numpy as np\n", "tau = np.polyfit(t, np.log(n), 1)[0]"], outputs: [{ output_type: "stream", name: "stdout", text: ["OUTPUT THAT MUST NOT APPEAR\n"] }] }
    ]
  }))
  // A second project, shipped as a .tar.gz with an Apache license.
  const other = path.join(root, "build", "mesh")
  write(other, "LICENSE", licenses["Apache-2.0"]!.licenseText)
  write(other, "mesh/refine.f90", "! Refine a 1-D mesh by bisection\nsubroutine refine(x, n, y)\n  integer, intent(in) :: n\n  real(8), intent(in) :: x(n)\n  real(8), intent(out) :: y(2*n-1)\n  integer :: i\n  do i = 1, n - 1\n    y(2*i-1) = x(i)\n    y(2*i) = 0.5d0 * (x(i) + x(i+1))\n  end do\n  y(2*n-1) = x(n)\nend subroutine refine\n")
  write(other, "README.md", "# mesh\n\nMesh refinement routines for the solver, in Fortran 90.\n")
  execFileSync("tar", ["-czf", path.join(root, "inputs", "mesh-1.0.tar.gz"), "-C", path.join(root, "build"), "mesh"])
  const pipeline = path.join(root, "code.yaml")
  fs.writeFileSync(pipeline, "name: code\ninputs: [inputs]\nstages:\n  - stage: ingest\n    code: { allowed_licenses: [MIT, Apache-2.0] }\n")

  it("keeps allowed code with its license, filters the rest with reasons, redacts secrets, reads archives", async () => {
    const out = path.join(root, "out")
    const r = cli(["ingest", path.join(root, "inputs"), "--out", out, "--config", pipeline])
    expect(r.status, r.stderr).toBe(0)
    const docs = await rows(out)
    const byTitle = new Map(docs.map((d) => [d.title, d]))
    expect(byTitle.get("solver/src/heat.py")).toMatchObject({ format: "python", license: "MIT" })
    expect(byTitle.get("solver/notebooks/fit.ipynb")).toMatchObject({ format: "jupyter-notebook", license: "MIT" })
    expect(byTitle.get("solver/notebooks/fit.ipynb")!.text).toContain("tau = np.polyfit")
    expect(byTitle.get("solver/notebooks/fit.ipynb")!.text).not.toContain("OUTPUT THAT MUST NOT APPEAR")
    const upload = byTitle.get("solver/scripts/upload.sh")!
    expect(upload).toMatchObject({ format: "shell", license: "MIT" })
    expect(upload.text).not.toContain(awsKey)
    expect(upload.text).toContain("<REDACTED:aws-access-key>")
    expect(JSON.stringify(docs, (_, v) => (typeof v === "bigint" ? Number(v) : v))).not.toContain(awsKey)
    // Archive members: records of the archive, in order, with the archive's own license.
    const refine = docs.find((d) => d.title === "mesh/mesh/refine.f90" || d.title === "mesh/refine.f90")!
    expect(refine).toMatchObject({ format: "fortran", license: "Apache-2.0", source_path: "inputs/mesh-1.0.tar.gz" })
    expect(Number(refine.source_index)).toBeGreaterThan(0)
    expect(docs.some((d) => d.source_path === "inputs/mesh-1.0.tar.gz" && d.format === "markdown")).toBe(true)

    const filteredRecords = fs.readdirSync(path.join(out, "_filtered")).flatMap((f) => fs.readFileSync(path.join(out, "_filtered", f), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l)))
    const reasons = Object.fromEntries(filteredRecords.map((f: { source_path: string; reason: string }) => [f.source_path, f.reason]))
    expect(reasons).toMatchObject({
      "inputs/solver/src/kernel.c": "license-not-allowed",
      "inputs/solver/vendor/lib.js": "vendored",
      "inputs/solver/package-lock.json": "lock-file",
      "inputs/solver/LICENSE": "license-file"
    })
    // The secret is counted in the task's stats (never its value).
    const stats = fs.readdirSync(path.join(out, "_stats")).map((f) => JSON.parse(fs.readFileSync(path.join(out, "_stats", f), "utf8")))
    const noted = stats.reduce((n: number, s: { reasons: Record<string, number> }) => n + (s.reasons["noted:secret-redacted:aws-access-key"] ?? 0), 0)
    expect(noted).toBe(1)
  }, 120_000)
})

describe("a plain .tar of source code", () => {
  it("is read member by member like a .tar.gz", async () => {
    const root = tempDir()
    write(root, "src/proj/LICENSE", licenses["MIT"]!.licenseText)
    write(root, "src/proj/solve.py", "def solve(a, b):\n    \"\"\"Solve a x = b for scalars.\"\"\"\n    return b / a\n")
    fs.mkdirSync(path.join(root, "in"))
    execFileSync("tar", ["-cf", path.join(root, "in", "proj.tar"), "-C", path.join(root, "src"), "proj"])
    const out = path.join(root, "out")
    const r = cli(["ingest", path.join(root, "in"), "--out", out])
    expect(r.status, r.stderr).toBe(0)
    const docs = await rows(out)
    expect(docs.map((d) => [d.title, d.format, d.license])).toEqual([["proj/solve.py", "python", "MIT"]])
  }, 60_000)
})
