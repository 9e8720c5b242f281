/**
 * The curators file (`serve --curators FILE`): who may record decisions through the web application.
 * It holds names and the sha256 of each curator's token, never the token itself, so the file can be
 * read by the server's account without leaking a credential:
 *
 *   # scicurate curators: name, then sha256 of the token (scicurate curators add NAME --file FILE)
 *   alice 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 *
 * Tokens are 32 random bytes (base64url), so one sha256 is enough: there is nothing to brute-force.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import * as fs from "node:fs"
import { ConfigError } from "../core/errors.ts"

export interface Curator {
  readonly name: string
  readonly tokenSha256: string
}

export const CURATORS_HEADER = "# scicurate curators: name, then sha256 of the token (scicurate curators add NAME --file FILE)"

const tokenHash = (token: string): Buffer => createHash("sha256").update(token, "utf8").digest()

export function parseCurators(file: string, text: string): ReadonlyArray<Curator> | ConfigError {
  const curators: Curator[] = []
  const lines = text.split("\n")
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === "" || line.startsWith("#")) continue
    const m = /^([A-Za-z0-9._@-]{1,64})\s+([0-9a-f]{64})$/.exec(line)
    if (m === null) return new ConfigError({ file, message: `line ${i + 1}: expected "NAME SHA256-OF-TOKEN" (a name of letters, digits, . _ @ -; 64 hex digits)` })
    if (curators.some((c) => c.name === m[1])) return new ConfigError({ file, message: `line ${i + 1}: curator ${m[1]} listed twice` })
    curators.push({ name: m[1]!, tokenSha256: m[2]! })
  }
  if (curators.length === 0) return new ConfigError({ file, message: "no curators listed (add one with: scicurate curators add NAME --file FILE)" })
  return curators
}

export function loadCurators(file: string): ReadonlyArray<Curator> | ConfigError {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (e) {
    return new ConfigError({ file, message: `cannot read the curators file: ${(e as Error).message}` })
  }
  return parseCurators(file, text)
}

/** The curator a token belongs to, or null. Compares hashes in constant time. */
export function curatorForToken(curators: ReadonlyArray<Curator>, token: string): Curator | null {
  const given = tokenHash(token)
  let found: Curator | null = null
  for (const c of curators) if (timingSafeEqual(given, Buffer.from(c.tokenSha256, "hex"))) found = c
  return found
}

/** A fresh token and the line that lists its curator. The token is shown once; only its hash is kept. */
export function newCuratorToken(name: string): { token: string; line: string } {
  const token = randomBytes(32).toString("base64url")
  return { token, line: `${name} ${tokenHash(token).toString("hex")}` }
}
