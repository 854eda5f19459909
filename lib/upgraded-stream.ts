// A connection that left HTTP (an upgrade: WebSocket, h2c …) as a Duplex of raw bytes.
// Reading pulls like the request body: when the stream's buffer is full, the native side
// stops reading the socket. Writing queues bytes as they are; above the high-water mark
// the write callback waits for the native drain. end() shuts our side once the queued
// bytes are out; destroy() closes the connection once they are out, without a reset.
import { Duplex } from 'node:stream';
import { SyshttpError } from './errors';
import { SendResult, type NativeServerHandle } from './native';
import { tcpKeepAliveDelay } from './tcp-options';

/** The connection's two ends, as node:net names them. */
export interface StreamEndpoints {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

export class UpgradedStream extends Duplex {
  /** The socket-like fields apps (and the ws package) read. */
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: string;
  private paused = false;
  private idleMs = 0;
  private idleTimer: NodeJS.Timeout | null = null;
  private written = 0;
  private waiting: ((err?: Error | null) => void) | null = null;
  private closedByPeer = false;
  private endedOurs = false;
  /** @internal the native connection is over (the abort record, or a refused call). */
  gone = false;
  /** Until attach(): the connection still carries responses ahead of it; what is done to it waits. */
  private held: (() => void)[] | null;
  /** The bytes written while held. */
  private heldBytes = 0;

  constructor(
    private readonly native: NativeServerHandle,
    /** @internal */ readonly connection: number,
    endpoints: StreamEndpoints,
    /** @internal see Exchange#heldUpgrade */ held = false,
  ) {
    // allowHalfOpen off, like a server socket of node:net: the peer's end ends ours.
    super({ allowHalfOpen: false, highWaterMark: 64 * 1024 });
    // net.Socket's own 'end' listener (apps and node's tests count the socket's listeners).
    this.on('end', onPeerEnd);
    this.localAddress = endpoints.localAddress;
    this.localPort = endpoints.localPort;
    this.remoteAddress = endpoints.remoteAddress;
    this.remotePort = endpoints.remotePort;
    this.remoteFamily = endpoints.remoteAddress.includes(':') ? 'IPv6' : 'IPv4';
    this.held = held ? [] : null;
  }

  /** @internal A held stream's connection is its own now: what came after the peeked head, then what waited, in order. */
  attach(rest: Buffer): void {
    const held = this.held;
    if (held === null) return;
    this.held = null;
    if (rest.length > 0) this.deliver(rest);
    for (const op of held) op();
  }

  // ---- the net.Socket members upgrade handlers call --------------------------------

  /** Bytes handed to the connection so far. */
  get bytesWritten(): number {
    return this.written;
  }

