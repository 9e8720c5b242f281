/**
 * Writes through the curators' pages, against a real `scicurate serve` over a work folder the demo
 * pipeline built: sign-in with a curator token, sessions, CSRF tokens, the Origin check, decisions
 * bound to the bundle's content hash, and a read-only server that shows no forms and refuses every POST.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { writeSampleCorpus } from "../../src/demo/sample-corpus.ts"
import { readReviewLog, REVIEW_LOG_NAME } from "../../src/review/log.ts"
import { newCuratorToken } from "../../src/review/curators.ts"
import { cli, repoRoot, tempDir } from "../helpers.ts"
import { type ServeProcess, startServe } from "./serve-process.ts"

const BUNDLE = "chemistry"

let work: string
let aliceToken: string
let rw: ServeProcess
let ro: ServeProcess

const manifestHash = (): string => JSON.parse(fs.readFileSync(path.join(work, "bundles", BUNDLE, "manifest.json"), "utf8")).content_sha256
const logLines = (): string[] => {
  const file = path.join(work, REVIEW_LOG_NAME)
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : []
}

/** A form POST as a browser on `server`'s own page would send it, unless `headers` says otherwise. */
function post(server: ServeProcess, pathname: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}${pathname}`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url, ...headers },
    body: new URLSearchParams(fields).toString()
  })
}

const get = (server: ServeProcess, pathname: string, cookie?: string): Promise<Response> =>
  fetch(`${server.url}${pathname}`, { redirect: "manual", headers: cookie === undefined ? {} : { cookie } })

/** Sign in with `token`; the session cookie ("name=value") and the raw Set-Cookie header. */
async function signIn(token: string): Promise<{ cookie: string; setCookie: string; res: Response }> {
  const res = await post(rw, "/ui/sign-in", { token, next: `/ui/bundles/${BUNDLE}/review` })
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith("scicurate_session=")) ?? ""
  return { cookie: setCookie.split(";")[0]!, setCookie, res }
}

/** The CSRF token and content hash the review page's form carries for this session. */
async function formOf(cookie: string): Promise<{ csrf: string; seen: string; body: string }> {
  const body = await (await get(rw, `/ui/bundles/${BUNDLE}/review`, cookie)).text()
  const csrf = /<form class="decision-form"[^]*?name="csrf" value="([^"]+)"/.exec(body)?.[1]
  const seen = /name="content_sha256" value="([0-9a-f]{64})"/.exec(body)?.[1]
  expect(csrf, "the decision form carries a CSRF token").toBeDefined()
  return { csrf: csrf!, seen: seen!, body }
}

beforeAll(async () => {
  const root = tempDir()
  const sample = path.join(root, "sample")
  await writeSampleCorpus(sample)
  work = path.join(root, "work")
  const run = cli(["run", path.join(repoRoot, "pipelines/demo.yaml"), "--work", work], { SCICURATE_SAMPLE: sample, SOURCE_DATE_EPOCH: "1700000000" })
  expect(run.status, run.stderr).toBe(0)
  const alice = newCuratorToken("alice")
  const bob = newCuratorToken("bob")
  aliceToken = alice.token
  const curatorsFile = path.join(root, "curators.txt")
  fs.writeFileSync(curatorsFile, `${alice.line}\n${bob.line}\n`)
  ;[rw, ro] = await Promise.all([startServe([work, "--curators", curatorsFile]), startServe([work])])
})

afterAll(async () => {
  await Promise.all([rw?.stop(), ro?.stop()])
})

describe("signing in", () => {
  it("refuses a token that belongs to no curator, and sets no session", async () => {
    const { res, setCookie } = await signIn("not-a-token-of-anyone")
    expect(res.status).toBe(403)
    expect(setCookie).toBe("")
    expect(await res.text()).toContain("belongs to no curator")
  })

  it("opens a session for a curator's token: an HttpOnly, SameSite=Strict cookie on /ui that expires", async () => {
    const { res, setCookie, cookie } = await signIn(aliceToken)
    expect(res.status).toBe(303)
    expect(res.headers.get("location")).toBe(`/ui/bundles/${BUNDLE}/review`)
    expect(setCookie).toMatch(/; HttpOnly/i)
    expect(setCookie).toMatch(/; SameSite=Strict/i)
    expect(setCookie).toMatch(/; Path=\/ui(;|$)/)
    expect(setCookie).toMatch(/; Max-Age=43200/)
    // 32 random bytes, base64url
    expect(cookie).toMatch(/^scicurate_session=[A-Za-z0-9_-]{43}$/)
    const page = await (await get(rw, `/ui/bundles/${BUNDLE}/review`, cookie)).text()
    expect(page).toContain("Signed in as <b>alice</b>")
    expect(page).toContain('class="decision-form"')
  })

  it("sends a signed-in curator back only to a page of /ui, whatever `next` says", async () => {
    for (const next of ["//evil.example/", "https://evil.example/ui", "/ui\\evil", "/ui/x\r\nSet-Cookie: a=b", "/elsewhere"]) {
      const res = await post(rw, "/ui/sign-in", { token: aliceToken, next })
      expect(res.status, next).toBe(303)
      expect(res.headers.get("location"), next).toBe("/ui/")
    }
  })

  it("pages refuse to be framed by another site, and a signed-in curator's pages (with their CSRF token) are not cached", async () => {
    const anonymous = await get(rw, `/ui/bundles/${BUNDLE}/review`)
    expect(anonymous.headers.get("x-frame-options")).toBe("DENY")
    expect(anonymous.headers.get("content-security-policy")).toContain("frame-ancestors 'none'")
    const { cookie } = await signIn(aliceToken)
    const signedIn = await get(rw, `/ui/bundles/${BUNDLE}/review`, cookie)
    expect(signedIn.headers.get("cache-control")).toBe("no-store")
    expect(signedIn.headers.get("x-frame-options")).toBe("DENY")
  })

  it("refuses a sign-in posted from another site", async () => {
    const res = await post(rw, "/ui/sign-in", { token: aliceToken }, { origin: "http://evil.example" })
    expect(res.status).toBe(403)
    expect(res.headers.getSetCookie()).toEqual([])
  })
})

describe("recording a decision", () => {
  it("refuses a POST without a session", async () => {
    const before = logLines().length
    const res = await post(rw, `/ui/bundles/${BUNDLE}/decision`, { decision: "approve", note: "", content_sha256: manifestHash() })
    expect(res.status).toBe(403)
    expect(await res.text()).toContain("signed-in curator")
    expect(logLines().length).toBe(before)
  })

  it("refuses a POST with a session but a missing, wrong or other session's CSRF token", async () => {
    const { cookie } = await signIn(aliceToken)
    const other = await signIn(aliceToken)
    const { csrf: otherCsrf } = await formOf(other.cookie)
    const { csrf } = await formOf(cookie)
    const before = logLines().length
    const fields = { decision: "approve", note: "", content_sha256: manifestHash() }
    for (const token of [undefined, "", "x", `${csrf.slice(0, -1)}${csrf.endsWith("A") ? "B" : "A"}`, otherCsrf]) {
      const res = await post(rw, `/ui/bundles/${BUNDLE}/decision`, token === undefined ? fields : { ...fields, csrf: token }, { cookie })
      expect(res.status, `csrf=${token}`).toBe(403)
    }
    expect(logLines().length).toBe(before)
  })

  it("refuses a POST from another origin, or with neither Origin nor Referer, even with session and token", async () => {
    const { cookie } = await signIn(aliceToken)
    const { csrf, seen } = await formOf(cookie)
    const before = logLines().length
    const fields = { decision: "approve", note: "", content_sha256: seen, csrf }
    const crossSite = await post(rw, `/ui/bundles/${BUNDLE}/decision`, fields, { cookie, origin: "http://evil.example" })
    expect(crossSite.status).toBe(403)
    expect(await crossSite.text()).toContain("evil.example")
    const crossReferer = await fetch(`${rw.url}/ui/bundles/${BUNDLE}/decision`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie, referer: "http://evil.example/page" },
      body: new URLSearchParams(fields).toString()
    })
    expect(crossReferer.status).toBe(403)
    // An independent client: curl sends no Origin and no Referer unless told to.
    const r = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-b", cookie, "--data-urlencode", `csrf=${csrf}`, "-d", "decision=approve", "-d", `content_sha256=${seen}`, `${rw.url}/ui/bundles/${BUNDLE}/decision`], {
      encoding: "utf8"
    })
    expect(r.stdout).toBe("403")
    expect(logLines().length).toBe(before)
  })

  it("requires a note to reject or request changes", async () => {
    const { cookie } = await signIn(aliceToken)
    const { csrf, seen } = await formOf(cookie)
    const before = logLines().length
    for (const decision of ["reject", "request-changes"]) {
      const res = await post(rw, `/ui/bundles/${BUNDLE}/decision`, { decision, note: "  ", content_sha256: seen, csrf }, { cookie })
      expect(res.status).toBe(400)
    }
    const unknown = await post(rw, `/ui/bundles/${BUNDLE}/decision`, { decision: "delete", note: "x", content_sha256: seen, csrf }, { cookie })
    expect(unknown.status).toBe(400)
    expect(logLines().length).toBe(before)
  })

  it("records nothing for a bundle that is not served, however its name is spelled", async () => {
    const { cookie } = await signIn(aliceToken)
    const { csrf, seen } = await formOf(cookie)
    const before = logLines().length
    for (const name of ["no-such-bundle", "..%2Fbundles%2Fchemistry", "chemistry%2F..%2Fchemistry"]) {
      const res = await post(rw, `/ui/bundles/${name}/decision`, { decision: "approve", note: "", content_sha256: seen, csrf }, { cookie })
      expect(res.status, name).toBe(404)
    }
    expect(logLines().length).toBe(before)
  })

  it("refuses a decision on content the curator did not see", async () => {
    const { cookie } = await signIn(aliceToken)
    const { csrf } = await formOf(cookie)
    const before = logLines().length
    const res = await post(rw, `/ui/bundles/${BUNDLE}/decision`, { decision: "approve", note: "", content_sha256: "0".repeat(64), csrf }, { cookie })
    expect(res.status).toBe(409)
    expect(await res.text()).toContain("the bundle changed while you were reviewing it; reload")
    expect(logLines().length).toBe(before)
  })

  it("records an approval by the signed-in curator, bound to the manifest's hash, then redirects to the page (post/redirect/get)", async () => {
    const { cookie } = await signIn(aliceToken)
    const { csrf, seen } = await formOf(cookie)
    expect(seen).toBe(manifestHash())
    const note = 'Looked at 20 documents <script>alert("x")</script>'
    const res = await post(rw, `/ui/bundles/${BUNDLE}/decision`, { decision: "approve", note, content_sha256: seen, csrf, back: `/ui/bundles/${BUNDLE}/review` }, { cookie })
    expect(res.status).toBe(303)
    expect(res.headers.get("location")).toBe(`/ui/bundles/${BUNDLE}/review#decision`)
    const log = readReviewLog(work)
    expect(log.problems).toEqual([])
    expect(log.decisions.at(-1)).toMatchObject({ bundle: BUNDLE, decision: "approve", curator: "alice", via: "web", note, content_sha256: manifestHash() })
    const { body } = await formOf(cookie)
    expect(body).toContain('data-state="approved"')
    expect(body).not.toContain("<script>alert")
    expect(body).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;")
  })

  it("a redirect target outside /ui is ignored", async () => {
    const { cookie } = await signIn(aliceToken)
    const { csrf, seen } = await formOf(cookie)
    const res = await post(rw, `/ui/bundles/${BUNDLE}/decision`, { decision: "request-changes", note: "more code", content_sha256: seen, csrf, back: "//evil.example/x" }, { cookie })
    expect(res.status).toBe(303)
    expect(res.headers.get("location")).toBe(`/ui/bundles/${BUNDLE}/review#decision`)
  })

  it("signing out ends the session: its cookie and CSRF token no longer write", async () => {
    const { cookie } = await signIn(aliceToken)
    const { csrf, seen } = await formOf(cookie)
    const out = await post(rw, "/ui/sign-out", { csrf }, { cookie })
    expect(out.status).toBe(303)
    const before = logLines().length
    const res = await post(rw, `/ui/bundles/${BUNDLE}/decision`, { decision: "approve", note: "", content_sha256: seen, csrf }, { cookie })
    expect(res.status).toBe(403)
    expect(logLines().length).toBe(before)
  })
})

