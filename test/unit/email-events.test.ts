/**
 * Issue 9, items 5 and 7: each email provider's reader (src/providers/<name>/events.ts) turns a verified
 * body into normalised email events. Every example payload in test/fixtures/payloads/{resend,sendgrid,
 * postmark,mailgun} reads into the expected events; SendGrid's batch gives one reading per element;
 * every provider's vocabulary maps onto the kinds (bounce types included); unknown types read as
 * kind null; malformed elements read as `ok: false` with a reason naming the path and never a value;
 * Postmark's derived key is stable and distinct per record type and time. A property mutates the
 * fixtures at random paths: no reader throws, no reason quotes a value, every event is storable.
 */
import mailgunDelivered from "@fixtures/payloads/mailgun/delivered.json";
import mailgunFailedPermanent from "@fixtures/payloads/mailgun/failed-permanent.json";
import mailgunOpened from "@fixtures/payloads/mailgun/opened.json";
import postmarkBounce from "@fixtures/payloads/postmark/Bounce.json";
import postmarkDelivery from "@fixtures/payloads/postmark/Delivery.json";
import postmarkOpen from "@fixtures/payloads/postmark/Open.json";
import resendBounced from "@fixtures/payloads/resend/email.bounced.json";
import resendClicked from "@fixtures/payloads/resend/email.clicked.json";
import resendComplained from "@fixtures/payloads/resend/email.complained.json";
import resendDelivered from "@fixtures/payloads/resend/email.delivered.json";
import resendDeliveryDelayed from "@fixtures/payloads/resend/email.delivery_delayed.json";
import resendOpened from "@fixtures/payloads/resend/email.opened.json";
import resendSent from "@fixtures/payloads/resend/email.sent.json";
import sendgridBatch from "@fixtures/payloads/sendgrid/batch.delivered-open-bounce.json";
import sendgridBlocked from "@fixtures/payloads/sendgrid/blocked.json";
import sendgridBounce from "@fixtures/payloads/sendgrid/bounce.json";
import sendgridDelivered from "@fixtures/payloads/sendgrid/delivered.json";
import sendgridDropped from "@fixtures/payloads/sendgrid/dropped.json";
import sendgridOpen from "@fixtures/payloads/sendgrid/open.json";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { EmailEvent } from "../../src/domain/email-events";
import type { EmailReading, EmailReadingContext, ReadEmailEvents } from "../../src/providers/email-reading";
import { parseInstant } from "../../src/providers/email-reading";
import { readEmailEvents as readMailgun } from "../../src/providers/mailgun/events";
import { postmarkEventKey, readEmailEvents as readPostmark } from "../../src/providers/postmark/events";
import { readEmailEvents as readResend } from "../../src/providers/resend/events";
import { readEmailEvents as readSendgrid } from "../../src/providers/sendgrid/events";
import { isStorableText } from "../../src/webhooks/storable";
import { jsonText, oddValue, SENTINEL } from "../support/arbitraries";
import { propertyOptions } from "../support/property";

const SVIX_ID = "msg_2pWvLq8UeAJkgcrd1XyyHxJtCMd";
const clone = <T>(value: T): T => structuredClone(value);

/** The one event of a reading that must be ok. */
function eventOf(readings: EmailReading[], index = 0): EmailEvent {
	const reading = readings[index];
	if (!reading?.ok) throw new Error(`reading ${index} is not ok: ${JSON.stringify(reading)}`);
	return reading.event;
}

/** The one failure of a reading that must not be ok. */
function failureOf(readings: EmailReading[], index = 0): Extract<EmailReading, { ok: false }> {
	const reading = readings[index];
	if (!reading || reading.ok) throw new Error(`reading ${index} is ok: ${JSON.stringify(reading)}`);
	return reading;
}

const resend = (payload: unknown, context: EmailReadingContext = { deliveryId: SVIX_ID }) =>
	readResend(payload, context);
const sendgrid = (payload: unknown) => readSendgrid(payload, {});
const postmark = (payload: unknown) => readPostmark(payload, {});
const mailgun = (payload: unknown) => readMailgun(payload, {});

