/**
 * Issue 10, items 3, 4 and the outbox of 6: what a normalised tracking update does (src/domain/
 * shipments.ts), through the real pipeline (applyDeliveries: ledger, domain statements, alerts) fed
 * by a test provider (test/support/shipping.ts); the carriers' readers and endpoints have their own
 * tests. The three effects: the shipment row, the order's status, the notification row; duplicates
 * and replays change nothing and never notify twice; a delivery is final; money states stay visible.
 */
import easypostDelivered from "@fixtures/payloads/easypost/tracker.updated.delivered.json";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { notifications, shipments, users } from "../../src/db/schema";
import { notificationMessage, notifiedParcels } from "../../src/domain/notifications";
import {
	carrierKey,
	matchedShipmentId,
	notifyJobs,
	trackingInterpretation,
	trackingKey,
} from "../../src/domain/shipments";
import { carrierRequest, copyOf } from "../support/carriers";
import { clerkRequest, userDeletedEvent } from "../support/clerk";
import { namespace } from "../support/converge";
import { deliver, webhookLine } from "../support/deliver";
import { anEmailAddress, withSettings } from "../support/email";
import { recordingQueue } from "../support/queue";
import { testDb } from "../support/rows";
import {
	addShipment,
	applyTracking,
	at,
	createShippedOrder,
	notificationRows,
	orderStatuses,
	shipmentRows,
	shippingRows,
	TEST_TRACKING_PROVIDER,
	type TrackingSpec,
	track,
	trackedRows,
	trackingEvent,
	trackingLedgerRow,
	trackingNumber,
} from "../support/shipping";

const OPS = withSettings({ OPS_EMAIL: " Ops@Shop.Example " });
const iso = (offset: number) => at(offset).toISOString();

/** A fresh order (user `Ada@Example.org`, one usps parcel `a`, paid) and a way to deliver specs to it. */
async function shop(setUp: Parameters<typeof createShippedOrder>[1] = {}) {
	const ns = namespace();
	const ids = await createShippedOrder(ns, { email: `${ns}Ada@Example.org`, ...setUp });
	return {
		ns,
		...ids,
		event: (spec: TrackingSpec) => trackingEvent(spec, ns),
		send: (spec: TrackingSpec, bindings: Env = OPS) => track(trackingEvent(spec, ns), bindings),
	};
}

