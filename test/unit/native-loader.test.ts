// When the addon is missing, the error says every path tried and how to build it.
import t from 'tap';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

t.test('a missing build fails with SYSHTTP_ERR_NATIVE_LOAD listing each path tried', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'syshttp-nobuild-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.cpSync(path.resolve(__dirname, '../../dist'), path.join(root, 'dist'), { recursive: true });
  const script = `
    const { createServer } = require(${JSON.stringify(path.join(root, 'dist/index.js'))});
    createServer(() => {}).listen({ port: 0, host: '127.0.0.1' }).then(
      () => console.log('listened?!'),
      (err) => console.log(JSON.stringify({ code: err.code, message: err.message })),
    );
  `;
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, ['-e', script], { env: { ...process.env, SYSHTTP_NATIVE_PATH: '' } }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    ),
  );
  const result = JSON.parse(out) as { code: string; message: string };
  t.equal(result.code, 'SYSHTTP_ERR_NATIVE_LOAD');
  t.match(result.message, path.join(root, 'build/Release/syshttp.node'));
  t.match(result.message, path.join(root, 'build/Debug/syshttp.node'));
  t.match(result.message, /npm rebuild syshttp/);
  t.match(result.message, /apt-get install/);
});