describe("Resend", () => {
	const resendMessage = {
		eventId: SVIX_ID,
		messageId: "56761188-7520-42d8-8898-ff6fc54ce618",
		subject: "Sending this example",
		orderId: null,
		userId: null,
	};

	it.each([
		["email.sent", "sent", "2024-02-22T23:41:12.126Z", "delivered@resend.dev", resendSent],
		["email.delivered", "delivered", "2024-02-22T23:41:12.126Z", "delivered@resend.dev", resendDelivered],
		["email.delivery_delayed", "delayed", "2024-02-22T23:51:12.126Z", "delivered@resend.dev", resendDeliveryDelayed],
		["email.complained", "complained", "2024-02-23T08:15:00.000Z", "complained@resend.dev", resendComplained],
		["email.opened", "opened", "2024-02-23T09:01:44.812Z", "delivered@resend.dev", resendOpened],
		["email.clicked", "clicked", "2024-02-23T09:02:10.004Z", "delivered@resend.dev", resendClicked],
	] as const)("reads the %s fixture as %s", (eventType, kind, at, recipient, payload) => {
		const readings = resend(payload);
		expect(readings).toHaveLength(1);
		expect(eventOf(readings)).toEqual({
			...resendMessage,
			eventType,
			kind,
			at: new Date(at),
			recipient,
			bounceType: null,
		});
	});

	it("reads email.bounced with bounce.type Permanent as a hard bounce, at the event's created_at", () => {
		expect(eventOf(resend(resendBounced))).toEqual({
			...resendMessage,
			eventType: "email.bounced",
			kind: "bounced",
			at: new Date("2024-11-22T23:41:12.126Z"),
			recipient: "bounced@resend.dev",
			bounceType: "hard",
		});
	});

	it.each([
		["Transient", "soft"],
		["Undetermined", "soft"],
		["Permanent", "hard"],
		["SomethingNew", "hard"],
	] as const)("reads bounce.type %s as %s", (type, bounceType) => {
		const payload = clone(resendBounced);
		payload.data.bounce.type = type;
		expect(eventOf(resend(payload)).bounceType).toBe(bounceType);
		const { bounce: _, ...withoutBounce } = payload.data;
		expect(eventOf(resend({ ...payload, data: withoutBounce })).bounceType).toBe("hard");
	});

	it("reads email.failed and email.suppressed as failed", () => {
		for (const type of ["email.failed", "email.suppressed"]) {
			const event = eventOf(resend({ ...resendDelivered, type }));
			expect(event).toMatchObject({ kind: "failed", eventType: type, bounceType: null });
		}
	});

	it("reads order_id and user_id from tags, as an object (webhooks) or as [{name, value}] (the send API)", () => {
		const asObject = clone(resendDelivered) as { data: { tags: unknown } };
		asObject.data.tags = { category: "confirm_email", order_id: "ord_123", user_id: "user_2abc" };
		expect(eventOf(resend(asObject))).toMatchObject({ orderId: "ord_123", userId: "user_2abc" });
		const asArray = clone(resendDelivered) as { data: { tags: unknown } };
		asArray.data.tags = [
			{ name: "category", value: "confirm_email" },
			{ name: "order_id", value: "ord_123" },
		];
		expect(eventOf(resend(asArray))).toMatchObject({ orderId: "ord_123", userId: null });
		asArray.data.tags = null;
		expect(eventOf(resend(asArray))).toMatchObject({ orderId: null, userId: null });
	});

	it("reads the address inside `Name <address>`, and no recipient when the email had several", () => {
		const named = clone(resendDelivered);
		named.data.to = ["Delivered <delivered@resend.dev>"];
		expect(eventOf(resend(named)).recipient).toBe("delivered@resend.dev");
		const several = clone(resendDelivered);
		several.data.to = ["a@example.com", "b@example.com"];
		expect(eventOf(resend(several)).recipient).toBeNull();
	});

	it("reads types it does not handle as kind null, whatever their shape", () => {
		for (const type of ["email.scheduled", "email.received", "contact.created", "domain.updated", "constructor"]) {
			const event = eventOf(resend({ type, created_at: "2024-02-22T23:41:12.126Z", data: { id: 7 } }));
			expect(event).toMatchObject({ eventId: SVIX_ID, eventType: type, kind: null, messageId: "" });
		}
		expect(eventOf(resend({ ...resendDelivered, type: "email.later" }))).toMatchObject({
			kind: null,
			messageId: "56761188-7520-42d8-8898-ff6fc54ce618",
			at: new Date("2024-02-22T23:41:12.126Z"),
		});
	});

	it("needs the delivery's svix-id", () => {
		const failure = failureOf(resend(resendDelivered, {}));
		expect(failure).toMatchObject({ eventId: undefined, eventType: "email.delivered" });
		expect(failure.reason).toMatch(/^svix-id: /);
		expect(failureOf(resend(resendDelivered, { deliveryId: "x".repeat(256) })).eventId).toBeUndefined();
	});
});

