/**
 * Replay through the admin API (issue 11): the stored, already verified payload applied again through
 * the same code path as a live delivery. A failed or unmatched event replayed after its cause is fixed
 * becomes `processed` (the order it is about now exists; a database rule that refused it is gone); a
 * processed event replayed changes nothing; a deferred one is run at once (and told it was one of its
 * attempts); an erased payload is refused. Bulk replay by a filter: a dry run counts what matches and
 * what the same call would enqueue, then `replay` jobs are enqueued and consumed through the Worker's
 * queue(), capped by `limit`; deferred events only when named; and a body it cannot read exactly (an
 * unknown field, an empty filter, null, a status no replay runs again, a date that does not exist) is
 * refused rather than read as a wider replay.
 */
import { env } from "cloudflare:test";
import easypostDelivered from "@fixtures/payloads/easypost/tracker.updated.delivered.json";
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { deferredReplayNote } from "../../src/admin/replay";
import { orders, shipments, webhookEvents } from "../../src/db/schema";
import { admin, adminToken, bodyOf } from "../support/admin";
import { carrierRequest } from "../support/carriers";
import { uniqueId } from "../support/clerk";
import { deliver, webhookLine } from "../support/deliver";
import { customerOrder } from "../support/outbox";
import { consume, JOBS_QUEUE, recordingQueue, webhookLines } from "../support/queue";
import { ledgerRows, testDb } from "../support/rows";
import { type StripeTestEvent, stripeEvent, stripeRequest } from "../support/stripe";

const T = 1_790_000_000; // the events' `created`, unix seconds

/** A payment_intent.succeeded for `order` (which need not exist yet). */
function paymentFor(order: { id: string; stripePaymentIntentId: string }): StripeTestEvent {
	const event = stripeEvent("payment_intent.succeeded", undefined, T);
	event.data.object.id = order.stripePaymentIntentId;
	event.data.object.metadata = { order_id: order.id };
	return event;
}

const newOrderKeys = () => ({ id: uniqueId("order_later"), stripePaymentIntentId: uniqueId("pi_later") });

/** The order as the shop creates it, pending, with its payment intent. */
const createOrder = (order: { id: string; stripePaymentIntentId: string }) =>
	testDb()
		.insert(orders)
		.values({ ...order, amountTotal: 4999, currency: "usd" });

async function orderRow(id: string) {
	const [row] = await testDb().select().from(orders).where(eq(orders.id, id));
	return row;
}

async function ledgerRow(provider: string, eventId: string) {
	const [row] = await ledgerRows(provider, eventId);
	if (!row) throw new Error(`no ledger row for ${provider} ${eventId}`);
	return row;
}

