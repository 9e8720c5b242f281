import { describe, expect, it } from "vitest"
import { looksLikeMarkdown, markdownTitle } from "../../src/ingest/text.ts"

describe("looksLikeMarkdown", () => {
  it("accepts headings with lists, links, fences or bold text", () => {
    expect(looksLikeMarkdown("# Title\n\nSome prose.\n\n- one\n- two\n")).toBe(true)
    expect(looksLikeMarkdown("# Title\nSee [the docs](https://example.org).\n")).toBe(true)
    expect(looksLikeMarkdown("## Usage\n```\nmake demo\n```\n")).toBe(true)
    expect(looksLikeMarkdown("# Notes\nThis is **important**.\n")).toBe(true)
    expect(looksLikeMarkdown("# Intro\n\nText.\n\n## Methods\n\nMore text.\n")).toBe(true)
  })

  it("rejects logs and data files with # comments, *** banners and --- underlines", () => {
    const lammps = "# create system\nlattice fcc 4.05\n# ID group atc PhysicsType\nfix AtC internal atc\n"
    expect(looksLikeMarkdown(lammps)).toBe(false)
    const banner = " ****************************\n *** Dalton - Electronic ***\n ****************************\n Energy\n ------\n"
    expect(looksLikeMarkdown(banner)).toBe(false)
    const comments = Array.from({ length: 30 }, (_, i) => `# step ${i}\n${i} 0.5 1.2`).join("\n")
    expect(looksLikeMarkdown(comments)).toBe(false)
    expect(looksLikeMarkdown("just a paragraph of plain text\nwith two lines\n")).toBe(false)
  })
})

describe("markdownTitle", () => {
  it("takes the first level-1 heading outside code fences", () => {
    expect(markdownTitle("```\n# not a title\n```\n## Section\n# Real Title #\n# Later")).toBe("Real Title")
    expect(markdownTitle("## Only level two\ntext")).toBeNull()
  })
})
