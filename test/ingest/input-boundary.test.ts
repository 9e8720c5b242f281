/**
 * The input boundary, through the real CLI on folders the tests build: links that lead out of their
 * input root are never followed, hidden and credential files are counted (never silently dropped),
 * unreadable files and files that change while they are read are rejected by name.
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { openDuckDB } from "../../src/core/duckdb.ts"
import { cli, readRejects, repoRoot, tempDir } from "../helpers.ts"

function write(root: string, rel: string, content: string | Buffer): string {
  const p = path.join(root, rel)
  fs.mkdirSync(path.dirname(p), { recursive: true })
  fs.writeFileSync(p, content)
  return p
}

const PROSE = "Phonons carry most of the heat in insulating crystals; their mean free path sets the thermal conductivity.\n"

async function documents(dir: string): Promise<Array<{ source_path: string; text: string }>> {
  const { connection } = await openDuckDB()
  try {
    const r = await connection.runAndReadAll(`SELECT source_path, text FROM read_parquet('${dir}/*.parquet') ORDER BY source_path`)
    return r.getRowObjectsJS() as never
  } finally {
    connection.closeSync()
  }
}

const filteredRecords = (stageDir: string): Array<{ source_path: string; reason: string; detail: string }> => {
  const dir = path.join(stageDir, "_filtered")
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort().flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l))) : []
}

const stats = (stageDir: string): { records_in: number; documents_out: number; filtered: number; rejected: number; reasons: Record<string, number> } => {
  const all = fs.readdirSync(path.join(stageDir, "_stats")).map((f) => JSON.parse(fs.readFileSync(path.join(stageDir, "_stats", f), "utf8")))
  const reasons: Record<string, number> = {}
  for (const s of all) for (const [k, n] of Object.entries(s.reasons as Record<string, number>)) reasons[k] = (reasons[k] ?? 0) + n
  const sum = (k: string) => all.reduce((a, s) => a + (s[k] as number), 0)
  return { records_in: sum("records_in"), documents_out: sum("documents_out"), filtered: sum("filtered"), rejected: sum("rejected"), reasons }
}

describe("links", () => {
  it("rejects a symbolic link that leads outside its input root as link-outside-input, unless the pipeline allows it", async () => {
    const dir = tempDir()
    const input = path.join(dir, "input")
    write(input, "notes/inside.md", `# Inside\n\n${PROSE}`)
    const outside = write(dir, "elsewhere/secret.txt", `The content of a file outside the input root. ${PROSE}`)
    write(dir, "elsewhere/more/other.txt", `Another outside file. ${PROSE}`)
    fs.symlinkSync("/etc/passwd", path.join(input, "passwd"))
    fs.symlinkSync(outside, path.join(input, "notes", "secret-link.txt"))
    fs.symlinkSync(path.join(dir, "elsewhere", "more"), path.join(input, "more"))
    fs.symlinkSync(path.join(input, "notes", "inside.md"), path.join(input, "inside-link.md")) // inside: followed
    fs.symlinkSync("notes", path.join(input, "notes-again")) // a folder link inside the root: followed

    const out = path.join(dir, "out")
    const r = cli(["ingest", input, "--out", out, "--workers", "1", "--tasks", "1"])
    expect(r.status, r.stderr).toBe(0)
    const rejects = readRejects(out)
    expect(rejects.filter((x) => x.reason === "link-outside-input").map((x) => x.source_path).sort()).toEqual([
      "input/more",
      "input/notes-again/secret-link.txt", // the same link reached through the folder link
      "input/notes/secret-link.txt",
      "input/passwd"
    ])
    expect(rejects.find((x) => x.source_path === "input/passwd")!.detail).toMatch(/symbolic link to \/etc\/passwd, outside the input/)
    const docs = await documents(out)
    expect(docs.map((d) => d.source_path)).toEqual(["input/inside-link.md", "input/notes-again/inside.md", "input/notes/inside.md"])
    expect(docs.some((d) => d.text.includes("root:") || d.text.includes("outside the input root"))).toBe(false)

    // The pipeline setting lets the links through.
    const config = write(dir, "follow.yaml", `name: follow\ninputs: [input]\nstages:\n  - stage: ingest\n    tasks: 1\n    follow_links_outside_input: true\n`)
    const out2 = path.join(dir, "out2")
    const r2 = cli(["ingest", input, "--out", out2, "--workers", "1", "--config", config])
    expect(r2.status, r2.stderr).toBe(0)
    expect(readRejects(out2).filter((x) => x.reason === "link-outside-input")).toEqual([])
    const followed = (await documents(out2)).map((d) => d.source_path)
    expect(followed).toContain("input/notes/secret-link.txt")
    expect(followed).toContain("input/more/other.txt")
  })
})

describe("links in archives", () => {
  it.skipIf(spawnSync("tar", ["--version"]).status !== 0)("filters symlink and hard-link members of a tar by name, never materialising or following them", async () => {
    const dir = tempDir()
    const tree = path.join(dir, "tree")
    write(tree, "pkg/solver.py", "def solve(a, b):\n    \"\"\"Solve the linear system a x = b by Gaussian elimination.\"\"\"\n    return a, b\n")
    fs.symlinkSync("/etc/passwd", path.join(tree, "pkg", "passwd.txt"))
    fs.linkSync(path.join(tree, "pkg", "solver.py"), path.join(tree, "pkg", "again.py"))
    const input = path.join(dir, "input")
    fs.mkdirSync(input)
    execFileSync("tar", ["-czf", path.join(input, "pkg.tar.gz"), "-C", tree, "pkg"])
    const out = path.join(dir, "out")
    const r = cli(["ingest", input, "--out", out, "--workers", "1", "--tasks", "1"])
    expect(r.status, r.stderr).toBe(0)
    const links = filteredRecords(out).filter((f) => f.reason === "archive-link")
    expect(links.map((f) => [(f as { location?: string }).location, f.detail]).sort()).toEqual([
      // tar stores the second name of a hard-linked pair as the link (which one depends on the listing order)
      [expect.stringMatching(/^member pkg\/(again|solver)\.py$/), expect.stringMatching(/^a hard link to pkg\/(solver|again)\.py: links in archives are never materialised or followed$/)],
      ["member pkg/passwd.txt", "a symbolic link to /etc/passwd: links in archives are never materialised or followed"]
    ])
    const docs = await documents(out)
    expect(docs).toHaveLength(1)
    expect(docs[0]!.text).not.toMatch(/root:/)
    expect(stats(out)).toMatchObject({ records_in: 3, documents_out: 1, filtered: 2 })
  })
})

describe("hidden and credential files", () => {
  it("counts .env as filtered credentials-file and hidden files and folders as filtered hidden, never silently", () => {
    const dir = tempDir()
    const input = path.join(dir, "project")
    write(input, "README.md", `# Project\n\n${PROSE}`)
    write(input, ".env", "DATABASE_PASSWORD=hunter2\n")
    write(input, "config/.env.production", "API_KEY=abc\n")
    write(input, ".env.example", "API_KEY=\n")
    write(input, ".DS_Store", Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31]))
    write(input, ".git/HEAD", "ref: refs/heads/main\n")
    write(input, ".git/objects/aa/bbbb", "x")
    write(input, ".git/config", "[core]\n")
    const out = path.join(dir, "out")
    const r = cli(["ingest", input, "--out", out, "--workers", "1", "--tasks", "2"])
    expect(r.status, r.stderr).toBe(0)
    const filtered = Object.fromEntries(filteredRecords(out).map((f) => [f.source_path, f]))
    expect(Object.keys(filtered).sort()).toEqual(["project/.DS_Store", "project/.env", "project/.env.example", "project/.git", "project/config/.env.production"])
    expect(filtered["project/.env"]!.reason).toBe("credentials-file")
    expect(filtered["project/config/.env.production"]!.reason).toBe("credentials-file")
    expect(filtered["project/.env.example"]!.reason).toBe("hidden")
    expect(filtered["project/.git"]!).toMatchObject({ reason: "hidden", detail: "hidden folder: its 3 file(s) are not read" })
    const s = stats(out)
    expect(s).toMatchObject({ records_in: 6, documents_out: 1, filtered: 5, rejected: 0 })
    expect(s.reasons).toMatchObject({ "filtered:credentials-file": 2, "filtered:hidden": 3 })
    // The files are never read: nothing of them is in any output.
    for (const f of fs.readdirSync(out, { recursive: true, encoding: "utf8" })) {
      const p = path.join(out, f)
      if (fs.statSync(p).isFile()) expect(fs.readFileSync(p).includes("hunter2")).toBe(false)
    }
  })
})
