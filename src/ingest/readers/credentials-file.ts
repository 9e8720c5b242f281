/**
 * Files that hold credentials by convention (`.env`, private keys, `.netrc`...). Filtered by name
 * before being read: redaction inside documents (see types.ts) is the second line of defence, not the
 * first.
 */
import { locationOf, type Reader } from "../reader.ts"
import { filtered } from "../types.ts"

const CREDENTIAL_NAME = /^(\.env(\.(?!example$|sample$|template$|dist$)[\w.-]+)?|\.netrc|\.pgpass|\.pypirc|\.npmrc|\.htpasswd|id_(rsa|dsa|ecdsa|ed25519)|credentials\.json|[\w.-]+\.(pem|key|p12|pfx|jks|keystore|ppk))$/i

const baseName = (p: string): string => p.slice(p.replace(/\\/g, "/").lastIndexOf("/") + 1)

/** Why a file name says "credentials", or null. */
export function credentialsFileName(name: string): string | null {
  return CREDENTIAL_NAME.test(baseName(name)) ? `${baseName(name)} holds credentials by convention; it is not read` : null
}

export const credentialsFileReader: Reader = {
  id: "credentials-file",
  kind: "filter",
  format: "-",
  priority: 96,
  ceiling: 0.98,
  detectsOn: "file name (.env, *.pem, *.key, id_rsa, .netrc...)",
  examples: [".env", "server.pem", "id_ed25519"],
  detect: (probe) => (probe.sniffed._tag === "Text" && CREDENTIAL_NAME.test(probe.baseName) ? { score: 0.98, reason: `credentials file name ${probe.baseName}` } : null),
  async *read(target) {
    yield filtered("credentials-file", credentialsFileName(target.probe.name) ?? "", locationOf(target))
  }
}
