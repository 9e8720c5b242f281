/**
 * Which source files to leave out of a code corpus, after the rules of The Stack and StarCoder: vendored
 * and third-party trees, generated and minified files, lock files, binaries and encoded data blobs, and
 * files that fail the size, line-length and alphanumeric-fraction thresholds. Each rule gives a stable
 * reason code for the stats; every threshold is an option.
 *
 * Two entry points so the caller can skip reading a file it will drop anyway: `pathSkip` (name and size
 * only) and `contentSkip` (decoded text). `screenFile` runs both on raw bytes and returns the text.
 * For notebooks, run `contentSkip` on the converted text (notebook.ts), not on the JSON with outputs.
 */
import { detectMagic, findInvalidUtf8, hasUtf8Bom } from "../sniff.ts"

export type SkipReason =
  | "vendored"
  | "lock-file"
  | "too-large"
  | "empty"
  | "binary"
  | "generated"
  | "minified"
  | "data-blob"
  | "long-lines"
  | "low-alnum"

/** Every reason code, for stats tables that list zero counts too. */
export const SKIP_REASONS: ReadonlyArray<SkipReason> = [
  "vendored",
  "lock-file",
  "too-large",
  "empty",
  "binary",
  "generated",
  "minified",
  "data-blob",
  "long-lines",
  "low-alnum"
]

export interface Skip {
  readonly reason: SkipReason
  /** A short human explanation with the measured value; never file content. */
  readonly detail: string
}

export interface FilterOptions {
  /** Files larger than this many bytes are "too-large" (default 1 MiB, as The Stack). */
  readonly maxBytes: number
  /** Mean line length above which a file is "long-lines" (default 100). */
  readonly maxAvgLineLength: number
  /** Longest line above which a file is "long-lines" (default 1000). */
  readonly maxLineLength: number
  /** Share of alphanumeric characters below which a file is "low-alnum" (default 0.25). */
  readonly minAlnumFraction: number
  /** Share of characters in base64/hex runs or hex byte lists above which a file is a "data-blob" (default 0.5). */
  readonly maxEncodedFraction: number
  /** Share of non-blank characters in numeric literals above which a file is a "data-blob" (default 0.85). */
  readonly maxNumericFraction: number
  /** Files shorter than this many characters are never called numeric data (default 2048). */
  readonly numericMinChars: number
  /** How many leading lines are searched for "generated" markers (default 12). */
  readonly generatedHeaderLines: number
  /** Directory names (any depth, case-insensitive) whose contents are "vendored". */
  readonly vendoredDirs: ReadonlyArray<string>
  /** File names (case-sensitive as ecosystems spell them) that are lock files. */
  readonly lockFiles: ReadonlyArray<string>
}

export const DEFAULT_VENDORED_DIRS: ReadonlyArray<string> = [
  "vendor",
  "vendors",
  "vendored",
  "_vendor",
  "third_party",
  "third-party",
  "thirdparty",
  "3rdparty",
  "3rd_party",
  "3rd-party",
  "external",
  "externals",
  "extern",
  "node_modules",
  "bower_components",
  "jspm_packages",
  ".git",
  ".hg",
  ".svn",
  ".bzr",
  "CVS",
  "site-packages",
  "__pycache__",
  ".tox",
  ".nox",
  ".venv",
  "venv",
  "virtualenv",
  ".eggs",
  ".mypy_cache",
  ".pytest_cache",
  ".ruff_cache",
  ".ipynb_checkpoints",
  ".idea",
  ".vscode",
  "Pods",
  "Carthage",
  "_deps",
  ".gradle",
  ".yarn",
  ".pnpm-store",
  "__MACOSX"
]

export const DEFAULT_LOCK_FILES: ReadonlyArray<string> = [
  "package-lock.json",
  "npm-shrinkwrap.json",
  "yarn.lock",
  "pnpm-lock.yaml",
  "bun.lock",
  "bun.lockb",
  "deno.lock",
  "Cargo.lock",
  "poetry.lock",
  "Pipfile.lock",
  "pdm.lock",
  "uv.lock",
  "pixi.lock",
  "conda-lock.yml",
  "Gemfile.lock",
  "composer.lock",
  "go.sum",
  "Podfile.lock",
  "Package.resolved",
  "mix.lock",
  "flake.lock",
  "pubspec.lock",
  "packages.lock.json",
  "gradle.lockfile",
  "renv.lock",
  "Manifest.toml",
  "shard.lock",
  ".terraform.lock.hcl"
]

