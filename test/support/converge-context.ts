/** What test/support/converge-summary.mjs hands the convergence drill through `provide`. */
export {};

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where each seed's figures go, for the summary over the seeds. */
    convergeUrl: string;
  }
}
