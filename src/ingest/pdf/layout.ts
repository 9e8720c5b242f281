/**
 * Reading order of one page: a recursive cut of the page's segments into columns and bands, the way a
 * person reads a journal page. Pure; works on segments (see segments.ts).
 *
 * - A *gutter* is a vertical strip no segment crosses, with text on both sides: the page (or part of
 *   it) splits into columns there, read left to right, each column top to bottom.
 * - Without a gutter, the part splits into *bands* at horizontal whitespace. Neighbouring bands that
 *   together still have a gutter are joined again first, so two columns that both happen to have a
 *   paragraph break at the same height are not read left-top, right-top, left-bottom, right-bottom.
 *   Full-width titles, abstracts and captions interrupt the columns: they are bands of their own.
 * - A part with neither is one block: its segments form rows, top to bottom, left to right.
 *
 * A gutter needs ordinary text on at least one side (segments averaging a dozen characters): the
 * cells of a table are short, so tables are read row by row rather than column by column.
 */
import type { Segment } from "./segments.ts"

/** A line of text in reading order, with the block (a column of a band) it belongs to. */
export interface Row {
  readonly text: string
  readonly x0: number
  readonly x1: number
  readonly y: number
  readonly size: number
  readonly font: string
  readonly chars: number
  /** Blocks are numbered in reading order within the page. */
  readonly block: number
  /** Horizontal extent of the row's block. */
  readonly blockX0: number
  readonly blockX1: number
}

/** Character-weighted median font size of segments: the size body text is set in. */
export function bodySizeOf(segments: ReadonlyArray<{ size: number; chars: number }>): number {
  const sorted = [...segments].filter((s) => s.chars > 0).sort((a, b) => a.size - b.size)
  let total = 0
  for (const s of sorted) total += s.chars
  let seen = 0
  for (const s of sorted) {
    seen += s.chars
    if (seen * 2 >= total) return s.size
  }
  return 10
}

/** A side of a gutter reads as running text when its segments average at least this many characters. */
const TEXT_LIKE_CHARS = 12

interface Context {
  readonly body: number
}

/** The widest valid gutter of `segs`: the x range no segment covers, or null. */
function findGutter(segs: ReadonlyArray<Segment>, ctx: Context): { from: number; to: number } | null {
  if (segs.length < 2) return null
  // On a single line a gap is a wide space ("4.1<quad>Nesting Algorithm"), not a gutter: reading it
  // left to right is all a split could do anyway.
  let multiline = false
  for (const s of segs) if (Math.abs(s.y - segs[0]!.y) > 0.4 * Math.max(s.size, segs[0]!.size)) multiline = true
  if (!multiline) return null
  let left = Infinity
  let right = -Infinity
  for (const s of segs) {
    left = Math.min(left, s.x0)
    right = Math.max(right, s.x1)
  }
  const width = right - left
  if (width < 20) return null
  // Uncovered x ranges, by a sweep over the segments' extents sorted by start: cost by segment count,
  // not by page width (a stray item at x = 1e10 must not allocate an array that wide). A point of
  // overlap at each end is tolerated, since item widths are approximate.
  const spans = segs.map((s) => [s.x0 + 1, s.x1 - 1] as const).filter(([a, b]) => b > a).sort((p, q) => p[0] - q[0])
  const minWidth = Math.max(3, 0.6 * ctx.body)
  const lo = left + width * 0.12
  const hi = left + width * 0.88
  const candidates: Array<{ from: number; to: number }> = []
  let reach = left
  for (const [a, b] of spans) {
    if (a > reach) {
      const mid = (reach + a) / 2
      if (a - reach >= minWidth && mid >= lo && mid <= hi) candidates.push({ from: reach, to: a })
    }
    reach = Math.max(reach, b)
  }
  candidates.sort((a, b) => b.to - b.from - (a.to - a.from) || a.from - b.from)
  let total = 0
  for (const s of segs) total += s.chars
  for (const c of candidates) {
    let lChars = 0
    let lSegs = 0
    let rChars = 0
    let rSegs = 0
    for (const s of segs) {
      if (s.x1 <= c.from + 1) {
        lChars += s.chars
        lSegs++
      } else {
        rChars += s.chars
        rSegs++
      }
    }
    if (lSegs === 0 || rSegs === 0) continue
    const leftText = lChars / lSegs >= TEXT_LIKE_CHARS && lChars >= 0.08 * total
    const rightText = rChars / rSegs >= TEXT_LIKE_CHARS && rChars >= 0.08 * total
    if (leftText || rightText) return c
  }
  return null
}

const top = (s: Segment): number => s.y + 0.8 * s.size
const bottom = (s: Segment): number => s.y - 0.25 * s.size

