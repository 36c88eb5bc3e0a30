/**
 * Issue 8, "Money must match": a payment makes an order `paid` only when it covers it (at least its
 * `amount_total`, in its currency, compared case-insensitively); otherwise the order becomes
 * `payment_mismatch`, what came is recorded, and the delivery's one log line is an `error` with
 * `alert: "payment_mismatch"` (ids and amounts only). Asynchronous payments (`payment_intent.processing`)
 * in either delivery order. Every delivery here is one database round trip (sendOnce).
 */
import { describe, expect, it } from "vitest";
import { uniqueId } from "../support/clerk";
import { webhookLine } from "../support/deliver";
import { at, checkoutEvent, intentEvent, orderRow, sendOnce, T } from "../support/money";
import { ledgerRows } from "../support/rows";
import { chargeRefunded, pendingOrder } from "../support/stripe";

/** What the payloads hold about the buyer (the fixtures' receipt email, shipping name and address). */
const personalData = ["jane.doe@example.com", "Jane Doe", "Example St", "Brooklyn"];

function expectNoPersonalData(logText: string) {
	for (const value of personalData) expect(logText).not.toContain(value);
}

describe("a payment that does not cover the order", () => {
	it("an underpaid payment_intent.succeeded: payment_mismatch, what came recorded, one error line with the alert", async () => {
		const order = await pendingOrder(4999);
		const charge = uniqueId("ch");
		const event = intentEvent("payment_intent.succeeded", order, { amount: 4000, charge });

		const delivered = await sendOnce(event);

		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect(await orderRow(order.id)).toMatchObject({
			status: "payment_mismatch",
			amountReceived: 4000,
			currencyReceived: "usd",
			stripeChargeId: charge,
			paidAt: null,
			amountTotal: 4999,
		});
		expect(await ledgerRows("stripe", event.id)).toMatchObject([
			{ status: "processed", eventType: "payment_intent.succeeded" },
		]);
		expect(webhookLine(delivered)).toMatchObject({
			level: "error",
			provider: "stripe",
			event_type: "payment_intent.succeeded",
			event_id: event.id,
			outcome: "applied",
			status: 200,
			alert: "payment_mismatch",
			amount_received: 4000,
			currency_received: "usd",
			order_id: order.id,
			amount_due: 4999,
			currency_due: "usd",
		});
	});

	it("the mismatch line holds no email, name or address from the payload", async () => {
		const order = await pendingOrder(4999);
		const event = intentEvent("payment_intent.succeeded", order, { amount: 1 });
		expect(event.data.object.receipt_email).toBe("jane.doe@example.com"); // the payload does carry them
		const delivered = await sendOnce(event);
		expect(webhookLine(delivered).alert).toBe("payment_mismatch");
		expectNoPersonalData(delivered.logText);
	});

	it("a currency that is no currency code mismatches, and the alert leaves it out of the log", async () => {
		const order = await pendingOrder(4999);
		const event = intentEvent("payment_intent.succeeded", order, { amount: 4999, currency: "jane.doe@example.com" });
		const delivered = await sendOnce(event);
		expect(await orderRow(order.id)).toMatchObject({
			status: "payment_mismatch",
			currencyReceived: "jane.doe@example.com",
		});
		expect(webhookLine(delivered)).toMatchObject({ alert: "payment_mismatch", currency_received: null });
		expectNoPersonalData(delivered.logText);
	});

	it("a payment in another currency is a mismatch, even for more than the order", async () => {
		const order = await pendingOrder(4999);
		const delivered = await sendOnce(intentEvent("payment_intent.succeeded", order, { amount: 9999, currency: "eur" }));
		expect(delivered.body.outcome).toBe("applied");
		expect(await orderRow(order.id)).toMatchObject({
			status: "payment_mismatch",
			amountReceived: 9999,
			currencyReceived: "eur",
			paidAt: null,
		});
		expect(webhookLine(delivered)).toMatchObject({
			level: "error",
			alert: "payment_mismatch",
			amount_received: 9999,
			currency_received: "eur",
			amount_due: 4999,
			currency_due: "usd",
		});
	});

	it("a Checkout Session for less: payment_mismatch, the session linked, the alert raised", async () => {
		const order = await pendingOrder(4999);
		const event = checkoutEvent("checkout.session.completed", order, { amount: 4500 });
		const delivered = await sendOnce(event);
		expect(delivered.body.outcome).toBe("applied");
		expect(await orderRow(order.id)).toMatchObject({
			status: "payment_mismatch",
			amountReceived: 4500,
			currencyReceived: "usd",
			stripeChargeId: null,
			stripeCheckoutSessionId: event.data.object.id,
			stripeCheckoutPaid: true,
			paidAt: null,
		});
		expect(webhookLine(delivered)).toMatchObject({
			level: "error",
			alert: "payment_mismatch",
			amount_received: 4500,
			currency_received: "usd",
			order_id: order.id,
			amount_due: 4999,
			currency_due: "usd",
		});
		expectNoPersonalData(delivered.logText); // the session carries customer_details.email and name
	});

	it("checkout.session.async_payment_succeeded for less: payment_mismatch", async () => {
		const order = await pendingOrder(4999);
		const completed = checkoutEvent("checkout.session.completed", order, { amount: 3000, paid: false });
		const first = await sendOnce(completed);
		expect(webhookLine(first)).toMatchObject({ level: "info", outcome: "applied" });
		expect(webhookLine(first)).not.toHaveProperty("alert");
		expect((await orderRow(order.id))?.status).toBe("processing");

		const succeeded = checkoutEvent("checkout.session.async_payment_succeeded", order, {
			amount: 3000,
			sessionId: completed.data.object.id,
			created: T + 60,
		});
		const delivered = await sendOnce(succeeded);
		expect(delivered.body.outcome).toBe("applied");
		expect(await orderRow(order.id)).toMatchObject({
			status: "payment_mismatch",
			amountReceived: 3000,
			stripeCheckoutPaid: true,
			paidAt: null,
		});
		expect(webhookLine(delivered)).toMatchObject({ level: "error", alert: "payment_mismatch", amount_received: 3000 });
	});

	it("a payment for no known order is unmatched and raises no payment_mismatch alert", async () => {
		const nowhere = { id: uniqueId("order_nowhere"), stripePaymentIntentId: uniqueId("pi_nowhere") };
		const event = intentEvent("payment_intent.succeeded", nowhere, { amount: 1 });
		const delivered = await sendOnce(event);
		expect(delivered.body.outcome).toBe("unmatched");
		expect(webhookLine(delivered)).toMatchObject({ level: "error", outcome: "unmatched", alert: "webhook_unmatched" });
		expect(webhookLine(delivered)).not.toHaveProperty("domain_alert");
		expect(await ledgerRows("stripe", event.id)).toMatchObject([{ status: "unmatched" }]);
	});

	it("the same mismatching event delivered twice: the second is a duplicate and raises no alert", async () => {
		const order = await pendingOrder(4999);
		const event = intentEvent("payment_intent.succeeded", order, { amount: 10 });
		expect(webhookLine(await sendOnce(event)).alert).toBe("payment_mismatch");
		const again = await sendOnce(event);
		expect(again.body).toEqual({ received: true, outcome: "duplicate" });
		expect(webhookLine(again)).toMatchObject({ level: "info", outcome: "duplicate" });
		expect(webhookLine(again)).not.toHaveProperty("alert");
		expect(await ledgerRows("stripe", event.id)).toHaveLength(1);
	});

	it("a short payment refunded in full: still payment_mismatch, the refund recorded, found through the payment's charge alone", async () => {
		const order = await pendingOrder(4999);
		const charge = uniqueId("ch");
		await sendOnce(intentEvent("payment_intent.succeeded", order, { amount: 4000, charge }));
		const refund = chargeRefunded(uniqueId("pi_elsewhere"), 4000, 4000, T + 60);
		refund.data.object.id = charge;
		refund.data.object.payment_intent = null;
		const delivered = await sendOnce(refund);
		expect(delivered.body.outcome).toBe("applied");
		expect(webhookLine(delivered)).not.toHaveProperty("alert");
		// the order was never paid: sending the short payment back leaves it to be paid in full
		expect(await orderRow(order.id)).toMatchObject({
			status: "payment_mismatch",
			amountRefunded: 4000,
			refundedAt: at(T + 60),
			amountReceived: 4000,
			paidAt: null,
		});
	});

	it("a short payment refunded, then a payment that covers the order: paid, in either order", async () => {
		for (const refundFirst of [true, false]) {
			const order = await pendingOrder(4999);
			const short = uniqueId("ch");
			const covering = uniqueId("ch");
			await sendOnce(intentEvent("payment_intent.succeeded", order, { amount: 1000, charge: short }));
			const refund = chargeRefunded(order.stripePaymentIntentId, 1000, 1000, T + 30);
			refund.data.object.id = short;
			const full = intentEvent("payment_intent.succeeded", order, { amount: 4999, charge: covering, created: T + 60 });
			full.data.object.id = uniqueId("pi");
			full.data.object.metadata = { order_id: order.id };
			for (const event of refundFirst ? [refund, full] : [full, refund]) await sendOnce(event);
			expect(await orderRow(order.id)).toMatchObject({
				status: "paid",
				amountReceived: 4999,
				amountRefunded: 1000,
			});
		}
	});

	it("a short payment refunded in part: still payment_mismatch; a covering charge refunded in part: partially_refunded", async () => {
		const order = await pendingOrder(4999);
		await sendOnce(intentEvent("payment_intent.succeeded", order, { amount: 4000 }));
		await sendOnce(chargeRefunded(order.stripePaymentIntentId, 4000, 1000, T + 60));
		expect(await orderRow(order.id)).toMatchObject({ status: "payment_mismatch", amountRefunded: 1000 });
		const paid = await pendingOrder(4999);
		await sendOnce(intentEvent("payment_intent.succeeded", paid, { amount: 4999 }));
		await sendOnce(chargeRefunded(paid.stripePaymentIntentId, 4999, 1000, T + 60));
		expect(await orderRow(paid.id)).toMatchObject({ status: "partially_refunded", amountRefunded: 1000 });
	});
});

