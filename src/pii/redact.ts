/**
 * PII redaction for science text, code and simulation summaries: e-mail addresses, phone numbers, IP
 * addresses, payment cards, IBANs, US social security numbers and well-known secret-key formats are
 * replaced by typed placeholders (`<EMAIL>`, `<PHONE>`, ...) and counted.
 *
 * Science text is full of identifiers that look like PII to a naive pattern: ORCIDs (0000-0002-1825-0097
 * reads as a phone number), DOIs, arXiv ids, CAS numbers, accession numbers, EC numbers and section
 * numbers (3.4.15.1 reads as an IPv4 address), dates, versions, and whole tables of numbers. So every
 * detector asks for evidence, not just a digit shape:
 * - EMAIL: local@domain with an alphabetic top-level label; retina image names (`icon@2x.png`) are not
 *   addresses, and addresses at example.com / .example / .test / .invalid / localhost reach nobody.
 * - PHONE: an international number (`+` then 8–15 digits in separated groups), a US number written as
 *   `(555) 123-4567`, `555-123-4567` or `555.123.4567`, or any 7–15-digit number right after a label (Tel, Phone, Fax,
 *   Mobile, Telefon, ...). Unlabelled international numbers written with spaces on a line of numeric data
 *   (a thermo table, a CSV row) are left alone: there they are columns of numbers.
 * - IP_ADDRESS: IPv4 with octets ≤ 255 and no leading zeros, not part of a longer dotted run, not after
 *   "version"/"v"/"EC"/"Table"/"Section"/..., and, when every octet is a single digit (4.2.6.8), only
 *   with network words nearby; IPv6 in full or `::` form with at least one digit. Addresses that identify
 *   nobody (loopback, unspecified, private ranges, link-local, multicast, netmasks, network addresses,
 *   the documentation and special-purpose ranges, CIDR ranges) are kept, as StarCoder keeps private ones.
 * - CREDIT_CARD: 13–19 digits with a card-network prefix and a valid Luhn checksum, in groups of 4
 *   (or Amex 4-6-5) with one kind of separator; an ungrouped run only after a card label; space-separated
 *   groups on a row of numeric data only after a label.
 * - IBAN: country code, check digits and BBAN of that country's exact length, valid mod-97 checksum.
 * - US_SSN: ddd-dd-dddd only after an SSN / social security label, with valid area/group/serial.
 * - SECRET: AWS access key ids, GitHub, Slack and Stripe-style tokens, PEM private key blocks with key material.
 * Before any detector runs, the spans of DOIs, arXiv ids, ORCIDs, ISBN/ISSN and CAS numbers are found,
 * and a candidate overlapping one of them is dropped.
 *
 * Pure and deterministic; each detector is skipped when a cheap pre-check (no '@', no digit, ...) rules it out.
 */

export type PiiType = "EMAIL" | "PHONE" | "IP_ADDRESS" | "CREDIT_CARD" | "IBAN" | "US_SSN" | "SECRET"

export const PII_TYPES: ReadonlyArray<PiiType> = ["EMAIL", "PHONE", "IP_ADDRESS", "CREDIT_CARD", "IBAN", "US_SSN", "SECRET"]

export const placeholderOf = (type: PiiType): string => `<${type}>`

export interface PiiOptions {
  /** The types to redact; all of PII_TYPES by default. */
  readonly types?: ReadonlyArray<PiiType>
}

export interface PiiRedaction {
  readonly text: string
  /** How many of each type were replaced (types with none are absent). */
  readonly counts: Partial<Record<PiiType, number>>
}

/** One identifier found: `text.slice(start, end)` is replaced by the type's placeholder. */
export interface PiiMatch {
  readonly type: PiiType
  readonly start: number
  readonly end: number
}

// ---------------------------------------------------------------------------------------------------
// Protected identifiers: spans no detector may touch.

