/**
 * The server's open streams, addressed by batons.
 *
 * Every response carries a fresh random baton and the one just used stops
 * working, which both makes batons unguessable and forces a client to send
 * one request at a time per stream, as Hrana over HTTP requires. A stream left
 * idle for `idleStreamMs` is closed, rolling back what it left open; its last
 * baton is remembered for a while so the client learns "expired" rather than
 * "invalid".
 */
import { randomBytes } from 'node:crypto';
import { ProtocolError } from './errors.mjs';
import { Stream } from './stream.mjs';

/** @typedef {import('./stream.mjs').StreamContext} StreamContext */

const EXPIRED_BATONS_KEPT = 10_000;

export class Streams {
  #ctx;
  #idleStreamMs;
  #nextId = 1;
  /** @type {Map<string, { stream: Stream, timer: NodeJS.Timeout }>} */
  #idle = new Map();
  /** Streams running a request right now; they hold no valid baton. @type {Set<Stream>} */
  #active = new Set();
  /** @type {Set<string>} */
  #expired = new Set();
  #shutDown = false;

  /** @param {StreamContext} ctx @param {number} idleStreamMs */
  constructor(ctx, idleStreamMs) {
    this.#ctx = ctx;
    this.#idleStreamMs = idleStreamMs;
  }

  /**
   * The stream a request will run on: a new one for a null baton.
   * @param {string | null} baton
   */
  checkOut(baton) {
    if (this.#shutDown) throw new ProtocolError('The server is shutting down', 'SERVER_CLOSED', 503);
    if (baton === null) {
      const stream = new Stream(this.#nextId++, this.#ctx);
      this.#active.add(stream);
      this.#ctx.log(`stream ${stream.id}: opened`);
      return stream;
    }
    const entry = this.#idle.get(baton);
    if (!entry) {
      if (this.#expired.has(baton))
        throw new ProtocolError('The stream has expired due to inactivity', 'STREAM_EXPIRED');
      throw new ProtocolError('Received an invalid baton', 'BATON_INVALID');
    }
    clearTimeout(entry.timer);
    this.#idle.delete(baton);
    this.#active.add(entry.stream);
    return entry.stream;
  }

  /**
   * Takes a stream back after its request and returns the baton for the next one,
   * or null once the stream is closed.
   * @param {Stream} stream
   * @returns {string | null}
   */
  checkIn(stream) {
    this.#active.delete(stream);
    if (stream.closed) {
      this.#ctx.log(`stream ${stream.id}: closed`);
      return null;
    }
    const baton = randomBytes(24).toString('base64url');
    const timer = setTimeout(() => this.#expire(baton), this.#idleStreamMs);
    timer.unref();
    this.#idle.set(baton, { stream, timer });
    return baton;
  }

  /** Closes every stream, active ones included (used on shutdown). */
  closeAll() {
    this.#shutDown = true;
    for (const { stream, timer } of this.#idle.values()) {
      clearTimeout(timer);
      stream.close();
    }
    this.#idle.clear();
    for (const stream of this.#active) stream.close();
    this.#active.clear();
  }

  /** @param {string} baton */
  #expire(baton) {
    const entry = this.#idle.get(baton);
    if (!entry) return;
    this.#idle.delete(baton);
    entry.stream.close();
    this.#expired.add(baton);
    if (this.#expired.size > EXPIRED_BATONS_KEPT) {
      const oldest = this.#expired.values().next().value;
      if (oldest !== undefined) this.#expired.delete(oldest);
    }
    this.#ctx.log(`stream ${entry.stream.id}: expired after ${this.#idleStreamMs} ms idle`);
  }
}
