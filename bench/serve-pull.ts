/**
 * The serve/pull section of `make bench` (`--only=serve-pull`): a ~1 GB release served by `scicurate
 * serve` (a child process) and pulled on localhost by `scicurate pull --parallel 1`, `--parallel 8` and
 * by 8 pull processes at once, against `cp -r` of the same files in the same invocation (a ratio;
 * timings on a shared machine drift),
 * and the server's peak memory (VmHWM of its process), which must not grow with the files it streams.
 *
 * The release is made of real bundles: the shared text corpus scaled up (each copy's words shuffled per
 * document, so dedup keeps them and the shards are large), through every stage with 64 MiB shards;
 * its bundles are then taken several times under different names (hard links) until the release holds
 * about 1 GB, approved, and released with `scicurate release`.
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { appendDecision } from "../src/review/log.ts"
import { startServe } from "../test/serve/serve-process.ts"

const TARGET_BYTES = 1e9
const mb = (b: number) => (b / 1e6).toFixed(1)
const pad = (s: string | number, n: number) => String(s).padStart(n)

/** A small deterministic generator (mulberry32), so every run shuffles the same way. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** The corpus's JSONL `times` over; copy k > 0 has each document's words shuffled (seeded by k and line). */
function writeShuffledCopies(files: ReadonlyArray<string>, dir: string, times: number): void {
  fs.mkdirSync(dir, { recursive: true })
  for (const file of files) {
    const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim())
    const out: string[] = []
    for (let k = 0; k < times; k++) {
      lines.forEach((line, i) => {
        const rec = JSON.parse(line) as { text: string }
        if (k > 0) {
          const words = rec.text.split(" ")
          const next = random(k * 1_000_003 + i)
          for (let j = words.length - 1; j > 0; j--) {
            const r = Math.floor(next() * (j + 1))
            ;[words[j], words[r]] = [words[r]!, words[j]!]
          }
          rec.text = words.join(" ")
        }
        out.push(JSON.stringify(rec))
      })
    }
    fs.writeFileSync(path.join(dir, path.basename(file)), `${out.join("\n")}\n`)
  }
}

const duBytes = (dir: string): number =>
  fs.readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? duBytes(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size), 0)

/** A folder tree of hard links to `from`'s files. */
function linkTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true })
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) linkTree(path.join(from, e.name), path.join(to, e.name))
    else fs.linkSync(path.join(from, e.name), path.join(to, e.name))
  }
}

function run(repoRoot: string, args: string[], env: Record<string, string> = {}): { wall: number; stdout: string; stderr: string } {
  const started = performance.now()
  const r = spawnSync(process.execPath, [path.join(repoRoot, "bin/scicurate.mjs"), ...args], { encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 1 << 26 })
  const wall = (performance.now() - started) / 1000
  if (r.status !== 0) throw new Error(`scicurate ${args.join(" ")} failed (${r.status}):\n${r.stderr}`)
  return { wall, stdout: r.stdout, stderr: r.stderr }
}

function runAsync(repoRoot: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin/scicurate.mjs"), ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")))
    child.stderr.on("data", (d: Buffer) => (err = (err + d.toString("utf8")).slice(-4000)))
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`scicurate ${args.join(" ")} exited ${code}: ${err}`))))
  })
}