describe("POST /api/admin/events/:id/replay", () => {
	it("an event unmatched because its order did not exist yet: after the order is created, the replay pays it", async () => {
		const order = newOrderKeys();
		const event = paymentFor(order);
		const first = await deliver(await stripeRequest(event));
		expect(first.body).toEqual({ received: true, outcome: "unmatched" });
		const { id } = await ledgerRow("stripe", event.id);

		await createOrder(order);
		const replayed = await admin(`/events/${id}/replay`, { method: "POST" });

		expect(replayed.status).toBe(200);
		expect(replayed.body).toEqual({
			outcome: "applied",
			event: { id, status: "processed", attempts: 2, last_error: null },
		});
		expect(await orderRow(order.id)).toMatchObject({ status: "paid", paymentStatus: "paid" });
		expect(webhookLine(replayed)).toMatchObject({
			level: "info",
			provider: "stripe",
			event_id: event.id,
			outcome: "applied",
			via: "replay",
			attempt: 2,
		});
	});

	it("an event our database refused (a rule since dropped) is failed; replayed after the fix, it is processed", async () => {
		const order = newOrderKeys();
		await createOrder(order);
		// "our code" refuses it: a rule that no order of this id may be paid (the deploy with a bug)
		const rule = `test_refuse_${order.id}`.slice(0, 60);
		await testDb().execute(
			sql.raw(
				`alter table orders add constraint "${rule}" check (id <> '${order.id}' or payment_status <> 'paid') not valid`,
			),
		);
		const event = paymentFor(order);
		let first: Awaited<ReturnType<typeof deliver>>;
		try {
			first = await deliver(await stripeRequest(event));
		} finally {
			await testDb().execute(sql.raw(`alter table orders drop constraint "${rule}"`));
		}
		expect(first.status).toBe(200);
		expect(first.body).toEqual({ received: true, outcome: "failed" });
		expect(webhookLine(first)).toMatchObject({ level: "error", alert: "webhook_failed", outcome: "failed" });
		const failed = await ledgerRow("stripe", event.id);
		expect(failed).toMatchObject({ status: "failed", lastError: expect.stringContaining("check_violation") });
		expect(await orderRow(order.id)).toMatchObject({ paymentStatus: "pending" });

		const replayed = await admin(`/events/${failed.id}/replay`, { method: "POST" });

		expect(replayed.status).toBe(200);
		expect(bodyOf(replayed)).toMatchObject({ outcome: "applied", event: { status: "processed", attempts: 2 } });
		expect(await orderRow(order.id)).toMatchObject({ status: "paid" });
		expect(await ledgerRow("stripe", event.id)).toMatchObject({ status: "processed", lastError: null });
	});

	it("a processed event: the replay is a duplicate and changes nothing", async () => {
		const order = newOrderKeys();
		await createOrder(order);
		const event = paymentFor(order);
		expect((await deliver(await stripeRequest(event))).body.outcome).toBe("applied");
		const before = await ledgerRow("stripe", event.id);
		const orderBefore = await orderRow(order.id);

		const replayed = await admin(`/events/${before.id}/replay`, { method: "POST" });

		expect(replayed.status).toBe(200);
		expect(replayed.body).toEqual({
			outcome: "duplicate",
			event: { id: before.id, status: "processed", attempts: 1, last_error: null },
		});
		expect(await ledgerRow("stripe", event.id)).toEqual(before);
		expect(await orderRow(order.id)).toEqual(orderBefore);
	});

	it("a deferred event (a parcel not recorded yet) is run at once, without waiting for its next attempt", async () => {
		const event = structuredClone(easypostDelivered) as typeof easypostDelivered;
		event.id = uniqueId("evt");
		event.result.tracking_code = uniqueId("TRK").toUpperCase();
		const first = await deliver(await carrierRequest("easypost", event), { ...env, JOBS: recordingQueue() });
		expect(first.body).toEqual({ received: true, outcome: "deferred" });
		const deferred = await ledgerRow("easypost", event.id);
		expect(deferred.nextAttemptAt?.getTime()).toBeGreaterThan(Date.now() + 30_000);
		const { orderId } = await customerOrder();
		await testDb()
			.insert(shipments)
			.values({ id: uniqueId("ship"), orderId, carrier: "FedEx", trackingNumber: event.result.tracking_code });

		const replayed = await admin(
			`/events/${deferred.id}/replay`,
			{ method: "POST" },
			{ ...env, JOBS: recordingQueue() },
		);

		expect(bodyOf(replayed)).toMatchObject({ outcome: "applied", event: { status: "processed", attempts: 2 } });
		// the replay was one of its attempts, and the answer says so
		expect(bodyOf(replayed).note).toBe(deferredReplayNote);
		expect(deferredReplayNote).toContain("counts as one of its attempts");
		expect(await ledgerRow("easypost", event.id)).toMatchObject({ status: "processed", nextAttemptAt: null });
		const [shipment] = await testDb()
			.select()
			.from(shipments)
			.where(eq(shipments.trackingNumber, event.result.tracking_code));
		expect(shipment).toMatchObject({ status: "delivered" });
	});

	it("an erased payload is refused (409 erased) and the event stays as it was", async () => {
		const event = paymentFor(newOrderKeys());
		await deliver(await stripeRequest(event));
		const row = await ledgerRow("stripe", event.id);
		await testDb().update(webhookEvents).set({ erasedAt: new Date() }).where(eq(webhookEvents.id, row.id));

		const replayed = await admin(`/events/${row.id}/replay`, { method: "POST" });

		expect(replayed.status).toBe(409);
		expect(replayed.body).toMatchObject({ error: "erased" });
		expect(await ledgerRow("stripe", event.id)).toMatchObject({ status: "unmatched", attempts: 1 });
	});

	it("an id no event has: 404; an id that is not a number: 400", async () => {
		expect((await admin("/events/999999999999/replay", { method: "POST" })).status).toBe(404);
		const invalid = await admin("/events/abc/replay", { method: "POST" });
		expect(invalid.status).toBe(400);
		expect(invalid.body).toMatchObject({ error: "invalid_request", field: "id" });
	});
});

/** Events received in a minute of their own (far in the past), so that a filter finds them alone. */
async function inAMinuteOfTheirOwn(eventIds: string[]) {
	const minute = new Date(Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 500_000) * 60_000);
	for (const [i, eventId] of eventIds.entries())
		await testDb()
			.update(webhookEvents)
			.set({ receivedAt: new Date(minute.getTime() + i * 1000) })
			.where(and(eq(webhookEvents.provider, "stripe"), eq(webhookEvents.eventId, eventId)));
	return { since: minute.toISOString(), until: new Date(minute.getTime() + 60_000).toISOString() };
}