const PROTECTED: ReadonlyArray<RegExp> = [
  // DOIs, bare or in a doi.org URL: the suffix runs to whitespace or a closing bracket/quote.
  /\b10\.\d{4,9}\/[^\s"'<>{}\]]+/g,
  // arXiv: new style with optional prefix and version, and old style archive/yymmnnn.
  /\b(?:arXiv:\s*)?\d{4}\.\d{4,5}(?:v\d+)?\b/gi,
  /\b[a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?\/\d{7}(?:v\d+)?\b/g,
  // ORCID iDs (also inside orcid.org URLs).
  // (they start with 0, which no payment card does: 4-4-4-4 dashed cards stay detectable).
  /\b0\d{3}-\d{4}-\d{4}-\d{3}[\dX]\b/g,
  // ISBN-13/10 and ISSN when labelled (the bare shapes are covered by the phone rules' own checks).
  /\bISBN(?:-1[03])?:?\s*(?:97[89][\s-]?)?\d{1,5}[\s-]?\d{1,7}[\s-]?\d{1,7}[\s-]?[\dX]\b/gi,
  /\b(?:e?ISSN|ISSN-L)[:\s]*\d{4}-\d{3}[\dX]\b/gi,
  // CAS registry numbers: 2–7 digits, 2 digits, 1 check digit.
  /\b\d{2,7}-\d{2}-\d\b/g,
  // PubMed / PMC ids when labelled (their digits could follow a phone label otherwise).
  /\b(?:PMID|PMCID|PMC)[:\s]*\d{5,9}\b/gi
]

function protectedSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = []
  for (const re of PROTECTED) {
    re.lastIndex = 0
    for (let m = re.exec(text); m !== null; m = re.exec(text)) spans.push([m.index, m.index + m[0].length])
  }
  return spans
}

const overlapsAny = (spans: ReadonlyArray<[number, number]>, start: number, end: number): boolean => {
  for (const [s, e] of spans) if (s < end && start < e) return true
  return false
}

// ---------------------------------------------------------------------------------------------------
// Shared helpers.

const countDigits = (s: string): number => {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) n++
  }
  return n
}

/**
 * Whether the line around `text[start, end)` reads as numeric data (a row of a thermo table, a CSV row,
 * coordinates): besides the candidate itself, at least three numeric tokens and more digits than
 * letters. Unlabelled phone-, card- and IP-shaped runs there are numbers, not identifiers.
 */
function onNumericDataLine(text: string, start: number, end: number): boolean {
  const from = text.lastIndexOf("\n", start - 1) + 1
  const newline = text.indexOf("\n", end)
  const rest = `${text.slice(from, start)} ${text.slice(end, newline === -1 ? text.length : newline)}`
  let digits = 0
  let letters = 0
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i)
    if (c >= 48 && c <= 57) digits++
    else if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) letters++
  }
  if (digits <= letters) return false
  const numbers = rest.match(/[-+]?\d[\d.eE+-]*/g)
  return numbers !== null && numbers.length >= 3
}

/** The `width` characters before `start`, lowercased: where labels are looked for. */
const before = (text: string, start: number, width: number): string => text.slice(Math.max(0, start - width), start).toLowerCase()

// ---------------------------------------------------------------------------------------------------
// Detectors. Each pushes candidates; overlaps are resolved afterwards.

const EMAIL = /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})(?![\w-])/g

const RESERVED_DOMAIN = /(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid|localhost)$/i

function findEmails(text: string, out: PiiMatch[]): void {
  EMAIL.lastIndex = 0
  for (let m = EMAIL.exec(text); m !== null; m = EMAIL.exec(text)) {
    // icon@2x.png, logo@3x.webp: image-density suffixes, not addresses; example.com and the other
    // names reserved for documentation (RFC 2606) reach nobody.
    if (/^\d+x\./i.test(m[1]!) || RESERVED_DOMAIN.test(m[1]!)) continue
    out.push({ type: "EMAIL", start: m.index, end: m.index + m[0].length })
  }
}

const PHONE_LABEL = new RegExp(
  [
    String.raw`\b(?:tel(?:ephone)?|t[ée]l[ée]phone|telefon|phone|fax|telefax|mobile|mob|cell\s?phone|handy|tfn)\b\.?`,
    String.raw`(?:\s*[/&,]\s*(?:fax|tel|phone)\b\.?)?`, // Tel/Fax:
    String.raw`\s*(?:\([A-Za-z ]{1,12}\))?`, // Phone (office):
    String.raw`\s*(?:no\.?|nr\.?|number|#)?\s*[:.]?\s*`,
    String.raw`(\+?\(?\d[\d ().-]{5,22}\d)`
  ].join(""),
  "gi"
)
const INTERNATIONAL = /(?<![\w.+/])\+\d{1,3}(?:[ .-]?\(\d{1,4}\)[ .-]?\d{1,8})?(?:[ .-]\d{1,8}){1,6}(?!\w|\.\d)/g
const US_PAREN = /(?<![\w)])\([2-9]\d{2}\)[ ]?\d{3}[-. ]\d{4}(?![\d-])/g
const US_SEPARATED = /(?<![\w.+-])(?:1([-.]))?[2-9]\d{2}([-.])\d{3}\2\d{4}(?![\w-]|\.\d)/g

