/**
 * GET /api/admin/stats (issue 11): over a window of clock hours, the events received per provider and
 * status, per hour (for the dashboard's chart), the processing latency (processed_at − received_at)
 * and the providers' delay (received_at − the provider's own event time: Stripe's `created`, Clerk's
 * `timestamp`), as percentiles in ms. The events are moved into two hours of their own in the past
 * (`at` names them), so that every figure can be checked exactly.
 */
import { describe, expect, it } from "vitest";
import { admin, bodyOf } from "../support/admin";
import { clerkRequest, uniqueId, userEvent } from "../support/clerk";
import { deliver } from "../support/deliver";
import { hourOfItsOwn, receivedAt } from "../support/ledger-window";
import { pendingOrder, stripeEvent, stripeRequest } from "../support/stripe";

const MIN = 60_000;
const unix = (date: Date) => Math.floor(date.getTime() / 1000);

describe("GET /api/admin/stats", () => {
	it("counts, events per hour and the percentiles of a window, exactly", async () => {
		const H = hourOfItsOwn();
		const at = (ms: number) => new Date(H.getTime() + ms);

		// hour 1: two processed Stripe events (one applied an hour after it arrived) and one unmatched
		const order = await pendingOrder();
		const paid = stripeEvent("payment_intent.succeeded", undefined, unix(at(10 * MIN)) - 120);
		paid.data.object.id = order.stripePaymentIntentId;
		paid.data.object.metadata = { order_id: order.id };
		const later = stripeEvent("customer.subscription.created", undefined, unix(at(30 * MIN)) - 300);
		later.data.object.id = uniqueId("sub");
		const unmatched = stripeEvent("payment_intent.succeeded", undefined, unix(at(20 * MIN)) - 60);
		unmatched.data.object.id = uniqueId("pi_nowhere");
		unmatched.data.object.metadata = { order_id: uniqueId("order_nowhere") };
		// hour 2: a processed Clerk event (Clerk's time in ms) and a failed Stripe one
		const userId = uniqueId("user");
		const clerk = userEvent("user.created", userId, at(65 * MIN).getTime() - 60_000);
		clerk.timestamp = at(65 * MIN).getTime() - 30_000;
		const svixId = uniqueId("msg");
		const failed = stripeEvent("payment_intent.succeeded", undefined, unix(at(70 * MIN)) - 600);
		failed.data.object.id = 42;

		const outcomes = [
			(await deliver(await stripeRequest(paid))).body.outcome,
			(await deliver(await stripeRequest(later))).body.outcome,
			(await deliver(await stripeRequest(unmatched))).body.outcome,
			(await deliver(clerkRequest(clerk, { id: svixId }))).body.outcome,
			(await deliver(await stripeRequest(failed))).body.outcome,
		];
		expect(outcomes).toEqual(["applied", "applied", "unmatched", "applied", "failed"]);
		await receivedAt("stripe", paid.id, at(10 * MIN), at(10 * MIN));
		await receivedAt("stripe", later.id, at(30 * MIN), at(90 * MIN));
		await receivedAt("stripe", unmatched.id, at(20 * MIN), at(20 * MIN));
		await receivedAt("clerk", svixId, at(65 * MIN), at(65 * MIN));
		await receivedAt("stripe", failed.id, at(70 * MIN), null);

		const answer = await admin(`/stats?window_hours=2&at=${at(95 * MIN).toISOString()}`);

		expect(answer.status).toBe(200);
		const stats = bodyOf(answer);
		expect(stats).toMatchObject({
			window_hours: 2,
			since: H.toISOString(),
			until: at(120 * MIN).toISOString(),
			counts: [
				{ provider: "clerk", status: "processed", count: 1 },
				{ provider: "stripe", status: "failed", count: 1 },
				{ provider: "stripe", status: "processed", count: 2 },
				{ provider: "stripe", status: "unmatched", count: 1 },
			],
			totals: { processed: 3, unmatched: 1, failed: 1, ignored: 0, dead: 0, deferred: 0, received: 0 },
		});
		expect(stats.per_hour).toEqual([
			{ hour: H.toISOString(), counts: expect.objectContaining({ processed: 2, unmatched: 1, failed: 0 }) },
			{ hour: at(60 * MIN).toISOString(), counts: expect.objectContaining({ processed: 1, unmatched: 0, failed: 1 }) },
		]);
		// processed_at − received_at of the four with a processed_at: 0, 0, 0 and one hour
		expect(stats.processing_latency_ms).toEqual({ count: 4, p50: 0, p95: 3_060_000, p99: 3_492_000 });
		// Stripe: 60, 120, 300 and 600 s late; Clerk: 30 s
		expect(stats.provider_delay_ms).toEqual({
			count: 5,
			p50: 120_000,
			p95: 540_000,
			p99: 588_000,
			by_provider: {
				stripe: { count: 4, p50: 210_000, p95: 555_000, p99: 591_000 },
				clerk: { count: 1, p50: 30_000, p95: 30_000, p99: 30_000 },
			},
		});
	});

	it("an empty window: zeros and nulls, one entry per hour", async () => {
		const H = hourOfItsOwn();
		const answer = await admin(`/stats?window_hours=3&at=${new Date(H.getTime() + 2 * 3_600_000).toISOString()}`);
		const stats = bodyOf(answer);
		expect(stats.per_hour).toHaveLength(3);
		expect(stats.counts).toEqual([]);
		expect(stats.processing_latency_ms).toEqual({ count: 0, p50: null, p95: null, p99: null });
		expect(stats.provider_delay_ms).toEqual({ count: 0, p50: null, p95: null, p99: null, by_provider: {} });
	});

	it("by default, the last 24 clock hours up to now", async () => {
		const stats = bodyOf(await admin("/stats"));
		expect(stats.window_hours).toBe(24);
		expect(stats.per_hour).toHaveLength(24);
		expect(new Date(stats.until).getTime()).toBeGreaterThan(Date.now());
		expect(new Date(stats.until).getTime() - new Date(stats.since).getTime()).toBe(24 * 3_600_000);
	});

	it.each([
		["window_hours=0", "window_hours"],
		["window_hours=745", "window_hours"],
		["window_hours=two", "window_hours"],
		["at=yesterday", "at"],
		["at=2026-02-30", "at"],
		["at=999999999999", "at"],
		// its window would end in year 10000
		["at=9999-12-31T23:30:00Z", "at"],
		["at=%00", "at"],
		["at=2026-05-01&at=2026-05-02", "at"],
		["window=24", "window"],
	])("refuses ?%s (400, the field named)", async (query, field) => {
		const answer = await admin(`/stats?${query}`);
		expect(answer.status).toBe(400);
		expect(answer.body).toMatchObject({ error: "invalid_request", field });
	});
});
