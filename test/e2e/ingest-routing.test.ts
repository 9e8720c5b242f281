/**
 * Routing through the CLI: the same file is read the same way on disk and inside an archive (C headers
 * and .m files as code, logs of known programs, tables, single-file .gz), Markdown stays text whatever
 * tables it holds, prose with numbers stays text, secrets are redacted in every kind of document, and
 * the license search never climbs above an input root.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { describe, expect, it } from "vitest"
import { openDuckDB } from "../../src/core/duckdb.ts"
import { cli, corpusDir, hasCorpus, tempDir } from "../helpers.ts"

const licenses = createRequire(import.meta.url)("spdx-license-list/full") as Record<string, { licenseText: string }>

if (!hasCorpus) console.warn("[scicurate tests] ../shared/corpus absent: the archive-of-simulation-outputs routing test is skipped")

function write(root: string, rel: string, content: string | Buffer): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
  fs.writeFileSync(path.join(root, rel), content)
}

interface Row { title: string | null; kind: string; format: string; license: string | null; text: string; metadata: string; source_path: string; source_index: number }

async function rows(dir: string): Promise<Row[]> {
  const { connection } = await openDuckDB()
  try {
    const r = await connection.runAndReadAll(`SELECT title, kind, format, license, text, metadata, source_path, source_index::INTEGER AS source_index FROM read_parquet('${dir}/*.parquet') ORDER BY source_path, source_index`)
    return r.getRowObjectsJS() as never
  } finally {
    connection.closeSync()
  }
}

const records = (dir: string): Array<{ source_path: string; reason: string; location?: string }> =>
  fs.existsSync(dir) ? fs.readdirSync(dir).flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l))) : []

const noted = (out: string, code: string): number =>
  fs.readdirSync(path.join(out, "_stats")).reduce((n, f) => n + ((JSON.parse(fs.readFileSync(path.join(out, "_stats", f), "utf8")) as { reasons: Record<string, number> }).reasons[code] ?? 0), 0)

const header = "#ifndef GRID_H\n#define GRID_H\n\n/* A uniform 3-D grid of cells. */\ntypedef struct {\n  int nx, ny, nz;\n  double dx;\n} grid_t;\n\ndouble grid_volume(const grid_t *g);\n\n#endif\n"
const dotM = "function y = smooth3(x)\n  % Moving average over three samples.\n  y = conv(x, ones(1, 3) / 3, 'same');\nend\n"
const markdownWithTable = "# Results\n\nTimings per run:\n\n| run | cores | seconds |\n|-----|-------|---------|\n| 1 | 2 | 10.5 |\n| 2 | 4 | 5.4 |\n| 3 | 8 | 2.9 |\n| 4 | 16 | 1.6 |\n"
const proseWithNumbers = [
  "In 2019, 45 of the 120 patients (37.5%) responded within 6 weeks.",
  "Median survival was 14.2 months (95% CI 11.0 to 17.9) in 2020 and 2021.",
  "Of 3,200 samples, 2,870 passed quality control at a threshold of 0.95.",
  "Doses of 10, 20 and 40 mg were compared over 12 weeks.",
  "The effect was largest at 40 mg, with 8 of 30 (26.7%) responders."
].join("\n") + "\n"
const numericOutput = ["# step  energy  temperature  pressure", ...Array.from({ length: 40 }, (_, i) => `${i * 100}  ${(-1520.25 + i * 0.013).toFixed(4)}  ${(300 + Math.sin(i) * 4).toFixed(3)}  ${(1.013 + i * 0.001).toFixed(4)}`)].join("\n") + "\n"

