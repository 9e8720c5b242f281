#!/usr/bin/env node
// Launcher that works under any Node: scicurate needs Node >= 24 (it runs its TypeScript sources with
// Node's type stripping). When the Node running this file is older, re-run with the Node 24 that
// `make setup` installed from the npm registry into .tools/.
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const main = join(root, "src", "cli", "main.ts")
const major = Number(process.versions.node.split(".")[0])

if (major >= 24) {
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
