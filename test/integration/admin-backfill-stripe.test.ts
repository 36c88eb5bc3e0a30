/**
 * Stripe backfill (issue 11, item 2): `POST /api/admin/backfill/stripe {since}` starts a run whose
 * `stripe-backfill` jobs page through Stripe's `GET /v1/events` (mocked at the network edge only:
 * test/support/provider-api.ts) and feed each event through the webhook pipeline, through the
 * Worker's real queue() handler. The ledger already holds some of the events: those are duplicates,
 * the missing ones are applied (processed, their orders paid); pagination follows `starting_after`
 * until `has_more` is false and the run is `done`. Stripe's 5xx retries the job; a refused key ends
 * the run `failed` with its last error, which names no key.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { gaveUpError } from "../../src/admin/recovery/consume";
import { backfillTypes, STRIPE_MAX_TYPES } from "../../src/admin/recovery/stripe-backfill";
import { orders } from "../../src/db/schema";
import { deliver } from "../support/deliver";
import { mockApi } from "../support/provider-api";
import { consume, DEAD_LETTER_QUEUE, JOBS_QUEUE } from "../support/queue";
import { admin, drain, recoveryBindings, STRIPE_KEY } from "../support/recovery";
import { ledgerRows, testDb } from "../support/rows";
import { pendingOrder, type StripeTestEvent, stripeEvent, stripeRequest } from "../support/stripe";

const SINCE = "2026-10-01T00:00:00Z";
const SINCE_SECONDS = Date.parse(SINCE) / 1000;

/** A payment_intent.succeeded for a fresh pending order (the event pays it). */
async function paidOrderEvent(created = SINCE_SECONDS + 3600) {
	const order = await pendingOrder();
	const event = stripeEvent("payment_intent.succeeded", undefined, created);
	event.data.object.id = order.stripePaymentIntentId;
	event.data.object.metadata = { order_id: order.id };
	return { order, event };
}

async function orderStatus(id: string) {
	const [row] = await testDb().select({ status: orders.status }).from(orders).where(eq(orders.id, id));
	return row?.status;
}

/** Stripe's list answer. */
const list = (data: StripeTestEvent[], hasMore: boolean) =>
	Response.json({ object: "list", url: "/v1/events", has_more: hasMore, data });

/** Serves `pages` in order: the page after event `x` is the one following the page that ends with `x`. */
function stripeServing(pages: StripeTestEvent[][]) {
	return mockApi("https://api.stripe.com", (call) => {
		const after = call.url.searchParams.get("starting_after");
		const index = after === null ? 0 : pages.findIndex((page) => page.at(-1)?.id === after) + 1;
		const page = pages[index] ?? [];
		return list(page, index < pages.length - 1);
	});
}

async function startBackfill(bindings: Env, since: unknown = SINCE) {
	const started = await admin(bindings, "POST", "/backfill/stripe", { since });
	expect(started.status).toBe(202);
	return started.body.run_id as number;
}

async function run(bindings: Env, id: number) {
	const answer = await admin(bindings, "GET", `/runs/${id}`);
	expect(answer.status).toBe(200);
	return answer.body.run as Record<string, unknown>;
}

