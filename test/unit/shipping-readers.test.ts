/**
 * The three carrier readers (src/providers/{easypost,aftership,shippo}/events.ts): each provider's
 * status table, its example payloads read field by field, the update's time and checkpoint (latest
 * scan, else the provider's update time, else `failed`), event ids (Shippo's derived from content),
 * what is tolerated (unknown fields, null custom fields, long ids, new subtags, test events) and
 * that a reason never quotes the payload.
 */
import aftershipDelivered from "@fixtures/payloads/aftership/tracking_update.Delivered.json";
import aftershipException from "@fixtures/payloads/aftership/tracking_update.Exception.json";
import aftershipInTransit from "@fixtures/payloads/aftership/tracking_update.InTransit.json";
import easypostDelivered from "@fixtures/payloads/easypost/tracker.updated.delivered.json";
import easypostInTransit from "@fixtures/payloads/easypost/tracker.updated.json";
import shippoDelivered from "@fixtures/payloads/shippo/track_updated.DELIVERED.json";
import { describe, expect, it } from "vitest";
import { readTrackingEvent as readAfterShip } from "../../src/providers/aftership/events";
import { readTrackingEvent as readEasyPost } from "../../src/providers/easypost/events";
import type { TrackingReading } from "../../src/providers/shipping-reading";
import { readTrackingEvent as readShippo } from "../../src/providers/shippo/events";
import { copyOf } from "../support/carriers";

// biome-ignore lint/suspicious/noExplicitAny: the tests edit fixtures in place, by their paths
type Json = Record<string, any>;

/** A fixture with edits applied to a copy. */
function edited<T>(fixture: T, edit: (copy: Json) => void): Json {
	const copy = copyOf(fixture) as Json;
	edit(copy);
	return copy;
}

/** What a reading says, in the words of the ledger: kind, event type or normalised status. */
function outcome(reading: TrackingReading): string {
	return reading.kind === "track" ? `track ${reading.event.status}` : `${reading.kind} ${reading.eventType}`;
}

const event = (reading: TrackingReading) => {
	if (reading.kind !== "track") throw new Error(`expected a tracking update, got ${JSON.stringify(reading)}`);
	return reading.event;
};

describe("the status tables", () => {
	it.each([
		["in_transit", "track in_transit"],
		["out_for_delivery", "track in_transit"],
		["available_for_pickup", "track in_transit"],
		["delivered", "track delivered"],
		["return_to_sender", "track exception"],
		["failure", "track exception"],
		["error", "track exception"],
		["cancelled", "track exception"],
		["pre_transit", "ignore package.pre_transit"],
		["unknown", "ignore package.unknown"],
		["lost_in_space", "ignore package.unknown"],
		["constructor", "ignore package.unknown"],
	])("EasyPost %s: %s", (status, expected) => {
		expect(outcome(readEasyPost(edited(easypostInTransit, (e) => (e.result.status = status))))).toBe(expected);
	});

	it.each([
		["InTransit", "track in_transit"],
		["OutForDelivery", "track in_transit"],
		["AvailableForPickup", "track in_transit"],
		["Delivered", "track delivered"],
		["Exception", "track exception"],
		["AttemptFail", "track exception"],
		["Expired", "track exception"],
		["InfoReceived", "ignore package.pre_transit"],
		["Pending", "ignore package.unknown"],
		["Teleported", "ignore package.unknown"],
		["__proto__", "ignore package.unknown"],
	])("AfterShip %s: %s", (tag, expected) => {
		expect(outcome(readAfterShip(edited(aftershipInTransit, (e) => (e.msg.tag = tag))))).toBe(expected);
	});

	it.each([
		["TRANSIT", "track in_transit"],
		["DELIVERED", "track delivered"],
		["RETURNED", "track exception"],
		["FAILURE", "track exception"],
		["PRE_TRANSIT", "ignore package.pre_transit"],
		["UNKNOWN", "ignore package.unknown"],
		["HELD_AT_CUSTOMS", "ignore package.unknown"],
	])("Shippo %s: %s", (status, expected) => {
		expect(outcome(readShippo(edited(shippoDelivered, (e) => (e.data.tracking_status.status = status))))).toBe(
			expected,
		);
	});

	it("an ignored status keeps the provider's event id (Shippo's derived key), with a reason that quotes nothing", () => {
		expect(readEasyPost(edited(easypostInTransit, (e) => (e.result.status = "pre_transit")))).toEqual({
			kind: "ignore",
			eventId: "evt_1",
			eventType: "package.pre_transit",
			reason: "status_changes_nothing",
		});
		expect(readAfterShip(edited(aftershipInTransit, (e) => (e.msg.tag = "Pending")))).toMatchObject({
			kind: "ignore",
			eventId: "7f2e8a1c-3b4d-4e5f-9a6b-1c2d3e4f5a6b",
			eventType: "package.unknown",
		});
		expect(readShippo(edited(shippoDelivered, (e) => (e.data.tracking_status.status = "UNKNOWN")))).toMatchObject({
			kind: "ignore",
			eventId: "usps:9205590164917312751089:9f8e7d6c5b4a4f3e8d2c1b0a99887766:2024-08-05T17:58:00Z",
			eventType: "package.unknown",
		});
	});
});

