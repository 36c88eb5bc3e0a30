/**
 * Issue 8, disputes: `charge.dispute.*` events keep the dispute's status (Stripe's folded into
 * needs_response / under_review / won / lost), amount and reason on the order found through the
 * dispute's payment intent, else its charge; a lost dispute makes the order `charged_back`, whatever
 * the delivery order. Every new dispute event (applied, stale or unmatched) puts `alert: "dispute"` on
 * the delivery's log line at `warn`; a duplicate does not. Each delivery is one database round trip.
 */
import { describe, expect, it } from "vitest";
import { uniqueId } from "../support/clerk";
import { createOrder, inEveryOrder, namespace, orderRows } from "../support/converge";
import { webhookLine } from "../support/deliver";
import { at, checkoutEvent, intentEvent, orderRow, sendOnce, T } from "../support/money";
import { ledgerRows } from "../support/rows";
import { chargeRefunded, type DisputeEventType, disputeEvent, pendingOrder } from "../support/stripe";

/** An order the buyer paid (4999 usd), with the charge its payment_intent.succeeded recorded. */
async function paidOrder() {
	const order = await pendingOrder(4999);
	const charge = uniqueId("ch");
	await sendOnce(intentEvent("payment_intent.succeeded", order, { amount: 4999, charge, created: T }));
	return { ...order, charge };
}

/** A dispute event about `order`'s payment: found through its payment intent (and charge). */
function disputeOf(
	order: { stripePaymentIntentId: string; charge: string },
	type: DisputeEventType,
	status: string,
	options: { disputeId?: string; created?: number; amount?: number; reason?: string | null } = {},
) {
	return disputeEvent(type, {
		status,
		charge: order.charge,
		paymentIntent: order.stripePaymentIntentId,
		...options,
	});
}