describe("SendGrid", () => {
	const sendgridMessage = {
		// the part of sg_message_id before its first `.` (the reference's example is an old dotted id)
		messageId: "14c5d75ce93",
		at: new Date(1513299569 * 1000),
		recipient: "example@test.com",
		subject: null,
		orderId: null,
		userId: null,
	};

	it("reads the batch fixture into one reading per element, in order", () => {
		const readings = sendgrid(sendgridBatch);
		expect(readings).toHaveLength(sendgridBatch.length);
		expect(readings.map((reading) => eventOf([reading]))).toEqual([
			{
				...sendgridMessage,
				eventId: "rWVYmVk90MjZJ9iohOBa3w==",
				eventType: "delivered",
				kind: "delivered",
				bounceType: null,
			},
			{ ...sendgridMessage, eventId: "FOTFFO0ecsBE-zxFXfs6WA==", eventType: "open", kind: "opened", bounceType: null },
			{
				...sendgridMessage,
				eventId: "6g4ZI7SA-xmRDv57GoPIPw==",
				eventType: "bounce",
				kind: "bounced",
				bounceType: "hard",
			},
		]);
	});

	it.each([
		["delivered.json", "rWVYmVk90MjZJ9iohOBa3w==", "delivered", "delivered", null, sendgridDelivered],
		["open.json", "FOTFFO0ecsBE-zxFXfs6WA==", "open", "opened", null, sendgridOpen],
		["bounce.json", "6g4ZI7SA-xmRDv57GoPIPw==", "bounce", "bounced", "hard", sendgridBounce],
		["blocked.json", "6g4ZI7SA-xmRDv57GoPIPw==", "bounce", "bounced", "soft", sendgridBlocked],
		["dropped.json", "zmzJhfJgAfUSOW80yEbPyw==", "dropped", "failed", null, sendgridDropped],
	] as const)("reads %s (one event)", (_, eventId, eventType, kind, bounceType, payload) => {
		const readings = sendgrid(payload);
		expect(readings).toHaveLength(1);
		expect(eventOf(readings)).toEqual({ ...sendgridMessage, eventId, eventType, kind, bounceType });
	});

	it("maps processed, deferred, click and spamreport", () => {
		const [delivered] = sendgridDelivered;
		const kinds = ["processed", "deferred", "click", "spamreport"].map(
			(event) => eventOf(sendgrid([{ ...delivered, event }])).kind,
		);
		expect(kinds).toEqual(["sent", "delayed", "clicked", "complained"]);
	});

	it("reads custom arguments order_id and user_id (top-level keys of each event)", () => {
		const [delivered] = sendgridDelivered;
		const event = eventOf(sendgrid([{ ...delivered, order_id: "ord_9", user_id: "user_9", other_arg: "x" }]));
		expect(event).toMatchObject({ orderId: "ord_9", userId: "user_9" });
	});

	it("reads the message id as the X-Message-Id before the first `.`, from smtp-id when sg_message_id is empty", () => {
		const [delivered] = sendgridDelivered;
		const current = { ...delivered, sg_message_id: "evEK_IhZSlKus235aGfxIQ.filter0361p1las1-11880-5978131E-23.0" };
		expect(eventOf(sendgrid([current])).messageId).toBe("evEK_IhZSlKus235aGfxIQ");
		const asyncBounce = {
			...delivered,
			event: "bounce",
			type: "bounce",
			sg_message_id: "",
			"smtp-id": "<evEK_IhZSlKus235aGfxIQ@ismtpd0004p1iad1.sendgrid.net>",
		};
		expect(eventOf(sendgrid([asyncBounce])).messageId).toBe("evEK_IhZSlKus235aGfxIQ");
		const noMessage = { ...asyncBounce, "smtp-id": undefined };
		expect(failureOf(sendgrid([noMessage])).reason).toMatch(/^sg_message_id: /);
	});

	it("reads unsubscribe and group events, and types it does not know, as kind null", () => {
		const [delivered] = sendgridDelivered;
		const types = ["unsubscribe", "group_unsubscribe", "group_resubscribe", "something_new", "__proto__"];
		for (const event of types) {
			expect(eventOf(sendgrid([{ ...delivered, event }]))).toMatchObject({
				eventId: delivered?.sg_event_id,
				eventType: event,
				kind: null,
				messageId: "14c5d75ce93",
				at: new Date(1513299569 * 1000),
			});
		}
	});

	it("keys an event without sg_event_id by its type, whole sg_message_id and timestamp", () => {
		const { sg_event_id: _, ...withoutId } = sendgridDelivered[0] as (typeof sendgridDelivered)[number];
		const unsubscribe = { ...withoutId, event: "group_unsubscribe", asm_group_id: 42 };
		expect(eventOf(sendgrid([unsubscribe])).eventId).toBe(
			"group_unsubscribe:14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0:1513299569",
		);
		expect(eventOf(sendgrid([unsubscribe])).eventId).toBe(eventOf(sendgrid([clone(unsubscribe)])).eventId);
		const { sg_message_id: __, ...nothingToKey } = unsubscribe;
		expect(failureOf(sendgrid([nothingToKey]))).toMatchObject({ eventId: undefined, eventType: "group_unsubscribe" });
	});

	it("reads each element alone: a malformed one fails, its neighbours do not", () => {
		const [delivered, open, bounce] = sendgridBatch;
		const readings = sendgrid([delivered, { ...open, timestamp: `${SENTINEL}-1513299569` }, 42, bounce]);
		expect(readings.map((reading) => reading.ok)).toEqual([true, false, false, true]);
		expect(failureOf(readings, 1)).toMatchObject({ eventId: open?.sg_event_id, eventType: "open" });
		expect(failureOf(readings, 1).reason).toMatch(/^timestamp: /);
		expect(failureOf(readings, 2)).toMatchObject({ eventId: undefined, eventType: "unknown" });
	});

	it("answers one failure for a body that is not an array, and nothing for an empty one", () => {
		expect(sendgrid(sendgridDelivered[0])).toEqual([
			{
				ok: false,
				eventId: undefined,
				eventType: "unknown",
				reason: "(root): Invalid input: expected array, received object",
			},
		]);
		expect(sendgrid([])).toEqual([]);
	});
});

