/**
 * @module test/support/old-databases
 * For the migration tests (test/tools/migration-*.test.ts, in Node): a database migrated only up to an
 * earlier migration, to fill with rows of the old shape before the later migrations run, on an
 * embedded PGlite and, when TEST_DATABASE_URL names a PostgreSQL server, in a database of its own
 * there (created and dropped by the test).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import type pg from "pg";
import { type Backend, pgliteBackend, postgresBackend } from "../../tools/db/backends.ts";
import { migrationsFolder } from "../../tools/db/migrate.ts";

/** An open database and how to close (and, for a server's, drop) it. */
export type OpenDatabase = () => Promise<{ backend: Backend; done: () => Promise<void> }>;

/** Applies the committed migrations up to `last` (its journal index) to `backend`. */
export async function migrateUpTo(backend: Backend, last: number): Promise<void> {
	const folder = mkdtempSync(join(tmpdir(), "migrations-"));
	try {
		cpSync(migrationsFolder, folder, { recursive: true });
		const journalPath = join(folder, "meta", "_journal.json");
		const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: { idx: number }[] };
		journal.entries = journal.entries.filter((entry) => entry.idx <= last);
		writeFileSync(journalPath, JSON.stringify(journal));
		await backend.withConnection((client) =>
			migrate(drizzle({ client: client as pg.Client }), { migrationsFolder: folder }),
		);
	} finally {
		rmSync(folder, { recursive: true, force: true });
	}
}

/**
 * Calls `checks` once per database to run them on: an embedded PGlite, and a database of its own
 * (named after `tag`) on TEST_DATABASE_URL's server when it is set.
 */
export function onEveryDatabase(tag: string, checks: (name: string, open: OpenDatabase) => void): void {
	checks("an embedded PGlite", async () => {
		const backend = await pgliteBackend(undefined);
		return { backend, done: () => backend.close() };
	});
	const server = process.env.TEST_DATABASE_URL;
	if (!server) return;
	checks("PostgreSQL", async () => {
		const name = `${tag}_${process.pid}_${Date.now()}`;
		const admin = postgresBackend(server);
		await admin.withConnection((client) => client.query(`create database ${name}`));
		const url = new URL(server);
		url.pathname = `/${name}`;
		const backend = postgresBackend(url.toString());
		return {
			backend,
			done: async () => {
				await backend.close();
				await admin.withConnection((client) => client.query(`drop database if exists ${name}`));
				await admin.close();
			},
		};
	});
}
