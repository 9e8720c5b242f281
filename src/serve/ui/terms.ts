/**
 * The top terms of a bundle's documents (the unrouted set's page): word frequencies computed by DuckDB
 * over the shards, lower-cased, stop words, numbers and short words left out. Ranked by the number of
 * documents that use a term, then by occurrences: a lexicon term should catch many documents, and one
 * long document (a table summary saying "mean" forty times) should not fill the list. Bounded: the first
 * 20,000 characters of at most 50,000 documents, so a huge unrouted set costs a bounded scan.
 */
import { sqlString } from "../../core/duckdb.ts"
import { bundleSource, memoized, query, type BundleRef } from "./data.ts"

const STOP_WORDS =
  `the and for are but not you all any can had her was one our out day get has him his how man new
  now old see two way who boy did its let put say she too use that with have this will your from
  they know want been good much some time very when come here just like long make many over such
  take than them well were what which their there these those into only other also more most then
  then where while would could should about after again being below between both during each
  further once same under until whose why because before above through does doing having itself
  himself herself themselves ourselves yours theirs this that using used based show shows shown
  results result study paper data method methods model models however within without across among
  upon whether thus may might must shall per via can cannot`.split(/\s+/)
  .concat(
    // The vocabulary of scientific writing in any field: frequent everywhere, so it names no domain.
    `present presents presented approach approaches different compared compare comparison work works
    propose proposed objective objectives level levels system systems demonstrate demonstrated
    demonstrates information type types lower higher high low year years improve improved improves
    often provide provides provided therefore common complete evaluated evaluate evaluation existing
    experimental experiment experiments few first second third future important made measured
    missing point position potential sample samples space three four five several various number
    numbers total large small new based effect effects analysis analyses significant significantly
    found find findings conclusion conclusions background purpose aim aims including include
    includes included associated use uses related well used overall approximately respectively
    although however moreover furthermore indicate indicates indicated suggest suggests suggested
    observed observe obtained compared study studies studied research problem problems task tasks
    set sets case cases test tests tested performance better best state art recent recently known
    way ways able given main general end`.split(/\s+/)
  )

export interface Term {
  readonly term: string
  readonly occurrences: number
  readonly documents: number
}

export function topTerms(b: BundleRef, limit = 60): Promise<Term[]> {
  return memoized(`terms:${b.dir}:${b.manifest.content_sha256}`, async () => {
    const src = bundleSource(b)
    if (src === null) return []
    const rows = await query(
      `WITH docs AS (SELECT id, lower(substring(text, 1, 20000)) AS t FROM ${src} LIMIT 50000),
            words AS (SELECT id, unnest(regexp_extract_all(t, '[a-z][a-z\\-]+[a-z]')) AS term FROM docs)
       SELECT term, count(*) AS occurrences, count(DISTINCT id) AS documents FROM words
       WHERE length(term) >= 3 AND term NOT IN (${STOP_WORDS.map(sqlString).join(", ")})
       GROUP BY term ORDER BY documents DESC, occurrences DESC, term LIMIT ${Math.trunc(limit)}`
    )
    return rows.map((r) => ({ term: String(r.term), occurrences: Number(r.occurrences), documents: Number(r.documents) }))
  })
}
