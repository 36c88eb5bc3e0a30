/**
 * `notify` jobs through the Worker's real queue() handler (issue 10, item 6): an outbox row sent
 * through Resend once, with its id as the idempotency key, whatever duplicates or replays of its job
 * arrive; skipped without an API key or to a suppressed address; retried on Resend's failures (with
 * backoff, or after Retry-After on a 429, the row waiting longer than its message when Queues cannot
 * delay that long) and failed on a refusal or after the last attempt; every attempt sends the body the
 * first one wrote on the row (Resend refuses a key reused with another body), whatever changed in
 * between; the sent message recorded in email_messages, where Resend's later events about it find
 * the order. Resend is
 * mocked at the network edge only (test/support/resend-api.ts); no log line names the recipient, the
 * subject or the API key.
 */
import { createMessageBatch } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { notifications, shipments } from "../../src/db/schema";
import { MAX_DELAY_SECONDS } from "../../src/queue/backoff";
import { MAX_NOTIFY_ATTEMPTS, reusedKeyErrors } from "../../src/queue/notify";
import { uniqueId } from "../support/clerk";
import { deliver, webhookLine } from "../support/deliver";
import { resendEvent, resendRequest, withSettings } from "../support/email";
import {
	customerOrder,
	dueNow,
	notificationRow,
	pendingNotification,
	resendMessage,
	secondsUntilNextAttempt,
	shipmentOf,
	suppress,
} from "../support/outbox";
import { consume, JOBS_QUEUE, notificationLines, notifyJob, runQueue } from "../support/queue";
import { accepted, mockResend, resendError, resendMessageId } from "../support/resend-api";
import { testDb } from "../support/rows";
import { unreachableDatabaseUrl } from "../support/unreachable";

const API_KEY = "re_test_7f3a9c";
const withKey = (settings: Record<string, string | undefined> = {}) =>
	withSettings({ RESEND_API_KEY: API_KEY, ...settings });

afterEach(() => vi.restoreAllMocks());

/** A customer's order with a delivered parcel and its pending `delivered` notification. */
async function deliveredOrder() {
	const customer = await customerOrder();
	const shipment = await shipmentOf(customer.orderId, {
		status: "delivered",
		trackingUrl: "https://tools.usps.com/go/TrackConfirmAction?tLabels=9400",
	});
	const id = await pendingNotification(customer.orderId, customer.recipient);
	return { ...customer, shipment, id };
}

/** Nothing private in what was logged: no address, no subject, no API key. */
function expectNothingPrivate(logText: string, ...secrets: string[]) {
	expect(logText).not.toContain("@");
	expect(logText).not.toContain(API_KEY);
	for (const secret of secrets) expect(logText).not.toContain(secret);
}