describe("backfill", () => {
	it("fills exactly the missing events over two pages: the ones already recorded are duplicates", async () => {
		const { bindings, queue } = recoveryBindings();
		const events = await Promise.all([1, 2, 3, 4, 5].map((n) => paidOrderEvent(SINCE_SECONDS + 60 * n)));
		// events 1 and 4 arrived while webhooks worked
		for (const n of [0, 3]) {
			const live = await deliver(await stripeRequest(events[n]?.event as StripeTestEvent), bindings);
			expect(live.status).toBe(200);
		}
		// Stripe lists newest first
		const listed = events.map((e) => e.event).reverse();
		const stripe = stripeServing([listed.slice(0, 3), listed.slice(3)]);

		const id = await startBackfill(bindings);
		expect(queue.sent).toEqual([{ kind: "stripe-backfill", runId: id }]);
		const consumed = await drain(queue, bindings);

		expect(consumed).toHaveLength(2);
		for (const c of consumed) expect(c.value).toMatchObject({ outcome: "ok", explicitAcks: c.ids, retryMessages: [] });
		expect(queue.sent[1]).toEqual({ kind: "stripe-backfill", runId: id, startingAfter: listed[2]?.id });
		// every event processed once, every order paid
		for (const { order, event } of events) {
			expect(await ledgerRows("stripe", event.id)).toMatchObject([{ status: "processed", attempts: 1 }]);
			expect(await orderStatus(order.id)).toBe("paid");
		}
		expect(await run(bindings, id)).toMatchObject({
			kind: "stripe_backfill",
			status: "done",
			pages: 2,
			seen: 5,
			applied: 3,
			duplicates: 2,
			failed: 0,
			last_error: null,
			params: { since: SINCE_SECONDS },
		});
		// what Stripe was asked: the key, the time, the handled types, 100 per page, then starting_after
		expect(stripe.calls).toHaveLength(2);
		const [first, second] = stripe.calls;
		expect(first?.url.pathname).toBe("/v1/events");
		expect(first?.headers.authorization).toBe(`Bearer ${STRIPE_KEY}`);
		expect(first?.url.searchParams.get("created[gte]")).toBe(String(SINCE_SECONDS));
		expect(first?.url.searchParams.get("limit")).toBe("100");
		expect(first?.url.searchParams.getAll("types[]").sort()).toEqual([...backfillTypes].sort());
		expect(first?.url.searchParams.has("starting_after")).toBe(false);
		expect(second?.url.searchParams.get("starting_after")).toBe(listed[2]?.id);
		// one webhook line per event, and one recovery line per page
		const lines = consumed.flatMap((c) => c.logs);
		expect(lines.filter((l) => l.message === "webhook" && l.via === "stripe_backfill")).toHaveLength(5);
		expect(lines.filter((l) => l.message === "recovery").map((l) => l.outcome)).toEqual(["page", "done"]);
		expect(consumed.map((c) => c.logText).join("\n")).not.toContain(STRIPE_KEY);
	});

	it("the handled types fit Stripe's filter (at most 20 names), the legacy payment_intent.failed left out", () => {
		expect(backfillTypes.length).toBeLessThanOrEqual(STRIPE_MAX_TYPES);
		expect(backfillTypes).toContain("payment_intent.succeeded");
		expect(backfillTypes).toContain("charge.dispute.created");
		expect(backfillTypes).toContain("customer.subscription.updated");
		expect(backfillTypes).not.toContain("payment_intent.failed");
	});

	it("an event recorded failed runs again; a type the pipeline does not handle is skipped", async () => {
		const { bindings, queue } = recoveryBindings();
		const { order, event } = await paidOrderEvent();
		const broken = structuredClone(event);
		broken.data.object.amount_received = "lots"; // unreadable: recorded failed
		const live = await deliver(await stripeRequest(broken), bindings);
		expect(live.status).toBe(200);
		expect(await ledgerRows("stripe", event.id)).toMatchObject([{ status: "failed" }]);
		const other = { ...stripeEvent("payment_intent.succeeded", "customer.created"), data: { object: {} } };
		stripeServing([[event, other]]);

		const id = await startBackfill(bindings);
		await drain(queue, bindings);

		expect(await ledgerRows("stripe", event.id)).toMatchObject([{ status: "processed", attempts: 2 }]);
		expect(await orderStatus(order.id)).toBe("paid");
		expect(await ledgerRows("stripe", other.id)).toEqual([]);
		expect(await run(bindings, id)).toMatchObject({ status: "done", seen: 1, applied: 1, duplicates: 0 });
	});

	it("an event Stripe lists that cannot be read is recorded failed and counted; its line raises webhook_failed", async () => {
		const { bindings, queue } = recoveryBindings();
		const { order, event } = await paidOrderEvent();
		event.data.object.amount_received = "lots";
		stripeServing([[event]]);

		const id = await startBackfill(bindings);
		const [consumed] = await drain(queue, bindings);

		expect(await ledgerRows("stripe", event.id)).toMatchObject([{ status: "failed" }]);
		expect(await orderStatus(order.id)).toBe("pending");
		expect(await run(bindings, id)).toMatchObject({ status: "done", seen: 1, applied: 0, failed: 1 });
		expect(consumed?.logs).toContainEqual(
			expect.objectContaining({
				level: "error",
				message: "webhook",
				via: "stripe_backfill",
				event_id: event.id,
				outcome: "failed",
				alert: "webhook_failed",
			}),
		);
	});

	it("a job delivered twice records its page once and enqueues the next page once", async () => {
		const { bindings, queue } = recoveryBindings();
		const { event } = await paidOrderEvent();
		const { event: older } = await paidOrderEvent(SINCE_SECONDS + 1);
		stripeServing([[event], [older]]);
		const id = await startBackfill(bindings);
		const job = queue.sent[0];

		await consume(JOBS_QUEUE, [{ body: job }], bindings);
		const again = await consume(JOBS_QUEUE, [{ body: job, attempts: 2 }], bindings);

		expect(again.value).toMatchObject({ explicitAcks: again.ids, retryMessages: [] });
		expect(again.logs).toContainEqual(expect.objectContaining({ message: "recovery", outcome: "duplicate" }));
		expect(queue.sent).toHaveLength(2);
		await drain(queue, bindings, 1);
		expect(await run(bindings, id)).toMatchObject({ status: "done", pages: 2, seen: 2, applied: 2, duplicates: 0 });
	});
});