describe("a payment that covers the order", () => {
	it.each([
		["usd", "USD"],
		["USD", "usd"],
		["eur", "EuR"],
	])("order in %s, payment in %s: currencies compare case-insensitively, paid", async (orderCurrency, paid) => {
		const order = await pendingOrder(4999, { currency: orderCurrency });
		const delivered = await sendOnce(
			intentEvent("payment_intent.succeeded", order, { amount: 4999, currency: paid, created: T }),
		);
		expect(delivered.body.outcome).toBe("applied");
		expect(await orderRow(order.id)).toMatchObject({
			status: "paid",
			paidAt: at(T),
			amountReceived: 4999,
			currencyReceived: paid,
		});
		expect(webhookLine(delivered)).toMatchObject({ level: "info", outcome: "applied" });
		expect(webhookLine(delivered)).not.toHaveProperty("alert");
	});

	it("an overpayment covers the order: paid, the amount received recorded, no alert", async () => {
		const order = await pendingOrder(4999);
		const charge = uniqueId("ch");
		const delivered = await sendOnce(intentEvent("payment_intent.succeeded", order, { amount: 6000, charge }));
		expect(await orderRow(order.id)).toMatchObject({
			status: "paid",
			paidAt: at(T),
			amountReceived: 6000,
			currencyReceived: "usd",
			stripeChargeId: charge,
		});
		expect(webhookLine(delivered)).toMatchObject({ level: "info" });
		expect(webhookLine(delivered)).not.toHaveProperty("alert");
	});

	it("a Checkout Session for exactly the amount: paid", async () => {
		const order = await pendingOrder(4999);
		const delivered = await sendOnce(checkoutEvent("checkout.session.completed", order, { amount: 4999 }));
		expect(await orderRow(order.id)).toMatchObject({ status: "paid", amountReceived: 4999, paidAt: at(T) });
		expect(webhookLine(delivered)).not.toHaveProperty("alert");
	});

	it("a correct payment after a mismatch: paid, paid_at and amount_received from the covering one", async () => {
		const order = await pendingOrder(4999);
		const shortCharge = uniqueId("ch");
		const first = await sendOnce(intentEvent("payment_intent.succeeded", order, { amount: 4000, charge: shortCharge }));
		expect(webhookLine(first).alert).toBe("payment_mismatch");

		// the shop asks for the whole amount again, with a second payment intent for the same order
		const retry = { id: order.id, stripePaymentIntentId: uniqueId("pi") };
		const coveringCharge = uniqueId("ch");
		const second = await sendOnce(
			intentEvent("payment_intent.succeeded", retry, { amount: 4999, charge: coveringCharge, created: T + 60 }),
		);
		expect(second.body.outcome).toBe("applied");
		expect(webhookLine(second)).toMatchObject({ level: "info", outcome: "applied" });
		expect(webhookLine(second)).not.toHaveProperty("alert");
		expect(await orderRow(order.id)).toMatchObject({
			status: "paid",
			paidAt: at(T + 60),
			amountReceived: 4999,
			currencyReceived: "usd",
			stripeChargeId: coveringCharge,
		});
	});

	it("a short payment after the covering one changes nothing (stale) but still raises the alert", async () => {
		const order = await pendingOrder(4999);
		const coveringCharge = uniqueId("ch");
		await sendOnce(intentEvent("payment_intent.succeeded", order, { amount: 4999, charge: coveringCharge }));
		const retry = { id: order.id, stripePaymentIntentId: uniqueId("pi") };
		const late = await sendOnce(intentEvent("payment_intent.succeeded", retry, { amount: 100, created: T - 60 }));
		expect(late.body.outcome).toBe("stale");
		expect(webhookLine(late)).toMatchObject({ level: "error", outcome: "stale", alert: "payment_mismatch" });
		expect(await orderRow(order.id)).toMatchObject({
			status: "paid",
			paidAt: at(T),
			amountReceived: 4999,
			stripeChargeId: coveringCharge,
		});
	});
});