describe("sending", () => {
	it("sends once through Resend: idempotency key, sender, recipient, tags; the row sent; email_messages recorded", async () => {
		const { id, orderId, userId, recipient, shipment } = await deliveredOrder();
		const messageId = resendMessageId();
		const resend = mockResend(() => accepted(messageId));

		const consumed = await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());

		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(resend.calls).toHaveLength(1);
		const [call] = resend.calls;
		expect(call?.url).toBe("https://api.resend.com/emails");
		expect(call?.method).toBe("POST");
		expect(call?.headers["idempotency-key"]).toBe(`notification-${id}`);
		expect(call?.headers.authorization).toBe(`Bearer ${API_KEY}`);
		expect(call?.body).toMatchObject({
			from: "onboarding@resend.dev",
			to: [recipient],
			tags: [
				{ name: "order_id", value: orderId },
				{ name: "notification_id", value: String(id) },
			],
		});
		expect(call?.body.subject).toContain(orderId);
		expect(call?.body.text).toContain(shipment.trackingNumber);

		expect(await notificationRow(id)).toMatchObject({
			status: "sent",
			attempts: 1,
			providerMessageId: messageId,
			lastError: null,
			claimedUntil: null,
			sentAt: expect.any(Date),
		});
		expect(await resendMessage(messageId)).toMatchObject({
			provider: "resend",
			recipient,
			subject: call?.body.subject,
			orderId,
			userId,
			status: "sent",
			sentAt: expect.any(Date),
		});
		expect(notificationLines(consumed)).toEqual([
			expect.objectContaining({
				level: "info",
				notification_id: id,
				order_id: orderId,
				kind: "delivered",
				outcome: "sent",
				status_code: 200,
				attempt: 1,
			}),
		]);
		expectNothingPrivate(consumed.logText, call?.body.subject ?? "subject");
	});

	it("from NOTIFY_FROM when set", async () => {
		const { id } = await deliveredOrder();
		const resend = mockResend(() => accepted(resendMessageId()));
		await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey({ NOTIFY_FROM: "Shop <orders@shop.example>" }));
		expect(resend.calls[0]?.body.from).toBe("Shop <orders@shop.example>");
	});

	it("a delivery-problem notice goes to its recipient (OPS_EMAIL's), about nobody: no user on its message", async () => {
		const { orderId } = await customerOrder();
		await shipmentOf(orderId, { status: "exception", exceptionReason: "return_to_sender" });
		const id = await pendingNotification(orderId, "ops@shop.example", { kind: "delivery_exception" });
		const messageId = resendMessageId();
		const resend = mockResend(() => accepted(messageId));
		await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());
		expect(resend.calls[0]?.body.to).toEqual(["ops@shop.example"]);
		expect(await resendMessage(messageId)).toMatchObject({ orderId, userId: null, recipient: "ops@shop.example" });
	});

	it("a later Resend email.delivered webhook about the sent message updates it, still linked to the order", async () => {
		const { id, orderId, recipient } = await deliveredOrder();
		const messageId = resendMessageId();
		const resend = mockResend(() => accepted(messageId));
		await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());
		const subject = resend.calls[0]?.body.subject ?? null;

		const at = new Date(Date.now() + 60_000).toISOString();
		const delivered = await deliver(
			resendRequest(resendEvent({ type: "email.delivered", emailId: messageId, to: recipient, at, subject })),
		);
		expect(delivered.status).toBe(200);
		expect(webhookLine(delivered)).toMatchObject({ outcome: "applied" });
		expect(await resendMessage(messageId)).toMatchObject({
			orderId,
			status: "delivered",
			deliveredAt: new Date(at),
			sentAt: expect.any(Date),
		});
	});
});

describe("exactly once", () => {
	it("a replayed job after the send: nothing claimed, no second email, acked", async () => {
		const { id } = await deliveredOrder();
		const resend = mockResend(() => accepted(resendMessageId()));
		await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());
		const replay = await consume(JOBS_QUEUE, [{ body: notifyJob(id) }, { body: notifyJob(id) }], withKey());
		expect(resend.calls).toHaveLength(1);
		expect(replay.value.explicitAcks).toEqual(replay.ids);
		expect(notificationLines(replay)).toEqual([
			expect.objectContaining({ notification_id: id, outcome: "duplicate", reason: "not_claimable" }),
			expect.objectContaining({ notification_id: id, outcome: "duplicate", reason: "not_claimable" }),
		]);
		expect(await notificationRow(id)).toMatchObject({ status: "sent", attempts: 1 });
	});

	it("concurrent duplicate jobs (two batches at once): one claims it, one email", async () => {
		const { id } = await deliveredOrder();
		const resend = mockResend(async () => {
			await new Promise((resolve) => setTimeout(resolve, 50)); // Resend takes a moment: the other job runs meanwhile
			return accepted(resendMessageId());
		});
		const bindings = withKey();
		const batch = () =>
			createMessageBatch(JOBS_QUEUE, [
				{ id: uniqueId("message"), timestamp: new Date(), attempts: 1, body: notifyJob(id) },
			]);
		const quiet = (["log", "warn", "error"] as const).map((level) =>
			vi.spyOn(console, level).mockImplementation(() => {}),
		);
		const results = await Promise.all([
			runQueue(batch(), bindings),
			runQueue(batch(), bindings),
			runQueue(batch(), bindings),
		]);
		for (const spy of quiet) spy.mockRestore();
		expect(resend.calls).toHaveLength(1);
		for (const result of results) expect(result.explicitAcks).toHaveLength(1);
		expect(await notificationRow(id)).toMatchObject({ status: "sent", attempts: 1 });
	});

	it("a row held by another job (claimed, not lapsed) is left to it", async () => {
		const { id } = await deliveredOrder();
		const resend = mockResend(() => accepted(resendMessageId()));
		const held = new Date(Date.now() + 60_000);
		await testDb().update(notifications).set({ claimedUntil: held }).where(eq(notifications.id, id));
		const consumed = await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());
		expect(resend.calls).toHaveLength(0);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(await notificationRow(id)).toMatchObject({ status: "pending", attempts: 0 });
	});
});

