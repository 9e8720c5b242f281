/**
 * `scicurate serve DIR --port 0` as a child process, resolved with its base URL once it prints it: the
 * real server for tests and the bench (which reads the child's peak memory from /proc/PID/status).
 * Not a test file, and free of vitest, so bench/ can use it too.
 */
import { spawn, type ChildProcess } from "node:child_process"
import * as path from "node:path"

export async function spawnServe(repoRoot: string, dir: string): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [path.join(repoRoot, "bin/scicurate.mjs"), "serve", dir, "--port", "0"], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] })
  let stderr = ""
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ""
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString()
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)
      if (m) resolve(`http://127.0.0.1:${m[1]}`)
    })
    child.on("exit", (code) => reject(new Error(`scicurate serve exited ${code}: ${out}`)))
  })
  return { child, url, stderr: () => stderr }
}
