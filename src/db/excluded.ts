import { type Column, getTableColumns, type SQL, sql, type Table } from 'drizzle-orm';

/**
 * The `set` of a multi-row upsert that overwrites the named columns with the conflicting row's
 * own values (SQLite's `excluded.<column>`), so each row of the batch writes what it carried.
 */
export function fromExcluded<T extends Table, K extends keyof T['_']['columns'] & string>(
  table: T,
  keys: readonly K[],
): Record<K, SQL> {
  const columns: Record<string, Column> = getTableColumns(table);
  return Object.fromEntries(keys.map((k) => [k, sql.raw(`excluded.${columns[k]?.name}`)])) as Record<K, SQL>;
}
