// Unit tests of the source-code ingest core on small hand-written inputs (the real-package tests are in
// code.test.ts). Secrets here are synthetic: built at run time from a seeded generator, never real.
import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import { contentSkip, pathSkip, screenFile, textStats } from "../../src/ingest/code/filters.ts"
import { detectLanguage, fortranForm } from "../../src/ingest/code/language.ts"
import {
  debianToSpdx,
  isAllowed,
  licenseOfFileText,
  licenseOfLicenseFile,
  normalizeSpdxExpression,
  parseDep5,
  dep5LicenseFor,
  repoLicense
} from "../../src/ingest/code/license.ts"
import { notebookToText } from "../../src/ingest/code/notebook.ts"
import { headerLine, renderCodeDocument, resolveFileLicense } from "../../src/ingest/code/render.ts"
import { redactSecrets } from "../../src/ingest/code/secrets.ts"

/** Deterministic pseudo-random strings for synthetic secrets. */
function fake(n: number, alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", seed = 7): string {
  let x = seed
  let s = ""
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff
    s += alphabet[x % alphabet.length]
  }
  return s
}

describe("detectLanguage", () => {
  it.each([
    ["a/b/solver.py", "import numpy as np\n", "Python"],
    ["x.pyx", "cdef int i\n", "Cython"],
    ["src/main.c", "#include <stdio.h>\nint main(void){return 0;}\n", "C"],
    ["kern.cu", "__global__ void k(float* x) {}\n", "CUDA"],
    ["lib.cpp", "", "C++"],
    ["m.jl", "using LinearAlgebra\n", "Julia"],
    ["analysis.R", "library(ggplot2)\n", "R"],
    ["main.rs", "fn main() {}\n", "Rust"],
    ["main.go", "package main\n", "Go"],
    ["App.java", "class App {}\n", "Java"],
    ["index.mjs", "export {}\n", "JavaScript"],
    ["index.ts", "export const x: number = 1\n", "TypeScript"],
    ["build.sh", "#!/bin/bash\necho hi\n", "Shell"],
    ["README.md", "# Title\n", "Markdown"],
    ["docs/index.rst", "Title\n=====\n", "reStructuredText"],
    ["CMakeLists.txt", "project(x)\n", "CMake"],
    ["Makefile", "all:\n\tcc x.c\n", "Makefile"],
    ["conf.yaml", "a: 1\n", "YAML"],
    ["pyproject.toml", "[project]\n", "TOML"],
    ["tsconfig.json", "{}\n", "JSON"]
  ])("%s → %s", (path, head, language) => {
    expect(detectLanguage(path, head)?.language).toBe(language)
  })

  it("reads shebangs (env -S included) and modelines of extension-less scripts", () => {
    expect(detectLanguage("bin/run", "#!/usr/bin/env python3\nprint(1)\n")?.language).toBe("Python")
    expect(detectLanguage("bin/run", "#!/usr/bin/env -S julia --threads=4\n")?.language).toBe("Julia")
    expect(detectLanguage("bin/tool", "#!/usr/bin/Rscript\n")?.language).toBe("R")
    expect(detectLanguage("bin/x", "#!/usr/bin/octave-cli -qf\n")?.language).toBe("Octave")
    expect(detectLanguage("scripts/setup", "#!/bin/sh\nset -e\n")?.language).toBe("Shell")
    expect(detectLanguage("tool", "# -*- mode: python -*-\nx = 1\n")?.language).toBe("Python")
    // A .sh whose shebang names another interpreter
    expect(detectLanguage("run.sh", "#!/usr/bin/env python\n")?.language).toBe("Python")
  })

  it("tells Octave, MATLAB and Objective-C apart in .m files", () => {
    const octave = "## Copyright (C) 2020 X\n\nfunction y = f (x)\n  y = x + 1;\nendfunction\n\n%!assert (f (1), 2)\n"
    const matlab = "function y = f(x)\n% F adds one\n  y = x + 1;\nend\n"
    const objc = '#import <Foundation/Foundation.h>\n\n@implementation Foo\n- (void)bar {\n  NSString *s = @"x";\n}\n@end\n'
    expect(detectLanguage("f.m", octave)?.language).toBe("Octave")
    expect(detectLanguage("f.m", matlab)?.language).toBe("MATLAB")
    expect(detectLanguage("Foo.m", objc)?.language).toBe("Objective-C")
  })

  it("tells C from C++ in headers", () => {
    expect(detectLanguage("a.h", "#ifndef A_H\n#define A_H\nint f(int);\n#endif\n")?.language).toBe("C")
    expect(detectLanguage("a.h", "#pragma once\nnamespace sci {\ntemplate <typename T> T sq(T x);\n}\n")?.language).toBe("C++")
    expect(detectLanguage("a.h", "#include <vector>\nstd::vector<int> v();\n")?.language).toBe("C++")
  })

  it("finds Fortran's source form by content as well as extension", () => {
    const fixed = "C     A COMMENT\n      SUBROUTINE DAXPY(N,DA,DX,INCX,DY,INCY)\n      INTEGER N\n     +        ,INCX\n   10 CONTINUE\n      END\n"
    const free = "module m\n  implicit none\ncontains\n  subroutine s(x)\n    real, intent(in) :: x ! comment\n    print *, x, &\n      x\n  end subroutine\nend module\n"
    expect(fortranForm(fixed)).toBe("fixed")
    expect(fortranForm(free)).toBe("free")
    expect(detectLanguage("daxpy.f", fixed)).toMatchObject({ language: "Fortran", variant: "fixed" })
    expect(detectLanguage("m.f90", free)).toMatchObject({ language: "Fortran", variant: "free" })
    // A free-form file with a .f extension (common in practice)
    expect(detectLanguage("m.f", free)).toMatchObject({ language: "Fortran", variant: "free" })
  })

  it("returns null for what is not code", () => {
    expect(detectLanguage("data/results.txt", "1 2 3\n")).toBeNull()
    expect(detectLanguage("data/table.csv", "a,b\n1,2\n")).toBeNull()
    expect(detectLanguage("img.png", "")).toBeNull()
    expect(detectLanguage("LICENSE", "MIT License\n")).toBeNull()
    expect(detectLanguage("notes", "just some words\n")).toBeNull()
  })
})