/**
 * A Resend that remembers each idempotency key's first body, as the real API does: the same body
 * again gets the first answer, another body 409 `invalid_idempotent_request`
 * (https://resend.com/docs/dashboard/emails/idempotency-keys). `lostFirst`: the first request is
 * accepted (and would be sent) but its answer is lost on the way back. `taken`: bodies that other
 * requests used the keys with already.
 */
function idempotentResend(options: { lostFirst?: boolean; taken?: Record<string, unknown> } = {}) {
	const seen = new Map<string, string>(
		Object.entries(options.taken ?? {}).map(([key, body]) => [key, JSON.stringify(body)]),
	);
	const messageId = resendMessageId();
	const resend = mockResend((call, n) => {
		const key = call.headers["idempotency-key"] as string;
		const body = JSON.stringify(call.body);
		const first = seen.get(key);
		if (first === undefined) {
			seen.set(key, body);
			if (n === 1 && options.lostFirst) return Promise.reject(new TypeError("Network connection lost."));
			return accepted(messageId);
		}
		return first === body ? accepted(messageId) : resendError(409, "invalid_idempotent_request");
	});
	return { ...resend, messageId };
}

describe("every attempt sends the same body (Resend refuses a key reused with another)", () => {
	it("the first attempt writes its subject, text and sender on the row, before sending", async () => {
		const { id, orderId, shipment } = await deliveredOrder();
		const resend = mockResend(() => Promise.reject(new TypeError("Network connection lost.")));
		await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey({ NOTIFY_FROM: "Shop <orders@shop.example>" }));
		const [call] = resend.calls;
		const row = await notificationRow(id);
		expect(row).toMatchObject({
			status: "pending",
			subject: call?.body.subject,
			text: call?.body.text,
			sender: "Shop <orders@shop.example>",
		});
		expect(row.subject).toContain(orderId);
		expect(row.text).toContain(shipment.trackingNumber);
	});

	it("an operator's notice whose parcel moved on between attempts: the retry sends the first body, and the row ends sent", async () => {
		vi.spyOn(Math, "random").mockReturnValue(0);
		const { orderId } = await customerOrder();
		const ship = await shipmentOf(orderId, { status: "exception", exceptionReason: "AttemptFail" });
		const id = await pendingNotification(orderId, "ops@shop.example", { kind: "delivery_exception" });
		const resend = idempotentResend({ lostFirst: true });

		await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());
		expect(await notificationRow(id)).toMatchObject({ status: "pending", attempts: 1 });
		// the carrier scans the parcel again: back in transit, no exception reason any more
		await testDb()
			.update(shipments)
			.set({ status: "in_transit", exceptionReason: null })
			.where(eq(shipments.id, ship.id));
		await dueNow(id);
		const second = await consume(JOBS_QUEUE, [{ body: notifyJob(id), attempts: 2 }], withKey());

		expect(resend.calls).toHaveLength(2);
		expect(resend.calls[1]?.body).toEqual(resend.calls[0]?.body);
		expect(resend.calls[1]?.body.text).toContain("AttemptFail");
		expect(second.value.explicitAcks).toEqual(second.ids);
		expect(await notificationRow(id)).toMatchObject({
			status: "sent",
			attempts: 2,
			providerMessageId: resend.messageId,
			lastError: null,
		});
	});

	it("a customer's notice: a parcel's link and a second parcel added between attempts change nothing sent", async () => {
		vi.spyOn(Math, "random").mockReturnValue(0);
		const { orderId, recipient } = await customerOrder();
		const s = await shipmentOf(orderId, { status: "delivered", trackingUrl: "https://t.example/b" });
		const id = await pendingNotification(orderId, recipient);
		const resend = idempotentResend({ lostFirst: true });
		await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());
		await testDb().update(shipments).set({ trackingUrl: "https://t.example/a" }).where(eq(shipments.id, s.id));
		await shipmentOf(orderId, { status: "delivered", trackingUrl: "https://t.example/c" });
		await dueNow(id);
		await consume(JOBS_QUEUE, [{ body: notifyJob(id), attempts: 2 }], withKey());
		expect(resend.calls.map((c) => c.headers["idempotency-key"])).toEqual([`notification-${id}`, `notification-${id}`]);
		expect(resend.calls[1]?.body).toEqual(resend.calls[0]?.body);
		expect(resend.calls[1]?.body.text).toContain("https://t.example/b");
		expect(await notificationRow(id)).toMatchObject({ status: "sent" });
	});

	it("NOTIFY_FROM changed between attempts: the retry keeps the first sender", async () => {
		vi.spyOn(Math, "random").mockReturnValue(0);
		const { id } = await deliveredOrder();
		const resend = idempotentResend({ lostFirst: true });
		await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey({ NOTIFY_FROM: "Shop <old@shop.example>" }));
		await dueNow(id);
		await consume(
			JOBS_QUEUE,
			[{ body: notifyJob(id), attempts: 2 }],
			withKey({ NOTIFY_FROM: "Shop <new@shop.example>" }),
		);
		expect(resend.calls.map((c) => c.body.from)).toEqual(["Shop <old@shop.example>", "Shop <old@shop.example>"]);
		expect(await notificationRow(id)).toMatchObject({ status: "sent", sender: "Shop <old@shop.example>" });
	});

	it("a 409 invalid_idempotent_request after an earlier attempt built another body (a row from before its message was kept): failed, saying it may have been delivered", async () => {
		const { id, orderId, recipient } = await deliveredOrder();
		// its first attempt went out (before migration 0011) with a body nobody kept
		await testDb().update(notifications).set({ attempts: 1 }).where(eq(notifications.id, id));
		const resend = idempotentResend({
			taken: {
				[`notification-${id}`]: { from: "onboarding@resend.dev", to: [recipient], subject: "older", text: "older" },
			},
		});
		const consumed = await consume(JOBS_QUEUE, [{ body: notifyJob(id), attempts: 2 }], withKey());
		expect(resend.calls).toHaveLength(1);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(await notificationRow(id)).toMatchObject({
			status: "failed",
			attempts: 2,
			lastError: reusedKeyErrors.bodyChanged,
		});
		expect(notificationLines(consumed)).toEqual([
			expect.objectContaining({
				level: "error",
				alert: "notification_failed",
				outcome: "failed",
				status_code: 409,
				order_id: orderId,
				reason: reusedKeyErrors.bodyChanged,
			}),
		]);
		expectNothingPrivate(consumed.logText);
	});

	it("a 409 invalid_idempotent_request on the first attempt (another request holds the key): failed, not sent", async () => {
		const { id } = await deliveredOrder();
		idempotentResend({ taken: { [`notification-${id}`]: { subject: "someone else's" } } });
		await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());
		expect(await notificationRow(id)).toMatchObject({
			status: "failed",
			attempts: 1,
			lastError: reusedKeyErrors.keyTaken,
			providerMessageId: null,
		});
	});
});