describe("a dispute opened, won, lost", () => {
	it("charge.dispute.created: the order keeps the dispute (still paid), one warn line with the alert", async () => {
		const order = await paidOrder();
		const disputeId = uniqueId("du");
		const dueBy = T + 7 * 86_400;
		const event = disputeEvent("charge.dispute.created", {
			disputeId,
			status: "needs_response",
			amount: 4999,
			reason: "fraudulent",
			charge: order.charge,
			paymentIntent: order.stripePaymentIntentId,
			dueBy,
			created: T + 100,
		});

		const delivered = await sendOnce(event);

		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect(await orderRow(order.id)).toMatchObject({
			status: "paid",
			paidAt: at(T),
			stripeDisputeId: disputeId,
			disputeStatus: "needs_response",
			disputedAmount: 4999,
			disputeReason: "fraudulent",
			disputeEventAt: at(T + 100),
			disputeEventId: event.id,
		});
		expect(await ledgerRows("stripe", event.id)).toMatchObject([
			{ status: "processed", eventType: "charge.dispute.created" },
		]);
		expect(webhookLine(delivered)).toMatchObject({
			level: "warn",
			provider: "stripe",
			event_type: "charge.dispute.created",
			event_id: event.id,
			outcome: "applied",
			status: 200,
			alert: "dispute",
			dispute_id: disputeId,
			dispute_status: "needs_response",
			stripe_dispute_status: "needs_response",
			disputed_amount: 4999,
			currency: "usd",
			dispute_reason: "fraudulent",
			respond_by: new Date(dueBy * 1000).toISOString(),
			payment_intent: order.stripePaymentIntentId,
			charge: order.charge,
		});
		// the dispute's evidence names the buyer
		expect(JSON.stringify(event)).toContain("jane.doe@example.com");
		for (const value of ["jane.doe@example.com", "Jane Doe", "Example St"])
			expect(delivered.logText).not.toContain(value);
	});

	it("won: dispute_status won, the order stays paid", async () => {
		const order = await paidOrder();
		const disputeId = uniqueId("du");
		await sendOnce(disputeOf(order, "charge.dispute.created", "needs_response", { disputeId, created: T + 100 }));
		await sendOnce(disputeOf(order, "charge.dispute.updated", "under_review", { disputeId, created: T + 200 }));
		const closed = disputeOf(order, "charge.dispute.closed", "won", { disputeId, created: T + 300 });
		const delivered = await sendOnce(closed);
		expect(delivered.body.outcome).toBe("applied");
		expect(await orderRow(order.id)).toMatchObject({
			status: "paid",
			disputeStatus: "won",
			stripeDisputeId: disputeId,
			disputeEventAt: at(T + 300),
			disputeEventId: closed.id,
		});
		expect(webhookLine(delivered)).toMatchObject({ level: "warn", alert: "dispute", dispute_status: "won" });
	});

	it("lost: charged_back, paid_at and what was received kept", async () => {
		const order = await paidOrder();
		const disputeId = uniqueId("du");
		await sendOnce(disputeOf(order, "charge.dispute.created", "needs_response", { disputeId, created: T + 100 }));
		const closed = disputeOf(order, "charge.dispute.closed", "lost", { disputeId, amount: 4999, created: T + 300 });
		const delivered = await sendOnce(closed);
		expect(delivered.body.outcome).toBe("applied");
		expect(await orderRow(order.id)).toMatchObject({
			status: "charged_back",
			paidAt: at(T),
			amountReceived: 4999,
			disputeStatus: "lost",
			disputedAmount: 4999,
			disputeEventId: closed.id,
		});
		expect(webhookLine(delivered)).toMatchObject({
			level: "warn",
			alert: "dispute",
			dispute_status: "lost",
			stripe_dispute_status: "lost",
		});
	});

	it("a lost dispute on a refunded order: charged_back", async () => {
		const order = await paidOrder();
		await sendOnce(chargeRefunded(order.stripePaymentIntentId, 4999, 4999, T + 50));
		expect((await orderRow(order.id))?.status).toBe("refunded");
		await sendOnce(disputeOf(order, "charge.dispute.closed", "lost", { created: T + 100 }));
		expect(await orderRow(order.id)).toMatchObject({ status: "charged_back", amountRefunded: 4999 });
	});

	it("a refund after a lost dispute leaves the order charged_back", async () => {
		const order = await paidOrder();
		await sendOnce(disputeOf(order, "charge.dispute.closed", "lost", { created: T + 100 }));
		const refund = await sendOnce(chargeRefunded(order.stripePaymentIntentId, 4999, 4999, T + 200));
		expect(await orderRow(order.id)).toMatchObject({ status: "charged_back", amountRefunded: 4999 });
		expect(refund.body.outcome).toBe("applied"); // amount_refunded moved
	});

	it("a lost dispute on a payment_mismatch order: charged_back", async () => {
		const order = await pendingOrder(4999);
		const charge = uniqueId("ch");
		await sendOnce(intentEvent("payment_intent.succeeded", order, { amount: 4000, charge }));
		await sendOnce(
			disputeEvent("charge.dispute.closed", {
				status: "lost",
				amount: 4000,
				charge,
				paymentIntent: order.stripePaymentIntentId,
				created: T + 100,
			}),
		);
		expect(await orderRow(order.id)).toMatchObject({ status: "charged_back", disputedAmount: 4000 });
	});

	it("a closed dispute is not reopened by a later update", async () => {
		const order = await paidOrder();
		const disputeId = uniqueId("du");
		const closed = disputeOf(order, "charge.dispute.closed", "won", { disputeId, created: T + 300 });
		await sendOnce(closed);
		const late = await sendOnce(
			disputeOf(order, "charge.dispute.updated", "needs_response", { disputeId, created: T + 400 }),
		);
		expect(late.body.outcome).toBe("stale");
		expect(webhookLine(late)).toMatchObject({ level: "warn", outcome: "stale", alert: "dispute" });
		expect(await orderRow(order.id)).toMatchObject({ disputeStatus: "won", disputeEventId: closed.id });
	});
});

