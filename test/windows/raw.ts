// Raw bytes to the Windows test servers (test/windows/*.wine.ts).
import net from 'node:net';

/** Sends raw bytes, returns everything the server sent until it closed or went quiet. */
export function raw(port: number, data: string, quietMs = 400): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    let timer: NodeJS.Timeout | null = null;
    const done = (): void => {
      if (timer) clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(done, quietMs);
    };
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      out += d;
      arm();
    });
    s.on('end', done);
    s.on('error', reject);
    s.write(data, 'latin1');
    arm();
  });
}
