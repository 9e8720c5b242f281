/**
 * Ed25519 keys and signatures for release indexes (node:crypto only).
 *
 *   scicurate keygen --out NAME   writes NAME.key (PKCS#8 PEM private key, mode 0600) and NAME.pub (SPKI PEM)
 *
 * A signature covers the exact bytes of release.json; `key_id` (sha256 of the public key's DER) names
 * the key so a puller holding several keys, or the wrong one, gets a clear message.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto"
import * as fs from "node:fs"
import { Schema } from "effect"
import { ConfigError } from "../core/errors.ts"
import { writeFileAtomic } from "../core/layout.ts"
import { ReleaseSignature } from "./schema.ts"

export function keyId(publicKey: KeyObject): string {
  return createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex")
}

/** Write a new key pair: `<base>.key` (private, 0600) and `<base>.pub`. Refuses to overwrite either. */
export function generateKeyPairFiles(base: string): { privateFile: string; publicFile: string; keyId: string } | ConfigError {
  const privateFile = `${base}.key`
  const publicFile = `${base}.pub`
  for (const f of [privateFile, publicFile]) if (fs.existsSync(f)) return new ConfigError({ file: f, message: "already exists: refusing to overwrite a key" })
  const { privateKey, publicKey } = generateKeyPairSync("ed25519")
  writeFileAtomic(publicFile, publicKey.export({ type: "spki", format: "pem" }) as string)
  writeFileAtomic(privateFile, privateKey.export({ type: "pkcs8", format: "pem" }) as string)
  fs.chmodSync(privateFile, 0o600)
  return { privateFile, publicFile, keyId: keyId(publicKey) }
}

function readKeyFile(file: string): string | ConfigError {
  try {
    return fs.readFileSync(file, "utf8")
  } catch (e) {
    return new ConfigError({ file, message: `cannot read the key: ${(e as Error).message}` })
  }
}

export function loadPrivateKey(file: string): KeyObject | ConfigError {
  const text = readKeyFile(file)
  if (text instanceof ConfigError) return text
  try {
    const key = createPrivateKey(text)
    if (key.asymmetricKeyType !== "ed25519") return new ConfigError({ file, message: `an ${key.asymmetricKeyType} key: releases are signed with Ed25519 (scicurate keygen)` })
    return key
  } catch (e) {
    return new ConfigError({ file, message: `not a PEM private key: ${(e as Error).message}` })
  }
}

/** A public key file, or the private key file (its public half), as a puller may hold either. */
export function loadPublicKey(file: string): KeyObject | ConfigError {
  const text = readKeyFile(file)
  if (text instanceof ConfigError) return text
  try {
    const key = text.includes("PRIVATE KEY") ? createPublicKey(createPrivateKey(text)) : createPublicKey(text)
    if (key.asymmetricKeyType !== "ed25519") return new ConfigError({ file, message: `an ${key.asymmetricKeyType} key: releases are signed with Ed25519` })
    return key
  } catch (e) {
    return new ConfigError({ file, message: `not a PEM public key: ${(e as Error).message}` })
  }
}

/** The signature file's bytes for an index's bytes. */
export function signIndex(indexBytes: Uint8Array, privateKey: KeyObject): string {
  const signature: ReleaseSignature = {
    format: "scicurate-signature/1",
    algorithm: "ed25519",
    key_id: keyId(createPublicKey(privateKey)),
    signature: sign(null, indexBytes, privateKey).toString("base64")
  }
  return `${JSON.stringify(signature, null, 2)}\n`
}

export type SignatureCheck = { readonly ok: true; readonly keyId: string } | { readonly ok: false; readonly reason: string }

/** Check signature-file bytes against index bytes and a public key; says why when it does not hold. */
export function checkIndexSignature(indexBytes: Uint8Array, signatureText: string | null, publicKey: KeyObject): SignatureCheck {
  if (signatureText === null) return { ok: false, reason: "the release is not signed (no release.json.sig)" }
  let parsed: ReleaseSignature
  try {
    parsed = Schema.decodeUnknownSync(ReleaseSignature)(JSON.parse(signatureText))
  } catch (e) {
    return { ok: false, reason: `release.json.sig is not a scicurate signature: ${(e as Error).message.split("\n")[0]}` }
  }
  const expected = keyId(publicKey)
  if (parsed.key_id !== expected) return { ok: false, reason: `signed by key ${parsed.key_id.slice(0, 16)}…, not by the given key ${expected.slice(0, 16)}…` }
  const good = verify(null, indexBytes, publicKey, Buffer.from(parsed.signature, "base64"))
  return good ? { ok: true, keyId: expected } : { ok: false, reason: "the signature does not match release.json (the index was changed after signing, or the signature is damaged)" }
}