describe("Stripe's dispute statuses", () => {
	it.each([
		["warning_needs_response", "needs_response", "paid"],
		["warning_under_review", "under_review", "paid"],
		["warning_closed", "won", "paid"],
		["needs_response", "needs_response", "paid"],
		["under_review", "under_review", "paid"],
		["won", "won", "paid"],
		["prevented", "won", "paid"],
		["lost", "lost", "charged_back"],
	])("%s is kept as %s; the order ends %s", async (stripeStatus, kept, orderStatus) => {
		const order = await paidOrder();
		const delivered = await sendOnce(disputeOf(order, "charge.dispute.updated", stripeStatus, { created: T + 100 }));
		expect(delivered.body.outcome).toBe("applied");
		expect(await orderRow(order.id)).toMatchObject({ status: orderStatus, disputeStatus: kept });
		expect(webhookLine(delivered)).toMatchObject({
			level: "warn",
			alert: "dispute",
			dispute_status: kept,
			stripe_dispute_status: stripeStatus,
		});
	});

	it("an inquiry closed without a chargeback (warning_closed) after warning_needs_response: won", async () => {
		const order = await paidOrder();
		const disputeId = uniqueId("du");
		await sendOnce(
			disputeOf(order, "charge.dispute.created", "warning_needs_response", {
				disputeId,
				reason: "general",
				created: T + 100,
			}),
		);
		expect(await orderRow(order.id)).toMatchObject({ disputeStatus: "needs_response", disputeReason: "general" });
		const closed = await sendOnce(
			disputeOf(order, "charge.dispute.closed", "warning_closed", { disputeId, reason: "general", created: T + 200 }),
		);
		expect(webhookLine(closed)).toMatchObject({ stripe_dispute_status: "warning_closed", dispute_status: "won" });
		expect(await orderRow(order.id)).toMatchObject({ status: "paid", disputeStatus: "won" });
	});

	it("a status Stripe does not have: 200, failed, the order untouched, no dispute alert (webhook_failed)", async () => {
		const order = await paidOrder();
		const event = disputeOf(order, "charge.dispute.updated", "charge_refunded", { created: T + 100 });
		const delivered = await sendOnce(event);
		expect(delivered.body.outcome).toBe("failed");
		expect(await ledgerRows("stripe", event.id)).toMatchObject([
			{ status: "failed", lastError: expect.stringContaining("status") },
		]);
		expect(await orderRow(order.id)).toMatchObject({ status: "paid", disputeStatus: null, stripeDisputeId: null });
		expect(webhookLine(delivered)).toMatchObject({ level: "error", alert: "webhook_failed" });
	});

	it("a reason that is no reason code is stored, but left out of the log line", async () => {
		const order = await paidOrder();
		const delivered = await sendOnce(
			disputeOf(order, "charge.dispute.created", "needs_response", { reason: "Jane Doe jane.doe@example.com" }),
		);
		expect(await orderRow(order.id)).toMatchObject({ disputeReason: "Jane Doe jane.doe@example.com" });
		expect(webhookLine(delivered)).toMatchObject({ alert: "dispute", dispute_reason: null });
		expect(delivered.logText).not.toContain("jane.doe@example.com");
		expect(delivered.logText).not.toContain("Jane Doe");
	});

	it("ids and a currency that are not codes are applied, but left out of the log line", async () => {
		const order = await paidOrder();
		const event = disputeOf(order, "charge.dispute.created", "needs_response", {
			disputeId: "du_jane.doe@example.com",
		});
		event.data.object.currency = "Jane Doe";
		const delivered = await sendOnce(event);
		expect(await orderRow(order.id)).toMatchObject({ stripeDisputeId: "du_jane.doe@example.com" });
		expect(webhookLine(delivered)).toMatchObject({
			alert: "dispute",
			dispute_id: null,
			currency: null,
			charge: order.charge,
			order_id: order.id,
		});
		expect(delivered.logText).not.toContain("jane.doe@example.com");
		expect(delivered.logText).not.toContain("Jane Doe");
	});

	it("funds_withdrawn and funds_reinstated are dispute events too", async () => {
		const order = await paidOrder();
		const disputeId = uniqueId("du");
		const withdrawn = await sendOnce(
			disputeOf(order, "charge.dispute.funds_withdrawn", "needs_response", { disputeId, created: T + 100 }),
		);
		expect(withdrawn.body.outcome).toBe("applied");
		expect(webhookLine(withdrawn)).toMatchObject({ level: "warn", alert: "dispute" });
		const reinstated = await sendOnce(
			disputeOf(order, "charge.dispute.funds_reinstated", "won", { disputeId, created: T + 200 }),
		);
		expect(reinstated.body.outcome).toBe("applied");
		expect(await orderRow(order.id)).toMatchObject({ status: "paid", disputeStatus: "won" });
	});
});