describe("a payment Stripe reports without its amount or currency", () => {
	it.each(["amount_received", "currency"])(
		"payment_intent.succeeded without %s: 200, failed, the order untouched",
		async (field) => {
			const order = await pendingOrder(4999);
			const event = intentEvent("payment_intent.succeeded", order);
			delete event.data.object[field];
			const delivered = await sendOnce(event);
			expect(delivered.body).toEqual({ received: true, outcome: "failed" });
			expect(await ledgerRows("stripe", event.id)).toMatchObject([
				{ status: "failed", lastError: expect.stringContaining(field) },
			]);
			expect(await orderRow(order.id)).toMatchObject({ status: "pending", amountReceived: null, paidAt: null });
			expect(webhookLine(delivered)).toMatchObject({ level: "error", outcome: "failed" });
		},
	);

	it("a session that needed no payment and states no amount nor currency (setup mode): pays a free order", async () => {
		const free = await pendingOrder(0);
		const event = checkoutEvent("checkout.session.completed", free);
		Object.assign(event.data.object, { payment_status: "no_payment_required", amount_total: null, currency: null });
		const delivered = await sendOnce(event);
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect(await orderRow(free.id)).toMatchObject({ status: "paid", amountReceived: 0, currencyReceived: "usd" });
		expect(webhookLine(delivered)).not.toHaveProperty("alert");
	});

	it("the same session for an order that costs something: payment_mismatch (nothing was collected)", async () => {
		const order = await pendingOrder(4999);
		const event = checkoutEvent("checkout.session.completed", order);
		Object.assign(event.data.object, { payment_status: "no_payment_required", amount_total: null, currency: null });
		const delivered = await sendOnce(event);
		expect(await ledgerRows("stripe", event.id)).toMatchObject([{ status: "processed" }]);
		expect(await orderRow(order.id)).toMatchObject({ status: "payment_mismatch", amountReceived: 0, paidAt: null });
		expect(webhookLine(delivered)).toMatchObject({
			level: "error",
			alert: "payment_mismatch",
			amount_received: 0,
			currency_received: null,
		});
	});

	it("a payment_intent.succeeded with a negative amount_received: failed", async () => {
		const order = await pendingOrder(4999);
		const event = intentEvent("payment_intent.succeeded", order, { amount: -4999 });
		const delivered = await sendOnce(event);
		expect(delivered.body.outcome).toBe("failed");
		expect((await orderRow(order.id))?.status).toBe("pending");
	});
});

