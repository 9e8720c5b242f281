import { createRequire } from "node:module"

/** The package version, read from package.json so there is one place to bump it. */
export const SCICURATE_VERSION: string = (createRequire(import.meta.url)("../../package.json") as { version: string }).version

/** Creation time for outputs: SOURCE_DATE_EPOCH (reproducible-builds convention) when set, else now. */
export function creationTime(env: NodeJS.ProcessEnv = process.env): string {
  const epoch = env.SOURCE_DATE_EPOCH
  if (epoch !== undefined && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString()
  return new Date().toISOString()
}