function findPhones(text: string, out: PiiMatch[]): void {
  PHONE_LABEL.lastIndex = 0
  for (let m = PHONE_LABEL.exec(text); m !== null; m = PHONE_LABEL.exec(text)) {
    const number = m[1]!.replace(/[ .(-]+$/, "")
    const digits = countDigits(number)
    if (digits < 7 || digits > 15) continue
    const start = m.index + m[0].length - m[1]!.length
    out.push({ type: "PHONE", start, end: start + number.length })
  }
  for (const re of [INTERNATIONAL, US_PAREN, US_SEPARATED]) {
    re.lastIndex = 0
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const end = m.index + m[0].length
      const digits = countDigits(m[0])
      if (digits < (re === INTERNATIONAL ? 8 : 10) || digits > 15) continue
      // +1.12345679 is a signed decimal, not a phone number.
      if (re === INTERNATIONAL && /^\+\d+\.\d+$/.test(m[0])) continue
      // Space-separated digit groups on a row of numbers are more numbers; dashes, dots and
      // parentheses in the US shapes are not how tables write numbers.
      if (re === INTERNATIONAL && / \d/.test(m[0]) && onNumericDataLine(text, m.index, end)) continue
      out.push({ type: "PHONE", start: m.index, end })
    }
  }
}

const IPV4 = /(?<![\w.-])(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\w-]|\.\d)/g
/** Words right before a dotted quad that make it a version, an enzyme or a section number. */
const NOT_AN_ADDRESS_BEFORE = new RegExp(
  String.raw`(?:\bv|\bver\.?|\bversion|\brelease|\brev\.?|\bbuild|\bec|\bec_number="?|\boid|objectidentifier` +
    String.raw`|\btables?|\bsec(?:tion|t)?\.?s?|§|\bfig(?:ure)?s?\.?|\beqs?\.?|\bchapter|\bstep|\bitem|\brule|\bclause` +
    String.raw`|\bart(?:icle)?\.?|\bpart|\bno\.?|\bpara(?:graph)?\.?)\s*[(\[=:"'\x60]*\s*$`
)
const NETWORK_CONTEXT = /\b(?:ip|ipv4|host|server|address|addr|dns|gateway|ping|ssh|client|proxy|router|inet|connect(?:ed|ion)?|from|port)\b/

function keptIpv4(octets: ReadonlyArray<number>): boolean {
  const [a, b, c, d] = octets as [number, number, number, number]
  // Reserved for documentation, special purposes (192.0.0/24), benchmarking (198.18/15), carrier NAT (100.64/10).
  const special =
    (a === 192 && b === 0 && (c === 2 || c === 0)) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113) ||
    (a === 198 && (b === 18 || b === 19)) || (a === 100 && b >= 64 && b <= 127)
  // Loopback, "this network", private ranges, link-local, multicast and reserved (224+), network addresses (.0).
  const local =
    a === 127 || a === 0 || a === 10 || a >= 224 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254)
  return local || special || d === 0
}

const H = "[0-9a-f]{1,4}"
/** The full form and the `::` compressions of RFC 4291 (without an embedded IPv4 tail). */
const IPV6 = new RegExp(
  String.raw`(?<![\w:.])(?:` +
    [
      `(?:${H}:){7}${H}`,
      `(?:${H}:){1,7}:`,
      `(?:${H}:){1,6}:${H}`,
      `(?:${H}:){1,5}(?::${H}){1,2}`,
      `(?:${H}:){1,4}(?::${H}){1,3}`,
      `(?:${H}:){1,3}(?::${H}){1,4}`,
      `(?:${H}:){1,2}(?::${H}){1,5}`,
      `${H}:(?::${H}){1,6}`,
      `:(?::${H}){1,7}`
    ].join("|") +
    String.raw`)(?![\w:]|\.\d)`,
  "gi"
)

