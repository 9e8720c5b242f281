/**
 * The pure rules under the file tree and the puller: what a Range header asks for (RFC 9110 §14), which
 * raw request paths are refused, and how the Megatron blend is weighted. The HTTP behaviour around them
 * is tested with curl and the real server in serve-files.test.ts and pull.test.ts.
 */
import { describe, expect, it } from "vitest"
import { parseRange, safeSegments } from "../../src/serve/files.ts"
import { blendText, megatronBlend, perSplitDataArgs, type PullPlan } from "../../src/pull/plan.ts"
import type { MixEntry } from "../../src/release/schema.ts"

describe("Range headers", () => {
  it("reads single ranges, suffixes and open ends; ignores what is malformed or multiple; refuses what starts past the end", () => {
    expect(parseRange(undefined, 100)).toBe("whole")
    expect(parseRange("bytes=0-0", 100)).toEqual({ start: 0, end: 0 })
    expect(parseRange("bytes=10-", 100)).toEqual({ start: 10, end: 99 })
    expect(parseRange("bytes=90-500", 100)).toEqual({ start: 90, end: 99 })
    expect(parseRange("bytes=-30", 100)).toEqual({ start: 70, end: 99 })
    expect(parseRange("bytes=-500", 100)).toEqual({ start: 0, end: 99 })
    expect(parseRange("bytes=100-", 100)).toBe("unsatisfiable")
    expect(parseRange("bytes=-0", 100)).toBe("unsatisfiable")
    expect(parseRange("bytes=0-", 0)).toBe("unsatisfiable")
    expect(parseRange("bytes=20-10", 100)).toBe("whole")
    expect(parseRange("bytes=0-9,20-29", 100)).toBe("whole")
    expect(parseRange("items=0-9", 100)).toBe("whole")
    expect(parseRange("bytes=abc", 100)).toBe("whole")
  })
})

describe("raw request paths", () => {
  it("decodes plain segments and refuses empty, dot, encoded-slash, backslash and NUL segments", () => {
    expect(safeSegments("r1/bundles/a%20b/x.parquet")).toEqual(["r1", "bundles", "a b", "x.parquet"])
    for (const bad of ["r1//x", "r1/../x", "r1/%2e%2e/x", "r1/%2E./x", "r1/.%2e/x", "r1/./x", "r1/a%2fb", "r1/a%5cb", "r1/a\\b", "r1/a%00b", "r1/%zz", "/etc/passwd"]) {
      expect(safeSegments(bad), bad).toBeNull()
    }
  })
})

describe("the Megatron blend", () => {
  const mix = (bundle: string, weight: number, train: number[], validation: number[]): MixEntry => ({
    bundle,
    weight,
    sampling_weight: weight,
    tokens: { train: train.reduce((a, b) => a + b, 0), validation: validation.reduce((a, b) => a + b, 0) },
    token_prefixes: [
      ...train.map((tokens, i) => ({ prefix: `bundles/${bundle}/tokens/t/train-${i}`, split: "train" as const, tokens })),
      ...validation.map((tokens, i) => ({ prefix: `bundles/${bundle}/tokens/t/validation-${i}`, split: "validation" as const, tokens }))
    ]
  })
  const planOf = (...names: string[]) => ({ bundles: names.map((name) => ({ name })), files: [], bytes: 0, refused: [] }) as unknown as PullPlan

  it("weights each prefix by its bundle's weight times its share of the bundle's tokens, normalised over the pulled bundles, per split", () => {
    const mixing = [mix("a", 0.6, [300, 100], [50]), mix("b", 0.3, [1000], []), mix("c", 0.1, [10], [10]), mix("unrouted", 0, [99], [])]
    const blend = megatronBlend(mixing, planOf("a", "b", "unrouted"), null, "/data/pull")
    const expected: Array<[number, string]> = [
      [(0.6 * 0.75) / 0.9, "/data/pull/bundles/a/tokens/t/train-0"],
      [(0.6 * 0.25) / 0.9, "/data/pull/bundles/a/tokens/t/train-1"],
      [0.3 / 0.9, "/data/pull/bundles/b/tokens/t/train-0"]
    ]
    expect(blend.train!.map(([, p]) => p)).toEqual(expected.map(([, p]) => p))
    blend.train!.forEach(([w], i) => expect(w).toBeCloseTo(expected[i]![0], 12))
    expect(blend.valid).toEqual([[1, "/data/pull/bundles/a/tokens/t/validation-0"]])
    expect(blendText(blend).split("\n")[0]).toBe("0.5 /data/pull/bundles/a/tokens/t/train-0")
    expect(JSON.parse(perSplitDataArgs(blend))).toEqual({
      train: ["0.5", "/data/pull/bundles/a/tokens/t/train-0", "0.166666666667", "/data/pull/bundles/a/tokens/t/train-1", "0.333333333333", "/data/pull/bundles/b/tokens/t/train-0"],
      valid: ["1", "/data/pull/bundles/a/tokens/t/validation-0"],
      test: null
    })
    expect(megatronBlend(mixing, planOf("a"), "train", "/d").valid).toBeNull()
  })
})