describe("Postmark", () => {
	const postmarkMessage = {
		messageId: "883953f4-6105-42a2-a16a-77a8eac79483",
		at: new Date("2019-11-05T16:33:54.907Z"),
		recipient: "john@example.com",
		orderId: null,
		userId: null,
	};

	it("reads the Delivery, Bounce and Open fixtures", () => {
		expect(eventOf(postmark(postmarkDelivery))).toEqual({
			...postmarkMessage,
			eventId: "Delivery:883953f4-6105-42a2-a16a-77a8eac79483:2019-11-05T16:33:54.9070259Z",
			eventType: "Delivery",
			kind: "delivered",
			bounceType: null,
			subject: null,
		});
		expect(eventOf(postmark(postmarkBounce))).toEqual({
			...postmarkMessage,
			eventId: "Bounce:883953f4-6105-42a2-a16a-77a8eac79483:2019-11-05T16:33:54.9070259Z",
			eventType: "Bounce",
			kind: "bounced",
			bounceType: "hard",
			subject: "Test subject",
		});
		expect(eventOf(postmark(postmarkOpen))).toEqual({
			...postmarkMessage,
			eventId: "Open:883953f4-6105-42a2-a16a-77a8eac79483:2019-11-05T16:33:54.9070259Z",
			eventType: "Open",
			kind: "opened",
			bounceType: null,
			subject: null,
		});
	});

	it("derives a key that is stable across redeliveries and distinct per record type and time", () => {
		const keyOf = (payload: unknown) => eventOf(postmark(payload)).eventId;
		expect(keyOf(postmarkOpen)).toBe(keyOf(clone(postmarkOpen)));
		expect(keyOf({ ...postmarkOpen, UserAgent: "other", Geo: {} })).toBe(keyOf(postmarkOpen));
		const keys = [
			keyOf(postmarkDelivery),
			keyOf(postmarkBounce),
			keyOf(postmarkOpen),
			keyOf({ ...postmarkOpen, ReceivedAt: "2019-11-05T16:33:55.0000000Z" }),
			keyOf({ ...postmarkOpen, ReceivedAt: "2019-11-05T16:33:54.9070260Z" }),
			keyOf({ ...postmarkOpen, RecordType: "Click" }),
			keyOf({ ...postmarkDelivery, MessageID: "00000000-0000-0000-0000-000000000000" }),
		];
		expect(new Set(keys).size).toBe(keys.length);
		expect(keys.every((key) => key.length <= 255)).toBe(true);
		expect(postmarkEventKey("Open", postmarkOpen.MessageID, postmarkOpen.ReceivedAt)).toBe(keyOf(postmarkOpen));
		// a key that would not fit the ledger is refused, never cut or hashed
		expect(postmarkEventKey("Open", "m".repeat(250), postmarkOpen.ReceivedAt)).toBeUndefined();
		const failure = failureOf(postmark({ ...postmarkOpen, MessageID: "m".repeat(250) }));
		expect(failure).toMatchObject({ eventId: undefined, eventType: "Open" });
		expect(failure.reason).toMatch(/^MessageID: /);
	});

	it.each([
		["HardBounce", "bounced", "hard"],
		["BadEmailAddress", "bounced", "hard"],
		["SoftBounce", "bounced", "soft"],
		["Transient", "bounced", "soft"],
		["DnsError", "bounced", "soft"],
		["Blocked", "bounced", "soft"],
		["Unknown", "bounced", "soft"],
		["AddedNextYear", "bounced", "soft"],
		["SpamComplaint", "complained", null],
		["TemplateRenderingFailed", "failed", null],
		["AutoResponder", null, null],
		["Unsubscribe", null, null],
		["ManuallyDeactivated", null, null],
	] as const)("reads a Bounce of Type %s as %s %s", (Type, kind, bounceType) => {
		expect(eventOf(postmark({ ...postmarkBounce, Type }))).toMatchObject({ eventType: "Bounce", kind, bounceType });
	});

	it("reads SpamComplaint and Click records, and Metadata's order_id and user_id", () => {
		const complaint = { ...postmarkBounce, RecordType: "SpamComplaint", Type: "SpamComplaint", TypeCode: 100001 };
		expect(eventOf(postmark(complaint))).toMatchObject({
			kind: "complained",
			at: postmarkMessage.at,
			recipient: "john@example.com",
			eventId: "SpamComplaint:883953f4-6105-42a2-a16a-77a8eac79483:2019-11-05T16:33:54.9070259Z",
		});
		const click = { ...postmarkOpen, RecordType: "Click", OriginalLink: "https://example.com" };
		expect(eventOf(postmark(click))).toMatchObject({ kind: "clicked", eventType: "Click" });
		const tagged = { ...postmarkDelivery, Metadata: { order_id: "ord_7", user_id: "user_7", a_key: "a_value" } };
		expect(eventOf(postmark(tagged))).toMatchObject({ orderId: "ord_7", userId: "user_7" });
	});

	it("reads SubscriptionChange and record types it does not know as kind null, keyed by their time", () => {
		const change = {
			RecordType: "SubscriptionChange",
			MessageID: postmarkMessage.messageId,
			ChangedAt: "2020-02-01T10:53:34.416071Z",
			Recipient: "john@example.com",
			SuppressSending: false,
		};
		expect(eventOf(postmark(change))).toMatchObject({
			eventId: `SubscriptionChange:${postmarkMessage.messageId}:2020-02-01T10:53:34.416071Z`,
			kind: null,
			at: new Date("2020-02-01T10:53:34.416Z"),
		});
		expect(eventOf(postmark({ ...postmarkDelivery, RecordType: "Inbound2030" }))).toMatchObject({
			eventId: `Inbound2030:${postmarkMessage.messageId}:2019-11-05T16:33:54.9070259Z`,
			kind: null,
		});
		expect(failureOf(postmark({ RecordType: "Inbound2030", MessageID: "m" }))).toMatchObject({ eventId: undefined });
	});

	it("refuses times without a zone or out of range, naming the field", () => {
		for (const DeliveredAt of ["2019-11-05T16:33:54.9070259", "1969-12-31T23:59:59Z", "2019-02-29T00:00:00Z", 1573]) {
			const failure = failureOf(postmark({ ...postmarkDelivery, DeliveredAt }));
			expect(failure).toMatchObject({ eventId: undefined, eventType: "Delivery" });
			expect(failure.reason).toMatch(/^DeliveredAt: /);
		}
		expect(eventOf(postmark({ ...postmarkDelivery, DeliveredAt: "2014-01-15T16:09:19.6421112-05:00" })).at).toEqual(
			new Date("2014-01-15T21:09:19.642Z"),
		);
	});
});

