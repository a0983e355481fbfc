import { defineConfig } from 'drizzle-kit';

// Kept beside the local-stack tooling so the project root holds only what the layout names.
export default defineConfig({
  dialect: 'turso',
  schema: './src/db/schema.ts',
  out: './drizzle',
  casing: 'snake_case',
});
