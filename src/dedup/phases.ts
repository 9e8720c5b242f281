/**
 * The dedup stage as a chain of phases, each a plan of its own with tasks, markers and a barrier
 * before the next (datatrove runs the same four steps as four executors):
 *
 *   dedup-exact          W tasks  ids with hash mod W = r: the copies to drop (no texts read)   _exact/
 *   minhash-signatures   W tasks  signature + band keys per document of input shards i ≡ r     _minhash/signatures/
 *   minhash-buckets      W tasks  band keys with key mod W = r grouped; verified pairs           _minhash/pairs/
 *   minhash-clusters     1 task   union-find over the pairs; who is kept, who is removed        _minhash/clusters/
 *   dedup (the stage)    W tasks  input shards i ≡ r minus both kinds of duplicates; records    ./
 *
 * Documents are keyed by (input shard, row), which no task count changes: the clusters, and so the
 * documents kept, are the same with any number of tasks.
 *
 * Planning is pure: the phases' plans follow from the stage's plan alone (their inputs are the
 * previous phase's shard names, known in advance), so a rerun resumes any phase where it stopped.
 */
import { stageLayout } from "../core/layout.ts"
import type { PlanInput, StagePlan } from "../core/stage.ts"
import { sha256Hex } from "../core/text.ts"
import { nearOptionsOf, phaseDirs } from "./options.ts"

const shardsOf = (dir: string, world: number): string[] => Array.from({ length: world }, (_, r) => stageLayout(dir).shard(r, world))
const dataset = (dir: string, shards: ReadonlyArray<string>): PlanInput => ({ kind: "dataset", dir, shards })

/** The plans to run, in order, before the dedup stage's own tasks. */
export function dedupPhases(plan: StagePlan): StagePlan[] {
  const dirs = phaseDirs(plan.dir)
  const world = plan.world
  const near = nearOptionsOf(plan)
  const phase = (stage: string, dir: string, phaseWorld: number, input: PlanInput, extra: Record<string, unknown> = {}): StagePlan => ({
    ...plan,
    stage,
    dir,
    world: phaseWorld,
    input,
    params: { ...plan.params, ...extra },
    // The stage's hash covers its settings, inputs and released references (see planStage).
    hash: sha256Hex(JSON.stringify([plan.hash, stage]))
  })
  const exact = phase("dedup-exact", dirs.exact, world, plan.input)
  if (near === null) return [exact]
  const signatureShards = shardsOf(dirs.signatures, world)
  return [
    exact,
    phase("minhash-signatures", dirs.signatures, world, plan.input, { exactShards: shardsOf(dirs.exact, world) }),
    phase("minhash-buckets", dirs.buckets, world, dataset(dirs.signatures, signatureShards)),
    phase("minhash-clusters", dirs.clusters, 1, dataset(dirs.buckets, shardsOf(dirs.buckets, world)), { signatureShards })
  ]
}
