/**
 * vitest globalSetup (Node side) of the `worker` project: starts the local database and its
 * Neon-protocol bridge for the Worker under test. Embedded PGlite in memory by default; with
 * TEST_DATABASE_URL=postgres://… (checked by test/setup/test-database.ts) that server, which is
 * EMPTIED first.
 */
import { errorLine } from "../../tools/cli.ts";
import { type LocalDatabase, startLocalDatabase } from "../../tools/db/local-database.ts";

export default async function setup() {
	let local: LocalDatabase;
	try {
		local = await startLocalDatabase({
			port: Number(process.env.TEST_BRIDGE_PORT),
			databaseUrl: process.env.TEST_DATABASE_URL,
			reset: true,
		});
	} catch (error) {
		// A configuration problem (the server is down, the database does not exist): one line, not a stack.
		console.error(`npm test: cannot start the test database: ${errorLine(error)}`);
		process.exit(1);
	}
	console.log(`tests use ${local.description}`);
	return () => local.stop();
}