describe("Mailgun", () => {
	const mailgunMessage = {
		messageId: "20130503182626.18666.16540@sandbox.mailgun.org",
		recipient: "alice@example.com",
		orderId: "10423",
		userId: null,
	};

	it("reads the delivered, failed (permanent) and opened fixtures", () => {
		expect(eventOf(mailgun(mailgunDelivered))).toEqual({
			...mailgunMessage,
			eventId: "CPgfbmQMTCKtHW6uIWtuVe",
			eventType: "delivered",
			kind: "delivered",
			bounceType: null,
			at: new Date(1521472262908),
			subject: "Your order has shipped",
		});
		expect(eventOf(mailgun(mailgunFailedPermanent))).toEqual({
			...mailgunMessage,
			eventId: "G9Bn5sl1TC6nu79C8C0bwg",
			eventType: "failed",
			kind: "bounced",
			bounceType: "hard",
			at: new Date(1521233195375),
			subject: "Your order has shipped",
		});
		expect(eventOf(mailgun(mailgunOpened))).toEqual({
			...mailgunMessage,
			eventId: "Ase7i2zsRYeDXztHGENqRA",
			eventType: "opened",
			kind: "opened",
			bounceType: null,
			at: new Date(1521243339873),
			subject: null,
		});
	});

	const failed = (severity: unknown, reason: unknown) => {
		const payload = clone(mailgunFailedPermanent) as { "event-data": Record<string, unknown> };
		payload["event-data"].severity = severity;
		payload["event-data"].reason = reason;
		return payload;
	};

	it.each([
		["permanent", "suppress-bounce", "bounced", "hard"],
		["permanent", "bounce", "bounced", "hard"],
		["permanent", "generic", "bounced", "hard"],
		["permanent", undefined, "bounced", "hard"],
		["permanent", "suppress-unsubscribe", "failed", null],
		["permanent", "suppress-complaint", "failed", null],
		["permanent", "old", "bounced", "soft"],
		["temporary", "generic", "delayed", null],
		["temporary", "espblock", "delayed", null],
		["temporary", "old", "bounced", "soft"],
	] as const)("reads failed with severity %s and reason %s as %s %s", (severity, reason, kind, bounceType) => {
		expect(eventOf(mailgun(failed(severity, reason)))).toMatchObject({ eventType: "failed", kind, bounceType });
	});

	it("needs a failure's severity", () => {
		const failure = failureOf(mailgun(failed(`${SENTINEL}-permanent`, "bounce")));
		expect(failure).toMatchObject({ eventId: "G9Bn5sl1TC6nu79C8C0bwg", eventType: "failed" });
		expect(failure.reason).toMatch(/^event-data\.severity: /);
		expect(failure.reason).not.toContain(SENTINEL);
	});

	it("maps accepted, rejected, clicked and complained; unsubscribed, stored and unknown types are kind null", () => {
		const as = (event: string) => {
			const payload = clone(mailgunDelivered) as { "event-data": Record<string, unknown> };
			payload["event-data"].event = event;
			return eventOf(mailgun(payload));
		};
		expect(["accepted", "rejected", "clicked", "complained"].map((event) => as(event).kind)).toEqual([
			"sent",
			"failed",
			"clicked",
			"complained",
		]);
		for (const event of ["unsubscribed", "stored", "list_member_uploaded", "toString"]) {
			expect(as(event)).toMatchObject({ kind: null, eventType: event, eventId: "CPgfbmQMTCKtHW6uIWtuVe" });
		}
	});

	it("reads the message id without angle brackets, and numeric user-variables as text", () => {
		const payload = clone(mailgunDelivered) as {
			"event-data": { message: { headers: Record<string, unknown> }; "user-variables": unknown };
		};
		payload["event-data"].message.headers["message-id"] = "<20130503182626.18666.16540@sandbox.mailgun.org>";
		payload["event-data"]["user-variables"] = { order_id: 10423, user_id: "user_1" };
		expect(eventOf(mailgun(payload))).toMatchObject({ ...mailgunMessage, userId: "user_1" });
	});
});