describe("notebookToText", () => {
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "python3", language: "python", display_name: "Python 3" } },
    cells: [
      { cell_type: "markdown", metadata: {}, source: ["# Fitting a line\n", "We fit ![plot](data:image/png;base64,", "iVBORw0KGgo".repeat(20), ")\n"] },
      {
        cell_type: "code",
        execution_count: 1,
        metadata: {},
        source: "import numpy as np\nx = np.linspace(0, 1, 10)",
        outputs: [
          { output_type: "execute_result", data: { "text/plain": ["array([0., 0.1])"] }, execution_count: 1 },
          { output_type: "display_data", data: { "image/png": "iVBORw0KGgoAAAANSUhEUg" } }
        ]
      },
      { cell_type: "code", execution_count: null, metadata: {}, source: [], outputs: [] },
      { cell_type: "code", metadata: {}, source: "s = '```'\n", outputs: [{ output_type: "stream", name: "stdout", text: ["LEAK\n"] }] }
    ]
  }

  it("keeps code and Markdown, drops outputs and inline images, fences in the kernel's language", () => {
    const r = notebookToText(JSON.stringify(nb))
    expect(r.language).toBe("Python")
    expect(r.codeCells).toBe(2)
    expect(r.markdownCells).toBe(1)
    expect(r.emptyCells).toBe(1)
    expect(r.text).toContain("# Fitting a line")
    expect(r.text).toContain("```python\nimport numpy as np\nx = np.linspace(0, 1, 10)\n```")
    // A cell holding ``` gets a longer fence
    expect(r.text).toContain("````python\ns = '```'\n````")
    expect(r.text).not.toContain("array([0., 0.1])")
    expect(r.text).not.toContain("LEAK")
    expect(r.text).not.toContain("iVBORw0KGgo")
  })

  it("reads nbformat 3 worksheets and other kernels", () => {
    const v3 = { nbformat: 3, metadata: {}, worksheets: [{ cells: [{ cell_type: "code", language: "julia", input: ["x = 1\n"], outputs: [] }] }] }
    const r = notebookToText(JSON.stringify(v3))
    expect(r.language).toBe("Julia")
    expect(r.text).toBe("```julia\nx = 1\n```\n")
  })

  it("throws clear errors for bad JSON and non-notebooks", () => {
    expect(() => notebookToText("{not json")).toThrow(/not a Jupyter notebook: invalid JSON/)
    expect(() => notebookToText("[1,2]")).toThrow(/not an object/)
    expect(() => notebookToText('{"a": 1}')).toThrow(/no `cells`/)
  })
})

