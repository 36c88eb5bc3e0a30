/**
 * @module tools/db/backends
 * The Postgres behind the local bridge: an embedded PGlite (served over the wire protocol, one
 * session, so work runs in turn) or a real server reached with `pg` (a pool, so concurrency is real).
 * Node-side only: PGlite cannot run inside workerd.
 */
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import pg from "pg";

export interface Backend {
	/** Human-readable description for logs (no credentials). */
	readonly description: string;
	/** Runs `work` on a connection held for its whole duration (a transaction fits inside). */
	withConnection<T>(work: (client: pg.ClientBase) => Promise<T>): Promise<T>;
	close(): Promise<void>;
}

/** A real PostgreSQL server, e.g. `postgres://postgres@127.0.0.1:5432/test`. */
export function postgresBackend(connectionString: string): Backend {
	const pool = new pg.Pool({ connectionString, max: 8 });
	pool.on("error", () => {}); // an idle client lost its server: the next checkout reconnects
	const url = new URL(connectionString);
	return {
		description: `PostgreSQL at ${url.hostname}:${url.port || 5432}${url.pathname}`,
		async withConnection(work) {
			const client = await pool.connect();
			let broken: Error | undefined;
			try {
				return await work(client);
			} catch (error) {
				if (!(error instanceof pg.DatabaseError)) broken = error as Error;
				throw error;
			} finally {
				client.release(broken);
			}
		},
		close: () => pool.end(),
	};
}

/** Embedded PGlite, persisted in `dataDir` (or in memory when it is undefined). */
export async function pgliteBackend(dataDir: string | undefined): Promise<Backend> {
	if (dataDir) mkdirSync(dataDir, { recursive: true });
	const db = await PGlite.create(dataDir);
	const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0 });
	await server.start();
	const [host, port] = server.getServerConn().split(":");
	const client = new pg.Client({ host, port: Number(port), user: "postgres", database: "postgres" });
	await client.connect();
	let turn: Promise<unknown> = Promise.resolve();
	return {
		description: dataDir ? `embedded PGlite in ${dataDir}` : "embedded PGlite in memory",
		withConnection(work) {
			const mine = turn.then(() => work(client));
			turn = mine.catch(() => {});
			return mine;
		},
		async close() {
			await turn;
			await client.end();
			await server.stop();
			await db.close();
		},
	};
}
