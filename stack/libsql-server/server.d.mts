// Types for server.mjs, so TypeScript callers (tests, vitest globalSetup) need no allowJs.

export interface LibsqlServerOptions {
  /** Database file (parent directories are created), or ':memory:' for a throw-away database. */
  file: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** An unused stream is closed, its transaction rolled back, after this many ms (default 30000). */
  idleStreamMs?: number;
  /** How long a writer waits for the single-writer lock before SQLITE_BUSY (default 5000). */
  busyTimeoutMs?: number;
  /**
   * 'sqld' (default): primary codes such as SQLITE_CONSTRAINT, as sqld and Turso send.
   * 'extended': SQLITE_CONSTRAINT_UNIQUE and the like, which production never sends.
   */
  errorCodes?: 'sqld' | 'extended';
  log?: (message: string) => void;
}

export interface LibsqlServer {
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  /** Rolls back open transactions, closes every connection and the HTTP server. */
  close(): Promise<void>;
}

export function startLibsqlServer(options: LibsqlServerOptions): Promise<LibsqlServer>;