describe("skipped", () => {
	it("no RESEND_API_KEY: skipped with a log line, nothing sent", async () => {
		const { id } = await deliveredOrder();
		const resend = mockResend(() => accepted(resendMessageId()));
		const consumed = await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withSettings({ RESEND_API_KEY: undefined }));
		expect(resend.calls).toHaveLength(0);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(await notificationRow(id)).toMatchObject({ status: "skipped", lastError: "no RESEND_API_KEY", attempts: 1 });
		expect(notificationLines(consumed)).toEqual([
			expect.objectContaining({ level: "info", notification_id: id, outcome: "skipped", reason: "no RESEND_API_KEY" }),
		]);
	});

	it("a suppressed recipient (any case): skipped, nothing sent", async () => {
		const { id, email } = await deliveredOrder();
		await suppress(email.toUpperCase());
		const resend = mockResend(() => accepted(resendMessageId()));
		const consumed = await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());
		expect(resend.calls).toHaveLength(0);
		expect(await notificationRow(id)).toMatchObject({ status: "skipped", lastError: "suppressed" });
		expect(notificationLines(consumed)).toEqual([
			expect.objectContaining({ outcome: "skipped", reason: "suppressed", notification_id: id }),
		]);
		expectNothingPrivate(consumed.logText);
	});
});