describe("POST /api/admin/events/replay (bulk)", () => {
	it("counts in a dry run, enqueues replay jobs, and the jobs pay the orders created since; processed and erased ones are left out", async () => {
		const unmatched = [newOrderKeys(), newOrderKeys(), newOrderKeys()];
		const unmatchedEvents = unmatched.map(paymentFor);
		for (const event of unmatchedEvents) await deliver(await stripeRequest(event));
		const paidOrder = newOrderKeys();
		await createOrder(paidOrder);
		const processed = paymentFor(paidOrder);
		await deliver(await stripeRequest(processed));
		const erased = paymentFor(newOrderKeys());
		await deliver(await stripeRequest(erased));
		await testDb()
			.update(webhookEvents)
			.set({ erasedAt: new Date() })
			.where(and(eq(webhookEvents.provider, "stripe"), eq(webhookEvents.eventId, erased.id)));
		const window = await inAMinuteOfTheirOwn([...unmatchedEvents, processed, erased].map((e) => e.id));
		const filter = { provider: "stripe", ...window };

		const dryRun = await admin("/events/replay", { body: { ...filter, dry_run: true } });
		expect(dryRun.status).toBe(200);
		expect(dryRun.body).toEqual({ dry_run: true, count: 3, enqueue: 3, capped: false });

		for (const order of unmatched) await createOrder(order);
		const jobs = recordingQueue();
		const enqueued = await admin("/events/replay", { body: filter }, { ...env, JOBS: jobs });
		expect(enqueued.status).toBe(202);
		expect(enqueued.body).toEqual({ dry_run: false, enqueued: 3, capped: false });
		expect(jobs.sent).toEqual(unmatchedEvents.map((e) => ({ kind: "replay", provider: "stripe", eventId: e.id })));

		const consumed = await consume(
			JOBS_QUEUE,
			jobs.sent.map((body) => ({ body })),
			{ ...env, JOBS: recordingQueue() },
		);
		expect(consumed.value.explicitAcks.length).toBe(3);
		expect(webhookLines(consumed)).toEqual(
			unmatchedEvents.map((e) =>
				expect.objectContaining({ event_id: e.id, outcome: "applied", via: "queue", job: "replay", attempt: 2 }),
			),
		);
		for (const order of unmatched) expect(await orderRow(order.id)).toMatchObject({ status: "paid" });
		for (const event of unmatchedEvents)
			expect(await ledgerRow("stripe", event.id)).toMatchObject({ status: "processed", attempts: 2 });
		expect(await ledgerRow("stripe", erased.id)).toMatchObject({ status: "unmatched", attempts: 1 });

		// the same jobs again: each a duplicate now, nothing changes
		const again = await consume(
			JOBS_QUEUE,
			jobs.sent.map((body) => ({ body })),
		);
		expect(webhookLines(again)).toEqual(
			unmatchedEvents.map((e) => expect.objectContaining({ event_id: e.id, outcome: "duplicate", job: "replay" })),
		);
		for (const event of unmatchedEvents)
			expect(await ledgerRow("stripe", event.id)).toMatchObject({ status: "processed", attempts: 2 });
	});

	it("is capped at `limit` (oldest first) and says so", async () => {
		const events = [paymentFor(newOrderKeys()), paymentFor(newOrderKeys()), paymentFor(newOrderKeys())];
		for (const event of events) await deliver(await stripeRequest(event));
		const window = await inAMinuteOfTheirOwn(events.map((e) => e.id));
		const jobs = recordingQueue();

		const enqueued = await admin("/events/replay", { body: { ...window, limit: 2 } }, { ...env, JOBS: jobs });

		expect(enqueued.status).toBe(202);
		expect(enqueued.body).toEqual({ dry_run: false, enqueued: 2, capped: true });
		expect(jobs.sent).toEqual(events.slice(0, 2).map((e) => ({ kind: "replay", provider: "stripe", eventId: e.id })));
	});

	it("a dry run with a limit says how many match and how many the same call enqueues", async () => {
		const events = [paymentFor(newOrderKeys()), paymentFor(newOrderKeys()), paymentFor(newOrderKeys())];
		for (const event of events) await deliver(await stripeRequest(event));
		const window = await inAMinuteOfTheirOwn(events.map((e) => e.id));

		const dry = await admin("/events/replay", { body: { ...window, limit: 2, dry_run: true } });
		const jobs = recordingQueue();
		const real = await admin("/events/replay", { body: { ...window, limit: 2 } }, { ...env, JOBS: jobs });

		expect(dry.body).toEqual({ dry_run: true, count: 3, enqueue: 2, capped: true });
		expect(real.body).toEqual({ dry_run: false, enqueued: 2, capped: true });
		expect(jobs.sent).toHaveLength(bodyOf(dry).enqueue);
	});

	it("takes deferred events only when the filter names them (each replay is one of their attempts)", async () => {
		const deferred = structuredClone(easypostDelivered) as typeof easypostDelivered;
		deferred.id = uniqueId("evt");
		deferred.result.tracking_code = uniqueId("TRK").toUpperCase();
		await deliver(await carrierRequest("easypost", deferred), { ...env, JOBS: recordingQueue() });
		const unmatched = paymentFor(newOrderKeys());
		await deliver(await stripeRequest(unmatched));
		const window = await inAMinuteOfTheirOwn([unmatched.id]);
		await testDb()
			.update(webhookEvents)
			.set({ receivedAt: new Date(new Date(window.since).getTime() + 30_000) })
			.where(and(eq(webhookEvents.provider, "easypost"), eq(webhookEvents.eventId, deferred.id)));
		expect(await ledgerRow("easypost", deferred.id)).toMatchObject({ status: "deferred", attempts: 1 });

		const unnamed = await admin("/events/replay", { body: { ...window, dry_run: true } });
		const named = await admin("/events/replay", { body: { ...window, status: "deferred", dry_run: true } });
		const jobs = recordingQueue();
		const replayed = await admin("/events/replay", { body: window }, { ...env, JOBS: jobs });

		expect(unnamed.body).toMatchObject({ count: 1 });
		expect(named.body).toMatchObject({ count: 1 });
		expect(replayed.body).toEqual({ dry_run: false, enqueued: 1, capped: false });
		expect(jobs.sent).toEqual([{ kind: "replay", provider: "stripe", eventId: unmatched.id }]);
		expect(await ledgerRow("easypost", deferred.id)).toMatchObject({ status: "deferred", attempts: 1 });
	});

	it.each([
		[{ status: "nonsense" }, "status"],
		[{ since: "yesterday" }, "since"],
		[{ limit: 1001 }, "limit"],
		[{ limit: 0 }, "limit"],
		[{ limit: 2.5 }, "limit"],
		// a misspelt field would otherwise filter nothing: every replayable event
		[{ stauts: "failed" }, "stauts"],
		[{ status: "failed", dry_rn: true }, "dry_rn"],
		// an empty filter is not "any"
		[{ status: [] }, "status"],
		[{ status: "" }, "status"],
		[{ status: ["failed", ""] }, "status"],
		[{ status: "," }, "status"],
		[{ provider: "" }, "provider"],
		[{ type: "  " }, "type"],
		[{ since: "" }, "since"],
		// a status whose replay would be a duplicate (or that is in flight): refused, as the dashboard does
		[{ status: "processed" }, "status"],
		[{ status: ["failed", "ignored"] }, "status"],
		[{ status: "received" }, "status"],
		// what Postgres cannot hold, or a date that does not exist
		[{ type: "a\u0000b" }, "type"],
		[{ provider: "\ud800" }, "provider"],
		[{ since: "2026-02-30" }, "since"],
		[{ until: "2026-05-01T24:00:00Z" }, "until"],
		[{ since: 999_999_999_999 }, "since"],
		[{ since: "+033658-09-27T01:46:39Z" }, "since"],
		[{ since: -1 }, "since"],
		[{ dry_run: "true" }, "dry_run"],
	])("refuses %j (400, the field named), enqueues nothing", async (body, field) => {
		const jobs = recordingQueue();
		const answer = await admin("/events/replay", { body }, { ...env, JOBS: jobs });
		expect(answer.status).toBe(400);
		expect(answer.body).toMatchObject({ error: "invalid_request", field, message: expect.stringContaining(field) });
		expect(jobs.sent).toEqual([]);
		expect(answer.databaseRequests).toEqual([]);
	});

	it.each([
		["null", null],
		["a list", [{ status: "failed" }]],
		["a string", "failed"],
		["a number", 0],
	])("refuses a body that is %s (400), enqueues nothing", async (_, body) => {
		const jobs = recordingQueue();
		const answer = await admin("/events/replay", { body: body as object }, { ...env, JOBS: jobs });
		expect(answer.status).toBe(400);
		expect(answer.body).toMatchObject({ error: "invalid_json" });
		expect(jobs.sent).toEqual([]);
		expect(answer.databaseRequests).toEqual([]);
	});

	it("refuses a body that is not JSON (400)", async () => {
		const answer = await deliver(
			new Request("http://shop.test/api/admin/events/replay", {
				method: "POST",
				headers: { authorization: `Bearer ${adminToken}` },
				body: "dry_run=true",
			}),
		);
		expect(answer.status).toBe(400);
		expect(answer.body).toMatchObject({ error: "invalid_json" });
	});
});
