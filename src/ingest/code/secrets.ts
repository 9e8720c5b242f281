/**
 * Secrets in source code: found, replaced by `<REDACTED:kind>` and counted. The secret values are never
 * returned, logged or stored anywhere: the result holds only the redacted text and counts per kind.
 *
 * Kinds: private keys (the whole PEM/OpenSSH/PGP block), AWS access key ids and secret keys, GitHub,
 * GitLab, Slack, Hugging Face, OpenAI, Stripe and Google API tokens, JWTs, credentials in URLs
 * (postgres://user:pass@host), and assignments of literal values to names like `password`, `api_key`,
 * `secret`, `token` (placeholders such as "changeme", "", "xxx", "${VAR}", "<password>" are left alone,
 * and so are environment lookups, which are not literals).
 */

export type SecretKind =
  | "private-key"
  | "aws-access-key"
  | "aws-secret-key"
  | "github-token"
  | "gitlab-token"
  | "slack-token"
  | "slack-webhook"
  | "google-api-key"
  | "huggingface-token"
  | "openai-key"
  | "stripe-key"
  | "jwt"
  | "url-credentials"
  | "password"
  | "api-key"
  | "secret"
  | "token"

export interface Redacted {
  readonly text: string
  /** Count per kind; only kinds that occurred. */
  readonly redactions: Readonly<Partial<Record<SecretKind, number>>>
  readonly total: number
}

export const placeholder = (kind: SecretKind): string => `<REDACTED:${kind}>`

/**
 * Token formats whose shape alone identifies them (prefix + alphabet + length), each with the literal
 * substrings one of which it must contain: a cheap `includes` skips the regex on most files.
 */
const TOKENS: ReadonlyArray<readonly [SecretKind, RegExp, ReadonlyArray<string>]> = [
  ["aws-access-key", /\b(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[0-9A-Z]{16}\b/g, ["AKIA", "ASIA", "ABIA", "ACCA", "AROA", "AIDA"]],
  ["github-token", /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/g, ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]],
  ["github-token", /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g, ["github_pat_"]],
  ["gitlab-token", /\bglpat-[A-Za-z0-9_-]{20,}\b/g, ["glpat-"]],
  ["slack-token", /\bxox[abposr]-(?:[A-Za-z0-9]+-){1,4}[A-Za-z0-9]{6,}\b/g, ["xox"]],
  ["slack-webhook", /https:\/\/hooks\.slack\.com\/services\/T[A-Za-z0-9_]+\/B[A-Za-z0-9_]+\/[A-Za-z0-9_]{16,}/g, ["hooks.slack.com"]],
  ["google-api-key", /\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g, ["AIza"]],
  ["huggingface-token", /\bhf_[A-Za-z0-9]{34,40}\b/g, ["hf_"]],
  ["openai-key", /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}\b/g, ["T3BlbkFJ"]],
  ["openai-key", /\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}\b/g, ["sk-proj-", "sk-svcacct-", "sk-admin-"]],
  ["stripe-key", /\b(?:sk|rk)_live_[0-9A-Za-z]{20,}\b/g, ["_live_"]],
  ["jwt", /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}(?![A-Za-z0-9_-])/g, ["eyJ"]]
]

/** PEM and OpenSSH private keys, PGP private key blocks; the whole block goes. */
const PRIVATE_KEY =
  /-----BEGIN ((?:RSA |DSA |EC |OPENSSH |ENCRYPTED |SSH2 ENCRYPTED )?PRIVATE KEY|PGP PRIVATE KEY BLOCK)-----[\s\S]{0,65536}?-----END \1-----/g
/**
 * A BEGIN line whose END is missing (a truncated paste): the BEGIN line and the key lines after it
 * (base64, PEM headers like "Proc-Type: 4,ENCRYPTED", blank lines, string quotes) go.
 */
