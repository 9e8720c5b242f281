#!/usr/bin/env node
// Launcher that works under any Node: scicurate needs Node >= 24 (it runs its TypeScript sources with
// Node's type stripping). When the Node running this file is older, re-run with the Node 24 that
// `make setup` installed from the npm registry into .tools/.
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { enableCompileCache } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const main = join(root, "src", "cli", "main.ts")
const major = Number(process.versions.node.split(".")[0])

if (major >= 24) {
  // Node's compile cache keeps the type-stripped and compiled form of every module between runs: without
  // it each start (the CLI and every worker process it forks) strips and compiles ~300 TypeScript files
  // again, ~0.4 s of CPU. Workers inherit the folder through the environment. NODE_DISABLE_COMPILE_CACHE=1
  // turns it off; a different Node or changed source simply misses the cache.
  process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), "scicurate-node-compile-cache")
  enableCompileCache(process.env.NODE_COMPILE_CACHE)
  await import(pathToFileURL(main).href)
} else {
  const tools = join(root, ".tools", "node_modules")
  const pkg = existsSync(tools) ? readdirSync(tools).find((d) => /^node-(linux|darwin)-/.test(d)) : undefined
  const node = pkg ? join(tools, pkg, "bin", "node") : null
  if (!node || !existsSync(node)) {
    process.stderr.write(`scicurate needs Node >= 24 (this is ${process.version}); run \`make setup\` in ${root} to install it\n`)
    process.exit(2)
  }
  const r = spawnSync(node, ["--disable-warning=ExperimentalWarning", main, ...process.argv.slice(2)], { stdio: "inherit" })
  process.exit(r.status ?? 1)
}