describe("Stripe's failures", () => {
	it("a 5xx retries the job with backoff (the run notes it); the retry goes on", async () => {
		const { bindings, queue } = recoveryBindings();
		const { order, event } = await paidOrderEvent();
		mockApi("https://api.stripe.com", (_, n) =>
			n === 1
				? Response.json({ error: { type: "api_error", message: "Something went wrong" } }, { status: 500 })
				: list([event], false),
		);
		const id = await startBackfill(bindings);

		const failed = await consume(JOBS_QUEUE, [{ body: queue.sent[0] }], bindings);

		expect(failed.value).toMatchObject({ explicitAcks: [], retryMessages: [{ msgId: failed.ids[0] }] });
		expect(failed.retried[0]?.delaySeconds).toBeGreaterThanOrEqual(1);
		expect(failed.logs).toContainEqual(
			expect.objectContaining({
				level: "warn",
				message: "recovery",
				outcome: "retry",
				reason: "stripe answered 500 (api_error)",
			}),
		);
		expect(await run(bindings, id)).toMatchObject({
			status: "running",
			pages: 0,
			last_error: "stripe answered 500 (api_error); retrying",
		});
		expect(await orderStatus(order.id)).toBe("pending");

		const retried = await consume(JOBS_QUEUE, [{ body: queue.sent[0], attempts: 2 }], bindings);

		expect(retried.value).toMatchObject({ explicitAcks: retried.ids });
		expect(await orderStatus(order.id)).toBe("paid");
		expect(await run(bindings, id)).toMatchObject({ status: "done", applied: 1, last_error: null });
	});

	it("a 429 waits as long as Retry-After says", async () => {
		const { bindings, queue } = recoveryBindings();
		mockApi("https://api.stripe.com", () =>
			Response.json({ error: { type: "rate_limit_error" } }, { status: 429, headers: { "retry-after": "42" } }),
		);
		await startBackfill(bindings);
		const consumed = await consume(JOBS_QUEUE, [{ body: queue.sent[0] }], bindings);
		expect(consumed.retried).toEqual([{ msgId: consumed.ids[0], delaySeconds: 42 }]);
	});

	it("a 401 ends the run failed with its last error; neither the key nor Stripe's message is kept or logged", async () => {
		const { bindings, queue } = recoveryBindings();
		const stripe = mockApi("https://api.stripe.com", () =>
			Response.json(
				{
					error: { type: "invalid_request_error", message: `Invalid API Key provided: ${STRIPE_KEY.slice(0, 8)}****` },
				},
				{ status: 401 },
			),
		);
		const id = await startBackfill(bindings);

		const consumed = await consume(JOBS_QUEUE, [{ body: queue.sent[0] }], bindings);

		expect(consumed.value).toMatchObject({ explicitAcks: consumed.ids, retryMessages: [] });
		expect(stripe.calls).toHaveLength(1);
		const failed = await run(bindings, id);
		expect(failed).toMatchObject({ status: "failed", last_error: "stripe answered 401 (invalid_request_error)" });
		expect(failed.finished_at).toEqual(expect.any(String));
		expect(consumed.logs).toContainEqual(
			expect.objectContaining({ level: "error", message: "recovery", outcome: "failed", alert: "recovery_failed" }),
		);
		expect(consumed.logText).not.toContain(STRIPE_KEY.slice(0, 8));
		expect(queue.sent).toHaveLength(1);
	});

	it("a page whose retries ran out ends its run failed (dead letters)", async () => {
		const { bindings, queue } = recoveryBindings();
		const id = await startBackfill(bindings);
		const dead = await consume(DEAD_LETTER_QUEUE, [{ body: queue.sent[0] }], bindings);
		expect(dead.value).toMatchObject({ explicitAcks: dead.ids });
		expect(await run(bindings, id)).toMatchObject({ status: "failed", last_error: gaveUpError });
		expect(dead.logs).toContainEqual(expect.objectContaining({ level: "error", alert: "recovery_failed", run_id: id }));
	});
});

