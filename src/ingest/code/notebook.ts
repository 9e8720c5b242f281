/**
 * Jupyter notebooks (.ipynb, nbformat 4 and the older 3) as training text: Markdown cells as they are,
 * code cells as fenced code blocks in the kernel's language, outputs (images, tables, tracebacks) and
 * execution counts dropped. Inline base64 images in Markdown are replaced by a short marker.
 */

export interface NotebookText {
  readonly text: string
  /** The kernel's language as a display name ("Python", "Julia", "R", ...), or "unknown". */
  readonly language: string
  /** The fence info string used for code blocks ("python", "julia", ...), "" when unknown. */
  readonly fence: string
  readonly codeCells: number
  readonly markdownCells: number
  readonly rawCells: number
  /** Code cells that were empty and left out. */
  readonly emptyCells: number
  readonly nbformat: number | null
}

const DISPLAY: Readonly<Record<string, string>> = {
  python: "Python",
  python2: "Python",
  python3: "Python",
  ipython: "Python",
  julia: "Julia",
  r: "R",
  octave: "Octave",
  matlab: "MATLAB",
  "c++": "C++",
  cpp: "C++",
  c: "C",
  fortran: "Fortran",
  rust: "Rust",
  go: "Go",
  java: "Java",
  javascript: "JavaScript",
  typescript: "TypeScript",
  bash: "Shell",
  sh: "Shell",
  scala: "Scala",
  sql: "SQL",
  haskell: "Haskell",
  ruby: "Ruby",
  wolfram: "Mathematica",
  "wolfram language": "Mathematica",
  sage: "Python",
  sagemath: "Python"
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** A cell's `source` is a string or a list of lines (each with its own newline). */
const sourceText = (v: unknown): string => {
  if (typeof v === "string") return v
  if (Array.isArray(v)) return v.map((x) => (typeof x === "string" ? x : "")).join("")
  return ""
}

/** Markdown with `data:` URIs (pasted images) shortened: they are megabytes of base64 and teach nothing. */
const stripDataUris = (md: string): string =>
  md.replace(/data:[a-z]+\/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]{64,}/gi, "data:<inline image removed>")

/** A backtick fence longer than any backtick run inside `code`, so the block cannot end early. */
const fenceFor = (code: string): string => {
  let longest = 0
  for (const m of code.matchAll(/`+/g)) longest = Math.max(longest, m[0].length)
  return "`".repeat(Math.max(3, longest + 1))
}

function kernelLanguage(meta: unknown): { language: string; fence: string } {
  let name = ""
  if (isRecord(meta)) {
    const ks = meta["kernelspec"]
    const li = meta["language_info"]
    if (isRecord(ks) && typeof ks["language"] === "string") name = ks["language"]
    else if (isRecord(li) && typeof li["name"] === "string") name = li["name"]
    else if (isRecord(ks) && typeof ks["name"] === "string") name = ks["name"].replace(/[-_]?\d.*$/, "")
    else if (typeof meta["language"] === "string") name = meta["language"]
  }
  const key = name.trim().toLowerCase()
  if (key === "") return { language: "unknown", fence: "" }
  const display = DISPLAY[key] ?? name.trim()
  const fence = display === "Python" ? "python" : key.replace(/[^a-z0-9+#-]/g, "")
  return { language: display, fence }
}

/**
 * Turn a notebook's JSON text into training text. Throws an Error with a clear message when the text is
 * not JSON or not a notebook (no `cells` nor `worksheets`).
 */
export function notebookToText(json: string): NotebookText {
  let nb: unknown
  try {
    nb = JSON.parse(json)
  } catch (e) {
    throw new Error(`not a Jupyter notebook: invalid JSON (${e instanceof Error ? e.message : String(e)})`)
  }
  if (!isRecord(nb)) throw new Error("not a Jupyter notebook: the JSON is not an object")
  const nbformat = typeof nb["nbformat"] === "number" ? nb["nbformat"] : null
  let cells: unknown[]
  if (Array.isArray(nb["cells"])) cells = nb["cells"]
  else if (Array.isArray(nb["worksheets"])) {
    // nbformat 3: cells inside worksheets, code in `input`, per-cell `language`.
    cells = []
    for (const ws of nb["worksheets"]) if (isRecord(ws) && Array.isArray(ws["cells"])) cells.push(...ws["cells"])
  } else throw new Error("not a Jupyter notebook: no `cells` (nbformat 4) or `worksheets` (nbformat 3) array")

  let { language, fence } = kernelLanguage(nb["metadata"])
  if (language === "unknown") {
    const first = cells.find((c) => isRecord(c) && typeof c["language"] === "string")
    if (isRecord(first)) ({ language, fence } = kernelLanguage({ language: first["language"] }))
  }
  const parts: string[] = []
  let codeCells = 0
  let markdownCells = 0
  let rawCells = 0
  let emptyCells = 0
  for (const cell of cells) {
    if (!isRecord(cell)) continue
    const type = cell["cell_type"]
    if (type === "code") {
      const code = sourceText(cell["source"] ?? cell["input"]).replace(/\s+$/, "")
      if (code.trim() === "") {
        emptyCells++
        continue
      }
      codeCells++
      const f = fenceFor(code)
      parts.push(`${f}${fence}\n${code}\n${f}`)
    } else if (type === "markdown" || type === "heading") {
      let md = stripDataUris(sourceText(cell["source"])).trim()
      if (md === "") continue
      if (type === "heading" && typeof cell["level"] === "number") md = `${"#".repeat(Math.min(6, Math.max(1, cell["level"])))} ${md}`
      markdownCells++
      parts.push(md)
    } else if (type === "raw") {
      const raw = sourceText(cell["source"]).trim()
      if (raw === "") continue
      rawCells++
      parts.push(raw)
    }
  }
  return { text: parts.length ? parts.join("\n\n") + "\n" : "", language, fence, codeCells, markdownCells, rawCells, emptyCells, nbformat }
}
