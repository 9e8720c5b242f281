/**
 * License identification as SPDX expressions, from three kinds of evidence:
 *
 * - per-file `SPDX-License-Identifier:` headers (any expression: "MIT OR Apache-2.0", "GPL-2.0+ WITH ..."),
 *   and the common notices in file headers (the Apache-2.0 "Licensed under" sentence, the GNU
 *   "version 2 ... or (at your option) any later version" paragraph, an inline BSD or MIT text, ...);
 * - LICENSE / COPYING / LICENCE / COPYRIGHT files, matched against the full license texts of the npm
 *   package `spdx-license-list` by word-shingle Dice similarity on normalised text (copyright lines,
 *   punctuation and case removed, so BSD and MIT files that differ only in their copyright line and
 *   holder names still match), with containment for files that concatenate several licenses;
 * - Debian machine-readable `debian/copyright` files (DEP-5), whose short names (GPL-3+, Expat,
 *   BSD-3-clause, ...) map to SPDX ids.
 *
 * Texts that are identical under several ids (GPL-2.0-only / GPL-2.0-or-later) cannot tell "or later"
 * from the license text alone: a bare GPL text gives the `-only` id; headers and DEP-5 say "or later".
 * Unknown stays unknown (spdx null), never a guess.
 */
import { createRequire } from "node:module"

export type LicenseMethod =
  | "spdx-header"
  | "license-text"
  | "license-text-partial"
  | "notice"
  | "dep5"
  | "none"

export interface LicenseMatch {
  /** An SPDX license expression, or null when the license is unknown. */
  readonly spdx: string | null
  /** 0..1. */
  readonly confidence: number
  readonly method: LicenseMethod
  /** Why (which notice, which Debian label, similarity). Never contains file content beyond a license name. */
  readonly detail?: string
}

const NONE: LicenseMatch = { spdx: null, confidence: 0, method: "none" }

const require = createRequire(import.meta.url)

interface SpdxEntry {
  readonly name: string
  readonly osiApproved: boolean
  readonly licenseText?: string
}

let simpleList: Readonly<Record<string, SpdxEntry>> | null = null
let idsByLower: Map<string, string> | null = null

/** Every SPDX license id of the list (without texts), loaded once. */
function spdxIds(): Map<string, string> {
  if (idsByLower === null) {
    simpleList = require("spdx-license-list/spdx.json") as Record<string, SpdxEntry>
    idsByLower = new Map(Object.keys(simpleList).map((id) => [id.toLowerCase(), id]))
  }
  return idsByLower
}

/** Deprecated ids of the list and what SPDX replaced them with. */
const DEPRECATED: Readonly<Record<string, string>> = {
  "GPL-1.0": "GPL-1.0-only",
  "GPL-1.0+": "GPL-1.0-or-later",
  "GPL-2.0": "GPL-2.0-only",
  "GPL-2.0+": "GPL-2.0-or-later",
  "GPL-3.0": "GPL-3.0-only",
  "GPL-3.0+": "GPL-3.0-or-later",
  "LGPL-2.0": "LGPL-2.0-only",
  "LGPL-2.0+": "LGPL-2.0-or-later",
  "LGPL-2.1": "LGPL-2.1-only",
  "LGPL-2.1+": "LGPL-2.1-or-later",
  "LGPL-3.0": "LGPL-3.0-only",
  "LGPL-3.0+": "LGPL-3.0-or-later",
  "AGPL-1.0": "AGPL-1.0-only",
  "AGPL-3.0": "AGPL-3.0-only",
  "GFDL-1.1": "GFDL-1.1-only",
  "GFDL-1.2": "GFDL-1.2-only",
  "GFDL-1.3": "GFDL-1.3-only",
  "GPL-2.0-with-classpath-exception": "GPL-2.0-only WITH Classpath-exception-2.0",
  "GPL-2.0-with-GCC-exception": "GPL-2.0-only WITH GCC-exception-2.0",
  "GPL-3.0-with-GCC-exception": "GPL-3.0-only WITH GCC-exception-3.1",
  "GPL-2.0-with-autoconf-exception": "GPL-2.0-only WITH Autoconf-exception-2.0",
  "GPL-3.0-with-autoconf-exception": "GPL-3.0-only WITH Autoconf-exception-3.0",
  "GPL-2.0-with-font-exception": "GPL-2.0-only WITH Font-exception-2.0",
  "GPL-2.0-with-bison-exception": "GPL-2.0-or-later WITH Bison-exception-2.2",
  wxWindows: "LGPL-2.0-or-later WITH WxWindows-exception-3.1",
  Nunit: "Zlib-acknowledgement",
  "StandardML-NJ": "SMLNJ",
  "eCos-2.0": "GPL-2.0-or-later WITH eCos-exception-2.0",
  "BSD-2-Clause-FreeBSD": "BSD-2-Clause",
  "BSD-2-Clause-NetBSD": "BSD-2-Clause"
}

// ---------------------------------------------------------------------------------------------------
// SPDX expressions

type Expr =
  | { readonly op: "id"; readonly id: string; readonly plus: boolean; readonly exception: string | null }
  | { readonly op: "and" | "or"; readonly args: ReadonlyArray<Expr> }

class ExprError extends Error {}

function tokenize(expr: string): string[] {
  const out: string[] = []
  for (const m of expr.matchAll(/\(|\)|[^\s()]+/g)) out.push(m[0])
  return out
}

