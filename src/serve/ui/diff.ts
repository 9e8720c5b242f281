/**
 * A word-level diff of two texts (the kept and the removed copy of a duplicate), Myers' O((n+m)·d)
 * algorithm on word and whitespace tokens after the common prefix and suffix are set aside. Near
 * duplicates differ in few words, so d is small; past `maxEdits` the texts are too different to be
 * worth marking word by word and the caller shows them unmarked.
 */
export interface DiffPart {
  readonly op: "same" | "del" | "add"
  readonly text: string
}

export const tokenize = (text: string): string[] => text.match(/\s+|[^\s]+/g) ?? []

/** Tokens compared at most per side: a bound on time and memory whatever the documents' size. */
export const MAX_DIFF_TOKENS = 40_000

export interface WordDiff {
  readonly parts: ReadonlyArray<DiffPart>
  /** True when the texts were longer than MAX_DIFF_TOKENS and only their beginnings were compared. */
  readonly truncated: boolean
}

export function diffWords(a: string, b: string, maxEdits = 4000): WordDiff | null {
  let ta = tokenize(a)
  let tb = tokenize(b)
  const truncated = ta.length > MAX_DIFF_TOKENS || tb.length > MAX_DIFF_TOKENS
  ta = ta.slice(0, MAX_DIFF_TOKENS)
  tb = tb.slice(0, MAX_DIFF_TOKENS)
  let prefix = 0
  while (prefix < ta.length && prefix < tb.length && ta[prefix] === tb[prefix]) prefix++
  let suffix = 0
  while (suffix < ta.length - prefix && suffix < tb.length - prefix && ta[ta.length - 1 - suffix] === tb[tb.length - 1 - suffix]) suffix++
  const middle = myers(ta.slice(prefix, ta.length - suffix), tb.slice(prefix, tb.length - suffix), maxEdits)
  if (middle === null) return null
  const parts: DiffPart[] = []
  const push = (op: DiffPart["op"], text: string) => {
    if (text === "") return
    const last = parts.at(-1)
    if (last !== undefined && last.op === op) parts[parts.length - 1] = { op, text: last.text + text }
    else parts.push({ op, text })
  }
  push("same", ta.slice(0, prefix).join(""))
  for (const p of middle) push(p.op, p.text)
  push("same", ta.slice(ta.length - suffix).join(""))
  return { parts, truncated }
}

/** Myers' greedy shortest edit script; each step's frontier is kept (only its 2d+3 live diagonals) to trace back. */
function myers(a: ReadonlyArray<string>, b: ReadonlyArray<string>, maxEdits: number): DiffPart[] | null {
  const n = a.length
  const m = b.length
  const offset = n + m + 1
  const v = new Int32Array(2 * offset + 2)
  const trace: Int32Array[] = []
  let found = -1
  for (let d = 0; d <= Math.min(n + m, maxEdits); d++) {
    // Frontier before step d, diagonals -d-1..d+1 (all that step d reads).
    trace.push(v.slice(offset - d - 1, offset + d + 2))
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1
      let y = x - k
      while (x < n && y < m && a[x] === b[y]) {
        x++
        y++
      }
      v[offset + k] = x
      if (x >= n && y >= m) {
        found = d
        break
      }
    }
    if (found >= 0) break
  }
  if (found < 0) return null
  const reversed: DiffPart[] = []
  let x = n
  let y = m
  for (let d = found; d >= 0; d--) {
    const frontier = trace[d]!
    const at = (k: number) => frontier[k + d + 1]!
    const k = x - y
    const prevK = d === 0 ? 0 : k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1
    const prevX = d === 0 ? 0 : at(prevK)
    const prevY = prevX - prevK
    while (x > prevX && y > prevY) {
      reversed.push({ op: "same", text: a[x - 1]! })
      x--
      y--
    }
    if (d > 0) {
      if (x === prevX) reversed.push({ op: "add", text: b[prevY]! })
      else reversed.push({ op: "del", text: a[prevX]! })
    }
    x = prevX
    y = prevY
  }
  return reversed.reverse()
}
