/**
 * Programming-language detection for source files: by file name and extension first, then the shebang
 * and editor modelines, and the content where an extension is ambiguous (`.m` MATLAB/Octave versus
 * Objective-C, `.h` C versus C++, `.f` fixed versus free form Fortran, `.inc`). Pure: the caller passes
 * the path and the first few KB of text (`head`); nothing is read here.
 *
 * Language names are stable display names ("C++", "Fortran", "Octave", ...) used in metadata and in the
 * rendered header. Non-code (plain text, data tables, images) gives null.
 */

export interface DetectedLanguage {
  readonly language: string
  /** 0..1: 0.95 for an unambiguous extension, lower when content or a weak hint decided. */
  readonly confidence: number
  /** Only for Fortran: "fixed" or "free" source form. */
  readonly variant?: string
}

/** How much of `head` the content rules look at; callers may pass more, the rest is ignored. */
export const LANGUAGE_HEAD_CHARS = 16 * 1024

/** Unambiguous extensions (lower case, without the dot). */
const EXTENSIONS: Readonly<Record<string, string>> = {
  py: "Python",
  pyw: "Python",
  pyi: "Python",
  pyx: "Cython",
  pxd: "Cython",
  pxi: "Cython",
  c: "C",
  cc: "C++",
  cpp: "C++",
  cxx: "C++",
  "c++": "C++",
  cp: "C++",
  hpp: "C++",
  hh: "C++",
  hxx: "C++",
  "h++": "C++",
  ipp: "C++",
  tpp: "C++",
  tcc: "C++",
  inl: "C++",
  cu: "CUDA",
  cuh: "CUDA",
  cl: "OpenCL",
  jl: "Julia",
  r: "R",
  rmd: "R Markdown",
  rs: "Rust",
  go: "Go",
  java: "Java",
  kt: "Kotlin",
  kts: "Kotlin",
  scala: "Scala",
  js: "JavaScript",
  mjs: "JavaScript",
  cjs: "JavaScript",
  jsx: "JavaScript",
  ts: "TypeScript",
  tsx: "TypeScript",
  mts: "TypeScript",
  cts: "TypeScript",
  sh: "Shell",
  bash: "Shell",
  zsh: "Shell",
  ksh: "Shell",
  csh: "Shell",
  tcsh: "Shell",
  fish: "Shell",
  ps1: "PowerShell",
  bat: "Batchfile",
  cmd: "Batchfile",
  pl: "Perl",
  pm: "Perl",
  rb: "Ruby",
  lua: "Lua",
  php: "PHP",
  swift: "Swift",
  cs: "C#",
  fs: "F#",
  hs: "Haskell",
  ml: "OCaml",
  mli: "OCaml",
  erl: "Erlang",
  ex: "Elixir",
  exs: "Elixir",
  clj: "Clojure",
  lisp: "Common Lisp",
  el: "Emacs Lisp",
  scm: "Scheme",
  sql: "SQL",
  tex: "TeX",
  sty: "TeX",
  cls: "TeX",
  wl: "Mathematica",
  wls: "Mathematica",
  nb: "Mathematica",
  sas: "SAS",
  do: "Stata",
  ado: "Stata",
  ncl: "NCL",
  chpl: "Chapel",
  nim: "Nim",
  zig: "Zig",
  dart: "Dart",
  vhd: "VHDL",
  vhdl: "VHDL",
  sv: "SystemVerilog",
  html: "HTML",
  htm: "HTML",
  css: "CSS",
  scss: "SCSS",
  xml: "XML",
  md: "Markdown",
  markdown: "Markdown",
  rst: "reStructuredText",
  cmake: "CMake",
  mk: "Makefile",
  mak: "Makefile",
  yml: "YAML",
  yaml: "YAML",
  toml: "TOML",
  json: "JSON",
  ipynb: "Jupyter Notebook",
  // Fortran: the extension says the source form, the content may override it (see fortran()).
  f: "Fortran",
  for: "Fortran",
  ftn: "Fortran",
  f77: "Fortran",
  fpp: "Fortran",
  f90: "Fortran",
  f95: "Fortran",
  f03: "Fortran",
  f08: "Fortran",
  f18: "Fortran",
  pyf: "Fortran",
  // Octave's package builds extract the %! test blocks of C++ sources into these.
  "cc-tst": "Octave"
}