describe("the three effects", () => {
	it("in transit: the shipment takes the update's values, the order is shipped, nobody is notified", async () => {
		const s = await shop();
		const result = await s.send({
			id: "1",
			status: "in_transit",
			at: 10,
			url: "a",
			eta: 86_400,
			detail: "out_for_delivery",
		});
		expect(result).toMatchObject({ outcome: "applied", eventType: "package.in_transit", level: "info" });
		expect(await shipmentRows(s.ns)).toEqual([
			{
				id: `${s.ns}ship_a`,
				orderId: s.orderId,
				carrier: "usps",
				trackingNumber: trackingNumber(s.ns),
				provider: null,
				status: "in_transit",
				statusDetail: "out_for_delivery",
				lastCheckpoint: { time: iso(10), location: "Memphis, TN", message: "in_transit 1" },
				estimatedDeliveryAt: iso(86_400),
				deliveredAt: null,
				exceptionReason: null,
				trackingUrl: `https://track.example/${s.ns}a`,
				lastEventAt: iso(10),
				statusEventAt: iso(10),
				statusEventId: `${s.ns}ev_1`,
			},
		]);
		expect(await orderStatuses(s.ns)).toEqual({ status: "shipped", paymentStatus: "paid", shippingStatus: "shipped" });
		expect(await notificationRows(s.ns)).toEqual([]);
		expect(await trackingLedgerRow(`${s.ns}ev_1`)).toMatchObject({
			status: "processed",
			eventType: "package.in_transit",
			subjectUserId: s.userId,
		});
	});

	it("delivered: the shipment is delivered, the order closed, and one pending notification goes to the buyer's address, lower-cased", async () => {
		const s = await shop();
		await s.send({ id: "1", status: "in_transit", at: 10 });
		const result = await s.send({ id: "2", status: "delivered", at: 20 });
		expect(result).toMatchObject({ outcome: "applied", eventType: "package.delivered", level: "info" });
		expect(result.fields).not.toHaveProperty("alert");
		expect(await shipmentRows(s.ns)).toMatchObject([
			{ status: "delivered", deliveredAt: iso(20), lastEventAt: iso(20), exceptionReason: null },
		]);
		expect(await orderStatuses(s.ns)).toEqual({
			status: "delivered",
			paymentStatus: "paid",
			shippingStatus: "delivered",
		});
		const rows = await notificationRows(s.ns);
		expect(rows).toMatchObject([
			{ kind: "delivered", recipient: `${s.ns}ada@example.org`, status: "pending", attempts: 0, lastError: null },
		]);
		expect(rows[0]?.nextAttemptAt).toBeInstanceOf(Date);
	});

	it("exception: the shipment keeps the reason, the order shows delivery_exception, the operator is notified and the log line alerts", async () => {
		const s = await shop();
		const result = await s.send({ id: "1", status: "exception", at: 10, carrier: "USPS", reason: "return_to_sender" });
		expect(result).toMatchObject({
			outcome: "applied",
			eventType: "package.exception",
			level: "warn",
			fields: {
				alert: "delivery_exception",
				order_id: s.orderId,
				shipment_id: `${s.ns}ship_a`,
				carrier: "usps",
				exception_reason: "return_to_sender",
			},
		});
		expect(await shipmentRows(s.ns)).toMatchObject([
			{ status: "exception", exceptionReason: "return_to_sender", deliveredAt: null },
		]);
		expect(await orderStatuses(s.ns)).toMatchObject({ status: "delivery_exception" });
		expect(await notificationRows(s.ns)).toMatchObject([
			{ kind: "delivery_exception", recipient: "ops@shop.example", status: "pending" },
		]);
	});

	it("an exception without an event id alerts too: the shipment names it by its ledger key", async () => {
		const s = await shop();
		const result = await track({ ...s.event({ id: "1", status: "exception", at: 10 }), eventId: undefined }, OPS);
		expect(result.eventId).toMatch(/^sha256:[0-9a-f]{64}$/);
		expect(result).toMatchObject({
			outcome: "applied",
			level: "warn",
			fields: { alert: "delivery_exception", order_id: s.orderId, shipment_id: `${s.ns}ship_a` },
		});
		expect(await shipmentRows(s.ns)).toMatchObject([{ status: "exception", statusEventId: result.eventId }]);
	});

	it("an alert carries only code-shaped values: a reason in free text is left out", async () => {
		const s = await shop();
		const result = await s.send({
			id: "1",
			status: "exception",
			at: 10,
			carrier: "DHL Express",
			reason: "Ada, 1 Main St",
		});
		expect(result.fields).toMatchObject({ alert: "delivery_exception", carrier: "dhlexpress", exception_reason: null });
		expect(JSON.stringify(result.fields)).not.toContain("Main St");
	});

	it("without OPS_EMAIL, the operator's notification is recorded skipped (no job), and the alert still goes to the log", async () => {
		const s = await shop();
		const result = await s.send({ id: "1", status: "exception", at: 10 }, withSettings({ OPS_EMAIL: undefined }));
		expect(result.fields).toMatchObject({ alert: "delivery_exception" });
		expect(await notificationRows(s.ns)).toMatchObject([
			{ kind: "delivery_exception", recipient: null, status: "skipped", lastError: "no_ops_email" },
		]);
	});

	it("an order without a user, or whose user has no email, is delivered with its notification skipped", async () => {
		for (const email of [undefined, null]) {
			const s = await shop({ email });
			await s.send({ id: "1", status: "delivered", at: 10 });
			expect(await orderStatuses(s.ns)).toMatchObject({ status: "delivered" });
			expect(await notificationRows(s.ns)).toMatchObject([
				{ kind: "delivered", recipient: null, status: "skipped", lastError: "no_recipient" },
			]);
		}
	});

	it("the jobs an update asks for: a notify job per pending notification it wrote, none for a skipped one", () => {
		const meaning = trackingInterpretation(
			TEST_TRACKING_PROVIDER,
			trackingEvent({ id: "1", status: "delivered", at: 0 }, "n_"),
			OPS,
		);
		if (meaning.kind !== "apply") throw new Error(meaning.kind);
		expect(meaning.whenUnmatched).toBe("defer");
		const inserted = [
			{ id: 7, status: "pending" },
			{ id: 8, status: "skipped" },
		];
		// the changes: the order's lock, the shipment, the outbox
		expect(meaning.followUps?.([[], [], inserted])).toEqual([{ kind: "notify", notificationId: 7 }]);
		expect(notifyJobs([[], [], []])).toEqual([]);
	});
});