const PRIVATE_KEY_TRUNCATED =
  /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY[A-Z ]{0,10}-----(?:\r?\n[ \t"'`]*(?:[A-Za-z0-9+/=]{8,}|[A-Za-z-]{1,40}: [^\n]*|)[ \t"'`,+]*(?:\\n)?[ \t"'`,+]*)*/g

/** scheme://user:password@host: the password goes, the user and host stay. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]{1,20}):\/\/([^\s:@/'"`<>]{1,100}):([^\s@/'"`<>]{1,200})@(?=[\w.[\]-])/gi

/**
 * `name = "value"`, `name: 'value'`, `"name": "value"`, `NAME=value` (shell/.env), `name := "value"`.
 * The name's last word decides the kind; the value must be a quoted literal (or a bare word in .env style).
 */
const ASSIGNMENT =
  /(?<![A-Za-z0-9_])(["']?)((?:[A-Za-z_][A-Za-z0-9_.-]{0,60}?)?(?:pass(?:word|wd|phrase)|(?<=[_.-])pass|pwd|secret(?:[_-]?key)?|api[_-]?key|apikey|access[_-]?key(?:[_-]?id)?|secret[_-]?access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?token|access[_-]?token|refresh[_-]?token|bearer[_-]?token|token))\1(\s*(?::\s*[A-Za-z_][\w.[\]| ]{0,60})?\s*(?::=|=(?!=)|:|=>|<-)\s*)(?:(["'`])((?:(?!\4)[^\\\n]|\\.){1,400})\4|([^\s"'`;,#)}\]]{8,200})(?=\s|$|;))/gim

/** Every name ASSIGNMENT can match contains one of these. */
const ASSIGNMENT_KEYWORD = /pass|pwd|secret|key|token/i

const PLACEHOLDER_WORDS =
  /^(?:changeme|change[_-]?me|password|passwd|pass|pw|pwd|user|username|login|secret|token|api[_-]?key|your[_-].*|my[_-].*|example.*|sample.*|dummy.*|test.*|fake.*|placeholder|redacted|none|null|nil|undefined|true|false|xxx+|\*+|\.+|-+|_+|x+|todo|tbd|fixme|string|str|required|optional|default|empty|foo|bar|baz|foobar|secret[_-]?key|insert.*|enter.*|replace.*|put[_-].*|add[_-].*|<.*>|\{.*\}|\[.*\]|%.*%|\$.*|@.*@)$/i

/** Shannon entropy in bits per character. */
function entropy(s: string): number {
  const counts = new Map<string, number>()
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  let h = 0
  for (const c of counts.values()) {
    const p = c / s.length
    h -= p * Math.log2(p)
  }
  return h
}

function kindOfName(name: string): SecretKind {
  const n = name.toLowerCase()
  if (/pass|pwd/.test(n)) return "password"
  if (/api[_-]?key|apikey/.test(n)) return "api-key"
  if (/secret|private[_-]?key|access[_-]?key/.test(n)) return "secret"
  return "token"
}

/**
 * Is `value` a literal secret rather than a placeholder, a reference or code? Passwords only need to
 * be non-trivial; tokens (a word that also names lexer tokens) must look random.
 */
function isSecretValue(value: string, kind: SecretKind, name: string): boolean {
  const v = value.trim()
  if (v.length < 4) return false
  if (/\s/.test(v)) return false // prompts, sentences, SQL
  if (v.startsWith("<REDACTED:")) return false
  if (PLACEHOLDER_WORDS.test(v)) return false
  if (/\$\{[^}]*\}|\$\([^)]*\)|\{\{[^}]*\}\}|%\([^)]*\)s|%s|\{\}|^\$[A-Za-z_]/.test(v)) return false // templates, shell vars
  if (/^(os\.|process\.env|getenv|env\(|environ|config\.|settings\.|self\.|this\.|args\.|opts\.|options\.)/i.test(v)) return false
  if (/^(.)\1+$/.test(v)) return false // "aaaa", "0000"
  if (v.toLowerCase() === name.toLowerCase() || v.toLowerCase().replace(/[_-]/g, "") === name.toLowerCase().replace(/[_-]/g, "")) return false
  if (/^[A-Z][A-Z0-9_]*$/.test(v) && v.includes("_")) return false // ENV_VAR_NAME
  if (/^[a-z]+(\.[a-z]+)+$/i.test(v) && !/\d/.test(v)) return false // dotted config key
  if (/^(https?:)?\/\//.test(v) || /^\.{0,2}\//.test(v)) return false // URLs and paths (URL creds handled apart)
  // Measurements ("high-pass: 0.5Hz-40Hz", "low_pass": "40.0") are not passwords: numbers with units.
  if (/^[-+]?[\d.,]+(?:[eE][-+]?\d+)?\s*[A-Za-zµ°%]{0,4}(?:[-–/][-+]?[\d.,]+\s*[A-Za-zµ°%]{0,4})?$/.test(v)) return false
  if (kind === "password") return v.length >= 6 || /\d/.test(v)
  // "token" also names lexer tokens: require something that looks random, digits included.
  if (kind === "token") return v.length >= 12 && entropy(v) >= 3 && /[0-9]/.test(v) && /[A-Za-z]/.test(v)
  // api keys and secrets: random-looking (digits, or mixed case at some length), not a word.
  const mixed = /[a-z]/.test(v) && /[A-Z]/.test(v)
  return v.length >= 8 && entropy(v) >= 2.5 && (/[0-9]/.test(v) || (mixed && v.length >= 16)) && !/^[a-z]+([_-][a-z]+)*$/.test(v)
}

/**
 * Redact secrets in `text`. Returns the redacted text and counts per kind (never the values).
 */
/** False when no rule could match anywhere in `text` (every rule needs one of these literals). */
export const mayHoldSecret = (text: string): boolean =>
  /PRIVATE KEY|AKIA|ASIA|ABIA|ACCA|AROA|AIDA|gh[pousr]_|github_pat_|glpat-|xox|hooks\.slack|AIza|hf_|sk-|_live_|eyJ|:\/\/|pass|pwd|secret|key|token/i.test(text)

export function redactSecrets(text: string): Redacted {
  const counts: Partial<Record<SecretKind, number>> = {}
  let total = 0
  const bump = (k: SecretKind) => {
    counts[k] = (counts[k] ?? 0) + 1
    total++
  }
  let out = text
  // Fast path: nothing that any rule needs.
  if (!mayHoldSecret(out)) {
    return { text: out, redactions: counts, total }
  }
  if (out.includes("PRIVATE KEY")) {
    out = out.replace(PRIVATE_KEY, () => {
      bump("private-key")
      return placeholder("private-key")
    })
    out = out.replace(PRIVATE_KEY_TRUNCATED, () => {
      bump("private-key")
      return placeholder("private-key")
    })
  }
  for (const [kind, re, hints] of TOKENS) {
    if (!hints.some((h) => out.includes(h))) continue
    out = out.replace(re, () => {
      bump(kind)
      return placeholder(kind)
    })
  }
  // A literal-first pattern finds out cheaply whether any URL carries credentials at all.
  if (out.includes("://") && /:\/\/[^\s:@/'"`<>]{1,100}:[^\s@/'"`<>]{1,200}@/.test(out)) {
    out = out.replace(URL_CREDENTIALS, (m, scheme: string, user: string, pass: string) => {
      if (PLACEHOLDER_WORDS.test(pass) || /^\$|\$\{|\{\{|^<.*>$|^\*+$|^%/.test(pass) || pass.startsWith("<REDACTED:")) return m
      bump("url-credentials")
      return `${scheme}://${user}:${placeholder("url-credentials")}@`
    })
  }
  // AWS secret access keys: 40 base64 characters assigned to an aws_secret... name (handled below too,
  // but they deserve their own kind).
  if (/aws_?secret/i.test(out)) out = out.replace(
    /(aws_?secret_?(?:access_?)?key(?:_id)?["']?\s*(?::|=|=>)\s*["']?)([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])/gi,
    (_m, pre: string) => {
      bump("aws-secret-key")
      return `${pre}${placeholder("aws-secret-key")}`
    }
  )
  const assignment = (m: string, q: string, name: string, op: string, quote: string | undefined, quoted: string | undefined, bare: string | undefined) => {
    const value = quoted ?? bare ?? ""
    // Bare values only in .env/shell/INI style (NAME=value at line start), not `token = next_token()`.
    if (quoted === undefined) {
      if (!/^\s*=\s*$|^\s*:\s*$/.test(op)) return m
      if (/[()[\]{}]/.test(value)) return m
      // A bare identifier is a variable, not a literal (`password = user_password`).
      if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(value) && !/\d/.test(value)) return m
    }
    const kind = kindOfName(name)
    if (!isSecretValue(value, kind, name)) return m
    bump(kind)
    const red = placeholder(kind)
    return quoted !== undefined ? `${q}${name}${q}${op}${quote}${red}${quote}` : `${q}${name}${q}${op}${red}`
  }
  // The assignment pattern is costly to try at every position: run it only on lines naming a keyword.
  if (ASSIGNMENT_KEYWORD.test(out)) {
    const lines = out.split("\n")
    for (let i = 0; i < lines.length; i++) if (ASSIGNMENT_KEYWORD.test(lines[i]!)) lines[i] = lines[i]!.replace(ASSIGNMENT, assignment)
    out = lines.join("\n")
  }
  return { text: out, redactions: counts, total }
}