describe("finding the order", () => {
	it("through the charge only (payment_intent null), once a payment_intent.succeeded recorded it as latest_charge", async () => {
		const order = await paidOrder();
		expect((await orderRow(order.id))?.stripeChargeId).toBe(order.charge);
		const event = disputeEvent("charge.dispute.created", {
			status: "needs_response",
			charge: order.charge,
			paymentIntent: null,
			created: T + 100,
		});
		const delivered = await sendOnce(event);
		expect(delivered.body.outcome).toBe("applied");
		expect(await orderRow(order.id)).toMatchObject({ disputeStatus: "needs_response", disputeEventId: event.id });
		expect(webhookLine(delivered)).toMatchObject({ alert: "dispute", payment_intent: null, charge: order.charge });
	});

	it("through the charge only, before the payment recorded it: unmatched; redelivered after it, applied", async () => {
		const order = await pendingOrder(4999);
		const charge = uniqueId("ch");
		const dispute = disputeEvent("charge.dispute.created", {
			status: "needs_response",
			charge,
			paymentIntent: null,
			created: T + 100,
		});
		const early = await sendOnce(dispute);
		expect(early.body.outcome).toBe("unmatched");
		await sendOnce(intentEvent("payment_intent.succeeded", order, { amount: 4999, charge }));
		const again = await sendOnce(dispute);
		expect(again.body.outcome).toBe("applied");
		expect(webhookLine(again)).toMatchObject({ alert: "dispute", attempt: 2 });
		expect(await orderRow(order.id)).toMatchObject({ status: "paid", disputeStatus: "needs_response" });
	});

	it("through the payment intent of the checkout session that paid the order", async () => {
		const order = await pendingOrder(4999, { stripePaymentIntentId: null as unknown as string });
		const sessionIntent = uniqueId("pi");
		await sendOnce(checkoutEvent("checkout.session.completed", { ...order, stripePaymentIntentId: sessionIntent }));
		expect(await orderRow(order.id)).toMatchObject({ status: "paid", stripeCheckoutPaymentIntentId: sessionIntent });
		const delivered = await sendOnce(
			disputeEvent("charge.dispute.closed", {
				status: "lost",
				charge: uniqueId("ch"),
				paymentIntent: sessionIntent,
				created: T + 100,
			}),
		);
		expect(delivered.body.outcome).toBe("applied");
		expect(await orderRow(order.id)).toMatchObject({ status: "charged_back", disputeStatus: "lost" });
	});

	it("no order: 200, unmatched, the alert raised all the same", async () => {
		const charge = uniqueId("ch_nowhere");
		const paymentIntent = uniqueId("pi_nowhere");
		const disputeId = uniqueId("du");
		const event = disputeEvent("charge.dispute.created", {
			disputeId,
			status: "warning_needs_response",
			amount: 1234,
			currency: "eur",
			reason: "product_not_received",
			charge,
			paymentIntent,
			dueBy: null,
			created: T,
		});
		const delivered = await sendOnce(event);
		expect(delivered.body).toEqual({ received: true, outcome: "unmatched" });
		expect(await ledgerRows("stripe", event.id)).toMatchObject([{ status: "unmatched" }]);
		expect(webhookLine(delivered)).toMatchObject({
			level: "error",
			outcome: "unmatched",
			alert: "webhook_unmatched",
			domain_alert: "dispute",
			dispute_id: disputeId,
			dispute_status: "needs_response",
			stripe_dispute_status: "warning_needs_response",
			disputed_amount: 1234,
			currency: "eur",
			dispute_reason: "product_not_received",
			respond_by: null,
			payment_intent: paymentIntent,
			charge,
		});
	});

	it("a duplicate delivery raises no alert and changes nothing", async () => {
		const order = await paidOrder();
		const event = disputeOf(order, "charge.dispute.closed", "lost", { created: T + 100 });
		await sendOnce(event);
		const before = await orderRow(order.id);
		const again = await sendOnce(event);
		expect(again.body).toEqual({ received: true, outcome: "duplicate" });
		expect(webhookLine(again)).toMatchObject({ level: "info", outcome: "duplicate" });
		expect(webhookLine(again)).not.toHaveProperty("alert");
		expect(await orderRow(order.id)).toEqual(before);
		expect(await ledgerRows("stripe", event.id)).toHaveLength(1);
	});
});