describe("through the Worker (an EasyPost endpoint)", () => {
	/** EasyPost's example tracker.updated for parcel `a` of `ns`, with `status`, as event `<ns>evt_<id>`. */
	function easypost(ns: string, id: string, status: string, statusDetail: string) {
		const event = copyOf(easypostDelivered);
		event.id = `${ns}evt_${id}`;
		event.result.tracking_code = trackingNumber(ns);
		event.result.status = status;
		event.result.status_detail = statusDetail;
		return event;
	}

	it("an exception's log line alerts at warn with ids and the carrier's code, never the buyer's data", async () => {
		const s = await shop({ parcels: [{ parcel: "a", carrier: "FedEx" }] });
		const delivered = await deliver(
			await carrierRequest("easypost", easypost(s.ns, "1", "return_to_sender", "return")),
			OPS,
		);
		expect(delivered.status).toBe(200);
		expect(webhookLine(delivered)).toMatchObject({
			level: "warn",
			event_type: "package.exception",
			outcome: "applied",
			alert: "delivery_exception",
			order_id: s.orderId,
			shipment_id: `${s.ns}ship_a`,
			carrier: "fedex",
		});
		expect(delivered.logText).not.toMatch(anEmailAddress);
		expect(delivered.logText).not.toContain("J DOE");
		expect(await notificationRows(s.ns)).toMatchObject([{ kind: "delivery_exception", recipient: "ops@shop.example" }]);
	});

	it("a delivery enqueues one notify job for its notification; its redelivery none", async () => {
		const s = await shop({ parcels: [{ parcel: "a", carrier: "FedEx" }] });
		const jobs = recordingQueue();
		const bindings = { ...OPS, JOBS: jobs } as Env;
		const body = easypost(s.ns, "1", "delivered", "arrived_at_destination");
		expect((await deliver(await carrierRequest("easypost", body), bindings)).body).toMatchObject({
			outcome: "applied",
		});
		expect((await deliver(await carrierRequest("easypost", body), bindings)).body).toMatchObject({
			outcome: "duplicate",
		});
		const [notification] = await notificationRows(s.ns);
		expect(jobs.sent).toEqual([{ kind: "notify", notificationId: notification?.id }]);
	});
});

