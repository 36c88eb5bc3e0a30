/**
 * @module tools/db/local-database
 * Starts what `npm run dev` and the tests need locally: a Postgres (embedded PGlite by default,
 * a real server when DATABASE_URL is a postgres:// URL), migrated, behind the Neon-protocol bridge.
 */
import type { Server } from "node:http";
import { type Backend, pgliteBackend, postgresBackend } from "./backends.ts";
import { bridgePort, startBridge } from "./bridge.ts";
import { applyMigrations, dropEverything } from "./migrate.ts";

export interface LocalDatabaseOptions {
	/** Bridge port on 127.0.0.1; 0 picks a free one. */
	port: number;
	/** A postgres:// URL to use a real server; otherwise embedded PGlite. */
	databaseUrl?: string | undefined;
	/** PGlite data directory; undefined keeps PGlite in memory. */
	dataDir?: string | undefined;
	/** Empty the database before migrating (tests only). */
	reset?: boolean;
}

export interface LocalDatabase {
	/** The connection string the Worker uses: a local host, so its driver calls the bridge. */
	workerUrl: string;
	description: string;
	stop(): Promise<void>;
}

export function isPostgresUrl(url: string | undefined): url is string {
	return !!url && /^postgres(ql)?:\/\//.test(url);
}

export async function startLocalDatabase(options: LocalDatabaseOptions): Promise<LocalDatabase> {
	const backend: Backend = isPostgresUrl(options.databaseUrl)
		? postgresBackend(options.databaseUrl)
		: await pgliteBackend(options.dataDir);
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
		description: backend.description,
		async stop() {
			bridge.closeAllConnections();
			await new Promise((resolve) => bridge.close(resolve));
			await backend.close();
		},
	};
}
