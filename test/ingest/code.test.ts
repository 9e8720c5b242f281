// The source-code ingest core on real code: two Debian packages fetched by name at test time
// (`apt-get download`, no dependencies installed, unpacked with `dpkg-deb -x` into a cache under the
// system temp folder) and the project's own src/. Without apt or the network, the Debian tests are
// skipped with a message saying why.
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { debianPackage } from "../../scripts/debian-package.ts"
import { describe, expect, it } from "vitest"
import { readArchive, type ArchiveMember } from "../../src/ingest/code/archive.ts"
import { screenFile, type SkipReason } from "../../src/ingest/code/filters.ts"
import { detectLanguage } from "../../src/ingest/code/language.ts"
import {
  dep5LicenseFor,
  isAllowed,
  isLicenseFileName,
  licenseOfFileText,
  licenseOfLicenseFile,
  parseDep5,
  repoLicense,
  warmLicenseIndex
} from "../../src/ingest/code/license.ts"
import { renderCodeDocument, resolveFileLicense } from "../../src/ingest/code/render.ts"
import { redactSecrets } from "../../src/ingest/code/secrets.ts"
import { repoRoot, requirePresent, tempDir } from "../helpers.ts"

interface TreeFile {
  /** Relative to the package root, "/" separated. */
  readonly rel: string
  readonly abs: string
}

/** Regular files under `root` (symlinks are not followed, as an ingest of a checkout would not). */
function walk(root: string, dir = root): TreeFile[] {
  const out: TreeFile[] = []
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name)
    if (e.isDirectory()) out.push(...walk(root, abs))
    else if (e.isFile() && e.name !== ".complete") out.push({ rel: path.relative(root, abs).split(path.sep).join("/"), abs })
  }
  return out.sort((a, b) => (a.rel < b.rel ? -1 : 1))
}

/** Symbolic links under `root` (paths relative to it), which `walk` passes over. */
function linksUnder(root: string, dir = root): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const abs = path.join(dir, e.name)
    if (e.isDirectory()) return linksUnder(root, abs)
    return e.isSymbolicLink() ? [path.relative(root, abs).split(path.sep).join("/")] : []
  })
}

interface Processed {
  readonly file: TreeFile
  readonly skip: SkipReason | null
  readonly language: string | null
  readonly variant?: string
}

/** Filters then language on every file of a tree, as the ingest stage will run them. */
function processTree(root: string): Processed[] {
  return walk(root).map((file) => {
    const bytes = fs.readFileSync(file.abs)
    const s = screenFile(file.rel, bytes)
    const lang = detectLanguage(file.rel, s.ok ? s.text.slice(0, 16384) : "")
    return { file, skip: s.ok ? null : s.reason, language: lang?.language ?? null, ...(lang?.variant ? { variant: lang.variant } : {}) }
  })
}

const tally = <T>(xs: ReadonlyArray<T>, key: (x: T) => string): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1
  return out
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex")

const octave = debianPackage("octave-statistics")
const scipy = debianPackage("python3-scipy")
for (const [name, r] of [["octave-statistics", octave], ["python3-scipy", scipy]] as const)
  if ("skip" in r) requirePresent(`Debian package ${name} (${r.skip})`, false, `the ${name} tests`)