describe("one routing for files on disk and archive members", () => {
  const root = tempDir()
  const inputs = path.join(root, "inputs")
  const awsKey = ["AKIA", "Q3EXAMPLEKEY7ZZ4"].join("")
  const ghToken = ["ghp_", "x".repeat(10), "A1b2C3d4E5f6G7h8I9j0K1l2M3n4"].join("").slice(0, 40)
  write(inputs, "project/LICENSE", licenses["MIT"]!.licenseText)
  write(inputs, "project/include/grid.h", header)
  write(inputs, "project/matlab/smooth3.m", dotM)
  write(inputs, "project/docs/results.md", markdownWithTable)
  write(inputs, "project/docs/notes.txt", `Deployment notes for the cluster.\nThe upload key is ${awsKey} and must be rotated every 90 days.\n`)
  write(inputs, "project/data/tokens.csv", `name,value,count\nalpha,${ghToken},1\nbeta,plain,2\ngamma,plain,3\ndelta,plain,4\n`)
  write(inputs, "project/deploy/server.pem", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n")
  write(inputs, "project/results/summary.txt", proseWithNumbers)
  write(inputs, "project/results/thermo.txt", numericOutput)
  // The same header and .m file inside an archive must be read exactly as on disk.
  const build = path.join(root, "build")
  write(build, "pkg/LICENSE", licenses["MIT"]!.licenseText)
  write(build, "pkg/include/grid.h", header)
  write(build, "pkg/matlab/smooth3.m", dotM)
  write(build, "pkg/docs/results.md", markdownWithTable)
  write(build, "pkg/results/thermo.txt", numericOutput)
  // What a zipped checkout also holds: VCS metadata, lock files, vendored dependencies.
  write(build, "pkg/.git/config", "[core]\n\trepositoryformatversion = 0\n")
  write(build, "pkg/yarn.lock", "# THIS IS AN AUTOGENERATED FILE.\nleft-pad@^1.3.0:\n  version \"1.3.0\"\n")
  write(build, "pkg/node_modules/left-pad/README.txt", "left-pad pads strings on the left with spaces or zeros.\n")
  execFileSync("tar", ["-czf", path.join(inputs, "pkg.tar.gz"), "-C", build, "pkg"])
  // Secrets in a title and inside a JSONL record's metadata (escaped quotes in JSON).
  const hfToken = ["hf_", "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z"].join("")
  write(inputs, "project/docs/setup.md", `# Setup with ${hfToken}\n\nLog in to the hub before downloading the model weights for the benchmark.\n`)
  write(inputs, "records.jsonl", JSON.stringify({ id: "r1", text: "Connecting to the results database for the nightly benchmark run.", code: 'db.connect(password="Tr0ub4dor&3")', filter: "high-pass: 0.5Hz-40Hz" }) + "\n")

  it("routes headers, .m files, Markdown tables, prose and program output the same on disk and in archives", async () => {
    const out = path.join(root, "out")
    const r = cli(["ingest", inputs, "--out", out])
    expect(r.status, r.stderr).toBe(0)
    const docs = await rows(out)
    const onDisk = (rel: string) => docs.find((d) => d.source_path === `inputs/project/${rel}`)
    const inArchive = (member: string) => docs.find((d) => d.source_path === "inputs/pkg.tar.gz" && JSON.parse(d.metadata).archive_member === member)
    for (const [disk, member, format] of [
      ["include/grid.h", "pkg/include/grid.h", "c"],
      ["matlab/smooth3.m", "pkg/matlab/smooth3.m", "matlab"],
      ["docs/results.md", "pkg/docs/results.md", "markdown"],
      ["results/thermo.txt", "pkg/results/thermo.txt", "text-log"]
    ] as const) {
      expect(onDisk(disk)?.format, disk).toBe(format)
      expect(inArchive(member)?.format, member).toBe(format)
      expect(inArchive(member)!.kind).toBe(onDisk(disk)!.kind)
    }
    expect(onDisk("include/grid.h")).toMatchObject({ kind: "code", license: "MIT" })
    expect(inArchive("pkg/include/grid.h")).toMatchObject({ kind: "code", license: "MIT" })
    expect(onDisk("results/thermo.txt")!.kind).toBe("simulation")
    // Prose that mentions numbers is text, kept verbatim.
    expect(onDisk("results/summary.txt")).toMatchObject({ kind: "text", format: "plain-text" })
    expect(onDisk("results/summary.txt")!.text).toContain("Median survival was 14.2 months")

    // Secrets: redacted in a plain-text file and in a table's sampled cells, counted, never written.
    expect(onDisk("docs/notes.txt")!.text).toContain("<REDACTED:aws-access-key>")
    const table = onDisk("data/tokens.csv")!
    expect(table.kind).toBe("simulation")
    const everything = JSON.stringify(docs)
    expect(everything).not.toContain(awsKey)
    expect(everything).not.toContain(ghToken)
    expect(noted(out, "noted:secret-redacted:aws-access-key")).toBe(1)
    expect(noted(out, "noted:secret-redacted:github-token")).toBeGreaterThanOrEqual(1)
    // A credentials file is filtered by name, never read into a document.
    const filtered = records(path.join(out, "_filtered"))
    expect(filtered).toContainEqual(expect.objectContaining({ source_path: "inputs/project/deploy/server.pem", reason: "credentials-file" }))
    expect(everything).not.toContain("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC")
    expect(everything).not.toContain(hfToken)
    expect(everything).not.toContain("Tr0ub4dor")
    // A measurement is not a password.
    expect(everything).toContain("0.5Hz-40Hz")
    // Archive members that are not training material are accounted for, by reason.
    const archiveFiltered = filtered.filter((f) => f.source_path === "inputs/pkg.tar.gz").map((f) => [f.location, f.reason])
    expect(archiveFiltered).toEqual(
      expect.arrayContaining([
        ["member pkg/.git/config", "hidden"],
        ["member pkg/yarn.lock", "lock-file"],
        ["member pkg/node_modules/left-pad/README.txt", "vendored"]
      ])
    )
  }, 120_000)

  it("never reads license files above an input root, even when roots share a name", async () => {
    // Two roots called `src` get the labels a/src and b/src; a LICENSE beside a/ (above the root) is
    // outside the input and must not license a/src's files.
    const base = path.join(root, "roots")
    write(base, "a/LICENSE", licenses["GPL-3.0-only"]!.licenseText)
    write(base, "a/src/solver.py", "def solve(a, b):\n    \"\"\"Solve a linear system.\"\"\"\n    return a / b\n")
    write(base, "b/src/LICENSE", licenses["MIT"]!.licenseText)
    write(base, "b/src/mesh.py", "def refine(x):\n    \"\"\"Halve every interval.\"\"\"\n    return [v / 2 for v in x]\n")
    const out = path.join(root, "roots-out")
    const r = cli(["ingest", path.join(base, "a", "src"), path.join(base, "b", "src"), "--out", out])
    expect(r.status, r.stderr).toBe(0)
    const docs = await rows(out)
    expect(docs.find((d) => d.source_path === "a/src/solver.py")).toMatchObject({ kind: "code", license: null })
    expect(docs.find((d) => d.source_path === "b/src/mesh.py")).toMatchObject({ kind: "code", license: "MIT" })
  }, 120_000)
})

describe.skipIf(!hasCorpus)("simulation outputs inside archives (needs ../shared/corpus)", () => {
  it("reads a LAMMPS log, a QE output and a CSV from a .tar.gz, and a CSV from a single-file .gz, as on disk", async () => {
    const root = tempDir()
    const sim = path.join(corpusDir, "simulation")
    const run = path.join(root, "build", "run")
    fs.mkdirSync(run, { recursive: true })
    for (const f of ["cb_biaxial.screen", "ni.scf.david.out", "sunspots.csv"]) fs.copyFileSync(path.join(sim, f), path.join(run, f))
    const inputs = path.join(root, "inputs")
    fs.mkdirSync(inputs)
    execFileSync("tar", ["-czf", path.join(inputs, "run.tar.gz"), "-C", path.join(root, "build"), "run"])
    fs.writeFileSync(path.join(inputs, "elnino.csv.gz"), zlib.gzipSync(fs.readFileSync(path.join(sim, "elnino.csv"))))
    const disk = path.join(root, "disk")
    fs.mkdirSync(disk)
    for (const f of ["cb_biaxial.screen", "ni.scf.david.out", "sunspots.csv", "elnino.csv"]) fs.copyFileSync(path.join(sim, f), path.join(disk, f))

    const out = path.join(root, "out")
    expect(cli(["ingest", inputs, "--out", out]).status).toBe(0)
    const outDisk = path.join(root, "out-disk")
    expect(cli(["ingest", disk, "--out", outDisk]).status).toBe(0)
    const archived = await rows(out)
    const plain = await rows(outDisk)
    for (const name of ["cb_biaxial.screen", "ni.scf.david.out", "sunspots.csv", "elnino.csv"]) {
      const a = archived.find((d) => String(JSON.parse(d.metadata).archive_member).endsWith(name))
      const p = plain.find((d) => d.source_path.endsWith(name))
      expect(a, name).toBeDefined()
      expect(a!.kind).toBe("simulation")
      expect(a!.format, name).toBe(p!.format)
      // The same reader made both: the summaries agree apart from the title line.
      expect(a!.text.split("\n").slice(1).join("\n")).toBe(p!.text.split("\n").slice(1).join("\n"))
      expect(JSON.parse(a!.metadata).archive_member).toBeDefined()
    }
    expect(archived.filter((d) => d.source_path.endsWith("run.tar.gz")).length).toBe(3)
  }, 120_000)
})