function findIpAddresses(text: string, out: PiiMatch[], hasColon: boolean): void {
  IPV4.lastIndex = 0
  for (let m = IPV4.exec(text); m !== null; m = IPV4.exec(text)) {
    const octets = m[0].split(".").map(Number)
    const end = m.index + m[0].length
    // A range in CIDR notation (100.64.0.0/10) is a network, not a host.
    if (keptIpv4(octets) || /^\/\d/.test(text.slice(end, end + 2))) continue
    const prefix = before(text, m.index, 24)
    if (NOT_AN_ADDRESS_BEFORE.test(prefix)) continue
    const context = `${before(text, m.index, 60)} ${text.slice(end, end + 30).toLowerCase()}`
    const networky = NETWORK_CONTEXT.test(context)
    // 4.2.6.8 is a section, table or EC number far more often than an address.
    if (!networky && m[0].length === 7) continue
    if (!networky && onNumericDataLine(text, m.index, end)) continue
    out.push({ type: "IP_ADDRESS", start: m.index, end })
  }
  if (!hasColon) return
  IPV6.lastIndex = 0
  for (let m = IPV6.exec(text); m !== null; m = IPV6.exec(text)) {
    const s = m[0]
    // Needs a digit and, when compressed, three groups one of which has 3+ hex digits: keeps `std::`
    // code, `a::b` paths and Python slices (`x[1::2]`) out.
    if (!/\d/.test(s)) continue
    const groups = s.split(":").filter((g) => g.length > 0)
    if (s.includes("::") ? groups.length < 3 || !groups.some((g) => g.length >= 3) : groups.length !== 8) continue
    // fe80::/10 link-local, ::1 and the documentation prefix 2001:db8::/32 identify nobody.
    // Netmasks (ffff:...) and ranges in CIDR notation (64:ff9b::/96) are not hosts either.
    const end = m.index + s.length
    if (/^fe[89ab]/i.test(s) || s === "::1" || /^2001:0?db8:/i.test(s) || /^ffff:/i.test(s) || /^\/\d/.test(text.slice(end, end + 2))) continue
    out.push({ type: "IP_ADDRESS", start: m.index, end })
  }
}

function luhnValid(digits: string): boolean {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return sum % 10 === 0
}

/** Issuer prefixes and lengths: Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro. */
function cardNetwork(digits: string): boolean {
  const n = digits.length
  const p2 = Number(digits.slice(0, 2))
  const p4 = Number(digits.slice(0, 4))
  if (digits[0] === "4") return n === 13 || n === 16 || n === 19
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16
  if (p2 === 34 || p2 === 37) return n === 15
  if (p4 === 6011 || p2 === 65 || (p4 >= 6440 && p4 <= 6499)) return n >= 16 && n <= 19
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19
  if (p2 === 36 || p2 === 38 || (p4 >= 3000 && p4 <= 3059)) return n >= 14 && n <= 19
  if (p2 === 62) return n >= 16 && n <= 19
  if (p2 === 50 || (p2 >= 56 && p2 <= 69)) return n >= 12 && n <= 19
  return false
}

const CARD_GROUPED = /(?<![\w.-])(?:\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{4}([ -])\d{6}\2\d{5})(?![\w]|[.-]\d)/g
const CARD_BARE = /(?<![\w.-])\d{13,19}(?![\w]|[.-]\d)/g
const CARD_LABEL = /\b(?:card|credit|debit|visa|mastercard|amex|american express|discover|cc(?:num)?|pan)\b/

function findCards(text: string, out: PiiMatch[]): void {
  for (const re of [CARD_GROUPED, CARD_BARE]) {
    re.lastIndex = 0
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const digits = m[0].replace(/[ -]/g, "")
      if (!cardNetwork(digits) || !luhnValid(digits)) continue
      const end = m.index + m[0].length
      const labelled = CARD_LABEL.test(before(text, m.index, 40))
      if (!labelled && (re === CARD_BARE || (m[0].includes(" ") && onNumericDataLine(text, m.index, end)))) continue
      out.push({ type: "CREDIT_CARD", start: m.index, end })
    }
  }
}

/** IBAN lengths per country (ISO 13616 registry). */
const IBAN_LENGTH: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28, CZ: 24,
  DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28,
  HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20,
  LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29,
  RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26, UA: 29, VA: 22,
  VG: 24, XK: 20
}

const IBAN = /(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![\w])/g

function ibanValid(compact: string): boolean {
  if (IBAN_LENGTH[compact.slice(0, 2)] !== compact.length) return false
  const rearranged = compact.slice(4) + compact.slice(0, 4)
  let remainder = 0
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i)
    const value = c <= 57 ? c - 48 : c - 55
    remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97
  }
  return remainder === 1
}