describe("malformed events", () => {
	it("read as ok:false naming the path, never the value", () => {
		const secret = `${SENTINEL}-buyer@example.org`;
		const cases: [EmailReading[], RegExp][] = [
			[resend({ ...resendDelivered, created_at: secret }), /^created_at: /],
			[
				resend({ ...resendDelivered, data: { ...resendDelivered.data, email_id: `${secret}\u0000` } }),
				/^data\.email_id: /,
			],
			[
				resend({ ...resendDelivered, data: { ...resendDelivered.data, tags: { order_id: { secret } } } }),
				/^data\.tags\.order_id: /,
			],
			[resend({ ...resendDelivered, data: { ...resendDelivered.data, to: [42] } }), /^data\.to\.0: /],
			[sendgrid([{ ...sendgridDelivered[0], email: ["x", secret] }]), /^email: /],
			[sendgrid([{ ...sendgridDelivered[0], sg_event_id: `${secret}\ud800` }]), /^sg_event_id: /],
			[sendgrid([{ ...sendgridDelivered[0], order_id: secret.repeat(50) }]), /^order_id: /],
			[postmark({ ...postmarkBounce, Type: { secret } }), /^Type: /],
			[postmark({ ...postmarkDelivery, Metadata: { [secret]: 1, user_id: [secret] } }), /^Metadata\.user_id: /],
			[postmark({ ...postmarkDelivery, Recipient: `${secret}\u0000` }), /^Recipient: /],
			[
				mailgun({ ...mailgunDelivered, "event-data": { ...mailgunDelivered["event-data"], timestamp: secret } }),
				/^event-data\.timestamp: /,
			],
			[
				mailgun({ ...mailgunDelivered, "event-data": { ...mailgunDelivered["event-data"], message: secret } }),
				/^event-data\.message: /,
			],
		];
		for (const [readings, path] of cases) {
			expect(readings).toHaveLength(1);
			const failure = failureOf(readings);
			expect(failure.reason).toMatch(path);
			expect(failure.reason).not.toContain(SENTINEL);
			expect(failure.reason).not.toContain("example.org");
		}
	});

	it("read without a type or id as ok:false, and never throw on any JSON", () => {
		const bodies: unknown[] = [
			null,
			0,
			"email.sent",
			[],
			[null],
			{},
			{ type: 7 },
			{ "event-data": [] },
			{ RecordType: "" },
		];
		const readers: ReadEmailEvents[] = [readResend, readSendgrid, readPostmark, readMailgun];
		for (const read of readers)
			for (const body of bodies) {
				const readings = read(body, { deliveryId: SVIX_ID });
				for (const reading of readings) expect(reading.ok).toBe(false);
			}
		expect(failureOf(resend({ created_at: "x" }))).toMatchObject({ eventId: SVIX_ID, eventType: "unknown" });
	});
});

