/**
 * Issue "every signed event accounted for", kind 6: personal data leaves with the user. After
 * `user.deleted`, the ledger keeps every event about the user (ids, types, times, outcomes) but none
 * of their personal data, erased in the tombstone's own transaction; later events about them are
 * stored erased. A validation reason never echoes a sender's key or value.
 */
import { describe, expect, it } from "vitest";
import { clerkRequest, uniqueId, userDeletedEvent, userEvent } from "../support/clerk";
import { deliver, webhookLine } from "../support/deliver";
import { ledgerRows, userRow } from "../support/rows";
import { pendingOrder, type StripeTestEvent, stripeEvent, stripeRequest } from "../support/stripe";

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
const MINUTE = 60_000;

function personalUserEvent(type: "user.created" | "user.updated", userId: string, at: number) {
	const event = userEvent(type, userId, at) as ReturnType<typeof userEvent> & Record<string, unknown>;
	event.data.first_name = "Ada";
	event.data.last_name = "Lovelace";
	(event.data as Record<string, unknown>).username = "ada1815";
	for (const address of event.data.email_addresses) address.email_address = "ada@example.org";
	event.event_attributes = { http_request: { client_ip: "203.0.113.7", user_agent: "Mozilla/5.0 (Ada's laptop)" } };
	return event;
}

const personal = ["Ada", "Lovelace", "ada1815", "ada@example.org", "203.0.113.7", "Mozilla"];

function expectNoPersonalData(row: { payload: unknown; rawBody: string | null } | undefined) {
	const stored = JSON.stringify(row?.payload) + (row?.rawBody ?? "");
	for (const value of personal) expect(stored).not.toContain(value);
}

describe("personal data leaves the ledger with the user", () => {
	it("user.deleted erases the names, emails and client IP of the user's earlier events, keeping ids, types and times", async () => {
		const userId = uniqueId("user");
		const created = uniqueId("msg");
		const updated = uniqueId("msg");
		await deliver(clerkRequest(personalUserEvent("user.created", userId, T0), { id: created }));
		await deliver(clerkRequest(personalUserEvent("user.updated", userId, T0 + MINUTE), { id: updated }));
		const [before] = await ledgerRows("clerk", created);
		expect(JSON.stringify(before?.payload)).toContain("ada@example.org");

		const deletedId = uniqueId("msg");
		const deleted = userDeletedEvent(userId, T0 + 2 * MINUTE) as ReturnType<typeof userDeletedEvent> &
			Record<string, unknown>;
		deleted.event_attributes = { http_request: { client_ip: "203.0.113.7", user_agent: "Mozilla/5.0" } };
		const delivered = await deliver(clerkRequest(deleted, { id: deletedId }));
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });

		for (const eventId of [created, updated, deletedId]) {
			const [row] = await ledgerRows("clerk", eventId);
			expectNoPersonalData(row);
			expect(row?.erasedAt).toBeInstanceOf(Date);
			expect(row?.subjectUserId).toBe(userId);
			expect(row?.status).toBe("processed");
		}
		const [erased] = await ledgerRows("clerk", created);
		expect(erased?.eventType).toBe("user.created");
		expect(erased?.payload).toMatchObject({ type: "user.created", data: { id: userId, object: "user" } });
		expect(erased?.payload).toHaveProperty("data.created_at");
		expect(await userRow(userId)).toMatchObject({ email: null, firstName: null });
	});

	it("an event about a deleted user that arrives later is stored erased", async () => {
		const userId = uniqueId("user");
		await deliver(clerkRequest(userDeletedEvent(userId, T0)));
		const late = uniqueId("msg");
		const delivered = await deliver(clerkRequest(personalUserEvent("user.updated", userId, T0 - MINUTE), { id: late }));
		expect(delivered.body).toEqual({ received: true, outcome: "stale" });
		const [row] = await ledgerRows("clerk", late);
		expectNoPersonalData(row);
		expect(row?.erasedAt).toBeInstanceOf(Date);
	});

	it("a failed event with a NUL (kept verbatim in raw_body) loses its raw body too", async () => {
		const userId = uniqueId("user");
		const eventId = uniqueId("msg");
		const event = personalUserEvent("user.created", userId, T0);
		event.data.last_name = "Love\u0000lace";
		await deliver(clerkRequest(event, { id: eventId }));
		expect((await ledgerRows("clerk", eventId))[0]?.rawBody).toContain("ada@example.org");
		await deliver(clerkRequest(userDeletedEvent(userId, T0 + MINUTE)));
		const [row] = await ledgerRows("clerk", eventId);
		expect(row?.rawBody).toBeNull();
		expectNoPersonalData(row);
	});

	it("Clerk session events (ignored) are about their user_id and leave with them", async () => {
		const userId = uniqueId("user");
		const eventId = uniqueId("msg");
		const session = {
			type: "session.created",
			timestamp: T0,
			data: { id: uniqueId("sess"), user_id: userId, object: "session", status: "active" },
			event_attributes: { http_request: { client_ip: "203.0.113.7", user_agent: "Mozilla/5.0" } },
		};
		expect((await deliver(clerkRequest(session, { id: eventId }))).body.outcome).toBe("ignored");
		await deliver(clerkRequest(userDeletedEvent(userId, T0 + MINUTE)));
		const [row] = await ledgerRows("clerk", eventId);
		expectNoPersonalData(row);
		expect(row?.payload).toMatchObject({ type: "session.created", data: { object: "session", status: "active" } });
	});

	it("a Stripe payment of the user's order is erased with them (receipt email, metadata)", async () => {
		const userId = uniqueId("user");
		await deliver(clerkRequest(personalUserEvent("user.created", userId, T0)));
		const order = await pendingOrder(4999, { userId });
		const event = stripeEvent("payment_intent.succeeded");
		event.data.object.id = order.stripePaymentIntentId;
		event.data.object.metadata = { order_id: order.id, buyer_name: "Ada Lovelace" };
		event.data.object.receipt_email = "ada@example.org";
		expect((await deliver(await stripeRequest(event))).body.outcome).toBe("applied");
		const [before] = await ledgerRows("stripe", event.id);
		expect(before?.subjectUserId).toBe(userId);

		await deliver(clerkRequest(userDeletedEvent(userId, T0 + MINUTE)));
		const [row] = await ledgerRows("stripe", event.id);
		expectNoPersonalData(row);
		expect(row?.payload).toMatchObject({
			id: event.id,
			type: "payment_intent.succeeded",
			data: { object: { id: order.stripePaymentIntentId, amount: event.data.object.amount, currency: "usd" } },
		});
	});
});

