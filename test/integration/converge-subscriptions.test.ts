/**
 * Issue 7, subscriptions: events of the same second are ordered by a documented rank (README,
 * "Tie precedence"), so every delivery order ends in the same row; an event that changes nothing
 * answers `stale`. Each run has its own subscription, customer and event ids (test/support/converge.ts).
 */
import { describe, expect, it } from "vitest";
import {
	inEveryOrder,
	namespace,
	type SubscriptionEventSpec,
	stripeRequest,
	subscriptionRows,
	subscriptionStripeEvent,
} from "../support/converge";
import { deliver } from "../support/deliver";

type Snapshot = Extract<SubscriptionEventSpec, { kind: "subscription" }>;
const snapshot = (spec: Partial<Snapshot> & Pick<Snapshot, "id" | "type" | "status">): Snapshot => ({
	kind: "subscription",
	at: 0,
	price: "price_a",
	periodEnd: 30,
	cancelAtPeriodEnd: false,
	canceledAt: null,
	user: null,
	...spec,
});

async function run(specs: SubscriptionEventSpec[], order: number[]) {
	const ns = namespace();
	const outcomes: unknown[] = [];
	for (const i of order) {
		const spec = specs[i] as SubscriptionEventSpec;
		outcomes.push((await deliver(await stripeRequest(subscriptionStripeEvent(spec, ns)))).body.outcome);
	}
	const { subscription } = (await subscriptionRows(ns)) as { subscription: Record<string, unknown> };
	return { row: subscription, outcomes };
}

function everyOrder(specs: SubscriptionEventSpec[]) {
	return inEveryOrder(specs.length, (order) => run(specs, order));
}

describe("events of the same second", () => {
	it("created (incomplete) and updated (active): active in both orders; the created arriving last is stale", async () => {
		const runs = await everyOrder([
			snapshot({ id: "c", type: "customer.subscription.created", status: "incomplete", cancelAtPeriodEnd: true }),
			snapshot({ id: "u", type: "customer.subscription.updated", status: "active", price: "price_b" }),
		]);
		expect(runs[0]?.row).toMatchObject({ status: "active", priceId: "price_b", cancelAtPeriodEnd: false });
		expect(runs.map((r) => r.outcomes)).toEqual([
			["applied", "applied"],
			["applied", "stale"],
		]);
	});

	it("updated and deleted: canceled", async () => {
		const runs = await everyOrder([
			snapshot({ id: "d", type: "customer.subscription.deleted", status: "canceled", canceledAt: 0 }),
			snapshot({ id: "u", type: "customer.subscription.updated", status: "active" }),
		]);
		expect(runs[0]?.row).toMatchObject({ status: "canceled" });
	});

	it("an invoice and a snapshot: the snapshot's status", async () => {
		const runs = await everyOrder([
			{ kind: "invoice", id: "i", at: 0, type: "invoice.paid" },
			snapshot({ id: "u", type: "customer.subscription.updated", status: "past_due" }),
		]);
		expect(runs[0]?.row).toMatchObject({ status: "past_due", priceId: "price_a" });
	});

	it("two updates: the status further along the lifecycle", async () => {
		const runs = await everyOrder([
			snapshot({ id: "b", type: "customer.subscription.updated", status: "past_due", price: "price_b" }),
			snapshot({ id: "a", type: "customer.subscription.updated", status: "active" }),
		]);
		expect(runs[0]?.row).toMatchObject({ status: "past_due", priceId: "price_b" });
	});

	it("two updates with the same status: the greater event id", async () => {
		const runs = await everyOrder([
			snapshot({ id: "a", type: "customer.subscription.updated", status: "active", price: "price_b" }),
			snapshot({ id: "b", type: "customer.subscription.updated", status: "active" }),
		]);
		expect(runs[0]?.row).toMatchObject({ priceId: "price_a", statusEventId: expect.stringMatching(/evt_b$/) });
	});
});

describe("status and snapshot fields", () => {
	it("a newer invoice moves the status, not the fields only snapshots carry", async () => {
		const runs = await everyOrder([
			snapshot({ id: "u", type: "customer.subscription.updated", status: "active", cancelAtPeriodEnd: true }),
			{ kind: "invoice", id: "i", at: 10, type: "invoice.payment_failed" },
		]);
		expect(runs[0]?.row).toMatchObject({ status: "past_due", cancelAtPeriodEnd: true, priceId: "price_a" });
	});

	it("an older snapshot after a newer invoice fills the fields but leaves the status", async () => {
		const runs = await everyOrder([
			{ kind: "invoice", id: "i", at: 10, type: "invoice.paid" },
			snapshot({ id: "c", type: "customer.subscription.created", status: "incomplete" }),
		]);
		expect(runs[0]?.row).toMatchObject({ status: "active", priceId: "price_a" });
		expect(runs.map((r) => r.outcomes)).toEqual([
			["applied", "applied"],
			["applied", "applied"],
		]);
	});

	it("a terminal status is final: an invoice paid a second after the deletion leaves it canceled", async () => {
		const runs = await everyOrder([
			snapshot({ id: "d", type: "customer.subscription.deleted", status: "canceled", canceledAt: 0 }),
			{ kind: "invoice", id: "i", at: 1, type: "invoice.paid" },
			snapshot({ id: "u", type: "customer.subscription.updated", status: "active", at: 2, price: "price_b" }),
		]);
		expect(runs[0]?.row).toMatchObject({ status: "canceled", priceId: "price_a" });
	});

	it("an older invoice after a newer one is stale", async () => {
		const { outcomes, row } = await run(
			[
				{ kind: "invoice", id: "a", at: 10, type: "invoice.paid" },
				{ kind: "invoice", id: "b", at: 0, type: "invoice.payment_failed" },
			],
			[0, 1],
		);
		expect(outcomes).toEqual(["applied", "stale"]);
		expect(row).toMatchObject({ status: "active" });
	});

	it("the user named in metadata: the least id, whichever snapshot wins", async () => {
		const runs = await everyOrder([
			snapshot({ id: "a", type: "customer.subscription.created", status: "incomplete", user: "user_b" }),
			snapshot({ id: "b", type: "customer.subscription.updated", status: "active", user: "user_a" }),
		]);
		expect(runs[0]?.row).toMatchObject({ status: "active", userId: "~user_a", stripeCustomerId: "~cus" });
	});
});
