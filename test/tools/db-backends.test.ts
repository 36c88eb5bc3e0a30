/**
 * The local database's backends and bridge (tools/db), in Node: which errors discard a connection,
 * how the bridge answers them, and the embedded PGlite reconnecting after its socket connection
 * breaks and serving other Postgres clients (drizzle-kit studio, psql) on its port. The PostgreSQL
 * side (pg_terminate_backend under load) is tested inside workerd: test/contract/bridge-heals.test.ts.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
	type Backend,
	breaksConnection,
	type PgliteBackend,
	pgliteBackend,
	prepareDataDir,
} from "../../tools/db/backends.ts";
import { bridgePort, startBridge } from "../../tools/db/bridge.ts";
import { startLocalDatabase } from "../../tools/db/local-database.ts";

function databaseError(code: string, severity: string): pg.DatabaseError {
	const error = new pg.DatabaseError("reported by Postgres", 0, "error");
	Object.assign(error, { code, severity });
	return error;
}

/**
 * Closes the socket under a pg client, as a server that drops the connection does (the socket's
 * 'close' becomes pg's 'end' and 'error'). Resolves once pg has seen it.
 */
function breakSocket(client: pg.ClientBase): Promise<void> {
	const ended = new Promise<void>((resolve) => client.once("end", () => resolve()));
	(client as pg.Client).connection.stream.destroy();
	return ended;
}

async function post(port: number, body: unknown) {
	const response = await fetch(`http://127.0.0.1:${port}/sql`, { method: "POST", body: JSON.stringify(body) });
	return { status: response.status, text: await response.text() };
}

describe("breaksConnection: which errors discard the connection", () => {
	it.each([
		["an error Postgres reported (23505)", false, databaseError("23505", "ERROR")],
		["the same, wrapped by drizzle", false, new Error("Failed query", { cause: databaseError("23505", "ERROR") })],
		["a cancelled statement (57014)", false, databaseError("57014", "ERROR")],
		["pg_terminate_backend (FATAL 57P01)", true, databaseError("57P01", "FATAL")],
		["57P01 with a translated severity", true, databaseError("57P01", "SCHWERWIEGEND")],
		["a connection exception (08006)", true, databaseError("08006", "ERROR")],
		["any FATAL report", true, databaseError("28000", "FATAL")],
		["a closed socket", true, new Error("Connection terminated unexpectedly")],
	])("%s: discard %s", (_, expected, error) => {
		expect(breaksConnection(error)).toBe(expected);
	});
});

describe("the bridge answers a failed connection as a database error", () => {
	const failing = (error: Error): Backend => ({
		description: "failing",
		withConnection: () => Promise.reject(error),
		close: async () => {},
	});

	it("a terminated session: HTTP 400 with Postgres's fields, as Neon reports a Postgres error", async () => {
		const server = await startBridge(failing(databaseError("57P01", "FATAL")), 0);
		try {
			const { status, text } = await post(bridgePort(server), { query: "select 1" });
			expect(status).toBe(400);
			expect(JSON.parse(text)).toMatchObject({ code: "57P01", severity: "FATAL" });
		} finally {
			server.close();
		}
	});

	it("a lost or refused connection: HTTP 503", async () => {
		const server = await startBridge(failing(new Error("Connection terminated unexpectedly")), 0);
		try {
			const { status, text } = await post(bridgePort(server), { query: "select 1" });
			expect(status).toBe(503);
			expect(text).toBe("database unavailable: Connection terminated unexpectedly");
		} finally {
			server.close();
		}
	});
});

describe("embedded PGlite", () => {
	let backend: PgliteBackend;
	beforeAll(async () => {
		backend = await pgliteBackend(undefined, 0);
	});
	afterAll(() => backend.close());

	it("a connection broken mid-query fails that query as a lost connection; the next one reconnects", async () => {
		const first = await backend.withConnection(async (client) => client);
		const failure = await backend
			.withConnection((client) => {
				void breakSocket(client);
				return client.query("select 1");
			})
			.catch((error: Error) => error);
		expect(failure).toBeInstanceOf(Error);
		expect(breaksConnection(failure)).toBe(true);
		const [client, rows] = await backend.withConnection(async (c) => [c, (await c.query("select 2 as n")).rows]);
		expect(client).not.toBe(first);
		expect(rows).toEqual([{ n: 2 }]);
	});

	it("a connection broken while idle is replaced before the bridge's next request", async () => {
		const server = await startBridge(backend, 0);
		try {
			await backend.withConnection(breakSocket);
			const { status, text } = await post(bridgePort(server), { query: "select 3 as n" });
			expect(status).toBe(200);
			expect(JSON.parse(text).rows).toEqual([["3"]]);
		} finally {
			server.close();
		}
	});

	it("serves other Postgres clients on its URL, in the same database as the bridge's connection", async () => {
		expect(backend.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
		await backend.withConnection((client) => client.query("create table if not exists seen_by_all (n int)"));
		await backend.withConnection((client) => client.query("insert into seen_by_all values (7)"));
		const other = new pg.Client({ connectionString: backend.url });
		await other.connect();
		try {
			expect((await other.query("select n from seen_by_all")).rows).toEqual([{ n: 7 }]);
		} finally {
			await other.end();
		}
	});

	it("refuses a port that is taken, in one line", async () => {
		const taken = createServer();
		await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
		const { port } = taken.address() as AddressInfo;
		try {
			const error = await pgliteBackend(undefined, port).catch((e: Error) => e);
			expect((error as Error).message).toMatch(
				new RegExp(`^cannot serve the embedded PGlite on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`),
			);
		} finally {
			taken.close();
		}
	});

	it("startLocalDatabase names it as pgliteUrl: the migrated tables are there", async () => {
		const local = await startLocalDatabase({ port: 0, pglitePort: 0 });
		const other = new pg.Client({ connectionString: local.pgliteUrl });
		try {
			await other.connect();
			const { rows } = await other.query("select to_regclass('public.webhook_events') is not null as migrated");
			expect(rows).toEqual([{ migrated: true }]);
		} finally {
			await other.end();
			await local.stop();
		}
	});
});

describe("prepareDataDir", () => {
	const base = mkdtempSync(join(tmpdir(), "data-dir-"));
	afterAll(() => rmSync(base, { recursive: true, force: true }));

	it("creates a new folder, and accepts an empty one or one that holds a database", () => {
		prepareDataDir(join(base, "new", "pglite"));
		mkdirSync(join(base, "empty"));
		prepareDataDir(join(base, "empty"));
		mkdirSync(join(base, "database"));
		writeFileSync(join(base, "database", "PG_VERSION"), "17\n");
		prepareDataDir(join(base, "database"));
	});

	it("refuses, in one line, a folder of something else (LOCAL_DB_DIR pointed at a checkout)", () => {
		mkdirSync(join(base, "checkout"));
		writeFileSync(join(base, "checkout", "package.json"), "{}");
		expect(() => prepareDataDir(join(base, "checkout"))).toThrow(/checkout is neither empty nor a database/);
		expect(readdirSync(join(base, "checkout"))).toEqual(["package.json"]);
	});
});
