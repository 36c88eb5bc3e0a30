/**
 * Tracking events for a parcel the shop has not recorded yet (issue 10, item 5), end to end through
 * the Worker's own fetch and queue(): the event is answered 200 `deferred`, its ledger row waits with
 * a next attempt, and a `retry-later` job is enqueued for then. The job runs it again through the same
 * apply path: applied once the shipment exists (the order and the outbox follow, and the notification's
 * job is enqueued), deferred again with a longer wait while it does not, `unmatched` after the last
 * attempt (one line at error, with an alert). A job that comes before its row is due is a spare,
 * acked (the row's own job or the cron sweep runs it); one whose event is no longer deferred is done. An enqueue that fails after the commit
 * is one warn line: the row stays, for the cron sweep.
 *
 * "Time passing" is the ledger row's next_attempt_at moved to now, as when its delay has run out.
 */

import { env } from "cloudflare:test";
import aftershipInTransit from "@fixtures/payloads/aftership/tracking_update.InTransit.json";
import easypostDelivered from "@fixtures/payloads/easypost/tracker.updated.delivered.json";
import { and, eq, sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { notifications, orders, shipments, webhookEvents } from "../../src/db/schema";
import { deferDelaysSeconds, maxDeferredAttempts } from "../../src/ledger";
import { carrierRequest } from "../support/carriers";
import { uniqueId } from "../support/clerk";
import { deliver, webhookLine } from "../support/deliver";
import { customerOrder, shipmentOf } from "../support/outbox";
import {
	applyJob,
	consume,
	JOBS_QUEUE,
	notifyJob,
	recordingQueue,
	retryLaterJob,
	webhookLines,
} from "../support/queue";
import { ledgerRows, testDb } from "../support/rows";

afterEach(() => vi.restoreAllMocks());

/** An EasyPost "delivered" tracker event for a fresh tracking number (FedEx, as the fixture). */
function deliveredEvent() {
	const event = structuredClone(easypostDelivered) as typeof easypostDelivered;
	event.id = uniqueId("evt");
	event.result.tracking_code = uniqueId("TRK").toUpperCase();
	return { event, eventId: event.id, trackingNumber: event.result.tracking_code };
}

/** The ledger row of an EasyPost event. */
async function ledgerRow(eventId: string) {
	const [row] = await ledgerRows("easypost", eventId);
	if (!row) throw new Error(`no ledger row for ${eventId}`);
	return row;
}

/** As if the deferred event's wait had run out. */
const makeDue = (eventId: string) =>
	testDb()
		.update(webhookEvents)
		.set({ nextAttemptAt: sql`now()` })
		.where(and(eq(webhookEvents.provider, "easypost"), eq(webhookEvents.eventId, eventId)));

/** Posts an EasyPost event through the Worker with a recording JOBS queue. */
async function post(event: unknown, queue = recordingQueue()) {
	const delivered = await deliver(await carrierRequest("easypost", event), { ...env, JOBS: queue });
	return { delivered, queue };
}

/** Seconds from the database's now() to the ledger row's next attempt. */
async function secondsToNextAttempt(eventId: string): Promise<number> {
	const [row] = await testDb()
		.select({ s: sql<number>`extract(epoch from ${webhookEvents.nextAttemptAt} - now())::float8` })
		.from(webhookEvents)
		.where(and(eq(webhookEvents.provider, "easypost"), eq(webhookEvents.eventId, eventId)));
	return Number(row?.s);
}

describe("an unknown tracking number", () => {
	it("is answered 200 deferred, recorded deferred with a next attempt, and a retry-later job is enqueued for then", async () => {
		const { event, eventId } = deliveredEvent();
		const { delivered, queue } = await post(event);

		expect(delivered.status).toBe(200);
		expect(delivered.body).toEqual({ received: true, outcome: "deferred" });
		expect(await ledgerRow(eventId)).toMatchObject({
			status: "deferred",
			attempts: 1,
			eventType: "package.delivered",
			nextAttemptAt: expect.any(Date),
		});
		const wait = await secondsToNextAttempt(eventId);
		expect(wait).toBeGreaterThan(deferDelaysSeconds[0] - 30);
		expect(wait).toBeLessThanOrEqual(deferDelaysSeconds[0]);
		expect(queue.sent).toEqual([retryLaterJob("easypost", eventId)]);
		expect(queue.delays[0]).toBeGreaterThan(deferDelaysSeconds[0] - 30);
		expect(queue.delays[0]).toBeLessThanOrEqual(deferDelaysSeconds[0]);
		const line = webhookLine(delivered);
		expect(line).toMatchObject({ level: "info", outcome: "deferred", event_id: eventId, status: 200 });
		expect(line.retry_in_seconds).toBe(queue.delays[0]);
	});

	it("a redelivery before it is due changes nothing and enqueues nothing", async () => {
		const { event, eventId } = deliveredEvent();
		await post(event);
		const { delivered, queue } = await post(event);
		expect(delivered.body).toEqual({ received: true, outcome: "duplicate" });
		expect(queue.sent).toEqual([]);
		expect(await ledgerRow(eventId)).toMatchObject({ status: "deferred", attempts: 1 });
	});

	it("a retry-later job arriving before the row is due is a spare: acked as a duplicate, nothing run or re-enqueued", async () => {
		const { event, eventId } = deliveredEvent();
		await post(event);
		const jobs = recordingQueue();
		// two spares at once (a sweep's copy and one that woke early): neither is put back
		const consumed = await consume(
			JOBS_QUEUE,
			[{ body: retryLaterJob("easypost", eventId) }, { body: retryLaterJob("easypost", eventId), attempts: 3 }],
			{ ...env, JOBS: jobs },
		);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(consumed.retried).toEqual([]);
		const lines = webhookLines(consumed);
		expect(lines).toEqual([
			expect.objectContaining({
				level: "info",
				outcome: "duplicate",
				reason: "not_due",
				job: "retry-later",
				event_id: eventId,
			}),
			expect.objectContaining({ level: "info", outcome: "duplicate", reason: "not_due" }),
		]);
		expect(lines[0]?.due_in_seconds).toBeGreaterThan(deferDelaysSeconds[0] - 30);
		expect(lines[0]?.due_in_seconds).toBeLessThanOrEqual(deferDelaysSeconds[0]);
		expect(jobs.sent).toEqual([]);
		expect(await ledgerRow(eventId)).toMatchObject({ status: "deferred", attempts: 1 });
	});

	it("once due, the row still runs: its own job then, or the sweep's when that one was lost", async () => {
		const { event, eventId, trackingNumber } = deliveredEvent();
		await post(event);
		// an early spare is acked…
		await consume(JOBS_QUEUE, [{ body: retryLaterJob("easypost", eventId) }]);
		const { orderId } = await customerOrder();
		await shipmentOf(orderId, { carrier: "FedEx", trackingNumber });
		await makeDue(eventId);
		// …and the row's job, when due, applies it
		const consumed = await consume(JOBS_QUEUE, [{ body: retryLaterJob("easypost", eventId) }], {
			...env,
			JOBS: recordingQueue(),
		});
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(await ledgerRow(eventId)).toMatchObject({ status: "processed", attempts: 2 });
	});
});

describe("the shipment appears between two retries", () => {
	it("the next retry applies it: shipment and order follow, the customer's notification is written and its job enqueued", async () => {
		const { event, eventId, trackingNumber } = deliveredEvent();
		await post(event);
		const { orderId } = await customerOrder();
		const shipment = await shipmentOf(orderId, { carrier: "FedEx", trackingNumber });
		await makeDue(eventId);

		const jobs = recordingQueue();
		const consumed = await consume(JOBS_QUEUE, [{ body: retryLaterJob("easypost", eventId), attempts: 1 }], {
			...env,
			JOBS: jobs,
		});

		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(await ledgerRow(eventId)).toMatchObject({ status: "processed", attempts: 2, nextAttemptAt: null });
		const [shipped] = await testDb().select().from(shipments).where(eq(shipments.id, shipment.id));
		expect(shipped).toMatchObject({ status: "delivered", statusEventId: eventId });
		const [order] = await testDb().select().from(orders).where(eq(orders.id, orderId));
		expect(order).toMatchObject({ shippingStatus: "delivered", status: "delivered" });
		const outbox = await testDb().select().from(notifications).where(eq(notifications.orderId, orderId));
		expect(outbox).toEqual([expect.objectContaining({ kind: "delivered", status: "pending" })]);
		expect(jobs.sent).toEqual([notifyJob(outbox[0]?.id as number)]);
		expect(webhookLines(consumed)).toEqual([
			expect.objectContaining({
				level: "info",
				provider: "easypost",
				event_id: eventId,
				event_type: "package.delivered",
				outcome: "applied",
				attempt: 2,
				via: "queue",
				job: "retry-later",
			}),
		]);
	});

	it("a sender's redelivery got there first: the job finds it done and acks", async () => {
		const { event, eventId, trackingNumber } = deliveredEvent();
		await post(event);
		const { orderId } = await customerOrder();
		await shipmentOf(orderId, { carrier: "FedEx", trackingNumber });
		await makeDue(eventId);
		const redelivered = await post(event);
		expect(redelivered.delivered.body).toEqual({ received: true, outcome: "applied" });

		const consumed = await consume(JOBS_QUEUE, [{ body: retryLaterJob("easypost", eventId) }]);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(webhookLines(consumed)).toEqual([
			expect.objectContaining({ outcome: "duplicate", reason: "not_deferred", ledger_status: "processed" }),
		]);
		expect(await ledgerRow(eventId)).toMatchObject({ status: "processed", attempts: 2 });
	});

	it("mixed in one batch with an apply job and a notify job: every message settled", async () => {
		const first = deliveredEvent();
		const second = deliveredEvent();
		await post(first.event);
		const { orderId } = await customerOrder();
		await shipmentOf(orderId, { carrier: "FedEx", trackingNumber: first.trackingNumber });
		await makeDue(first.eventId);
		const jobs = recordingQueue();
		const consumed = await consume(
			JOBS_QUEUE,
			[
				{ body: retryLaterJob("easypost", first.eventId) },
				{ body: applyJob("easypost", second.event) },
				{ body: notifyJob(2 ** 31 - 7) }, // no such row: nothing to claim
			],
			{ ...env, JOBS: jobs },
		);
		expect(consumed.value.explicitAcks.sort()).toEqual([...consumed.ids].sort());
		expect(await ledgerRow(first.eventId)).toMatchObject({ status: "processed" });
		expect(await ledgerRow(second.eventId)).toMatchObject({ status: "deferred", attempts: 1 });
		expect(jobs.sent).toEqual(
			expect.arrayContaining([retryLaterJob("easypost", second.eventId), expect.objectContaining({ kind: "notify" })]),
		);
	});
});

describe("the shipment never appears", () => {
	it(`each retry defers it again with a longer wait; attempt ${maxDeferredAttempts} records it unmatched, with an alert`, async () => {
		const { event, eventId } = deliveredEvent();
		await post(event);
		for (let attempt = 2; attempt < maxDeferredAttempts; attempt++) {
			await makeDue(eventId);
			const jobs = recordingQueue();
			const consumed = await consume(JOBS_QUEUE, [{ body: retryLaterJob("easypost", eventId) }], {
				...env,
				JOBS: jobs,
			});
			const wait = deferDelaysSeconds[attempt - 1] as number;
			expect(consumed.value.explicitAcks).toEqual(consumed.ids);
			expect(await ledgerRow(eventId)).toMatchObject({ status: "deferred", attempts: attempt });
			expect(jobs.sent).toEqual([retryLaterJob("easypost", eventId)]);
			expect(jobs.delays[0]).toBeGreaterThan(wait - 30);
			expect(jobs.delays[0]).toBeLessThanOrEqual(wait);
			expect(webhookLines(consumed)).toEqual([
				expect.objectContaining({ level: "info", outcome: "deferred", attempt, retry_in_seconds: jobs.delays[0] }),
			]);
		}
		await makeDue(eventId);
		const jobs = recordingQueue();
		const last = await consume(JOBS_QUEUE, [{ body: retryLaterJob("easypost", eventId) }], { ...env, JOBS: jobs });
		expect(last.value.explicitAcks).toEqual(last.ids);
		expect(await ledgerRow(eventId)).toMatchObject({
			status: "unmatched",
			attempts: maxDeferredAttempts,
			nextAttemptAt: null,
		});
		expect(jobs.sent).toEqual([]);
		expect(webhookLines(last)).toEqual([
			expect.objectContaining({
				level: "error",
				alert: expect.stringContaining("unmatched"),
				outcome: "unmatched",
				event_id: eventId,
				attempt: maxDeferredAttempts,
			}),
		]);
		// unmatched is replayable: a later job has nothing to do, a sender's redelivery runs it again
		const after = await consume(JOBS_QUEUE, [{ body: retryLaterJob("easypost", eventId) }]);
		expect(webhookLines(after)).toEqual([expect.objectContaining({ outcome: "duplicate", reason: "not_deferred" })]);
	});
});

describe("an event keyed by its body's digest (AfterShip without event_id)", () => {
	it("keeps its body verbatim while deferred, so its retry keys the same ledger row and applies it", async () => {
		const update = structuredClone(aftershipInTransit) as Record<string, unknown> & {
			msg: { tracking_number: string; slug: string };
		};
		delete update.event_id;
		update.msg.tracking_number = uniqueId("1Z").toUpperCase();
		const delivered = await deliver(await carrierRequest("aftership", update), { ...env, JOBS: recordingQueue() });
		expect(delivered.body).toEqual({ received: true, outcome: "deferred" });
		const eventId = webhookLine(delivered).event_id as string;
		expect(eventId).toMatch(/^sha256:/);
		const [row] = await ledgerRows("aftership", eventId);
		expect(row).toMatchObject({ status: "deferred", rawBody: JSON.stringify(update) });

		const { orderId } = await customerOrder();
		await shipmentOf(orderId, { carrier: update.msg.slug, trackingNumber: update.msg.tracking_number });
		await testDb()
			.update(webhookEvents)
			.set({ nextAttemptAt: sql`now()` })
			.where(and(eq(webhookEvents.provider, "aftership"), eq(webhookEvents.eventId, eventId)));
		const consumed = await consume(JOBS_QUEUE, [{ body: retryLaterJob("aftership", eventId) }], {
			...env,
			JOBS: recordingQueue(),
		});
		expect(webhookLines(consumed)).toEqual([
			expect.objectContaining({ outcome: "applied", event_id: eventId, attempt: 2 }),
		]);
		expect(await ledgerRows("aftership", eventId)).toEqual([expect.objectContaining({ status: "processed" })]);
	});

	it("a deferred row whose stored body no longer reads back as its event is recorded failed (not retried forever)", async () => {
		const { event, eventId } = deliveredEvent();
		await post(event);
		// the stored body changed under it (an operator's edit, an erasure): it now keys another event
		await testDb()
			.update(webhookEvents)
			.set({ payload: { ...event, id: uniqueId("evt_other") }, nextAttemptAt: sql`now()` })
			.where(and(eq(webhookEvents.provider, "easypost"), eq(webhookEvents.eventId, eventId)));
		const consumed = await consume(JOBS_QUEUE, [{ body: retryLaterJob("easypost", eventId) }]);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(webhookLines(consumed)).toEqual([
			expect.objectContaining({
				level: "error",
				outcome: "failed",
				recorded: true,
				alert: expect.any(String),
			}),
		]);
		expect(await ledgerRow(eventId)).toMatchObject({
			status: "failed",
			attempts: 2,
			nextAttemptAt: null,
			lastError: expect.stringContaining("does not read back as this event"),
		});
	});
});

describe("when the enqueue fails after the commit", () => {
	it("the delivery is still answered 200 deferred, with one warn line naming the sweep; the row waits", async () => {
		const { event, eventId } = deliveredEvent();
		const { delivered } = await post(event, recordingQueue({ fail: true }));
		expect(delivered.status).toBe(200);
		expect(delivered.body).toEqual({ received: true, outcome: "deferred" });
		expect(await ledgerRow(eventId)).toMatchObject({ status: "deferred", attempts: 1 });
		expect(delivered.logs.filter((line) => line.message === "follow_up_jobs")).toEqual([
			expect.objectContaining({
				level: "warn",
				reason: "enqueue_failed",
				recovery: "cron sweep",
				jobs: { "retry-later": 1 },
			}),
		]);
	});

	it("without a JOBS binding at all: the same", async () => {
		const { event } = deliveredEvent();
		const { JOBS: _, ...unbound } = env;
		const delivered = await deliver(await carrierRequest("easypost", event), unbound as Env);
		expect(delivered.body).toEqual({ received: true, outcome: "deferred" });
		expect(delivered.logs.filter((line) => line.message === "follow_up_jobs")).toEqual([
			expect.objectContaining({ level: "warn", reason: "enqueue_failed", detail: "no_queue" }),
		]);
	});
});

describe("jobs that cannot run", () => {
	it("a retry-later job for an event the ledger does not have: dropped at error, acked", async () => {
		const consumed = await consume(JOBS_QUEUE, [{ body: retryLaterJob("easypost", uniqueId("evt_missing")) }]);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(webhookLines(consumed)).toEqual([
			expect.objectContaining({ level: "error", outcome: "dropped", reason: "no_such_event" }),
		]);
	});

	it("a retry-later job naming no provider we know: dropped as unreadable", async () => {
		const consumed = await consume(JOBS_QUEUE, [{ body: retryLaterJob("no-such-carrier", "evt_1") }]);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(consumed.logs).toEqual([expect.objectContaining({ outcome: "dropped", reason: "unknown_provider" })]);
	});
});