describe("Stripe events whose order is unknown still leave with their user", () => {
	async function deleteAfter(userId: string, events: StripeTestEvent[]) {
		for (const event of events) await deliver(await stripeRequest(event));
		await deliver(clerkRequest(userDeletedEvent(userId, T0 + MINUTE)));
		for (const event of events) {
			const [row] = await ledgerRows("stripe", event.id);
			expect(row?.subjectUserId).toBe(userId);
			expect(JSON.stringify(row?.payload)).not.toContain("ada@example.org");
			expect(row?.erasedAt).toBeInstanceOf(Date);
		}
	}

	it("an unmatched payment, a shape failure and a guest order's payment, named by metadata.user_id", async () => {
		const userId = uniqueId("user");
		await deliver(clerkRequest(personalUserEvent("user.created", userId, T0)));
		const unmatched = stripeEvent("payment_intent.succeeded");
		unmatched.data.object.metadata = { order_id: uniqueId("order_nowhere"), user_id: userId };
		unmatched.data.object.receipt_email = "ada@example.org";
		const broken = stripeEvent("payment_intent.succeeded");
		broken.data.object.metadata = { order_id: 123, user_id: userId };
		broken.data.object.receipt_email = "ada@example.org";
		const guest = await pendingOrder();
		const guestPayment = stripeEvent("payment_intent.succeeded");
		guestPayment.data.object.id = guest.stripePaymentIntentId;
		guestPayment.data.object.metadata = { order_id: guest.id, user_id: userId };
		guestPayment.data.object.receipt_email = "ada@example.org";
		await deleteAfter(userId, [unmatched, broken, guestPayment]);
	});

	it("a one-off invoice (ignored) of a customer linked to the user", async () => {
		const userId = uniqueId("user");
		const customer = uniqueId("cus");
		await deliver(clerkRequest(personalUserEvent("user.created", userId, T0)));
		const subscription = stripeEvent("customer.subscription.created");
		subscription.data.object.customer = customer;
		subscription.data.object.metadata = { user_id: userId };
		await deliver(await stripeRequest(subscription));
		const invoice = stripeEvent("invoice.paid");
		Object.assign(invoice.data.object, {
			customer,
			customer_email: "ada@example.org",
			subscription: null,
			parent: null,
			lines: { data: [] },
		});
		await deleteAfter(userId, [invoice]);
	});
});

describe("reasons never echo what the sender chose", () => {
	it("metadata with an email address as a key: neither the log line nor last_error holds it", async () => {
		const order = await pendingOrder();
		const event = stripeEvent("payment_intent.succeeded");
		event.data.object.id = order.stripePaymentIntentId;
		event.data.object.metadata = { "buyer@example.org": 5, order_id: order.id };
		const delivered = await deliver(await stripeRequest(event));
		expect(delivered.body.outcome).toBe("applied");
		expect(delivered.logText).not.toContain("buyer@example.org");
		const [row] = await ledgerRows("stripe", event.id);
		expect(row?.lastError).toBeNull();
	});

	it("a failing value under a sender's key is reported as [key], its value nowhere", async () => {
		const event = stripeEvent("customer.subscription.updated");
		event.data.object.items = { data: { "buyer@example.org": { current_period_end: "Ada Lovelace" } } };
		const delivered = await deliver(await stripeRequest(event));
		expect(delivered.body.outcome).toBe("failed");
		const [row] = await ledgerRows("stripe", event.id);
		expect(row?.lastError).toBeTruthy();
		for (const text of [delivered.logText, row?.lastError ?? ""]) {
			expect(text).not.toContain("buyer@example.org");
			expect(text).not.toContain("Ada Lovelace");
		}
		expect(webhookLine(delivered).reason).toBe(row?.lastError);
	});
});