/** Whole file names (lower case) that decide the language regardless of extension. */
const FILENAMES: Readonly<Record<string, string>> = {
  "cmakelists.txt": "CMake",
  makefile: "Makefile",
  gnumakefile: "Makefile",
  "makefile.am": "Makefile",
  "makefile.in": "Makefile",
  dockerfile: "Dockerfile",
  containerfile: "Dockerfile",
  "meson.build": "Meson",
  sconstruct: "Python",
  sconscript: "Python",
  snakefile: "Snakemake",
  jenkinsfile: "Groovy",
  rakefile: "Ruby",
  gemfile: "Ruby",
  ".bashrc": "Shell",
  ".bash_profile": "Shell",
  ".zshrc": "Shell",
  ".profile": "Shell",
  "pkg_add": "Octave",
  "pkg_del": "Octave",
  "project.toml": "TOML",
  "description": "" // R/Octave package DESCRIPTION: metadata, not code (explicit null below)
}

/** Interpreters named on a `#!` line. */
const INTERPRETERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^python[0-9.]*$|^pypy[0-9.]*$/, "Python"],
  [/^(ba|z|k|da|a|c|tc|fi)?sh$/, "Shell"],
  [/^(node|nodejs|deno|bun)$/, "JavaScript"],
  [/^(ts-node|tsx)$/, "TypeScript"],
  [/^(Rscript|R|littler|r)$/, "R"],
  [/^julia$/, "Julia"],
  [/^(octave|octave-cli)$/, "Octave"],
  [/^perl[0-9.]*$/, "Perl"],
  [/^ruby[0-9.]*$/, "Ruby"],
  [/^(lua|luajit)[0-9.]*$/, "Lua"],
  [/^php[0-9.]*$/, "PHP"],
  [/^(make|gmake)$/, "Makefile"],
  [/^(wolframscript|math)$/, "Mathematica"],
  [/^(gnuplot)$/, "Gnuplot"],
  [/^(awk|gawk|mawk)$/, "Awk"],
  [/^(tclsh|wish)[0-9.]*$/, "Tcl"]
]

/** Emacs `-*- mode: X -*-` / `-*- X -*-` and vim `ft=X` names. */
const MODES: Readonly<Record<string, string>> = {
  python: "Python",
  c: "C",
  "c++": "C++",
  cpp: "C++",
  fortran: "Fortran",
  f90: "Fortran",
  octave: "Octave",
  matlab: "MATLAB",
  sh: "Shell",
  "shell-script": "Shell",
  bash: "Shell",
  perl: "Perl",
  ruby: "Ruby",
  julia: "Julia",
  r: "R",
  ess: "R",
  "ess-r": "R",
  javascript: "JavaScript",
  js: "JavaScript",
  typescript: "TypeScript",
  rust: "Rust",
  go: "Go",
  java: "Java",
  cmake: "CMake",
  makefile: "Makefile",
  make: "Makefile",
  yaml: "YAML",
  cython: "Cython",
  cuda: "CUDA"
}

/** File names of prose and data that are never code, even when they look like it. */
const NOT_CODE = /(^|\/)(readme|changelog|changes|news|authors|contributors|copying|licen[cs]e|copyright|notice|install)(\.txt)?$/i

const basename = (p: string): string => {
  const i = p.lastIndexOf("/")
  return i === -1 ? p : p.slice(i + 1)
}

/** Lower-case extension without the dot ("" when none; "cc-tst" style compound names kept). */
const extensionOf = (name: string): string => {
  const i = name.lastIndexOf(".")
  return i <= 0 ? "" : name.slice(i + 1).toLowerCase()
}

