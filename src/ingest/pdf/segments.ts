/**
 * From pdfjs text items to segments: runs of text on one baseline without a large gap, the unit the
 * layout analysis works on. Pure; no pdfjs import.
 *
 * Items are read in content-stream order, which keeps superscripts, subscripts and kerned pieces of a
 * word with their line far better than geometry alone; geometry then decides where a run ends (a new
 * baseline, a big horizontal gap, a jump backwards, a change of writing direction).
 */

/** The subset of pdfjs' TextItem we use (TextMarkedContent items have no `str` and are skipped). */
export interface PdfTextItem {
  readonly str: string
  readonly transform: ReadonlyArray<number>
  readonly width: number
  readonly height: number
  readonly hasEOL: boolean
  readonly fontName?: string
}

/** A run of text on one baseline, in the coordinates of the page's main writing direction. */
export interface Segment {
  text: string
  /** Extent along the writing direction (points). */
  x0: number
  x1: number
  /** Baseline across the writing direction: larger is higher on the page. */
  y: number
  /** Largest font size in the run (points). */
  size: number
  /** The font that set most of the run's characters (the caller's font key, see extract.ts). */
  font: string
  /** Non-space characters. */
  chars: number
}

/** Where an item sits, in the coordinates of its own writing direction (pages can be rotated). */
interface Placed {
  /** Unit vector of the writing direction. */
  readonly ux: number
  readonly uy: number
  /** Font size in device space. */
  readonly size: number
}

const placeOf = (item: PdfTextItem): Placed => {
  const [a = 1, b = 0, c = 0, d = 1] = item.transform
  const advance = Math.hypot(a, b)
  const up = Math.hypot(c, d)
  const ux = advance > 0 ? a / advance : 1
  const uy = advance > 0 ? b / advance : 0
  // The geometric mean copes with skewed matrices (dvips output scaled by 0.24 one way and 240 the
  // other), where `height` alone is off by a factor of 30; for ordinary matrices it equals the size.
  const size = advance > 0 && up > 0 ? Math.sqrt(advance * up) : Math.abs(item.height) || 1
  return { ux, uy, size }
}

/**
 * TeX places accents as separate glyphs before their letter: pdfjs reports "Lemaˆıtre" and
 * "M¨uhlenberg", which NFKC would turn into a space and a stray combining mark. Spacing accent
 * + letter becomes the letter + combining accent (then composed), dotless i/j under an accent become
 * i/j. Only accent/letter pairs that exist in European names are composed, so an acute used as an
 * apostrophe ("don´t") is left alone.
 */
const ACCENTS: Record<string, { mark: string; letters: RegExp }> = {
  "\u00A8": { mark: "\u0308", letters: /[aeiouyAEIOUYıȷ]/ },
  "\u02C6": { mark: "\u0302", letters: /[aeiouAEIOUıȷcgjhsw]/ },
  "\u02DC": { mark: "\u0303", letters: /[anoANOıi]/ },
  "\u00B4": { mark: "\u0301", letters: /[aeiouyAEIOUYıcnszCNSZ]/ },
  "\u02C7": { mark: "\u030C", letters: /[cszrenCSZRENdtDT]/ },
  "\u02DA": { mark: "\u030A", letters: /[aAuU]/ },
  "\u00B8": { mark: "\u0327", letters: /[cCsStT]/ },
  "\u02D8": { mark: "\u0306", letters: /[aAgGuU]/ },
  "\u02DD": { mark: "\u030B", letters: /[oOuU]/ },
  "\u02D9": { mark: "\u0307", letters: /[zZeEgGI]/ }
}
const SPACING_ACCENT = /([\u00A8\u02C6\u02DC\u00B4\u02C7\u02DA\u00B8\u02D8\u02DD\u02D9]) ?(\p{L})/gu

export function composeAccents(text: string): string {
  if (!/[\u00A8\u02C6\u02DC\u00B4\u02C7\u02DA\u00B8\u02D8\u02DD\u02D9]/u.test(text)) return text
  return text
    .replace(SPACING_ACCENT, (whole, accent: string, letter: string) => {
      const a = ACCENTS[accent]
      if (a === undefined || !a.letters.test(letter)) return whole
      const base = letter === "ı" ? "i" : letter === "ȷ" ? "j" : letter
      return (base + a.mark).normalize("NFC")
    })
}

/**
 * A gap wider than this many ems (of the smaller of the two fonts) is a word space. Poppler uses 0.1
 * too; a larger value glues subscripts to what follows them ("s2;" for "s_2 ;").
 */
export const WORD_GAP_EM = 0.1

/**
 * Overprinted runs (the same text drawn again a hair away, for fake bold or by sloppy generators)
 * are kept once, wherever in the content stream the second copy comes.
 */
function withoutOverprints(segments: Segment[]): Segment[] {
  const byText = new Map<string, Segment[]>()
  const out: Segment[] = []
  for (const s of segments) {
    const same = byText.get(s.text)
    const near = 0.2 * s.size
    if (same?.some((o) => Math.abs(o.x0 - s.x0) < near && Math.abs(o.y - s.y) < near)) continue
    if (same === undefined) byText.set(s.text, [s])
    else same.push(s)
    out.push(s)
  }
  return out
}

