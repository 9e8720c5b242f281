/**
 * Charts drawn on the server as inline SVG: no script, no chart library, nothing fetched. Labels come
 * from the corpus (formats, licenses, source names), so every text is escaped before it enters the
 * markup; only then is the SVG marked trusted with `raw`.
 */
import { escapeHtml, raw, type SafeHtml } from "./html.ts"

export interface Bar {
  readonly label: string
  readonly value: number
  /** Shown on hover (an SVG <title>), e.g. the exact range and count. */
  readonly detail?: string
}

const fmt = (n: number): string => (Number.isInteger(n) ? n.toLocaleString("en-US") : n.toLocaleString("en-US", { maximumFractionDigits: 2 }))

/** Inline style for a block of charts: columns wide enough for a chart at its natural size. */
export const CHART_GRID_STYLE = "display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:1rem"

/** A column chart (histograms): one column per bin, its count above it, its label below. */
export function columnChart(title: string, bars: ReadonlyArray<Bar>, options: { readonly xLabel?: string } = {}): SafeHtml {
  if (bars.length === 0) return raw(`<figure class="chart"><figcaption>${escapeHtml(title)}</figcaption><p class="muted">No data.</p></figure>`)
  const width = 520
  const height = 220
  const left = 10
  const bottom = 44
  const top = 18
  const slot = (width - left * 2) / bars.length
  const max = Math.max(1, ...bars.map((b) => b.value))
  const parts: string[] = []
  bars.forEach((b, i) => {
    const h = ((height - top - bottom) * b.value) / max
    const x = left + i * slot + slot * 0.1
    const y = height - bottom - h
    const w = slot * 0.8
    parts.push(
      `<g><title>${escapeHtml(b.detail ?? `${b.label}: ${fmt(b.value)}`)}</title>` +
        `<rect class="bar" data-label="${escapeHtml(b.label)}" data-value="${b.value}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="#1f5fae"></rect>` +
        `<text x="${(x + w / 2).toFixed(1)}" y="${(y - 3).toFixed(1)}" font-size="10" text-anchor="middle">${fmt(b.value)}</text>` +
        `<text x="${(x + w / 2).toFixed(1)}" y="${height - bottom + 12}" font-size="9" text-anchor="end" transform="rotate(-35 ${(x + w / 2).toFixed(1)} ${height - bottom + 12})">${escapeHtml(b.label)}</text></g>`
    )
  })
  const axis = `<line x1="${left}" y1="${height - bottom}" x2="${width - left}" y2="${height - bottom}" stroke="#5b6673"></line>`
  const xLabel = options.xLabel === undefined ? "" : `<text x="${width / 2}" y="${height - 2}" font-size="10" text-anchor="middle" fill="#5b6673">${escapeHtml(options.xLabel)}</text>`
  return raw(
    `<figure class="chart"><figcaption>${escapeHtml(title)}</figcaption>` +
      `<svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" style="max-width:100%;height:auto" xmlns="http://www.w3.org/2000/svg">${axis}${parts.join("")}${xLabel}</svg></figure>`
  )
}

/** A bar chart (breakdowns): one row per category, largest first, its value at the bar's end. */
export function barChart(title: string, bars: ReadonlyArray<Bar>, options: { readonly unit?: string } = {}): SafeHtml {
  if (bars.length === 0) return raw(`<figure class="chart"><figcaption>${escapeHtml(title)}</figcaption><p class="muted">No data.</p></figure>`)
  const labelWidth = 170
  const barWidth = 260
  const row = 20
  const height = bars.length * row + 6
  const max = Math.max(1, ...bars.map((b) => b.value))
  const rows = bars.map((b, i) => {
    const y = 3 + i * row
    const w = Math.max(1, (barWidth * b.value) / max)
    const label = b.label.length > 28 ? `${b.label.slice(0, 27)}…` : b.label
    return (
      `<g><title>${escapeHtml(b.detail ?? `${b.label}: ${fmt(b.value)}${options.unit ? ` ${options.unit}` : ""}`)}</title>` +
      `<text x="${labelWidth - 6}" y="${y + 13}" font-size="11" text-anchor="end">${escapeHtml(label)}</text>` +
      `<rect class="bar" data-label="${escapeHtml(b.label)}" data-value="${b.value}" x="${labelWidth}" y="${y + 2}" width="${w.toFixed(1)}" height="${row - 6}" fill="#1f5fae"></rect>` +
      `<text x="${(labelWidth + w + 4).toFixed(1)}" y="${y + 13}" font-size="11">${fmt(b.value)}</text></g>`
    )
  })
  const width = labelWidth + barWidth + 70
  return raw(
    `<figure class="chart"><figcaption>${escapeHtml(title)}</figcaption>` +
      `<svg role="img" aria-label="${escapeHtml(title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" style="max-width:100%;height:auto" xmlns="http://www.w3.org/2000/svg">${rows.join("")}</svg></figure>`
  )
}

/** Power-of-two bins from `{ bin: floor(log2(x)), documents }` rows, empty bins between filled in. */
export function log2Bins(rows: ReadonlyArray<{ bin: number; documents: number }>, unit: string): Bar[] {
  if (rows.length === 0) return []
  const byBin = new Map(rows.map((r) => [r.bin, r.documents]))
  const lo = Math.min(...rows.map((r) => r.bin))
  const hi = Math.max(...rows.map((r) => r.bin))
  const bars: Bar[] = []
  for (let b = lo; b <= hi; b++) {
    const from = 2 ** b
    const to = 2 ** (b + 1)
    const count = byBin.get(b) ?? 0
    bars.push({ label: `${compact(from)}–${compact(to)}`, value: count, detail: `${fmt(from)} to ${fmt(to - 1)} ${unit}: ${fmt(count)} document(s)` })
  }
  return bars
}

const compact = (n: number): string => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n)).replace(/(\.\d)\d+/, "$1")