function parseExpr(expr: string): Expr {
  const toks = tokenize(expr)
  let i = 0
  const peek = (): string | undefined => toks[i]
  const isOp = (t: string | undefined, op: string) => t !== undefined && t.toUpperCase() === op
  const atom = (): Expr => {
    const t = toks[i++]
    if (t === undefined) throw new ExprError("expression ends early")
    if (t === "(") {
      const e = or()
      if (toks[i++] !== ")") throw new ExprError("missing )")
      return e
    }
    if (t === ")" || isOp(t, "AND") || isOp(t, "OR") || isOp(t, "WITH")) throw new ExprError(`unexpected ${t}`)
    if (!/^[A-Za-z0-9.+:_-]+$/.test(t)) throw new ExprError(`not a license id: ${t.slice(0, 40)}`)
    let id = t
    let plus = false
    if (id.endsWith("+") && id.length > 1) {
      plus = true
      id = id.slice(0, -1)
    }
    let exception: string | null = null
    if (isOp(peek(), "WITH")) {
      i++
      const ex = toks[i++]
      if (ex === undefined || !/^[A-Za-z0-9.:_-]+$/.test(ex)) throw new ExprError("WITH needs an exception id")
      exception = ex
    }
    return { op: "id", id, plus, exception }
  }
  const and = (): Expr => {
    const args = [atom()]
    while (isOp(peek(), "AND")) {
      i++
      args.push(atom())
    }
    return args.length === 1 ? args[0]! : { op: "and", args }
  }
  const or = (): Expr => {
    const args = [and()]
    while (isOp(peek(), "OR")) {
      i++
      args.push(and())
    }
    return args.length === 1 ? args[0]! : { op: "or", args }
  }
  const e = or()
  if (i !== toks.length) throw new ExprError(`unexpected ${toks[i]}`)
  return e
}

/** Canonical form of one license id: list case, deprecated ids replaced, "+" folded into "-or-later". */
function canonicalId(id: string, plus: boolean): string {
  if (/^(LicenseRef|DocumentRef)-/i.test(id)) return id
  const ids = spdxIds()
  let c = ids.get(id.toLowerCase()) ?? id
  if (plus) {
    const base = DEPRECATED[c] ?? c
    if (/-only$/.test(base)) return base.replace(/-only$/, "-or-later")
    if (/-or-later$/.test(base)) return base
    return `${base}+`
  }
  c = DEPRECATED[c] ?? c
  return c
}

function render(e: Expr, parent: "and" | "or" | null): string {
  if (e.op === "id") {
    const base = canonicalId(e.id, e.plus)
    return e.exception === null ? base : `${base} WITH ${e.exception}`
  }
  const s = e.args.map((a) => render(a, e.op)).join(e.op === "and" ? " AND " : " OR ")
  return parent !== null && parent !== e.op ? `(${s})` : s
}

/**
 * Parse and canonicalise an SPDX expression: ids in the list's spelling, deprecated ids replaced
 * ("GPL-2.0+" → "GPL-2.0-or-later"), operators upper case. Null when it does not parse.
 */
export function normalizeSpdxExpression(expr: string): string | null {
  try {
    return render(parseExpr(expr.trim()), null)
  } catch (e) {
    if (e instanceof ExprError) return null
    throw e
  }
}

/** True when every license id in the expression is in the SPDX list (or a LicenseRef). */
export function isKnownSpdxExpression(expr: string): boolean {
  let e: Expr
  try {
    e = parseExpr(expr)
  } catch {
    return false
  }
  const ids = spdxIds()
  const ok = (x: Expr): boolean =>
    x.op === "id"
      ? /^(LicenseRef|DocumentRef)-/i.test(x.id) || ids.has(x.id.toLowerCase()) || DEPRECATED[x.id] !== undefined
      : x.args.every(ok)
  return ok(e)
}

const GNU_FAMILY = /^(A?GPL|LGPL|GFDL)-(\d+\.\d+)-(only|or-later)$/

/**
 * Does `allowed` (a list of SPDX ids, or "X WITH Y" entries) permit using code under `spdxExpression`?
 * OR needs one allowed branch, AND needs all. An "-or-later" license is also allowed when a later
 * version of the same GNU license is ("GPL-2.0-or-later" passes an allow-list with "GPL-3.0-only").
 * A "X WITH exception" term passes when X does or when the whole term is listed. Null/unparseable → false.
 */
export function isAllowed(spdxExpression: string | null, allowed: ReadonlyArray<string>): boolean {
  if (spdxExpression === null || spdxExpression.trim() === "") return false
  let e: Expr
  try {
    e = parseExpr(spdxExpression)
  } catch {
    return false
  }
  const allow = new Set<string>()
  for (const a of allowed) {
    const n = normalizeSpdxExpression(a)
    allow.add((n ?? a).toLowerCase())
  }
  const idAllowed = (id: string): boolean => {
    const lower = id.toLowerCase()
    if (allow.has(lower)) return true
    const m = GNU_FAMILY.exec(id)
    if (m && m[3] === "or-later") {
      const fam = m[1]!
      const v = Number(m[2])
      for (const a of allow) {
        const am = /^(a?gpl|lgpl|gfdl)-(\d+\.\d+)-(only|or-later)$/.exec(a)
        if (am && am[1] === fam.toLowerCase() && Number(am[2]) >= v) return true
      }
    }
    return false
  }
  const check = (x: Expr): boolean => {
    if (x.op === "id") {
      const base = canonicalId(x.id, x.plus)
      if (x.exception !== null && allow.has(`${base} WITH ${x.exception}`.toLowerCase())) return true
      return idAllowed(base)
    }
    return x.op === "or" ? x.args.some(check) : x.args.every(check)
  }
  return check(e)
}

// ---------------------------------------------------------------------------------------------------
// Per-file headers and notices

/** How much of a source file's start is searched for SPDX headers and notices. */
export const HEADER_CHARS = 12 * 1024

const SPDX_HEADER = /SPDX-License-Identifier:\s*([^\n\r]*)/i