describe("a server on a loopback address", () => {
  it("answers only requests addressed to a loopback name: a rebinding page's own host name gets 421, pages and release files alike", () => {
    const port = new URL(ro.url).port
    const status = (host: string, pathname: string) =>
      spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", `Host: ${host}`, `${ro.url}${pathname}`], { encoding: "utf8" }).stdout
    for (const pathname of ["/ui/", `/ui/bundles/${BUNDLE}`, "/releases/"]) {
      expect(status(`attacker.example:${port}`, pathname), pathname).toBe("421")
      expect(status(`127.0.0.1:${port}`, pathname), pathname).not.toBe("421")
      expect(status(`localhost:${port}`, pathname), pathname).not.toBe("421")
    }
  })
})

describe("a read-only server (no --curators)", () => {
  it("shows no forms that write and no sign-in", async () => {
    const page = await (await get(ro, `/ui/bundles/${BUNDLE}/review`)).text()
    expect(page).toContain('data-state="')
    expect(page).not.toMatch(/<form/)
    expect(page).toContain("read-only")
    // The bundle page has the decision panel too (and a search form, which only reads).
    for (const pathname of ["/ui/", `/ui/bundles/${BUNDLE}`, "/ui/releases"]) {
      const body = await (await get(ro, pathname)).text()
      expect(body, pathname).not.toMatch(/<form[^>]*method="post"/i)
    }
    const bundlePage = await (await get(ro, `/ui/bundles/${BUNDLE}`)).text()
    expect(bundlePage).toContain('class="decision-panel"')
    expect(bundlePage).toContain("read-only")
    const signInPage = await (await get(ro, "/ui/sign-in")).text()
    expect(signInPage).not.toMatch(/<form/)
    expect(signInPage).toContain("read-only")
  })

  it("refuses every POST with a page saying why, even a valid curator token", async () => {
    const before = logLines().length
    for (const [pathname, fields] of [
      ["/ui/sign-in", { token: aliceToken }],
      [`/ui/bundles/${BUNDLE}/decision`, { decision: "approve", note: "", content_sha256: manifestHash() }],
      ["/ui/sign-out", {}],
      ["/ui/anything-else", {}]
    ] as const) {
      const res = await post(ro, pathname, fields)
      expect(res.status, pathname).toBe(403)
      expect(await res.text()).toContain("read-only")
      expect(res.headers.getSetCookie()).toEqual([])
    }
    expect(logLines().length).toBe(before)
  })
})

describe("failed sign-ins", () => {
  // Last: it leaves this client address throttled on the read-write server.
  it("are throttled per client: after five failures even the right token waits", async () => {
    for (let i = 0; i < 5; i++) expect((await signIn(`wrong-${i}`)).res.status).toBe(403)
    const { res, setCookie } = await signIn(aliceToken)
    expect(res.status).toBe(429)
    expect(setCookie).toBe("")
  })
})