  /** Emits 'timeout' after `ms` without bytes either way (0 turns it off), as net.Socket does. */
  setTimeout(ms: number, callback?: () => void): this {
    this.idleMs = ms > 0 ? ms : 0;
    if (callback !== undefined) {
      if (this.idleMs > 0) this.once('timeout', callback);
      else this.removeListener('timeout', callback);
    }
    this.touch();
    return this;
  }
  /** TCP_NODELAY, as net.Socket's (on by default; Linux backends). */
  setNoDelay(noDelay?: boolean): this {
    if (!this.gone) this.native.setNoDelay(this.connection, noDelay === undefined ? true : Boolean(noDelay));
    return this;
  }
  /** TCP keep-alive probes, as net.Socket's (see NodeSocket#setKeepAlive; Linux backends). */
  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    const delay = tcpKeepAliveDelay(enable, initialDelay);
    if (!this.gone) this.native.setKeepAlive(this.connection, delay >= 0, Math.max(0, delay));
    return this;
  }
  /** Whether this connection keeps the process alive (it does by default, as node:net's sockets; Linux backends). */
  ref(): this {
    if (!this.gone) this.native.setConnectionRef(this.connection, true);
    return this;
  }
  unref(): this {
    if (!this.gone) this.native.setConnectionRef(this.connection, false);
    return this;
  }
  /** Closes the connection with a reset (RST), as net.Socket's resetAndDestroy(). */
  resetAndDestroy(): this {
    if (!this.gone) {
      this.gone = true;
      this.native.abort(this.connection, true);
    }
    this.destroy();
    return this;
  }
  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: this.localAddress.includes(':') ? 'IPv6' : 'IPv4', port: this.localPort };
  }

  private touch(): void {
    if (this.idleTimer !== null) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    if (this.idleMs > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => {
        this.idleTimer = null;
        this.emit('timeout');
      }, this.idleMs);
      this.idleTimer.unref();
    }
  }

  override _read(): void {
    if (this.paused) {
      this.paused = false;
      if (!this.gone) this.native.pauseRaw(this.connection, false);
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.held !== null) {
      this.heldBytes += chunk.length;
      if (this.heldBytes > this.writableHighWaterMark) {
        this.held.push(() => this._write(chunk, _encoding, callback));
        return;
      }
      // Taken, as a socket's buffer takes it: its callback now (an app may wait for it
      // before it ends the responses ahead), the bytes once they are out.
      this.held.push(() => {
        if (this.gone) return;
        this.written += chunk.length;
        this.native.writeRaw(this.connection, chunk);  // queued whatever it answers
      });
      callback();
      return;
    }
    if (this.gone) {
      callback(new SyshttpError('SYSHTTP_ERR_CLIENT_ABORTED', 'the connection is closed'));
      return;
    }
    this.written += chunk.length;
    if (this.idleTimer !== null) this.touch();
    const r = this.native.writeRaw(this.connection, chunk);
    if (r === SendResult.Ok) callback();
    else if (r === SendResult.Full) this.waiting = callback;
    else {
      this.gone = true;
      callback(new SyshttpError('SYSHTTP_ERR_CLIENT_ABORTED', 'the connection is closed'));
    }
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (this.held !== null) {
      this.held.push(() => this._final(callback));
      return;
    }
    this.endedOurs = true;
    if (!this.gone) this.native.endRaw(this.connection);
    callback();
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    const held = this.held;
    if (held !== null) {
      // Destroyed before its turn: the connection closes now, the responses ahead of it
      // with it (as node's socket.destroy()); what waited is settled as on a closed one.
      this.held = null;
      if (!this.gone) {
        this.gone = true;
        this.native.abort(this.connection);
      }
      for (const op of held) op();
    }
    // As closing a socket's fd: what was written (its callbacks called) still goes out,
    // then the connection closes, without a reset (ws rejects a handshake with
    // end(response) and destroy() on 'finish').
    if (!this.gone && !(this.endedOurs && this.closedByPeer) && this.native.endRaw(this.connection, true) !== SendResult.Ok) {
      this.native.abort(this.connection);
    }
    this.gone = true;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.settleWrite(err ?? new SyshttpError('SYSHTTP_ERR_CLIENT_ABORTED', 'the connection is closed'));
    callback(err);
  }

  private settleWrite(err?: Error): void {
    const w = this.waiting;
    this.waiting = null;
    if (w !== null) w(err);
  }

  /** @internal bytes from the batch */
  deliver(chunk: Buffer): void {
    if (this.destroyed) return;
    if (this.idleTimer !== null) this.touch();
    // The batch's memory is reused by nothing, but a copy keeps one retained chunk from
    // holding the whole batch alive for the life of a long connection.
    if (!this.push(Buffer.from(chunk)) && !this.paused) {
      this.paused = true;
      this.native.pauseRaw(this.connection, true);
    }
  }

  /** @internal the peer ended its side */
  peerEnded(): void {
    this.closedByPeer = true;
    if (this.destroyed) return;
    this.push(null);
    // As net.Socket at EOF: 'end' comes even when nobody reads (an upgraded socket is
    // neither flowing nor paused after 'upgrade'), once what was received is read.
    this.read(0);
  }

  /** @internal the native side may take more */
  drained(): void {
    this.settleWrite();
  }

  /**
   * @internal The connection closed: after both sides ended, or closed by the server
   * itself (`byServer`, stop()'s deadline), the stream just closes; otherwise the peer
   * reset it or vanished, which is an error as ECONNRESET is on a socket.
   */
  connectionClosed(byServer = false): void {
    if (this.gone && this.destroyed) return;
    this.gone = true;
    if (this.destroyed) return;
    if (byServer || (this.closedByPeer && this.endedOurs)) this.destroy();
    else this.destroy(new SyshttpError('SYSHTTP_ERR_CLIENT_ABORTED', 'the connection was closed'));
  }
}

/** As net.Socket's onReadableStreamEnd: once the peer has ended, a write after ours is EPIPE. */
function onPeerEnd(this: UpgradedStream): void {
  if (!this.allowHalfOpen) this.write = writeAfterPeerEnd;
}

function writeAfterPeerEnd(this: UpgradedStream, chunk: unknown, encoding?: unknown, cb?: unknown): boolean {
  if (!this.writableEnded) return Duplex.prototype.write.call(this, chunk, encoding as BufferEncoding, cb as (err?: Error | null) => void);
  const callback = typeof encoding === 'function' ? encoding : cb;
  const err = Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
  if (typeof callback === 'function') process.nextTick(callback as (err: Error) => void, err);
  this.destroy(err);
  return false;
}
