/**
 * @module tools/db/migrate
 * Applies the committed drizzle migrations (`drizzle/`) through a backend connection.
 * As a script (`npm run db:migrate`) it migrates the database named by DATABASE_URL, Neon included;
 * its errors are one line (the URL, which holds a password, is never printed).
 */
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import type pg from "pg";
import { errorLine, parseCommandLine, usageError } from "../cli.ts";
import { type Backend, postgresBackend } from "./backends.ts";
import { isPostgresUrl } from "./url.ts";

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

const usage = `usage: DATABASE_URL=postgresql://… npm run db:migrate

Applies the committed migrations (drizzle/) to the database DATABASE_URL names, Neon included.
npm run dev and the tests migrate their own databases: this is for the others.

options:
  -h, --help        this help`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	parseCommandLine({ usage, options: {} });
	const url = process.env.DATABASE_URL;
	if (!url) usageError(usage, "DATABASE_URL is not set: set it to the database to migrate");
	// Never echo the URL: it holds a password.
	if (!isPostgresUrl(url)) usageError(usage, "DATABASE_URL must be a postgres:// or postgresql:// URL");
	let backend: Backend;
	try {
		backend = postgresBackend(url);
	} catch {
		usageError(usage, "DATABASE_URL is not a valid URL");
	}
	try {
		await applyMigrations(backend);
		console.log(`migrations applied to ${backend.description}`);
	} catch (error) {
		console.error(`could not migrate ${backend.description}: ${errorLine(error)}`);
		process.exitCode = 1;
	} finally {
		await backend.close().catch(() => {});
	}
}
