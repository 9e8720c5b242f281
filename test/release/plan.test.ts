/**
 * The pure parts of release planning: the mixing table's weights (the unrouted set's rule) and the
 * immutability comparison's wording. The end-to-end behaviour is in release.test.ts.
 */
import { describe, expect, it } from "vitest"
import type { Manifest } from "../../src/bundle/manifest.ts"
import { mixingTable, releaseDifferences } from "../../src/release/create.ts"
import type { ReleaseIndex } from "../../src/release/schema.ts"

/** Only what the mixing table reads of a manifest: the definition's weight and the token shards. */
const bundle = (name: string, samplingWeight: number | null, train: number, validation = 0) => ({
  name,
  manifest: {
    definition: samplingWeight === null ? null : { sampling_weight: samplingWeight },
    token_shards: [
      { prefix: `tokens/o200k_base/train-00000-of-00001`, split: "train", tokens: train },
      ...(validation > 0 ? [{ prefix: `tokens/o200k_base/validation-00000-of-00001`, split: "validation", tokens: validation }] : [])
    ]
  } as unknown as Manifest
})

describe("mixing table", () => {
  it("normalises the definitions' sampling weights over the released bundles", () => {
    const t = mixingTable([bundle("a", 0.375, 100, 10), bundle("b", 0.125, 900)])
    expect(t.map((m) => [m.bundle, m.weight, m.sampling_weight])).toEqual([
      ["a", 0.75, 0.375],
      ["b", 0.25, 0.125]
    ])
    expect(t[0]!.tokens).toEqual({ train: 100, validation: 10 })
    expect(t[0]!.token_prefixes.map((p) => p.prefix)).toEqual(["bundles/a/tokens/o200k_base/train-00000-of-00001", "bundles/a/tokens/o200k_base/validation-00000-of-00001"])
  })

  it("gives the unrouted set (no definition) weight 0 next to defined bundles", () => {
    const t = mixingTable([bundle("a", 0.2, 100), bundle("unrouted", null, 5000)])
    expect(t.map((m) => m.weight)).toEqual([1, 0])
  })

  it("falls back to train-token proportions when no released bundle has a positive weight", () => {
    expect(mixingTable([bundle("unrouted", null, 300)]).map((m) => m.weight)).toEqual([1])
    expect(mixingTable([bundle("a", 0, 100), bundle("unrouted", null, 300)]).map((m) => m.weight)).toEqual([0.25, 0.75])
  })
})

describe("release differences", () => {
  const review = { decision: "approve" as const, curator: "alice", note: "", at: "2026-01-01T00:00:00.000Z", via: "cli" as const, content_sha256: "a".repeat(64) }
  const index = (over: Partial<ReleaseIndex> = {}): ReleaseIndex => ({
    format: "scicurate-release/1",
    name: "r1",
    created_at: "2026-01-01T00:00:00.000Z",
    scicurate_version: "0.3.0",
    tokenizer: { name: "o200k_base", eos_token_id: 1, vocabulary_size: 2 },
    bundles: [
      { name: "a", path: "bundles/a", manifest_sha256: "b".repeat(64), content_sha256: "a".repeat(64), approval: review, reviews: [review], documents: 1, tokens: 1, files: [{ path: "bundles/a/manifest.json", sha256: "b".repeat(64), bytes: 3, split: null }] }
    ],
    left_out: [],
    mixing: [],
    totals: { bundles: 1, files: 1, bytes: 3, documents: 1, tokens: 1 },
    ...over
  })

  it("ignores the creation time and the scicurate version", () => {
    expect(releaseDifferences(index(), index({ created_at: "2030-01-01T00:00:00.000Z", scicurate_version: "9.9.9" }))).toEqual([])
  })

  it("names a changed approval, new content and a bundle that would be added", () => {
    const later = { ...review, curator: "bob" }
    const other = index({
      bundles: [
        { ...index().bundles[0]!, approval: later, reviews: [review, later] },
        { ...index().bundles[0]!, name: "b", path: "bundles/b" }
      ]
    })
    const d = releaseDifferences(index(), other)
    expect(d).toContain("b would be added (not in the release)")
    expect(d.some((x) => /^a: approved by alice .* now by bob/.test(x))).toBe(true)
    expect(d).toContain("a: 1 review(s) of its content in the release, now 2")
    const changed = index({ bundles: [{ ...index().bundles[0]!, content_sha256: "c".repeat(64) }] })
    expect(releaseDifferences(index(), changed)[0]).toMatch(/^a: content aaaaaaaaaaaa… released, now cccccccccccc…$/)
  })
})
