/**
 * @module tools/db/migrate
 * Applies the committed drizzle migrations (`drizzle/`) through a backend connection.
 * As a script (`npm run db:migrate`) it migrates the database named by DATABASE_URL, Neon included.
 */
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import type pg from "pg";
import { type Backend, postgresBackend } from "./backends.ts";

export const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

export function applyMigrations(backend: Backend): Promise<void> {
	return backend.withConnection((client) => migrate(drizzle({ client: client as pg.Client }), { migrationsFolder }));
}

/** Drops everything in the database: only for the throw-away databases that tests use. */
export function dropEverything(backend: Backend): Promise<void> {
	return backend.withConnection(async (client) => {
		await client.query("DROP SCHEMA IF EXISTS drizzle CASCADE");
		await client.query("DROP SCHEMA IF EXISTS public CASCADE");
		await client.query("CREATE SCHEMA public");
	});
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const url = process.env.DATABASE_URL;
	if (!url) {
		console.error("Set DATABASE_URL to the database to migrate, e.g. DATABASE_URL=postgresql://… npm run db:migrate");
		process.exit(2);
	}
	const backend = postgresBackend(url);
	try {
		await applyMigrations(backend);
		console.log(`migrations applied to ${backend.description}`);
	} finally {
		await backend.close();
	}
}