describe("Resend failing", () => {
	it("500 then 200: retried with backoff (the row waits, unclaimed), then sent with the same idempotency key", async () => {
		vi.spyOn(Math, "random").mockReturnValue(0); // the shortest backoff: 1 s, due within the 5 s margin
		const { id } = await deliveredOrder();
		const messageId = resendMessageId();
		const resend = mockResend((_call, n) => (n === 1 ? resendError(500, "application_error") : accepted(messageId)));

		const first = await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());
		expect(first.retried).toEqual([{ msgId: first.ids[0], delaySeconds: 1 }]);
		expect(first.value.explicitAcks).toEqual([]);
		expect(await notificationRow(id)).toMatchObject({
			status: "pending",
			attempts: 1,
			lastError: "resend 500 application_error",
			claimedUntil: null,
		});
		expect(notificationLines(first)).toEqual([
			expect.objectContaining({ level: "warn", outcome: "retry", status_code: 500, delay_seconds: 1, attempt: 1 }),
		]);

		const second = await consume(JOBS_QUEUE, [{ body: notifyJob(id), attempts: 2 }], withKey());
		expect(second.value.explicitAcks).toEqual(second.ids);
		expect(resend.calls.map((c) => c.headers["idempotency-key"])).toEqual([`notification-${id}`, `notification-${id}`]);
		expect(await notificationRow(id)).toMatchObject({
			status: "sent",
			attempts: 2,
			providerMessageId: messageId,
			lastError: null,
		});
		expectNothingPrivate(first.logText + second.logText);
	});

	it("Resend unreachable (network error): retried the same way", async () => {
		vi.spyOn(Math, "random").mockReturnValue(0.999_999);
		const { id } = await deliveredOrder();
		mockResend(() => Promise.reject(new TypeError("Network connection lost.")));
		const consumed = await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());
		expect(consumed.retried).toEqual([{ msgId: consumed.ids[0], delaySeconds: 15 }]);
		expect(await notificationRow(id)).toMatchObject({
			status: "pending",
			lastError: "resend unreachable (network error or timeout)",
		});
	});

	it("429 with Retry-After: 120: the message retried after 120 s, the row due then", async () => {
		const { id } = await deliveredOrder();
		mockResend(() => resendError(429, "rate_limit_exceeded", { "Retry-After": "120" }));
		const consumed = await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());
		expect(consumed.retried).toEqual([{ msgId: consumed.ids[0], delaySeconds: 120 }]);
		expect(await notificationRow(id)).toMatchObject({
			status: "pending",
			lastError: "resend 429 rate_limit_exceeded",
			claimedUntil: null,
		});
		const wait = await secondsUntilNextAttempt(id);
		expect(wait).toBeGreaterThan(60);
		expect(wait).toBeLessThanOrEqual(120);
		// a job arriving before then finds nothing to claim
		const early = await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());
		expect(notificationLines(early)).toEqual([expect.objectContaining({ outcome: "duplicate" })]);
	});

	it("429 with a Retry-After longer than a queue message waits (20 h): the row waits 20 h, its message 12 h, then is acked as early", async () => {
		const { id } = await deliveredOrder();
		const resend = mockResend(() => resendError(429, "daily_quota_exceeded", { "Retry-After": String(20 * 3600) }));
		const consumed = await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());
		expect(consumed.retried).toEqual([{ msgId: consumed.ids[0], delaySeconds: MAX_DELAY_SECONDS }]);
		expect(MAX_DELAY_SECONDS).toBe(12 * 3600);
		const wait = await secondsUntilNextAttempt(id);
		expect(wait).toBeGreaterThan(20 * 3600 - 60);
		expect(wait).toBeLessThanOrEqual(20 * 3600);
		expect(notificationLines(consumed)).toEqual([
			expect.objectContaining({ outcome: "retry", status_code: 429, delay_seconds: 20 * 3600 }),
		]);
		// 12 h later the message is back; the row is not due for 8 h more: nothing sent, the message acked
		const early = await consume(JOBS_QUEUE, [{ body: notifyJob(id), attempts: 2 }], withKey());
		expect(early.value.explicitAcks).toEqual(early.ids);
		expect(early.retried).toEqual([]);
		expect(notificationLines(early)).toEqual([
			expect.objectContaining({ outcome: "duplicate", reason: "not_claimable" }),
		]);
		expect(resend.calls).toHaveLength(1);
		expect(await notificationRow(id)).toMatchObject({ status: "pending", attempts: 1 });
	});

	it("422: failed at once, with an alert at error; Resend's message (it quotes the address) is not kept", async () => {
		const { id } = await deliveredOrder();
		mockResend(() => resendError(422, "validation_error"));
		const consumed = await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		const row = await notificationRow(id);
		expect(row).toMatchObject({ status: "failed", lastError: "resend 422 validation_error", claimedUntil: null });
		expect(notificationLines(consumed)).toEqual([
			expect.objectContaining({
				level: "error",
				alert: "notification_failed",
				outcome: "failed",
				status_code: 422,
				notification_id: id,
			}),
		]);
		expectNothingPrivate(consumed.logText);
	});

	it(`still failing at attempt ${MAX_NOTIFY_ATTEMPTS}: failed, with the alert`, async () => {
		const { orderId, recipient } = await customerOrder();
		const id = await pendingNotification(orderId, recipient, { attempts: MAX_NOTIFY_ATTEMPTS - 1 });
		mockResend(() => resendError(503, "service_unavailable"));
		const consumed = await consume(JOBS_QUEUE, [{ body: notifyJob(id) }], withKey());
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(await notificationRow(id)).toMatchObject({
			status: "failed",
			attempts: MAX_NOTIFY_ATTEMPTS,
			lastError: `resend 503 service_unavailable (after ${MAX_NOTIFY_ATTEMPTS} attempts)`,
		});
		expect(notificationLines(consumed)).toEqual([
			expect.objectContaining({ level: "error", alert: "notification_failed", attempt: MAX_NOTIFY_ATTEMPTS }),
		]);
	});
});

describe("the database", () => {
	it("unreachable at the claim: the message retried with backoff, nothing sent", async () => {
		const { id } = await deliveredOrder();
		const resend = mockResend(() => accepted(resendMessageId()));
		const consumed = await consume(
			JOBS_QUEUE,
			[{ body: notifyJob(id) }],
			withKey({ DATABASE_URL: unreachableDatabaseUrl }),
		);
		expect(resend.calls).toHaveLength(0);
		expect(consumed.retried).toHaveLength(1);
		expect(notificationLines(consumed)).toEqual([
			expect.objectContaining({ level: "warn", outcome: "retry", reason: "database_unavailable" }),
		]);
		expect(await notificationRow(id)).toMatchObject({ status: "pending", attempts: 0 });
	});
});
