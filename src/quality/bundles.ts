/**
 * Per-bundle quality settings. Bundle definitions may override the filter thresholds and the language
 * keep list for the documents they receive (`quality:` in bundles/<name>.yaml). The quality stages run
 * before classify by default, when documents have no bundle yet: so a stage whose settings some
 * definition overrides routes each document with the same definitions the classify stage will use (the
 * classifier is deterministic), and applies that bundle's settings. After a classify stage, the
 * document's own `bundle` column is used.
 */
import * as path from "node:path"
import { BundleDefinitionError, DEFAULT_BUNDLES_DIR, loadBundleDefinitions, type BundleDefinition } from "../classify/definitions.ts"
import type { RoutableDocument } from "../classify/route.ts"

export type BundleQuality = NonNullable<BundleDefinition["quality"]>

/**
 * The definitions a quality stage must route with (only those of a folder where some definition has a
 * `quality` section; otherwise none, and no routing happens), or a configuration problem as a string.
 */
export function definitionsWithQuality(bundles: string | undefined, base: string, stage: string): ReadonlyArray<BundleDefinition> | string {
  const dir = bundles ? path.resolve(base, bundles) : DEFAULT_BUNDLES_DIR
  try {
    const definitions = loadBundleDefinitions(dir)
    return definitions.some((d) => d.quality !== undefined) ? definitions : []
  } catch (e) {
    return `${stage}: ${e instanceof BundleDefinitionError ? e.message : `${dir}: ${(e as Error).message}`}`
  }
}

/** What a document would be routed to, for stages whose settings some bundle overrides; null when none does. */
export async function bundleRouter(definitions: ReadonlyArray<BundleDefinition> | undefined): Promise<((doc: RoutableDocument) => string | null) | null> {
  if (definitions === undefined || definitions.length === 0) return null
  const { compileClassifier } = await import("../classify/route.ts")
  const classifier = compileClassifier(definitions)
  return (doc) => classifier.route(doc).bundle
}

/** The quality section of each definition that has one, by bundle name. */
export const qualityByBundle = (definitions: ReadonlyArray<BundleDefinition>): Record<string, BundleQuality> =>
  Object.fromEntries(definitions.flatMap((d) => (d.quality ? [[d.name, d.quality] as const] : [])))

/** The filter settings the definitions override, by bundle (thresholds and disabled rules). */
export const filterOverrides = (
  definitions: ReadonlyArray<BundleDefinition>
): Record<string, { thresholds?: Readonly<Record<string, number>>; disabled?: ReadonlyArray<string> }> =>
  Object.fromEntries(
    Object.entries(qualityByBundle(definitions)).flatMap(([name, q]) =>
      q.thresholds || q.disabled ? [[name, { ...(q.thresholds ? { thresholds: q.thresholds } : {}), ...(q.disabled ? { disabled: q.disabled } : {}) }] as const] : []
    )
  )

/** The languages the definitions keep instead of the language stage's list, by bundle. */
export const languageOverrides = (definitions: ReadonlyArray<BundleDefinition>): Record<string, ReadonlyArray<string>> =>
  Object.fromEntries(Object.entries(qualityByBundle(definitions)).flatMap(([name, q]) => (q.languages ? [[name, q.languages] as const] : [])))
