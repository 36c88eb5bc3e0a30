/**
 * Issue 10, item 4 "order-safe": a shipment, its order and the order's `delivered` notification are a
 * function of the set of tracking updates received, whatever their order and ties (every order of
 * each set below is delivered, each in its own namespace: test/support/converge.ts), and each answer
 * says what its delivery did (`applied` when rows changed, `stale` when not, `duplicate` for an id
 * seen before). Ties are broken by the ledger's key of each update, also for updates without an id
 * (keyed by their body's digest) or with one too long to store (its digest). The random sets are in
 * converge-shipments.property.test.ts.
 */
import aftershipInTransit from "@fixtures/payloads/aftership/tracking_update.InTransit.json";
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { webhookEvents } from "../../src/db/schema";
import type { TrackingEvent } from "../../src/domain/tracking-event";
import { carrierRequest, copyOf } from "../support/carriers";
import { inEveryOrder, namespace, permutations } from "../support/converge";
import { deliver } from "../support/deliver";
import { withSettings } from "../support/email";
import { testDb } from "../support/rows";
import {
	at,
	createShippedOrder,
	deliverInOrder,
	inconsistentSteps,
	notificationRows,
	type OrderSetUp,
	shipmentRows,
	TEST_TRACKING_PROVIDER,
	type TrackingSpec,
	track,
	trackedRows,
	trackingEvent,
	trackingNumber,
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

/** The ledger keys (`webhook_events.event_id`) of `provider`'s updates about parcel `a` of `ns`, greatest first. */
async function ledgerKeysAbout(provider: string, ns: string, path: string) {
	const rows = await testDb()
		.select({ eventId: webhookEvents.eventId })
		.from(webhookEvents)
		.where(
			and(
				eq(webhookEvents.provider, provider),
				sql`${webhookEvents.payload} #>> ${`{${path}}`}::text[] = ${trackingNumber(ns, "a")}::text`,
			),
		)
		.orderBy(sql`${webhookEvents.eventId} collate "C" desc`);
	return rows.map((row) => row.eventId);
}

describe("ties between updates the provider gave no usable id", { timeout: 60_000 }, () => {
	// Their ledger keys are digests of what namespaces them, so which one wins differs between runs:
	// what must hold in every order of arrival is that the update with the greatest key wins.
	it("two updates without an id, same carrier time and status: the greater ledger key (sha256 of the body) wins in both orders", async () => {
		const specs: TrackingSpec[] = [
			{ id: "x", status: "in_transit", at: 10, detail: "one", eta: 100 },
			{ id: "y", status: "in_transit", at: 10, detail: "two", eta: 200 },
		];
		for (const order of permutations([0, 1])) {
			const ns = namespace();
			await createShippedOrder(ns, { email: `${ns}ada@example.org` });
			const events = specs.map((spec): TrackingEvent => ({ ...trackingEvent(spec, ns), eventId: undefined }));
			const outcomes = [];
			for (const i of order) outcomes.push((await track(events[i] as TrackingEvent, OPS)).outcome);
			const keys = await ledgerKeysAbout(TEST_TRACKING_PROVIDER, ns, "trackingNumber");
			expect(keys).toEqual([expect.stringMatching(/^sha256:[0-9a-f]{64}$/), expect.stringMatching(/^sha256:/)]);
			const [winner] = await testDb()
				.select({ detail: sql<string>`${webhookEvents.payload} ->> 'statusDetail'` })
				.from(webhookEvents)
				.where(and(eq(webhookEvents.provider, TEST_TRACKING_PROVIDER), eq(webhookEvents.eventId, keys[0] as string)));
			const spec = specs.find((s) => s.detail === winner?.detail) as TrackingSpec;
			expect(await shipmentRows(ns)).toMatchObject([
				{ statusEventId: keys[0], statusDetail: spec.detail, estimatedDeliveryAt: iso(spec.eta as number) },
			]);
			// the second is applied when it wins the tie, stale when it does not
			const secondWins = specs[order[1] as number]?.detail === spec.detail;
			expect(outcomes).toEqual(["applied", secondWins ? "applied" : "stale"]);
		}
	});

	it("AfterShip updates without event_id, same checkpoint time and tag, another subtag and ETA: the greater body digest wins in both orders", async () => {
		const body = (ns: string, subtag: string, eta: string) => {
			const e = copyOf(aftershipInTransit) as Record<string, unknown> & { msg: Record<string, unknown> };
			delete e.event_id;
			e.msg.tracking_number = trackingNumber(ns, "a");
			e.msg.subtag = subtag;
			e.msg.expected_delivery = eta;
			return e;
		};
		for (const order of permutations([0, 1])) {
			const ns = namespace();
			await createShippedOrder(ns, { email: `${ns}ada@example.org`, parcels: [{ parcel: "a", carrier: "ups" }] });
			const bodies = [body(ns, "InTransit_002", "2024-08-05"), body(ns, "InTransit_007", "2024-08-06")];
			for (const i of order) expect((await deliver(await carrierRequest("aftership", bodies[i]))).status).toBe(200);
			const keys = await ledgerKeysAbout("aftership", ns, "msg,tracking_number");
			expect(keys).toHaveLength(2);
			const [winner] = await testDb()
				.select({ eta: sql<string>`${webhookEvents.payload} #>> '{msg,expected_delivery}'` })
				.from(webhookEvents)
				.where(and(eq(webhookEvents.provider, "aftership"), eq(webhookEvents.eventId, keys[0] as string)));
			const [row] = await shipmentRows(ns);
			expect(row?.statusEventId).toBe(keys[0]);
			expect(row?.estimatedDeliveryAt?.slice(0, 10)).toBe(winner?.eta);
		}
	});

	it("ids too long to store (over 255 characters): the shipment names its update by the ledger's key, and the greater key wins in both orders", async () => {
		for (const order of permutations([0, 1])) {
			const ns = namespace();
			await createShippedOrder(ns, { email: `${ns}ada@example.org` });
			const long = (tail: string) => `${ns}${"e".repeat(300)}${tail}`;
			const events = [
				{ ...trackingEvent({ id: "1", status: "exception", at: 10, reason: "one" }, ns), eventId: long("1") },
				{ ...trackingEvent({ id: "2", status: "exception", at: 10, reason: "two" }, ns), eventId: long("2") },
			];
			for (const i of order) await track(events[i] as TrackingEvent, OPS);
			const keys = await ledgerKeysAbout(TEST_TRACKING_PROVIDER, ns, "trackingNumber");
			expect(keys).toEqual([expect.stringMatching(/^id-sha256:[0-9a-f]{64}$/), expect.stringMatching(/^id-sha256:/)]);
			const [winner] = await testDb()
				.select({ reason: sql<string>`${webhookEvents.payload} ->> 'exceptionReason'` })
				.from(webhookEvents)
				.where(and(eq(webhookEvents.provider, TEST_TRACKING_PROVIDER), eq(webhookEvents.eventId, keys[0] as string)));
			expect(await shipmentRows(ns)).toMatchObject([
				{ status: "exception", statusEventId: keys[0], exceptionReason: winner?.reason },
			]);
		}
	});
});
