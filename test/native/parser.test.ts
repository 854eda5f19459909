// Runs the C++ parser/chunked-decoder unit tests (built under ASan/UBSan by
// scripts/native-tests.sh) and reports each C++ case as one assertion here.
import t from 'tap'
import { spawn } from 'node:child_process'
import path from 'node:path'

// The first build compiles with sanitizers on a small machine: allow plenty of time.
const TIMEOUT_MS = 15 * 60 * 1000
t.setTimeout(TIMEOUT_MS)

const root =
  typeof __dirname === 'string' ? path.resolve(__dirname, '..', '..') : process.cwd()

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

const runNativeTests = (): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(root, 'scripts', 'native-tests.sh')], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })

interface Case {
  ok: boolean
  id: number
  name: string
  diagnostics: string[]
}

const parseTap = (out: string): { plan: number | null; cases: Case[] } => {
  let plan: number | null = null
  const cases: Case[] = []
  for (const line of out.split('\n')) {
    const p = /^1\.\.(\d+)$/.exec(line)
    if (p) {
      plan = Number(p[1])
      continue
    }
    const m = /^(not ok|ok) (\d+)(?: - (.*))?$/.exec(line)
    if (m) {
      cases.push({ ok: m[1] === 'ok', id: Number(m[2]), name: m[3] ?? `case ${m[2]}`, diagnostics: [] })
      continue
    }
    const last = cases[cases.length - 1]
    if (last && !last.ok && line.startsWith('#   ')) last.diagnostics.push(line.slice(4))
  }
  return { plan, cases }
}

t.test('native parser tests (ASan/UBSan)', { timeout: TIMEOUT_MS }, async t => {
  const run = await runNativeTests()
  const { plan, cases } = parseTap(run.stdout)

  for (const c of cases) {
    t.ok(c.ok, c.name, c.ok ? {} : { diagnostic: true, failures: c.diagnostics })
  }

  const tail = (s: string) => s.split('\n').slice(-60).join('\n')
  t.ok(cases.length > 0, 'the native test binary reported cases', {
    stderr: cases.length > 0 ? undefined : tail(run.stderr),
  })
  t.equal(cases.length, plan, 'every planned case reported')
  t.equal(run.code, 0, 'native-tests.sh exited with status 0', {
    signal: run.signal,
    stderr: run.code === 0 ? undefined : tail(run.stderr),
  })
})
