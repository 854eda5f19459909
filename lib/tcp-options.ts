// node:net's socket.setKeepAlive(enable, initialDelay) arguments, as its sockets read them,
// for the sockets syshttp hands out (the node:http layer's, upgraded connections').

/** The keep-alive delay to set, in whole seconds (0: the kernel's idle time), or -1 for off. */
export function tcpKeepAliveDelay(enable: unknown, initialDelayMs: unknown): number {
  if (!enable) return -1;
  return Math.max(0, ~~(Number(initialDelayMs ?? 0) / 1000));
}
