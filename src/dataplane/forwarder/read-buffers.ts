/**
 * Where a forwarded socket's reads land, and how a read is passed on to the
 * other socket of its flow.
 *
 * Node's default read path allocates a 64 KiB buffer for every read and
 * shrinks it to what arrived; for bulk transfers that allocation, not the
 * copy through the kernel, is what set the forwarder's byte rate. Sockets
 * here read through `onread` into buffers we own instead (docs/dataplane.md,
 * "Read buffers"; measured with bench/dataplane.ts):
 *
 * - One landing buffer per process is where every socket reads by default.
 *   A read that lands there is copied out at once (into a buffer the size of
 *   the read), before anything else can read into it, so sharing it is safe;
 *   an idle connection holds no read buffer of its own.
 * - A socket whose read filled the landing buffer is moving bulk data: it gets
 *   a dedicated buffer for its next reads, which are written to the peer
 *   without a copy. Such a write may be left pending in the kernel's queue,
 *   still pointing into the buffer, so the socket stops reading until the
 *   peer has taken it all ('drain'); only then can the next read overwrite it.
 *   A read smaller than the peer's high-water mark is copied instead, and one
 *   smaller than a sixteenth of the landing buffer (4 KiB) gives the
 *   dedicated buffer up: the flow's traffic has turned small.
 * - At most `maxDedicated` dedicated buffers exist per process: a hostile
 *   tenant's bursts can hold that much memory and no more; beyond it flows
 *   keep the landing buffer and its copy, which is never slower than Node's
 *   default path.
 */
import net from 'node:net';

/** The read was passed on and the socket may read again at once. */
export const KEEP_READING = 1;
/** The socket's next read lands in a dedicated buffer it now holds. */
export const HOLDS_DEDICATED = 2;

export interface ReadBufferSizes {
  landingBytes: number;
  dedicatedBytes: number;
  maxDedicated: number;
}

export const DEFAULT_READ_BUFFERS: ReadBufferSizes = {
  // Node's own read size: a landing read is never smaller than a default one.
  landingBytes: 64 * 1024,
  // Measured: 256 KiB moved ~10 % more than 64 KiB per CPU second, 1 MiB
  // little more again for four times the memory.
  dedicatedBytes: 256 * 1024,
  maxDedicated: 64,
};

/** The arguments of an onread callback, with the socket read from as `this`. */
export type ReadCallback = (this: net.Socket, nread: number, buf: Buffer) => boolean;

export class ReadBuffers {
  readonly #sizes: ReadBufferSizes;
  readonly #landing: Buffer;
  /** A read into a dedicated buffer smaller than this gives the buffer up. */
  readonly #releaseBelow: number;
  #dedicated = 0;
  #handedOut = 0;
  /**
   * Node asks for the socket's next buffer right after its onread callback
   * returns, with no socket in hand: the callback leaves the answer here and
   * the request takes it (resetting it to the landing buffer), all in one
   * synchronous step of one socket's read.
   */
  #next: Buffer;
  readonly nextBuffer = (): Buffer => {
    const next = this.#next;
    this.#next = this.#landing;
    return next;
  };

  constructor(sizes: ReadBufferSizes = DEFAULT_READ_BUFFERS) {
    this.#sizes = sizes;
    this.#releaseBelow = Math.max(1, Math.floor(sizes.landingBytes / 16));
    this.#landing = Buffer.allocUnsafeSlow(sizes.landingBytes);
    this.#next = this.#landing;
  }

  /** Dedicated buffers handed out since start, given back or not. */
  get handedOut(): number {
    return this.#handedOut;
  }

  /** Dedicated buffers handed out and not yet given back. */
  get dedicatedInUse(): number {
    return this.#dedicated;
  }

  /** `onread` for net.connect: the socket starts on the landing buffer. */
  connectOption(callback: ReadCallback): net.OnReadOpts {
    return { buffer: this.nextBuffer, callback };
  }