export const DEFAULT_FILTER_OPTIONS: FilterOptions = {
  maxBytes: 1024 * 1024,
  maxAvgLineLength: 100,
  maxLineLength: 1000,
  minAlnumFraction: 0.25,
  maxEncodedFraction: 0.5,
  maxNumericFraction: 0.85,
  numericMinChars: 2048,
  generatedHeaderLines: 12,
  vendoredDirs: DEFAULT_VENDORED_DIRS,
  lockFiles: DEFAULT_LOCK_FILES
}

const withDefaults = (o: Partial<FilterOptions> | undefined): FilterOptions =>
  o === undefined ? DEFAULT_FILTER_OPTIONS : { ...DEFAULT_FILTER_OPTIONS, ...o }

const vendoredCache = new WeakMap<ReadonlyArray<string>, Set<string>>()
const vendoredSet = (dirs: ReadonlyArray<string>): Set<string> => {
  let s = vendoredCache.get(dirs)
  if (s === undefined) {
    s = new Set(dirs.map((d) => d.toLowerCase()))
    vendoredCache.set(dirs, s)
  }
  return s
}

const MINIFIED_NAME = /[.-]min\.(js|mjs|cjs|css)$|\.(bundle|chunk)\.(js|mjs)$/i
/** Outputs of code generators recognisable by name: source maps, protobuf/gRPC stubs, designer files. */
const GENERATED_NAME = /\.(js|mjs|css)\.map$|_pb2(_grpc)?\.pyi?$|\.pb\.(go|cc|h)$|\.pb\.gw\.go$|\.designer\.cs$|_generated\.(go|rs|ts)$/i

/** Rules that need only the path and the size: call before reading the file. */
export function pathSkip(path: string, size: number, options?: Partial<FilterOptions>): Skip | null {
  const o = withDefaults(options)
  const parts = path.replace(/\\/g, "/").split("/").filter((p) => p !== "" && p !== ".")
  const name = parts[parts.length - 1] ?? ""
  const dirs = vendoredSet(o.vendoredDirs)
  for (let i = 0; i < parts.length - 1; i++) {
    const d = parts[i]!.toLowerCase()
    if (dirs.has(d)) return { reason: "vendored", detail: `under ${parts[i]}/` }
  }
  if (o.lockFiles.includes(name) || /\.conda-lock\.ya?ml$/.test(name)) return { reason: "lock-file", detail: name }
  if (size > o.maxBytes) return { reason: "too-large", detail: `${size} bytes > ${o.maxBytes}` }
  if (MINIFIED_NAME.test(name)) return { reason: "minified", detail: "minified or bundled by name" }
  if (GENERATED_NAME.test(name)) return { reason: "generated", detail: "generated by name" }
  if (size === 0) return { reason: "empty", detail: "0 bytes" }
  return null
}

/** Markers of generated code in a file's first lines. */
const GENERATED: ReadonlyArray<RegExp> = [
  /\bdo not (edit|modify)\b/i,
  /\b(auto-?generated|automatically generated|machine[- ]generated|generated automatically|autogenerated)\b/i,
  /\b(this|the) (file|code|module|header|source|class)( \w+)? (is|was|has been) (auto-?)?(generated|created automatically)\b/i,
  /^[\s#/*%!;"'-]*(@generated\b|generated by\b|generated from\b|code generated by\b)/im,
  /\bGenerated by the protocol buffer compiler\b/,
  /\bThis file was automatically generated by SWIG\b/,
  /\bMeta object code from reading C\+\+ file\b/,
  /\bA Bison parser, made by GNU Bison\b/,
  /\bA lexical scanner generated by flex\b/,
  /\bForm implementation generated from reading ui file\b/
]

/** Go's convention (https://go.dev/s/generatedcode), anywhere before the code. */
const GO_GENERATED = /^\/\/ Code generated .* DO NOT EDIT\.$/m

export interface TextStats {
  readonly chars: number
  readonly lines: number
  readonly maxLineLength: number
  readonly avgLineLength: number
  readonly alnumFraction: number
}

/** Line and character statistics in one pass (lengths in UTF-16 code units, `\r\n` counted as `\n`). */
export function textStats(text: string): TextStats {
  const n = text.length
  let lines = 0
  let maxLine = 0
  let lineStart = 0
  let alnum = 0
  let lineChars = 0
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === 10) {
      let len = i - lineStart
      if (len > 0 && text.charCodeAt(i - 1) === 13) len--
      if (len > maxLine) maxLine = len
      lineChars += len
      lines++
      lineStart = i + 1
      continue
    }
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) alnum++
    else if (c >= 128 && /[\p{L}\p{N}]/u.test(text[i]!)) alnum++
  }
  if (lineStart < n) {
    const len = n - lineStart
    if (len > maxLine) maxLine = len
    lineChars += len
    lines++
  }
  return {
    chars: n,
    lines,
    maxLineLength: maxLine,
    avgLineLength: lines === 0 ? 0 : lineChars / lines,
    alnumFraction: n === 0 ? 0 : alnum / n
  }
}