const result = (language: string, confidence: number, variant?: string): DetectedLanguage =>
  variant === undefined ? { language, confidence } : { language, confidence, variant }

/** The language a `#!` line names (`#!/usr/bin/env -S python3 -u` included), or null. */
export function shebangLanguage(head: string): string | null {
  if (!head.startsWith("#!")) return null
  const nl = head.indexOf("\n")
  const line = (nl === -1 ? head : head.slice(0, nl)).slice(2).trim()
  const words = line.split(/\s+/)
  let prog = basename(words[0] ?? "")
  let k = 1
  if (prog === "env") {
    while (k < words.length && words[k]!.startsWith("-")) k++
    prog = basename(words[k] ?? "")
  }
  for (const [re, lang] of INTERPRETERS) if (re.test(prog)) return lang
  return null
}

/** The language an Emacs or vim modeline in the first or last lines names, or null. */
function modelineLanguage(head: string): string | null {
  const first = head.slice(0, 400)
  const emacs = /-\*-\s*(?:[^;]*?;\s*)*?(?:mode:\s*)?([A-Za-z+0-9-]+)\s*(?:;[^*]*)?-\*-/i.exec(first)
  if (emacs) {
    const m = MODES[emacs[1]!.toLowerCase()]
    if (m) return m
  }
  const vim = /\bvim?:.*\b(?:ft|filetype)=([A-Za-z+0-9]+)/.exec(first)
  if (vim) {
    const m = MODES[vim[1]!.toLowerCase()]
    if (m) return m
  }
  return null
}

/** Count of lines of `text` matching `re` (global flag not needed). */
const countLines = (lines: ReadonlyArray<string>, re: RegExp): number => {
  let n = 0
  for (const l of lines) if (re.test(l)) n++
  return n
}

/**
 * `.m` files: Objective-C, Octave or MATLAB. Octave is MATLAB with extra syntax (`#`/`##` comments,
 * `endfunction`/`endif`, `!=`, `printf`, `%!test` blocks, texinfo help); a file using none of it is
 * called MATLAB (the two are the same language for plain code).
 */
