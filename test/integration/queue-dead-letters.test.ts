/**
 * The dead-letter consumer (issue 9, item 4) through the Worker's real queue() handler: a job whose
 * retries ran out has its events recorded `dead` (the last error, the payload) and raises one
 * `alert: "webhook_dead"` line per event at level error; nothing is applied; it retries itself while
 * the database is down; the ledger's guard holds (processed stays processed), and a sender's
 * redelivery of a dead event runs it again.
 */
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { orders } from "../../src/db/schema";
import { deadError } from "../../src/queue/dead-letters";
import { clerkRequest, uniqueId, userDeletedEvent, userEvent } from "../support/clerk";
import { deliver } from "../support/deliver";
import { applyJob, consume, DEAD_LETTER_QUEUE, webhookLines } from "../support/queue";
import { testDb, userRow } from "../support/rows";
import { pendingOrder, stripeEvent, stripeRequest } from "../support/stripe";
import { unreachableDatabaseUrl } from "../support/unreachable";
import { ledgerRecord } from "../support/written";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const unreachable = () => ({ ...env, DATABASE_URL: unreachableDatabaseUrl });

function clerkDeadLetter(userId = uniqueId("user"), svixId = uniqueId("msg")) {
	const event = userEvent("user.created", userId, T0);
	return { userId, svixId, event, job: applyJob("clerk", event, { deliveryId: svixId }) };
}

async function orderStatus(id: string) {
	const [row] = await testDb().select({ status: orders.status }).from(orders).where(eq(orders.id, id));
	return row?.status;
}

describe("a job whose retries ran out", () => {
	it("is recorded dead with the last error and its payload, raises webhook_dead at error, applies nothing, is acked", async () => {
		const { userId, svixId, event, job } = clerkDeadLetter();
		const consumed = await consume(DEAD_LETTER_QUEUE, [{ body: job }]);

		expect(consumed.value).toMatchObject({ explicitAcks: consumed.ids, retryMessages: [] });
		expect(consumed.databaseRequests).toHaveLength(1);
		const [row] = await ledgerRecord("clerk", svixId);
		expect(row).toMatchObject({ status: "dead", attempts: 1, lastError: deadError });
		expect(deadError).toBe("database unavailable: queue retries exhausted after 31 attempts");
		expect(JSON.parse(row?.payload ?? "null")).toEqual(event);
		expect(await userRow(userId)).toBeUndefined();
		expect(webhookLines(consumed)).toEqual([
			expect.objectContaining({
				level: "error",
				provider: "clerk",
				event_type: "user.created",
				event_id: svixId,
				outcome: "dead",
				alert: "webhook_dead",
				recorded: true,
				reason: deadError,
				via: "dead_letters",
				queue_attempt: 1,
				request_id: job.requestId,
			}),
		]);
	});

	it("Stripe: the payment is recorded dead and the order is left as it was", async () => {
		const order = await pendingOrder();
		const event = stripeEvent("payment_intent.succeeded");
		event.data.object.id = order.stripePaymentIntentId;
		event.data.object.metadata = { order_id: order.id };
		const consumed = await consume(DEAD_LETTER_QUEUE, [{ body: applyJob("stripe", event) }]);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(await ledgerRecord("stripe", event.id)).toMatchObject([{ status: "dead", lastError: deadError }]);
		expect(await orderStatus(order.id)).toBe("pending");
		expect(webhookLines(consumed)).toMatchObject([{ event_id: event.id, alert: "webhook_dead" }]);
	});

	it("several dead letters are recorded in one database request", async () => {
		const letters = [clerkDeadLetter(), clerkDeadLetter(), clerkDeadLetter(), clerkDeadLetter()];
		const consumed = await consume(
			DEAD_LETTER_QUEUE,
			letters.map(({ job }) => ({ body: job })),
		);
		expect(consumed.databaseRequests).toHaveLength(1);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		for (const { svixId } of letters) expect(await ledgerRecord("clerk", svixId)).toMatchObject([{ status: "dead" }]);
		expect(webhookLines(consumed).map((line) => line.alert)).toEqual(letters.map(() => "webhook_dead"));
	});

	it("a sender's redelivery of the dead event later runs it again", async () => {
		const { userId, svixId, event, job } = clerkDeadLetter();
		await consume(DEAD_LETTER_QUEUE, [{ body: job }]);
		const redelivered = await deliver(clerkRequest(event, { id: svixId }));
		expect(redelivered.body).toEqual({ received: true, outcome: "applied" });
		expect(await ledgerRecord("clerk", svixId)).toMatchObject([{ status: "processed", attempts: 2, lastError: null }]);
		expect((await userRow(userId))?.id).toBe(userId);
	});

	it("the same dead letter delivered twice: still dead, one more attempt counted", async () => {
		const { svixId, job } = clerkDeadLetter();
		await consume(DEAD_LETTER_QUEUE, [{ body: job }]);
		const again = await consume(DEAD_LETTER_QUEUE, [{ body: job }]);
		expect(again.value.explicitAcks).toEqual(again.ids);
		expect(await ledgerRecord("clerk", svixId)).toMatchObject([{ status: "dead", attempts: 2 }]);
	});
});