/** Shortest base64 and hex runs that count as encoded data. */
const MIN_BASE64_RUN = 60
const MIN_HEX_RUN = 40
const HEX_LIST = /(?:0x[0-9a-fA-F]{1,16}[uUlL]*\s*,\s*){16,}/g
const NUMBER = /[-+]?(?:\d+\.?\d*|\.\d+)(?:[eEdD][-+]?\d+)?[jJ]?/g

/** Share of `text` in encoded runs (base64, hex, hex byte arrays). */
export function encodedFraction(text: string): number {
  const n = text.length
  if (n === 0) return 0
  let enc = 0
  // One pass over runs of base64 characters [A-Za-z0-9+/]. A run counts as base64 when it is long and
  // mixes lower case, upper case and digits (long identifiers and paths do not), as hex when it is long
  // and only hex digits with both digits and letters.
  let start = 0
  let lower = false
  let upper = false
  let digit = false
  let nonHex = false
  let hexLetter = false
  for (let i = 0; i <= n; i++) {
    const c = i < n ? text.charCodeAt(i) : 0
    const isDigit = c >= 48 && c <= 57
    const isLower = c >= 97 && c <= 122
    const isUpper = c >= 65 && c <= 90
    if (isDigit || isLower || isUpper || c === 43 || c === 47) {
      if (isDigit) digit = true
      else if (isLower) {
        lower = true
        if (c > 102) nonHex = true
        else hexLetter = true
      } else if (isUpper) {
        upper = true
        if (c > 70) nonHex = true
        else hexLetter = true
      } else nonHex = true
      continue
    }
    const len = i - start
    if (len >= MIN_BASE64_RUN && digit && lower && upper) enc += len
    else if (len >= MIN_HEX_RUN && !nonHex && digit && hexLetter) enc += len
    start = i + 1
    lower = upper = digit = nonHex = hexLetter = false
  }
  if (text.includes("0x")) for (const m of text.matchAll(HEX_LIST)) enc += m[0].length
  return Math.min(1, enc / n)
}

/** Share of non-blank characters that belong to numeric literals or their separators. */
export function numericFraction(text: string): number {
  let nonBlank = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) nonBlank++
  }
  if (nonBlank === 0) return 0
  let num = 0
  for (const m of text.matchAll(NUMBER)) num += m[0].length
  // Separators between numbers ("," "[" "]" ";") count with them: a table is digits and punctuation.
  let sep = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 44 || c === 59 || c === 91 || c === 93 || c === 40 || c === 41 || c === 123 || c === 125) sep++
  }
  return Math.min(1, (num + sep) / nonBlank)
}

