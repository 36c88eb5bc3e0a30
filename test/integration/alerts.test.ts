/**
 * Alerting (issue 11, item 5): every transition of an event to `failed`, `unmatched` or `dead` logs
 * one line at level `error` with a stable `alert` (webhook_failed, webhook_unmatched, webhook_dead),
 * whichever way it happens (a live delivery, a queued job, a dead letter, a replay); what applies,
 * is ignored, is a duplicate or is deferred raises none. The lines are what a Workers Logs alert
 * (README, "Alerts") filters on.
 */
import { env } from "cloudflare:test";
import easypostDelivered from "@fixtures/payloads/easypost/tracker.updated.delivered.json";
import { describe, expect, it } from "vitest";
import { admin } from "../support/admin";
import { carrierRequest } from "../support/carriers";
import { uniqueId, userEvent } from "../support/clerk";
import { deliver, webhookLine } from "../support/deliver";
import { applyJob, consume, DEAD_LETTER_QUEUE, JOBS_QUEUE, recordingQueue, webhookLines } from "../support/queue";
import { ledgerRows } from "../support/rows";
import { pendingOrder, stripeEvent, stripeRequest } from "../support/stripe";

const T = 1_790_000_000;

/** A payment_intent.succeeded whose object id is a number: a handled type Stripe never sends so, failed. */
function unreadablePayment() {
	const event = stripeEvent("payment_intent.succeeded", undefined, T);
	event.data.object.id = 42;
	return event;
}

function paymentFor(order: { id: string; stripePaymentIntentId: string }) {
	const event = stripeEvent("payment_intent.succeeded", undefined, T);
	event.data.object.id = order.stripePaymentIntentId;
	event.data.object.metadata = { order_id: order.id };
	return event;
}

const noOrder = () => ({ id: uniqueId("order_nowhere"), stripePaymentIntentId: uniqueId("pi_nowhere") });

describe("a live delivery", () => {
	it("failed: one error line, alert webhook_failed; its redelivery fails again and alerts again", async () => {
		const event = unreadablePayment();
		const first = await deliver(await stripeRequest(event));
		expect(first.body).toEqual({ received: true, outcome: "failed" });
		expect(webhookLine(first)).toMatchObject({
			level: "error",
			outcome: "failed",
			alert: "webhook_failed",
			event_id: event.id,
			reason: expect.stringContaining("expected string"),
		});
		const again = await deliver(await stripeRequest(event));
		expect(webhookLine(again)).toMatchObject({ level: "error", alert: "webhook_failed", attempt: 2 });
	});

	it("unmatched: one error line, alert webhook_unmatched", async () => {
		const event = paymentFor(noOrder());
		const delivered = await deliver(await stripeRequest(event));
		expect(delivered.body.outcome).toBe("unmatched");
		expect(webhookLine(delivered)).toMatchObject({ level: "error", outcome: "unmatched", alert: "webhook_unmatched" });
		expect(delivered.logs.filter((line) => line.alert)).toHaveLength(1);
	});

	it("applied, ignored, duplicate and deferred raise none", async () => {
		const order = await pendingOrder();
		const applied = paymentFor(order);
		const lines = [
			webhookLine(await deliver(await stripeRequest(applied))),
			webhookLine(await deliver(await stripeRequest(applied))),
			webhookLine(await deliver(await stripeRequest(stripeEvent("payment_intent.succeeded", "product.created", T)))),
		];
		const parcel = structuredClone(easypostDelivered) as typeof easypostDelivered;
		parcel.id = uniqueId("evt");
		parcel.result.tracking_code = uniqueId("TRK").toUpperCase();
		lines.push(
			webhookLine(await deliver(await carrierRequest("easypost", parcel), { ...env, JOBS: recordingQueue() })),
		);
		expect(lines.map((line) => line.outcome)).toEqual(["applied", "duplicate", "ignored", "deferred"]);
		for (const line of lines) expect(line).not.toHaveProperty("alert");
		for (const line of lines) expect(line.level).toBe("info");
	});
});

describe("through the queue", () => {
	it("a queued job that fails: alert webhook_failed", async () => {
		const event = unreadablePayment();
		const consumed = await consume(JOBS_QUEUE, [{ body: applyJob("stripe", event) }]);
		expect(webhookLines(consumed)).toEqual([
			expect.objectContaining({ level: "error", outcome: "failed", alert: "webhook_failed", via: "queue" }),
		]);
	});

	it("a dead letter: alert webhook_dead; one that fails (it would change nothing): webhook_failed", async () => {
		const svixId = uniqueId("msg");
		const dead = applyJob("clerk", userEvent("user.created", uniqueId("user"), Date.now()), { deliveryId: svixId });
		const failing = unreadablePayment();
		const consumed = await consume(DEAD_LETTER_QUEUE, [{ body: dead }, { body: applyJob("stripe", failing) }]);
		expect(webhookLines(consumed)).toEqual([
			expect.objectContaining({ level: "error", event_id: svixId, outcome: "dead", alert: "webhook_dead" }),
			expect.objectContaining({ level: "error", event_id: failing.id, outcome: "failed", alert: "webhook_failed" }),
		]);
		expect(await ledgerRows("clerk", svixId)).toMatchObject([{ status: "dead" }]);
	});
});

describe("a replay", () => {
	it("that is unmatched again alerts again, marked as a replay", async () => {
		const event = paymentFor(noOrder());
		await deliver(await stripeRequest(event));
		const [row] = await ledgerRows("stripe", event.id);
		const replayed = await admin(`/events/${row?.id}/replay`, { method: "POST" });
		expect(replayed.body).toMatchObject({ outcome: "unmatched", event: { status: "unmatched", attempts: 2 } });
		expect(webhookLine(replayed)).toMatchObject({
			level: "error",
			alert: "webhook_unmatched",
			via: "replay",
			attempt: 2,
		});
	});
});
