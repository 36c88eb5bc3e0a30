/**
 * Contract tests for the local bridge (tools/db/bridge.ts): through the real Neon driver and drizzle
 * inside workerd, it must behave as Neon's SQL-over-HTTP endpoint does, or local runs would prove
 * nothing about production.
 */
import { env } from "cloudflare:test";
import { neon } from "@neondatabase/serverless";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { database } from "../../src/db/client";
import { unreachableDatabaseUrl, withUnreachableDatabase } from "../support/unreachable";

const db = () => database(env.DATABASE_URL);

/** The NeonDbError that drizzle wraps (the SQLSTATE is on `cause.code`). */
async function databaseError(work: Promise<unknown>): Promise<Record<string, unknown>> {
	try {
		await work;
	} catch (error) {
		return ((error as Error).cause ?? error) as Record<string, unknown>;
	}
	throw new Error("expected a database error");
}

beforeAll(async () => {
	await db().execute(sql`create table if not exists bridge_contract (id text primary key, n int not null)`);
});

describe("types round-trip as the driver parses them", () => {
	it("scalars, null, json, arrays, timestamps and bytes", async () => {
		const result = await db().execute(sql`select
			${42}::int as int4, ${"9007199254740993"}::bigint as int8, ${"12.50"}::numeric as num,
			${true}::boolean as bool, null::text as nothing, ${"héllo ☃"}::text as text,
			${JSON.stringify({ a: [1, "x"] })}::jsonb as doc, '{1,2,3}'::int[] as ints,
			'{"a b","c"}'::text[] as texts, ${"2026-01-15T12:00:00.123Z"}::timestamptz as at,
			'\\x00ff'::bytea as bytes, ${"2026-01-15"}::date as day`);
		expect(result.rows).toEqual([
			{
				int4: 42,
				int8: "9007199254740993",
				num: "12.50",
				bool: true,
				nothing: null,
				text: "héllo ☃",
				doc: { a: [1, "x"] },
				ints: [1, 2, 3],
				texts: ["a b", "c"],
				at: expect.stringMatching(/^2026-01-15 12:00:00\.123\+00/),
				bytes: expect.any(Object),
				day: "2026-01-15",
			},
		]);
		const [row] = result.rows as { bytes: Uint8Array }[];
		expect([...new Uint8Array(row?.bytes ?? [])]).toEqual([0, 255]);
	});

	it("reports the command and row count", async () => {
		const id = crypto.randomUUID();
		const inserted = await db().execute(sql`insert into bridge_contract values (${id}, 1)`);
		expect(inserted).toMatchObject({ command: "INSERT", rowCount: 1 });
		const created = await db().execute(sql`create temp table if not exists t_contract (a int)`);
		expect(created).toMatchObject({ command: "CREATE", rowCount: null });
	});
});

describe("errors", () => {
	it("a unique violation surfaces as 23505 with its constraint", async () => {
		const id = crypto.randomUUID();
		await db().execute(sql`insert into bridge_contract values (${id}, 1)`);
		const error = await databaseError(db().execute(sql`insert into bridge_contract values (${id}, 2)`));
		expect(error).toMatchObject({ code: "23505", constraint: "bridge_contract_pkey", severity: "ERROR" });
	});

	it("uses the extended protocol: two statements in one query fail with 42601, as on Neon", async () => {
		const error = await databaseError(db().execute(sql.raw("select 1; select 2")));
		expect(error).toMatchObject({ code: "42601" });
	});

	it("reports a refused connection as the driver's connection error", async () => {
		// Refused in fetch, as workerd refuses it, without the stack dump a real closed port costs (test/support/unreachable.ts).
		const realFetch = globalThis.fetch;
		vi.spyOn(globalThis, "fetch").mockImplementation(withUnreachableDatabase(realFetch));
		try {
			const error = await databaseError(database(unreachableDatabaseUrl).execute(sql`select 1`));
			expect(String(error.message)).toMatch(/^Error connecting to database/);
		} finally {
			vi.restoreAllMocks();
		}
	});
});

describe("batches", () => {
	it("run as one transaction that rolls back whole on any error", async () => {
		const id = crypto.randomUUID();
		const error = await databaseError(
			db().batch([
				db().execute(sql`insert into bridge_contract values (${id}, 1)`),
				db().execute(sql`insert into bridge_contract values (${id}, 2)`),
			]),
		);
		expect(error).toMatchObject({ code: "23505" });
		const rows = await db().execute(sql`select * from bridge_contract where id = ${id}`);
		expect(rows.rows).toEqual([]);
	});

	it("return one result per statement, in order", async () => {
		const id = crypto.randomUUID();
		const [inserted, selected] = await db().batch([
			db().execute(sql`insert into bridge_contract values (${id}, 7) returning n`),
			db().execute(sql`select n from bridge_contract where id = ${id}`),
		]);
		expect(inserted.rows).toEqual([{ n: 7 }]);
		expect(selected.rows).toEqual([{ n: 7 }]);
	});

	it("honour the isolation and read-only headers", async () => {
		const client = neon(env.DATABASE_URL);
		const [level, readOnly] = await client.transaction(
			[client.query("show transaction_isolation"), client.query("show transaction_read_only")],
			{ isolationLevel: "Serializable", readOnly: true },
		);
		expect(level).toEqual([{ transaction_isolation: "serializable" }]);
		expect(readOnly).toEqual([{ transaction_read_only: "on" }]);
		const error = await databaseError(
			client.transaction([client.query("insert into bridge_contract values ('ro', 1)")], { readOnly: true }),
		);
		expect(error).toMatchObject({ code: "25006" });
	});
});
