/**
 * What a reader skips: running headers and footers, page numbers and line numbers. Pure; works on
 * each page's segments before the layout analysis, so they neither end up in the text nor disturb
 * the column detection.
 */
import type { Segment } from "./segments.ts"

/** Rows at the top and the bottom of a page searched for running headers, footers and page numbers. */
const EDGE_ROWS = 3

const PAGE_NUMBER = /^(?:page|p\.|pp\.|seite)?\s*[-–—]?\s*(?:\d{1,4}|[ivxlcdm]{1,7})\s*[-–—]?(?:\s*(?:of|\/|von)\s*\d{1,4})?$/i

/** A page number as printed: "12", "- 12 -", "Page 3 of 15", "iv". */
export const isPageNumber = (text: string): boolean => PAGE_NUMBER.test(text.trim())

/** What a running header has in common across pages: its words, with page and volume numbers masked. */
export const runningKey = (text: string): string => text.toLowerCase().replace(/\d+/g, "#").replace(/\s+/g, " ").trim()

/** Segments of the top and bottom EDGE_ROWS rows of a page (rows: baselines within 0.4 em), each with its row. */
function edgeSegments(segs: ReadonlyArray<Segment>): Map<Segment, ReadonlyArray<Segment>> {
  const sorted = [...segs].sort((a, b) => b.y - a.y)
  const rows: Segment[][] = []
  for (const s of sorted) {
    const row = rows[rows.length - 1]
    if (row !== undefined && row[0]!.y - s.y < 0.4 * Math.max(row[0]!.size, s.size)) row.push(s)
    else rows.push([s])
  }
  const edge = new Map<Segment, ReadonlyArray<Segment>>()
  const picked = rows.length <= 2 * EDGE_ROWS ? rows : [...rows.slice(0, EDGE_ROWS), ...rows.slice(-EDGE_ROWS)]
  for (const row of picked) for (const s of row) edge.set(s, row)
  return edge
}

/** A run of prose: a dozen characters or more, mostly letters. */
const isRunningText = (text: string): boolean => text.length >= 12 && text.replace(/[^\p{L}]/gu, "").length >= 0.5 * text.replace(/\s/g, "").length

export interface MarginCounts {
  runningLines: number
  pageNumbers: number
  lineNumbers: number
  /** The removed running header and footer texts as printed, with how often each was removed. */
  runningTexts: Map<string, number>
}

export const emptyMarginCounts = (): MarginCounts => ({ runningLines: 0, pageNumbers: 0, lineNumbers: 0, runningTexts: new Map() })

/**
 * Line numbers (preprints, review copies): a vertical series of bare integers at one horizontal
 * position, increasing down the page and covering a good part of it. A leading number glued to the
 * line it numbers is cut off too. Table columns of row numbers rarely span 40% of a page.
 */
export function removeLineNumbers(segs: ReadonlyArray<Segment>, counts: MarginCounts): Segment[] {
  const LEADING = /^(\d{1,5})(?:\s+|$)/
  const candidates = segs.filter((s) => LEADING.test(s.text))
  if (candidates.length < 8) return [...segs]
  let top = -Infinity
  let bottom = Infinity
  for (const s of segs) {
    top = Math.max(top, s.y)
    bottom = Math.min(bottom, s.y)
  }
  const height = top - bottom
  // Cluster by the left edge (numbers and numbered lines start at a fixed position).
  const byX = [...candidates].sort((a, b) => a.x0 - b.x0)
  const clusters: Segment[][] = []
  for (const s of byX) {
    const c = clusters[clusters.length - 1]
    if (c !== undefined && s.x0 - c[c.length - 1]!.x0 <= 3) c.push(s)
    else clusters.push([s])
  }
  const drop = new Map<Segment, string>()
  for (const c of clusters) {
    if (c.length < 8) continue
    const down = [...c].sort((a, b) => b.y - a.y)
    const values = down.map((s) => Number(LEADING.exec(s.text)![1]))
    let increasing = 0
    for (let i = 1; i < values.length; i++) if (values[i]! > values[i - 1]! && values[i]! - values[i - 1]! <= 10) increasing++
    const span = down[0]!.y - down[down.length - 1]!.y
    if (increasing < 0.9 * (values.length - 1) || span < 0.4 * height) continue
    // Line numbers number lines of running text: most of them stand left of such a line on their row
    // (or lead it). A column of years or indices beside numeric cells is a table, and stays.
    let numberingText = 0
    for (const n of down) {
      const rest = n.text.replace(LEADING, "")
      if (isRunningText(rest)) numberingText++
      else if (segs.some((o) => o !== n && Math.abs(o.y - n.y) < 0.4 * Math.max(o.size, n.size) && o.x0 >= n.x1 && isRunningText(o.text))) numberingText++
    }
    if (numberingText < 0.6 * down.length) continue
    // And they stand in the margin: left of where the page's other running text starts. A table's
    // first column (years, indices) starts where its caption and the body text do.
    const inColumn = new Set(down)
    let textLeft = Infinity
    for (const o of segs) if (!inColumn.has(o) && isRunningText(o.text)) textLeft = Math.min(textLeft, o.x0)
    const numberRight = Math.max(...down.map((n) => n.x0 + (n.x1 - n.x0) * (LEADING.exec(n.text)![1]!.length / n.text.length)))
    if (numberRight > textLeft - 1) continue
    for (const s of down) drop.set(s, s.text.replace(LEADING, ""))
  }
  if (drop.size === 0) return [...segs]
  const out: Segment[] = []
  for (const s of segs) {
    const rest = drop.get(s)
    if (rest === undefined) out.push(s)
    else {
      counts.lineNumbers++
      if (rest.trim() !== "") out.push({ ...s, text: rest.trim() })
    }
  }
  return out
}

