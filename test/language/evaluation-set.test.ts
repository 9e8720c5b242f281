/**
 * The manual-page evaluation set's pure parts (src/language/evaluation-set.ts): roff to prose, word spans,
 * label-noise filtering and the seeded choice of samples; then, when Debian's translated manual pages are
 * installed, the set built from them: deterministic, labelled, of the promised lengths.
 */
import { describe, expect, it } from "vitest"
import {
  MANPAGE_PACKAGES, countWords, cutSamples, installedLocales, isProse, labelledParagraphs, looksEnglish, manPageParagraphs,
  normalizeParagraph, readManpageEvaluationSet, unescapeRoff, wordSpans, DEFAULT_READ, type ManPage
} from "../../src/language/evaluation-set.ts"
import { requirePresent } from "../helpers.ts"

// The head of Debian's German ls(1) (manpages-de, po4a output of help2man), and a Pod::Man page's accents.
const GERMAN_LS = String.raw`.\" -*- coding: UTF-8 -*-
.TH LS 1 "September 2022" "GNU coreutils 9.1" "Dienstprogramme für Benutzer"
.SH BEZEICHNUNG
ls \- Verzeichnisinhalte auflisten
.SH ÜBERSICHT
\fBls\fP [\fI\,OPTION\/\fP]… [\fI\,DATEI\/\fP]…
.SH BESCHREIBUNG
.\" Add any additional description here
.PP
Auflistung von Informationen über die DATEIen (Standardvorgabe ist das
aktuelle Verzeichnis). Die Einträge werden alphabetisch sortiert, falls
weder \fB\-cftuvSUX\fP noch \fB\-\-sort\fP angegeben wurden.
.TP 
\fB\-a\fP, \fB\-\-all\fP
Einträge nicht ignorieren, die mit ».« beginnen
.nf
ls \-l /usr/bin | sort \-k5
.fi
.TS
l l.
a	b
.TE
.SH BEISPIEL
.B Mit der Option
\-l werden
.BR Dateien ", Größen und Rechte"
angezeigt.`

describe("roff to prose", () => {
  it("resolves fonts, dashes, named glyphs and groff's composite accents", () => {
    expect(unescapeRoff(String.raw`\fBls\fP \-l \(em \(lqja\(rq`)).toBe("ls -l — “ja”")
    expect(unescapeRoff(String.raw`Anv\(:and s\(:akerhet p\(oa \(oatkomst`)).toBe("Använd säkerhet på åtkomst")
    expect(unescapeRoff(String.raw`caf\['e] \[u00E9]t\('e Stra\(sse`)).toBe("café été Straße")
    expect(unescapeRoff(String.raw`text \" a comment`)).toBe("text ")
  })

  it("keeps filled paragraphs and drops name, synopsis, option tags, no-fill blocks and tables", () => {
    const paragraphs = manPageParagraphs(GERMAN_LS)
    expect(paragraphs).toEqual([
      "Auflistung von Informationen über die DATEIen (Standardvorgabe ist das aktuelle Verzeichnis). Die Einträge werden alphabetisch sortiert, falls weder -cftuvSUX noch --sort angegeben wurden.",
      "Einträge nicht ignorieren, die mit ».« beginnen",
      "Mit der Option -l werden Dateien, Größen und Rechte angezeigt."
    ])
    expect(paragraphs.join(" ")).not.toMatch(/sort -k5|BEZEICHNUNG|Verzeichnisinhalte auflisten|\\f/)
  })
})

describe("words and prose", () => {
  it("counts whitespace words, and two CJK characters as one word", () => {
    expect(countWords("Die Einträge werden sortiert")).toBe(4)
    const spans = wordSpans("表示不可能な文字 ls")
    expect(spans.length / 2).toBe(5) // 表示 不可 能な 文字 ls
    expect(countWords("ctime でソートし")).toBe(4) // ctime, でソ, ート, し
  })

  it("tells prose from option lists and command lines", () => {
    expect(isProse("Die Einträge werden alphabetisch sortiert, falls weder die eine noch die andere Option angegeben wurde.")).toBe(true)
    expect(isProse("-iuclc -ixany -imaxbel -xcase min 1 time 0 cread -ignbrk brkint -inlcr")).toBe(false)
    expect(isProse("ls -l | sort -k5 > /tmp/out; echo $? && cat /etc/passwd")).toBe(false)
    expect(isProse("zu kurz")).toBe(false)
  })

  it("spots passages left in English inside a translation", () => {
    expect(looksEnglish("If a sigspec is EXIT (0) the command arg is executed on exit from the shell.")).toBe(true)
    expect(looksEnglish("Die obligatorischen Argumente für Optionen sind für deren Kurz- und Langform gleich.")).toBe(false)
    expect(looksEnglish("Les arguments obligatoires pour les options longues le sont aussi pour les options courtes.")).toBe(false)
    expect(looksEnglish("De verplichte argumenten voor lange opties zijn ook verplicht voor korte opties, als het is.")).toBe(false)
    const english = new Set([normalizeParagraph("List information about the FILEs (the current directory by default).")])
    const kept = labelledParagraphs("de", [
      "List information about the FILEs (the current directory by default).",
      "Auflistung von Informationen über die DATEIen (Standardvorgabe ist das aktuelle Verzeichnis)."
    ], english)
    expect(kept).toEqual(["Auflistung von Informationen über die DATEIen (Standardvorgabe ist das aktuelle Verzeichnis)."])
  })
})