describe("parseInstant", () => {
	it("reads RFC 3339 date-times with a zone, 1970 to 9999, and nothing else", () => {
		expect(parseInstant("1970-01-01T00:00:00Z")).toEqual(new Date(0));
		expect(parseInstant("9999-12-31T23:59:59.999999999Z")).toEqual(new Date(253_402_300_799_999));
		expect(parseInstant("2024-02-22T23:41:11.894719+00:00")).toEqual(new Date("2024-02-22T23:41:11.894Z"));
		expect(parseInstant("2024-02-29T12:00:00+14:00")).toEqual(new Date("2024-02-28T22:00:00Z"));
		for (const text of [
			"1969-12-31T23:59:59Z",
			"1970-01-01T00:30:00+01:00",
			"9999-12-31T23:59:59-00:01",
			"2023-02-29T00:00:00Z",
			"2024-13-01T00:00:00Z",
			"2024-01-01T24:00:00Z",
			"2024-01-01T23:60:00Z",
			"2024-01-01T23:59:60Z",
			"2024-01-01T00:00:00",
			"2024-01-01 00:00:00Z",
			"2024-01-01T00:00:00.Z",
			"2024-01-01T00:00:00.1234567890Z",
			"+002024-01-01T00:00:00Z",
			"0099-01-01T00:00:00Z",
		])
			expect(parseInstant(text), text).toBeUndefined();
	});
});

