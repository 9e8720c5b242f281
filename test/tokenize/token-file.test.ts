/** Token files: ids written once by tokenize, read back by the bundle stage only from the plan that wrote them. */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { TokenFileReader, TokenFileWriter, tokenLocator } from "../../src/tokenize/token-file.ts"
import { tempDir } from "../helpers.ts"

describe("token files", () => {
  const plan = "ab".repeat(32)
  const write = (dir: string, docs: number[][]) => {
    const w = new TokenFileWriter(path.join(dir, "part-00001-of-00002.tokens"))
    const offsets = docs.map((d) => w.add(Uint32Array.from(d)))
    w.finish()
    return offsets
  }

  it("gives back each document's ids at its offset, in any order", () => {
    const dir = tempDir()
    const docs = [[1, 2, 3], [], [199999, 0, 7, 7], Array.from({ length: 300_000 }, (_, i) => i % 200_000)]
    const offsets = write(dir, docs)
    expect(offsets).toEqual([0, 3, 3, 7])
    expect(fs.statSync(path.join(dir, "part-00001-of-00002.tokens")).size).toBe(4 * (3 + 4 + 300_000))
    const reader = new TokenFileReader(dir, plan)
    const locator = tokenLocator(plan, path.join(dir, "part-00001-of-00002.tokens"))
    for (const k of [3, 0, 2, 1]) expect([...reader.read(locator, offsets[k]!, docs[k]!.length)]).toEqual(docs[k])
    expect(() => reader.read(locator, offsets[3]! + 1, docs[3]!.length)).toThrow(/past the end/)
    reader.close()
  })

  it("refuses locators of another tokenize plan, and names that leave the folder", () => {
    const dir = tempDir()
    write(dir, [[5, 6]])
    const reader = new TokenFileReader(dir, "cd".repeat(32))
    expect(() => reader.read(tokenLocator(plan, "part-00001-of-00002.tokens"), 0, 2)).toThrow(/written by tokenize plan abab.*classify the current tokenize output again/)
    expect(() => reader.read(`${"cd".repeat(8)}:../secrets.tokens`, 0, 2)).toThrow(/not a token locator/)
    reader.close()
  })
})