describe("cutSamples", () => {
  const sentence = (page: string, i: number): string =>
    `Absatz ${i} der Seite ${page} beschreibt ausführlich, wie das Programm seine Eingaben liest und welche Ausgaben es erzeugt, ohne Beispiele.`
  const pages: ManPage[] = ["man1/a.1", "man1/b.1", "man8/c.8"].map((name) => ({
    language: "de",
    name,
    paragraphs: Array.from({ length: 40 }, (_, i) => sentence(name, i))
  }))

  it("is deterministic for a seed, differs across seeds, and never mixes two pages in one sample", () => {
    const options = { seed: 15, perLanguage: 10, lengths: [20, 200] }
    const a = cutSamples(pages, options)
    expect(cutSamples(pages, options)).toEqual(a)
    expect(cutSamples(pages, { ...options, seed: 16 }).map((s) => s.id)).not.toEqual(a.map((s) => s.id))
    expect(a.filter((s) => s.words === 20)).toHaveLength(10)
    expect(a.filter((s) => s.words === 200)).toHaveLength(10)
    for (const s of a) {
      expect(countWords(s.text)).toBe(s.words)
      const page = /Seite (\S+) /.exec(s.text)![1]!
      expect(s.id.startsWith(`de/${page}#${s.words}:`)).toBe(true)
      expect(s.text).not.toMatch(new RegExp(`Seite (?!${page.replace(/\./g, "\\.")} )`))
    }
  })

  it("keeps a paragraph repeated across pages once (translator credits, licence notes)", () => {
    const credit = "Diese Übersetzung ist Freie Dokumentation; lesen Sie die Lizenz für die Bedingungen der Weitergabe genau."
    const repeated: ManPage[] = ["man1/a.1", "man1/b.1"].map((name) => ({ language: "de", name, paragraphs: [credit, credit] }))
    const samples = cutSamples(repeated, { seed: 1, perLanguage: 100, lengths: [6] })
    expect(samples.map((s) => s.id)).toEqual(["de/man1/a.1#6:0", "de/man1/a.1#6:1"])
  })
})

const locales = installedLocales()
const hasManpages = requirePresent(
  `Debian's translated manual pages (apt-get install ${MANPAGE_PACKAGES.join(" ")})`,
  locales.length >= 3 && locales.includes("en"),
  "the manual-page evaluation set's construction checks"
)

describe.skipIf(!hasManpages)("the manual-page evaluation set as installed", () => {
  const samples = readManpageEvaluationSet(DEFAULT_READ)

  it("has 300 twenty-word samples per installed language and 200-word samples for most, all labelled and sized", () => {
    const count = (language: string, words: number): number => samples.filter((s) => s.language === language && s.words === words).length
    const languages = [...new Set(samples.map((s) => s.language))]
    expect(languages.length).toBe(locales.length)
    for (const language of languages) {
      expect(count(language, 20), language).toBe(300)
      expect(count(language, 200), language).toBeGreaterThan(30)
    }
    expect(count("en", 200)).toBe(300)
    for (const s of samples) expect(countWords(s.text)).toBe(s.words)
    expect(new Set(samples.map((s) => s.id)).size).toBe(samples.length)
  })

  it("leaves untranslated English passages out of the translated languages", () => {
    const leaked = samples.filter((s) => s.language !== "en" && looksEnglish(s.text))
    expect(leaked).toEqual([])
    // while the same test passes nearly all of the English samples: it is not a filter that removes everything
    const english = samples.filter((s) => s.language === "en" && s.words === 200)
    expect(english.filter((s) => looksEnglish(s.text)).length / english.length).toBeGreaterThan(0.9)
  })
})