// ---------------------------------------------------------------------------------------------
// Property: fixtures with one value replaced anywhere

type Path = (string | number)[];

/** Every path of a JSON value (the root excluded). */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
	if (value === null || typeof value !== "object") return [];
	const entries: [string | number, unknown][] = Array.isArray(value)
		? value.map((item, index) => [index, item])
		: Object.entries(value);
	return entries.flatMap(([key, item]) => [[...prefix, key], ...pathsOf(item, [...prefix, key])]);
}

function replaced(value: unknown, path: Path, replacement: unknown): unknown {
	const copy = clone(value);
	let target = copy as Record<string | number, unknown>;
	for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
	target[path.at(-1) as string | number] = replacement;
	return copy;
}

const fixtures: [string, ReadEmailEvents, unknown][] = [
	...[
		resendSent,
		resendDelivered,
		resendDeliveryDelayed,
		resendBounced,
		resendComplained,
		resendOpened,
		resendClicked,
	].map((payload) => ["resend", readResend, payload] as [string, ReadEmailEvents, unknown]),
	...[sendgridBatch, sendgridBlocked, sendgridDropped].map(
		(payload) => ["sendgrid", readSendgrid, payload] as [string, ReadEmailEvents, unknown],
	),
	...[postmarkDelivery, postmarkBounce, postmarkOpen].map(
		(payload) => ["postmark", readPostmark, payload] as [string, ReadEmailEvents, unknown],
	),
	...[mailgunDelivered, mailgunFailedPermanent, mailgunOpened].map(
		(payload) => ["mailgun", readMailgun, payload] as [string, ReadEmailEvents, unknown],
	),
];

const storableId = (value: string) => value.length >= 1 && value.length <= 255 && isStorableText(value);

describe("any fixture with a value replaced", () => {
	it("reads without throwing: storable events, reasons without values", () => {
		const replacement = fc.oneof(
			oddValue.map((value) => JSON.parse(jsonText(value)) as unknown),
			fc.string().map((text) => `${SENTINEL}${text}`),
			fc.constantFrom("Transient", "blocked", "temporary", "old", "SpamComplaint", "email.bounced", "bounce"),
		);
		const scenario = fc.integer({ min: 0, max: fixtures.length - 1 }).chain((index) => {
			const [name, read, payload] = fixtures[index] as [string, ReadEmailEvents, unknown];
			const paths = pathsOf(payload);
			return fc.record({
				name: fc.constant(name),
				read: fc.constant(read),
				payload: fc.constantFrom(...paths).chain((path) => replacement.map((value) => replaced(payload, path, value))),
			});
		});
		fc.assert(
			fc.property(scenario, ({ read, payload }) => {
				const readings = read(payload, { deliveryId: SVIX_ID });
				expect(readings.length).toBe(Array.isArray(payload) ? payload.length : 1);
				for (const reading of readings) {
					if (!reading.ok) {
						expect(reading.reason).not.toContain(SENTINEL);
						expect(reading.reason.length).toBeLessThanOrEqual(500);
						continue;
					}
					const { event } = reading;
					expect(storableId(event.eventId)).toBe(true);
					expect(event.kind === null || storableId(event.messageId)).toBe(true);
					expect(Number.isNaN(event.at.getTime())).toBe(false);
					expect(event.at.getTime()).toBeGreaterThanOrEqual(0);
					expect(event.at.getTime()).toBeLessThanOrEqual(253_402_300_799_999);
					for (const id of [event.recipient, event.orderId, event.userId])
						if (id !== null) expect(isStorableText(id)).toBe(true);
					if (event.subject !== null) expect(isStorableText(event.subject)).toBe(true);
					expect(event.bounceType === null).toBe(event.kind !== "bounced");
				}
			}),
			propertyOptions(300),
		);
	});
});