  /**
   * Makes an accepted socket read like one created with `onread` (net.Server
   * has no such option). Only before it has read anything; false when this
   * Node does not keep its read state where we look (the socket then stays on
   * Node's own path, and test/dataplane/read-buffers.test.ts fails).
   */
  adopt(socket: net.Socket, callback: ReadCallback): boolean {
    const handle = (socket as SocketInternals)._handle;
    if (onreadFields === undefined || handle === null || handle === undefined) return false;
    if (typeof handle.useUserBuffer !== 'function' || handle.reading === true) return false;
    if (socket.readableLength !== 0) return false;
    const fields = socket as unknown as Record<symbol, unknown>;
    fields[onreadFields.buffer] = this.#landing;
    fields[onreadFields.generator] = this.nextBuffer;
    fields[onreadFields.callback] = callback;
    handle.useUserBuffer(this.#landing);
    return true;
  }

  /**
   * Passes `nread` bytes read into `buf` on to `peer`. Returns KEEP_READING
   * and HOLDS_DEDICATED as bits; the caller returns `(result & KEEP_READING)
   * !== 0` from its onread callback and resumes the socket on the peer's
   * 'drain' otherwise.
   */
  passOn(buf: Buffer, nread: number, peer: net.Socket): number {
    const landing = this.#landing;
    if (buf !== landing && nread >= peer.writableHighWaterMark) {
      // A write of at least the high-water mark always returns false and so
      // always ends in 'drain' on the peer: the only signal needed to read
      // into `buf` again when the write is left pending.
      peer.write(buf.subarray(0, nread));
      this.#next = buf;
      return peer.writableLength === 0 ? KEEP_READING | HOLDS_DEDICATED : HOLDS_DEDICATED;
    }
    const copy = Buffer.allocUnsafe(nread);
    buf.copy(copy, 0, 0, nread);
    let result = 0;
    if (buf !== landing) {
      // Below the high-water mark it is copied like a landing read. The buffer
      // is kept while reads stay sizeable, so medium reads do not allocate a
      // new one each time they cross the landing buffer's size.
      if (nread < this.#releaseBelow) {
        this.#dedicated -= 1;
      } else {
        this.#next = buf;
        result |= HOLDS_DEDICATED;
      }
    } else if (nread === landing.length && this.#dedicated < this.#sizes.maxDedicated) {
      this.#dedicated += 1;
      this.#handedOut += 1;
      this.#next = Buffer.allocUnsafeSlow(this.#sizes.dedicatedBytes);
      result |= HOLDS_DEDICATED;
    }
    if (peer.write(copy)) result |= KEEP_READING;
    return result;
  }

  /** A socket that held a dedicated buffer is gone. */
  release(count: number): void {
    this.#dedicated -= count;
  }
}

/** The process's read buffers, shared by every forwarder in it. */
export const readBuffers = new ReadBuffers();

interface SocketInternals {
  _handle?: { useUserBuffer?: (buf: Uint8Array) => void; reading?: boolean } | null;
}

interface OnreadFields {
  buffer: symbol;
  generator: symbol;
  callback: symbol;
}

/**
 * The symbols under which net.Socket keeps what `onread` configures, found by
 * value on sockets made with it (no handle, nothing opened) rather than by
 * their descriptions, which Node may rename.
 */
function findOnreadFields(): OnreadFields | undefined {
  const buffer = Buffer.alloc(1);
  const generator = (): Buffer => buffer;
  const callback = (): boolean => true;
  // The constructor takes `onread` as net.connect does; the types list it for the latter only.
  const withBufferOptions = { allowHalfOpen: false, onread: { buffer, callback } };
  const withGeneratorOptions = { allowHalfOpen: false, onread: { buffer: generator, callback } };
  const withBuffer = new net.Socket(withBufferOptions);
  const withGenerator = new net.Socket(withGeneratorOptions);
  const find = (socket: net.Socket, value: unknown): symbol | undefined =>
    Object.getOwnPropertySymbols(socket).find(
      (s) => (socket as unknown as Record<symbol, unknown>)[s] === value,
    );
  const fields = {
    buffer: find(withBuffer, buffer),
    generator: find(withGenerator, generator),
    callback: find(withBuffer, callback),
  };
  withBuffer.destroy();
  withGenerator.destroy();
  if (fields.buffer === undefined || fields.generator === undefined || fields.callback === undefined) {
    return undefined;
  }
  return { buffer: fields.buffer, generator: fields.generator, callback: fields.callback };
}

const onreadFields = findOnreadFields();

/** Whether accepted sockets can read into our buffers on this Node. */
export const canAdoptAcceptedSockets = onreadFields !== undefined;