describe("duplicates and order", () => {
	it("a redelivered update is a duplicate and changes nothing", async () => {
		const s = await shop();
		await s.send({ id: "1", status: "delivered", at: 10 });
		const before = await shippingRows(s.ns);
		expect(await s.send({ id: "1", status: "delivered", at: 10 })).toMatchObject({ outcome: "duplicate" });
		expect(await shippingRows(s.ns)).toEqual(before);
	});

	it("a late in-transit never undoes a delivery (an earlier carrier time is stale; a later one only moves last_event_at)", async () => {
		const s = await shop();
		await s.send({ id: "d", status: "delivered", at: 20 });
		expect(await s.send({ id: "early", status: "in_transit", at: 10 })).toMatchObject({ outcome: "stale" });
		expect(await s.send({ id: "late", status: "in_transit", at: 30 })).toMatchObject({ outcome: "applied" });
		expect(await s.send({ id: "x", status: "exception", at: 40 })).toMatchObject({ outcome: "applied", level: "info" });
		expect(await shipmentRows(s.ns)).toMatchObject([
			{
				status: "delivered",
				statusEventId: `${s.ns}ev_d`,
				deliveredAt: iso(20),
				lastEventAt: iso(40),
				exceptionReason: null,
			},
		]);
		expect(await orderStatuses(s.ns)).toMatchObject({ status: "delivered" });
		expect(await notificationRows(s.ns)).toMatchObject([{ kind: "delivered" }]);
	});

	it("an exception can be followed by a delivery: both notifications exist, the order ends delivered", async () => {
		const s = await shop();
		await s.send({ id: "x", status: "exception", at: 10, reason: "AttemptFail" });
		await s.send({ id: "d", status: "delivered", at: 20 });
		expect(await shipmentRows(s.ns)).toMatchObject([{ status: "delivered", exceptionReason: null }]);
		expect(await orderStatuses(s.ns)).toMatchObject({ status: "delivered" });
		expect((await notificationRows(s.ns)).map((n) => n.kind)).toEqual(["delivered", "delivery_exception"]);
	});

	it("movement after an exception takes the parcel back in transit; the operator was told once", async () => {
		const s = await shop();
		await s.send({ id: "1", status: "in_transit", at: 10 });
		await s.send({ id: "2", status: "exception", at: 20 });
		await s.send({ id: "3", status: "in_transit", at: 30 });
		await s.send({ id: "4", status: "exception", at: 40 });
		expect(await shipmentRows(s.ns)).toMatchObject([{ status: "exception", statusEventId: `${s.ns}ev_4` }]);
		await s.send({ id: "5", status: "in_transit", at: 50 });
		expect(await shipmentRows(s.ns)).toMatchObject([{ status: "in_transit", exceptionReason: null }]);
		expect(await orderStatuses(s.ns)).toMatchObject({ status: "shipped" });
		expect(await notificationRows(s.ns)).toMatchObject([{ kind: "delivery_exception" }]);
	});

	it("delivered events of equal carrier time: the least delivery time and the greater event id, in either order", async () => {
		const specs: TrackingSpec[] = [
			{ id: "b", status: "delivered", at: 10, detail: "left_at_door" },
			{ id: "a", status: "delivered", at: 10, detail: "signed" },
			{ id: "c", status: "exception", at: 10 },
		];
		const finals: unknown[] = [];
		for (const order of [
			[0, 1, 2],
			[2, 1, 0],
			[1, 2, 0],
		]) {
			const s = await shop();
			for (const i of order) await s.send(specs[i] as TrackingSpec);
			finals.push(await trackedRows(s.ns));
		}
		expect(finals[1]).toEqual(finals[0]);
		expect(finals[2]).toEqual(finals[0]);
		expect(finals[0]).toMatchObject({
			shipments: [{ status: "delivered", statusDetail: "left_at_door", statusEventId: "~ev_b", deliveredAt: iso(10) }],
			order: { status: "delivered" },
			delivered: [{ kind: "delivered", status: "pending" }],
		});
	});
});

describe("money states stay visible", () => {
	it.each(["refunded", "cancelled", "charged_back"] as const)(
		"a %s order receiving delivered keeps its status; the shipment is delivered and the buyer is told",
		async (payment) => {
			const s = await shop({ payment });
			await s.send({ id: "1", status: "delivered", at: 10 });
			expect(await orderStatuses(s.ns)).toEqual({
				status: payment,
				paymentStatus: payment,
				shippingStatus: "delivered",
			});
			expect(await shipmentRows(s.ns)).toMatchObject([{ status: "delivered" }]);
			expect(await notificationRows(s.ns)).toMatchObject([{ kind: "delivered", status: "pending" }]);
		},
	);

	it("a partially refunded order shows its parcel", async () => {
		const s = await shop({ payment: "partially_refunded" });
		await s.send({ id: "1", status: "in_transit", at: 10 });
		expect(await orderStatuses(s.ns)).toEqual({
			status: "shipped",
			paymentStatus: "partially_refunded",
			shippingStatus: "shipped",
		});
	});
});