describe.skipIf("skip" in octave)("octave-statistics (Debian package, real Octave code)", () => {
  const root = "dir" in octave ? octave.dir : ""
  const all = "dir" in octave ? processTree(root) : []
  const M_DIR = /^usr\/share\/octave\/packages\/statistics-[^/]+\//

  it("detects Octave in every .m file (not MATLAB, not Objective-C), and in PKG_ADD and the .cc-tst test blocks", () => {
    const mFiles = all.filter((p) => p.file.rel.endsWith(".m"))
    expect(mFiles.length).toBeGreaterThan(250)
    expect(tally(mFiles, (p) => String(p.language))).toEqual({ Octave: mFiles.length })
    expect(all.find((p) => p.file.rel.endsWith("/PKG_ADD"))?.language).toBe("Octave")
    const tst = all.filter((p) => p.file.rel.endsWith(".cc-tst"))
    expect(tst.length).toBeGreaterThan(0)
    expect(tst.every((p) => p.language === "Octave")).toBe(true)
    console.log(`[octave-statistics] languages: ${JSON.stringify(tally(all, (p) => String(p.language)))}`)
  })

  it("screens out the compiled .oct modules, the .mat datasets, the generated .cc-tst files and the numeric data file", () => {
    const by = (re: RegExp) => all.filter((p) => re.test(p.file.rel))
    expect(by(/\.oct$/).every((p) => p.skip === "binary")).toBe(true)
    expect(by(/\.mat$/).every((p) => p.skip === "binary")).toBe(true)
    expect(by(/\.cc-tst$/).every((p) => p.skip === "generated")).toBe(true)
    expect(by(/heart_scale\.dat$/).map((p) => p.skip)).toEqual(["data-blob"])
    const kept = all.filter((p) => p.skip === null)
    expect(kept.filter((p) => p.file.rel.endsWith(".m")).length).toBe(by(/\.m$/).length) // no .m is lost
    console.log(`[octave-statistics] ${all.length} files: ${JSON.stringify(tally(all, (p) => p.skip ?? "kept"))}`)
  })

  it("reads the DEP-5 copyright as GPL-3.0-or-later, and the same from each file's GNU notice", () => {
    const copyright = fs.readFileSync(path.join(root, "usr/share/doc/octave-statistics/copyright"), "utf8")
    expect(licenseOfLicenseFile(copyright)).toMatchObject({ spdx: "GPL-3.0-or-later", method: "dep5" })
    const dep5 = parseDep5(copyright)!
    expect(dep5LicenseFor(dep5, "inst/anova1.m")?.spdx).toBe("GPL-3.0-or-later")
    expect(dep5LicenseFor(dep5, "debian/rules")?.spdx).toBe("GPL-3.0-or-later")
    const licenseFiles = walk(root).filter((f) => isLicenseFileName(f.rel))
    expect(licenseFiles.map((f) => f.rel)).toContain("usr/share/doc/octave-statistics/copyright")
    expect(repoLicense(licenseFiles.map((f) => ({ path: f.rel, text: fs.readFileSync(f.abs, "utf8") }))).spdx).toBe("GPL-3.0-or-later")
    const mFiles = walk(root).filter((f) => f.rel.endsWith(".m"))
    const perFile = tally(mFiles, (f) => String(licenseOfFileText(fs.readFileSync(f.abs, "utf8")).spdx))
    console.log(`[octave-statistics] per-file licenses of .m files: ${JSON.stringify(perFile)}`)
    expect(perFile["GPL-3.0-or-later"]! / mFiles.length).toBeGreaterThan(0.95)
    expect(isAllowed("GPL-3.0-or-later", ["GPL-3.0-only", "MIT"])).toBe(true)
    expect(isAllowed("GPL-3.0-or-later", ["MIT", "BSD-3-Clause", "Apache-2.0"])).toBe(false)
  })

  it("finds no secrets in the package and renders a document with header and metadata", () => {
    const texts = all.filter((p) => p.skip === null)
    let redactions = 0
    for (const p of texts) redactions += redactSecrets(fs.readFileSync(p.file.abs, "utf8")).total
    expect(redactions).toBe(0)
    const anova = all.find((p) => p.file.rel.endsWith("/anova1.m"))!
    const text = fs.readFileSync(anova.file.abs, "utf8")
    const repo = licenseOfLicenseFile(fs.readFileSync(path.join(root, "usr/share/doc/octave-statistics/copyright"), "utf8"))
    const rel = anova.file.rel.replace(M_DIR, "")
    const doc = renderCodeDocument({ path: rel, text, language: anova.language, license: resolveFileLicense(rel, text, repo), repoLicense: repo.spdx })
    expect(doc.text.startsWith("File: anova1.m | Language: Octave | License: GPL-3.0-or-later\n\n## Copyright (C)")).toBe(true)
    expect(doc.metadata).toMatchObject({ language: "Octave", license: "GPL-3.0-or-later", license_source: "notice", repo_license: "GPL-3.0-or-later", redactions: {} })
    expect(doc.metadata.lines).toBe(text.split("\n").length - (text.endsWith("\n") ? 1 : 0))
  })

  it("reads a .tar.gz and a .zip built from the package's files, member for member", async () => {
    const dir = tempDir()
    const files = walk(root)
    // tar.gz: a hand-rolled ustar stream through Node's gzip, names under the package root.
    const parts: Buffer[] = []
    const header = (name: string, size: number) => {
      const h = Buffer.alloc(512)
      h.write(name, 0, "utf8")
      h.write("0000644\u0000", 100)
      h.write("0000000\u0000", 108)
      h.write("0000000\u0000", 116)
      h.write(`${size.toString(8).padStart(11, "0")}\u0000`, 124)
      h.write("00000000000\u0000", 136)
      h.write("        ", 148)
      h.write("0", 156)
      h.write("ustar\u000000", 257, "latin1")
      let sum = 0
      for (const b of h) sum += b
      h.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, "latin1")
      return h
    }
    const short = files.filter((f) => Buffer.byteLength(f.rel) < 100)
    for (const f of short) {
      const data = fs.readFileSync(f.abs)
      parts.push(header(f.rel, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512))
    }
    parts.push(Buffer.alloc(1024))
    const tgz = path.join(dir, "octave-statistics.tar.gz")
    fs.writeFileSync(tgz, zlib.gzipSync(Buffer.concat(parts)))
    // zip: with the system's zip when present, else skip that half.
    const hasZip = requirePresent("zip (Debian zip; make system-deps)", spawnSync("zip", ["-v"]).status === 0, "the zip half of the octave-statistics archive test")
    const zip = path.join(dir, "octave-statistics.zip")
    if (hasZip) expect(spawnSync("zip", ["-qry", zip, "usr"], { cwd: root }).status).toBe(0)
    // `zip -y` stores the package's symbolic links (doc/NEWS -> ...) as links: they must come back as
    // link members, never with the bytes of what they point to.
    const links = linksUnder(root)
    for (const [archive, expected, expectedLinks] of [[tgz, short, []], ...(hasZip ? [[zip, files, links]] : [])] as Array<[string, TreeFile[], string[]]>) {
      const members: ArchiveMember[] = []
      for await (const m of readArchive(archive, { maxMemberBytes: 256 * 1024 })) members.push(m)
      const want = new Map(expected.map((f) => [f.rel, fs.readFileSync(f.abs)]))
      expect(members.map((m) => m.path).sort()).toEqual([...want.keys(), ...expectedLinks].sort())
      for (const m of members.filter((m) => expectedLinks.includes(m.path))) expect([m.path, m.skipped, m.bytes]).toEqual([m.path, "symlink", null])
      for (const m of members.filter((m) => !expectedLinks.includes(m.path))) {
        const w = want.get(m.path)!
        if (w.length > 256 * 1024) expect([m.path, m.skipped, m.bytes]).toEqual([m.path, "too-large", null])
        else expect(sha(m.bytes!), m.path).toBe(sha(w))
      }
      // Members flow into the same screening: the .m files come out as Octave.
      const screened = members.filter((m) => m.bytes !== null).map((m) => ({ m, s: screenFile(m.path, m.bytes!) }))
      const langs = tally(
        screened.filter((x) => x.s.ok && x.m.path.endsWith(".m")),
        (x) => String(detectLanguage(x.m.path, x.s.ok ? x.s.text : "")?.language)
      )
      expect(Object.keys(langs)).toEqual(["Octave"])
    }
  })
})

