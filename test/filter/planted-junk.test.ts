/**
 * Needs ../shared/corpus (skipped with a message when absent). Junk planted from real abstracts of the
 * shared corpus (SciTLDR and PubMedQA), one of each kind per abstract: mojibake (UTF-8 read as Latin-1 or
 * cp1252), web boilerplate, repeated lines, keyword spam, lorem ipsum, numbers-only dumps (a Gaussian
 * checkpoint-like block and a CSV without words), binary read as text, (cid:N) runs from a PDF without a
 * Unicode map, and fragments too short to train on. At least 95% of each kind must be removed with the
 * reason that names it, and every clean abstract the junk was made from must be kept.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { deflateSync } from "node:zlib"
import { describe, expect, it } from "vitest"
import { judgeFilter, resolveFilterConfig } from "../../src/filter/rules.ts"
import type { QualityDocument, Verdict } from "../../src/quality/document.ts"
import { corpusDir, hasCorpus } from "../helpers.ts"

const doc = (text: string, kind: QualityDocument["kind"], format: string, source_path: string, source_index: number): QualityDocument => ({
  id: `${source_path}:${source_index}`,
  text,
  kind,
  format,
  source_path,
  source_index,
  title: null,
  metadata: "{}",
  bundle: null
})

/** Deterministic numbers from an abstract's characters (no Math.random: the same junk every run). */
function numbersFrom(text: string, count: number): number[] {
  const out: number[] = []
  let h = 2166136261
  for (let k = 0; k < count; k++) {
    h = Math.imul(h ^ text.charCodeAt(k % text.length), 16777619) >>> 0
    out.push((h / 2 ** 32 - 0.5) * 20)
  }
  return out
}

const sentencesOf = (text: string): string[] => text.split(/(?<=[.!?])\s+/).filter((s) => s.trim() !== "")
const wordsOf = (text: string): string[] => text.split(/\s+/).filter(Boolean)