describe("two shipments of one order", () => {
	it("the order is delivered only when both parcels are; any exception shows; one notification per kind", async () => {
		const s = await shop({ parcels: [{ parcel: "a" }, { parcel: "b", carrier: "FedEx" }] });
		await s.send({ id: "1", status: "delivered", at: 10, parcel: "a" });
		expect(await orderStatuses(s.ns)).toMatchObject({ shippingStatus: "shipped" });
		await s.send({ id: "2", status: "exception", at: 20, parcel: "b", carrier: "fedex" });
		expect(await orderStatuses(s.ns)).toMatchObject({ shippingStatus: "delivery_exception" });
		await s.send({ id: "3", status: "delivered", at: 30, parcel: "b", carrier: "fedex" });
		expect(await orderStatuses(s.ns)).toMatchObject({ shippingStatus: "delivered" });
		expect((await shipmentRows(s.ns)).map((row) => row.status)).toEqual(["delivered", "delivered"]);
		expect(await notificationRows(s.ns)).toMatchObject([
			{ kind: "delivered", status: "pending" },
			{ kind: "delivery_exception", status: "pending" },
		]);
	});

	it("both parcels delivered at once, in separate transactions: the order ends delivered with one notification", async () => {
		for (let run = 0; run < 3; run++) {
			const s = await shop({ parcels: [{ parcel: "a" }, { parcel: "b" }] });
			const sent = await Promise.all([
				applyTracking([s.event({ id: "1", status: "delivered", at: 10, parcel: "a" })], OPS),
				applyTracking([s.event({ id: "2", status: "delivered", at: 10, parcel: "b" })], OPS),
			]);
			expect(sent.every((applied) => applied[0]?.ok)).toBe(true);
			expect(await orderStatuses(s.ns)).toMatchObject({ status: "delivered" });
			expect(await notificationRows(s.ns)).toMatchObject([{ kind: "delivered" }]);
		}
	});
});

describe("the order's shipping status follows its shipments, whoever changes them (a trigger)", () => {
	it("a parcel recorded after its sibling was delivered: the order is shipped again, delivered once both are, the customer told once", async () => {
		const s = await shop();
		expect(await s.send({ id: "1", status: "delivered", at: 10 })).toMatchObject({ outcome: "applied" });
		expect(await orderStatuses(s.ns)).toMatchObject({ status: "delivered", shippingStatus: "delivered" });
		await addShipment(s.ns, "b");
		expect(await orderStatuses(s.ns)).toMatchObject({ status: "shipped", shippingStatus: "shipped" });
		expect(await s.send({ id: "2", status: "delivered", at: 20, parcel: "b" })).toMatchObject({ outcome: "applied" });
		expect(await orderStatuses(s.ns)).toMatchObject({ status: "delivered" });
		expect(await notificationRows(s.ns)).toMatchObject([{ kind: "delivered" }]);
	});

	it("a parcel removed: the order follows the others; the last removed, it has no shipping status", async () => {
		const s = await shop({ parcels: [{ parcel: "a" }, { parcel: "b" }] });
		await s.send({ id: "1", status: "delivered", at: 10 });
		expect(await orderStatuses(s.ns)).toMatchObject({ shippingStatus: "shipped" });
		await testDb()
			.delete(shipments)
			.where(eq(shipments.id, `${s.ns}ship_b`));
		expect(await orderStatuses(s.ns)).toMatchObject({ status: "delivered", shippingStatus: "delivered" });
		await testDb()
			.delete(shipments)
			.where(eq(shipments.id, `${s.ns}ship_a`));
		expect(await orderStatuses(s.ns)).toMatchObject({ status: "paid", shippingStatus: null });
	});

	it("a parcel moved to another order: both orders derived again", async () => {
		const s = await shop({ parcels: [{ parcel: "a" }, { parcel: "b" }] });
		await s.send({ id: "1", status: "delivered", at: 10, parcel: "a" });
		await s.send({ id: "2", status: "in_transit", at: 10, parcel: "b" });
		const other = namespace();
		await createShippedOrder(other, { parcels: [] });
		await testDb()
			.update(shipments)
			.set({ orderId: `${other}order` })
			.where(eq(shipments.id, `${s.ns}ship_a`));
		expect(await orderStatuses(s.ns)).toMatchObject({ shippingStatus: "shipped" });
		expect(await orderStatuses(other)).toMatchObject({ status: "delivered", shippingStatus: "delivered" });
	});

	it("the shop setting a parcel's status itself (back to pending, say): the order follows", async () => {
		const s = await shop();
		await testDb()
			.update(shipments)
			.set({ status: "exception" })
			.where(eq(shipments.id, `${s.ns}ship_a`));
		expect(await orderStatuses(s.ns)).toMatchObject({ shippingStatus: "delivery_exception" });
		await testDb()
			.update(shipments)
			.set({ status: "pending" })
			.where(eq(shipments.id, `${s.ns}ship_a`));
		expect(await orderStatuses(s.ns)).toMatchObject({ status: "paid", shippingStatus: null });
	});
});