describe("the request", () => {
	it.each([
		["no body", undefined],
		["no since", {}],
		["a since that is no time", { since: "last tuesday" }],
		["a since in the future", { since: "2999-01-01T00:00:00Z" }],
		["a since that does not exist", { since: "2026-02-30" }],
		["a since beyond year 9999", { since: 999_999_999_999 }],
		["null", null],
		["a field it does not take", { since: "2026-05-01", types: ["charge.refunded"] }],
	])("%s: 400, no run", async (_, body) => {
		const { bindings, queue } = recoveryBindings();
		const answer = await admin(bindings, "POST", "/backfill/stripe", body);
		expect(answer.status).toBe(400);
		expect(answer.body.error).toMatch(/^invalid_/);
		expect(queue.sent).toEqual([]);
	});

	it("unix seconds are a since too", async () => {
		const { bindings } = recoveryBindings();
		const id = await startBackfill(bindings, SINCE_SECONDS);
		expect(await run(bindings, id)).toMatchObject({ params: { since: SINCE_SECONDS } });
	});

	it("without STRIPE_API_KEY: 409 not_configured, nothing started", async () => {
		const { bindings, queue } = recoveryBindings({ STRIPE_API_KEY: undefined });
		const answer = await admin(bindings, "POST", "/backfill/stripe", { since: SINCE });
		expect(answer.status).toBe(409);
		expect(answer.body).toMatchObject({ error: "not_configured" });
		expect(queue.sent).toEqual([]);
	});

	it("behind the admin token: 401 without it, 404 when the admin is off", async () => {
		const { bindings } = recoveryBindings();
		expect((await admin(bindings, "POST", "/backfill/stripe", { since: SINCE }, "")).status).toBe(401);
		expect((await admin(bindings, "GET", "/runs", undefined, "wrong")).status).toBe(401);
		const off = recoveryBindings({ ADMIN_TOKEN: undefined }).bindings;
		expect((await admin(off, "POST", "/backfill/stripe", { since: SINCE })).status).toBe(404);
	});

	it("GET /runs lists the runs newest first, by kind", async () => {
		const { bindings } = recoveryBindings();
		const older = await startBackfill(bindings);
		const newer = await startBackfill(bindings);
		const answer = await admin(bindings, "GET", "/runs?kind=stripe_backfill&limit=100");
		const ids = (answer.body.runs as { id: number }[]).map((r) => r.id);
		expect(ids.indexOf(newer)).toBeLessThan(ids.indexOf(older));
		expect((await admin(bindings, "GET", "/runs?kind=bogus")).status).toBe(400);
		// a misspelt parameter would list every run: refused, named
		const misspelt = await admin(bindings, "GET", "/runs?kinds=stripe_backfill");
		expect(misspelt.status).toBe(400);
		expect(misspelt.body).toMatchObject({ error: "invalid_request", field: "kinds" });
		expect((await admin(bindings, "GET", "/runs/999999999")).status).toBe(404);
	});
});