/** True when one of the first `lines` lines carries a generated-code marker. */
export function looksGenerated(text: string, lines = DEFAULT_FILTER_OPTIONS.generatedHeaderLines): string | null {
  let end = 0
  for (let k = 0; k < lines && end !== -1; k++) end = text.indexOf("\n", end + (k === 0 ? 0 : 1))
  const head = (end === -1 ? text : text.slice(0, end)).slice(0, 3000)
  for (const re of GENERATED) {
    const m = re.exec(head)
    if (m) return m[0].trim().replace(/^[\s#/*%!;"'-]+/, "").slice(0, 60)
  }
  const go = GO_GENERATED.exec(text.slice(0, 8000))
  if (go) return "Code generated ... DO NOT EDIT."
  return null
}

const MINIFIABLE = /\.(js|mjs|cjs|css|json|svg|html?)$/i

/**
 * What the content rules measure on a decoded file, all of it: ingest's `contentSkip` and the filter
 * stage's code rules (src/filter) judge the same numbers, so the two cannot drift apart.
 */
export interface ContentMeasures {
  /** Only whitespace. */
  readonly empty: boolean
  /** The generated-code marker found in the header, or null. */
  readonly generated: string | null
  readonly stats: TextStats
  /** Minified by shape: a JS/CSS-like path with very long lines (few lines, or a long mean). */
  readonly minified: boolean
  readonly encodedFraction: number
  /** Share of numeric literals; null below `numericMinChars` (short files are never called numeric data). */
  readonly numericFraction: number | null
}

export function contentMeasures(path: string, text: string, options?: Partial<FilterOptions>): ContentMeasures {
  const o = withDefaults(options)
  const stats = textStats(text)
  return {
    empty: text.trim() === "",
    generated: looksGenerated(text, o.generatedHeaderLines),
    stats,
    minified: MINIFIABLE.test(path) && stats.maxLineLength > 500 && (stats.lines <= 3 || stats.avgLineLength > 200),
    encodedFraction: encodedFraction(text),
    numericFraction: text.length >= o.numericMinChars ? numericFraction(text) : null
  }
}

/** The first content rule `m` fails under the thresholds of `options`, in ingest's order; null when none. */
export function judgeContent(m: ContentMeasures, options?: Partial<FilterOptions>): Skip | null {
  const o = withDefaults(options)
  const st = m.stats
  if (m.empty) return { reason: "empty", detail: "only whitespace" }
  if (m.generated !== null) return { reason: "generated", detail: `header says "${m.generated}"` }
  if (m.minified) return { reason: "minified", detail: `${st.lines} lines, longest ${st.maxLineLength} chars` }
  const enc = m.encodedFraction
  if (enc > o.maxEncodedFraction) return { reason: "data-blob", detail: `${(100 * enc).toFixed(0)}% base64/hex` }
  const num = m.numericFraction
  if (num !== null && num > o.maxNumericFraction) return { reason: "data-blob", detail: `${(100 * num).toFixed(0)}% numeric literals` }
  if (st.maxLineLength > o.maxLineLength) return { reason: "long-lines", detail: `longest line ${st.maxLineLength} > ${o.maxLineLength}` }
  if (st.avgLineLength > o.maxAvgLineLength)
    return { reason: "long-lines", detail: `mean line ${st.avgLineLength.toFixed(0)} > ${o.maxAvgLineLength}` }
  if (st.alnumFraction < o.minAlnumFraction)
    return { reason: "low-alnum", detail: `alphanumeric ${(100 * st.alnumFraction).toFixed(0)}% < ${(100 * o.minAlnumFraction).toFixed(0)}%` }
  return null
}

/**
 * Rules on the decoded text: generated, minified, data blobs, line lengths, alphanumeric fraction.
 * `path` is only used to know JS/CSS-like files for the minified rule.
 */
export function contentSkip(path: string, text: string, options?: Partial<FilterOptions>): Skip | null {
  // An empty file needs no measuring (and its numbers would say nothing).
  if (text.trim() === "") return { reason: "empty", detail: "only whitespace" }
  return judgeContent(contentMeasures(path, text, options), options)
}

/** Binary by content: a known magic number, a NUL byte, or bytes that are not UTF-8. */
export function binarySkip(bytes: Uint8Array): Skip | null {
  const binary = binaryContent(bytes)
  if (binary !== null) return binary
  const bad = findInvalidUtf8(bytes)
  if (bad !== -1) return { reason: "binary", detail: `not UTF-8 (byte ${bad})` }
  return null
}

const decoder = new TextDecoder("utf-8")

export type Screened = { readonly ok: true; readonly text: string } | ({ readonly ok: false } & Skip)

/**
 * Binary by content: a known file signature or NUL bytes. (Invalid UTF-8 alone is not enough: a log
 * with one stray byte is still text; the caller decides.)
 */
export function binaryContent(bytes: Uint8Array): Skip | null {
  const magic = detectMagic(bytes.subarray(0, 4096))
  if (magic !== null) return { reason: "binary", detail: magic }
  if (bytes.indexOf(0) !== -1) return { reason: "binary", detail: "contains NUL bytes" }
  return null
}

/** All rules on one file's path and bytes; on success the decoded text (BOM removed). */
export function screenFile(path: string, bytes: Uint8Array, options?: Partial<FilterOptions>): Screened {
  const bySize = pathSkip(path, bytes.length, options)
  if (bySize !== null) return { ok: false, ...bySize }
  const bin = binarySkip(bytes)
  if (bin !== null) return { ok: false, ...bin }
  const text = decoder.decode(hasUtf8Bom(bytes) ? bytes.subarray(3) : bytes)
  const c = contentSkip(path, text, options)
  if (c !== null) return { ok: false, ...c }
  return { ok: true, text }
}

/** The reason to skip a file, or null to keep it. */
export function skipReason(path: string, bytes: Uint8Array, options?: Partial<FilterOptions>): SkipReason | null {
  const r = screenFile(path, bytes, options)
  return r.ok ? null : r.reason
}
