// An idle server wakes at once for new work: a new connection's request, and a request
// on a kept-alive connection after a pause. (On io_uring with DEFER_TASKRUN the kernel
// signalled the loop ~16 ms late for work that arrived while it slept: every such request
// waited that long.) Timing is noisy on shared machines, so this looks at the median of
// many samples against a bound far above a prompt answer (~0.2 ms) and below the fault.
import t from 'tap';
import { openRaw, buildRequest, sleep, type Ctx, startServer } from '../helpers/server';

const SAMPLES = 15;
const PAUSE_MS = 30;
const BOUND_MS = 8;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

t.test('an idle server answers a new connection, and a request after a pause, at once', async (t) => {
  const { port } = await startServer(t, async (ctx: Ctx) => {
    await ctx.response.end('ok');
  });
  const fresh: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    await sleep(PAUSE_MS);
    const started = performance.now();
    const c = await openRaw(t, port);
    await c.write(buildRequest({ target: `/new${i}` }));
    await c.readResponse();
    fresh.push(performance.now() - started);
    c.destroy();
  }
  const c = await openRaw(t, port);
  const paused: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    await sleep(PAUSE_MS);
    const started = performance.now();
    await c.write(buildRequest({ target: `/again${i}` }));
    await c.readResponse();
    paused.push(performance.now() - started);
  }
  const f = median(fresh);
  const p = median(paused);
  t.ok(f < BOUND_MS, `new connection after ${PAUSE_MS} ms idle: median ${f.toFixed(2)} ms (connect, request, answer)`);
  t.ok(p < BOUND_MS, `request after a ${PAUSE_MS} ms pause: median ${p.toFixed(2)} ms`);
});
