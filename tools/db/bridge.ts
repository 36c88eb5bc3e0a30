/**
 * @module tools/db/bridge
 * A local stand-in for Neon's SQL-over-HTTP endpoint (`POST /sql`), so the Worker's production
 * driver (`@neondatabase/serverless` + drizzle neon-http) runs unchanged against a local Postgres.
 * Trust boundary: listens on loopback only, for development and tests; it has no authentication.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import type { Backend } from "./backends.ts";

interface SqlQuery {
	query: string;
	params?: (string | null)[];
}

/** Neon sends every value as text and parses it client-side from dataTypeID: so do we. */
const textAsIs = { getTypeParser: () => (value: string) => value };

/** The fields of a Postgres error that Neon copies into its HTTP 400 body. */
const errorFields = [
	"message",
	"code",
	"detail",
	"hint",
	"position",
	"internalPosition",
	"internalQuery",
	"severity",
	"where",
	"table",
	"column",
	"schema",
	"dataType",
	"constraint",
	"file",
	"line",
	"routine",
] as const;

const isolationLevels: Record<string, string> = {
	ReadUncommitted: "READ UNCOMMITTED",
	ReadCommitted: "READ COMMITTED",
	RepeatableRead: "REPEATABLE READ",
	Serializable: "SERIALIZABLE",
};

/** Runs one query the way Neon does: extended protocol (one statement), raw text values. */
async function runQuery(client: pg.ClientBase, { query, params }: SqlQuery) {
	const result = await client.query({
		text: query,
		values: params ?? [],
		rowMode: "array",
		types: textAsIs,
		queryMode: "extended",
	} as pg.QueryConfig);
	return {
		command: result.command,
		rowCount: result.rowCount,
		rowAsArray: true,
		fields: result.fields.map((f) => ({
			name: f.name,
			dataTypeID: f.dataTypeID,
			tableID: f.tableID,
			columnID: f.columnID,
			dataTypeSize: f.dataTypeSize,
			dataTypeModifier: f.dataTypeModifier,
			format: "text",
		})),
		rows: result.rows,
	};
}

/** `BEGIN` with the batch options Neon reads from its headers. */
function beginStatement(headers: IncomingMessage["headers"]): string {
	const parts = ["BEGIN"];
	const level = isolationLevels[String(headers["neon-batch-isolation-level"])];
	if (level) parts.push(`ISOLATION LEVEL ${level}`);
	if (headers["neon-batch-read-only"] === "true") parts.push("READ ONLY");
	if (headers["neon-batch-deferrable"] === "true") parts.push("DEFERRABLE");
	return parts.join(" ");
}

/** A batch is one transaction: all its statements commit together or none do. */
async function runBatch(client: pg.ClientBase, queries: SqlQuery[], begin: string) {
	await client.query(begin);
	try {
		const results = [];
		for (const query of queries) results.push(await runQuery(client, query));
		await client.query("COMMIT");
		return { results };
	} catch (error) {
		await client.query("ROLLBACK").catch(() => {});
		throw error;
	}
}

function send(res: ServerResponse, status: number, body: unknown) {
	const text = typeof body === "string" ? body : JSON.stringify(body);
	res.writeHead(status, { "content-type": typeof body === "string" ? "text/plain" : "application/json" });
	res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString("utf8");
}

async function handle(backend: Backend, req: IncomingMessage, res: ServerResponse) {
	if (req.method !== "POST" || new URL(req.url ?? "/", "http://bridge").pathname !== "/sql") {
		return send(res, 404, "the local database bridge only answers POST /sql");
	}
	let body: { query?: string; params?: (string | null)[]; queries?: SqlQuery[] };
	try {
		body = JSON.parse(await readBody(req));
	} catch {
		return send(res, 400, { message: "request body is not JSON" });
	}
	try {
		const result = await backend.withConnection<unknown>((client) =>
			Array.isArray(body.queries)
				? runBatch(client, body.queries, beginStatement(req.headers))
				: runQuery(client, body as SqlQuery),
		);
		send(res, 200, result);
	} catch (error) {
		if (error instanceof pg.DatabaseError) {
			const fields = Object.fromEntries(errorFields.map((name) => [name, error[name]]));
			return send(res, 400, fields);
		}
		send(res, 503, `database unavailable: ${(error as Error).message}`);
	}
}

/** Starts the bridge on 127.0.0.1:`port` (0 picks a free port); resolves once it listens. */
export async function startBridge(backend: Backend, port: number): Promise<Server> {
	const server = createServer((req, res) => {
		handle(backend, req, res).catch((error) => send(res, 500, String(error)));
	});
	await new Promise<void>((resolve, reject) => {
		server.once("error", reject);
		server.listen(port, "127.0.0.1", resolve);
	});
	return server;
}

export function bridgePort(server: Server): number {
	return (server.address() as AddressInfo).port;
}