describe.skipIf("skip" in scipy)("python3-scipy (Debian package, real Python/Cython/Fortran code)", () => {
  const root = "dir" in scipy ? scipy.dir : ""
  const all = "dir" in scipy ? processTree(root) : []
  const PKG = "usr/lib/python3/dist-packages/scipy/"

  it("detects Python, Cython, Fortran (fixed form) and C/C++ headers", () => {
    const ext = (e: string) => all.filter((p) => p.file.rel.endsWith(e))
    expect(ext(".py").length).toBeGreaterThan(500)
    expect(ext(".py").every((p) => p.language === "Python")).toBe(true)
    expect([...ext(".pyx"), ...ext(".pxd")].every((p) => p.language === "Cython")).toBe(true)
    const fortran = ext(".f")
    expect(fortran.length).toBeGreaterThan(0)
    expect(fortran.every((p) => p.language === "Fortran" && p.variant === "fixed")).toBe(true)
    expect(ext(".h").every((p) => p.language === "C" || p.language === "C++")).toBe(true)
    console.log(`[python3-scipy] languages: ${JSON.stringify(tally(all, (p) => `${p.language}${p.variant ? `/${p.variant}` : ""}`))}`)
  })

  it("skips extension modules, test data, generated wrappers and numeric tables, and keeps the Python code", () => {
    const get = (rel: string) => all.find((p) => p.file.rel === PKG + rel)
    expect(all.filter((p) => p.file.rel.endsWith(".so")).every((p) => p.skip === "binary" || p.skip === "too-large")).toBe(true)
    for (const rel of ["linalg/_blas_subroutines.h", "linalg/cython_blas.pyx", "linalg/_lapack_subroutine_wrappers.f", "special/_ufuncs.pyx", "version.py"])
      expect(get(rel)?.skip, rel).toBe("generated")
    expect(get("cluster/tests/hierarchy_test_data.py")?.skip).toBe("data-blob")
    expect(get("io/tests/data/example_1.nc")?.skip).toBe("binary")
    expect(get("misc/face.dat")?.skip).toBe("too-large")
    // Ordinary modules stay
    for (const rel of ["optimize/_minimize.py", "stats/_distn_infrastructure.py", "integrate/_quadpack_py.py", "sparse/linalg/_isolve/lsqr.py"])
      expect(get(rel)?.skip, rel).toBeNull()
    const py = all.filter((p) => p.file.rel.endsWith(".py"))
    const keptPy = py.filter((p) => p.skip === null)
    expect(keptPy.length / py.length).toBeGreaterThan(0.9)
    console.log(
      `[python3-scipy] ${all.length} files: ${JSON.stringify(tally(all, (p) => p.skip ?? "kept"))}; .py kept ${keptPy.length}/${py.length}; ` +
        `.py skipped: ${JSON.stringify(tally(py.filter((p) => p.skip !== null), (p) => p.skip!))}`
    )
  })

  it("reads the licenses: DEP-5 → BSD-3-Clause, bundled license files, and per-path DEP-5 paragraphs", () => {
    const copyright = fs.readFileSync(path.join(root, "usr/share/doc/python3-scipy/copyright"), "utf8")
    expect(licenseOfLicenseFile(copyright)).toMatchObject({ spdx: "BSD-3-Clause", method: "dep5" })
    const dep5 = parseDep5(copyright)!
    expect(dep5LicenseFor(dep5, `${PKG}optimize/_minimize.py`)?.spdx).toBe("BSD-3-Clause")
    expect(dep5LicenseFor(dep5, `${PKG}optimize/_highs/__init__.py`)?.spdx).toBe("MIT")
    expect(dep5LicenseFor(dep5, `${PKG}spatial/qhull_src/COPYING.txt`)?.spdx).toBe("Qhull")
    expect(dep5LicenseFor(dep5, `${PKG}misc/ascent.dat`)?.spdx).toBe("LicenseRef-Public-Domain")
    const read = (rel: string) => licenseOfLicenseFile(fs.readFileSync(path.join(root, PKG, rel), "utf8"))
    expect(read("_lib/_uarray/LICENSE")).toMatchObject({ spdx: "BSD-3-Clause", method: "license-text" })
    expect(read("fft/_pocketfft/LICENSE.md")).toMatchObject({ spdx: "BSD-3-Clause", method: "license-text" })
    expect(read("sparse/linalg/_eigen/arpack/COPYING")).toMatchObject({ spdx: "BSD-3-Clause", method: "license-text" })
    expect(read("spatial/qhull_src/COPYING.txt")).toMatchObject({ spdx: "Qhull", method: "license-text" })
    const licenseFiles = walk(root).filter((f) => isLicenseFileName(f.rel))
    const repo = repoLicense(licenseFiles.map((f) => ({ path: f.rel, text: fs.readFileSync(f.abs, "utf8") })))
    expect(repo).toMatchObject({ spdx: "BSD-3-Clause", path: "usr/share/doc/python3-scipy/copyright" })
    // Files carrying their own BSD/MIT text are attributed from it; the rest inherit the repository's.
    const py = all.filter((p) => p.file.rel.endsWith(".py") && p.skip === null)
    const sources = tally(py, (p) => {
      const l = resolveFileLicense(p.file.rel, fs.readFileSync(p.file.abs, "utf8"), repo, dep5)
      return `${l.spdx} (${l.source})`
    })
    console.log(`[python3-scipy] per-file licenses of kept .py files: ${JSON.stringify(sources)}`)
    expect(Object.keys(sources).every((k) => /^(BSD-[23]-Clause|MIT|Qhull) /.test(k))).toBe(true)
    const ndimage = fs.readFileSync(path.join(root, PKG, "ndimage/_filters.py"), "utf8")
    expect(licenseOfFileText(ndimage)).toMatchObject({ spdx: "BSD-3-Clause", method: "notice" })
    expect(isAllowed(repo.spdx, ["MIT", "BSD-3-Clause", "Apache-2.0"])).toBe(true)
  })

  it("finds no secrets in scipy's code", () => {
    let total = 0
    for (const p of all) if (p.skip === null) total += redactSecrets(fs.readFileSync(p.file.abs, "utf8")).total
    expect(total).toBe(0)
  })

  it("measures language + license + filters + secrets throughput over scipy's .py files", () => {
    const files = all.filter((p) => p.file.rel.endsWith(".py")).map((p) => ({ rel: p.file.rel, bytes: fs.readFileSync(p.file.abs) }))
    const ti = performance.now()
    warmLicenseIndex() // built once per process, timed apart
    const indexMs = performance.now() - ti
    const t0 = performance.now()
    let bytes = 0
    let kept = 0
    for (const f of files) {
      bytes += f.bytes.length
      const s = screenFile(f.rel, f.bytes)
      if (!s.ok) continue
      kept++
      detectLanguage(f.rel, s.text)
      licenseOfFileText(s.text)
      redactSecrets(s.text)
    }
    const secs = (performance.now() - t0) / 1000
    const filesPerSec = files.length / secs
    const mbPerSec = bytes / 1e6 / secs
    console.log(
      `[python3-scipy] throughput over ${files.length} .py files (${(bytes / 1e6).toFixed(1)} MB, ${kept} kept): ` +
        `${filesPerSec.toFixed(0)} files/s, ${mbPerSec.toFixed(1)} MB/s (language + license + filters + secrets, one core; ` +
        `license index ${indexMs < 1 ? "already built" : `built in ${indexMs.toFixed(0)} ms`})`
    )
    expect(mbPerSec).toBeGreaterThan(1)
  })
})

describe("the project's own src/ (TypeScript)", () => {
  const root = path.join(repoRoot, "src")
  const all = processTree(root)

  it("is all TypeScript, all kept, free of secrets, and unlicensed per file", () => {
    expect(all.length).toBeGreaterThan(30)
    expect(all.every((p) => p.language === "TypeScript")).toBe(true)
    expect(all.filter((p) => p.skip !== null).map((p) => `${p.file.rel}: ${p.skip}`)).toEqual([])
    for (const p of all) {
      const text = fs.readFileSync(p.file.abs, "utf8")
      expect(redactSecrets(text).total, p.file.rel).toBe(0)
      // The project declares its license in package.json, not per file: no file claims one.
      expect(licenseOfFileText(text).spdx, p.file.rel).toBeNull()
    }
  })
})
