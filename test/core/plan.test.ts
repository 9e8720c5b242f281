import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { ConfigError } from "../../src/core/errors.ts"
import type { PlannedFile } from "../../src/core/stage.ts"
import { TaskCounter } from "../../src/core/stats.ts"
import { assignBySize } from "../../src/ingest/definition.ts"
import { listInputFiles } from "../../src/ingest/inputs.ts"
import { tempDir } from "../helpers.ts"

const file = (sourcePath: string, size: number): PlannedFile => ({ absPath: `/x/${sourcePath}`, sourcePath, root: "/x", size, license: null, domain: null })

describe("planning", () => {
  it("spreads files over tasks by size, each task in path order", () => {
    const files = [file("a", 100), file("b", 10), file("c", 60), file("d", 50), file("e", 1)]
    const tasks = assignBySize(files, 2)
    expect(tasks.map((t) => t.map((f) => f.sourcePath))).toEqual([["a", "b", "e"], ["c", "d"]])
    const load = tasks.map((t) => t.reduce((a, f) => a + f.size, 0))
    expect(Math.abs(load[0]! - load[1]!)).toBeLessThanOrEqual(1)
    // Same input in another order: the same plan.
    expect(assignBySize([...files].reverse(), 2)).toEqual(tasks)
  })

  it("leaves tasks empty rather than inventing work when there are fewer files than tasks", () => {
    const tasks = assignBySize([file("only", 5)], 3)
    expect(tasks.map((t) => t.length)).toEqual([1, 0, 0])
  })

  it("lists input files recursively with stable source paths; hidden entries are planned as filtered, not dropped", () => {
    const dir = tempDir()
    const root = path.join(dir, "corpus")
    fs.mkdirSync(path.join(root, "sub"), { recursive: true })
    fs.mkdirSync(path.join(root, ".git", "objects"), { recursive: true })
    fs.writeFileSync(path.join(root, "b.txt"), "b")
    fs.writeFileSync(path.join(root, "sub", "a.txt"), "aa")
    fs.writeFileSync(path.join(root, ".hidden"), "x")
    fs.writeFileSync(path.join(root, "sub", ".env"), "API_KEY=x")
    fs.writeFileSync(path.join(root, ".git", "HEAD"), "x")
    fs.writeFileSync(path.join(root, ".git", "objects", "ab"), "x")
    const files = listInputFiles([{ path: root, license: "MIT", domain: null }], "p.yaml")
    expect(files).not.toBeInstanceOf(ConfigError)
    expect((files as PlannedFile[]).map((f) => [f.sourcePath, f.size, f.license, f.filter?.reason ?? null])).toEqual([
      ["corpus/.git", 0, "MIT", "hidden"],
      ["corpus/.hidden", 0, "MIT", "hidden"],
      ["corpus/b.txt", 1, "MIT", null],
      ["corpus/sub/.env", 0, "MIT", "credentials-file"],
      ["corpus/sub/a.txt", 2, "MIT", null]
    ])
    // One record for a hidden folder, saying how many files it holds (none of which is read).
    expect((files as PlannedFile[])[0]!.filter!.detail).toMatch(/its 2 file\(s\) are not read/)
  })

  it("plans unreadable entries as problems instead of crashing or dropping them", () => {
    const dir = tempDir()
    const root = path.join(dir, "in")
    fs.mkdirSync(path.join(root, "sub"), { recursive: true })
    fs.writeFileSync(path.join(root, "ok.txt"), "fine")
    fs.symlinkSync(path.join(root, "missing.txt"), path.join(root, "dangling"))
    fs.symlinkSync(path.join(root, "loop-a"), path.join(root, "loop-b"))
    fs.symlinkSync(path.join(root, "loop-b"), path.join(root, "loop-a"))
    fs.symlinkSync("..", path.join(root, "sub", "up"))
    fs.symlinkSync(path.join(root, "ok.txt"), path.join(root, "link-to-ok"))
    execFileSync("mkfifo", [path.join(root, "pipe")])
    fs.writeFileSync(Buffer.concat([Buffer.from(path.join(root, "caf")), Buffer.from([0xe9]), Buffer.from(".txt")]), "latin-1 name")
    fs.writeFileSync(Buffer.concat([Buffer.from(path.join(root, "caf")), Buffer.from([0xe8]), Buffer.from(".txt")]), "another")
    // scicurate's own folders inside an input are never ingested
    fs.mkdirSync(path.join(root, "work", "ingest"), { recursive: true })
    fs.writeFileSync(path.join(root, "work", ".scicurate.lock"), "1")
    fs.writeFileSync(path.join(root, "work", "ingest", "_plan.json"), "{}")
    const files = listInputFiles([{ path: root, license: null, domain: null }], "p.yaml") as PlannedFile[]
    const byPath = Object.fromEntries(files.map((f) => [f.sourcePath, f.problem?.reason ?? "ok"]))
    expect(byPath).toEqual({
      "in/caf%E8.txt": "invalid-file-name",
      "in/caf%E9.txt": "invalid-file-name",
      "in/dangling": "broken-link",
      "in/link-to-ok": "ok",
      "in/loop-a": "broken-link",
      "in/loop-b": "broken-link",
      "in/ok.txt": "ok",
      "in/pipe": "not-a-regular-file",
      "in/sub/up": "broken-link"
    })
  })

  it("names source paths by root, telling same-named roots apart, and refuses overlapping roots", () => {
    const dir = tempDir()
    for (const d of ["a/data", "b/data"]) {
      fs.mkdirSync(path.join(dir, d), { recursive: true })
      fs.writeFileSync(path.join(dir, d, "x.txt"), d)
    }
    const roots = ["a/data", "b/data"].map((d) => ({ path: path.join(dir, d), license: null, domain: null }))
    expect((listInputFiles(roots, "p.yaml") as PlannedFile[]).map((f) => f.sourcePath)).toEqual(["a/data/x.txt", "b/data/x.txt"])
    const overlap = listInputFiles([roots[0]!, { path: path.join(dir, "a/data/x.txt"), license: null, domain: null }], "p.yaml")
    expect(overlap).toBeInstanceOf(ConfigError)
    expect((overlap as ConfigError).message).toMatch(/inputs overlap: .*x\.txt is listed as data\/x\.txt and as x\.txt/)
    // Roots far apart keep short, machine-independent labels.
    const far = path.join(dir, "deep/down/notes")
    fs.mkdirSync(far, { recursive: true })
    fs.writeFileSync(path.join(far, "n.md"), "n")
    expect((listInputFiles([roots[0]!, { path: far, license: null, domain: null }], "p.yaml") as PlannedFile[]).map((f) => f.sourcePath)).toEqual(["data/x.txt", "notes/n.md"])
    const empty = path.join(dir, "empty")
    fs.mkdirSync(empty)
    expect((listInputFiles([{ path: empty, license: null, domain: null }], "p.yaml") as ConfigError).message).toMatch(/no input files under/)
  })

  it("reports a missing input as a config error naming the path", () => {
    const r = listInputFiles([{ path: "/no/such/input", license: null, domain: null }], "p.yaml")
    expect(r).toBeInstanceOf(ConfigError)
    expect((r as ConfigError).message).toBe("p.yaml: input not found: /no/such/input")
  })
})

describe("accounting", () => {
  it("balances when every input has an outcome, and says what is missing otherwise", () => {
    const c = new TaskCounter()
    c.recordsIn = 10
    c.documentsOut = 6
    c.count("rejected", "invalid-utf8")
    c.count("filtered", "too-short", 2)
    expect(c.imbalance()).toMatch(/^records_in 10 != out 6 \+ filtered 2 \+ duplicates 0 \+ rejected 1$/)
    c.count("duplicate", "exact")
    expect(c.imbalance()).toBeNull()
    expect(c.toStats("ingest", 0, 1, 1, 1).reasons).toEqual({ "duplicate:exact": 1, "filtered:too-short": 2, "rejected:invalid-utf8": 1 })
  })
})