describe("asynchronous payments", () => {
	it("payment_intent.processing moves a pending order to processing (no alert)", async () => {
		const order = await pendingOrder(4999);
		const event = intentEvent("payment_intent.processing", order);
		const delivered = await sendOnce(event);
		expect(delivered.body.outcome).toBe("applied");
		expect(await orderRow(order.id)).toMatchObject({ status: "processing", paidAt: null, amountReceived: null });
		expect(await ledgerRows("stripe", event.id)).toMatchObject([
			{ status: "processed", eventType: "payment_intent.processing" },
		]);
		expect(webhookLine(delivered)).toMatchObject({ level: "info", event_type: "payment_intent.processing" });
		expect(webhookLine(delivered)).not.toHaveProperty("alert");
	});

	// Real time: processing at T, then the outcome at T+60; delivered in both orders.
	const outcomes = {
		succeeded: {
			build: (order: { id: string; stripePaymentIntentId: string }) =>
				intentEvent("payment_intent.succeeded", order, { amount: 4999, created: T + 60 }),
			expected: { status: "paid", paidAt: at(T + 60), amountReceived: 4999, cancelledAt: null, paymentError: null },
		},
		failed: {
			build: (order: { id: string; stripePaymentIntentId: string }) =>
				intentEvent("payment_intent.payment_failed", order, { created: T + 60 }),
			expected: {
				status: "cancelled",
				paidAt: null,
				cancelledAt: at(T + 60),
				paymentError: "insufficient_funds: Your card has insufficient funds.",
			},
		},
	};

	it.each([
		["succeeded", "processing first", true],
		["succeeded", "processing last", false],
		["failed", "processing first", true],
		["failed", "processing last", false],
	] as const)("processing → %s, %s", async (name, _, processingFirst) => {
		const order = await pendingOrder(4999);
		const processing = intentEvent("payment_intent.processing", order, { created: T });
		const outcome = outcomes[name].build(order);
		const sequence = processingFirst ? [processing, outcome] : [outcome, processing];
		const answers = [];
		for (const event of sequence) answers.push((await sendOnce(event)).body.outcome);
		// late processing changes nothing: the order is past it
		expect(answers).toEqual(processingFirst ? ["applied", "applied"] : ["applied", "stale"]);
		expect(await orderRow(order.id)).toMatchObject(outcomes[name].expected);
	});

	it("processing, then a short payment: payment_mismatch with the alert", async () => {
		const order = await pendingOrder(4999);
		await sendOnce(intentEvent("payment_intent.processing", order));
		const delivered = await sendOnce(intentEvent("payment_intent.succeeded", order, { amount: 4998, created: T + 60 }));
		expect(await orderRow(order.id)).toMatchObject({ status: "payment_mismatch", amountReceived: 4998 });
		expect(webhookLine(delivered)).toMatchObject({ level: "error", alert: "payment_mismatch", amount_due: 4999 });
	});

	it("a failure after a mismatch does not cancel the order", async () => {
		const order = await pendingOrder(4999);
		await sendOnce(intentEvent("payment_intent.succeeded", order, { amount: 10 }));
		const failed = await sendOnce(intentEvent("payment_intent.payment_failed", order, { created: T + 60 }));
		expect(failed.body.outcome).toBe("stale");
		expect(await orderRow(order.id)).toMatchObject({
			status: "payment_mismatch",
			cancelledAt: null,
			paymentError: null,
		});
	});

	it("a mismatch after a failure replaces the cancellation", async () => {
		const order = await pendingOrder(4999);
		await sendOnce(intentEvent("payment_intent.payment_failed", order, { created: T }));
		expect((await orderRow(order.id))?.status).toBe("cancelled");
		await sendOnce(intentEvent("payment_intent.succeeded", order, { amount: 10, created: T + 60 }));
		expect(await orderRow(order.id)).toMatchObject({
			status: "payment_mismatch",
			cancelledAt: null,
			paymentError: null,
		});
	});
});
