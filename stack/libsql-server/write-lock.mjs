/**
 * The server-wide single-writer lock.
 *
 * SQLite allows one writer at a time; left to itself, a second writer gets
 * SQLITE_BUSY at once, or blocks the whole event loop in the engine's busy
 * handler (the `libsql` binding is synchronous) while the lock holder cannot
 * run. Waiting here instead is asynchronous and first-come first-served, so
 * concurrent write transactions queue up and all commit, as they do against
 * sqld. A writer that waits longer than the timeout gets SQLITE_BUSY, having
 * never touched its connection.
 */
import { lockTimeoutError } from './errors.mjs';

/** @typedef {{ owner: object, resolve: () => void, reject: (error: Error) => void, timer: NodeJS.Timeout }} Waiter */

export class WriteLock {
  /** @type {object | null} */
  #owner = null;
  /** @type {Waiter[]} */
  #waiters = [];

  /** The stream holding the lock, if any. */
  get owner() {
    return this.#owner;
  }

  /**
   * Resolves once `owner` holds the lock; rejects with SQLITE_BUSY after `timeoutMs`.
   * @param {object} owner
   * @param {number} timeoutMs
   * @returns {Promise<void>}
   */
  acquire(owner, timeoutMs) {
    if (this.#owner === owner) return Promise.resolve();
    if (this.#owner === null) {
      this.#owner = owner;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      /** @type {Waiter} */
      const waiter = {
        owner,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(lockTimeoutError());
        }, timeoutMs),
      };
      this.#waiters.push(waiter);
    });
  }

  /**
   * Hands the lock straight to the longest waiter, so a fresh arrival cannot overtake it.
   * @param {object} owner releasing a lock one does not hold is a no-op
   */
  release(owner) {
    if (this.#owner !== owner) return;
    const next = this.#waiters.shift();
    this.#owner = next?.owner ?? null;
    if (next) {
      clearTimeout(next.timer);
      next.resolve();
    }
  }

  /** Fails every waiter (used when the server shuts down). @param {Error} error */
  abortWaiters(error) {
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }
}