export async function benchServePull(opts: { repoRoot: string; corpus: string; benchDir: string; say: (s?: string) => void }): Promise<Record<string, unknown>> {
  const { repoRoot, corpus, benchDir, say } = opts
  const root = path.join(benchDir, "serve-pull")
  fs.rmSync(root, { recursive: true, force: true })
  const env = { SOURCE_DATE_EPOCH: "1700000000" }

  // Real bundles with large shards.
  const textFiles = fs.readdirSync(path.join(corpus, "text")).filter((f) => f.endsWith(".jsonl")).sort().map((f) => path.join(corpus, "text", f))
  const input = path.join(root, "text-shuffled")
  writeShuffledCopies(textFiles, input, Number(process.env.SCICURATE_BENCH_PULL_SCALE ?? 10))
  const pipeline = path.join(root, "serve-pull.yaml")
  fs.writeFileSync(
    pipeline,
    [`name: serve-pull`, `inputs:`, `  - path: ${input}`, `    license: CC-BY-4.0`, `tokenizer: o200k_base`, `stages:`, `  - stage: ingest`, `    tasks: 4`, `  - stage: dedup`, `    tasks: 2`, `  - stage: tokenize`, `    tasks: 2`, `  - stage: classify`, `    tasks: 2`, `  - stage: bundle`, `    tasks: 2`, `    shard_bytes: 67108864`, ``].join("\n")
  )
  const work = path.join(root, "work")
  run(repoRoot, ["run", pipeline, "--work", work, "--workers", "2"], env)
  const made = path.join(work, "bundles")
  const names = fs.readdirSync(made).filter((b) => fs.existsSync(path.join(made, b, "manifest.json"))).sort()
  const oneSet = duBytes(made)
  const copies = Math.max(1, Math.ceil(TARGET_BYTES / oneSet))

  // The release: every bundle `copies` times under new names, approved, released.
  const releaseWork = path.join(root, "release-work")
  const bundles = path.join(releaseWork, "bundles")
  for (let k = 1; k <= copies; k++) {
    for (const b of names) {
      const name = `${b}-${String(k).padStart(2, "0")}`
      linkTree(path.join(made, b), path.join(bundles, name))
      const manifest = JSON.parse(fs.readFileSync(path.join(made, b, "manifest.json"), "utf8")) as { content_sha256: string }
      appendDecision(releaseWork, { bundle: name, content_sha256: manifest.content_sha256, decision: "approve", note: "bench", curator: "bench", via: "cli" })
    }
  }
  const releases = path.join(root, "releases")
  run(repoRoot, ["release", bundles, "--name", "bench", "--to", releases], env)
  const releaseDir = path.join(releases, "bench")
  const index = JSON.parse(fs.readFileSync(path.join(releaseDir, "release.json"), "utf8")) as { totals: { bytes: number; files: number; bundles: number } }
  const bytes = index.totals.bytes

  // The server, as a trainer's machine would reach it.
  const server = await startServe([releases])
  const base = server.url
  const rssOf = (field: "VmRSS" | "VmHWM") => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(fs.readFileSync(`/proc/${server.pid}/status`, "utf8"))?.[1] ?? 0) * 1024
  const serverStart = rssOf("VmRSS")
  const rows: Array<{ how: string; wall: number; transfer: number | null; verify: number | null; clients?: number }> = []
  let serverPeak = 0
  try {
    const cpTo = path.join(root, "cp")
    const cpStart = performance.now()
    const cp = spawnSync("cp", ["-r", path.join(releaseDir, "bundles"), cpTo])
    if (cp.status !== 0) throw new Error(`cp -r failed: ${cp.stderr}`)
    rows.push({ how: "cp -r", wall: (performance.now() - cpStart) / 1000, transfer: null, verify: null })
    fs.rmSync(cpTo, { recursive: true, force: true })
    for (const parallel of [1, 8]) {
      const to = path.join(root, `pulled-${parallel}`)
      const r = run(repoRoot, ["pull", `${base}/releases/bench/`, "--to", to, "--parallel", String(parallel)])
      const m = /transfer ([\d.]+) s, verify ([\d.]+) s/.exec(r.stdout)
      rows.push({ how: `pull --parallel ${parallel}`, wall: r.wall, transfer: m ? Number(m[1]) : null, verify: m ? Number(m[2]) : null })
      fs.rmSync(to, { recursive: true, force: true })
    }
    // Tens of trainers at once is what a release server faces: 8 pull processes started together, each
    // fetching the whole release into its own folder; the row is their sum (8 x the bytes) over the
    // slowest one's time, the server's peak memory below covers them too.
    const clients = 8
    const started = performance.now()
    const outs = await Promise.all(
      Array.from({ length: clients }, (_, i) => runAsync(repoRoot, ["pull", `${base}/releases/bench/`, "--to", path.join(root, `pulled-client-${i}`), "--parallel", "4"]))
    )
    const wall = (performance.now() - started) / 1000
    const times = outs.map((o) => /transfer ([\d.]+) s, verify ([\d.]+) s/.exec(o))
    rows.push({
      how: `${clients} clients at once`,
      wall,
      transfer: times.every((m) => m !== null) ? Math.max(...times.map((m) => Number(m![1]))) : null,
      verify: times.every((m) => m !== null) ? Math.max(...times.map((m) => Number(m![2]))) : null,
      clients
    })
    for (let i = 0; i < clients; i++) fs.rmSync(path.join(root, `pulled-client-${i}`), { recursive: true, force: true })
    serverPeak = rssOf("VmHWM")
  } finally {
    await server.stop()
  }

  const cpWall = rows[0]!.wall
  say()
  say(`## serve/pull: release of ${index.totals.bundles} bundles (${names.length} real bundles x ${copies}), ${index.totals.files} files, ${mb(bytes)} MB, served by scicurate serve on localhost`)
  say(`${"how".padEnd(18)} ${pad("wall s", 7)} ${pad("MB/s", 7)} ${pad("transfer s", 10)} ${pad("transfer MB/s", 13)} ${pad("verify s", 8)} ${pad("transfer vs cp", 14)}`)
  for (const r of rows) {
    const t = r.transfer ?? r.wall
    const moved = bytes * (r.clients ?? 1)
    say(
      `${r.how.padEnd(18)} ${pad(r.wall.toFixed(2), 7)} ${pad((moved / 1e6 / r.wall).toFixed(1), 7)} ${pad(r.transfer === null ? "-" : r.transfer.toFixed(2), 10)} ${pad((moved / 1e6 / t).toFixed(1), 13)} ${pad(r.verify === null ? "-" : r.verify.toFixed(2), 8)} ${pad(`${((cpWall * (r.clients ?? 1)) / t).toFixed(2)}x`, 14)}`
    )
  }
  say(`server peak RSS (VmHWM of the scicurate serve process): ${mb(serverPeak)} MB, ${mb(serverStart)} MB of it at start (the CLI loaded), for ${mb(bytes)} MB streamed ${rows.reduce((n, r) => n + (r.clients ?? (r.how === "cp -r" ? 0 : 1)), 0)} times`)
  say(`(MB/s: bytes delivered, for the 8 clients their sum over the slowest one's time; wall: the whole pull command: index, transfer with sha256 while streaming, then the release verify of every file and bundle; transfer vs cp above 1 is faster than cp -r)`)
  return { "serve-pull": { bytes, files: index.totals.files, bundles: index.totals.bundles, rows, serverPeakBytes: serverPeak, serverStartBytes: serverStart } }
}