function dotM(head: string): DetectedLanguage {
  const lines = head.split("\n", 400)
  const objc =
    countLines(lines, /^\s*(#import\b|#include\s*[<"]|@interface\b|@implementation\b|@end\b|@property\b|@protocol\b|@synthesize\b)/) +
    (/\bNS[A-Z][A-Za-z]+\s*\*/.test(head) ? 2 : 0) +
    (/^[-+]\s*\([A-Za-z_ *]+\)\s*[A-Za-z_]/m.test(head) ? 2 : 0)
  const octave =
    countLines(lines, /^\s*(##|#[^#!{]|%!(test|assert|error|shared|demo|fail|warning|testif|xtest|function|endfunction)\b)/) +
    countLines(lines, /^\s*(endfunction|endif|endfor|endwhile|endswitch|end_try_catch|end_unwind_protect|unwind_protect|endclassdef|endmethods|endproperties)\b/) * 2 +
    (/-\*- texinfo -\*-/.test(head) ? 3 : 0)
  const matlab =
    countLines(lines, /^\s*(function\b|%|classdef\b|end\s*$|if\b|for\b|while\b|switch\b|disp\s*\(|fprintf\s*\()/) +
    (/^\s*%%/m.test(head) ? 2 : 0)
  if (objc >= 2 && objc >= octave + matlab / 4) return result("Objective-C", objc >= 4 ? 0.9 : 0.7)
  if (octave >= 2) return result("Octave", octave >= 5 ? 0.9 : 0.75)
  if (matlab >= 1) return result("MATLAB", matlab >= 4 ? 0.85 : 0.65)
  if (objc >= 1) return result("Objective-C", 0.55)
  return result("MATLAB", 0.5)
}

/** `.h` headers: C++ when C++-only syntax appears, Objective-C when its keywords do, else C. */
function dotH(head: string): DetectedLanguage {
  if (/^\s*@(interface|protocol|end)\b/m.test(head) || /^\s*#import\b/m.test(head)) return result("Objective-C", 0.8)
  if (/__global__|__device__|cudaMalloc|<cuda_runtime/.test(head)) return result("CUDA", 0.75)
  const cpp =
    /^\s*(class|struct)\s+\w+\s*(final\s*)?[:{]/m.test(head) ||
    /^\s*(namespace\s+\w*\s*\{|template\s*<|using\s+namespace\b|(public|private|protected)\s*:)/m.test(head) ||
    /\bstd::|#include\s*<(iostream|vector|string|map|memory|algorithm|cmath|cstdio|cstdlib|complex|array|utility|type_traits|functional|limits|tuple)>/.test(
      head
    ) ||
    /\b(constexpr|nullptr|noexcept|static_cast|reinterpret_cast|virtual|operator\s*[^\w\s])\b/.test(head)
  if (cpp) return result("C++", 0.8)
  return result("C", 0.7)
}

/** Fixed form: comment markers in column 1, labels in 1-5, continuation in column 6, code from 7. */
export function fortranForm(text: string): "fixed" | "free" {
  let fixed = 0
  let free = 0
  const lines = text.split("\n", 500)
  for (const raw of lines) {
    const l = raw.replace(/\r$/, "")
    if (l.trim() === "") continue
    if (/^[cC*](\s|$|[a-zA-Z-=*])/.test(l) && !/^(call|character|complex|contains|close|common|continue|case|class|cycle)\b/i.test(l))
      fixed++
    else if (/^ {5}[^ 0]/.test(l)) fixed++ // continuation in column 6
    else if (/^[ 0-9]{5} /.test(l) && /^ {0,4}\d/.test(l)) fixed++ // statement label in columns 1-5
    if (/^\s*!/.test(l) && !/^ {5}!/.test(l)) free += 0.5
    if (/&\s*(!.*)?$/.test(l)) free++
    if (/^\S/.test(l) && /^(program|module|subroutine|function|end|use|implicit|integer|real|double|contains)\b/i.test(l)) free++
    if (/::/.test(l)) free += 0.5
  }
  if (fixed === 0 && free === 0) return "fixed"
  return fixed >= free ? "fixed" : "free"
}

function fortran(ext: string, head: string): DetectedLanguage {
  const byExt = ["f90", "f95", "f03", "f08", "f18", "pyf"].includes(ext) ? "free" : "fixed"
  const byContent = fortranForm(head)
  return result("Fortran", byExt === byContent ? 0.95 : 0.85, byContent)
}

/** `.inc` and other ambiguous include files. */
function dotInc(head: string): DetectedLanguage | null {
  if (/^\s*<\?php/.test(head)) return result("PHP", 0.9)
  if (/^\s*#\s*(include|define|ifn?def|if|pragma)\b/m.test(head)) return result("C", 0.6)
  if (/^(\s{6}|\t)\s*(integer|real|double precision|parameter|common|character|logical)\b/im.test(head) || /^[cC*!]/m.test(head))
    return result("Fortran", 0.6, fortranForm(head))
  return null
}

/** `.ts` is also the MPEG transport stream extension and Qt's translation XML. */
function dotTs(head: string): DetectedLanguage | null {
  if (/^\s*<\?xml|<!DOCTYPE TS>|<TS\s/.test(head.slice(0, 300))) return result("XML", 0.8)
  return result("TypeScript", 0.95)
}

/** `.pl`: Perl or Prolog. */
function dotPl(head: string): DetectedLanguage {
  if (/^:-\s|^\w+\([^)]*\)\s*:-/m.test(head) && !/\b(my|use|sub)\b/.test(head)) return result("Prolog", 0.7)
  return result("Perl", 0.9)
}

/**
 * A cheap content guess for extension-less files without a shebang. It only claims what is very
 * likely; everything else is null (not code, or not confidently code).
 */
function contentGuess(head: string): DetectedLanguage | null {
  const sample = head.slice(0, 4096)
  if (/^\s*#\s*include\s*[<"]/m.test(sample) && /[;{}]/.test(sample)) {
    return /\bstd::|\btemplate\s*<|\bnamespace\b|\bclass\s+\w+\s*[:{]/.test(sample) ? result("C++", 0.5) : result("C", 0.5)
  }
  if (/^\s*(import\s+\w+|from\s+[\w.]+\s+import\b|def\s+\w+\s*\(.*\)\s*:)/m.test(sample) && !/[;{]\s*$/m.test(sample))
    return result("Python", 0.5)
  return null
}

/**
 * The language of a file from its path and its first characters (`head`; the first 16 KB are enough).
 * Returns null for what is not code or code-adjacent text (plain `.txt`, data, images, unknown).
 */
export function detectLanguage(path: string, head: string): DetectedLanguage | null {
  const name = basename(path.replace(/\\/g, "/"))
  const lower = name.toLowerCase()
  head = head.length > LANGUAGE_HEAD_CHARS ? head.slice(0, LANGUAGE_HEAD_CHARS) : head
  if (head.charCodeAt(0) === 0xfeff) head = head.slice(1)

  const byName = FILENAMES[lower]
  if (byName !== undefined) return byName === "" ? null : result(byName, 0.95)
  if (/^(makefile|gnumakefile)\./.test(lower) || /\.(make|mk)$/.test(lower)) return result("Makefile", 0.9)
  if (/^dockerfile\./.test(lower) || lower.endsWith(".dockerfile")) return result("Dockerfile", 0.9)

  const ext = lower.endsWith(".cc-tst") ? "cc-tst" : extensionOf(lower)
  // Generic extensions first: what decides them is the content.
  switch (ext) {
    case "m":
      return dotM(head)
    case "h":
      return dotH(head)
    case "inc":
      return dotInc(head)
    case "ts":
      return dotTs(head)
    case "pl":
      return dotPl(head)
    case "mm":
      return result("Objective-C++", 0.9)
    case "txt":
    case "text":
    case "dat":
    case "csv":
    case "tsv":
    case "log":
    case "out":
      return null
  }
  if (NOT_CODE.test(lower)) return null
  const byExt = EXTENSIONS[ext]
  if (byExt !== undefined) {
    if (byExt === "Fortran") return fortran(ext, head)
    // A shebang that disagrees with a script extension is rare but wins (e.g. `run.sh` that is Python).
    if (byExt === "Shell") {
      const sb = shebangLanguage(head)
      if (sb !== null && sb !== "Shell") return result(sb, 0.85)
    }
    if (byExt === "C" && /__global__\s+void|<<<.*>>>/.test(head)) return result("CUDA", 0.8)
    return result(byExt, 0.95)
  }
  if (ext === "" || ext === "in" || /^[0-9]+$/.test(ext)) {
    const sb = shebangLanguage(head)
    if (sb !== null) return result(sb, 0.9)
    const ml = modelineLanguage(head)
    if (ml !== null) return ml === "Fortran" ? result(ml, 0.8, fortranForm(head)) : result(ml, 0.8)
    return ext === "" ? contentGuess(head) : null
  }
  // An unknown extension: a shebang or modeline still identifies a script (`tool.cgi`, `run.bin`).
  const sb = shebangLanguage(head)
  if (sb !== null) return result(sb, 0.8)
  const ml = modelineLanguage(head)
  if (ml !== null) return result(ml, 0.7)
  return null
}

/** Languages whose files are documentation or configuration rather than program code. */
export const DOC_LANGUAGES: ReadonlySet<string> = new Set(["Markdown", "reStructuredText", "R Markdown", "TeX"])
export const CONFIG_LANGUAGES: ReadonlySet<string> = new Set(["YAML", "TOML", "JSON", "XML", "CMake", "Makefile", "Dockerfile", "Meson"])

/** "code", "docs" or "config": how a curator would bucket the language. */
export function languageKind(language: string): "code" | "docs" | "config" {
  if (DOC_LANGUAGES.has(language)) return "docs"
  if (CONFIG_LANGUAGES.has(language)) return "config"
  return "code"
}
