/**
 * Issue 10, item 4 "order-safe": a shipment, its order and the order's `delivered` notification are a
 * function of the set of tracking updates received, whatever their order and ties (every order of
 * each set below is delivered, each in its own namespace: test/support/converge.ts), and each answer
 * says what its delivery did (`applied` when rows changed, `stale` when not, `duplicate` for an id
 * seen before). The random sets are in converge-shipments.property.test.ts.
 */
import { describe, expect, it } from "vitest";
import { inEveryOrder, namespace } from "../support/converge";
import { withSettings } from "../support/email";
import {
	at,
	createShippedOrder,
	deliverInOrder,
	inconsistentSteps,
	notificationRows,
	type OrderSetUp,
	type TrackingSpec,
	trackedRows,
} from "../support/shipping";

const OPS = withSettings({ OPS_EMAIL: "ops@shop.example" });
const iso = (offset: number) => at(offset).toISOString();

/** Delivers `specs` in `order` to a fresh order; its rows and every answer's consistency. */
async function run(specs: TrackingSpec[], order: number[], setUp: OrderSetUp = {}) {
	const ns = namespace();
	await createShippedOrder(ns, { email: `${ns}ada@example.org`, ...setUp });
	const steps = await deliverInOrder(ns, specs, order, OPS);
	expect(inconsistentSteps(steps)).toEqual([]);
	const kinds = (await notificationRows(ns)).map((row) => row.kind);
	return { row: await trackedRows(ns), kinds, outcomes: steps.map((step) => step.result.outcome) };
}

/** Every order of `specs` (n! runs): all must end in the same rows. */
function everyOrder(specs: TrackingSpec[], setUp: OrderSetUp = {}) {
	return inEveryOrder(specs.length, (order) => run(specs, order, setUp));
}

describe("one parcel", { timeout: 120_000 }, () => {
	it("in transit, exception, delivered, a late in-transit: every order ends delivered, told once", async () => {
		const runs = await everyOrder([
			{ id: "t", status: "in_transit", at: 10, url: "u" },
			{ id: "x", status: "exception", at: 20, reason: "AttemptFail" },
			{ id: "d", status: "delivered", at: 30, detail: "left_at_door" },
			{ id: "late", status: "in_transit", at: 40, eta: 50 },
		]);
		expect(runs[0]?.row).toEqual({
			shipments: [
				expect.objectContaining({
					status: "delivered",
					statusDetail: "left_at_door",
					exceptionReason: null,
					estimatedDeliveryAt: null,
					trackingUrl: "https://track.example/~u",
					deliveredAt: iso(30),
					lastEventAt: iso(40),
					statusEventAt: iso(30),
					statusEventId: "~ev_d",
				}),
			],
			order: { status: "delivered", paymentStatus: "paid", shippingStatus: "delivered" },
			delivered: [{ kind: "delivered", recipient: "~ada@example.org", status: "pending", lastError: null }],
		});
		// the operator heard of the exception only when it arrived before the updates that overtake it
		for (const { order, kinds } of runs) {
			const seen = order.indexOf(1) < Math.min(order.indexOf(2), order.indexOf(3));
			expect(kinds).toEqual(seen ? ["delivered", "delivery_exception"] : ["delivered"]);
		}
	});

	it("ties of carrier time: delivered over exception over in-transit, then the greater event id", async () => {
		const runs = await everyOrder([
			{ id: "a", status: "in_transit", at: 10 },
			{ id: "b", status: "exception", at: 10 },
			{ id: "c", status: "in_transit", at: 10 },
		]);
		expect(runs[0]?.row).toMatchObject({
			shipments: [{ status: "exception", statusEventId: "~ev_b", exceptionReason: "return_to_sender" }],
			order: { status: "delivery_exception" },
			delivered: [],
		});
		const delivered = await everyOrder([
			{ id: "z", status: "exception", at: 10 },
			{ id: "b", status: "delivered", at: 10, detail: "b" },
			{ id: "a", status: "delivered", at: 10, detail: "a" },
		]);
		expect(delivered[0]?.row).toMatchObject({
			shipments: [{ status: "delivered", statusDetail: "b", statusEventId: "~ev_b", deliveredAt: iso(10) }],
		});
	});

	it("two delivered updates: delivered_at the earliest, the values of the latest", async () => {
		const runs = await everyOrder([
			{ id: "1", status: "delivered", at: 20, detail: "second_scan" },
			{ id: "2", status: "delivered", at: 10, detail: "first_scan" },
		]);
		expect(runs[0]?.row).toMatchObject({
			shipments: [{ deliveredAt: iso(10), statusDetail: "second_scan", lastEventAt: iso(20) }],
		});
		expect(runs.map((r) => r.outcomes)).toEqual([
			["applied", "applied"],
			["applied", "applied"],
		]);
	});

	it("tracking links: the least of those given, whichever came with the winning update", async () => {
		const runs = await everyOrder([
			{ id: "1", status: "in_transit", at: 10, url: "b" },
			{ id: "2", status: "in_transit", at: 20, url: null },
			{ id: "3", status: "in_transit", at: 5, url: "a" },
		]);
		expect(runs[0]?.row).toMatchObject({
			shipments: [{ trackingUrl: "https://track.example/~a", statusEventId: "~ev_2" }],
		});
	});
});

describe("two parcels of one order", { timeout: 120_000 }, () => {
	it("a refunded order: parcels delivered in any order, an exception on the way; the order stays refunded", async () => {
		const parcels = [{ parcel: "a" }, { parcel: "b", carrier: "FedEx" }];
		const runs = await everyOrder(
			[
				{ id: "1", status: "in_transit", at: 10, parcel: "a" },
				{ id: "2", status: "delivered", at: 20, parcel: "a" },
				{ id: "3", status: "exception", at: 15, parcel: "b", carrier: "fedex" },
				{ id: "4", status: "delivered", at: 25, parcel: "b", carrier: "FEDEX" },
			],
			{ payment: "refunded", parcels },
		);
		expect(runs[0]?.row).toMatchObject({
			shipments: [{ status: "delivered" }, { status: "delivered" }],
			order: { status: "refunded", paymentStatus: "refunded", shippingStatus: "delivered" },
			delivered: [{ kind: "delivered", status: "pending" }],
		});
	});

	it("one parcel delivered, the other in trouble: delivery_exception in every order, nobody told of a delivery", async () => {
		const runs = await everyOrder(
			[
				{ id: "1", status: "delivered", at: 20, parcel: "a" },
				{ id: "2", status: "in_transit", at: 10, parcel: "b" },
				{ id: "3", status: "exception", at: 30, parcel: "b" },
			],
			{ parcels: [{ parcel: "a" }, { parcel: "b", carrier: "ups" }] },
		);
		expect(runs[0]?.row).toMatchObject({ order: { status: "delivery_exception" }, delivered: [] });
		for (const { kinds } of runs) expect(kinds).toEqual(["delivery_exception"]);
	});
});
