/**
 * XML safety for readers that scan XML as text (vasprun.xml now; JATS articles later). No reader uses
 * an XML parser that expands entities or loads DTDs, and this module keeps it that way explicitly:
 *
 * - A document whose DOCTYPE declares entities (general or parameter) is refused as a whole
 *   (`unsafe-xml`): that is where billion-laughs expansions and external entities (XXE, `SYSTEM
 *   "file:///etc/passwd"`) are defined, and no scientific file needs them.
 * - An external DTD (`<!DOCTYPE article PUBLIC "..." "jats.dtd">`, as every JATS file has) is allowed and
 *   never fetched or read: scicurate opens no file and no URL named inside an input.
 * - Text is decoded with the five predefined entities and numeric character references only; any other
 *   `&name;` stays as written.
 */

/** The reason code of a refused XML document. */
export const UNSAFE_XML = "unsafe-xml"

/** How much prolog (everything before the root element) is looked at; a longer one is refused. */
const MAX_PROLOG_CHARS = 256 * 1024

/**
 * Watches the first lines of an XML document, up to the root element's start tag, and says whether its
 * DOCTYPE declares entities. Fed line by line, so a streaming reader needs no second pass.
 */
export class XmlPrologGuard {
  private prolog = ""
  /** True once the root element has started (or the prolog was refused): nothing more to check. */
  done = false
  /** Why the document is refused, or null. */
  problem: string | null = null

  feed(line: string): void {
    if (this.done) return
    this.prolog += line + "\n"
    const verdict = inspectProlog(this.prolog)
    if (verdict === "incomplete") {
      if (this.prolog.length > MAX_PROLOG_CHARS) this.refuse(`the prolog (before the root element) is longer than ${MAX_PROLOG_CHARS} characters`)
      return
    }
    this.done = true
    this.prolog = ""
    if (verdict !== null) this.problem = verdict
  }

  private refuse(why: string): void {
    this.done = true
    this.prolog = ""
    this.problem = why
  }
}

/** Whether `text` (the start of an XML document) is refused: the reason, null when it is fine, "incomplete" when the root element has not started yet. */
export function inspectProlog(text: string): string | null | "incomplete" {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i++
    if (i >= text.length) return "incomplete"
    if (text.startsWith("<?", i)) {
      const end = text.indexOf("?>", i + 2)
      if (end < 0) return "incomplete"
      i = end + 2
    } else if (text.startsWith("<!--", i)) {
      const end = text.indexOf("-->", i + 4)
      if (end < 0) return "incomplete"
      i = end + 3
    } else if (text.startsWith("<!DOCTYPE", i)) {
      const end = doctypeEnd(text, i)
      if (end < 0) return "incomplete"
      const problem = doctypeProblem(text.slice(i, end))
      if (problem !== null) return problem
      i = end
    } else {
      // The root element (or not XML at all): the prolog is over.
      return null
    }
  }
}

/** Index just past the DOCTYPE starting at `start` (its internal subset may hold `>` inside brackets and quotes), or -1. */
function doctypeEnd(text: string, start: number): number {
  let quote: string | null = null
  let depth = 0
  for (let i = start + 9; i < text.length; i++) {
    const c = text[i]!
    if (quote !== null) {
      if (c === quote) quote = null
    } else if (c === '"' || c === "'") quote = c
    else if (c === "[") depth++
    else if (c === "]") depth--
    else if (c === ">" && depth <= 0) return i + 1
  }
  return -1
}

function doctypeProblem(doctype: string): string | null {
  const names = [...doctype.matchAll(/<!ENTITY\s+(%\s+)?([^\s"'>]+)/g)].map((m) => (m[1] ? `%${m[2]}` : m[2]!))
  if (names.length === 0) return null
  const external = /<!ENTITY\s+(%\s+)?[^\s"'>]+\s+(SYSTEM|PUBLIC)\b/.test(doctype)
  const shown = names.slice(0, 5).join(", ") + (names.length > 5 ? `, … (${names.length})` : "")
  return `the DOCTYPE declares entities (${shown})${external ? ", some of them external" : ""}: entity expansion and external entities are refused (billion laughs, XXE), so the file is not read`
}

const PREDEFINED: Readonly<Record<string, string>> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }

/** XML character data as text: predefined entities and numeric character references decoded, any other reference left as written. */
export function decodeXmlText(s: string): string {
  if (!s.includes("&")) return s
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z][\w.-]*);/g, (whole, ref: string) => {
    if (ref[0] !== "#") return PREDEFINED[ref] ?? whole
    const code = ref[1] === "x" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10)
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole
  })
}