describe("a dispute's events shuffled", () => {
	type Spec = { name: string; type: DisputeEventType; status: string; at: number; amount?: number };

	/** Delivers the payment, then `specs` in `order`, to a fresh order; its row (ids normalised) and answers. */
	async function run(specs: Spec[], order: number[]) {
		const ns = namespace();
		const created = await createOrder(ns, true);
		const shop = { id: created.id, stripePaymentIntentId: created.pi };
		const charge = `${ns}ch_1`;
		await sendOnce(intentEvent("payment_intent.succeeded", shop, { amount: 4999, charge, created: T }));
		const lines = [];
		for (const i of order) {
			const spec = specs[i] as Spec;
			const event = disputeEvent(spec.type, {
				eventId: `${ns}evt_${spec.name}`,
				disputeId: `${ns}du_1`,
				status: spec.status,
				amount: spec.amount ?? 4999,
				charge,
				paymentIntent: created.pi,
				created: T + spec.at,
			});
			lines.push(webhookLine(await sendOnce(event)));
		}
		const [row] = (await orderRows(ns)) as Record<string, unknown>[];
		return { row, lines };
	}

	it("created, updated (under_review), closed lost: every delivery order ends charged_back with the closing event", async () => {
		const specs: Spec[] = [
			{ name: "created", type: "charge.dispute.created", status: "needs_response", at: 100 },
			{ name: "updated", type: "charge.dispute.updated", status: "under_review", at: 200 },
			{ name: "closed", type: "charge.dispute.closed", status: "lost", at: 300, amount: 4000 },
		];
		const runs = await inEveryOrder(specs.length, (order) => run(specs, order));
		expect(runs).toHaveLength(6);
		expect(runs[0]?.row).toMatchObject({
			status: "charged_back",
			stripeDisputeId: "~du_1",
			disputeStatus: "lost",
			disputedAmount: 4000,
			disputeEventAt: at(T + 300).toISOString(),
			disputeEventId: "~evt_closed",
			paidAt: at(T).toISOString(),
		});
		for (const { lines } of runs)
			for (const line of lines) expect(line).toMatchObject({ level: "warn", alert: "dispute" });
	});

	it("created and funds_withdrawn (same second), updated, closed won: every order ends won, the order paid", async () => {
		const specs: Spec[] = [
			{ name: "created", type: "charge.dispute.created", status: "warning_needs_response", at: 100 },
			{ name: "withdrawn", type: "charge.dispute.funds_withdrawn", status: "needs_response", at: 100 },
			{ name: "updated", type: "charge.dispute.updated", status: "under_review", at: 200 },
			{ name: "closed", type: "charge.dispute.closed", status: "won", at: 300 },
		];
		const runs = await inEveryOrder(specs.length, (order) => run(specs, order));
		expect(runs).toHaveLength(24);
		expect(runs[0]?.row).toMatchObject({ status: "paid", disputeStatus: "won", disputeEventId: "~evt_closed" });
	});

	it("same second: under_review comes after needs_response, in either order", async () => {
		const specs: Spec[] = [
			{ name: "b_needs", type: "charge.dispute.updated", status: "needs_response", at: 100 },
			{ name: "a_review", type: "charge.dispute.updated", status: "under_review", at: 100 },
		];
		const runs = await inEveryOrder(specs.length, (order) => run(specs, order));
		expect(runs[0]?.row).toMatchObject({ disputeStatus: "under_review", disputeEventId: "~evt_a_review" });
	});

	it("same second, same stage: the greater event id", async () => {
		const specs: Spec[] = [
			{ name: "b", type: "charge.dispute.updated", status: "needs_response", at: 100, amount: 1000 },
			{ name: "a", type: "charge.dispute.updated", status: "warning_needs_response", at: 100, amount: 2000 },
		];
		const runs = await inEveryOrder(specs.length, (order) => run(specs, order));
		expect(runs[0]?.row).toMatchObject({ disputedAmount: 1000, disputeEventId: "~evt_b" });
	});

	it("closed lost wins over a later closed won, in either order", async () => {
		const specs: Spec[] = [
			{ name: "lost", type: "charge.dispute.closed", status: "lost", at: 100 },
			{ name: "won", type: "charge.dispute.closed", status: "won", at: 300 },
		];
		const runs = await inEveryOrder(specs.length, (order) => run(specs, order));
		expect(runs[0]?.row).toMatchObject({ status: "charged_back", disputeStatus: "lost" });
	});
});

