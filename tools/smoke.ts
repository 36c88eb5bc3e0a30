/**
 * CI smoke run, as a developer would do it: `npm run dev` on a fresh embedded database, the send
 * CLI posts user.created / user.updated / user.deleted, `npm run db:seed` and a Stripe payment,
 * the rows are read back through the bridge, and the server is stopped. Prints how long /health took to answer; exits non-zero on any failure.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const port = process.env.SMOKE_PORT ?? "8797";
const bridgePort = process.env.SMOKE_BRIDGE_PORT ?? "5498";
const dataDir = mkdtempSync(join(tmpdir(), "shop-webhooks-smoke-"));
const env = { ...process.env, PORT: port, BRIDGE_PORT: bridgePort, LOCAL_DB_DIR: dataDir, DATABASE_URL: "" };

function run(args: string[]): Promise<number> {
	const child = spawn("npm", ["run", "--silent", ...args], { env, stdio: "inherit" });
	return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 1)));
}

async function sql(query: string, params: string[] = []): Promise<(string | null)[][]> {
	const response = await fetch(`http://127.0.0.1:${bridgePort}/sql`, {
		method: "POST",
		body: JSON.stringify({ query, params }),
	});
	if (!response.ok) throw new Error(`bridge answered ${response.status}: ${await response.text()}`);
	return ((await response.json()) as { rows: (string | null)[][] }).rows;
}

function check(condition: boolean, what: string) {
	console.log(`${condition ? "ok  " : "FAIL"} ${what}`);
	if (!condition) process.exitCode = 1;
}

async function waitForHealth(timeoutMs: number): Promise<number | undefined> {
	const started = Date.now();
	while (Date.now() - started < timeoutMs) {
		try {
			const response = await fetch(`http://127.0.0.1:${port}/health`);
			if (response.status === 200) return Date.now() - started;
		} catch {
			// not listening yet
		}
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	return undefined;
}

const started = Date.now();
const dev: ChildProcess = spawn("npm", ["run", "dev"], {
	env,
	stdio: ["ignore", "inherit", "inherit"],
	detached: true,
});
try {
	const ready = await waitForHealth(60_000);
	check(ready !== undefined, `npm run dev served /health 200 after ${((Date.now() - started) / 1000).toFixed(1)} s`);
	if (ready === undefined) throw new Error("the dev server never became healthy");

	const userId = `user_smoke${Date.now()}`;
	const url = `http://127.0.0.1:${port}`;
	check(
		(await run(["send", "--", "clerk", "user.created", "--set", `data.id=${userId}`, "--url", url])) === 0,
		"send user.created",
	);
	const [created] = await sql("select first_name, email, deleted_at from users where id = $1", [userId]);
	check(!!created?.[0] && !!created?.[1] && created?.[2] === null, "the user row exists with a name and an email");

	check(
		(await run([
			"send",
			"--",
			"clerk",
			"user.updated",
			"--set",
			`data.id=${userId}`,
			"--set",
			"data.first_name=Smoke",
			"--url",
			url,
		])) === 0,
		"send user.updated",
	);
	const [updated] = await sql("select first_name from users where id = $1", [userId]);
	check(updated?.[0] === "Smoke", "the update was applied");

	check(
		(await run(["send", "--", "clerk", "user.deleted", "--set", `data.id=${userId}`, "--url", url])) === 0,
		"send user.deleted",
	);
	const [deleted] = await sql("select deleted_at, email, first_name from users where id = $1", [userId]);
	check(
		deleted?.[0] !== null && deleted?.[1] === null && deleted?.[2] === null,
		"the user is a tombstone without personal data",
	);

	const ledger = await sql(
		"select status, count(*)::text from webhook_events where provider = 'clerk' group by status",
	);
	check(
		JSON.stringify(ledger) === JSON.stringify([["processed", "3"]]),
		`the ledger holds 3 processed events (${JSON.stringify(ledger)})`,
	);

	check((await run(["db:seed"])) === 0, "npm run db:seed");
	check((await run(["send", "--", "stripe", "payment_intent.succeeded", "--url", url])) === 0, "send a Stripe payment");
	const [order] = await sql("select status from orders where id = 'order_demo_1'");
	check(order?.[0] === "paid", "the demo order is paid");
} catch (error) {
	check(false, (error as Error).message);
} finally {
	if (dev.pid) process.kill(-dev.pid, "SIGTERM");
	await new Promise((resolve) => dev.on("exit", resolve));
	rmSync(dataDir, { recursive: true, force: true });
}
console.log(process.exitCode ? "smoke run FAILED" : "smoke run passed");
