/**
 * The dashboard in a real browser: Debian's chromium (/usr/bin/chromium, or CHROMIUM_PATH) driven by
 * playwright-core, against the real Worker as `npm run dev` serves it (wrangler, workerd, an embedded
 * database in a temporary folder) with ADMIN_TOKEN set. Webhooks are sent signed as the providers
 * sign them; the shop's order is inserted through the dev server's own database bridge. An operator
 * logs in by pasting the token, finds the unmatched payment among the failures, opens it, creates
 * the missing order, replays it and sees it processed; counts and replays in bulk; sees the recovery
 * page and the chart; a form posted from another site is refused; logs out. Each page is saved as a
 * screenshot under test-results/ (git-ignored), under a stable name.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import Stripe from "stripe";
import { Webhook } from "svix";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstSecret, readDotVars } from "../../tools/dot-vars.ts";
import { freePort } from "../../tools/ports.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const screenshots = join(root, "test-results");
const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const token = `browser-test-${randomBytes(16).toString("hex")}`;
const run = randomBytes(4).toString("hex");

/** Polls `probe` every 200 ms until it gives a value; throws after `withinMs`. */
async function until<T>(what: string, withinMs: number, probe: () => Promise<T | undefined> | T | undefined) {
	const deadline = Date.now() + withinMs;
	while (Date.now() < deadline) {
		const value = await probe();
		if (value !== undefined) return value;
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
	throw new Error(`timed out after ${withinMs} ms waiting for ${what}`);
}

let dataDir: string;
let dev: { child: ChildProcess; output: { stdout: string; stderr: string } } | undefined;
let ports: { port: number; bridgePort: number; pglitePort: number };
let base: string;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
/** Another site (127.0.0.2 is another host than 127.0.0.1) whose page posts a form to the dashboard. */
let elsewhere: Server | undefined;
let elsewhereUrl: string;

/** A statement through the dev server's database bridge, as `npm run db:seed` writes: its rows. */
async function sql(query: string, params: (string | null)[] = []): Promise<Record<string, unknown>[]> {
	const response = await fetch(`http://127.0.0.1:${ports.bridgePort}/sql`, {
		method: "POST",
		body: JSON.stringify({ query, params }),
	});
	if (!response.ok) throw new Error(`the bridge answered ${response.status}: ${await response.text()}`);
	// Neon's answer: rows as arrays of text, named by `fields`
	const result = (await response.json()) as { fields: { name: string }[]; rows: (string | null)[][] };
	return result.rows.map((row) => Object.fromEntries(result.fields.map((field, i) => [field.name, row[i]])));
}

/** The ledger row of an event, as the operator's database shows it. */
async function ledgerRow(provider: string, eventId: string) {
	const [row] = await sql("select id, status, attempts from webhook_events where provider = $1 and event_id = $2", [
		provider,
		eventId,
	]);
	return row as { id: string; status: string; attempts: string } | undefined;
}

/** The secret `npm run dev` gives the Worker (it created .dev.vars from the example if there was none). */
function devSecret(name: string): string {
	const secret = firstSecret(readDotVars(join(root, ".dev.vars"))[name] ?? "");
	if (!secret) throw new Error(`.dev.vars has no ${name}`);
	return secret;
}

/** A provider's example payload (test/fixtures/payloads/<provider>/<name>.json), to edit. */
// biome-ignore lint/suspicious/noExplicitAny: edited freely, as JSON
function fixture(provider: string, name: string): any {
	return JSON.parse(readFileSync(join(root, "test/fixtures/payloads", provider, `${name}.json`), "utf8"));
}

/** A Stripe payment for an order the shop has not recorded (yet): its ledger row is `unmatched`. */
async function sendPayment(orderId: string, paymentIntentId: string): Promise<{ id: string }> {
	const event = fixture("stripe", "payment_intent.succeeded");
	event.id = `evt_browser_${run}_${orderId.slice(-1)}`;
	event.created = Math.floor(Date.now() / 1000) - 3;
	event.data.object.id = paymentIntentId;
	event.data.object.metadata = { order_id: orderId };
	const payload = JSON.stringify(event);
	const signature = new Stripe("sk_test_unused").webhooks.generateTestHeaderString({
		payload,
		secret: devSecret("STRIPE_WEBHOOK_SECRET"),
	});
	const response = await fetch(`${base}/api/webhooks/stripe`, {
		method: "POST",
		headers: { "content-type": "application/json", "stripe-signature": signature },
		body: payload,
	});
	expect(response.status).toBe(200);
	expect(await response.json()).toMatchObject({ outcome: "unmatched" });
	return event;
}

/** A Clerk user.created, signed as Svix signs it (it applies: a `processed` row beside the failures). */
async function sendUserCreated(): Promise<string> {
	const id = `msg_browser_${run}`;
	const now = new Date();
	const event = fixture("clerk", "user.created");
	event.timestamp = now.getTime();
	event.data.id = `user_browser_${run}`;
	const body = JSON.stringify(event);
	const response = await fetch(`${base}/api/webhooks/clerk`, {
		method: "POST",
		headers: {
			"svix-id": id,
			"svix-timestamp": String(Math.floor(now.getTime() / 1000)),
			"svix-signature": new Webhook(devSecret("CLERK_WEBHOOK_SIGNING_SECRET")).sign(id, now, body),
		},
		body,
	});
	expect(response.status).toBe(200);
	expect(await response.json()).toMatchObject({ outcome: "applied" });
	return id;
}

/** Saves the whole page as test-results/<name>.png. */
async function shot(name: string) {
	await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

// Checked as the file loads: without a browser the file fails (never skips), and starts nothing.
if (!existsSync(chromiumPath))
	throw new Error(
		`The dashboard's browser test needs Debian's chromium at ${chromiumPath}: apt-get install chromium (as root; .ci/run does it), or set CHROMIUM_PATH`,
	);

beforeAll(async () => {
	mkdirSync(screenshots, { recursive: true });
	dataDir = mkdtempSync(join(tmpdir(), "dashboard-browser-"));
	ports = { port: await freePort(), bridgePort: await freePort(), pglitePort: await freePort() };
	base = `http://127.0.0.1:${ports.port}`;
	const output = { stdout: "", stderr: "" };
	const child = spawn(
		"npm",
		[
			"run",
			"dev",
			"--",
			...["--port", String(ports.port), "--bridge-port", String(ports.bridgePort)],
			...["--pglite-port", String(ports.pglitePort)],
			// wrangler dev flags, after the .dev.vars values npm run dev passes: these win
			...["--var", `ADMIN_TOKEN:${token}`, "--var", "STRIPE_API_KEY:"],
		],
		{
			cwd: root,
			// Nothing of the caller's shell: wrangler would prefer an exported secret to .dev.vars.
			env: {
				...process.env,
				DATABASE_URL: "",
				LOCAL_DB_DIR: join(dataDir, "pglite"),
				PORT: "",
				BRIDGE_PORT: "",
				PGLITE_PORT: "",
				ADMIN_TOKEN: undefined,
				CLERK_WEBHOOK_SIGNING_SECRET: undefined,
				STRIPE_WEBHOOK_SECRET: undefined,
			},
			stdio: ["ignore", "pipe", "pipe"],
			detached: true,
		},
	);
	child.stdout?.on("data", (chunk) => {
		output.stdout += chunk;
	});
	child.stderr?.on("data", (chunk) => {
		output.stderr += chunk;
	});
	dev = { child, output };
	await until("npm run dev to answer /health", 120_000, () =>
		fetch(`${base}/health`).then(
			(response) => (response.status === 200 ? true : undefined),
			() =>
				child.exitCode === null
					? undefined
					: Promise.reject(new Error(`npm run dev exited: ${output.stderr.slice(-2000)}`)),
		),
	);

	elsewhere = createServer((_, res) => {
		res.writeHead(200, { "content-type": "text/html" });
		res.end(`<!doctype html><title>Another site</title>
			<form method="post" action="${base}/admin/events/${encodeURIComponent(elsewhereTarget)}/replay">
			<button type="submit">Win a prize</button></form>`);
	});
	await new Promise<void>((resolve) => elsewhere?.listen(0, "127.0.0.2", resolve));
	const address = elsewhere.address();
	elsewhereUrl = `http://127.0.0.2:${typeof address === "object" && address ? address.port : 0}/`;

	browser = await chromium.launch({ executablePath: chromiumPath });
	context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: "light" });
	page = await context.newPage();
}, 180_000);

