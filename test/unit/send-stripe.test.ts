/**
 * The send CLI's Stripe templates (src/providers/stripe/send.ts) as the Worker reads them: every type is
 * handled and readable (never `failed`), shaped like the fixtures of its type; and the README's
 * `npm run send` examples, on the rows `npm run db:seed` writes (tools/db/demo-rows.ts), do what the
 * README says. The CLI itself (signing, --set on the command line): test/tools/send-stripe.test.ts.
 */

import { env } from "cloudflare:test";
import chargeDisputeClosed from "@fixtures/payloads/stripe/charge.dispute.closed.json";
import chargeDisputeCreated from "@fixtures/payloads/stripe/charge.dispute.created.json";
import checkoutCompleted from "@fixtures/payloads/stripe/checkout.session.completed.json";
import paymentFailed from "@fixtures/payloads/stripe/payment_intent.payment_failed.json";
import paymentProcessing from "@fixtures/payloads/stripe/payment_intent.processing.json";
import paymentSucceeded from "@fixtures/payloads/stripe/payment_intent.succeeded.json";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { orders } from "../../src/db/schema";
import { stripe } from "../../src/providers/stripe";
import { stripeTemplates } from "../../src/providers/stripe/send";
import { seedStatements } from "../../tools/db/demo-rows";
import { parseAssignment, setPath } from "../../tools/send/set-path";
import { deliver, webhookLine } from "../support/deliver";
import { testDb } from "../support/rows";
import { stripeRequest } from "../support/stripe";

const fixtures: Record<string, { data: { object: Record<string, unknown> } }> = {
	"payment_intent.succeeded": paymentSucceeded,
	"payment_intent.processing": paymentProcessing,
	"payment_intent.payment_failed": paymentFailed,
	"checkout.session.completed": checkoutCompleted,
	"charge.dispute.created": chargeDisputeCreated,
	"charge.dispute.closed": chargeDisputeClosed,
};

/** What `npm run send -- stripe <type> --set …` posts. */
function template(type: string, sets: string[] = []): Record<string, unknown> {
	const build = stripeTemplates[type];
	if (!build) throw new Error(`no template for ${type}`);
	const payload = build(Date.now());
	for (const set of sets) setPath(payload, ...parseAssignment(set));
	return payload;
}

describe("every Stripe template", () => {
	it.each(Object.keys(stripeTemplates))("%s is handled and readable", (type) => {
		const meaning = stripe.interpret(template(type), { ok: true }, env);
		expect(meaning).toMatchObject({ kind: "apply", eventType: type });
	});

	it.each(Object.keys(fixtures))("%s: every field of the template's object is one of Stripe's", (type) => {
		const object = template(type).data as { object: Record<string, unknown> };
		const stripeKeys = Object.keys(fixtures[type]?.data.object ?? {});
		expect(Object.keys(object.object).filter((key) => !stripeKeys.includes(key))).toEqual([]);
	});

	it.each(Object.keys(fixtures))("the fixture %s is handled and readable", (type) => {
		expect(stripe.interpret(fixtures[type], { ok: true }, env)).toMatchObject({ kind: "apply", eventType: type });
	});

	it.each([
		["charge.dispute.created", "needs_response"],
		["charge.dispute.funds_withdrawn", "needs_response"],
		["charge.dispute.updated", "under_review"],
		["charge.dispute.closed", "lost"],
		["charge.dispute.funds_reinstated", "won"],
	])("%s raises the dispute alert, %s", (type, status) => {
		const meaning = stripe.interpret(template(type), { ok: true }, env);
		expect(meaning).toMatchObject({
			alert: {
				name: "dispute",
				level: "warn",
				fields: { dispute_id: "du_demo_7", dispute_status: status, disputed_amount: 4999, charge: "ch_demo_7" },
			},
		});
	});
});

/** `npm run db:seed`: the same statements, through the same bridge. */
async function seed() {
	const bridge = new URL(env.DATABASE_URL);
	const response = await fetch(`http://${bridge.host}/sql`, {
		method: "POST",
		headers: { "neon-batch-isolation-level": "ReadCommitted" },
		body: JSON.stringify({ queries: seedStatements(Date.now()) }),
	});
	expect(response.status, await response.clone().text()).toBe(200);
}

/** `npm run send -- stripe <type> --set …`: the answer's outcome and the log line. */
async function send(type: string, ...sets: string[]) {
	const delivered = await deliver(await stripeRequest(template(type, sets)));
	expect(delivered.status).toBe(200);
	return { outcome: delivered.body.outcome, line: webhookLine(delivered) };
}

