/**
 * POST /api/webhooks/stripe, billing events: subscriptions follow their invoices (both invoice
 * shapes) and mirror the customer.subscription.* lifecycle, in any delivery order.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { subscriptions, users } from "../../src/db/schema";
import { clerkRequest, uniqueId, userEvent } from "../support/clerk";
import { deliver } from "../support/deliver";
import { ledgerRows, testDb } from "../support/rows";
import { type StripeTestEvent, stripeEvent, stripeRequest } from "../support/stripe";

async function send(event: StripeTestEvent) {
	return deliver(await stripeRequest(event));
}

async function subscriptionRow(id: string) {
	const [row] = await testDb().select().from(subscriptions).where(eq(subscriptions.id, id));
	return row;
}

/** A subscription event for a fresh subscription id and customer. */
function lifecycle(
	fixture: "customer.subscription.created" | "customer.subscription.updated" | "customer.subscription.deleted",
	ids: { subscription: string; customer: string },
	created?: number,
) {
	const event = stripeEvent(fixture, undefined, created);
	event.data.object.id = ids.subscription;
	event.data.object.customer = ids.customer;
	return event;
}

function freshIds() {
	return { subscription: uniqueId("sub"), customer: uniqueId("cus") };
}

describe("invoices", () => {
	it.each([
		["invoice.paid (parent.subscription_details)", "invoice.paid", "active"],
		["invoice.payment_succeeded (current shape)", "invoice.payment_succeeded", "active"],
		["invoice.payment_succeeded (pre-2025 invoice.subscription)", "invoice.payment_succeeded.legacy", "active"],
		["invoice.payment_failed", "invoice.payment_failed", "past_due"],
	] as const)("%s → %s", async (_, fixture, status) => {
		const ids = freshIds();
		const event = stripeEvent(fixture);
		const invoice = event.data.object;
		invoice.customer = ids.customer;
		if (invoice.parent?.subscription_details) invoice.parent.subscription_details.subscription = ids.subscription;
		else invoice.subscription = ids.subscription;

		const delivered = await send(event);

		expect(delivered.body.outcome).toBe("applied");
		expect(await subscriptionRow(ids.subscription)).toMatchObject({ status, stripeCustomerId: ids.customer });
	});

	it("reads the subscription from the line items when the invoice itself does not name it", async () => {
		const ids = freshIds();
		const event = stripeEvent("invoice.paid");
		event.data.object.parent = null;
		event.data.object.lines.data[0].parent.subscription_item_details.subscription = ids.subscription;
		await send(event);
		expect(await subscriptionRow(ids.subscription)).toMatchObject({ status: "active" });
	});

	it("a one-off invoice (no subscription) is acknowledged and ignored", async () => {
		const event = stripeEvent("invoice.paid");
		event.data.object.parent = null;
		event.data.object.lines.data = [];
		const delivered = await send(event);
		expect(delivered.body.outcome).toBe("ignored");
		expect(await ledgerRows("stripe", event.id)).toMatchObject([{ status: "ignored" }]);
	});

	it("an older invoice failure does not overwrite a newer payment", async () => {
		const ids = freshIds();
		const paid = stripeEvent("invoice.paid", undefined, 1_790_000_100);
		paid.data.object.parent.subscription_details.subscription = ids.subscription;
		const failed = stripeEvent("invoice.payment_failed", undefined, 1_790_000_000);
		failed.data.object.parent.subscription_details.subscription = ids.subscription;
		await send(paid);
		const late = await send(failed);
		expect(late.body.outcome).toBe("stale");
		expect((await subscriptionRow(ids.subscription))?.status).toBe("active");
	});
});

describe("subscription lifecycle", () => {
	it("created, updated, deleted mirror status, price, period end and cancellation", async () => {
		const ids = freshIds();
		await send(lifecycle("customer.subscription.created", ids));
		expect(await subscriptionRow(ids.subscription)).toMatchObject({
			status: "incomplete",
			priceId: "price_1QzYx12eZvKYlo2CpRiCe001",
			currentPeriodEnd: new Date(1747400090 * 1000),
			cancelAtPeriodEnd: false,
			canceledAt: null,
		});

		await send(lifecycle("customer.subscription.updated", ids));
		expect(await subscriptionRow(ids.subscription)).toMatchObject({
			status: "active",
			cancelAtPeriodEnd: true,
			canceledAt: new Date(1747500000 * 1000),
			currentPeriodEnd: new Date(1749992090 * 1000),
		});

		await send(lifecycle("customer.subscription.deleted", ids));
		expect(await subscriptionRow(ids.subscription)).toMatchObject({ status: "canceled" });
	});

	it("reads the period end from the subscription itself in the pre-2025 shape", async () => {
		const ids = freshIds();
		const event = lifecycle("customer.subscription.created", ids);
		delete event.data.object.items.data[0].current_period_end;
		event.data.object.current_period_end = 1_760_000_000;
		await send(event);
		expect((await subscriptionRow(ids.subscription))?.currentPeriodEnd).toEqual(new Date(1_760_000_000_000));
	});

	it("a late created does not undo updated, but fills what was unknown", async () => {
		const ids = freshIds();
		const invoice = stripeEvent("invoice.paid", undefined, 1_744_808_095);
		invoice.data.object.parent.subscription_details.subscription = ids.subscription;
		await send(invoice); // creates the row with only a status
		await send(lifecycle("customer.subscription.updated", ids)); // newest
		const late = lifecycle("customer.subscription.created", ids);
		late.data.object.status = "incomplete";
		await send(late);
		expect(await subscriptionRow(ids.subscription)).toMatchObject({
			status: "active",
			cancelAtPeriodEnd: true,
			priceId: "price_1QzYx12eZvKYlo2CpRiCe001",
		});
	});

	it("links the shop user from metadata.user_id and remembers the Stripe customer on the user", async () => {
		const ids = freshIds();
		const userId = uniqueId("user");
		await deliver(clerkRequest(userEvent("user.created", userId, Date.UTC(2026, 0, 1))));
		const event = lifecycle("customer.subscription.created", ids);
		event.data.object.metadata = { user_id: userId };
		await send(event);
		expect((await subscriptionRow(ids.subscription))?.userId).toBe(userId);
		const [user] = await testDb().select().from(users).where(eq(users.id, userId));
		expect(user?.stripeCustomerId).toBe(ids.customer);

		// a later subscription of the same customer finds the user through users.stripe_customer_id
		const second = { subscription: uniqueId("sub"), customer: ids.customer };
		await send(lifecycle("customer.subscription.created", second));
		expect((await subscriptionRow(second.subscription))?.userId).toBe(userId);
	});

	it("accepts metadata.clerk_user_id too", async () => {
		const ids = freshIds();
		const event = lifecycle("customer.subscription.created", ids);
		event.data.object.metadata = { clerk_user_id: "user_from_clerk" };
		await send(event);
		expect((await subscriptionRow(ids.subscription))?.userId).toBe("user_from_clerk");
	});
});