describe("the ledger's guard", () => {
	it("an event already processed (a redelivery won) stays processed: no alert, acked", async () => {
		const { userId, svixId, event, job } = clerkDeadLetter();
		await deliver(clerkRequest(event, { id: svixId }));
		const consumed = await consume(DEAD_LETTER_QUEUE, [{ body: job }]);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(await ledgerRecord("clerk", svixId)).toMatchObject([{ status: "processed", attempts: 1, lastError: null }]);
		expect((await userRow(userId))?.id).toBe(userId);
		expect(webhookLines(consumed)).toMatchObject([{ level: "info", outcome: "duplicate" }]);
		expect(webhookLines(consumed)[0]).not.toHaveProperty("alert");
	});

	it("an event recorded unmatched becomes dead (its queued attempt was lost); a redelivery still runs it", async () => {
		const event = stripeEvent("payment_intent.succeeded");
		event.data.object.id = uniqueId("pi_nowhere");
		event.data.object.metadata = { order_id: uniqueId("order_nowhere") };
		expect((await deliver(await stripeRequest(event))).body).toMatchObject({ outcome: "unmatched" });
		const consumed = await consume(DEAD_LETTER_QUEUE, [{ body: applyJob("stripe", event) }]);
		expect(await ledgerRecord("stripe", event.id)).toMatchObject([
			{ status: "dead", attempts: 2, lastError: deadError },
		]);
		expect(webhookLines(consumed)).toMatchObject([{ outcome: "dead", alert: "webhook_dead", attempt: 2 }]);
	});

	it("a type we ignore is recorded ignored, as a live delivery records it: no alert", async () => {
		const svixId = uniqueId("msg");
		const job = applyJob("clerk", { type: "email.created", timestamp: T0, data: {} }, { deliveryId: svixId });
		const consumed = await consume(DEAD_LETTER_QUEUE, [{ body: job }]);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(await ledgerRecord("clerk", svixId)).toMatchObject([{ status: "ignored" }]);
		expect(webhookLines(consumed)).toMatchObject([{ level: "info", outcome: "ignored" }]);
		expect(webhookLines(consumed)[0]).not.toHaveProperty("alert");
	});

	it("the dead event of a user deleted since keeps only its skeleton", async () => {
		const { userId, svixId, job } = clerkDeadLetter();
		await deliver(clerkRequest(userDeletedEvent(userId, T0 + 1000)));
		await consume(DEAD_LETTER_QUEUE, [{ body: job }]);
		const [row] = await ledgerRecord("clerk", svixId);
		expect(row).toMatchObject({ status: "dead", erasedAt: expect.any(String) });
		expect(row?.payload).not.toContain("@");
	});
});

describe("while the database is still down", () => {
	it("retries each dead letter with a delay > 0, acks none, raises no alert yet", async () => {
		const { svixId, job } = clerkDeadLetter();
		const consumed = await consume(DEAD_LETTER_QUEUE, [{ body: job, attempts: 4 }], unreachable());
		expect(consumed.value.explicitAcks).toEqual([]);
		expect(consumed.value.retryMessages).toEqual([{ msgId: consumed.ids[0] }]);
		const [retry] = consumed.retried;
		expect(retry?.delaySeconds).toBeGreaterThanOrEqual(1);
		expect(retry?.delaySeconds).toBeLessThanOrEqual(120);
		expect(webhookLines(consumed)).toMatchObject([
			{ level: "warn", outcome: "retry", reason: "database_unavailable", via: "dead_letters", queue_attempt: 4 },
		]);
		expect(webhookLines(consumed)[0]).not.toHaveProperty("alert");
		expect(await ledgerRecord("clerk", svixId)).toEqual([]);
	});

	it("its last attempt (101st) raises webhook_dead unrecorded, naming the event, since Queues deletes the message next", async () => {
		const { svixId, job } = clerkDeadLetter();
		const consumed = await consume(DEAD_LETTER_QUEUE, [{ body: job, attempts: 101 }], unreachable());
		expect(consumed.value.explicitAcks).toEqual([]);
		expect(webhookLines(consumed)).toMatchObject([
			{ level: "error", event_id: svixId, outcome: "dead", alert: "webhook_dead", recorded: false },
		]);
	});
});

describe("unreadable dead letters", () => {
	it("are acked with an error line, nothing written", async () => {
		const consumed = await consume(DEAD_LETTER_QUEUE, [{ body: { kind: "apply", provider: "clerk" } }]);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(consumed.databaseRequests).toEqual([]);
		expect(consumed.logs).toMatchObject([
			{ level: "error", message: "job", queue: DEAD_LETTER_QUEUE, outcome: "dropped", reason: "invalid_job" },
		]);
	});
});
