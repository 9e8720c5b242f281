/**
 * The filter's rules and settings: config errors name the bad rule or value, per-bundle overrides and
 * families apply, off-by-default rules run when given a threshold, verdicts read "12 words < 20", and
 * code documents are judged exactly as ingest's content rules judge a file.
 */
import { describe, expect, it } from "vitest"
import { contentSkip } from "../../src/ingest/code/filters.ts"
import { measureThroughput } from "../../src/filter/bench.ts"
import { FILTER_RULES, judgeFilter, resolveFilterConfig, ruleFails, thresholdOf, type FilterConfig, type ResolvedFilter } from "../../src/filter/rules.ts"
import type { QualityDocument } from "../../src/quality/document.ts"

const doc = (text: string, over: Partial<QualityDocument> = {}): QualityDocument => ({
  id: "id",
  text,
  kind: "text",
  format: "plain-text",
  source_path: "notes.txt",
  source_index: 0,
  title: null,
  metadata: "{}",
  bundle: null,
  ...over
})
const resolved = (config: FilterConfig = {}): ResolvedFilter => {
  const r = resolveFilterConfig(config)
  if (typeof r === "string") throw new Error(r)
  return r
}
const prose =
  "The lace plant produces perforations in its leaves through programmed cell death. The role of mitochondria during this " +
  "process has been recognized in animals; however, it has been less studied in plants. We examined the dynamics of the " +
  "organelles with live cell imaging and found that their permeability changes before the cells die."

describe("FILTER_RULES", () => {
  it("has unique names, a reason, a known measure family and a finite default each", () => {
    expect(new Set(FILTER_RULES.map((r) => r.name)).size).toBe(FILTER_RULES.length)
    for (const r of FILTER_RULES) {
      expect(r.reason, r.name).toMatch(/^[a-z0-9-]+$/)
      expect(r.name.startsWith(`${r.family}.`), r.name).toBe(true)
      expect(Number.isFinite(r.threshold), r.name).toBe(true)
    }
  })

  it("fails a rule only on a measured value beyond its bound", () => {
    const minWords = FILTER_RULES.find((r) => r.name === "gopher.min_words")!
    expect(ruleFails(minWords, 20, { words: 19 })).toBe(true)
    expect(ruleFails(minWords, 20, { words: 20 })).toBe(false)
    expect(ruleFails(minWords, 20, {})).toBe(false) // not measured: not judged
    const maxSymbols = FILTER_RULES.find((r) => r.name === "gopher.max_symbol_ratio")!
    expect(ruleFails(maxSymbols, 0.1, { symbol_word_ratio: 0.11 })).toBe(true)
    expect(ruleFails(maxSymbols, 0.1, { symbol_word_ratio: 0.1 })).toBe(false)
  })
})

describe("resolveFilterConfig", () => {
  it("names an unknown rule, a value that is not a number and an unknown family", () => {
    expect(resolveFilterConfig({ thresholds: { "gopher.min_wrds": 10 } })).toMatch(/unknown filter rule "gopher.min_wrds"/)
    expect(resolveFilterConfig({ thresholds: { "gopher.min_words": Number.NaN } })).toMatch(/gopher.min_words: null is not a finite number/)
    expect(resolveFilterConfig({ thresholds: { "gopher.min_words": "50" as unknown as number } })).toMatch(/"50" is not a finite number/)
    expect(resolveFilterConfig({ disabled: ["gopherr"] })).toMatch(/"gopherr" is neither a filter rule nor a family/)
    expect(resolveFilterConfig({ bundles: { chemistry: { thresholds: { nope: 1 } } } })).toMatch(/^bundles.chemistry.thresholds: unknown filter rule "nope"/)
  })

  it("tells the threshold a rule runs at per bundle, null when off", () => {
    const r = resolved({
      thresholds: { "gopher.min_words": 30 },
      disabled: ["c4"],
      bundles: { chemistry: { thresholds: { "gopher.min_words": 10, "c4.lorem_ipsum": 0 } } }
    })
    expect(thresholdOf(r, "gopher.min_words", null)).toBe(30)
    expect(thresholdOf(r, "gopher.min_words", "chemistry")).toBe(10)
    expect(thresholdOf(r, "gopher.min_words", "physics")).toBe(30)
    expect(thresholdOf(r, "c4.lorem_ipsum", null)).toBeNull()
    expect(thresholdOf(r, "c4.lorem_ipsum", "chemistry")).toBe(0)
    expect(thresholdOf(r, "fineweb.min_punct_lines", null)).toBeNull() // off by default
  })

  it("runs the enabled rules at their defaults, in order", () => {
    const r = resolved()
    expect(r.rules.map((a) => a.rule.name)).toEqual(FILTER_RULES.filter((x) => x.enabled).map((x) => x.name))
    expect(r.rules.every((a) => a.threshold === a.rule.threshold)).toBe(true)
  })
})

