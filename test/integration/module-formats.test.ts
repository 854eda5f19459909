// The package works from ESM and CommonJS by its own name (package.json "exports").
import t from 'tap';
import { execFile } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../..');
const program = (importLine: string): string => `
  ${importLine}
  const server = createServer((ctx) => ctx.response.end('ok ' + ctx.request.method));
  server.listen({ port: 0, host: '127.0.0.1' }).then(async ({ port }) => {
    const text = await (await fetch('http://127.0.0.1:' + port + '/')).text();
    await server.stop({ timeout: 1000 });
    console.log(text);
  });
`;

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: root, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

t.test('ESM: import { createServer } from "syshttp"', async (t) => {
  t.equal(await run(['--input-type=module', '-e', program("import { createServer } from 'syshttp';")]), 'ok GET');
});

t.test('CommonJS: require("syshttp")', async (t) => {
  t.equal(await run(['-e', program("const { createServer } = require('syshttp');")]), 'ok GET');
});
