/**
 * The stage registry: adding a stage is adding it here and to the pipeline schema. Stages load lazily,
 * so a worker running dedup never pays for loading the PDF reader or a tokenizer.
 */
import type { Stage } from "../core/stage.ts"

const STAGES: Record<string, () => Promise<Stage>> = {
  ingest: async () => (await import("../ingest/stage.ts")).ingestStage,
  // dedup runs as phases (see dedup/phases.ts); "dedup" itself is the last one, which writes the output.
  "dedup-exact": async () => (await import("../dedup/exact.ts")).exactStage,
  "minhash-signatures": async () => (await import("../dedup/signatures.ts")).signaturesStage,
  "minhash-buckets": async () => (await import("../dedup/buckets.ts")).bucketsStage,
  "minhash-clusters": async () => (await import("../dedup/clusters.ts")).clustersStage,
  dedup: async () => (await import("../dedup/filter.ts")).filterStage,
  tokenize: async () => (await import("../tokenize/stage.ts")).tokenizeStage,
  classify: async () => (await import("../classify/stage.ts")).classifyStage,
  bundle: async () => (await import("../bundle/stage.ts")).bundleStage
}

export async function loadStage(name: string): Promise<Stage> {
  const load = STAGES[name]
  if (!load) throw new Error(`unknown stage ${JSON.stringify(name)}`)
  return load()
}
