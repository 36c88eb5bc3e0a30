/**
 * vitest globalSetup (Node side): starts the local database and its Neon-protocol bridge for the
 * Worker under test. Embedded PGlite in memory by default; with DATABASE_URL=postgres://… the real
 * server, which is EMPTIED first: point it only at a throw-away database such as `test`.
 */
import { startLocalDatabase } from "../../tools/db/local-database.ts";

export default async function setup() {
	const local = await startLocalDatabase({
		port: Number(process.env.TEST_BRIDGE_PORT),
		databaseUrl: process.env.DATABASE_URL,
		reset: true,
	});
	console.log(`tests use ${local.description}`);
	return () => local.stop();
}
