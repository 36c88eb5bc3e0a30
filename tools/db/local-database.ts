/**
 * @module tools/db/local-database
 * Starts what `npm run dev` and the tests need locally: a Postgres (embedded PGlite by default,
 * a real server when DATABASE_URL is a postgres:// URL), migrated, behind the Neon-protocol bridge.
 * The embedded PGlite is also served over the Postgres wire protocol (for drizzle-kit studio, psql).
 * Trust boundary: everything listens on 127.0.0.1 only, without authentication.
 */
import type { Server } from "node:http";
import { type Backend, pgliteBackend, postgresBackend } from "./backends.ts";
import { bridgePort, startBridge } from "./bridge.ts";
import { applyMigrations, dropEverything } from "./migrate.ts";
import { isPostgresUrl } from "./url.ts";

export interface LocalDatabaseOptions {
	/** Bridge port on 127.0.0.1; 0 picks a free one. */
	port: number;
	/** A postgres:// URL to use a real server; otherwise embedded PGlite. */
	databaseUrl?: string | undefined;
	/** PGlite data directory; undefined keeps PGlite in memory. */
	dataDir?: string | undefined;
	/** Port on 127.0.0.1 where the embedded PGlite speaks the Postgres wire protocol; 0 (the default) picks a free one. */
	pglitePort?: number | undefined;
	/** Empty the database before migrating (tests only). */
	reset?: boolean;
}

export interface LocalDatabase {
	/** The connection string the Worker uses: a local host, so its driver calls the bridge. */
	workerUrl: string;
	/** The embedded PGlite's wire-protocol URL (postgres://postgres@127.0.0.1:PORT/postgres); undefined for a real server. */
	pgliteUrl: string | undefined;
	description: string;
	stop(): Promise<void>;
}

/**
 * Starts the database, migrates it (after emptying it with `reset`) and starts the bridge. Rejects,
 * with everything it started stopped again, when a port is taken, the server cannot be reached or
 * a migration fails.
 */
export async function startLocalDatabase(options: LocalDatabaseOptions): Promise<LocalDatabase> {
	let backend: Backend;
	let pgliteUrl: string | undefined;
	if (isPostgresUrl(options.databaseUrl)) {
		backend = postgresBackend(options.databaseUrl);
	} else {
		const pglite = await pgliteBackend(options.dataDir, options.pglitePort ?? 0);
		[backend, pgliteUrl] = [pglite, pglite.url];
	}
	let server: Server | undefined;
	try {
		if (options.reset) await dropEverything(backend);
		await applyMigrations(backend);
		server = await startBridge(backend, options.port);
	} catch (error) {
		await backend.close();
		throw error;
	}
	const bridge = server;
	return {
		workerUrl: `postgres://shop:local@localhost:${bridgePort(bridge)}/shop`,
		pgliteUrl,
		description: backend.description,
		async stop() {
			bridge.closeAllConnections();
			await new Promise((resolve) => bridge.close(resolve));
			await backend.close();
		},
	};
}
