/**
 * Issue 7, orders: every column is a function of the set of Stripe events received, whatever their
 * order and ties, and an event that changes nothing answers `stale`. Each run delivers to its own
 * order (test/support/converge.ts), and rows are compared with the run's ids replaced by `~`.
 */
import { describe, expect, it } from "vitest";
import {
	createOrder,
	inEveryOrder,
	namespace,
	type OrderEventSpec,
	orderRows,
	orderStripeEvent,
	stripeRequest,
} from "../support/converge";
import { deliver } from "../support/deliver";

const T = 1_790_000_000;
const at = (offset: number) => new Date((T + offset) * 1000).toISOString();

/** Delivers `specs` in `order` to a fresh order; its row (ids normalised) and the answers. */
async function run(specs: OrderEventSpec[], order: number[], options: { shopIntent?: boolean } = {}) {
	const ns = namespace();
	const created = await createOrder(ns, options.shopIntent ?? true);
	const events = specs.map((spec) => orderStripeEvent(spec, ns, created.id, created.pi));
	const outcomes: unknown[] = [];
	for (const i of order) outcomes.push((await deliver(await stripeRequest(events[i]))).body.outcome);
	const [row] = (await orderRows(ns)) as Record<string, unknown>[];
	return { row, outcomes };
}

/** The rows of every delivery order of `specs`: all must be equal. */
function everyOrder(specs: OrderEventSpec[], options: { shopIntent?: boolean } = {}) {
	return inEveryOrder(specs.length, (order) => run(specs, order, options));
}

describe("superseded states leave nothing behind", () => {
	it("failed (t0), refund (t0+20), succeeded (t0+10): every order ends partially_refunded without the failure", async () => {
		const runs = await everyOrder([
			{ kind: "failed", id: "f", at: 0, reason: "do_not_honor" },
			{ kind: "refunded", id: "r", at: 20, refunded: 1000 },
			{ kind: "succeeded", id: "s", at: 10 },
		]);
		expect(runs[0]?.row).toMatchObject({
			status: "partially_refunded",
			paidAt: at(10),
			amountRefunded: 1000,
			refundedAt: at(20),
			cancelledAt: null,
			paymentError: null,
		});
	});

	it("a failure after the payment was seen is stale; before it, it is replaced", async () => {
		const failed: OrderEventSpec = { kind: "failed", id: "f", at: 10, reason: "lost_card" };
		const succeeded: OrderEventSpec = { kind: "succeeded", id: "s", at: 0 };
		const late = await run([succeeded, failed], [0, 1]);
		expect(late.outcomes).toEqual(["applied", "stale"]);
		const early = await run([succeeded, failed], [1, 0]);
		expect(early.outcomes).toEqual(["applied", "applied"]);
		expect(early.row).toEqual(late.row);
		expect(late.row).toMatchObject({ status: "paid", cancelledAt: null, paymentError: null });
	});
});

describe("ties", () => {
	it("two failures of the same second: the greater reason, in either order", async () => {
		const runs = await everyOrder([
			{ kind: "failed", id: "a", at: 0, reason: "do_not_honor" },
			{ kind: "canceled", id: "b", at: 0, reason: "abandoned" },
		]);
		// "canceled: abandoned" < "do_not_honor": reasons compare as bytes (COLLATE "C")
		expect(runs[0]?.row).toMatchObject({ status: "cancelled", cancelledAt: at(0), paymentError: "do_not_honor" });
		expect(runs.map((r) => r.outcomes)).toEqual([
			["applied", "stale"],
			["applied", "applied"],
		]);
	});

	it("two refunds of the same amount: refunded_at is the earliest; the later one is stale", async () => {
		const runs = await everyOrder([
			{ kind: "refunded", id: "a", at: 20, refunded: 2500 },
			{ kind: "refunded", id: "b", at: 10, refunded: 2500 },
		]);
		expect(runs[0]?.row).toMatchObject({ status: "partially_refunded", amountRefunded: 2500, refundedAt: at(10) });
		expect(runs.map((r) => r.outcomes)).toEqual([
			["applied", "applied"],
			["applied", "stale"],
		]);
	});

	it("successes of the same order: paid_at is the earliest, a later one is stale", async () => {
		const runs = await everyOrder([
			{ kind: "succeeded", id: "a", at: 20 },
			{ kind: "succeeded", id: "b", at: 10 },
		]);
		expect(runs[0]?.row).toMatchObject({ status: "paid", paidAt: at(10) });
		expect(runs[1]?.outcomes).toEqual(["applied", "stale"]);
	});
});

