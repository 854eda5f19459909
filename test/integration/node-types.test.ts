// syshttp/node's declarations: a Server is an http.Server to TypeScript (Fastify's
// serverFactory, code typed against node:http), compiled with the package's exports.
import t from 'tap';
import path from 'node:path';
import { execFile } from 'node:child_process';

const root = path.resolve(__dirname, '../..');

t.test('syshttp/node types: assignable to node:http types, accepted by fastify serverFactory', async (t) => {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '--noEmit', '--strict', '--esModuleInterop', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', '--types', 'node', path.join(root, 'test/node/types-check.ts')];
  const out = await new Promise<{ code: number; text: string }>((resolve) => {
    execFile(process.execPath, args, { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, text: `${stdout}${stderr}` });
    });
  });
  t.equal(out.text.trim(), '', 'no type errors');
  t.equal(out.code, 0, 'tsc exits 0');
});
