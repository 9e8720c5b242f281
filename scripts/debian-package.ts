/**
 * Real scientific source code for tests and the bench: a Debian binary package fetched by name with
 * `apt-get download` and unpacked with `dpkg-deb -x` (its dependencies are not installed), cached
 * under the system temp folder. Never copied into the repository.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const CACHE = path.join(os.tmpdir(), "scicurate-debian-cache")

/**
 * The unpacked tree of a Debian binary package, downloaded once and cached; or the reason it is not
 * available (no apt, no network, unknown package).
 */
export function debianPackage(pkg: string): { dir: string } | { skip: string } {
  const dir = path.join(CACHE, pkg)
  if (fs.existsSync(path.join(dir, ".complete"))) return { dir }
  if (spawnSync("apt-get", ["--version"]).status !== 0) return { skip: "apt-get is not available" }
  const debs = path.join(CACHE, "debs")
  fs.mkdirSync(debs, { recursive: true })
  fs.chmodSync(debs, 0o777) // apt drops privileges to _apt for downloads
  const find = () =>
    fs
      .readdirSync(debs)
      .filter((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"))
      .map((f) => path.join(debs, f))
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0]
  let deb = find()
  if (deb === undefined) {
    const download = () => spawnSync("apt-get", ["download", pkg], { cwd: debs, encoding: "utf8", timeout: 300_000 })
    let r = download()
    if (r.status !== 0) {
      // A fresh machine has no package lists yet.
      spawnSync("apt-get", ["update", "-qq"], { encoding: "utf8", timeout: 300_000 })
      r = download()
    }
    deb = find()
    if (r.status !== 0 || deb === undefined) return { skip: `apt-get download ${pkg} failed: ${(r.stderr || r.error?.message || "").trim().slice(0, 300)}` }
  }
  const tmp = `${dir}.tmp-${process.pid}`
  fs.rmSync(tmp, { recursive: true, force: true })
  const x = spawnSync("dpkg-deb", ["-x", deb, tmp], { encoding: "utf8" })
  if (x.status !== 0) return { skip: `dpkg-deb -x ${path.basename(deb)} failed: ${x.stderr.trim().slice(0, 300)}` }
  fs.writeFileSync(path.join(tmp, ".complete"), path.basename(deb))
  fs.rmSync(dir, { recursive: true, force: true })
  fs.renameSync(tmp, dir)
  return { dir }
}