describe("exactly one delivered notification under replays", () => {
	it("the same delivered event redelivered, another delivered event (another id, another time), and a late in-transit", async () => {
		const s = await shop();
		await s.send({ id: "1", status: "delivered", at: 10 });
		await s.send({ id: "1", status: "delivered", at: 10 });
		await s.send({ id: "2", status: "delivered", at: 5 });
		await s.send({ id: "3", status: "delivered", at: 15 });
		await s.send({ id: "4", status: "in_transit", at: 20 });
		const rows = await notificationRows(s.ns);
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({ kind: "delivered" });
		expect(await shipmentRows(s.ns)).toMatchObject([{ deliveredAt: iso(5), statusEventId: `${s.ns}ev_3` }]);
	});

	it("concurrent duplicates (one event five times at once) and concurrent delivered events of other ids", async () => {
		const s = await shop();
		const same = s.event({ id: "1", status: "delivered", at: 10 });
		const results = await Promise.all([
			...Array.from({ length: 5 }, () => applyTracking([same], OPS)),
			...["2", "3"].map((id) => applyTracking([s.event({ id, status: "delivered", at: 10 })], OPS)),
		]);
		const outcomes = results.map((r) => (r[0]?.ok ? r[0].events[0]?.outcome : "not applied"));
		expect(outcomes.slice(0, 5).filter((o) => o === "applied")).toHaveLength(1);
		expect(outcomes.slice(0, 5).filter((o) => o === "duplicate")).toHaveLength(4);
		expect(await notificationRows(s.ns)).toHaveLength(1);
		expect(await shipmentRows(s.ns)).toMatchObject([{ status: "delivered", statusEventId: `${s.ns}ev_3` }]);
	});

	it("several updates about one order in one batch (one transaction)", async () => {
		const s = await shop({ parcels: [{ parcel: "a" }, { parcel: "b" }] });
		const [first, second] = await applyTracking(
			[
				s.event({ id: "1", status: "delivered", at: 10, parcel: "a" }),
				s.event({ id: "2", status: "delivered", at: 10, parcel: "b" }),
			],
			OPS,
		);
		expect(first?.ok && second?.ok).toBe(true);
		expect(await orderStatuses(s.ns)).toMatchObject({ status: "delivered" });
		expect(await notificationRows(s.ns)).toHaveLength(1);
	});
});

