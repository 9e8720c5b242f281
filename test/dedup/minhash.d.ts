// Minimal types for the `minhash` npm package (0.0.9, untyped), used only as an independent reference
// in minhash-core.test.ts. Its LshIndex is left out on purpose: query() throws for documents not indexed.
declare module "minhash" {
  export class Minhash {
    constructor(config?: { numPerm?: number; seed?: number })
    readonly hashvalues: number[]
    update(value: string): void
    jaccard(other: Minhash): number
  }
}
