/**
 * @module test/support/seed-run
 * For the seed tests (test/tools/seed*.test.ts, in Node): a migrated in-memory database behind the
 * bridge, started before the file's tests and stopped after them, a client on it, and
 * `npm run db:seed` run as a user runs it (`node tools/db/seed.ts --bridge-port N`), with none of
 * the caller's PORT, BRIDGE_PORT or PGLITE_PORT.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { type LocalDatabase, startLocalDatabase } from "../../tools/db/local-database.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const read = ["PORT", "BRIDGE_PORT", "PGLITE_PORT"];
const env = Object.fromEntries(
	Object.entries(process.env).filter(([name]) => !read.includes(name)),
) as NodeJS.ProcessEnv;

export interface SeedRun {
	/** A client on the database (once the file's tests run). */
	client(): pg.Client;
	/** Runs the seed once: its exit code and output. */
	seed(): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Registers the database's start and stop around the calling file's tests. */
export function seedRun(): SeedRun {
	let local: LocalDatabase;
	let client: pg.Client;
	beforeAll(async () => {
		local = await startLocalDatabase({ port: 0, pglitePort: 0 });
		client = new pg.Client({ connectionString: local.pgliteUrl });
		await client.connect();
	});
	afterAll(async () => {
		await client?.end();
		await local?.stop();
	});
	return {
		client: () => client,
		seed() {
			const bridgePort = new URL(local.workerUrl).port;
			return new Promise((resolve, reject) => {
				execFile(
					process.execPath,
					["tools/db/seed.ts", "--bridge-port", bridgePort],
					{ cwd: root, env, timeout: 30_000 },
					(error, stdout, stderr) => {
						if (error && typeof error.code !== "number") reject(error);
						else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
					},
				);
			});
		},
	};
}