/** Split at horizontal whitespace wider than a third of the body size; bands top to bottom. */
function splitBands(segs: ReadonlyArray<Segment>, ctx: Context): Segment[][] {
  const sorted = [...segs].sort((a, b) => top(b) - top(a) || a.x0 - b.x0)
  const bands: Segment[][] = []
  let current: Segment[] = []
  let floor = Infinity
  for (const s of sorted) {
    if (current.length > 0 && floor - top(s) > ctx.body * 0.3) {
      bands.push(current)
      current = []
      floor = Infinity
    }
    current.push(s)
    floor = Math.min(floor, bottom(s))
  }
  if (current.length > 0) bands.push(current)
  return bands
}

/** Blocks (lists of segments without gutter or band break) in reading order. */
function order(segs: Segment[], ctx: Context, depth: number): Segment[][] {
  if (segs.length <= 1 || depth > 40) return [segs]
  const gutter = findGutter(segs, ctx)
  if (gutter !== null) {
    const left = segs.filter((s) => s.x1 <= gutter.from + 1)
    const right = segs.filter((s) => s.x1 > gutter.from + 1)
    return [...order(left, ctx, depth + 1), ...order(right, ctx, depth + 1)]
  }
  const bands = splitBands(segs, ctx)
  if (bands.length === 1) return [segs]
  // Join neighbouring bands while the union still has a gutter (one column region cut by coincident gaps).
  const groups: Segment[][] = []
  let current = bands[0]!
  let currentHasGutter = findGutter(current, ctx) !== null
  for (let i = 1; i < bands.length; i++) {
    const band = bands[i]!
    const union = [...current, ...band]
    const bandHasGutter = findGutter(band, ctx) !== null
    if ((currentHasGutter || bandHasGutter) && findGutter(union, ctx) !== null) {
      current = union
      currentHasGutter = true
    } else {
      groups.push(current)
      current = band
      currentHasGutter = bandHasGutter
    }
  }
  groups.push(current)
  return groups.flatMap((g) => order(g, ctx, depth + 1))
}

/** Rows of one block: segments grouped by baseline, top to bottom, then left to right. */
function rowsOf(block: ReadonlyArray<Segment>, index: number): Row[] {
  let x0 = Infinity
  let x1 = -Infinity
  for (const s of block) {
    x0 = Math.min(x0, s.x0)
    x1 = Math.max(x1, s.x1)
  }
  const sorted = [...block].sort((a, b) => b.y - a.y || a.x0 - b.x0)
  const rows: Row[] = []
  let i = 0
  while (i < sorted.length) {
    const first = sorted[i]!
    const members = [first]
    let j = i + 1
    while (j < sorted.length && first.y - sorted[j]!.y < 0.4 * Math.max(first.size, sorted[j]!.size)) members.push(sorted[j++]!)
    members.sort((a, b) => a.x0 - b.x0)
    // The row's font and size are those of its main (largest) segment, not of a superscript.
    let main = members[0]!
    for (const m of members) if (m.chars > main.chars) main = m
    rows.push({
      text: members.map((m) => m.text).join(" "),
      x0: members[0]!.x0,
      x1: Math.max(...members.map((m) => m.x1)),
      y: main.y,
      size: main.size,
      font: main.font,
      chars: members.reduce((n, m) => n + m.chars, 0),
      block: index,
      blockX0: x0,
      blockX1: x1
    })
    i = j
  }
  return rows
}

/**
 * Footnotes, copyright notices and captions at the foot of a column interrupt a sentence that runs on
 * into the next column. A block set smaller than the body, in the lower half of the page, followed
 * by a block that starts higher up (the next column) is moved to the end of the page.
 */
function deferFootnotes(blocks: Segment[][], body: number, pageMiddle: number): Segment[][] {
  const topOf = (b: ReadonlyArray<Segment>) => Math.max(...b.map(top))
  const kept: Segment[][] = []
  const deferred: Segment[][] = []
  blocks.forEach((b, i) => {
    const next = blocks[i + 1]
    const small = b.every((s) => s.size <= 0.92 * body)
    if (next !== undefined && small && topOf(b) < pageMiddle && topOf(next) > topOf(b)) deferred.push(b)
    else kept.push(b)
  })
  return [...kept, ...deferred]
}

/** The page's rows in reading order. `body` is the document's body text size (the page's own if omitted). */
export function layoutPage(segments: ReadonlyArray<Segment>, body = bodySizeOf(segments)): Row[] {
  if (segments.length === 0) return []
  const ctx: Context = { body }
  let high = -Infinity
  let low = Infinity
  for (const s of segments) {
    high = Math.max(high, top(s))
    low = Math.min(low, bottom(s))
  }
  const blocks = deferFootnotes(order([...segments], ctx, 0), body, (high + low) / 2)
  return blocks.flatMap((b, i) => rowsOf(b, i))
}