/** The abstract's most frequent pair of adjacent content words (its key term), for keyword spam. */
function keyTerm(text: string): string {
  const words = wordsOf(text.toLowerCase()).map((w) => w.replace(/[^\p{L}\p{N}-]/gu, ""))
  const counts = new Map<string, number>()
  for (let i = 0; i + 1 < words.length; i++) {
    if (words[i]!.length >= 4 && words[i + 1]!.length >= 4) counts.set(`${words[i]} ${words[i + 1]}`, (counts.get(`${words[i]} ${words[i + 1]}`) ?? 0) + 1)
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? words[0]!
}

const LOREM =
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad " +
  "minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit " +
  "in voluptate velit esse cillum dolore eu fugiat nulla pariatur."

/** Three web pages around an abstract's first sentence: navigation, cookie banner, legal footer. */
const PAGES: ReadonlyArray<(first: string) => string> = [
  (first) =>
    `Skip to main content\nHome | Journals | Books | About | Contact\nSign in to your account\n${first}\n` +
    "This website uses cookies to improve your experience. By continuing to browse you accept cookies.\nCookie settings | Privacy policy | Terms of use\n" +
    "© 2024 Example Publishing Ltd. All rights reserved.",
  (first) =>
    `Toggle navigation\nMain menu\n${first}\nShare this article\nFollow us on Twitter\nSubscribe to our newsletter\n` +
    "We use cookies to personalise content. Read our cookie policy and privacy notice.\nBack to top",
  (first) =>
    `JavaScript is disabled in your browser. Please enable JavaScript to view this page.\n${first}\n` +
    "Log in to download the full text. Terms and conditions apply. Privacy statement. All rights reserved."
]

interface Junk {
  readonly kind: string
  readonly reason: string
  /** Made from every abstract that can carry it rather than from the sample (mojibake needs non-ASCII text). */
  readonly fromAll?: true
  /** The junk made from one abstract (null when this abstract cannot carry it, e.g. mojibake of pure ASCII). */
  readonly make: (text: string, i: number) => QualityDocument | null
}

const cp1252 = new TextDecoder("windows-1252")

const JUNK: ReadonlyArray<Junk> = [
  {
    kind: "mojibake",
    reason: "mojibake",
    fromAll: true,
    make: (t, i) => {
      // Only text with characters beyond ASCII can be mangled; read its UTF-8 bytes as Latin-1 or cp1252.
      if ((t.match(/[^\x00-\x7f]/g) ?? []).length < 2) return null
      const bytes = Buffer.from(t, "utf8")
      const text = i % 2 === 0 ? bytes.toString("latin1") : cp1252.decode(bytes)
      return i % 4 < 2 ? doc(text, "text", "plain-text", "junk/mojibake.txt", i) : doc(text, "paper", "pdf", "junk/mojibake.pdf", i)
    }
  },
  { kind: "boilerplate", reason: "boilerplate", make: (t, i) => doc(PAGES[i % PAGES.length]!(sentencesOf(t)[0]!), "text", "markdown", "junk/page.md", i) },
  {
    kind: "repeated lines",
    reason: "repeated-lines",
    make: (t, i) => {
      const lines = sentencesOf(t)
      // A scraper that looped over the page four times, or a caption repeated under every figure.
      const text = i % 2 === 0 ? Array.from({ length: 4 }, () => lines.join("\n")).join("\n") : [...lines, ...Array(20).fill(`Figure: ${lines[0]}`)].join("\n")
      return doc(text, "text", "plain-text", "junk/repeated.txt", i)
    }
  },
  {
    kind: "keyword spam",
    reason: "repeated-ngrams",
    make: (t, i) => {
      const k = keyTerm(t)
      const phrases = [k, `best ${k}`, `${k} online`, `cheap ${k}`, `${k} reviews`, `buy ${k}`, `${k} near me`, `top ${k} 2024`]
      const spam = Array.from({ length: 40 }, (_, j) => phrases[j % phrases.length]).join(", ")
      return doc(`${sentencesOf(t)[0]}\nKeywords: ${spam}`, "text", "plain-text", "junk/spam.txt", i)
    }
  },
  { kind: "lorem ipsum", reason: "lorem-ipsum", make: (t, i) => doc(`${sentencesOf(t)[0]}\n\n${LOREM}\n\n${LOREM}`, "text", "markdown", "junk/lorem.md", i) },
  {
    kind: "checkpoint numbers",
    reason: "numeric-dump",
    make: (t, i) => {
      // A Gaussian formatted checkpoint's layout: a title, labelled counts, then blocks of 5 numbers.
      const xs = numbersFrom(t, 300)
      const rows: string[] = []
      for (let k = 0; k < xs.length; k += 5) rows.push(xs.slice(k, k + 5).map((x) => x.toExponential(8).toUpperCase().padStart(16)).join(""))
      const head = `${wordsOf(t).slice(0, 5).join(" ")}\nSP        RB3LYP                                                      6-31G(d)\n` +
        "Number of atoms                            I               20\nCurrent cartesian coordinates              R   N=          60\n"
      return doc(head + rows.join("\n"), "text", "plain-text", "junk/checkpoint.fchk", i)
    }
  },
  {
    kind: "CSV without words",
    reason: "numeric-dump",
    make: (t, i) => {
      const xs = numbersFrom(t, 480)
      const rows: string[] = []
      for (let k = 0; k < xs.length; k += 6) rows.push(xs.slice(k, k + 6).map((x) => x.toFixed(3)).join(","))
      return doc(rows.join("\n"), "text", "plain-text", "junk/table.csv", i)
    }
  },
  {
    kind: "binary as text",
    reason: "binary-text",
    make: (t, i) => {
      // Compressed bytes and doubles: what a .gz or a binary checkpoint looks like decoded as text.
      const floats = Buffer.from(new Float64Array(numbersFrom(t, 64)).buffer)
      const bytes = Buffer.concat([deflateSync(Buffer.from(t, "utf8")), floats])
      return doc(i % 2 === 0 ? bytes.toString("latin1") : new TextDecoder("utf-8").decode(bytes), "text", "plain-text", "junk/blob.txt", i)
    }
  },
  {
    kind: "cid runs",
    reason: "pdf-garbage",
    make: (t, i) => {
      // A font without a Unicode map: every glyph of the text layer (or of every other word) is "(cid:N)".
      const cid = (w: string) => [...w].map((c) => `(cid:${(c.codePointAt(0)! - 29) & 0xff})`).join("")
      const words = wordsOf(t).map((w, j) => (i % 2 === 0 || j % 2 === 0 ? cid(w) : w))
      return i % 4 < 2 ? doc(words.join(" "), "paper", "pdf", "junk/nounicode.pdf", i) : doc(words.join(" "), "text", "plain-text", "junk/pdftotext.txt", i)
    }
  },
  { kind: "too short", reason: "too-few-words", make: (t, i) => doc(wordsOf(t).slice(0, 4 + (i % 12)).join(" "), "text", "jsonl", "junk/short.jsonl", i) }
]

const textDir = path.join(corpusDir, "text")

describe.skipIf(!hasCorpus)("planted junk made from the shared corpus's abstracts (needs ../shared/corpus)", () => {
  const allAbstracts = fs
    .readdirSync(textDir)
    .filter((f) => f.endsWith(".jsonl"))
    .sort()
    .flatMap((f) =>
      fs
        .readFileSync(path.join(textDir, f), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l, n) => ({ file: `text/${f}`, line: n + 1, text: (JSON.parse(l) as { text: string }).text }))
    )
  // Every 10th abstract: ~300 of both sets, each the source of one junk document of every kind.
  const abstracts = allAbstracts.filter((_, n) => n % 10 === 0)
  const resolved = resolveFilterConfig({})
  if (typeof resolved === "string") throw new Error(resolved)
  const judge = judgeFilter(resolved)

  it("keeps every clean abstract the junk is made from", () => {
    expect(abstracts.length).toBeGreaterThan(250)
    const removed = allAbstracts
      .map((a) => ({ a, v: judge(doc(a.text, "text", "jsonl", a.file, a.line)) }))
      .filter(({ v }) => !v.keep)
      .map(({ a, v }) => `${a.file}:${a.line} ${v.keep ? "" : `${v.reason} (${v.detail})`}`)
    expect(removed).toEqual([])
  })

  it("removes at least 95% of the junk, each kind with the reason that names it", () => {
    const table: string[] = []
    let total = 0
    let removedTotal = 0
    for (const junk of JUNK) {
      const verdicts: Array<{ d: QualityDocument; v: Verdict }> = []
      ;(junk.fromAll ? allAbstracts : abstracts).forEach((a, i) => {
        const d = junk.make(a.text, i)
        if (d !== null) verdicts.push({ d, v: judge(d) })
      })
      const removed = verdicts.filter(({ v }) => !v.keep).length
      const right = verdicts.filter(({ v }) => !v.keep && v.reason === junk.reason).length
      const wrong = verdicts
        .filter(({ v }) => v.keep || v.reason !== junk.reason)
        .slice(0, 3)
        .map(({ d, v }) => `${d.source_index}: ${v.keep ? "kept" : `${v.reason} (${v.detail})`}`)
      table.push(`${junk.kind.padEnd(20)} ${String(verdicts.length).padStart(4)} planted, ${String(right).padStart(4)} removed as ${junk.reason}` +
        ` (${((100 * right) / verdicts.length).toFixed(1)}%), ${removed - right} for another reason${wrong.length > 0 ? `; e.g. ${wrong.join("; ")}` : ""}`)
      expect(verdicts.length, junk.kind).toBeGreaterThan(40)
      expect(right / verdicts.length, `${junk.kind}: ${table.at(-1)}`).toBeGreaterThanOrEqual(0.95)
      total += verdicts.length
      removedTotal += removed
    }
    console.log(`[planted junk recall]\n${table.join("\n")}\noverall: ${removedTotal}/${total} removed (${((100 * removedTotal) / total).toFixed(1)}%)`)
    expect(removedTotal / total).toBeGreaterThanOrEqual(0.95)
  })
})