describe("checkout sessions", () => {
	const expiredLater: OrderEventSpec = {
		kind: "checkout",
		id: "x",
		at: 20,
		type: "checkout.session.expired",
		session: "cs_a",
		paymentIntent: null,
		paid: false,
	};
	const paidSession: OrderEventSpec = {
		kind: "checkout",
		id: "p",
		at: 10,
		type: "checkout.session.completed",
		session: "cs_b",
		paymentIntent: "pi_of_cs_b",
		paid: true,
	};

	it("the paid session is linked, not the one that expired later, with its payment intent", async () => {
		const runs = await everyOrder([expiredLater, paidSession], { shopIntent: false });
		expect(runs[0]?.row).toMatchObject({
			status: "paid",
			stripeCheckoutSessionId: "~cs_b",
			stripeCheckoutPaid: true,
			stripePaymentIntentId: null,
			stripeCheckoutPaymentIntentId: "~pi_of_cs_b",
			cancelledAt: null,
		});
	});

	it("a payment intent the shop set stays, whichever session is linked", async () => {
		const runs = await everyOrder([expiredLater, paidSession], { shopIntent: true });
		expect(runs[0]?.row).toMatchObject({ stripeCheckoutSessionId: "~cs_b", stripePaymentIntentId: "~pi_shop" });
	});

	it("the shop's payment intent stays even when an unpaid session carried it and a paid one another", async () => {
		const carriedShopIntent = { ...expiredLater, paymentIntent: "pi_shop" };
		const runs = await everyOrder([carriedShopIntent, paidSession], { shopIntent: true });
		expect(runs[0]?.row).toMatchObject({
			stripeCheckoutSessionId: "~cs_b",
			stripePaymentIntentId: "~pi_shop",
			stripeCheckoutPaymentIntentId: "~pi_of_cs_b",
		});
	});

	it("of two unpaid sessions, the least id", async () => {
		const runs = await everyOrder(
			[
				{ ...expiredLater, session: "cs_b", id: "b" },
				{ ...expiredLater, session: "cs_a", id: "a", at: 0 },
			],
			{ shopIntent: false },
		);
		expect(runs[0]?.row).toMatchObject({
			status: "cancelled",
			stripeCheckoutSessionId: "~cs_a",
			stripePaymentIntentId: null,
		});
	});
});

describe("money must match (issue 8): what was received, whatever the delivery order", () => {
	const CHARGE = 4999;
	const paidSession = (amount: number, currency: string, at: number): OrderEventSpec => ({
		kind: "checkout",
		id: "cs",
		at,
		type: "checkout.session.completed",
		session: "cs_a",
		paymentIntent: "pi_shop",
		paid: true,
		amount,
		currency,
	});

	it("a short payment and a covering one: paid, paid_at and amount_received from the covering one", async () => {
		const runs = await everyOrder([
			{ kind: "succeeded", id: "short", at: 0, amount: CHARGE - 1 },
			paidSession(CHARGE, "usd", 10),
		]);
		expect(runs[0]?.row).toMatchObject({
			status: "paid",
			paidAt: at(10),
			amountReceived: CHARGE,
			currencyReceived: "usd",
			stripeChargeId: null,
		});
		expect(runs.map((r) => r.outcomes)).toEqual([
			["applied", "applied"],
			["applied", "stale"], // a short payment after the covering one changes nothing
		]);
	});

	it("two covering payments: the greater amount kept with its charge, paid_at the earliest", async () => {
		const runs = await everyOrder([
			{ kind: "succeeded", id: "over", at: 20, amount: CHARGE + 1 },
			paidSession(CHARGE, "usd", 10),
		]);
		expect(runs[0]?.row).toMatchObject({
			status: "paid",
			paidAt: at(10),
			amountReceived: CHARGE + 1,
			stripeChargeId: "~ch_1",
		});
	});

	it("more in another currency and less in the order's: payment_mismatch, the one in the order's currency kept", async () => {
		const runs = await everyOrder([
			{ kind: "succeeded", id: "eur", at: 0, amount: CHARGE + 1, currency: "eur" },
			paidSession(CHARGE - 1, "usd", 10),
		]);
		expect(runs[0]?.row).toMatchObject({
			status: "payment_mismatch",
			paidAt: null,
			amountReceived: CHARGE - 1,
			currencyReceived: "usd",
		});
	});

	it("the same amount in USD and usd: both cover; the byte-wise greater currency is kept", async () => {
		const runs = await everyOrder([
			{ kind: "succeeded", id: "upper", at: 0, amount: CHARGE, currency: "USD" },
			paidSession(CHARGE, "usd", 10),
		]);
		// "usd" > "USD" under COLLATE "C": the session's receipt, which has no charge
		expect(runs[0]?.row).toMatchObject({ status: "paid", paidAt: at(0), currencyReceived: "usd" });
	});

	it("processing, a failure and a success, in every order: paid, no failure left", async () => {
		const runs = await everyOrder([
			{ kind: "processing", id: "p", at: 0 },
			{ kind: "failed", id: "f", at: 10, reason: "do_not_honor" },
			{ kind: "succeeded", id: "s", at: 20 },
		]);
		expect(runs[0]?.row).toMatchObject({ status: "paid", paidAt: at(20), cancelledAt: null, paymentError: null });
	});

	it("a refund and a lost dispute of a short payment, in every order: charged_back", async () => {
		const runs = await everyOrder([
			{ kind: "succeeded", id: "short", at: 0, amount: CHARGE - 1 },
			{ kind: "refunded", id: "r", at: 10, refunded: 1000 },
			{
				kind: "dispute",
				id: "d",
				at: 20,
				type: "charge.dispute.closed",
				dispute: "du_a",
				status: "lost",
				amount: CHARGE - 1,
				reason: "fraudulent",
			},
		]);
		expect(runs[0]?.row).toMatchObject({
			status: "charged_back",
			amountReceived: CHARGE - 1,
			amountRefunded: 1000,
			disputeStatus: "lost",
			disputedAmount: CHARGE - 1,
			stripeDisputeId: "~du_a",
		});
	});
});
