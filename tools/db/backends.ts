/**
 * @module tools/db/backends
 * The Postgres behind the local bridge: an embedded PGlite (served over the wire protocol, one
 * session, so work runs in turn) or a real server reached with `pg` (a pool, so concurrency is real).
 * Node-side only: PGlite cannot run inside workerd. Trust boundary: the connections are ours; the
 * server may drop them at any time (pg_terminate_backend, a restart), and that must never take the
 * process down: a broken connection is discarded and the next request opens a new one.
 */
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import pg from "pg";
import { parse } from "pg-connection-string";

export interface Backend {
	/** Human-readable description for logs (no credentials). */
	readonly description: string;
	/**
	 * Runs `work` on a connection held for its whole duration (a transaction fits inside). Rejects
	 * with what `work` rejects with: a `pg.DatabaseError` for an error reported by Postgres, any other
	 * Error when the connection could not be opened or broke (the connection is then discarded).
	 */
	withConnection<T>(work: (client: pg.ClientBase) => Promise<T>): Promise<T>;
	close(): Promise<void>;
}

/** SQLSTATEs after which the server has closed (or is closing) the session, whatever lc_messages says. */
const sessionEndingCodes = new Set(["57P01", "57P02", "57P03", "57P05", "25P03"]);

/**
 * True when `error` means the connection cannot be used again: anything that is not an error
 * reported by Postgres (socket closed, "Connection terminated unexpectedly"), a FATAL or PANIC
 * report (pg_terminate_backend arrives as FATAL 57P01 "terminating connection due to administrator
 * command"), or a connection-exception SQLSTATE (class 08). Looks through drizzle's wrapper (`cause`).
 */
export function breaksConnection(error: unknown): boolean {
	const reported = error instanceof pg.DatabaseError ? error : (error as { cause?: unknown } | undefined)?.cause;
	if (!(reported instanceof pg.DatabaseError)) return true;
	const { code = "", severity } = reported;
	return severity === "FATAL" || severity === "PANIC" || code.startsWith("08") || sessionEndingCodes.has(code);
}

/** A real PostgreSQL server, e.g. `postgres://postgres@127.0.0.1:5432/test`. */
export function postgresBackend(connectionString: string): Backend {
	let url: ReturnType<typeof parse>;
	try {
		url = parse(connectionString); // as pg reads it: Unix sockets (?host=/path) included
	} catch {
		// Never echo it: it holds a password.
		throw new Error("the database URL is not valid (expected postgres://user:password@host:port/database)");
	}
	// 8 deliveries in flight and still a connection for the next request (a health check, a poll).
	// A server that never answers the startup message (a wrong port: Redis, an HTTP server) fails in
	// 10 s instead of hanging the tool.
	const pool = new pg.Pool({ connectionString, max: 10, connectionTimeoutMillis: 10_000 });
	// pg-pool listens for errors on idle clients only: it then drops them itself.
	pool.on("error", () => {});
	return {
		description: `PostgreSQL at ${url.host || "the local socket"}:${url.port || 5432}/${url.database ?? ""}`,
		async withConnection(work) {
			const client = await pool.connect();
			let broken: Error | undefined;
			// A checked-out client has no listener of pg-pool's: without this one, the server closing
			// the connection would be an unhandled 'error' event and would end the process.
			const onError = (error: Error) => {
				broken = error;
			};
			client.on("error", onError);
			try {
				return await work(client);
			} catch (error) {
				if (breaksConnection(error)) broken ??= error as Error;
				throw error;
			} finally {
				client.off("error", onError);
				client.release(broken); // with an error, pg-pool closes the client instead of keeping it
			}
		},
		close: () => pool.end(),
	};
}

/** The embedded database's wire-protocol address, for tools that speak Postgres (drizzle-kit studio, psql). */
export interface PgliteBackend extends Backend {
	/** `postgres://postgres@127.0.0.1:PORT/postgres` (no password: it listens on loopback only). */
	readonly url: string;
}

/**
 * Connections pglite-socket accepts (its default is 1): the bridge's, drizzle-kit studio's (it uses
 * one), a few for psql or migrate, and slack: it frees a closed socket's slot a tick late, so
 * reconnecting at once after a break would otherwise be refused ("Too many connections").
 */
const pgliteConnections = 8;

/**
 * Creates `dataDir`, or checks that it holds a database already (PG_VERSION) or nothing: PGlite would
 * otherwise create its files among someone else's (LOCAL_DB_DIR pointed at the wrong folder).
 * Throws one line when it is a folder of something else.
 */
export function prepareDataDir(dataDir: string): void {
	mkdirSync(dataDir, { recursive: true });
	if (existsSync(join(dataDir, "PG_VERSION")) || readdirSync(dataDir).length === 0) return;
	throw new Error(
		`${dataDir} is neither empty nor a database: point LOCAL_DB_DIR at a new or empty folder (or the one of an earlier npm run dev)`,
	);
}

/**
 * Embedded PGlite, persisted in `dataDir` (or in memory when it is undefined), served over the
 * Postgres wire protocol on 127.0.0.1:`port` (0 picks a free port). All connections share PGlite's
 * single session (a SET or a temp table made on one is seen by all); pglite-socket queues their
 * queries and keeps a transaction's queries together. Rejects, in one line, if the port is taken.
 */
export async function pgliteBackend(dataDir: string | undefined, port = 0): Promise<PgliteBackend> {
	if (dataDir) prepareDataDir(dataDir);
	const db = await PGlite.create(dataDir);
	const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port, maxConnections: pgliteConnections });
	try {
		await server.start();
	} catch (error) {
		await db.close();
		throw new Error(`cannot serve the embedded PGlite on 127.0.0.1:${port}: ${(error as Error).message}`, {
			cause: error,
		});
	}
	const [host = "127.0.0.1", listening = ""] = server.getServerConn().split(":");
	const config = { host, port: Number(listening), user: "postgres", database: "postgres" };

	// One connection, opened on first use and again after it breaks.
	let client: pg.Client | undefined;
	const discard = (broken: pg.Client) => {
		if (client === broken) client = undefined;
		broken.end().catch(() => {});
	};
	const connected = async () => {
		if (client) return client;
		const fresh = new pg.Client(config);
		fresh.on("error", () => discard(fresh));
		await fresh.connect();
		client = fresh;
		return fresh;
	};

	let turn: Promise<unknown> = Promise.resolve();
	return {
		description: dataDir ? `embedded PGlite in ${dataDir}` : "embedded PGlite in memory",
		url: `postgres://postgres@${host}:${config.port}/postgres`,
		withConnection(work) {
			const mine = turn.then(async () => {
				const current = await connected();
				try {
					return await work(current);
				} catch (error) {
					if (breaksConnection(error)) discard(current);
					throw error;
				}
			});
			turn = mine.catch(() => {});
			return mine;
		},
		async close() {
			await turn;
			await client?.end().catch(() => {});
			await server.stop();
			await db.close();
		},
	};
}
