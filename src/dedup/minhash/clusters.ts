/**
 * Near-duplicate clusters: connected components of the candidate-pair graph, and the one document
 * each cluster keeps. Typed arrays only (Int32Array, Float64Array): 10M documents take ~40 MB per array.
 *
 * Nothing here depends on the order in which pairs arrive: a component's root is its smallest index
 * whatever the union order, and the kept document is chosen by a total order over documents
 * (score, then tie rank, then index). Parallel tasks that emit pairs in any order agree on the result.
 */

/** Disjoint sets over 0..n-1, with the smallest index of each set as its root. */
export class UnionFind {
  readonly parent: Int32Array

  constructor(n: number) {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`UnionFind size must fit an Int32Array index, got ${n}`)
    this.parent = new Int32Array(n)
    for (let i = 0; i < n; i++) this.parent[i] = i
  }

  get size(): number {
    return this.parent.length
  }

  /** The root of x's set. Path halving: each visited node skips to its grandparent, flattening as it goes. */
  find(x: number): number {
    const parent = this.parent
    let p = parent[x]!
    while (p !== x) {
      const grand = parent[p]!
      parent[x] = grand
      x = grand
      p = parent[x]!
    }
    return x
  }

  /**
   * Joins the sets of a and b; returns false when they were already one. The smaller root becomes the
   * root, so every set's root is its minimum element — independent of the order of unions (union by
   * rank would be independent only up to which root it picks).
   */
  union(a: number, b: number): boolean {
    const ra = this.find(a)
    const rb = this.find(b)
    if (ra === rb) return false
    if (ra < rb) this.parent[rb] = ra
    else this.parent[ra] = rb
    return true
  }

  /** Unions every pair (a[k], b[k]); returns how many unions joined two sets. */
  unionAll(a: Int32Array, b: Int32Array): number {
    if (a.length !== b.length) throw new RangeError("edge endpoint arrays differ in length")
    let joined = 0
    for (let k = 0; k < a.length; k++) if (this.union(a[k]!, b[k]!)) joined++
    return joined
  }
}

/**
 * What decides which document of a cluster is kept: the highest score (the default policy uses the
 * text length, "keep the longest"), then the smallest tie rank (e.g. the position of the document's id
 * in sorted id order, so "ties by smallest id"), then the smallest index. A NaN score counts as -∞.
 * For "keep the first", pass equal scores and a tie rank in (source_path, source_index) order.
 */
export interface KeepPriority {
  readonly score: Float64Array
  readonly tieRank: Int32Array | Float64Array
}

/** True when document i is kept in preference to document j. */
export function keepsBefore(priority: KeepPriority, i: number, j: number): boolean {
  const si = scoreOf(priority.score, i)
  const sj = scoreOf(priority.score, j)
  if (si !== sj) return si > sj
  const ti = priority.tieRank[i]!
  const tj = priority.tieRank[j]!
  if (ti !== tj) return ti < tj
  return i < j
}

const scoreOf = (score: Float64Array, i: number): number => {
  const s = score[i]!
  return s === s ? s : -Infinity // NaN would compare false both ways and make the order depend on input order
}

export interface Clusters {
  /** For every document: the index of its cluster's kept document (its own index when kept or alone). */
  readonly keptOf: Int32Array
  /** Indices of the documents not kept, ascending. */
  readonly removed: Int32Array
  /** For removed[k]: its cluster's kept document, which is also the cluster's id. */
  readonly removedKept: Int32Array
  /** For removed[k]: how many documents its cluster has (kept one included). */
  readonly clusterSize: Int32Array
}

/**
 * The kept document of every cluster of `sets`, by `priority`, and the list of the others. A cluster is
 * named by its kept document's index: the caller turns that into the kept document's id, a stable key.
 */
export function clusterRepresentatives(sets: UnionFind, priority: KeepPriority): Clusters {
  const n = sets.size
  if (priority.score.length < n || priority.tieRank.length < n) throw new RangeError("keep priority shorter than the document count")
  const { keptOf, sizes } = bestPerRoot(sets, priority)
  // Roots are minimum indices, so root(i) ≤ i: walking upwards, slot root(i) still holds the root's
  // best when i reads it, and slot i is no longer needed as a "best of root" once i has been passed.
  let removedCount = 0
  for (let i = 0; i < n; i++) {
    keptOf[i] = keptOf[sets.find(i)]!
    if (keptOf[i] !== i) removedCount++
  }
  const removed = new Int32Array(removedCount)
  const removedKept = new Int32Array(removedCount)
  const clusterSize = new Int32Array(removedCount)
  let k = 0
  for (let i = 0; i < n; i++) {
    const kept = keptOf[i]!
    if (kept === i) continue
    removed[k] = i
    removedKept[k] = kept
    clusterSize[k] = sizes[sets.find(i)]!
    k++
  }
  return { keptOf, removed, removedKept, clusterSize }
}

/** Per root: the best document of its set (in the root's slot of `keptOf`) and the set's size. */
function bestPerRoot(sets: UnionFind, priority: KeepPriority): { keptOf: Int32Array; sizes: Int32Array } {
  const n = sets.size
  const keptOf = new Int32Array(n).fill(-1)
  const sizes = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const root = sets.find(i)
    sizes[root]!++
    const best = keptOf[root]!
    if (best < 0 || keepsBefore(priority, i, best)) keptOf[root] = i
  }
  return { keptOf, sizes }
}
