/**
 * No import circle in src/: every relative import of every src/**\/*.ts file (type-only imports too,
 * since they tie modules together just the same for a reader of the code) forms a graph without cycles.
 * A cycle is reported as the chain of files that closes it.
 */
import { readdirSync, readFileSync } from "node:fs"
import path from "node:path"
import { describe, expect, it } from "vitest"

const srcRoot = path.resolve(import.meta.dirname, "../../src")

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith(".ts") ? [p] : []
  })
}

// `import ... from "./x.ts"`, `export ... from "./x.ts"`, `import("./x.ts")`: relative specifiers only.
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^;'"]*?from\s*["'](\.{1,2}\/[^"']+)["']|import\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g

export function importGraph(files: ReadonlyArray<string>): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of files) {
    const text = readFileSync(file, "utf8")
    const deps: string[] = []
    for (const m of text.matchAll(IMPORT)) deps.push(path.resolve(path.dirname(file), (m[1] ?? m[2])!))
    graph.set(file, deps)
  }
  return graph
}

/** Every cycle found by a depth-first walk (one per back edge), as lists of paths relative to src/. */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, "open" | "done">()
  const stack: string[] = []
  const cycles: string[][] = []
  const visit = (node: string) => {
    state.set(node, "open")
    stack.push(node)
    for (const dep of graph.get(node) ?? []) {
      if (!graph.has(dep)) continue
      const s = state.get(dep)
      if (s === "open") cycles.push([...stack.slice(stack.indexOf(dep)), dep].map((f) => path.relative(srcRoot, f)))
      else if (s === undefined) visit(dep)
    }
    stack.pop()
    state.set(node, "done")
  }
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node)
  return cycles
}

describe("imports in src/", () => {
  it("finds a cycle when there is one (the checker itself works)", () => {
    const g = new Map([["/a.ts", ["/b.ts"]], ["/b.ts", ["/c.ts"]], ["/c.ts", ["/a.ts"]], ["/d.ts", ["/a.ts"]]])
    expect(findCycles(g)).toHaveLength(1)
  })

  it("has no import circle in src/ingest", () => {
    const files = sourceFiles(path.join(srcRoot, "ingest"))
    expect(files.length).toBeGreaterThan(20)
    expect(findCycles(importGraph(files)).map((c) => c.join(" -> "))).toEqual([])
  })

  it("has no import circle anywhere in src/", () => {
    expect(findCycles(importGraph(sourceFiles(srcRoot))).map((c) => c.join(" -> "))).toEqual([])
  })
})