describe("finding the shipment", () => {
	it("by tracking number trimmed, preferring the shipment whose carrier matches under normalisation", async () => {
		const s = await shop({
			parcels: [
				{ parcel: "a", carrier: "UPS", id: "ups" },
				{ parcel: "a", carrier: "DHLExpress", id: "dhl" },
			],
		});
		const event = s.event({ id: "1", status: "in_transit", at: 10, carrier: "dhl_express" });
		await track({ ...event, trackingNumber: `  ${event.trackingNumber}\n` }, OPS);
		expect((await shipmentRows(s.ns)).map((row) => [row.id, row.status])).toEqual([
			[`${s.ns}ship_dhl`, "in_transit"],
			[`${s.ns}ship_ups`, "pending"],
		]);
	});

	it("then one recorded for this provider or for any, then the least id", async () => {
		const s = await shop({
			parcels: [
				{ parcel: "a", carrier: "ups", id: "a1", provider: "another-provider" },
				{ parcel: "a", carrier: "dhl", id: "a3", provider: null },
				{ parcel: "a", carrier: "fedex", id: "a2", provider: TEST_TRACKING_PROVIDER },
			],
		});
		await s.send({ id: "1", status: "in_transit", at: 10, carrier: "ontrac" });
		expect((await shipmentRows(s.ns)).map((row) => row.status)).toEqual(["pending", "in_transit", "pending"]);
		await s.send({ id: "2", status: "in_transit", at: 10, carrier: null });
		expect((await shipmentRows(s.ns)).map((row) => row.statusEventId)).toEqual([null, `${s.ns}ev_2`, null]);
	});

	it("tracking numbers compare as upper-case ASCII letters and digits, on both sides: the shop's way of writing one matches the carrier's", async () => {
		const written = [
			(tn: string) => tn.toLowerCase(),
			(tn: string) => tn.replace("TRK_", " trk - "),
			(tn: string) => `${tn.slice(0, 4)} ${tn.slice(4).toLowerCase()}\t`,
		];
		for (const write of written) {
			const s = await shop({ parcels: [] });
			await addShipment(s.ns, "a", { trackingNumber: write(trackingNumber(s.ns, "a")) });
			expect(await s.send({ id: "1", status: "in_transit", at: 10 })).toMatchObject({ outcome: "applied" });
			expect(await orderStatuses(s.ns)).toMatchObject({ status: "shipped" });
			// and the carrier writing it its own way finds it too
			const event = s.event({ id: "2", status: "delivered", at: 20 });
			const spaced = `${event.trackingNumber.slice(0, 6).toLowerCase()} ${event.trackingNumber.slice(6)}`;
			expect(await track({ ...event, trackingNumber: spaced }, OPS)).toMatchObject({ outcome: "applied" });
			expect(await orderStatuses(s.ns)).toMatchObject({ status: "delivered" });
		}
	});

	it("among shipments whose numbers compare equal, one written exactly as the carrier's is preferred (then the least id)", async () => {
		const s = await shop({ parcels: [] });
		const tn = trackingNumber(s.ns, "a");
		await addShipment(s.ns, "a", { id: `${s.ns}ship_1`, trackingNumber: tn.toLowerCase() });
		await addShipment(s.ns, "a", { id: `${s.ns}ship_2`, trackingNumber: tn });
		await s.send({ id: "1", status: "in_transit", at: 10 });
		expect((await shipmentRows(s.ns)).map((row) => [row.id, row.status])).toEqual([
			[`${s.ns}ship_1`, "pending"],
			[`${s.ns}ship_2`, "in_transit"],
		]);
	});

	it("a tracking number without a letter or a digit matches no shipment, not even one written the same", async () => {
		const s = await shop({ parcels: [] });
		await addShipment(s.ns, "a", { trackingNumber: "-- --" });
		const result = await track({ ...s.event({ id: "1", status: "in_transit", at: 10 }), trackingNumber: "-- --" }, OPS);
		expect(result.outcome).toBe("deferred");
		expect(await shipmentRows(s.ns)).toMatchObject([{ status: "pending" }]);
	});

	it("trackingKey: upper-case ASCII letters and digits only", () => {
		expect(["1z999aa10123456784", "1Z 999 AA1 012 345 6784", "1z-999-aa1.0123456784\n"].map(trackingKey)).toEqual([
			"1Z999AA10123456784",
			"1Z999AA10123456784",
			"1Z999AA10123456784",
		]);
		// letters beyond ASCII are dropped, never mapped (ß would become SS)
		expect(trackingKey("straße9")).toBe("STRAE9");
		expect(trackingKey("—")).toBe("");
	});

	it("the lookup is served by the index on the normalised number (shipments_tracking_key_idx)", async () => {
		const s = await shop();
		const db = testDb();
		const [, plan] = (await db.batch([
			db.execute(sql`set local enable_seqscan = off`),
			db.execute(
				sql`explain select ${matchedShipmentId(TEST_TRACKING_PROVIDER, s.event({ id: "1", status: "in_transit", at: 0 }))} as id`,
			),
		])) as unknown as [unknown, { rows: Record<string, string>[] }];
		const text = plan.rows.map((row) => Object.values(row).join("")).join("\n");
		expect(text).toContain("shipments_tracking_key_idx");
	});

	it("carrier names compare as lower-case letters and digits", () => {
		expect(["FedEx", "fedex", "Fed-Ex"].map(carrierKey)).toEqual(["fedex", "fedex", "fedex"]);
		expect(carrierKey("DHLExpress")).toBe(carrierKey("dhl_express"));
		expect(carrierKey(null)).toBeNull();
		expect(carrierKey("—")).toBeNull();
	});

	it("a shipment recorded for later is not known yet: the update changes nothing and is kept for a later attempt", async () => {
		const s = await shop({ parcels: [] });
		await addShipment(s.ns, "a", { createdAt: new Date(Date.now() + 3_600_000) });
		const result = await s.send({ id: "1", status: "delivered", at: 10 });
		expect(result.outcome).not.toBe("applied");
		expect((await trackingLedgerRow(`${s.ns}ev_1`))?.status).toBe("deferred");
		expect(await shipmentRows(s.ns)).toMatchObject([{ status: "pending", statusEventId: null }]);
		expect(await orderStatuses(s.ns)).toMatchObject({ status: "paid", shippingStatus: null });
		expect(await notificationRows(s.ns)).toEqual([]);
	});
});