describe("the example payloads, read", () => {
	it("EasyPost tracker.updated (the official fixture): in transit, the latest scan's time and place", () => {
		expect(readEasyPost(easypostInTransit)).toEqual({
			kind: "track",
			event: {
				eventId: "evt_1",
				status: "in_transit",
				trackingNumber: "1",
				carrier: "FedEx",
				occurredAt: new Date("2024-08-02T18:50:00Z"),
				statusDetail: "arrived_at_facility",
				checkpoint: {
					time: "2024-08-02T18:50:00.000Z",
					location: "EDISON, NJ, US",
					message: "Arrived at FedEx location",
				},
				estimatedDeliveryAt: new Date("2024-08-05T00:00:00Z"),
				exceptionReason: null,
				trackingUrl: "https://track.easypost.com/1",
			},
		});
	});

	it("EasyPost tracker.updated, delivered", () => {
		expect(event(readEasyPost(easypostDelivered))).toMatchObject({
			eventId: "evt_2",
			status: "delivered",
			occurredAt: new Date("2024-08-05T17:58:00Z"),
			statusDetail: "arrived_at_destination",
			checkpoint: { time: "2024-08-05T17:58:00.000Z", location: "BROOKLYN, NY, US", message: "Delivered" },
		});
	});

	it("AfterShip tracking_update, InTransit: the checkpoint's local time with its offset, in UTC", () => {
		expect(readAfterShip(aftershipInTransit)).toEqual({
			kind: "track",
			event: {
				eventId: "7f2e8a1c-3b4d-4e5f-9a6b-1c2d3e4f5a6b",
				status: "in_transit",
				trackingNumber: "1Z999AA10123456784",
				carrier: "ups",
				occurredAt: new Date("2024-08-02T14:42:13Z"),
				statusDetail: "InTransit_007",
				checkpoint: {
					time: "2024-08-02T14:42:13.000Z",
					location: "Orlando, FL, US",
					message: "Departed from Facility",
				},
				estimatedDeliveryAt: null,
				exceptionReason: null,
				trackingUrl: "https://www.ups.com/track?tracknum=1Z999AA10123456784",
			},
		});
	});

	it("AfterShip Delivered and Exception (the subtag is the exception's reason)", () => {
		expect(event(readAfterShip(aftershipDelivered))).toMatchObject({
			status: "delivered",
			occurredAt: new Date("2024-08-05T17:58:00Z"),
			exceptionReason: null,
		});
		expect(event(readAfterShip(aftershipException))).toMatchObject({
			eventId: "5d6e7f80-9a1b-4c2d-8e3f-4a5b6c7d8e9f",
			status: "exception",
			occurredAt: new Date("2024-08-04T16:46:40Z"),
			statusDetail: "Exception_011",
			exceptionReason: "Exception_011",
			checkpoint: {
				location: "Brooklyn, NY, US",
				message: "The receiver was not available for delivery. Returning to sender.",
			},
		});
	});

	it("Shippo track_updated, DELIVERED: the key derived from carrier, tracking number, status object and time", () => {
		expect(readShippo(shippoDelivered)).toEqual({
			kind: "track",
			event: {
				eventId: "usps:9205590164917312751089:9f8e7d6c5b4a4f3e8d2c1b0a99887766:2024-08-05T17:58:00Z",
				status: "delivered",
				trackingNumber: "9205590164917312751089",
				carrier: "usps",
				occurredAt: new Date("2024-08-05T17:58:00Z"),
				statusDetail: "delivered",
				checkpoint: {
					time: "2024-08-05T17:58:00.000Z",
					location: "Brooklyn, NY, US",
					message: "Your item was delivered in or at the mailbox at 1:58 pm on August 5, 2024 in BROOKLYN, NY 11201.",
				},
				estimatedDeliveryAt: new Date("2024-08-05T00:00:00Z"),
				exceptionReason: null,
				trackingUrl: null,
			},
		});
	});

	it("Shippo: the same update twice has one key; the next update of the parcel another", () => {
		const again = copyOf(shippoDelivered);
		const next = edited(shippoDelivered, (e) => {
			e.data.tracking_status.object_id = "0a0b0c0d0e0f40a1b2c3d4e5f6a7b8c9";
			e.data.tracking_status.status_date = "2024-08-05T18:30:00Z";
		});
		expect(event(readShippo(again)).eventId).toBe(event(readShippo(shippoDelivered)).eventId);
		expect(event(readShippo(next)).eventId).not.toBe(event(readShippo(shippoDelivered)).eventId);
		// without a status object id, the status stands in for it
		const bare = edited(shippoDelivered, (e) => delete e.data.tracking_status.object_id);
		expect(event(readShippo(bare)).eventId).toBe("usps:9205590164917312751089:DELIVERED:2024-08-05T17:58:00Z");
	});

	it("test events are read like the others (EasyPost mode test, Shippo test: true)", () => {
		expect(outcome(readEasyPost(edited(easypostDelivered, (e) => (e.mode = "test"))))).toBe("track delivered");
		expect(outcome(readShippo(edited(shippoDelivered, (e) => (e.test = e.data.test = true))))).toBe("track delivered");
	});
});