afterAll(async () => {
	await browser?.close();
	await new Promise((resolve) => (elsewhere ? elsewhere.close(resolve) : resolve(undefined)));
	const pid = dev?.child.pid;
	if (pid !== undefined) {
		try {
			process.kill(pid, "SIGTERM"); // npm run dev stops wrangler, workerd and the database
		} catch {}
		await until("npm run dev to stop", 20_000, () => (dev?.child.exitCode === null ? undefined : true)).catch(() => {
			try {
				process.kill(-pid, "SIGKILL");
			} catch {}
		});
	}
	if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

/** The ledger id the other site's form targets (set once the failed event exists). */
let elsewhereTarget = "0";

const orderId = `order_browser_${run}_1`;
const intentId = `pi_browser_${run}_1`;
let payment: { id: string };
let ledgerId: string;

describe("the dashboard in chromium", () => {
	it("asks for the token, and keeps it in an HttpOnly, Secure, SameSite=Strict cookie for /admin", async () => {
		await sendUserCreated();
		payment = await sendPayment(orderId, intentId);
		ledgerId = (await ledgerRow("stripe", payment.id))?.id ?? "";
		expect(ledgerId).not.toBe("");
		elsewhereTarget = ledgerId;

		await page.goto(`${base}/admin`);
		expect(new URL(page.url()).pathname).toBe("/admin/login");
		await expect(page.title()).resolves.toBe("Log in · shop-webhooks admin");
		await shot("login");

		await page.getByLabel("Admin token").fill("not the token");
		await page.getByRole("button", { name: "Log in" }).click();
		await expect(page.getByRole("alert").textContent()).resolves.toContain("That is not the admin token.");
		expect(await context.cookies()).toEqual([]);

		// pasted, with the newline a copy often brings
		await page.getByLabel("Admin token").fill(`${token}\n`);
		await page.getByRole("button", { name: "Log in" }).click();
		await page.waitForURL(`${base}/admin/events`);
		const cookies = await context.cookies();
		expect(cookies).toHaveLength(1);
		expect(cookies[0]).toMatchObject({
			name: "admin_token",
			path: "/admin",
			httpOnly: true,
			secure: true,
			sameSite: "Strict",
			expires: -1, // a session cookie
		});
		// no script on the page could read it
		expect(await page.evaluate("document.cookie")).toBe("");
	});

	it("lists the events, newest first, with their statuses", async () => {
		const rows = page.locator("tbody tr");
		await expect(rows.count()).resolves.toBeGreaterThanOrEqual(2);
		await expect(rows.nth(0).textContent()).resolves.toContain(payment.id);
		await expect(rows.nth(0).locator(".status").textContent()).resolves.toBe("unmatched");
		await expect(rows.nth(1).textContent()).resolves.toContain(`msg_browser_${run}`);
		await expect(rows.nth(1).locator(".status").textContent()).resolves.toBe("processed");
		await shot("events");

		// the filter form narrows the list (a GET: the view is a link)
		await page.getByLabel("Provider").selectOption("clerk");
		await page.getByRole("button", { name: "Filter" }).click();
		await page.waitForURL(/provider=clerk/);
		await expect(page.locator("tbody").textContent()).resolves.not.toContain(payment.id);
	});

	it("shows the unmatched payment among the failures, and its stored payload", async () => {
		await page.getByRole("link", { name: "Failures" }).click();
		await page.waitForURL(`${base}/admin/failures`);
		const row = page.locator("tbody tr", { hasText: payment.id });
		await expect(row.locator(".status").textContent()).resolves.toBe("unmatched");
		await expect(page.locator("tbody").textContent()).resolves.not.toContain(`msg_browser_${run}`);
		await shot("failures");

		await row.getByRole("link", { name: payment.id }).click();
		await page.waitForURL(`${base}/admin/events/${ledgerId}`);
		const payload = JSON.parse((await page.locator("pre").textContent()) ?? "");
		expect(payload).toMatchObject({ id: payment.id, data: { object: { metadata: { order_id: orderId } } } });
		await expect(page.locator("dd .status").textContent()).resolves.toBe("unmatched");
		await shot("event-detail");
	});

	it("refuses the replay form of another site (csrf), and the event is unchanged", async () => {
		const before = await ledgerRow("stripe", payment.id);
		const other = await context.newPage();
		await other.goto(elsewhereUrl);
		const [response] = await Promise.all([
			other.waitForResponse((r) => r.url().endsWith(`/admin/events/${ledgerId}/replay`)),
			other.getByRole("button", { name: "Win a prize" }).click(),
		]);
		expect(response.status()).toBe(403);
		await expect(other.locator("main").textContent()).resolves.toContain("posted from another site");
		await other.screenshot({ path: join(screenshots, "csrf-refused.png"), fullPage: true });
		await other.close();
		expect(await ledgerRow("stripe", payment.id)).toEqual(before);
	});

	it("replays the event once its order exists: it is processed", async () => {
		// the fix: the shop records the order the payment was for
		await sql(
			"insert into orders (id, user_id, amount_total, currency, stripe_payment_intent_id) values ($1, null, 4999, 'usd', $2)",
			[orderId, intentId],
		);
		await page.reload();
		await page.getByRole("button", { name: "Replay this event" }).click();
		await page.waitForURL(`${base}/admin/events/${ledgerId}?replayed=applied`);
		await expect(page.getByRole("status").textContent()).resolves.toContain("Replayed: applied");
		await expect(page.locator("dd .status").textContent()).resolves.toBe("processed");
		await shot("event-replayed");
		expect(await ledgerRow("stripe", payment.id)).toMatchObject({ status: "processed", attempts: "2" });
		const [order] = await sql("select payment_status from orders where id = $1", [orderId]);
		expect(order).toEqual({ payment_status: "paid" });

		// it left the failures view
		await page.getByRole("link", { name: "Failures" }).click();
		await expect(page.locator("main").textContent()).resolves.not.toContain(payment.id);
	});

	it("counts a bulk replay first (dry run), then enqueues it; the queue runs it again", async () => {
		const second = await sendPayment(`order_browser_${run}_2`, `pi_browser_${run}_2`);
		await page.getByRole("link", { name: "Bulk replay" }).click();
		await page.getByLabel("Provider").selectOption("stripe");
		await page.getByRole("button", { name: "Count (dry run)" }).click();
		await page.waitForURL(/dry_run=1/);
		await expect(page.getByTestId("dry-run-count").textContent()).resolves.toBe("1");
		await shot("bulk-replay-count");

		await page.getByRole("button", { name: "Replay 1 event" }).click();
		await page.waitForURL(/enqueued=1/);
		await expect(page.getByRole("status").textContent()).resolves.toContain("Enqueued 1 replay job");
		await shot("bulk-replay");
		// wrangler dev's queue consumer runs it: a new attempt (its order still does not exist)
		await until("the replay job to run", 60_000, async () =>
			(await ledgerRow("stripe", second.id))?.attempts === "2" ? true : undefined,
		);
		expect(await ledgerRow("stripe", second.id)).toMatchObject({ status: "unmatched" });
	}, 90_000);

	it("offers the recoveries", async () => {
		await page.getByRole("link", { name: "Recovery" }).click();
		await expect(page.getByRole("button", { name: "Backfill from Stripe" }).isVisible()).resolves.toBe(true);
		await expect(page.getByRole("button", { name: "Reconcile users from Clerk" }).isVisible()).resolves.toBe(true);
		await shot("recovery");
		// STRIPE_API_KEY is unset here (no test reaches Stripe): the form says what to set
		await page.getByRole("button", { name: "Backfill from Stripe" }).click();
		await expect(page.getByRole("alert").textContent()).resolves.toContain(
			"Set the secret STRIPE_API_KEY to run this recovery.",
		);
		await expect(page.locator("main").textContent()).resolves.toContain("No recovery has run yet.");
	});

	it("charts the events per hour by status as SVG bars", async () => {
		await page.getByRole("link", { name: "Stats" }).click();
		const chart = page.locator("svg.chart");
		await expect(chart.isVisible()).resolves.toBe(true);
		const bars = chart.locator("rect.bar");
		await expect(bars.count()).resolves.toBeGreaterThanOrEqual(2);
		const statuses = await bars.evaluateAll((rects) => rects.map((rect) => rect.getAttribute("data-status")));
		expect(statuses).toEqual(expect.arrayContaining(["processed", "unmatched"]));
		// drawn, not only present: the bars have a height on the screen
		const box = await bars.first().boundingBox();
		expect(box?.height).toBeGreaterThan(0);
		await shot("stats");
		await chart.screenshot({ path: join(screenshots, "chart.png") });
	});

	it("logs out: the cookie is gone and the pages ask for the token again", async () => {
		await page.getByRole("button", { name: "Log out" }).click();
		await page.waitForURL(`${base}/admin/login?out=1`);
		await expect(page.getByRole("status").textContent()).resolves.toContain("Logged out.");
		expect(await context.cookies()).toEqual([]);
		await page.goto(`${base}/admin/events`);
		expect(new URL(page.url()).pathname).toBe("/admin/login");
	});
});
