/**
 * Just enough Markdown for a bundle's dataset card: the YAML header as a block, headings, pipe tables,
 * list items, paragraphs, `code` and **bold**. Everything is escaped first and only these few tags are
 * added back, so a card (written from corpus-derived names) cannot inject markup. Anything else shows
 * as the text it is.
 */
import { escapeHtml, raw, type SafeHtml } from "./html.ts"

const inline = (s: string): string =>
  escapeHtml(s)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")

const cells = (line: string): string[] => line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim())

export function renderCard(markdown: string): SafeHtml {
  const out: string[] = []
  let lines = markdown.replace(/\r\n/g, "\n").split("\n")
  if (lines[0] === "---") {
    const end = lines.indexOf("---", 1)
    if (end > 0) {
      out.push(`<details><summary>YAML header</summary><pre class="text">${escapeHtml(lines.slice(1, end).join("\n"))}</pre></details>`)
      lines = lines.slice(end + 1)
    }
  }
  let paragraph: string[] = []
  const flush = () => {
    if (paragraph.length > 0) out.push(`<p>${inline(paragraph.join(" "))}</p>`)
    paragraph = []
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const heading = /^(#{1,6})\s+(.*)$/.exec(line)
    if (heading) {
      flush()
      const level = Math.min(6, heading[1]!.length + 2)
      out.push(`<h${level}>${inline(heading[2]!)}</h${level}>`)
    } else if (line.trim().startsWith("|")) {
      flush()
      const rows: string[][] = []
      while (i < lines.length && lines[i]!.trim().startsWith("|")) rows.push(cells(lines[i++]!))
      i--
      const [head, ...rest] = rows
      const body = rest.filter((r) => !r.every((c) => /^:?-+:?$/.test(c)))
      out.push(
        `<table><thead><tr>${head!.map((c) => `<th>${inline(c)}</th>`).join("")}</tr></thead><tbody>${body
          .map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join("")}</tr>`)
          .join("")}</tbody></table>`
      )
    } else if (/^\s*[-*]\s+/.test(line)) {
      flush()
      const items: string[] = []
      while (i < lines.length && /^\s*[-*]\s+/.test(lines[i]!)) items.push(lines[i++]!.replace(/^\s*[-*]\s+/, ""))
      i--
      out.push(`<ul>${items.map((t) => `<li>${inline(t)}</li>`).join("")}</ul>`)
    } else if (line.trim() === "") {
      flush()
    } else {
      paragraph.push(line.trim())
    }
  }
  flush()
  return raw(out.join("\n"))
}