async function order(id: string) {
	const [row] = await testDb().select().from(orders).where(eq(orders.id, id));
	return row;
}

// One file at a time writes the demo rows: the other tests use ids of their own.
describe("the README's npm run send examples, after npm run db:seed", () => {
	it("a bank debit: processing, then paid", async () => {
		await seed();
		expect((await send("payment_intent.processing")).outcome).toBe("applied");
		expect(await order("order_demo_5")).toMatchObject({ status: "processing" });
		await send("payment_intent.succeeded", "data.object.metadata.order_id=order_demo_5");
		expect(await order("order_demo_5")).toMatchObject({ status: "paid", amountReceived: 4999 });
	});

	it("too little, the wrong currency, then enough", async () => {
		await seed();
		const short = await send(
			"payment_intent.succeeded",
			"data.object.metadata.order_id=order_demo_6",
			"data.object.amount_received=1000",
		);
		expect(short).toMatchObject({ outcome: "applied", line: { level: "error", alert: "payment_mismatch" } });
		expect(short.line).toMatchObject({
			order_id: "order_demo_6",
			amount_received: 1000,
			currency_received: "usd",
			amount_due: 4999,
			currency_due: "usd",
		});
		expect(await order("order_demo_6")).toMatchObject({
			status: "payment_mismatch",
			amountReceived: 1000,
			currencyReceived: "usd",
			paidAt: null,
		});

		const euros = await send(
			"payment_intent.succeeded",
			"data.object.metadata.order_id=order_demo_6",
			"data.object.currency=eur",
		);
		expect(euros).toMatchObject({ outcome: "stale", line: { alert: "payment_mismatch", currency_received: "eur" } });
		expect(await order("order_demo_6")).toMatchObject({ status: "payment_mismatch", amountReceived: 1000 });

		const enough = await send("payment_intent.succeeded", "data.object.metadata.order_id=order_demo_6");
		expect(enough.line).toMatchObject({ level: "info", outcome: "applied" });
		expect(enough.line).not.toHaveProperty("alert");
		expect(await order("order_demo_6")).toMatchObject({
			status: "paid",
			amountReceived: 4999,
			currencyReceived: "usd",
			stripeChargeId: "ch_demo_1",
		});

		await send("checkout.session.completed", "data.object.amount_total=2500");
		expect(await order("order_demo_4")).toMatchObject({ status: "payment_mismatch", amountReceived: 2500 });
	});

	it("a dispute opened, under review, lost; another won; one found through its charge", async () => {
		await seed();
		const opened = await send("charge.dispute.created");
		expect(opened.line).toMatchObject({
			level: "warn",
			alert: "dispute",
			dispute_status: "needs_response",
			dispute_reason: "fraudulent",
		});
		expect(opened.line).toMatchObject({
			dispute_id: "du_demo_7",
			stripe_dispute_status: "needs_response",
			disputed_amount: 4999,
			currency: "usd",
			payment_intent: "pi_demo_7",
			charge: "ch_demo_7",
		});
		expect(opened.line.respond_by).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
		expect(await order("order_demo_7")).toMatchObject({
			status: "paid",
			stripeDisputeId: "du_demo_7",
			disputeStatus: "needs_response",
			disputedAmount: 4999,
			disputeReason: "fraudulent",
		});
		await send("charge.dispute.updated");
		expect(await order("order_demo_7")).toMatchObject({ status: "paid", disputeStatus: "under_review" });
		await send("charge.dispute.closed");
		expect(await order("order_demo_7")).toMatchObject({ status: "charged_back", disputeStatus: "lost" });

		await seed();
		await send("charge.dispute.closed", "data.object.status=won");
		expect(await order("order_demo_7")).toMatchObject({ status: "paid", disputeStatus: "won" });

		await seed();
		expect((await send("charge.dispute.created", "data.object.payment_intent=null")).outcome).toBe("applied");
		expect(await order("order_demo_7")).toMatchObject({ disputeStatus: "needs_response" });
	});

	it("the Quick start's examples", async () => {
		await seed();
		await send("payment_intent.succeeded");
		expect(await order("order_demo_1")).toMatchObject({ status: "paid", stripeChargeId: "ch_demo_1" });
		await send("payment_intent.payment_failed");
		expect(await order("order_demo_2")).toMatchObject({ status: "cancelled" });
		await send("charge.refunded");
		expect(await order("order_demo_1")).toMatchObject({ status: "refunded", amountRefunded: 4999 });
		await send("checkout.session.completed", "data.object.metadata.order_id=order_demo_3");
		expect(await order("order_demo_3")).toMatchObject({ status: "paid" });
	});
});