describe("licenses", () => {
  it("reads SPDX-License-Identifier headers, expressions included", () => {
    expect(licenseOfFileText("// SPDX-License-Identifier: MIT\nint x;\n")).toMatchObject({ spdx: "MIT", method: "spdx-header", confidence: 1 })
    expect(licenseOfFileText("# SPDX-License-Identifier: MIT OR Apache-2.0\n").spdx).toBe("MIT OR Apache-2.0")
    expect(licenseOfFileText("/* SPDX-License-Identifier: GPL-2.0+ */\n").spdx).toBe("GPL-2.0-or-later")
    expect(licenseOfFileText("/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR BSD-2-Clause */").spdx).toBe(
      "GPL-2.0-only WITH Linux-syscall-note OR BSD-2-Clause"
    )
    expect(licenseOfFileText("<!-- SPDX-License-Identifier: lgpl-2.1 -->").spdx).toBe("LGPL-2.1-only")
  })

  it("recognises common header notices", () => {
    const apache = "# Copyright 2020 Foo\n#\n# Licensed under the Apache License, Version 2.0 (the \"License\");\n# you may not use this file except in compliance with the License.\n"
    expect(licenseOfFileText(apache)).toMatchObject({ spdx: "Apache-2.0", method: "notice" })
    const gpl2 =
      "/*\n * This program is free software; you can redistribute it and/or modify\n * it under the terms of the GNU General Public License as published by\n * the Free Software Foundation; either version 2 of the License, or\n * (at your option) any later version.\n */\n"
    expect(licenseOfFileText(gpl2).spdx).toBe("GPL-2.0-or-later")
    const gpl3only =
      "! This program is free software: you can redistribute it and/or modify it under the terms of the\n! GNU General Public License as published by the Free Software Foundation, version 3.\n"
    expect(licenseOfFileText(gpl3only).spdx).toBe("GPL-3.0-only")
    const lgpl =
      "# This library is free software; you can redistribute it and/or\n# modify it under the terms of the GNU Lesser General Public\n# License as published by the Free Software Foundation; either\n# version 2.1 of the License, or (at your option) any later version.\n"
    expect(licenseOfFileText(lgpl).spdx).toBe("LGPL-2.1-or-later")
    expect(licenseOfFileText("// This Source Code Form is subject to the terms of the Mozilla Public\n// License, v. 2.0.").spdx).toBe("MPL-2.0")
    expect(licenseOfFileText("# Distributed under the Boost Software License, Version 1.0.").spdx).toBe("BSL-1.0")
    expect(licenseOfFileText('"""Released under the MIT license."""').spdx).toBe("MIT")
    expect(licenseOfFileText("x = 1\n")).toMatchObject({ spdx: null, method: "none" })
  })

  it("matches an inline BSD text in a file header to the right clause count", () => {
    const bsd2 = `/*
 * Copyright (c) 2015, Jane Roe
 * All rights reserved.
 *
 * Redistribution and use in source and binary forms, with or without
 * modification, are permitted provided that the following conditions are met:
 *
 * 1. Redistributions of source code must retain the above copyright notice, this
 *    list of conditions and the following disclaimer.
 * 2. Redistributions in binary form must reproduce the above copyright notice,
 *    this list of conditions and the following disclaimer in the documentation
 *    and/or other materials provided with the distribution.
 *
 * THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND
 * ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED
 * WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
 * DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT OWNER OR CONTRIBUTORS BE LIABLE FOR
 * ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES
 * (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES;
 * LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND
 * ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
 * (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS
 * SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
 */
#include <math.h>
`
    expect(licenseOfFileText(bsd2).spdx).toBe("BSD-2-Clause")
    const bsd3 = bsd2.replace(
      " *\n * THIS SOFTWARE",
      " * 3. Neither the name of the copyright holder nor the names of its\n *    contributors may be used to endorse or promote products derived from\n *    this software without specific prior written permission.\n *\n * THIS SOFTWARE"
    )
    expect(licenseOfFileText(bsd3).spdx).toBe("BSD-3-Clause")
  })

  it("matches MIT license files whatever their copyright line, and short license files", () => {
    const mit = `MIT License

Copyright (c) 2019-2024 The Example Lab, University of Somewhere

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`
    const m = licenseOfLicenseFile(mit)
    expect(m).toMatchObject({ spdx: "MIT", method: "license-text" })
    expect(m.confidence).toBeGreaterThan(0.9)
    expect(licenseOfLicenseFile("Apache-2.0\n")).toMatchObject({ spdx: "Apache-2.0" })
    expect(licenseOfLicenseFile("This project is licensed under the terms of the MIT license.\n").spdx).toBe("MIT")
    expect(licenseOfLicenseFile("All rights reserved. Do not copy.\n").spdx).toBeNull()
    // A LICENSE that appends the licenses of bundled code: the first one is the project's.
    const apache = "                                 Apache License\n                           Version 2.0, January 2004\n"
    const both = `${mit}\n\n-----\nBundled code:\n\n${mit.replace("MIT License", "").replace("2019-2024 The Example Lab", "2001 Someone")}`
    expect(licenseOfLicenseFile(both).spdx).toBe("MIT")
    expect(licenseOfLicenseFile(apache).spdx).toBeNull()
  })

  it("normalises expressions and decides allow-lists", () => {
    expect(normalizeSpdxExpression("mit or apache-2.0")).toBe("MIT OR Apache-2.0")
    expect(normalizeSpdxExpression("(MIT AND BSD-3-Clause) OR GPL-3.0+")).toBe("(MIT AND BSD-3-Clause) OR GPL-3.0-or-later")
    expect(normalizeSpdxExpression("MIT AND")).toBeNull()
    expect(normalizeSpdxExpression("((MIT)")).toBeNull()
    const allowed = ["MIT", "Apache-2.0", "BSD-3-Clause", "GPL-3.0-only"]
    expect(isAllowed("MIT", allowed)).toBe(true)
    expect(isAllowed("MIT OR GPL-2.0-only", allowed)).toBe(true)
    expect(isAllowed("MIT AND GPL-2.0-only", allowed)).toBe(false)
    expect(isAllowed("GPL-2.0-or-later", allowed)).toBe(true) // may be used under GPL-3.0
    expect(isAllowed("GPL-2.0-only", allowed)).toBe(false)
    expect(isAllowed("Apache-2.0 WITH LLVM-exception", allowed)).toBe(true)
    expect(isAllowed("GPL-2.0-only WITH Classpath-exception-2.0", ["GPL-2.0-only WITH Classpath-exception-2.0"])).toBe(true)
    expect(isAllowed(null, allowed)).toBe(false)
    expect(isAllowed("not a license (", allowed)).toBe(false)
    expect(isAllowed("LicenseRef-Public-Domain", ["LicenseRef-Public-Domain"])).toBe(true)
  })

  it("maps Debian labels and reads DEP-5 files", () => {
    expect(debianToSpdx("GPL-3+")).toBe("GPL-3.0-or-later")
    expect(debianToSpdx("GPL-2")).toBe("GPL-2.0-only")
    expect(debianToSpdx("LGPL-2.1+")).toBe("LGPL-2.1-or-later")
    expect(debianToSpdx("Expat")).toBe("MIT")
    expect(debianToSpdx("BSD-3-clause")).toBe("BSD-3-Clause")
    expect(debianToSpdx("Apache-2.0")).toBe("Apache-2.0")
    expect(debianToSpdx("no-such-license")).toBeNull()
    const dep5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: demo

Files: *
Copyright: 2020 A
License: GPL-2+ or Artistic

Files: src/vendored/*
Copyright: 2019 B
License: Expat

Files: src/odd.c
Copyright: 2019 C
License: odd-permissive
 Permission to use, copy, modify, and distribute this software for any
 purpose with or without fee is hereby granted, provided that the above
 copyright notice and this permission notice appear in all copies.
 .
 THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.

Files: src/mystery.c
Copyright: 2019 D
License: weird-custom
`
    expect(licenseOfLicenseFile(dep5)).toMatchObject({ spdx: "GPL-2.0-or-later OR Artistic-1.0", method: "dep5" })
    const d = parseDep5(dep5)!
    expect(dep5LicenseFor(d, "src/vendored/lib.c")?.spdx).toBe("MIT")
    expect(dep5LicenseFor(d, "src/main.c")?.spdx).toBe("GPL-2.0-or-later OR Artistic-1.0")
    expect(dep5LicenseFor(d, "src/odd.c")?.spdx).toBe("ISC") // unknown label, matched by its text
    expect(dep5LicenseFor(d, "src/mystery.c")?.spdx).toBeNull() // unknown stays unknown
    // Installed layouts: a directory pattern matches at any directory boundary
    expect(dep5LicenseFor(d, "usr/share/demo/src/vendored/lib.c")?.spdx).toBe("MIT")
    expect(parseDep5("Just a copyright file\n")).toBeNull()
  })

  it("derives a repository license from its top-level license files", () => {
    const mit = licenseFixture("MIT")
    const apache = "Licensed under the Apache License, Version 2.0 (the \"License\").\n"
    expect(repoLicense([{ path: "LICENSE", text: mit }, { path: "sub/LICENSE", text: apache }])).toMatchObject({ spdx: "MIT", path: "LICENSE" })
    expect(repoLicense([{ path: "LICENSE-MIT", text: mit }, { path: "LICENSE-APACHE", text: apache }]).spdx).toBe("Apache-2.0 OR MIT")
    expect(repoLicense([{ path: "src/a.py", text: "x" }]).spdx).toBeNull()
  })

  it("resolves a file's license: own header, then DEP-5, then repository", () => {
    const repo = licenseOfLicenseFile(licenseFixture("MIT"))
    expect(resolveFileLicense("a.py", "# SPDX-License-Identifier: BSD-3-Clause\n", repo)).toMatchObject({ spdx: "BSD-3-Clause", source: "spdx-header" })
    expect(resolveFileLicense("a.py", "x = 1\n", repo)).toMatchObject({ spdx: "MIT", source: "repo" })
    expect(resolveFileLicense("a.py", "x = 1\n", null)).toMatchObject({ spdx: null, source: "none" })
  })
})

/** A license text from the SPDX list itself (keeps long texts out of this file). */
function licenseFixture(id: string): string {
  const full = JSON.parse(fs.readFileSync(new URL("../../node_modules/spdx-license-list/spdx-full.json", import.meta.url), "utf8")) as Record<
    string,
    { licenseText: string }
  >
  return full[id]!.licenseText.replace("<year> <copyright holders>", "2024 Example Authors")
}

describe("filters", () => {
  const enc = (s: string) => new TextEncoder().encode(s)
  const code = "def f(x):\n    return x + 1\n\n\nprint(f(2))\n"

  it("keeps ordinary code", () => {
    expect(screenFile("pkg/mod.py", enc(code))).toEqual({ ok: true, text: code })
  })

  it("skips vendored trees, lock files and large files by path", () => {
    expect(pathSkip("proj/vendor/lib/x.go", 10)?.reason).toBe("vendored")
    expect(pathSkip("proj/third_party/eigen/Core", 10)?.reason).toBe("vendored")
    expect(pathSkip("web/node_modules/react/index.js", 10)?.reason).toBe("vendored")
    expect(pathSkip(".venv/lib/python3.12/site-packages/numpy/core.py", 10)?.reason).toBe("vendored")
    expect(pathSkip("pkg/__pycache__/mod.cpython-312.pyc", 10)?.reason).toBe("vendored")
    expect(pathSkip("vendor.py", 10)).toBeNull() // a file named like a folder is not inside it
    for (const lock of ["package-lock.json", "yarn.lock", "Cargo.lock", "poetry.lock", "go.sum", "Manifest.toml"])
      expect(pathSkip(`a/${lock}`, 10)?.reason).toBe("lock-file")
    expect(pathSkip("big.c", 2_000_000)?.reason).toBe("too-large")
    expect(pathSkip("big.c", 2_000_000, { maxBytes: 4_000_000 })).toBeNull()
    expect(pathSkip("static/app.min.js", 10)?.reason).toBe("minified")
    expect(pathSkip("proto/msg_pb2.py", 10)?.reason).toBe("generated")
    expect(pathSkip("static/app.js.map", 10)?.reason).toBe("generated")
  })

  it("skips binaries by content, whatever the name", () => {
    expect(screenFile("a.py", new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1]))).toMatchObject({ ok: false, reason: "binary", detail: "ELF" })
    expect(screenFile("a.py", new Uint8Array([0x61, 0, 0x62]))).toMatchObject({ ok: false, reason: "binary" })
    expect(screenFile("a.c", new Uint8Array([0x61, 0xff, 0xfe, 0x62]))).toMatchObject({ ok: false, reason: "binary", detail: expect.stringContaining("UTF-8") })
  })

  it("skips generated files by their header, not by a mention later on", () => {
    expect(contentSkip("a_pb2.py", "# Generated by the protocol buffer compiler.  DO NOT EDIT!\nimport x\n")?.reason).toBe("generated")
    expect(contentSkip("w.c", "/* ----------------------------------------------------------------------------\n * This file was automatically generated by SWIG (http://www.swig.org).\n")?.reason).toBe(
      "generated"
    )
    expect(contentSkip("m.c", "/* Generated by Cython 3.0.8 */\n#include <Python.h>\n")?.reason).toBe("generated")
    expect(contentSkip("x.go", "// Code generated by protoc-gen-go. DO NOT EDIT.\n\npackage x\n")?.reason).toBe("generated")
    const laterMention = `${"x = 1\n".repeat(30)}# values generated by R; do not edit by hand\n`
    expect(contentSkip("t.py", laterMention)).toBeNull()
  })

  it("skips minified code, encoded blobs, long lines and low-alphanumeric files, with thresholds as options", () => {
    const minified = `!function(e){${"var a=1,b=2;e.x=function(){return a+b};".repeat(60)}}(window);\n`
    expect(contentSkip("lib/app.js", minified)?.reason).toBe("minified")
    const blob = `IMG = """\n${Array.from({ length: 200 }, (_, i) => fake(76, undefined, i + 1)).join("\n")}\n"""\n`
    expect(contentSkip("icons.py", blob)).toMatchObject({ reason: "data-blob" })
    const hexArray = `static const unsigned char fw[] = {\n${Array.from({ length: 400 }, () => "0x1f, 0x8b, 0x08, 0x00, 0x3c, 0x2a, 0x11, 0x90,").join("\n")}\n};\n`
    expect(contentSkip("fw.h", hexArray)?.reason).toBe("data-blob")
    const table = `DATA = [\n${Array.from({ length: 300 }, (_, i) => `  [${i}.5, ${i * 3}.25, -${i}e-3, ${i}],`).join("\n")}\n]\n`
    expect(contentSkip("table.py", table)?.reason).toBe("data-blob")
    const longLine = `x = "${"a".repeat(1200)}"\n`
    expect(contentSkip("a.py", longLine)?.reason).toBe("long-lines")
    expect(contentSkip("a.py", longLine, { maxLineLength: 2000, maxAvgLineLength: 2000 })).toBeNull()
    const wide = `${"y = 'abc def ghi jkl mno pqr stu vwx yz ' + 'abc def ghi jkl mno pqr stu vwx yz ' + 'abc def ghi jkl'\n".repeat(20)}`
    expect(contentSkip("w.py", wide)).toMatchObject({ reason: "long-lines", detail: expect.stringContaining("mean line") })
    const art = `${"#=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=-=\n".repeat(20)}x = 1\n`
    expect(contentSkip("art.py", art)?.reason).toBe("low-alnum")
    expect(contentSkip("art.py", art, { minAlnumFraction: 0 })).toBeNull()
    expect(contentSkip("e.py", "  \n\n")?.reason).toBe("empty")
  })

  it("computes line statistics with CRLF and without a final newline", () => {
    expect(textStats("ab\r\ncde\nf")).toMatchObject({ lines: 3, maxLineLength: 3, avgLineLength: 2 })
  })
})

describe("secrets", () => {
  const AWS = `AKIA${fake(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")}`
  const GHP = `ghp_${fake(36)}`
  const PAT = `github_pat_${fake(82, undefined, 3)}`
  const SLACK = `xoxb-${fake(11, "0123456789")}-${fake(12, "0123456789", 5)}-${fake(24, undefined, 9)}`
  const GOOGLE = `AIza${fake(35, undefined, 11)}`
  const JWT = `eyJ${fake(30, undefined, 13)}.eyJ${fake(40, undefined, 17)}.${fake(43, undefined, 19)}`
  const PW = `pw-${fake(10, undefined, 23)}`
  const KEYBODY = Array.from({ length: 8 }, (_, i) => fake(64, undefined, 100 + i)).join("\n")

  const cases: Array<[string, string, string, string]> = [
    ["AWS access key", `aws_key = "${AWS}"\n`, AWS, "aws-access-key"],
    ["GitHub token", `TOKEN = '${GHP}'\n`, GHP, "github-token"],
    ["GitHub fine-grained token", `gh = "${PAT}"\n`, PAT, "github-token"],
    ["Slack token", `slack_client = WebClient("${SLACK}")\n`, SLACK, "slack-token"],
    ["Google API key", `const k = "${GOOGLE}";\n`, GOOGLE, "google-api-key"],
    ["JWT", `headers = {"Authorization": "Bearer ${JWT}"}\n`, JWT, "jwt"],
    ["password assignment", `password = "${PW}"\n`, PW, "password"],
    ["YAML api_key", `api_key: "${fake(32, undefined, 29)}"\n`, fake(32, undefined, 29), "api-key"],
    ["JSON client_secret", `{"client_secret": "${fake(24, undefined, 31)}"}\n`, fake(24, undefined, 31), "secret"],
    [".env secret", `SECRET_KEY=${fake(40, undefined, 37)}\n`, fake(40, undefined, 37), "secret"],
    ["connection string", `DB = "postgres://alice:${PW}@db.example.org:5432/runs"\n`, PW, "url-credentials"],
    ["private key", `KEY = """-----BEGIN RSA PRIVATE KEY-----\n${KEYBODY}\n-----END RSA PRIVATE KEY-----"""\n`, KEYBODY.slice(0, 64), "private-key"]
  ]

  it.each(cases)("redacts a %s and counts it", (_name, text, secret, kind) => {
    const r = redactSecrets(text)
    expect(r.text).not.toContain(secret)
    expect(r.text).toContain(`<REDACTED:${kind}>`)
    expect(r.redactions).toEqual({ [kind]: 1 })
    expect(JSON.stringify(r.redactions)).not.toContain(secret)
  })

  it("removes a whole PEM block, even without its END line", () => {
    const r = redactSecrets(`a\n-----BEGIN OPENSSH PRIVATE KEY-----\n${KEYBODY}\n-----END OPENSSH PRIVATE KEY-----\nb\n`)
    expect(r.text).toBe("a\n<REDACTED:private-key>\nb\n")
    const cut = redactSecrets(`a\n-----BEGIN PRIVATE KEY-----\n${KEYBODY}\n`)
    expect(cut.text).not.toContain(KEYBODY.slice(0, 64))
    expect(cut.total).toBe(1)
  })

  it("leaves placeholders, environment lookups, comparisons and ordinary code alone", () => {
    const benign = [
      'password = ""',
      'password = "changeme"',
      'password = "xxx"',
      'password = "${DB_PASSWORD}"',
      'password = "<your password>"',
      'password = os.environ["DB_PASSWORD"]',
      'api_key = os.getenv("API_KEY")',
      "password = get_password(user)",
      "password = user_password",
      'if password == "abc12345":',
      'prompt = input("Enter your password: ")',
      'token = "IDENTIFIER"',
      "token = next_token()",
      "max_tokens = 1000",
      "self.secret_key = secret_key",
      "'pass': 'bandpass',",
      'url = "postgres://user:password@localhost/db"',
      'url = "https://example.org/path?q=1"',
      "PUBLIC_KEY = open('id_rsa.pub').read()"
    ].join("\n")
    const r = redactSecrets(benign)
    expect(r.total).toBe(0)
    expect(r.text).toBe(benign)
  })

  it("takes bounded time on pathological lines (no catastrophic backtracking)", () => {
    const inputs = [
      `${"a.".repeat(100_000)}token = 1`,
      `${"a-".repeat(100_000)}password`,
      "token ".repeat(50_000),
      `x://${"a:".repeat(50_000)}@`,
      `password: ${"a ".repeat(50_000)}`,
      `password = '${"\\'".repeat(50_000)}`,
      `-----BEGIN RSA PRIVATE KEY-----\n${"ab cd ".repeat(50_000)}`,
      `# GNU General Public License ${"version ".repeat(20_000)}`
    ]
    for (const text of inputs) {
      const t = performance.now()
      redactSecrets(text)
      licenseOfFileText(text)
      screenFile("a.py", new TextEncoder().encode(text))
      detectLanguage("a.m", text)
      expect(performance.now() - t, text.slice(0, 30)).toBeLessThan(2000)
    }
  })

  it("renders a document with the header, redacted code and counts but never the value", () => {
    const doc = renderCodeDocument({
      path: "tools/upload.py",
      text: `import boto3\n\nKEY = "${AWS}"\npassword = "${PW}"\n`,
      language: "Python",
      license: { spdx: "MIT", source: "repo", confidence: 0.95 },
      repoLicense: "MIT"
    })
    expect(doc.text.split("\n")[0]).toBe(headerLine("tools/upload.py", "Python", "MIT"))
    expect(doc.text.split("\n")[0]).toBe("File: tools/upload.py | Language: Python | License: MIT")
    expect(doc.text).toContain('KEY = "<REDACTED:aws-access-key>"')
    expect(doc.text).not.toContain(AWS)
    expect(doc.text).not.toContain(PW)
    expect(doc.metadata).toEqual({
      language: "Python",
      license: "MIT",
      license_source: "repo",
      repo_license: "MIT",
      lines: 4,
      redactions: { "aws-access-key": 1, password: 1 }
    })
    expect(JSON.stringify(doc.metadata)).not.toContain(AWS)
  })
})
