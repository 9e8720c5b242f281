/**
 * PII redaction (src/pii/redact.ts): recall on identifiers the test builds and plants into real
 * abstracts of the shared corpus (each must be replaced, with the right type, and nothing else in the
 * abstract touched), precision on a list of science look-alikes (DOIs, arXiv ids, ORCIDs, CAS and
 * accession numbers, versions, EC and section numbers, coordinates, dates, numeric tables), and the judge.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { splitmix32 } from "../../src/dedup/minhash/signature.ts"
import { benchPii } from "../../src/pii/bench.ts"
import { judgePii, piiNotes } from "../../src/pii/judge.ts"
import { findPii, placeholderOf, redactPii, type PiiType } from "../../src/pii/redact.ts"
import type { QualityDocument } from "../../src/quality/document.ts"
import { corpusDir, hasCorpus } from "../helpers.ts"

// ---- identifiers built by the test ------------------------------------------------------------

type Draw = () => number
const pick = <T>(rand: Draw, list: ReadonlyArray<T>): T => list[rand() % list.length]!
const digits = (rand: Draw, n: number): string => Array.from({ length: n }, () => String(rand() % 10)).join("")

function luhnComplete(partial: string): string {
  for (let check = 0; check < 10; check++) {
    const s = partial + check
    let sum = 0
    for (let i = 0; i < s.length; i++) {
      let d = Number(s[s.length - 1 - i])
      if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2
      sum += d
    }
    if (sum % 10 === 0) return s
  }
  throw new Error("unreachable")
}

function ibanOf(country: string, bban: string): string {
  const numeric = (bban + country + "00").replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55))
  let r = 0n
  r = BigInt(numeric) % 97n
  const check = String(98n - r).padStart(2, "0")
  return `${country}${check}${bban}`
}

const NAMES = ["j.smith", "maria.garcia", "wei_zhang", "a.n.other+lab", "Petra.Novak", "o.brien-k", "li.na", "s1234567"]
const DOMAINS = ["uni-heidelberg.de", "chem.ox.ac.uk", "mit.edu", "gmail.com", "cnrs.fr", "lbl.gov", "fis.cinvestav.mx", "riken.jp"]

function email(rand: Draw): string {
  return `${pick(rand, NAMES)}${rand() % 3 === 0 ? rand() % 100 : ""}@${pick(rand, DOMAINS)}`
}

function phone(rand: Draw): { text: string; lead: string } {
  const d = (n: number) => digits(rand, n)
  const area = () => `${2 + (rand() % 8)}${d(2)}`
  const forms: Array<() => { text: string; lead: string }> = [
    () => ({ text: `+44 20 ${d(4)} ${d(4)}`, lead: "For questions call " }),
    () => ({ text: `+1 (${area()}) ${d(3)}-${d(4)}`, lead: "Contact: " }),
    () => ({ text: `+33 1 ${d(2)} ${d(2)} ${d(2)} ${d(2)}`, lead: "Secrétariat " }),
    () => ({ text: `+49 30 ${d(6)}`, lead: "Corresponding author, " }),
    () => ({ text: `+81-3-${d(4)}-${d(4)}`, lead: "Office: " }),
    () => ({ text: `+86 10 ${d(4)} ${d(4)}`, lead: "Reach the lab at " }),
    () => ({ text: `(${area()}) ${d(3)}-${d(4)}`, lead: "Questions: " }),
    () => ({ text: `${area()}-${d(3)}-${d(4)}`, lead: "Helpline " }),
    () => ({ text: `${area()}.${d(3)}.${d(4)}`, lead: "or calling " }),
    () => ({ text: `030 ${d(3)} ${d(4)}`, lead: "Tel.: " }),
    () => ({ text: `0${d(3)} ${d(6)}`, lead: "Fax: " }),
    () => ({ text: `0${d(2)}-${d(7)}`, lead: "Phone: " }),
    () => ({ text: `07${d(3)} ${d(6)}`, lead: "Mobile " }),
    () => ({ text: `+39 06 ${d(8)}`, lead: "Telefon: " }),
    () => ({ text: `+44 (0)20 ${d(4)} ${d(4)}`, lead: "Enquiries " }),
    () => ({ text: `+1-${area()}-${d(3)}-${d(4)}`, lead: "Dial " }),
    () => ({ text: `+31.20.${d(3)}.${d(4)}`, lead: "Secretariat: " }),
    () => ({ text: `(0${d(2)}) ${d(4)} ${d(4)}`, lead: "tel " }),
    () => ({ text: `+7 495 ${d(3)}-${d(2)}-${d(2)}`, lead: "Moscow office " })
  ]
  return pick(rand, forms)()
}

function ipAddress(rand: Draw): string {
  if (rand() % 3 === 0) {
    const groups = Array.from({ length: 8 }, () => (rand() % 65536).toString(16))
    groups[0] = "2001"
    // Half in compressed form.
    return rand() % 2 === 0 ? groups.join(":") : `2a02:8071:${groups[2]}::${groups[7]}`
  }
  // Public first octets (not 0, 10, 127, 169, 172, 192, 255), two-digit or more.
  const first = pick(rand, [23, 34, 45, 66, 81, 93, 104, 130, 141, 151, 185, 203, 212])
  return `${first}.${rand() % 256}.${rand() % 256}.${1 + (rand() % 254)}`
}

function card(rand: Draw): string {
  const kind = rand() % 3
  if (kind === 0) {
    const n = luhnComplete(`4${digits(rand, 14)}`)
    return n.match(/.{4}/g)!.join(" ")
  }
  if (kind === 1) {
    const n = luhnComplete(`5${1 + (rand() % 5)}${digits(rand, 13)}`)
    return n.match(/.{4}/g)!.join("-")
  }
  const n = luhnComplete(`37${digits(rand, 12)}`)
  return `${n.slice(0, 4)} ${n.slice(4, 10)} ${n.slice(10)}`
}

function iban(rand: Draw): string {
  const country = pick(rand, ["DE", "GB", "FR", "NL"])
  const bban =
    country === "DE" ? digits(rand, 18) : country === "GB" ? `NWBK${digits(rand, 14)}` : country === "FR" ? digits(rand, 23) : `ABNA${digits(rand, 10)}`
  const compact = ibanOf(country, bban)
  return rand() % 2 === 0 ? compact : compact.match(/.{1,4}/g)!.join(" ")
}

function ssn(rand: Draw): string {
  return `${100 + (rand() % 500)}-${10 + (rand() % 89)}-${1000 + (rand() % 8999)}`
}

interface Planted {
  readonly type: PiiType
  readonly value: string
  readonly lead: string
}

function planted(rand: Draw, i: number): Planted {
  switch (i % 7) {
    case 0:
      return { type: "EMAIL", value: email(rand), lead: pick(rand, ["E-mail: ", "Correspondence to ", "contact ", "\\email{"]) }
    case 1:
    case 2: {
      const p = phone(rand)
      return { type: "PHONE", value: p.text, lead: p.lead }
    }
    case 3:
      return { type: "IP_ADDRESS", value: ipAddress(rand), lead: pick(rand, ["The server at ", "Requests came from ", "Served from host ", "mirror "]) }
    case 4:
      return { type: "CREDIT_CARD", value: card(rand), lead: pick(rand, ["Card number ", "Payment with ", "Visa ", "charged to "]) }
    case 5:
      return { type: "IBAN", value: iban(rand), lead: pick(rand, ["IBAN ", "Bank account: ", "Transfer fees to "]) }
    default:
      return { type: "US_SSN", value: ssn(rand), lead: pick(rand, ["SSN: ", "Social Security Number ", "ssn "]) }
  }
}

/** An abstract with `p` inserted as its own sentence after the first sentence; where `p.value` starts. */
function plantInto(abstract: string, p: Planted): { text: string; at: number } {
  const cut = abstract.indexOf(". ") > 0 ? abstract.indexOf(". ") + 2 : abstract.length
  const head = `${abstract.slice(0, cut)}${cut === abstract.length ? " " : ""}${p.lead}`
  const tail = p.lead.endsWith("{") ? "}. " : ". "
  return { text: `${head}${p.value}${tail}${abstract.slice(cut)}`, at: head.length }
}

