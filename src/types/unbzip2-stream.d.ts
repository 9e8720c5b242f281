/** unbzip2-stream ships no types: a factory of old-style through streams (bzip2 bytes in, plain bytes out). */
declare module "unbzip2-stream" {
  import type { Duplex } from "node:stream"
  const unbzip2: () => Duplex
  export default unbzip2
}
