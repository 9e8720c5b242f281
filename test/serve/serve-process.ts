/**
 * A real `scicurate serve` for tests: the CLI in a child process on a free port, as a curator would
 * start it. `stop()` ends it (SIGTERM, then SIGKILL if it lingers) and resolves once it has exited.
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { repoRoot } from "../helpers.ts"

export interface ServeProcess {
  /** e.g. http://127.0.0.1:40123 (no trailing slash) */
  readonly url: string
  readonly output: () => string
  readonly stop: () => Promise<void>
}

export function startServe(args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [path.join(repoRoot, "bin/scicurate.mjs"), "serve", "--port", "0", ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill("SIGTERM")
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000)
    await exited
    clearTimeout(timer)
  }
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8")
      const m = /scicurate serve: (http:\/\/\S+?)\/?\s/.exec(output)
      if (m !== null) resolve({ url: m[1]!, output: () => output, stop })
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.once("exit", (code) => reject(new Error(`scicurate serve exited (${code}) before listening:\n${output}`)))
  })
}