function readAbstracts(): string[] {
  const dir = path.join(corpusDir, "text")
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .sort()
    .flatMap((f) =>
      fs
        .readFileSync(path.join(dir, f), "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => (JSON.parse(l) as { text: string }).text)
    )
}

describe.skipIf(!hasCorpus)("recall on identifiers planted into real abstracts", () => {
  it("replaces at least 95% of them, each with its own type, and nothing else", () => {
    const abstracts = readAbstracts()
    const rand = splitmix32(15)
    const perType = new Map<PiiType, { planted: number; found: number }>()
    const misses: string[] = []
    const extras: string[] = []
    const TRIALS = 1400
    for (let i = 0; i < TRIALS; i++) {
      const abstract = abstracts[(i * 7919) % abstracts.length]!
      const p = planted(rand, i)
      const { text, at } = plantInto(abstract, p)
      const stat = perType.get(p.type) ?? { planted: 0, found: 0 }
      perType.set(p.type, stat)
      stat.planted++
      const matches = findPii(text)
      const hit = matches.find((m) => m.start === at && m.end === at + p.value.length && m.type === p.type)
      if (hit) stat.found++
      else misses.push(`${p.type} ${JSON.stringify(p.lead + p.value)} → ${JSON.stringify(matches.map((m) => [m.type, text.slice(m.start, m.end)]))}`)
      for (const m of matches) if (m !== hit && !(m.start < at + p.value.length && at < m.end)) extras.push(`${m.type} ${text.slice(m.start, m.end)}`)
      // The redacted text is the abstract with the placeholder where the identifier was.
      if (hit) expect(redactPii(text).text).toBe(text.slice(0, at) + placeholderOf(p.type) + text.slice(at + p.value.length))
    }
    const table = [...perType].map(([type, s]) => `${type} ${s.found}/${s.planted}`).join(", ")
    console.log(`[pii recall] ${table}; misses: ${misses.length}${misses.length > 0 ? `\n  ${misses.slice(0, 20).join("\n  ")}` : ""}`)
    for (const [type, s] of perType) expect(s.found / s.planted, `${type} recall`).toBeGreaterThanOrEqual(0.95)
    // The abstracts themselves carry no identifier: anything else found is a false positive.
    expect(extras).toEqual([])
  })

  it("finds contacts in a CSV row when they are written as contacts (dashes, @), not as columns of numbers", () => {
    expect(redactPii("name,phone,email,room\nAna Lima,555-123-4567,ana.lima@usp.br,204").text).toBe("name,phone,email,room\nAna Lima,<PHONE>,<EMAIL>,204")
  })

  it("replaces well-known secret-key formats in code", () => {
    const code = [
      'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"',
      `token = "ghp_${"a1B2c3D4e5".repeat(4).slice(0, 36)}"`,
      "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq4DpJ0xS1wVu3gFf8KqHq9Zk2Ue0m1p7Rr8WcJ1vN3yZxq\nb4kT2rJpQw==\n-----END RSA PRIVATE KEY-----",
      "# author: Ana Lima <ana.lima@usp.br>"
    ].join("\n")
    const { text, counts } = redactPii(code)
    expect(counts).toEqual({ SECRET: 3, EMAIL: 1 })
    expect(text).toBe(['AWS_ACCESS_KEY_ID = "<SECRET>"', 'token = "<SECRET>"', "<SECRET>", "# author: Ana Lima <<EMAIL>>"].join("\n"))
  })

  it("the bench's documents are redacted exactly where it planted identifiers (2 per planted document)", () => {
    const [bare, redact] = benchPii({ abstractsDir: path.join(corpusDir, "text"), documents: 3000, plantEvery: 50 })
    expect(bare!.step).toBe("bare read")
    expect(redact).toMatchObject({ step: "redact", documents: 3000, planted: 60, replaced: 120 })
  })

  it("only the requested types are replaced", () => {
    const text = "Write to ana.lima@usp.br or call +55 11 3091 2000 from 81.2.69.160."
    expect(redactPii(text, { types: ["EMAIL"] })).toEqual({ text: "Write to <EMAIL> or call +55 11 3091 2000 from 81.2.69.160.", counts: { EMAIL: 1 } })
    expect(redactPii(text).counts).toEqual({ EMAIL: 1, PHONE: 1, IP_ADDRESS: 1 })
  })
})

// ---- precision: look-alikes that must come through untouched -------------------------------------

const LOOK_ALIKES: ReadonlyArray<string> = [
  // DOIs, bare, prefixed and as URLs
  "See 10.1021/ja00051a040 and doi:10.1088/1475-7516/2008/10/003 for details.",
  "Available at https://doi.org/10.1038/s41598-021-81369-3 and http://dx.doi.org/10.1109/MCSE.2011.37.",
  "doi = {10.1007/s00221-003-1674-3}, doi={10.1002/(SICI)1097-0258(19980430)17:8<857::AID-SIM777>3.0.CO;2-E}",
  // arXiv
  "Preprint arXiv:0807.3577v2, arXiv:2101.00001 and the older hep-th/9901001 and math.GT/0309136.",
  "The code accompanies 2101.00001 (see also 1706.03762v5).",
  // ORCID (shaped like a phone number) and the ORCID URL
  "Efrem Braun (ORCID 0000-0002-1825-0097), https://orcid.org/0000-0001-5379-7031, \\author[0000-0002-9599-310X]{E. J. Tollerud}",
  // PubMed, PMC
  "PMID: 21645374; PMCID: PMC7814029; PMID 12345678.",
  // accession numbers
  "GenBank NC_000913.3 and NC_005816.1, UniProt P69905 and Q9H0H5, PDB 1ABC and 2HHB, RefSeq NM_000518.5, SRA SRR1234567.",
  // CAS numbers
  "Water (CAS 7732-18-5), ethanol 64-17-5, benzene 71-43-2 and caffeine 58-08-2.",
  // ISBN / ISSN
  "ISBN 978-3-16-148410-0, ISBN-10: 0-306-40615-2, ISSN 0028-0836, eISSN 1476-4687.",
  // dates and times
  "Received 2021-03-15, revised 15.03.2021, accepted 03/15/2021 at 16:35:10 +0000 (Wed, 29 Jan 2014).",
  // versions, EC numbers, sections, tables, IP-shaped numbers that are not addresses
  "We used version 1.2.3.4 of the code, v2.10.3.1 of the library and release 4.0.1.12.",
  "Angiotensin-converting enzyme (EC 3.4.15.1) and pectin methylesterase (EC 3.1.1.11); /EC_number=\"3.4.23.48\"",
  "International Tables Vol C Tables 4.2.6.8 and 6.1.1.4; see Section 2.3.1.4 and Fig. 3.1.2.1.",
  "Loopback 127.0.0.1, any 0.0.0.0, netmask 255.255.255.0, private 192.168.1.10 and 10.0.0.1, documentation 203.0.113.7 and 2001:db8::1.",
  "Versions in process.versions: v8: '11.3.244.8-node.9'; mail user@example.com or admin@test.example.",
  "Networks 100.64.0.0/10, 224.0.0.0/4, 81.2.69.0/24 and 81.2.69.0; netmask ffff:ffff:ffff:ffff::; 64:ff9b:1::/48; multicast 239.255.0.1.",
  'SUBJECT_KEY_IDENTIFIER = ObjectIdentifier("2.5.29.14"); OID 1.3.6.1; the HTML5 spec sections "8.2.4.44 Bogus comment state"',
  '_SK_START = b"-----BEGIN OPENSSH PRIVATE KEY-----"\n_SK_END = b"-----END OPENSSH PRIVATE KEY-----"',
  // coordinates
  "The station sits at 45.4215° N, 75.6972° W; the atom at (12.345, -67.890, 101.112) Å.",
  // scientific notation and signed numbers
  "k = 6.022e+23 mol^-1, kB = 1.380649e-23 J/K, changes of +1.2% vs +9.2%, -0.82, +0.88, r=+1.",
  "array([+1.        +1.j, +1.12345679+1.12345679j]), [-12.5 +4.0614962j, 0. +0.j], 1.79769313e+308 +0.00000000e+000j",
  // grant numbers
  "Supported by NIH R01 GM123456, NSF CHE-1800000, ERC grant 850000 and DFG project 390540038.",
  // times and code that look like IPv6
  "at 12:30:45 on 2002-01-01 00:00:00+00:00; std::vector<int> and a::b in C++; ratio 1:2:3; Python x[1::2], a[::3], d[2::3][e[10::6]]",
  // non-addresses with @
  "Load icon@2x.png and logo@3x.webp; install @types/node and lodash@4.17.21; @article{key, ...",
  // free-text phone words without numbers, and short numbers after them
  "Participants were contacted by phone after 2 weeks; mobile devices with 367 ms latency; call 911 upon onset.",
  // a LAMMPS thermo table whose rows have IP-, phone- and card-shaped columns
  [
    "Step Temp E_pair E_mol TotEng Press",
    "       0          300   -6.7733681            0   -6.2743172   -3.8301454",
    "    4539 1488 0343 6467  -5.3212 0 -4.1 201.3",
    "    1000    1.6758903   -4.7955425            0   -2.2823355    5.6706234",
    "  12 192.168.250 23 415 555 1234 86 10 6552 9988"
  ].join("\n"),
  // a Gaussian coordinate block and a CSV of measurements
  [
    " Center     Atomic      Atomic             Coordinates (Angstroms)",
    "      1          6           0        0.000000    0.000000    0.000000",
    "      2          1           0        0.000000    0.000000    1.089000",
    "time,x,y,z,id",
    "0.1,203.0.113,77,104.21.3.4",
    "2019,4111 1111 1111 1111,0.5,12",
    "5,+86 10 6552 9988,7,8"
  ].join("\n")
]

describe("precision on science look-alikes", () => {
  it.each(LOOK_ALIKES.map((text) => [text.slice(0, 60), text]))("leaves %s… untouched", (_label, text) => {
    const found = findPii(text).map((m) => `${m.type}: ${text.slice(m.start, m.end)}`)
    expect(found).toEqual([])
    expect(redactPii(text)).toEqual({ text, counts: {} })
  })
})

// ---- the judge -----------------------------------------------------------------------------------

const doc = (text: string): QualityDocument => ({
  id: "d",
  text,
  kind: "paper",
  format: "pdf",
  source_path: "p.pdf",
  source_index: 0,
  title: null,
  metadata: "{}",
  bundle: null
})

describe("judgePii", () => {
  it("keeps every document, returning the redacted text and counts only when something was replaced", () => {
    const judge = judgePii({})
    const text = "Correspondence: Mohammad A. Rashid, Tel.: 880-2-8612069, E-mail: rashidma@univdhaka.edu (ORCID 0000-0002-1825-0097)."
    expect(judge(doc(text))).toEqual({
      keep: true,
      text: "Correspondence: Mohammad A. Rashid, Tel.: <PHONE>, E-mail: <EMAIL> (ORCID 0000-0002-1825-0097).",
      facts: { pii: { PHONE: 1, EMAIL: 1 } }
    })
    expect(piiNotes(judge(doc(text)))).toEqual({ "pii:PHONE": 1, "pii:EMAIL": 1 })
    expect(judge(doc("No identifiers here, only 10.1021/ja00051a040."))).toEqual({ keep: true })
    expect(piiNotes({ keep: true })).toBeNull()
    expect(judgePii({ types: ["PHONE"] })(doc(text))).toMatchObject({ keep: true, facts: { pii: { PHONE: 1 } } })
  })
})
