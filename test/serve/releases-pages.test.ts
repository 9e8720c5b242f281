/**
 * The releases pages against a real `scicurate serve` over a folder of releases: a signed release
 * written here to the ReleaseIndex schema, an unsigned one, and two broken ones (not JSON; JSON that
 * is not a release index) that must show as error rows, not break the list.
 */
import { generateKeyPairSync } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { canonicalJson } from "../../src/core/layout.ts"
import { ReleaseIndex } from "../../src/release/schema.ts"
import { keyId, signIndex } from "../../src/release/sign.ts"
import { tempDir } from "../helpers.ts"
import { type ServeProcess, startServe } from "./serve-process.ts"

const sha = (c: string): string => c.repeat(64)
const approval = { decision: "approve", curator: "alice", note: 'checked <b>20</b> documents & the card', at: "2026-12-07T22:00:00.000Z", via: "web", content_sha256: sha("a") } as const

const index: ReleaseIndex = Schema.decodeUnknownSync(ReleaseIndex)({
  format: "scicurate-release/1",
  name: "spring",
  created_at: "2026-12-07T23:00:00.000Z",
  scicurate_version: "0.3.0",
  tokenizer: { name: "o200k_base", eos_token_id: 199999, vocabulary_size: 200019 },
  bundles: [
    {
      name: "chemistry",
      path: "bundles/chemistry",
      manifest_sha256: sha("b"),
      content_sha256: sha("a"),
      approval,
      reviews: [approval],
      documents: 9,
      tokens: 695,
      files: [
        { path: "bundles/chemistry/manifest.json", sha256: sha("c"), bytes: 5000, split: null },
        { path: "bundles/chemistry/data/train-00000-of-00001.parquet", sha256: sha("d"), bytes: 12000, split: "train" }
      ]
    }
  ],
  left_out: [{ name: "unrouted", content_sha256: sha("e"), state: "rejected", reason: "rejected by bob: off-topic fragments" }],
  mixing: [
    {
      bundle: "chemistry",
      weight: 1,
      sampling_weight: 2.5,
      tokens: { train: 690, validation: 5 },
      token_prefixes: [{ prefix: "bundles/chemistry/tokens/o200k_base/train-00000-of-00001", split: "train", tokens: 704 }]
    }
  ],
  totals: { bundles: 1, files: 2, bytes: 17000, documents: 9, tokens: 695 }
})

let releases: string
let server: ServeProcess
let signingKeyId: string

beforeAll(async () => {
  releases = tempDir()
  const write = (name: string, file: string, text: string) => {
    fs.mkdirSync(path.join(releases, name), { recursive: true })
    fs.writeFileSync(path.join(releases, name, file), text)
  }
  const bytes = `${canonicalJson(index, 2)}\n`
  const { privateKey, publicKey } = generateKeyPairSync("ed25519")
  signingKeyId = keyId(publicKey)
  write("spring", "release.json", bytes)
  write("spring", "release.json.sig", signIndex(Buffer.from(bytes), privateKey))
  write("summer", "release.json", `${canonicalJson({ ...index, name: "summer" }, 2)}\n`)
  write("broken-json", "release.json", "{ not json")
  write("not-an-index", "release.json", JSON.stringify({ format: "scicurate-release/1", name: "x" }))
  server = await startServe([releases])
})

afterAll(async () => {
  await server?.stop()
})

describe("/ui/releases", () => {
  it("lists every release, signed or not, and a broken one as an error row", async () => {
    const res = await fetch(`${server.url}/ui/releases`)
    expect(res.status).toBe(200)
    const body = await res.text()
    expect(body).toContain('<a href="/ui/releases/spring">spring</a>')
    expect(body).toContain('<a href="/ui/releases/summer">summer</a>')
    const row = (name: string) => new RegExp(`<tr[^>]*>\\s*<td>(?:<a[^>]*>)?${name}[^]*?</tr>`).exec(body)?.[0] ?? ""
    expect(row("spring")).toContain("signed")
    expect(row("spring")).toContain(signingKeyId.slice(0, 12))
    expect(row("summer")).toContain("unsigned")
    expect(row("spring")).toContain("2026-12-07T23:00:00.000Z")
    expect(row("broken-json")).toContain('class="release-error"')
    expect(row("broken-json")).toContain("release.json unreadable")
    expect(row("not-an-index")).toContain("release.json unreadable")
  })
})

describe("/ui/releases/<name>", () => {
  it("shows the bundles with their approvals, what was left out and why, the mixing table, totals and the index link", async () => {
    const res = await fetch(`${server.url}/ui/releases/spring`)
    expect(res.status).toBe(200)
    const body = await res.text()
    expect(body).toContain("approved</span> by alice")
    // The note comes from a curator: escaped, never markup.
    expect(body).toContain("checked &lt;b&gt;20&lt;/b&gt; documents &amp; the card")
    expect(body).toContain("rejected by bob: off-topic fragments")
    expect(body).toMatch(/<td>chemistry<\/td><td class="num">1\.0000<\/td><td class="num">2\.5<\/td><td class="num">690<\/td><td class="num">5<\/td>/)
    expect(body).toContain("bundles/chemistry/tokens/o200k_base/train-00000-of-00001")
    expect(body).toMatch(/<th>Files<\/th><td class="num">2<\/td>/)
    expect(body).toContain("17,000")
    expect(body).toContain('href="/releases/spring/release.json"')
    expect(body).toContain('href="/releases/spring/release.json.sig"')
  })

  it("says what is wrong with a broken release instead of failing", async () => {
    const res = await fetch(`${server.url}/ui/releases/broken-json`)
    expect(res.status).toBe(500)
    expect(await res.text()).toContain("release.json unreadable")
  })

  it("is a 404 for a name that is not a listed release, including paths out of the folder", async () => {
    for (const name of ["nope", "..%2F..%2Fetc", "spring%2F..%2Fsummer", "spring%2Frelease.json"]) expect((await fetch(`${server.url}/ui/releases/${name}`)).status, name).toBe(404)
  })
})
