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
import type { PlannedFile } from "../../src/core/stage.ts"
import { extractFile, type Extracted } from "../../src/ingest/extract.ts"
import { listInputFiles } from "../../src/ingest/inputs.ts"
import { unchangedWhileRead } from "../../src/ingest/stage.ts"
import { cli, readRejects, repoRoot, tempDir } from "../helpers.ts"
import { defaultOptions } from "./support.ts"

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

/** Root reads everything: the ingest runs as root without the capabilities that bypass file permissions. */
const withoutDacOverride = spawnSync("setpriv", ["--bounding-set", "-dac_override,-dac_read_search", "true"]).status === 0
if (!withoutDacOverride) console.warn("[scicurate tests] setpriv cannot drop capabilities here: the permission-denied test is skipped")

describe("the file system", () => {
  it.skipIf(!withoutDacOverride)("rejects an unreadable file and an unreadable folder as permission-denied and ingests the rest", async () => {
    const dir = tempDir()
    const input = path.join(dir, "input")
    write(input, "a.md", `# Readable\n\n${PROSE}`)
    const locked = write(input, "b.md", `# Locked\n\nThe locked text must not appear. ${PROSE}`)
    write(input, "closed/c.md", `# Closed\n\n${PROSE}`)
    fs.chmodSync(locked, 0o000)
    fs.chmodSync(path.join(input, "closed"), 0o000)
    const out = path.join(dir, "out")
    fs.mkdirSync(out)
    try {
      const r = spawnSync(
        "setpriv",
        ["--bounding-set", "-dac_override,-dac_read_search", process.execPath, path.join(repoRoot, "bin/scicurate.mjs"), "ingest", input, "--out", out, "--workers", "1", "--tasks", "1"],
        { cwd: repoRoot, encoding: "utf8" }
      )
      expect(r.status, r.stderr).toBe(0)
    } finally {
      fs.chmodSync(path.join(input, "closed"), 0o755)
    }
    expect(readRejects(out).map((x) => [x.source_path, x.reason])).toEqual([
      ["input/b.md", "permission-denied"],
      ["input/closed", "permission-denied"]
    ])
    expect((await documents(out)).map((d) => d.source_path)).toEqual(["input/a.md"])
  })

  const collect = async (items: AsyncIterable<Extracted>): Promise<Extracted[]> => {
    const out: Extracted[] = []
    for await (const item of items) out.push(item)
    return out
  }
  const planned = (root: string): PlannedFile[] => listInputFiles([{ path: root, license: null, domain: null }], "p.yaml") as PlannedFile[]

  it("rejects a file that changed since it was planned, or while it was read, as changed-during-read, keeping none of it", async () => {
    const dir = tempDir()
    const input = path.join(dir, "input")
    const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ text: `Record ${i}: ${PROSE}` })).join("\n") + "\n"
    const jsonl = write(input, "records.jsonl", lines)
    const notes = write(input, "notes.md", `# Notes\n\n${PROSE}`)
    const [notesFile, jsonlFile] = planned(input)
    const options = defaultOptions
    // Unchanged: every record comes through.
    const intact = await collect(unchangedWhileRead(jsonlFile!, extractFile(jsonlFile!, options)))
    expect(intact.map((i) => i._tag)).toEqual(new Array(50).fill("Document"))

    // Appended to while it is read (someone's job still writing it): the reader sees the first records, the check the change.
    async function* appendingAfterFirst(): AsyncGenerator<Extracted> {
      let first = true
      for await (const item of extractFile(jsonlFile!, options)) {
        yield item
        if (first) fs.appendFileSync(jsonl, JSON.stringify({ text: `A late record. ${PROSE}` }) + "\n")
        first = false
      }
    }
    const during = await collect(unchangedWhileRead(jsonlFile!, appendingAfterFirst()))
    expect(during).toEqual([{ _tag: "Rejected", reason: "changed-during-read", detail: expect.stringMatching(/bytes, \d+ when planned: the file changed while it was read/) }])

    // Rewritten with the same size after planning: the modification time tells.
    fs.writeFileSync(notes, fs.readFileSync(notes, "utf8").replace("Notes", "Nodes"))
    fs.utimesSync(notes, new Date(), new Date(Date.now() + 5000))
    const since = await collect(unchangedWhileRead(notesFile!, extractFile(notesFile!, options)))
    expect(since).toEqual([{ _tag: "Rejected", reason: "changed-during-read", detail: expect.stringMatching(/^modified at .*: the file changed since it was planned$/) }])
  })
})

/** Whether this process may mount a tmpfs (root in most CI containers; not in unprivileged ones). */
function canMountTmpfs(): boolean {
  const probe = tempDir()
  if (spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe]).status !== 0) return false
  spawnSync("umount", [probe])
  return true
}
const mountable = canMountTmpfs()
if (!mountable) console.warn("[scicurate tests] cannot mount a tmpfs here (needs root): the full-disk test is skipped")

describe("a full disk", () => {
  it.skipIf(!mountable)("fails the task naming the folder, publishes no partial shard, and a rerun after space is freed resumes to the same bytes", async () => {
    const dir = tempDir()
    const input = path.join(dir, "input")
    // Words that do not compress away, so the documents need more room than the small disk has.
    let seed = 7
    const word = () => ((seed = (seed * 1103515245 + 12345) % 2147483648), `w${seed.toString(36)}`)
    for (let f = 0; f < 12; f++) write(input, `notes/n${String(f).padStart(2, "0")}.txt`, Array.from({ length: 30000 }, word).join(" ") + "\n")
    const reference = path.join(dir, "reference")
    const ok = cli(["ingest", input, "--out", reference, "--workers", "1", "--tasks", "2"])
    expect(ok.status, ok.stderr).toBe(0)

    const disk = path.join(dir, "disk")
    fs.mkdirSync(disk)
    expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk]).status).toBe(0)
    try {
      const out = path.join(disk, "out")
      const full = cli(["ingest", input, "--out", out, "--workers", "1", "--tasks", "2"])
      expect(full.status).toBe(1)
      expect(full.stderr).toContain(`no space left on the device (or quota) holding ${out}`)
      expect(full.stderr).toMatch(/free space there and rerun to resume/)
      expect(fs.readdirSync(out).filter((f) => f.startsWith("part-"))).toEqual([])
      expect(fs.existsSync(path.join(out, "_done"))).toBe(false)

      expect(spawnSync("mount", ["-o", "remount,size=64m", disk]).status).toBe(0)
      const again = cli(["ingest", input, "--out", out, "--workers", "1", "--tasks", "2"])
      expect(again.status, again.stderr).toBe(0)
      for (const shard of fs.readdirSync(reference).filter((f) => f.startsWith("part-"))) {
        expect(fs.readFileSync(path.join(out, shard)).equals(fs.readFileSync(path.join(reference, shard))), shard).toBe(true)
      }
    } finally {
      spawnSync("umount", [disk])
    }
  })
})