describe("the update's time and checkpoint", () => {
	it("EasyPost: the latest scan even when the details are not in order; without details, result.updated_at", () => {
		const shuffled = edited(easypostDelivered, (e) => e.result.tracking_details.reverse());
		expect(event(readEasyPost(shuffled)).checkpoint?.message).toBe("Delivered");
		const bare = edited(easypostInTransit, (e) => (e.result.tracking_details = []));
		expect(event(readEasyPost(bare))).toMatchObject({
			occurredAt: new Date("2024-08-02T19:26:51Z"),
			checkpoint: null,
		});
		// a detail whose time cannot be read is skipped
		const broken = edited(easypostInTransit, (e) => (e.result.tracking_details.at(-1).datetime = "yesterday"));
		expect(event(readEasyPost(broken)).occurredAt).toEqual(new Date("2024-08-02T18:35:20Z"));
	});

	it("AfterShip: a checkpoint time without an offset is UTC; without checkpoints, msg.updated_at, then ts", () => {
		const zoneless = edited(
			aftershipInTransit,
			(e) => (e.msg.checkpoints.at(-1).checkpoint_time = "2024-08-02T10:42:13"),
		);
		expect(event(readAfterShip(zoneless)).occurredAt).toEqual(new Date("2024-08-02T10:42:13Z"));
		const noCheckpoints = edited(aftershipInTransit, (e) => (e.msg.checkpoints = null));
		expect(event(readAfterShip(noCheckpoints))).toMatchObject({
			occurredAt: new Date("2024-08-02T14:42:13Z"),
			checkpoint: null,
		});
		const onlyTs = edited(aftershipInTransit, (e) => {
			delete e.msg.checkpoints;
			e.msg.updated_at = null;
		});
		expect(event(readAfterShip(onlyTs)).occurredAt).toEqual(new Date(1722609733 * 1000));
	});

	it("Shippo: status_date, else the status object's object_updated", () => {
		const noDate = edited(shippoDelivered, (e) => delete e.data.tracking_status.status_date);
		expect(event(readShippo(noDate))).toMatchObject({
			occurredAt: new Date("2024-08-05T18:01:22.137Z"),
			checkpoint: null,
			eventId: "usps:9205590164917312751089:9f8e7d6c5b4a4f3e8d2c1b0a99887766:2024-08-05T18:01:22.137Z",
		});
	});

	it.each([
		[
			"EasyPost",
			readEasyPost,
			edited(easypostInTransit, (e) => {
				e.result.tracking_details = [];
				e.result.updated_at = null;
			}),
			"result.tracking_details[].datetime, result.updated_at",
		],
		[
			"AfterShip",
			readAfterShip,
			edited(aftershipInTransit, (e) => {
				e.msg.checkpoints = [];
				e.msg.updated_at = "2024-13-45T99:00:00Z";
				delete e.ts;
			}),
			"msg.checkpoints[].checkpoint_time, msg.updated_at, ts",
		],
		[
			"Shippo",
			readShippo,
			edited(shippoDelivered, (e) => {
				e.data.tracking_status.status_date = null;
				delete e.data.tracking_status.object_updated;
			}),
			"data.tracking_status.status_date",
		],
	])("%s: no time at all is failed, the reason naming the fields tried", (_, read, payload, fields) => {
		const reading = read(payload);
		expect(reading.kind).toBe("fail");
		expect(reading.kind === "fail" && reading.reason).toContain(fields);
	});
});

