/** What the global setup hands the tests (and the Workers pool's options) through `provide`. */
export {};

declare module 'vitest' {
  export interface ProvidedContext {
    libsqlUrl: string;
    n2gUrl: string;
    portalUrl: string;
    lanesUrl: string;
  }
}
