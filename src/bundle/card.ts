/**
 * The dataset card (`README.md`) of a bundle, in the Hugging Face convention: a YAML header that the Hub
 * and `datasets.load_dataset` read (license, size category, `configs` with `data_files` per split),
 * then a human summary of the manifest for the curator who reviews it. Derived from the manifest alone,
 * so it is as reproducible as the manifest is.
 */
import type { Manifest } from "./manifest.ts"

/** The Hub's size categories, by number of documents. */
export function sizeCategory(n: number): string {
  const steps: Array<[number, string]> = [
    [1e3, "n<1K"],
    [1e4, "1K<n<10K"],
    [1e5, "10K<n<100K"],
    [1e6, "100K<n<1M"],
    [1e7, "1M<n<10M"],
    [1e8, "10M<n<100M"],
    [1e9, "100M<n<1B"]
  ]
  for (const [limit, label] of steps) if (n < limit) return label
  return "n>1B"
}

/** License ids the Hugging Face Hub knows (lower case), for the SPDX ids science data commonly carries. */
const HUB_LICENSES = new Set([
  "apache-2.0", "mit", "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear", "cc0-1.0", "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0",
  "cc-by-sa-3.0", "cc-by-sa-4.0", "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nc-sa-4.0", "cc-by-nd-4.0", "gpl-2.0", "gpl-3.0",
  "lgpl-2.1", "lgpl-3.0", "agpl-3.0", "mpl-2.0", "epl-2.0", "isc", "unlicense", "artistic-2.0", "odc-by", "odbl", "pddl", "zlib", "bsl-1.0"
])

/**
 * The Hub's `license` value: the SPDX id in lower case when every document has the same known license
 * and the Hub knows it; `other` when they differ or the Hub does not know it (the per-license counts are
 * in the card body); `unknown` when none is known.
 */
export function hubLicense(byLicense: Manifest["by_license"]): string {
  const known = Object.keys(byLicense).filter((l) => l !== "unknown")
  if (known.length === 0) return "unknown"
  if (known.length === 1 && !("unknown" in byLicense)) {
    const id = known[0]!.toLowerCase().replace(/-only$/, "")
    return HUB_LICENSES.has(id) ? id : "other"
  }
  return "other"
}

const yamlString = (s: string): string => JSON.stringify(s)
const fmt = (n: number): string => n.toLocaleString("en-US")

function table(title: string, rows: Manifest["by_kind"]): string[] {
  const entries = Object.entries(rows).sort((a, b) => b[1].tokens - a[1].tokens || (a[0] < b[0] ? -1 : 1))
  if (entries.length === 0) return []
  return [`| ${title} | documents | tokens |`, "| --- | ---: | ---: |", ...entries.map(([k, v]) => `| ${k} | ${fmt(v.documents)} | ${fmt(v.tokens)} |`), ""]
}