describe("what is tolerated, and what fails", () => {
	it("unknown fields, null custom fields, a long tracking id, a new subtag, a null subtag (the tag is the reason)", () => {
		const tolerant = edited(aftershipException, (e) => {
			e.msg.id = "b6a3f1c2d4e5f60718293a4b5c6d7e8f".repeat(8);
			e.msg.custom_fields = null;
			e.msg.order_promised_delivery_date = null;
			e.msg.shiny_new_field = { nested: [1, 2, 3] };
			e.msg.subtag = null;
			e.msg.checkpoints.at(-1).subtag = "Exception_999";
			e.msg.checkpoints.at(-1).location = null;
			e.new_envelope_field = true;
		});
		expect(event(readAfterShip(tolerant))).toMatchObject({
			status: "exception",
			statusDetail: null,
			exceptionReason: "Exception",
			checkpoint: { location: "Brooklyn, NY, United States" },
		});
		const newSubtag = edited(aftershipInTransit, (e) => (e.msg.subtag = "InTransit_042"));
		expect(event(readAfterShip(newSubtag)).statusDetail).toBe("InTransit_042");
	});

	it("an EasyPost exception without status_detail has its status as the reason; a Shippo one without substatus too", () => {
		const easypost = edited(easypostInTransit, (e) => {
			e.result.status = "return_to_sender";
			e.result.status_detail = null;
		});
		expect(event(readEasyPost(easypost))).toMatchObject({ statusDetail: null, exceptionReason: "return_to_sender" });
		const shippo = edited(shippoDelivered, (e) => {
			e.data.tracking_status.status = "FAILURE";
			e.data.tracking_status.substatus = null;
		});
		expect(event(readShippo(shippo))).toMatchObject({ statusDetail: null, exceptionReason: "FAILURE" });
	});

	it("a tracking link that is not http(s) is dropped; an estimated date alone is its midnight UTC", () => {
		const link = edited(easypostInTransit, (e) => (e.result.public_url = "javascript:alert(1)"));
		expect(event(readEasyPost(link)).trackingUrl).toBeNull();
		const dated = edited(aftershipInTransit, (e) => (e.msg.expected_delivery = "2024-08-06"));
		expect(event(readAfterShip(dated)).estimatedDeliveryAt).toEqual(new Date("2024-08-06T00:00:00Z"));
		const estimated = edited(aftershipInTransit, (e) => {
			e.msg.aftership_estimated_delivery_date = { estimated_delivery_date: "2024-08-07", confidence_score: null };
		});
		expect(event(readAfterShip(estimated)).estimatedDeliveryAt).toEqual(new Date("2024-08-07T00:00:00Z"));
	});

	it("AfterShip without event_id: read, keyed later by the body's digest", () => {
		const anonymous = edited(aftershipInTransit, (e) => delete e.event_id);
		expect(event(readAfterShip(anonymous)).eventId).toBeUndefined();
	});

	it.each([
		[
			"EasyPost",
			readEasyPost(edited(easypostInTransit, (e) => (e.description = "batch.updated"))),
			"batch.updated",
			"evt_1",
		],
		[
			"AfterShip",
			readAfterShip(edited(aftershipInTransit, (e) => (e.event = "edd_revise"))),
			"edd_revise",
			"7f2e8a1c-3b4d-4e5f-9a6b-1c2d3e4f5a6b",
		],
		[
			"Shippo",
			readShippo({ event: "transaction_created", test: true, data: { object_id: "x" } }),
			"transaction_created",
			undefined,
		],
	])("%s: an event of another kind is ignored under its own type, whatever its shape", (_, reading, type, id) => {
		expect(reading).toMatchObject({ kind: "ignore", eventType: type, eventId: id });
	});

	it("a tracking update without a tracking number fails, naming the field and no value (AfterShip carries personal data)", () => {
		const anonymous = edited(aftershipInTransit, (e) => {
			e.msg.tracking_number = 42;
			e.msg.customer_name = "Jane Doe";
			e.msg.emails = ["jane@example.org"];
		});
		const reading = readAfterShip(anonymous);
		expect(reading).toMatchObject({ kind: "fail", eventType: "tracking_update" });
		const reason = reading.kind === "fail" ? reading.reason : "";
		expect(reason).toContain("msg.tracking_number");
		expect(reason).not.toMatch(/Jane|example\.org|42/);

		expect(readEasyPost(edited(easypostInTransit, (e) => delete e.result.tracking_code))).toMatchObject({
			kind: "fail",
			eventId: "evt_1",
			reason: expect.stringContaining("result.tracking_code"),
		});
		expect(readShippo(edited(shippoDelivered, (e) => (e.data.tracking_number = "")))).toMatchObject({
			kind: "fail",
			reason: expect.stringContaining("data.tracking_number"),
		});
		// a tracking number Postgres cannot hold would name another parcel once cleaned: failed
		expect(readEasyPost(edited(easypostInTransit, (e) => (e.result.tracking_code = "1Z\u0000")))).toMatchObject({
			kind: "fail",
		});
	});

	it.each([
		["no body type", readEasyPost({ result: {} }), "unknown"],
		["an array", readAfterShip([]), "unknown"],
		["null", readShippo(null), "unknown"],
		[
			"a tracker event without a status",
			readEasyPost({ id: "evt_x", description: "tracker.updated", result: {} }),
			"tracker.updated",
		],
	])("%s fails", (_, reading, type) => {
		expect(reading).toMatchObject({ kind: "fail", eventType: type });
	});

	it("free text Postgres cannot hold is cleaned, not failed", () => {
		const dirty = edited(easypostInTransit, (e) => (e.result.tracking_details.at(-1).message = "Arrived\u0000 here"));
		expect(event(readEasyPost(dirty)).checkpoint?.message).toBe("Arrived here");
	});
});