/** A word space is ~0.25 em; a gap wider than this many ems ends a segment (columns, table cells, margins). */
export const SEGMENT_GAP_EM = 1.0

/** The dominant writing direction of a page, by characters (a rotated page's text runs up or down). */
export function mainDirection(items: ReadonlyArray<PdfTextItem>): { ux: number; uy: number } {
  const votes = new Map<string, { ux: number; uy: number; n: number }>()
  for (const item of items) {
    if (item.str.trim() === "") continue
    const p = placeOf(item)
    const key = `${Math.round(p.ux * 10)},${Math.round(p.uy * 10)}`
    const v = votes.get(key) ?? { ux: p.ux, uy: p.uy, n: 0 }
    v.n += item.str.length
    votes.set(key, v)
  }
  let best = { ux: 1, uy: 0, n: -1 }
  for (const v of votes.values()) if (v.n > best.n) best = v
  return { ux: best.ux, uy: best.uy }
}

export interface PageSegments {
  /** Segments in the main writing direction. */
  readonly main: Segment[]
  /** Segments in any other direction (rotated margin stamps, rotated table headers), each its own run. */
  readonly side: Segment[]
}

const countChars = (s: string): number => {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) n++
  }
  return n
}

/**
 * Cut a page's items into segments. Within a segment, a space goes where items are separated by a
 * visible gap (many PDFs position words individually without any space character). pdfjs' own space
 * items count only when they are wide enough to be a word space: for some Type3 fonts it emits
 * hair-width "spaces" at kerning points ("sp ectra").
 */
export function buildSegments(items: ReadonlyArray<PdfTextItem>): PageSegments {
  const dir = mainDirection(items)
  const main: Segment[] = []
  const side: Segment[] = []
  let cur: Segment | undefined
  let curMain = true
  let curUx = 1
  let curUy = 0
  let baseline = 0
  let lastEnd = 0
  let last: { str: string; along: number; across: number } | undefined
  let pendingSpace = false
  const fontChars = new Map<string, number>()
  const flush = () => {
    if (cur !== undefined) {
      cur.text = composeAccents(cur.text.trim())
      if (cur.text !== "") {
        let best = ""
        let bestN = -1
        for (const [f, n] of fontChars) if (n > bestN) [best, bestN] = [f, n]
        cur.font = best
        ;(curMain ? main : side).push(cur)
      }
    }
    cur = undefined
    pendingSpace = false
    fontChars.clear()
  }
  for (const item of items) {
    if (item.str.length > 0) {
      const p = placeOf(item)
      const e = item.transform[4] ?? 0
      const f = item.transform[5] ?? 0
      // Position along and across the item's own writing direction.
      const along = e * p.ux + f * p.uy
      const across = -e * p.uy + f * p.ux
      const isMain = Math.abs(p.ux - dir.ux) < 0.1 && Math.abs(p.uy - dir.uy) < 0.1
      if (cur !== undefined) {
        const size = Math.max(p.size, cur.size)
        const turned = Math.abs(p.ux - curUx) > 0.1 || Math.abs(p.uy - curUy) > 0.1
        // Superscripts move the baseline by less than half the size; the next line moves it by more.
        if (turned || Math.abs(across - baseline) > size * 0.5) flush()
      }
      if (item.str.trim() === "") {
        // A space item: remember it, and let the next real item decide (see above).
        // Its width does not move the end of the run: pdfjs turns a wide jump on one line (the gutter
        // between two columns written line by line) into a single space item as wide as the jump.
        if (cur !== undefined && (item.width === 0 || item.width >= 0.1 * Math.max(p.size, cur.size))) pendingSpace = true
      } else {
        // Overprinting (fake bold: the same text drawn twice a hair apart) is read once.
        if (last !== undefined && item.str === last.str && Math.abs(along - last.along) < 0.2 * p.size && Math.abs(across - last.across) < 0.2 * p.size) {
          if (item.hasEOL) flush()
          continue
        }
        last = { str: item.str, along, across }
        if (cur !== undefined) {
          const size = Math.max(p.size, cur.size)
          const gap = along - lastEnd
          if (gap > size * SEGMENT_GAP_EM || gap < -size) flush()
          else if ((pendingSpace || gap > Math.min(p.size, cur.size) * WORD_GAP_EM) && !/\s$/.test(cur.text) && !/^\s/.test(item.str)) cur.text += " "
        }
        if (cur === undefined) {
          cur = { text: "", x0: along, x1: along, y: across, size: p.size, font: "", chars: 0 }
          curMain = isMain
          curUx = p.ux
          curUy = p.uy
          baseline = across
        }
        pendingSpace = false
        cur.text += item.str
        const n = countChars(item.str)
        cur.chars += n
        cur.size = Math.max(cur.size, p.size)
        cur.x0 = Math.min(cur.x0, along)
        cur.x1 = Math.max(cur.x1, along + item.width)
        const font = item.fontName ?? ""
        fontChars.set(font, (fontChars.get(font) ?? 0) + n)
        lastEnd = along + item.width
      }
    }
    if (item.hasEOL) flush()
  }
  flush()
  // Positions are measured in each item's own direction, which for main segments is the page's main
  // direction: a page rotated by 90 degrees lays out like an upright one.
  return { main: withoutOverprints(main), side: withoutOverprints(side) }
}