describe("the user's deletion", () => {
	it("Clerk user.deleted erases the recipient of the user's notifications (a pending one is skipped); the operator's stay", async () => {
		const s = await shop({ parcels: [{ parcel: "a" }, { parcel: "b" }] });
		await s.send({ id: "1", status: "exception", at: 10, parcel: "b" });
		await s.send({ id: "2", status: "delivered", at: 20, parcel: "a" });
		await s.send({ id: "3", status: "delivered", at: 30, parcel: "b" });
		const other = await shop();
		await other.send({ id: "1", status: "delivered", at: 10 });
		expect(await notificationRows(s.ns)).toMatchObject([
			{ kind: "delivered", recipient: `${s.ns}ada@example.org` },
			{ kind: "delivery_exception", recipient: "ops@shop.example" },
		]);

		const deleted = await deliver(clerkRequest(userDeletedEvent(s.userId as string, Date.now())));
		expect(deleted.status).toBe(200);
		expect(await notificationRows(s.ns)).toMatchObject([
			{ kind: "delivered", recipient: null, status: "skipped", lastError: "recipient_erased" },
			{ kind: "delivery_exception", recipient: "ops@shop.example", status: "pending" },
		]);
		expect(await notificationRows(other.ns)).toMatchObject([{ recipient: `${other.ns}ada@example.org` }]);
		// the tracking updates about the user's order were about them: their payloads are erased too
		expect((await trackingLedgerRow(`${s.ns}ev_2`))?.erasedAt).toBeInstanceOf(Date);
	});

	it("a notification already sent keeps its status and loses its recipient; a later delivery finds no address", async () => {
		const s = await shop({ parcels: [{ parcel: "a" }, { parcel: "b" }] });
		await s.send({ id: "1", status: "delivered", at: 10, parcel: "a" });
		await s.send({ id: "2", status: "delivered", at: 10, parcel: "b" });
		await testDb()
			.update(notifications)
			.set({ status: "sent", sentAt: new Date() })
			.where(eq(notifications.orderId, s.orderId));
		await deliver(clerkRequest(userDeletedEvent(s.userId as string, Date.now())));
		expect(await notificationRows(s.ns)).toMatchObject([
			{ kind: "delivered", recipient: null, status: "sent", lastError: null },
		]);

		const later = await shop();
		await deliver(clerkRequest(userDeletedEvent(later.userId as string, Date.now())));
		expect(
			(
				await testDb()
					.select()
					.from(users)
					.where(eq(users.id, later.userId as string))
			)[0]?.email,
		).toBeNull();
		await later.send({ id: "1", status: "delivered", at: 10 });
		expect(await notificationRows(later.ns)).toMatchObject([
			{ recipient: null, status: "skipped", lastError: "no_recipient" },
		]);
	});
});

describe("the messages", () => {
	it("say the order, the carrier, the tracking number and link, and nothing about the customer", async () => {
		const s = await shop({ parcels: [{ parcel: "a" }, { parcel: "b", carrier: "FedEx" }] });
		await s.send({ id: "1", status: "delivered", at: 10, parcel: "a", url: "a" });
		await s.send({ id: "2", status: "exception", at: 20, parcel: "b", carrier: "fedex", reason: "return_to_sender" });
		const parcels = await notifiedParcels(testDb(), s.orderId);
		const delivered = notificationMessage("delivered", s.orderId, parcels);
		expect(delivered.subject).toBe(`Your order ${s.orderId} has been delivered`);
		expect(delivered.text).toContain(`usps ${trackingNumber(s.ns, "a")}: https://track.example/${s.ns}a`);
		const problem = notificationMessage("delivery_exception", s.orderId, parcels);
		expect(problem.subject).toBe(`Delivery problem: order ${s.orderId}`);
		expect(problem.text).toContain(`FedEx ${trackingNumber(s.ns, "b")} (return_to_sender)`);
		for (const message of [delivered, problem])
			expect(JSON.stringify(message)).not.toMatch(/ada|example\.org|Memphis/i);
	});
});
