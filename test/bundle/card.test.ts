/** The dataset card: a YAML header the Hugging Face Hub reads, then the manifest for people. */
import { describe, expect, it } from "vitest"
import { parse } from "yaml"
import { hubLicense, renderDatasetCard, sizeCategory } from "../../src/bundle/card.ts"
import type { Manifest } from "../../src/bundle/manifest.ts"

const manifest = (over: Partial<Manifest> = {}): Manifest => ({
  format: "scicurate-bundle/2",
  name: "climate-atmosphere-ocean",
  title: "Climate, atmosphere and ocean",
  description: "Climate science, meteorology and oceanography.",
  version: "0.1.0",
  created_at: "2023-11-14T22:13:20.000Z",
  scicurate_version: "0.2.0",
  pipeline: { name: "shared-corpus", file: "shared-corpus.yaml", config_sha256: "a".repeat(64) },
  definition: { kinds: ["paper", "text", "simulation"], formats: ["netcdf4"], token_target: 1_000_000, sampling_weight: 0.05, sha256: "b".repeat(64) },
  tokenizer: { name: "o200k_base", eos_token_id: 199999, vocabulary_size: 200019 },
  split: { validation_fraction: 0.02, rule: "by id", seed: 0, order: "md5('<seed>:' || id)" },
  shard_limit: { unit: "bytes", value: 4194304 },
  shards: [{ path: "data/train-00000-of-00001.parquet", split: "train", sha256: "c".repeat(64), bytes: 1000, rows: 1200, tokens: 50_000 }],
  token_shards: [],
  totals: { shards: 1, documents: 1200, tokens: 50_000, text_bytes: 200_000, bytes: 1000, token_bytes: 0, train: { documents: 1200, tokens: 50_000 }, validation: { documents: 0, tokens: 0 } },
  by_kind: { paper: { documents: 3, tokens: 30_000 }, simulation: { documents: 1197, tokens: 20_000 } },
  by_format: { pdf: { documents: 3, tokens: 30_000 } },
  by_license: { "CC-BY-4.0": { documents: 1200, tokens: 50_000 } },
  by_source: { papers: { documents: 3, tokens: 30_000 } },
  routing: { score: { min: 2, p10: 3, p50: 5, p90: 9, max: 12, mean: 5.5 }, histogram: [], runner_up: { "earth-environment": 2, none: 1198 }, close_calls: 1 },
  duplicates_removed: { exact: 3, minhash: 2 },
  samples: [{ id: "d".repeat(64), title: "Marine heatwaves", source_path: "papers/x.pdf", route_reason: "terms: ocean×12" }],
  accounting: { ingest: { tasks: 1, records_in: 10, documents_out: 9, filtered: 0, duplicates: 0, rejected: 1, reasons: {} } },
  content_sha256: "e".repeat(64),
  ...over
})

const header = (card: string) => parse(card.split("---\n")[1]!) as Record<string, unknown>

describe("dataset card", () => {
  it("has a Hub header with license, size category and data_files for the splits that exist", () => {
    const card = renderDatasetCard(manifest())
    expect(card.startsWith("---\n")).toBe(true)
    const h = header(card)
    expect(h.license).toBe("cc-by-4.0")
    expect(h.size_categories).toEqual(["1K<n<10K"])
    expect(h.configs).toEqual([{ config_name: "default", data_files: [{ split: "train", path: "data/train-*.parquet" }] }])
    expect(card).toContain("# Climate, atmosphere and ocean")
    expect(card).toContain("e".repeat(64))
    expect(card).toContain("| simulation | 1,197 | 20,000 |")
    expect(card).toContain("Duplicates removed upstream whose kept copy is here: 3 exact, 2 minhash.")
  })

  it("lists validation when it has shards, and says how to read token shards", () => {
    const m = manifest({
      shards: [...manifest().shards, { path: "data/validation-00000-of-00001.parquet", split: "validation", sha256: "f".repeat(64), bytes: 10, rows: 2, tokens: 9 }],
      token_shards: [{ prefix: "tokens/o200k_base/train-00000-of-00001", split: "train", bin: { path: "x.bin", sha256: "1".repeat(64), bytes: 8 }, idx: { path: "x.idx", sha256: "2".repeat(64), bytes: 8 }, documents: 1, tokens: 2, dtype: "int32" }]
    })
    const h = header(renderDatasetCard(m)) as { configs: Array<{ data_files: Array<{ split: string }> }> }
    expect(h.configs[0]!.data_files.map((d) => d.split)).toEqual(["train", "validation"])
    expect(renderDatasetCard(m)).toContain("--data-path")
  })

  it("maps licenses and sizes onto the Hub's vocabulary", () => {
    expect(hubLicense({ MIT: { documents: 1, tokens: 1 } })).toBe("mit")
    expect(hubLicense({ MIT: { documents: 1, tokens: 1 }, "Apache-2.0": { documents: 1, tokens: 1 } })).toBe("other")
    expect(hubLicense({ MIT: { documents: 1, tokens: 1 }, unknown: { documents: 1, tokens: 1 } })).toBe("other")
    expect(hubLicense({ unknown: { documents: 1, tokens: 1 } })).toBe("unknown")
    expect(hubLicense({ "GPL-2.0-only": { documents: 1, tokens: 1 } })).toBe("gpl-2.0")
    // Not a Hub id (and not YAML-safe as it stands): other, and quoted in the header either way.
    expect(hubLicense({ "LicenseRef-ACME: internal #2": { documents: 1, tokens: 1 } })).toBe("other")
    const odd = header(renderDatasetCard(manifest({ by_license: { yes: { documents: 1, tokens: 1 } } })))
    expect(odd.license).toBe("other")
    expect([0, 999, 1000, 99_999, 2_000_000].map(sizeCategory)).toEqual(["n<1K", "n<1K", "1K<n<10K", "10K<n<100K", "1M<n<10M"])
  })
})