describe("judgeFilter", () => {
  const short = doc("Mitochondria of the lace plant before cell death.")

  it("removes with the first failing rule's reason and a detail a curator reads; keeps with the scores as facts", () => {
    const judge = judgeFilter(resolved())
    const v = judge(short)
    expect(v).toMatchObject({ keep: false, reason: "too-few-words", detail: "8 words < 20" })
    expect(!v.keep && v.scores.words).toBe(8)
    const kept = judge(doc(prose))
    expect(kept.keep).toBe(true)
    expect(kept.keep && (kept.facts as { quality: Record<string, number> }).quality.words).toBe(53)
  })

  it("applies thresholds, disabled rules and families, and per-bundle overrides", () => {
    expect(judgeFilter(resolved({ thresholds: { "gopher.min_words": 5 } }))(short).keep).toBe(true)
    expect(judgeFilter(resolved({ disabled: ["gopher"] }))(short).keep).toBe(true)
    const perBundle = judgeFilter(resolved({ bundles: { chemistry: { thresholds: { "gopher.min_words": 5 } } } }))
    expect(perBundle(short).keep).toBe(false)
    expect(perBundle({ ...short, bundle: "chemistry" }).keep).toBe(true)
    // A bundle without overrides gets the pipeline's rules.
    expect(perBundle({ ...short, bundle: "physics" }).keep).toBe(false)
    // Per-bundle settings stack on the pipeline's: disabled in the pipeline, stricter in the bundle.
    const stacked = judgeFilter(resolved({ disabled: ["gopher.min_words"], bundles: { x: { thresholds: { "gopher.max_symbol_ratio": 0 } } } }))
    expect(stacked({ ...short, bundle: "x" }).keep).toBe(true)
    expect(stacked({ ...doc(`#lace ${prose}`), bundle: "x" })).toMatchObject({ keep: false, reason: "symbols" })
  })

  it("runs an off-by-default rule once the pipeline sets its threshold", () => {
    // Hard-wrapped every 5 words: 11 lines, only the last ends a sentence (1/11 < 0.12).
    const wrapped = doc(prose.split(" ").map((w, i) => (i % 5 === 4 ? `${w}\n` : `${w} `)).join(""))
    expect(FILTER_RULES.find((r) => r.name === "fineweb.min_punct_lines")!.enabled).toBe(false)
    expect(judgeFilter(resolved())(wrapped).keep).toBe(true)
    expect(judgeFilter(resolved({ thresholds: { "fineweb.min_punct_lines": 0.12 } }))(wrapped)).toMatchObject({ keep: false, reason: "few-punctuated-lines" })
  })

  it("judges text in other scripts by what applies: no word rules for Chinese, no stop words for Russian", () => {
    const judge = judgeFilter(resolved())
    const zh = doc("线粒体在植物程序性细胞死亡中的作用尚不清楚。我们利用活细胞成像研究了花格草叶片中线粒体的动态变化，发现其膜电位在细胞死亡之前发生改变。")
    const vz = judge(zh)
    expect(vz.keep).toBe(true)
    expect(vz.keep && (vz.facts as { quality: Record<string, number> }).quality.words).toBeUndefined()
    const ru = doc(
      "Роль митохондрий в программируемой гибели клеток растений изучена мало. Мы исследовали динамику митохондрий в листьях " +
        "кружевного растения методом прижизненной визуализации и обнаружили изменение мембранного потенциала перед гибелью клеток."
    )
    const vr = judge(ru)
    expect(vr.keep).toBe(true)
    expect(vr.keep && (vr.facts as { quality: Record<string, number> }).quality.stop_words).toBeUndefined()
    // Chinese junk is still caught by the rules that do not need words.
    expect(judge(doc(`${zh.text}\n`.repeat(10)))).toMatchObject({ keep: false, reason: "repeated-lines" })
  })

  it("removes a PDF text layer of symbol soup by ingest's quality score, and keeps one that is real prose", () => {
    const judge = judgeFilter(resolved())
    const soup = doc("T h e r e s u l t s % & ~ # 3 ] [ ^ ".repeat(20), { kind: "paper", format: "pdf" })
    expect(judge(soup)).toMatchObject({ keep: false, reason: "pdf-text-quality" })
    expect(judge(doc(prose, { kind: "paper", format: "pdf" })).keep).toBe(true)
  })

  it("leaves simulation summaries alone, however numeric", () => {
    const v = judgeFilter(resolved())(doc("step temp press\n0 1.0 0.5\n100 1.1 0.4\n200 1.05 0.45", { kind: "simulation", format: "lammps-log" }))
    expect(v).toEqual({ keep: true, facts: { quality: {} } })
  })

  it("judges code as ingest's content rules judge the same file", () => {
    const judge = judgeFilter(resolved())
    const files: Array<[string, string]> = [
      ["m.c", "/* Generated by Cython 3.0.8 */\n#include <Python.h>\n"],
      ["lib/app.js", `var a=${"1,".repeat(400)}1;function f(){return a}\n`],
      ["icons.py", `ICON = "${"iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAABHNCSVQICAgIfAhkiAAAAAlwSFlz".repeat(20)}"\n`],
      ["a.py", `x = 1\n${"y".repeat(1200)} = 2\n`],
      ["art.py", `${"#=*-+|".repeat(30)}\nx = 1\n`],
      ["ok.py", "def mean(xs):\n    return sum(xs) / len(xs)\n"]
    ]
    for (const [path, text] of files) {
      const ingest = contentSkip(path, text)
      const v = judge(doc(text, { kind: "code", format: "python", source_path: path }))
      expect(v.keep ? null : v.reason, path).toBe(ingest?.reason ?? null)
    }
  })
})

describe("measureThroughput (for make bench)", () => {
  it("reports documents and megabytes per second of the judge over the given documents", () => {
    const t = measureThroughput([doc(prose), doc("x y ".repeat(50))], 2)
    expect(t.docsPerSecond).toBeGreaterThan(0)
    expect(t.mbPerSecond).toBeGreaterThan(0)
    // Both rates come from one timing: their ratio is the documents' mean size in MB.
    expect(t.mbPerSecond / t.docsPerSecond).toBeCloseTo((Buffer.byteLength(prose) + 200) / 2 / 1e6, 9)
  })
})
