/**
 * Contract: the local bridge heals. When the database drops the bridge's connections (a restart,
 * pg_terminate_backend), the requests on them fail as database errors (the Worker answers 503 and the
 * sender retries) and the next requests work. The bridge runs inside this vitest process (the
 * globalSetup): an unhandled error there would end the whole run, so a pass also proves it survived.
 *
 * PostgreSQL terminates connections. PGlite cannot: it is one session ("standalone backend", whatever
 * the number of socket connections) and pg_terminate_backend answers false there, so on PGlite the
 * same attempt must leave every delivery in flight applied. Its reconnect after the socket breaks is
 * tested in Node, where the socket can be reached (test/tools/db-backends.test.ts).
 */
import { env } from "cloudflare:test";
import { neon } from "@neondatabase/serverless";
import { expect, it } from "vitest";
import { clerkRequest, uniqueId, userEvent } from "../support/clerk";
import { deliver, deliverAll } from "../support/deliver";

/** Bound by vitest.config.ts from TEST_DATABASE_URL. */
const backend = (env as Env & { TEST_DATABASE_BACKEND?: "pglite" | "postgres" }).TEST_DATABASE_BACKEND;

/** Calls `attempt` until `done` accepts the result or `ms` milliseconds have passed; returns the last result. */
async function within<T>(ms: number, attempt: () => Promise<T>, done: (result: T) => boolean): Promise<T> {
	const deadline = Date.now() + ms;
	for (;;) {
		const result = await attempt();
		if (done(result) || Date.now() >= deadline) return result;
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

/** The bridge and the Worker answer again: GET /health 200 and a signed Clerk delivery 2xx, within 5 s each. */
async function expectServingAgain() {
	const sql = neon(env.DATABASE_URL);
	expect(await sql.query("select 1 as alive")).toEqual([{ alive: 1 }]);
	const health = await within(
		5000,
		() => deliver(new Request("http://shop.test/health")),
		(d) => d.status === 200,
	);
	expect(health.status).toBe(200);
	const userId = uniqueId("user");
	const event = userEvent("user.created", userId, Date.now());
	const id = uniqueId("msg");
	const clerk = await within(
		5000,
		() => deliver(clerkRequest(event, { id })),
		(d) => d.status >= 200 && d.status < 300,
	);
	expect(clerk.status).toBe(200);
	expect(clerk.body).toMatchObject({ received: true, outcome: "applied" });
}

if (backend === "postgres") {
	it("PostgreSQL terminating the connections of 8 requests in flight: they fail as database errors, nothing half-written, the next ones succeed", async () => {
		const sql = neon(env.DATABASE_URL);
		await sql.query("create table if not exists bridge_heals (id text primary key)");
		const marker = `in_flight_${crypto.randomUUID().replaceAll("-", "")}`;
		const written = Array.from({ length: 4 }, () => uniqueId("row"));
		// Each holds its connection long enough for the termination to find it busy: four single
		// queries and four transactions that have written a row (as a delivery's batch does).
		const sleep = `select pg_sleep(10) as ${marker}`;
		const inFlight = Promise.allSettled([
			...written.map((id) =>
				sql.transaction([sql.query("insert into bridge_heals values ($1)", [id]), sql.query(sleep)]),
			),
			...written.map(() => sql.query(sleep)),
		]);

		// The bridge's other backends running them (other test files' connections are left alone).
		const busy = `from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
			and state = 'active' and query like '%' || $1 || '%'`;
		const seen = await within(
			5000,
			() => sql.query(`select count(*)::int as n ${busy}`, [marker]),
			(rows) => rows[0]?.n === 8,
		);
		expect(seen).toEqual([{ n: 8 }]);
		const terminated = await sql.query(`select pg_terminate_backend(pid) as terminated ${busy}`, [marker]);
		expect(terminated).toEqual(Array(8).fill({ terminated: true }));

		// Each fails as Postgres reported it (FATAL 57P01, HTTP 400) or as a lost connection (HTTP 503).
		for (const outcome of await inFlight) {
			expect(outcome.status).toBe("rejected");
			const reason = (outcome as PromiseRejectedResult).reason as { code?: string; message: string };
			expect(reason.code === "57P01" || /^Server error \(HTTP status 503\)/.test(reason.message)).toBe(true);
		}
		expect(await sql.query("select id from bridge_heals where id = any($1)", [written])).toEqual([]);
		await expectServingAgain();
	}, 30_000);
} else {
	it("PGlite cannot terminate its connection: pg_terminate_backend answers false and 8 deliveries in flight all apply", async () => {
		const sql = neon(env.DATABASE_URL);
		const requests = Array.from({ length: 8 }, () =>
			clerkRequest(userEvent("user.created", uniqueId("user"), Date.now())),
		);
		const [statuses, terminated] = await Promise.all([
			deliverAll(requests),
			sql.query(
				`select backend_type, pg_terminate_backend(pid) as terminated
				 from pg_stat_activity where datname = current_database()`,
			),
		]);
		expect(terminated).toEqual([{ backend_type: "standalone backend", terminated: false }]);
		expect(statuses).toEqual(Array(8).fill(200));
		await expectServingAgain();
	});
}