export function renderDatasetCard(m: Manifest): string {
  const splits = (["train", "validation"] as const).filter((s) => m.shards.some((sh) => sh.split === s))
  const header = [
    "---",
    `pretty_name: ${yamlString(m.title)}`,
    `license: ${yamlString(hubLicense(m.by_license))}`,
    "language:",
    "- en",
    "task_categories:",
    "- text-generation",
    "size_categories:",
    `- ${sizeCategory(m.totals.documents)}`,
    "tags:",
    "- science",
    "- scicurate",
    `- ${yamlString(m.name)}`,
    "configs:",
    "- config_name: default",
    "  data_files:",
    ...splits.flatMap((s) => [`  - split: ${s}`, `    path: data/${s}-*.parquet`]),
    "---"
  ]
  const t = m.totals
  const body = [
    `# ${m.title}`,
    "",
    m.description,
    "",
    `Bundle \`${m.name}\` version ${m.version}, made by scicurate ${m.scicurate_version} from pipeline \`${m.pipeline.name}\`` +
      `${m.pipeline.file ? ` (\`${m.pipeline.file}\`)` : ""}, config sha256 \`${m.pipeline.config_sha256.slice(0, 16)}…\`.`,
    `Manifest content hash: \`${m.content_sha256}\` (cite it in reviews).`,
    "",
    "## Size",
    "",
    "| split | documents | tokens |",
    "| --- | ---: | ---: |",
    `| train | ${fmt(t.train.documents)} | ${fmt(t.train.tokens)} |`,
    `| validation | ${fmt(t.validation.documents)} | ${fmt(t.validation.tokens)} |`,
    `| **total** | **${fmt(t.documents)}** | **${fmt(t.tokens)}** |`,
    "",
    `${fmt(t.text_bytes)} bytes of text in ${t.shards} Parquet shard(s) (${fmt(t.bytes)} bytes, ZSTD)` +
      (m.token_shards.length > 0 ? ` and ${m.token_shards.length} token shard(s) (${fmt(t.token_bytes)} bytes).` : "."),
    m.definition?.token_target ? `Token target of the bundle: ${fmt(m.definition.token_target)} (${((100 * t.tokens) / m.definition.token_target).toFixed(2)}% reached).` : "",
    m.definition ? `Sampling weight in a training mixture: ${m.definition.sampling_weight}.` : "",
    "",
    "## Contents",
    "",
    ...table("kind", m.by_kind),
    ...table("format", m.by_format),
    ...table("license", m.by_license),
    ...table("source", m.by_source),
    "## How documents got here",
    "",
    m.definition
      ? `Routed by the bundle definition (kinds: ${m.definition.kinds.join(", ")}; definition sha256 \`${m.definition.sha256.slice(0, 16)}…\`). ` +
        `Routing score: median ${m.routing.score.p50}, 10th percentile ${m.routing.score.p10}, minimum ${m.routing.score.min}; ` +
        `${fmt(m.routing.close_calls)} close call(s) where the runner-up scored at least 80% of the winner.`
      : `These documents matched no bundle definition well enough: the unrouted set, for curators to review (add lexicon terms or a bundle). ` +
        `${fmt(m.routing.close_calls)} of them scored at least 80% of the threshold.`,
    "",
    ...(Object.keys(m.routing.runner_up).length > 0
      ? [`| ${m.definition ? "runner-up bundle" : "nearest bundle"} | documents |`, "| --- | ---: |", ...Object.entries(m.routing.runner_up).sort((a, b) => b[1] - a[1]).map(([k, v]) => `| ${k} | ${fmt(v)} |`), ""]
      : []),
    Object.keys(m.duplicates_removed).length > 0
      ? `Duplicates removed upstream whose kept copy is here: ${Object.entries(m.duplicates_removed).map(([k, v]) => `${fmt(v)} ${k}`).join(", ")}.`
      : "No duplicates of these documents were removed upstream.",
    "",
    ...(m.quality
      ? ["Quality stages the documents passed (removals per reason are in the accounting below and in `manifest.json`):", "", ...Object.entries(m.quality).map(([stage, q]) => `- **${stage}**: ${q.summary}`), ""]
      : ["No quality stages (filter, language, pii, decontaminate) ran on these documents.", ""]),
    `Splits: ${m.split.rule} (fraction ${m.split.validation_fraction}). Rows are shuffled by ${m.split.order.replace("<seed>", String(m.split.seed))}.`,
    "",
    "Stage accounting for the whole run (all bundles):",
    "",
    "| stage | in | out | filtered | duplicates | rejected |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...Object.entries(m.accounting).map(([s, a]) => `| ${s} | ${fmt(a.records_in)} | ${fmt(a.documents_out)} | ${fmt(a.filtered)} | ${fmt(a.duplicates)} | ${fmt(a.rejected)} |`),
    "",
    ...filteredReasons(m),
    "## Using it",
    "",
    "```python",
    "from datasets import load_dataset",
    `ds = load_dataset("parquet", data_files={${splits.map((s) => `"${s}": "data/${s}-*.parquet"`).join(", ")}})`,
    "```",
    "",
    ...(m.token_shards.length > 0
      ? [
          `Token shards (\`${m.tokenizer.name}\`, ${m.token_shards[0]!.dtype}, EOS ${m.tokenizer.eos_token_id} after each document) are Megatron indexed datasets (MMIDIDX v1): ` +
            `pass a prefix such as \`${m.token_shards[0]!.prefix}\` to Megatron-LM's \`--data-path\`. Shard N of the token files holds the same documents, in the same order, as Parquet shard N.`,
          ""
        ]
      : []),
    "Check a copy with `scicurate verify <bundle>`; every file's sha256 is in `manifest.json`.",
    "",
    "## Samples",
    "",
    ...m.samples.map((s) => `- \`${s.id.slice(0, 16)}\` ${s.title ? `${s.title.replace(/\s+/g, " ").slice(0, 100)} ` : ""}(${s.source_path}): ${s.route_reason}`),
    ""
  ]
  return [...header, "", ...body.filter((line, i, all) => !(line === "" && all[i - 1] === ""))].join("\n")
}

/** The quality stages' removals per reason, as a table (none when nothing was filtered by reason). */
function filteredReasons(m: Manifest): string[] {
  const rows = Object.entries(m.accounting).flatMap(([stage, a]) =>
    Object.entries(a.reasons).flatMap(([key, n]) => (key.startsWith("filtered:") && n > 0 ? [`| ${stage} | ${key.slice("filtered:".length)} | ${fmt(n)} |`] : []))
  )
  return rows.length === 0 ? [] : ["Documents left out on purpose, per stage and reason:", "", "| stage | reason | documents |", "| --- | --- | ---: |", ...rows, ""]
}
