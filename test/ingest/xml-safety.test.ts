/**
 * No reader expands XML entities or loads external DTDs: a billion-laughs and an XXE vasprun.xml are
 * refused (unsafe-xml) without expanding or reading anything, an external DTD is never opened, and the
 * helper the readers share (src/ingest/xml.ts) decodes only the predefined references.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { openDuckDB } from "../../src/core/duckdb.ts"
import { decodeXmlText, inspectProlog, XmlPrologGuard } from "../../src/ingest/xml.ts"
import { cli, readRejects, tempDir } from "../helpers.ts"

/** A small but real vasprun.xml body: what VASP writes, cut to the parts the reader summarises. */
const body = (system: string) => `<modeling>
 <generator>
  <i name="program" type="string">vasp </i>
  <i name="version" type="string">6.3.0  </i>
 </generator>
 <incar>
  <i type="string" name="SYSTEM">${system}</i>
  <i name="ENCUT">    400.00000000</i>
  <i type="string" name="GGA">PE</i>
 </incar>
 <atominfo>
  <atoms>       2 </atoms>
 </atominfo>
 <calculation>
  <energy>
   <i name="e_fr_energy">    -10.84391000 </i>
   <i name="e_0_energy">    -10.84391000 </i>
  </energy>
 </calculation>
</modeling>
`

const billionLaughs = () => {
  const levels = ['  <!ENTITY lol "lol">']
  for (let i = 1; i <= 9; i++) levels.push(`  <!ENTITY lol${i} "${`&lol${i === 1 ? "" : i - 1};`.repeat(10)}">`)
  return `<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE modeling [\n${levels.join("\n")}\n]>\n${body("&lol9;")}`
}

async function texts(dir: string): Promise<string[]> {
  const { connection } = await openDuckDB()
  try {
    const r = await connection.runAndReadAll(`SELECT text || metadata AS t FROM read_parquet('${dir}/*.parquet')`)
    return r.getRowObjectsJS().map((row) => String(row.t))
  } finally {
    connection.closeSync()
  }
}

const everyOutputByte = (dir: string): string =>
  fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => path.join(dir, f))
    .filter((p) => fs.statSync(p).isFile())
    .map((p) => fs.readFileSync(p, "latin1"))
    .join("\n")

describe("XML entities and DTDs", () => {
  it("refuses a billion-laughs and an XXE vasprun.xml as unsafe-xml, and never opens an external DTD", async () => {
    const dir = tempDir()
    const secretDir = path.join(dir, "private")
    fs.mkdirSync(secretDir)
    const secret = path.join(secretDir, "secret.txt")
    fs.writeFileSync(secret, "TOP-SECRET-XXE-CANARY")
    fs.writeFileSync(path.join(secretDir, "evil.dtd"), `<!ENTITY xxe SYSTEM "file://${secret}">\n`)
    const input = path.join(dir, "runs")
    fs.mkdirSync(path.join(input, "laughs"), { recursive: true })
    fs.mkdirSync(path.join(input, "xxe"))
    fs.mkdirSync(path.join(input, "param"))
    fs.mkdirSync(path.join(input, "dtd"))
    fs.mkdirSync(path.join(input, "plain"))
    fs.writeFileSync(path.join(input, "laughs", "vasprun.xml"), billionLaughs())
    fs.writeFileSync(path.join(input, "xxe", "vasprun.xml"), `<?xml version="1.0"?>\n<!DOCTYPE modeling [\n  <!ENTITY xxe SYSTEM "file://${secret}">\n]>\n${body("&xxe;")}`)
    fs.writeFileSync(path.join(input, "param", "vasprun.xml"), `<?xml version="1.0"?>\n<!DOCTYPE modeling [ <!ENTITY % ext SYSTEM "file://${secretDir}/evil.dtd"> %ext; ]>\n${body("&xxe;")}`)
    // An external DTD alone is allowed (JATS files all have one); it is never fetched, so &xxe; stays as written.
    fs.writeFileSync(path.join(input, "dtd", "vasprun.xml"), `<?xml version="1.0"?>\n<!DOCTYPE modeling SYSTEM "file://${secretDir}/evil.dtd">\n${body("Si &amp; &xxe; &#x41;")}`)
    fs.writeFileSync(path.join(input, "plain", "vasprun.xml"), `<?xml version="1.0"?>\n${body("bulk Si")}`)
    const out = path.join(dir, "out")
    const r = cli(["ingest", input, "--out", out, "--workers", "1", "--tasks", "1"])
    expect(r.status, r.stderr).toBe(0)

    const rejects = readRejects(out)
    expect(rejects.map((x) => [x.source_path, x.reason])).toEqual([
      ["runs/laughs/vasprun.xml", "unsafe-xml"],
      ["runs/param/vasprun.xml", "unsafe-xml"],
      ["runs/xxe/vasprun.xml", "unsafe-xml"]
    ])
    expect(rejects[0]!.detail).toMatch(/^the DOCTYPE declares entities \(lol, lol1, lol2, lol3, lol4, … \(10\)\): entity expansion/)
    expect(rejects[2]!.detail).toMatch(/entities \(xxe\), some of them external/)

    const docs = await texts(out)
    expect(docs).toHaveLength(2)
    const dtdDoc = docs.find((t) => t.includes("&xxe;"))!
    expect(dtdDoc).toContain("Si & &xxe; A") // predefined and numeric references decoded, others left as written
    expect(everyOutputByte(out)).not.toContain("TOP-SECRET-XXE-CANARY")
    expect(everyOutputByte(out)).not.toContain("lollol")
  })

  it("inspects the prolog: DOCTYPEs over several lines, comments, internal subsets with quoted brackets", () => {
    expect(inspectProlog('<?xml version="1.0"?>\n<!-- <!ENTITY x "y"> in a comment -->\n<root/>')).toBeNull()
    expect(inspectProlog('<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.2 20190208//EN" "JATS-archivearticle1-mathml3.dtd">\n<article>')).toBeNull()
    expect(inspectProlog('<!DOCTYPE a [ <!ATTLIST a b CDATA "]>"> ]><a>')).toBeNull()
    expect(inspectProlog('<!DOCTYPE a [ <!ATTLIST a b CDATA "]>"> <!ENTITY e "x"> ]><a>')).toMatch(/declares entities \(e\)/)
    expect(inspectProlog('<?xml version="1.0"?>\n<!DOCTYPE a [')).toBe("incomplete")
    const guard = new XmlPrologGuard()
    for (const line of ['<?xml version="1.0"?>', "<!DOCTYPE modeling [", '  <!ENTITY % p SYSTEM "http://example.org/x.dtd">', "]>", "<modeling>"]) guard.feed(line)
    expect(guard.done).toBe(true)
    expect(guard.problem).toMatch(/declares entities \(%p\), some of them external/)
    expect(decodeXmlText("a &lt;b&gt; &amp;amp; &#169; &#x1F600; &nbsp; &#0; &#xD800;")).toBe("a <b> &amp; © 😀 &nbsp; &#0; &#xD800;")
  })
})