describe("an order paid twice, and an inquiry before a chargeback (fresh-user review)", () => {
	it("a dispute on the payment the order's columns do not show finds the order, whichever payment came first", async () => {
		for (const secondFirst of [false, true]) {
			const order = await pendingOrder(4999);
			const first = intentEvent("payment_intent.succeeded", order, { charge: uniqueId("ch_b"), created: T });
			// the buyer paid again through another intent of the same order, at the same second
			const second = intentEvent("payment_intent.succeeded", order, { charge: uniqueId("ch_a"), created: T });
			second.data.object.id = uniqueId("pi_again");
			for (const event of secondFirst ? [second, first] : [first, second]) await sendOnce(event);
			const dispute = disputeEvent("charge.dispute.created", {
				status: "needs_response",
				charge: second.data.object.latest_charge,
				paymentIntent: second.data.object.id,
				created: T + 100,
			});
			expect((await sendOnce(dispute)).body.outcome).toBe("applied");
			const throughCharge = disputeEvent("charge.dispute.updated", {
				disputeId: dispute.data.object.id,
				status: "under_review",
				charge: second.data.object.latest_charge,
				paymentIntent: null,
				created: T + 200,
			});
			expect((await sendOnce(throughCharge)).body.outcome).toBe("applied");
			expect(await orderRow(order.id)).toMatchObject({ status: "paid", disputeStatus: "under_review" });
		}
	});

	it("an inquiry closed without a chargeback, then a chargeback: needs_response, in either order", async () => {
		const rows = await inEveryOrder(2, async (deliveryOrder) => {
			const order = await paidOrder();
			const inquiry = disputeOf(order, "charge.dispute.closed", "warning_closed", { created: T + 100 });
			const chargeback = disputeOf(order, "charge.dispute.created", "needs_response", { created: T + 200 });
			const events = [inquiry, chargeback];
			for (const i of deliveryOrder) await sendOnce(events[i] as (typeof events)[number]);
			const { disputeStatus, stripeDisputeStatus, stripeDisputeId } = (await orderRow(order.id)) ?? {};
			return {
				row: { disputeStatus, stripeDisputeStatus, isChargeback: stripeDisputeId === chargeback.data.object.id },
			};
		});
		expect(rows[0]?.row).toEqual({
			disputeStatus: "needs_response",
			stripeDisputeStatus: "needs_response",
			isChargeback: true,
		});
	});

	it("a won dispute is final: a later open stage of the same dispute changes nothing", async () => {
		const order = await paidOrder();
		const disputeId = uniqueId("du");
		await sendOnce(disputeOf(order, "charge.dispute.closed", "won", { disputeId, created: T + 100 }));
		const late = await sendOnce(
			disputeOf(order, "charge.dispute.updated", "under_review", { disputeId, created: T + 200 }),
		);
		expect(late.body.outcome).toBe("stale");
		expect(await orderRow(order.id)).toMatchObject({ disputeStatus: "won", stripeDisputeStatus: "won" });
	});
});