/**
 * Remove running headers and footers (edge text that repeats, numbers masked, at about the same
 * height on at least two pages and on ~a third of them) and page numbers (bare numbers in the edge
 * rows) from every page.
 */
export function removeRunningLines(
  pages: ReadonlyArray<ReadonlyArray<Segment>>,
  counts: MarginCounts,
  sides: ReadonlyArray<ReadonlyArray<Segment>> = []
): { main: Segment[][]; side: Segment[][] } {
  const edges = pages.map(edgeSegments)
  const seen = new Map<string, Array<{ page: number; y: number; size: number }>>()
  // Text in another direction is margin material (journal stamps up the side of every page, such as
  // "JCAP10(2008)003"): all of it is a candidate, positioned in its own direction.
  const candidates = pages.map((_, page) => [...edges[page]!.keys(), ...(sides[page] ?? [])])
  candidates.forEach((edge, page) => {
    for (const s of edge) {
      const key = runningKey(s.text)
      // Without a letter every row of numbers would share one key ("# # #") and a table near the
      // top of a few pages would go as a running header.
      if (!/\p{L}/u.test(key) || isPageNumber(s.text)) continue
      const list = seen.get(key) ?? []
      if (!list.some((o) => o.page === page)) list.push({ page, y: s.y, size: s.size })
      seen.set(key, list)
    }
  })
  const pagesWithText = pages.filter((p) => p.length > 0).length
  const needed = Math.max(2, Math.ceil(0.3 * pagesWithText))
  /** Running keys, with the usual (median) size they are set in. */
  const running = new Map<string, number>()
  for (const [key, list] of seen) {
    if (list.length < needed) continue
    // Two pages agree by chance more easily than three: there a repeated line must be header-sized.
    if (pagesWithText <= 2 && key.length > 80) continue
    // At about the same height: the largest group within 2 em of one another.
    let best = 0
    for (const o of list) best = Math.max(best, list.filter((p) => Math.abs(p.y - o.y) <= 2 * Math.max(o.size, p.size)).length)
    const sizes = list.map((o) => o.size).sort((a, b) => a - b)
    if (best >= needed) running.set(key, sizes[Math.floor(sizes.length / 2)]!)
  }
  const dropRunning = (s: Segment): boolean => {
    const usual = running.get(runningKey(s.text))
    // The same words set larger than the running header are the title on the first page, not a header.
    if (usual === undefined || s.size > 1.2 * usual) return false
    counts.runningLines++
    counts.runningTexts.set(s.text, (counts.runningTexts.get(s.text) ?? 0) + 1)
    return true
  }
  // On a page turned sideways for a landscape table the upright footer is "side" text: it goes too.
  const side = sides.map((segs) => segs.filter((s) => !dropRunning(s)))
  const main = pages.map((segs, page) =>
    segs.filter((s) => {
      const row = edges[page]!.get(s)
      if (row === undefined) return true
      // A bare number in an edge row is a page number, unless the row holds other numbers (a table).
      if (isPageNumber(s.text) && !row.some((o) => o !== s && /^[\d.,\s-]+$/.test(o.text))) {
        counts.pageNumbers++
        return false
      }
      return !dropRunning(s)
    })
  )
  return { main, side }
}