/** The SPDX expression of the first `SPDX-License-Identifier:` line in `head`, canonicalised, or null. */
export function spdxHeader(head: string): string | null {
  const m = SPDX_HEADER.exec(head)
  if (!m) return null
  // Strip comment closers and quotes that share the line: `*/`, `-->`, `"""`, `#}`, trailing ';'.
  let v = m[1]!.replace(/\s*(\*\/|-->|"""|'''|#\}|\*\)|;|,)\s*$/, "").replace(/^["'`]|["'`]\s*$/g, "").trim()
  v = v.replace(/\s*(\*\/|-->)\s*$/, "").trim()
  if (v === "") return null
  return normalizeSpdxExpression(v)
}

/** Comment markers removed from the start of each line, lines kept. */
function uncomment(text: string): string {
  return text
    .replace(/\r/g, "")
    .replace(/^[ \t]*(\/\/+!?|\/\*+!?|\*+\/?|#+'?|%+|!+|;+|--|\.\.|"""|'''|[cC](?=\s)|REM\b|dnl\b)/gm, " ")
    .replace(/\*\//g, " ")
}

/** A comment line: the usual markers after indentation, or Fortran's fixed-form C/c/* in column 1. */
const LINE_COMMENT = /^(?:[ \t]*(\/\/|#|%|!|;|--|\*|<!--|REM\b|dnl\b)|[cC*](?=[ \t]|$))/

/**
 * Only the comment text of a source file's head: line comments, block comments (/* *\/, <!-- -->,
 * #= =#, %{ %}) and a leading docstring. Notices inside string literals and regular expressions of the
 * code itself are not declarations about the file, so code lines are left out.
 */
export function commentText(head: string): string {
  const out: string[] = []
  let inBlock: string | null = null // the closing token of an open block comment or docstring
  let sawCode = false
  for (const raw of head.replace(/\r/g, "").split("\n")) {
    const line = raw
    if (inBlock !== null) {
      const end = line.indexOf(inBlock)
      out.push(end === -1 ? line : line.slice(0, end))
      if (end !== -1) inBlock = null
      continue
    }
    const t = line.trimStart()
    const open = /^(\/\*|<!--|#=|%\{|"""|''')/.exec(t)
    if (open && (open[1] !== '"""' && open[1] !== "'''" ? true : !sawCode)) {
      const close = { "/*": "*/", "<!--": "-->", "#=": "=#", "%{": "%}", '"""': '"""', "'''": "'''" }[open[1]!]!
      const rest = t.slice(open[1]!.length)
      const end = rest.indexOf(close)
      out.push(end === -1 ? rest : rest.slice(0, end))
      if (end === -1) inBlock = close
      continue
    }
    if (LINE_COMMENT.test(line)) {
      out.push(line)
      continue
    }
    // Trailing comments on code lines (`int x; // SPDX-License-Identifier: MIT`) are rare; skip them.
    if (t !== "" && !/^(#!|package\b|module\b|import\b|from\b|use\b|library\b|\{|\}|@)/.test(t)) sawCode = true
    out.push("")
  }
  return out.join("\n")
}

/** Comment markers and line noise removed, whitespace collapsed: "## This program is" → "this program is". */
function proseOf(text: string): string {
  return uncomment(text).replace(/\s+/g, " ").toLowerCase()
}

interface Notice {
  readonly re: RegExp
  readonly spdx: (m: RegExpExecArray) => string | null
  readonly confidence: number
  readonly detail: string
}

const gnuVersion = (v: string): string => (v.includes(".") ? v : `${v}.0`)

/** Notices on prose (lower case, whitespace collapsed, comment markers removed). */
const NOTICES: ReadonlyArray<Notice> = [
  {
    // GNU GPL/LGPL/AGPL with version and optional "or (at your option) any later version".
    re: /gnu (affero |lesser |library )?general public license[^.]{0,200}?(?:either )?version (\d(?:\.\d)?)(?: of the license)?(?:[,;]? (?:or|and) \(?at your option\)? any later version|,? or any later version|\+)?/,
    spdx: (m) => {
      const kind = m[1]?.trim()
      const fam = kind === "affero" ? "AGPL" : kind === "lesser" || kind === "library" ? "LGPL" : "GPL"
      const later = /later version|\+$/.test(m[0])
      return `${fam}-${gnuVersion(m[2]!)}-${later ? "or-later" : "only"}`
    },
    confidence: 0.9,
    detail: "GNU license notice"
  },
  {
    re: /(?:licensed|released|distributed|available) under (?:the )?(?:terms of the )?(?:gnu )?(affero |lesser |library )?(?:general public license|gpl)(?: \(gpl\))?,? (?:version |v\.? ?)?(\d(?:\.\d)?)( or later|\+| or any later version)?/,
    spdx: (m) => {
      const kind = m[1]?.trim()
      const fam = kind === "affero" ? "AGPL" : kind === "lesser" || kind === "library" ? "LGPL" : "GPL"
      return `${fam}-${gnuVersion(m[2]!)}-${m[3] ? "or-later" : "only"}`
    },
    confidence: 0.8,
    detail: "GPL mention"
  },
  {
    re: /licensed under the apache license,? version 2\.0|apache license,? version 2\.0 \(the "?license"?\)/,
    spdx: () => "Apache-2.0",
    confidence: 0.95,
    detail: "Apache-2.0 notice"
  },
  {
    re: /this source code form is subject to the terms of the mozilla public license,? v\. ?2\.0/,
    spdx: () => "MPL-2.0",
    confidence: 0.95,
    detail: "MPL-2.0 notice"
  },
  {
    re: /distributed under the boost software license,? version 1\.0/,
    spdx: () => "BSL-1.0",
    confidence: 0.95,
    detail: "Boost notice"
  },
  {
    re: /this is free and unencumbered software released into the public domain/,
    spdx: () => "Unlicense",
    confidence: 0.9,
    detail: "Unlicense notice"
  },
  {
    re: /eclipse public license,? (?:v|version )?\.? ?(1\.0|2\.0)/,
    spdx: (m) => `EPL-${m[1]}`,
    confidence: 0.85,
    detail: "EPL notice"
  },
  {
    re: /\bcecill(?:-| )?(b|c)?(?: license)?,? (?:version |v)?(2\.1|2\.0|1\.0)?/,
    spdx: (m) => (m[1] ? `CECILL-${m[1].toUpperCase()}` : m[2] ? `CECILL-${m[2]}` : null),
    confidence: 0.75,
    detail: "CeCILL notice"
  },
  {
    re: /creative commons attribution(-sharealike| share-?alike)? (4\.0|3\.0)/,
    spdx: (m) => (m[1] ? `CC-BY-SA-${m[2]}` : `CC-BY-${m[2]}`),
    confidence: 0.8,
    detail: "Creative Commons notice"
  },
  {
    re: /(?:licensed|released|distributed|available) under (?:the |an? )?(?:terms of the )?(mit|expat|isc|zlib|3-clause bsd|bsd 3-clause|new bsd|modified bsd|revised bsd|2-clause bsd|bsd 2-clause|simplified bsd|freebsd|apache 2(?:\.0)?|apache-2\.0|mpl 2\.0|mpl-2\.0)(?: license| licence|\b)/,
    spdx: (m) => {
      const n = m[1]!
      if (n === "mit" || n === "expat") return "MIT"
      if (n === "isc") return "ISC"
      if (n === "zlib") return "Zlib"
      if (/apache/.test(n)) return "Apache-2.0"
      if (/mpl/.test(n)) return "MPL-2.0"
      if (/2-clause|simplified|freebsd/.test(n)) return "BSD-2-Clause"
      return "BSD-3-Clause"
    },
    confidence: 0.8,
    detail: "license named in a notice"
  },
  {
    re: /\b(?:cc0|creative commons zero)\b/,
    spdx: () => "CC0-1.0",
    confidence: 0.7,
    detail: "CC0 mention"
  }
]

/** Permissive texts that files carry inline: matched by similarity on the text itself. */
const INLINE_TEXT_START =
  /(redistribution and use in source and binary forms|permission is hereby granted, free of charge|permission to use, copy, modify, and\/?(or)? distribute this software|this software is provided 'as-is', without any express or implied)/

/** The first words of those texts, on text whose lines are not joined (the words may wrap). */
const INLINE_TEXT_START_LINES =
  /redistribution\s+and\s+use|permission\s+is\s+hereby\s+granted|permission\s+to\s+use,\s+copy|this\s+software\s+is\s+provided\s+'as-is'/

function noticeOf(prose: string): LicenseMatch | null {
  let best: LicenseMatch | null = null
  let bestAt = Infinity
  for (const n of NOTICES) {
    const m = n.re.exec(prose)
    if (!m) continue
    const spdx = n.spdx(m)
    if (spdx === null) continue
    // The earliest notice in the file is the file's own; later ones are usually about something quoted.
    if (m.index < bestAt) {
      bestAt = m.index
      best = { spdx: normalizeSpdxExpression(spdx) ?? spdx, confidence: n.confidence, method: "notice", detail: n.detail }
    }
  }
  return best
}

/**
 * The license a source file declares about itself: an SPDX header, else a notice or inline license
 * text in its first HEADER_CHARS characters. `{spdx: null, method: "none"}` when it says nothing.
 */
export function licenseOfFileText(text: string): LicenseMatch {
  const comments = commentText(text.length > HEADER_CHARS ? text.slice(0, HEADER_CHARS) : text)
  const header = spdxHeader(comments)
  if (header !== null) return { spdx: header, confidence: isKnownSpdxExpression(header) ? 1 : 0.6, method: "spdx-header" }
  const prose = proseOf(comments)
  const inline = INLINE_TEXT_START.exec(prose)
  if (inline) {
    // Match the comment block that holds the license text (lines kept, so that copyright lines drop
    // out as in license files) against the full texts, up to the end of its disclaimer.
    const lines = uncomment(comments)
    const lower = lines.toLowerCase()
    const at = Math.max(0, lower.search(INLINE_TEXT_START_LINES))
    const start = Math.max(0, lines.lastIndexOf("\n", Math.max(0, at - 300)))
    const tail = lower.slice(at).search(/such\s+damage\.|dealings\s+in\s+the\s+software\.|performance\s+of\s+this\s+software\./)
    const end = tail === -1 ? at + 4000 : at + tail + 40
    const m = matchLicenseText(lines.slice(start, end), { minDice: 0.6 })
    if (m.spdx !== null) return { ...m, method: "notice", detail: `inline license text (${m.detail ?? ""})` }
  }
  return noticeOf(prose) ?? NONE
}

// ---------------------------------------------------------------------------------------------------
// Full-text similarity

/** Word n-gram size for shingles: 4 words tolerate small edits yet tell close variants apart. */
const SHINGLE = 4

/** A copyright statement ("Copyright (c) 2020 X", "(C) 1999 Y"), not "copyright notice and ..." in a clause. */
const COPYRIGHT_LINE =
  /^(copyright\b(?![ \t]+(notice|notices|holders?|owners?|law|laws|and|statement|license|licen[cs]e|protection|is|of|in|to|or)\b)|\(c\)|©|portions copyright|all rights reserved)/i

/** The normalisation both sides get: no copyright lines, no punctuation or case, common spelling variants unified. */
export function normalizeLicenseText(text: string): string[] {
  const lines = text.replace(/\r/g, "").split("\n")
  const kept: string[] = []
  for (const l of lines) {
    const t = l.replace(/^[\s#*/%!;-]+/, "")
    // Copyright statements and "all rights reserved" vary per project: drop them on both sides.
    if (t.length < 300 && COPYRIGHT_LINE.test(t)) continue
    kept.push(l)
  }
  const s = kept
    .join("\n")
    .normalize("NFKC")
    .toLowerCase()
    .replace(/<[^<>\n]{1,60}>/g, " ") // template placeholders: <year>, <copyright holders>
    .replace(/\[[^\[\]\n]{1,60}\]/g, (m) => (/^\[(yyyy|name|year|fullname)/.test(m) ? " " : m))
    .replace(/https?:\/\/\S+/g, (u) => u.replace(/^https?:\/\/(www\.)?/, "").replace(/[/.]+$/, ""))
    .replace(/licen[cs]e/g, "license")
    // Who is named as holder is replaceable text in the SPDX templates: "the author", "the regents", ...
    .replace(/\b(the )?(copyright (holders?|owners?)( and contributors)?|authors?( and contributors)?|regents( and contributors)?)\b/g, " holder ")
    .replace(/&/g, " and ")
    .replace(/[^a-z0-9]+/g, " ")
  const words = s.split(" ").filter((w) => w.length > 0)
  return words
}

/** FNV-1a over the shingle's word ids, two independent 26-bit halves → a 52-bit integer key. */
function shingleKeys(words: ReadonlyArray<string>, vocab: Map<string, number>, grow: boolean): Set<number> {
  const ids: number[] = []
  for (const w of words) {
    let id = vocab.get(w)
    if (id === undefined) {
      if (grow) {
        id = vocab.size + 1
        vocab.set(w, id)
      } else id = -1 - (hashString(w) & 0x3ffffff) // unseen word: a private id (never in the index)
    }
    ids.push(id)
  }
  const out = new Set<number>()
  if (ids.length < SHINGLE) {
    if (ids.length > 0) out.add(combine(ids, 0, ids.length))
    return out
  }
  for (let i = 0; i + SHINGLE <= ids.length; i++) out.add(combine(ids, i, SHINGLE))
  return out
}

function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

function combine(ids: ReadonlyArray<number>, from: number, n: number): number {
  let a = 0x811c9dc5
  let b = 0x01000193 ^ 0x5bd1e995
  for (let k = from; k < from + n; k++) {
    const x = ids[k]! | 0
    a = Math.imul(a ^ (x & 0xffff), 0x01000193)
    a = Math.imul(a ^ (x >>> 16), 0x01000193)
    b = Math.imul(b ^ x, 0x5bd1e995)
    b ^= b >>> 13
  }
  return (a & 0x3ffffff) * 0x4000000 + (b & 0x3ffffff)
}

interface Index {
  readonly vocab: Map<string, number>
  readonly ids: ReadonlyArray<string>
  readonly sizes: Uint32Array
  readonly postings: Map<number, number[]>
}

let index: Index | null = null

/**
 * Among ids with the same text, the one to report: never a deprecated id, "-only" before "-or-later"
 * (a license file alone cannot say "or later"), otherwise the shortest.
 */
function representative(group: ReadonlyArray<string>): string {
  const live = group.filter((id) => DEPRECATED[id] === undefined && !id.endsWith("+"))
  const pool = live.length ? live : group
  const only = pool.filter((id) => id.endsWith("-only") && !/invariants/.test(id))
  const pick = (only.length ? only : pool).slice().sort((a, b) => a.length - b.length || (a < b ? -1 : 1))
  return pick[0]!
}

/**
 * Build the shingle index of the license texts now (about half a second, once per process) rather than
 * on the first license file or inline license text; for worker start-up and benchmarks.
 */
export function warmLicenseIndex(): void {
  licenseIndex()
}

/** Build (once per process) the shingle index of all license texts of `spdx-license-list`. */
function licenseIndex(): Index {
  if (index !== null) return index
  const fullPath = require.resolve("spdx-license-list/spdx-full.json")
  const full = require(fullPath) as Record<string, SpdxEntry>
  // The 5 MB of texts are needed only to build the index: do not keep them in the module cache.
  delete require.cache[fullPath]
  const byText = new Map<string, string[]>()
  for (const [id, e] of Object.entries(full)) {
    const t = e.licenseText
    if (typeof t !== "string" || t.length < 40) continue
    // Deprecated ids ("GPL-2.0+", "GPL-2.0") have current equivalents with the same or a near text.
    if (DEPRECATED[id] !== undefined || id.endsWith("+")) continue
    const g = byText.get(t)
    if (g) g.push(id)
    else byText.set(t, [id])
  }
  const vocab = new Map<string, number>()
  const ids: string[] = []
  const sizes: number[] = []
  const postings = new Map<number, number[]>()
  for (const [text, group] of byText) {
    const keys = shingleKeys(normalizeLicenseText(text), vocab, true)
    if (keys.size < 8) continue
    const li = ids.length
    ids.push(representative(group))
    sizes.push(keys.size)
    for (const k of keys) {
      const p = postings.get(k)
      if (p) p.push(li)
      else postings.set(k, [li])
    }
  }
  index = { vocab, ids, sizes: Uint32Array.from(sizes), postings }
  return index
}

/**
 * [best match, phrase in the normalised text, what it really is]. 0BSD is ISC without the notice clause,
 * and the list's ISC text names "ISC" where real files say "the author", so similarity alone picks 0BSD.
 */
const DISAMBIGUATE: ReadonlyArray<readonly [string, (text: string) => boolean, string]> = [
  ["0BSD", (t) => /provided that the above copyright notice and this permission notice appear in all copies/.test(t), "ISC"],
  // BSD-3-Clause-HP is BSD-3-Clause plus "patent infringement" in the disclaimer.
  ["BSD-3-Clause-HP", (t) => !/patent infringement/.test(t), "BSD-3-Clause"]
]

export interface TextMatchOptions {
  /** Dice similarity at or above which the best license is reported (default 0.8). */
  readonly minDice?: number
  /** Share of a license's shingles that must appear for a partial (contained) match (default 0.9). */
  readonly minContainment?: number
}

/**
 * Match a license text against every text of the SPDX list by 4-word shingle Dice similarity. When the
 * whole file is not close to one license but contains one or more whole license texts (a LICENSE that
 * appends the licenses of bundled code), the first-appearing contained license is reported with method
 * "license-text-partial" and the others in `detail`.
 */
export function matchLicenseText(text: string, options: TextMatchOptions = {}): LicenseMatch {
  const minDice = options.minDice ?? 0.8
  const minContainment = options.minContainment ?? 0.9
  const idx = licenseIndex()
  const words = normalizeLicenseText(text)
  if (words.length < 8) return NONE
  // Keep each shingle's first position, for ordering contained licenses.
  const ids: number[] = []
  for (const w of words) ids.push(idx.vocab.get(w) ?? -1 - (hashString(w) & 0x3ffffff))
  const first = new Map<number, number>()
  for (let i = 0; i + SHINGLE <= ids.length; i++) {
    const k = combine(ids, i, SHINGLE)
    if (!first.has(k)) first.set(k, i)
  }
  const n = first.size
  if (n === 0) return NONE
  const inter = new Uint32Array(idx.ids.length)
  const firstPos = new Float64Array(idx.ids.length).fill(Infinity)
  for (const [k, pos] of first) {
    const p = idx.postings.get(k)
    if (p === undefined) continue
    for (const li of p) {
      inter[li]!++
      if (pos < firstPos[li]!) firstPos[li] = pos
    }
  }
  let best = -1
  let bestDice = 0
  let second = 0
  for (let li = 0; li < inter.length; li++) {
    if (inter[li] === 0) continue
    const dice = (2 * inter[li]!) / (n + idx.sizes[li]!)
    if (dice > bestDice) {
      second = bestDice
      bestDice = dice
      best = li
    } else if (dice > second) second = dice
  }
  if (best >= 0 && bestDice >= minDice) {
    let spdx = idx.ids[best]!
    // Texts the list holds with a different holder wording: decide by the clause that tells them apart.
    const joined = words.join(" ")
    for (const [from, test, to] of DISAMBIGUATE) if (spdx === from && test(joined)) spdx = to
    return {
      spdx,
      confidence: Math.min(1, Math.round(bestDice * 1000) / 1000),
      method: "license-text",
      detail: `dice ${bestDice.toFixed(3)}`
    }
  }
  // The file is (most of) a longer license text: the LGPL-3.0 text of the SPDX list carries the
  // GPL-3.0 text after it, while real COPYING.LESSER files hold only the LGPL part.
  if (n >= 150) {
    let within = -1
    let withinShare = 0
    for (let li = 0; li < inter.length; li++) {
      const share = inter[li]! / n
      if (share > withinShare || (share === withinShare && within >= 0 && idx.sizes[li]! < idx.sizes[within]!)) {
        withinShare = share
        within = li
      }
    }
    if (within >= 0 && withinShare >= minContainment) {
      return {
        spdx: idx.ids[within]!,
        confidence: Math.round(0.9 * withinShare * 1000) / 1000,
        method: "license-text",
        detail: `${(100 * withinShare).toFixed(0)}% of the file is in ${idx.ids[within]}'s text`
      }
    }
  }
  // Contained licenses: most of a license's shingles present in a longer file.
  const contained: number[] = []
  for (let li = 0; li < inter.length; li++) {
    if (idx.sizes[li]! >= 20 && inter[li]! / idx.sizes[li]! >= minContainment) contained.push(li)
  }
  if (contained.length > 0) {
    // Drop licenses subsumed by a larger contained one that starts at the same place (BSD-2 inside BSD-3).
    contained.sort((a, b) => firstPos[a]! - firstPos[b]! || idx.sizes[b]! - idx.sizes[a]!)
    const kept: number[] = []
    for (const li of contained) {
      const clash = kept.find((k) => Math.abs(firstPos[k]! - firstPos[li]!) < 30)
      if (clash === undefined) kept.push(li)
      else if (inter[li]! / idx.sizes[li]! > inter[clash]! / idx.sizes[clash]! + 0.02) kept[kept.indexOf(clash)] = li
    }
    const top = kept[0]!
    const containment = inter[top]! / idx.sizes[top]!
    const others = kept.slice(1).map((li) => idx.ids[li]!)
    return {
      spdx: idx.ids[top]!,
      confidence: Math.round(0.8 * containment * 1000) / 1000,
      method: "license-text-partial",
      detail: `contains ${(100 * containment).toFixed(0)}% of ${idx.ids[top]}` + (others.length ? `; also ${others.join(", ")}` : "")
    }
  }
  return best >= 0 ? { spdx: null, confidence: 0, method: "none", detail: `closest ${idx.ids[best]} (dice ${bestDice.toFixed(3)})` } : NONE
}

// ---------------------------------------------------------------------------------------------------
// Debian DEP-5

export interface Dep5Paragraph {
  readonly files: ReadonlyArray<string>
  /** The Debian license label as written ("GPL-3+", "BSD-3-clause", ...). */
  readonly label: string
  /** Its SPDX expression, or null when a label is not known. */
  readonly spdx: string | null
}

export interface Dep5 {
  readonly files: ReadonlyArray<Dep5Paragraph>
  /** The header's License field, if any (the license of the whole work). */
  readonly headerLicense: Dep5Paragraph | null
  /** Stand-alone "License: X" paragraphs with their full texts, by lower-case label. */
  readonly texts: ReadonlyMap<string, string>
}

/** Debian short names (lower case, without "+") → SPDX id. Versions handled by debianToSpdx. */
const DEBIAN_NAMES: Readonly<Record<string, string>> = {
  expat: "MIT",
  mit: "MIT",
  "mit/x11": "MIT",
  x11: "X11",
  isc: "ISC",
  zlib: "Zlib",
  "bsd-2-clause": "BSD-2-Clause",
  "bsd-3-clause": "BSD-3-Clause",
  "bsd-4-clause": "BSD-4-Clause",
  "bsd-lbnl": "BSD-3-Clause-LBNL",
  "boost-1.0": "BSL-1.0",
  bsl: "BSL-1.0",
  "bsl-1.0": "BSL-1.0",
  "psf-2": "PSF-2.0",
  "psf-2.0": "PSF-2.0",
  psf: "PSF-2.0",
  python: "Python-2.0",
  "python-2.0": "Python-2.0",
  perl: "Artistic-1.0-Perl OR GPL-1.0-or-later",
  artistic: "Artistic-1.0",
  "artistic-1": "Artistic-1.0",
  "artistic-2": "Artistic-2.0",
  "artistic-2.0": "Artistic-2.0",
  apache: "Apache-2.0",
  "apache-2": "Apache-2.0",
  "apache-2.0": "Apache-2.0",
  "apache-1.1": "Apache-1.1",
  cc0: "CC0-1.0",
  "cc0-1.0": "CC0-1.0",
  "public-domain": "LicenseRef-Public-Domain",
  "public domain": "LicenseRef-Public-Domain",
  unlicense: "Unlicense",
  wtfpl: "WTFPL",
  "zope-2.1": "ZPL-2.1",
  "w3c": "W3C",
  "mpl-1.1": "MPL-1.1",
  "mpl-2.0": "MPL-2.0",
  "mpl-2": "MPL-2.0",
  "epl-1.0": "EPL-1.0",
  "epl-2.0": "EPL-2.0",
  "cddl-1.0": "CDDL-1.0",
  "cecill-2.1": "CECILL-2.1",
  "cecill-b": "CECILL-B",
  "cecill-c": "CECILL-C",
  "lppl-1.3c": "LPPL-1.3c",
  "ofl-1.1": "OFL-1.1",
  "sil-ofl-1.1": "OFL-1.1"
}

/** One Debian license label ("GPL-3+", "LGPL-2.1", "Expat", "BSD-3-clause") as an SPDX id, or null. */
export function debianToSpdx(label: string): string | null {
  const l = label.trim().toLowerCase()
  const gnu = /^(a?gpl|lgpl|gfdl(?:-niv)?)(?:-?(\d+(?:\.\d+)?))?(\+)?$/.exec(l)
  if (gnu) {
    const fam = gnu[1]!.toUpperCase().replace("-NIV", "")
    const v = gnu[2]
    if (v === undefined) return `${fam}-1.0-or-later`.replace(/^LGPL-1\.0/, "LGPL-2.0").replace(/^AGPL-1\.0/, "AGPL-3.0")
    const ver = v.includes(".") ? v : `${v}.0`
    return `${fam}-${ver}-${gnu[3] ? "or-later" : "only"}`
  }
  const named = DEBIAN_NAMES[l] ?? DEBIAN_NAMES[l.replace(/\+$/, "")]
  if (named !== undefined) return named
  const ids = spdxIds()
  const direct = ids.get(l) ?? ids.get(l.replace(/\+$/, ""))
  if (direct !== undefined) return l.endsWith("+") ? `${direct}+` : direct
  return null
}

/**
 * A Debian license field ("GPL-2+ or Artistic", "MIT and BSD-3-clause", "GPL-2+ with OpenSSL exception")
 * as an SPDX expression; null when a label in it is unknown (and its text did not match either).
 */
function dep5Expression(label: string, texts: ReadonlyMap<string, string>): string | null {
  const clean = label.replace(/,/g, " ").replace(/\s+/g, " ").trim()
  // Exceptions are named in prose ("with OpenSSL exception"): keep the license, drop the exception.
  const noExc = clean.replace(/\s+with\s+[\w.+-]+(\s+exception)?/gi, "")
  const parts = noExc.split(/\s+(or|and)\s+|\s*\|\s*/i)
  const out: string[] = []
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]
    if (p === undefined) continue
    if (/^(or|and)$/i.test(p)) {
      out.push(p.toUpperCase())
      continue
    }
    let id = debianToSpdx(p)
    if (id === null && /^[\w.-]+\+[A-Za-z][\w.+-]*$/.test(p.trim())) {
      // "Apache-2.0+MIT": two licenses for parts of the same files.
      const sides = p.trim().split(/\+(?=[A-Za-z])/).map((x) => debianToSpdx(x))
      if (sides.every((x) => x !== null)) id = sides.map((x) => (x!.includes(" ") ? `(${x})` : x)).join(" AND ")
    }
    if (id === null) {
      const t = texts.get(p.trim().toLowerCase())
      if (t !== undefined) {
        const m = matchLicenseText(t, { minDice: 0.75 })
        if (m.method === "license-text") id = m.spdx
      }
    }
    if (id === null) return null
    out.push(id.includes(" ") ? `(${id})` : id)
  }
  // Without operators between labels, fall back to the first (malformed field).
  const expr = out.join(" ")
  return normalizeSpdxExpression(expr)
}

/** True when `text` is a machine-readable Debian copyright file (DEP-5 / copyright-format 1.0). */
export const isDep5 = (text: string): boolean =>
  /^Format(-Specification)?:\s*\S*(copyright-format|dep5|DEP-5)/im.test(text.slice(0, 2000))

/** Parse a DEP-5 debian/copyright file. Null when `text` is not DEP-5. */
export function parseDep5(text: string): Dep5 | null {
  if (!isDep5(text)) return null
  const paragraphs: Array<Map<string, string>> = []
  let cur = new Map<string, string>()
  let lastKey: string | null = null
  for (const raw of text.replace(/\r/g, "").split("\n")) {
    if (raw.trim() === "") {
      if (cur.size) paragraphs.push(cur)
      cur = new Map()
      lastKey = null
      continue
    }
    if (/^\s/.test(raw) && lastKey !== null) {
      const line = raw.trim() === "." ? "" : raw.trim()
      cur.set(lastKey, `${cur.get(lastKey)}\n${line}`)
      continue
    }
    const m = /^([A-Za-z][\w-]*):\s?(.*)$/.exec(raw)
    if (m) {
      lastKey = m[1]!.toLowerCase()
      cur.set(lastKey, m[2]!.trim())
    }
  }
  if (cur.size) paragraphs.push(cur)
  // Full texts by label: stand-alone License paragraphs first, then bodies given inside Files paragraphs.
  const texts = new Map<string, string>()
  for (const inFiles of [false, true]) {
    for (const p of paragraphs) {
      const lic = p.get("license")
      if (lic === undefined || p.has("files") !== inFiles) continue
      const nl = lic.indexOf("\n")
      const key = nl > 0 ? lic.slice(0, nl).trim().toLowerCase() : ""
      if (nl > 0 && !texts.has(key)) texts.set(key, lic.slice(nl + 1))
    }
  }
  const files: Dep5Paragraph[] = []
  let headerLicense: Dep5Paragraph | null = null
  for (const p of paragraphs) {
    const lic = p.get("license")
    if (lic === undefined) continue
    const nl = lic.indexOf("\n")
    const label = (nl === -1 ? lic : lic.slice(0, nl)).trim()
    if (p.has("files")) {
      const globs = p.get("files")!.split(/\s+/).filter((g) => g.length > 0)
      files.push({ files: globs, label, spdx: dep5Expression(label, texts) })
    } else if (p.has("format") || p.has("format-specification")) {
      headerLicense = { files: ["*"], label, spdx: dep5Expression(label, texts) }
    }
  }
  return { files, headerLicense, texts }
}

const globRegex = (glob: string): RegExp =>
  new RegExp(
    "^" +
      glob
        .replace(/^\.\//, "")
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".") +
      "$"
  )

/**
 * The DEP-5 paragraph that governs `path` (the last matching `Files:` paragraph, as the format says).
 * `path` is relative to the source root; for installed layouts (`usr/lib/python3/dist-packages/scipy/x.py`)
 * a pattern with a directory also matches at any directory boundary (`scipy/*`).
 */
export function dep5LicenseFor(dep5: Dep5, path: string): Dep5Paragraph | null {
  const p = path.replace(/\\/g, "/").replace(/^\.?\//, "")
  const suffixes: string[] = [p]
  for (let i = p.indexOf("/"); i !== -1; i = p.indexOf("/", i + 1)) suffixes.push(p.slice(i + 1))
  let found: Dep5Paragraph | null = null
  for (const para of dep5.files) {
    for (const g of para.files) {
      const re = globRegex(g)
      const ok = g.includes("/") ? suffixes.some((s) => re.test(s)) : re.test(p)
      if (ok) {
        found = para
        break
      }
    }
  }
  return found
}

/** The license of the work as a whole from a DEP-5 file: the header's, else the `Files: *` paragraph's. */
export function dep5MainLicense(dep5: Dep5): LicenseMatch {
  const main = dep5.headerLicense ?? dep5.files.find((p) => p.files.includes("*")) ?? null
  if (main === null) return { spdx: null, confidence: 0, method: "dep5", detail: "no Files: * paragraph" }
  if (main.spdx === null) return { spdx: null, confidence: 0, method: "dep5", detail: `unknown Debian label ${main.label.slice(0, 60)}` }
  return { spdx: main.spdx, confidence: 0.95, method: "dep5", detail: `Debian label ${main.label.slice(0, 60)}` }
}

// ---------------------------------------------------------------------------------------------------
// License files

/** LICENSE, LICENCE, COPYING, COPYRIGHT, UNLICENSE (any case, optional suffix like -MIT or .txt) and debian/copyright. */
export function isLicenseFileName(path: string): boolean {
  const p = path.replace(/\\/g, "/")
  const name = p.slice(p.lastIndexOf("/") + 1)
  if (/(^|\/)debian\/copyright$/.test(p) || /(^|\/)usr\/share\/doc\/[^/]+\/copyright$/.test(p)) return true
  return /^(un)?(licen[cs]e|copying|copyright)([-_.][\w.-]*)?$/i.test(name) && !/\.(py|c|h|cc|js|ts|go|rs|java|m|r|jl)$/i.test(name)
}

/**
 * The license a LICENSE/COPYING/COPYRIGHT file (or debian/copyright) states: DEP-5 labels, an SPDX
 * header line, a full license text (similarity), or a short notice ("Licensed under the MIT license").
 */
export function licenseOfLicenseFile(text: string, options: TextMatchOptions = {}): LicenseMatch {
  const dep5 = parseDep5(text)
  if (dep5 !== null) return dep5MainLicense(dep5)
  const header = spdxHeader(text.slice(0, 4096))
  if (header !== null) return { spdx: header, confidence: isKnownSpdxExpression(header) ? 1 : 0.6, method: "spdx-header" }
  const short = text.trim()
  // A file that is just an expression: "MIT", "Apache-2.0", "BSD-3-Clause OR MIT".
  if (short.length < 80 && !short.includes("\n")) {
    const e = normalizeSpdxExpression(short)
    if (e !== null && isKnownSpdxExpression(e)) return { spdx: e, confidence: 0.9, method: "spdx-header", detail: "bare SPDX expression" }
  }
  const m = matchLicenseText(text, options)
  if (m.method === "license-text") return m
  const notice = noticeOf(proseOf(text.slice(0, HEADER_CHARS)))
  if (notice !== null && (m.spdx === null || notice.confidence >= m.confidence)) return notice
  return m
}

/** Text evidence about one license file of a repository. */
export interface LicenseFileResult extends LicenseMatch {
  readonly path: string
}

/**
 * The repository's license from its license files: the shallowest ones decide. Several different
 * licenses at the top (LICENSE-MIT + LICENSE-APACHE) are joined with OR when the file names follow the
 * dual-license convention `LICENSE-<X>`, with AND otherwise. Null spdx when none is recognised.
 */
export function repoLicense(files: ReadonlyArray<{ readonly path: string; readonly text: string }>): LicenseFileResult {
  const cands = files.filter((f) => isLicenseFileName(f.path))
  if (cands.length === 0) return { path: "", spdx: null, confidence: 0, method: "none" }
  const depth = (p: string) => p.replace(/\\/g, "/").replace(/^\.?\//, "").split("/").length
  // debian/copyright describes the whole source tree, like a top-level file.
  const effDepth = (p: string) => (/(^|\/)debian\/copyright$|usr\/share\/doc\/[^/]+\/copyright$/.test(p) ? 1 : depth(p))
  const minDepth = Math.min(...cands.map((f) => effDepth(f.path)))
  const top = cands.filter((f) => effDepth(f.path) === minDepth).sort((a, b) => (a.path < b.path ? -1 : 1))
  const results = top.map((f) => ({ ...licenseOfLicenseFile(f.text), path: f.path }))
  const known = results.filter((r) => r.spdx !== null)
  if (known.length === 0) return results[0]!
  const distinct = [...new Set(known.map((r) => r.spdx!))]
  if (distinct.length === 1) return known.reduce((a, b) => (b.confidence > a.confidence ? b : a))
  const dual = known.every((r) => /licen[cs]e[-_.]/i.test(r.path.slice(r.path.lastIndexOf("/") + 1)))
  const expr = normalizeSpdxExpression(distinct.map((d) => (d.includes(" ") ? `(${d})` : d)).join(dual ? " OR " : " AND "))
  return {
    path: known.map((r) => r.path).join(", "),
    spdx: expr,
    confidence: Math.min(...known.map((r) => r.confidence)),
    method: known[0]!.method,
    detail: dual ? "dual-license files" : "several license files"
  }
}
