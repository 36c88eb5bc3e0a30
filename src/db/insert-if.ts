/**
 * @module db/insert-if
 * `INSERT … SELECT <row> WHERE <condition>`: an insert that happens only when a condition holds in
 * the same statement. The receive pipeline uses it so that a domain change applies only when its
 * event was recorded by the same transaction, never on a duplicate delivery.
 */
import { getTableColumns, is, SQL, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Database } from "./client";

/**
 * Inserts `row` into `table` only when `condition` is true. A value may be an SQL expression.
 * Columns missing from `row` get NULL (not their default): give every column that has one.
 */
export function insertIf<T extends PgTable>(
	db: Database,
	table: T,
	row: { [K in keyof T["$inferInsert"]]?: T["$inferInsert"][K] | SQL },
	condition: SQL,
) {
	const values = row as Record<string, unknown>;
	const selected = Object.entries(getTableColumns(table))
		// drizzle's own rule for which columns an insert lists (identity "always" columns are not)
		.filter(([, column]) => !(column as unknown as { shouldDisableInsert(): boolean }).shouldDisableInsert())
		.map(([key, column]) => {
			const type = sql.raw(column.getSQLType());
			const value = values[key];
			if (value === undefined || value === null) return sql`null::${type}`;
			return is(value, SQL) ? sql`(${value})::${type}` : sql`${sql.param(value, column)}::${type}`;
		});
	return db.insert(table).select(sql`select ${sql.join(selected, sql`, `)} where ${condition}`);
}

/** In `ON CONFLICT … DO UPDATE`: the value the conflicting insert proposed for this column. */
export function proposed(column: PgColumn): SQL {
	return sql.raw(`excluded."${column.name}"`);
}