function findIbans(text: string, out: PiiMatch[]): void {
  IBAN.lastIndex = 0
  for (let m = IBAN.exec(text); m !== null; m = IBAN.exec(text)) {
    if (!ibanValid(m[0].replace(/ /g, ""))) continue
    out.push({ type: "IBAN", start: m.index, end: m.index + m[0].length })
  }
}

const SSN = /\b(?:ssn|social security(?: number| no\.?| #)?)\b\s*(?:#|no\.?|number)?\s*[:.]?\s*(\d{3}-\d{2}-\d{4})(?![\w-])/gi

function findSsns(text: string, out: PiiMatch[]): void {
  SSN.lastIndex = 0
  for (let m = SSN.exec(text); m !== null; m = SSN.exec(text)) {
    const ssn = m[1]!
    const [area, group, serial] = ssn.split("-") as [string, string, string]
    if (area === "000" || area === "666" || area[0] === "9" || group === "00" || serial === "0000") continue
    const start = m.index + m[0].length - ssn.length
    out.push({ type: "US_SSN", start, end: start + ssn.length })
  }
}

const SECRETS: ReadonlyArray<RegExp> = [
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g,
  /\b[sr]k_live_[A-Za-z0-9]{16,}\b/g,
  // A whole PEM block with key material in it (not the bare BEGIN/END markers a parser names as constants).
  /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----(?:[\s"]*(?:[A-Za-z-]+: [^\n]*\n)*)[\s"]*[A-Za-z0-9+/=\s\\n]{40,}?-----END (?:[A-Z]+ )?PRIVATE KEY-----/g
]

function findSecrets(text: string, out: PiiMatch[]): void {
  for (const re of SECRETS) {
    re.lastIndex = 0
    for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push({ type: "SECRET", start: m.index, end: m.index + m[0].length })
  }
}

// ---------------------------------------------------------------------------------------------------

/**
 * The identifiers `redactPii` would replace, in text order, without overlaps (on overlap the earlier
 * start wins, then the longer span): the lead's quality report and the tests read these.
 */
export function findPii(text: string, options: PiiOptions = {}): PiiMatch[] {
  const types = new Set(options.types ?? PII_TYPES)
  const hasAt = text.includes("@")
  const hasDigit = /\d/.test(text)
  if (!hasAt && !hasDigit && !text.includes("-----BEGIN") && !/xox|gh[pousr]_|_pat_/.test(text)) return []
  const candidates: PiiMatch[] = []
  if (hasAt && types.has("EMAIL")) findEmails(text, candidates)
  if (hasDigit) {
    if (types.has("PHONE")) findPhones(text, candidates)
    if (types.has("IP_ADDRESS") && (text.includes(".") || text.includes(":"))) findIpAddresses(text, candidates, text.includes(":"))
    if (types.has("CREDIT_CARD")) findCards(text, candidates)
    if (types.has("IBAN")) findIbans(text, candidates)
    if (types.has("US_SSN") && /ssn|social security/i.test(text)) findSsns(text, candidates)
  }
  if (types.has("SECRET")) findSecrets(text, candidates)
  if (candidates.length === 0) return []
  const shielded = protectedSpans(text)
  candidates.sort((a, b) => a.start - b.start || b.end - a.end)
  const accepted: PiiMatch[] = []
  let reached = 0
  for (const c of candidates) {
    if (c.start < reached) continue
    // An e-mail is never part of a DOI or an arXiv id; the numeric types can be.
    if (c.type !== "EMAIL" && c.type !== "SECRET" && overlapsAny(shielded, c.start, c.end)) continue
    accepted.push(c)
    reached = c.end
  }
  return accepted
}

/** `text` with each identifier `findPii` finds replaced by its type's placeholder, and the counts per type. */
export function redactPii(text: string, options: PiiOptions = {}): PiiRedaction {
  const matches = findPii(text, options)
  if (matches.length === 0) return { text, counts: {} }
  const counts: Partial<Record<PiiType, number>> = {}
  const parts: string[] = []
  let at = 0
  for (const m of matches) {
    parts.push(text.slice(at, m.start), placeholderOf(m.type))
    counts[m.type] = (counts[m.type] ?? 0) + 1
    at = m.end
  }
  parts.push(text.slice(at))
  return { text: parts.join(""), counts }
}
