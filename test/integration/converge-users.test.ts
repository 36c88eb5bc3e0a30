/**
 * Issue 7, users: the stored snapshot has the greatest (updated_at, event time, event id); a deletion
 * wins over every snapshot and leaves a tombstone without any snapshot column; the Stripe customer
 * is the least one linked. Every delivery order ends in the same row.
 */
import { describe, expect, it } from "vitest";
import { clerkRequest, userEvent } from "../support/clerk";
import {
	inEveryOrder,
	namespace,
	stripeRequest,
	subscriptionRows,
	subscriptionStripeEvent,
	type UserEventSpec,
	userClerkRequest,
	userRows,
} from "../support/converge";
import { deliver } from "../support/deliver";

const U0 = Date.UTC(2026, 0, 15, 12, 0, 0);

async function run(specs: UserEventSpec[], order: number[]) {
	const ns = namespace();
	const outcomes: unknown[] = [];
	for (const i of order) outcomes.push((await deliver(userClerkRequest(specs[i] as UserEventSpec, ns))).body.outcome);
	const [row] = (await userRows(ns)) as Record<string, unknown>[];
	return { row, outcomes };
}

function everyOrder(specs: UserEventSpec[]) {
	return inEveryOrder(specs.length, (order) => run(specs, order));
}

describe("snapshots with equal updated_at", () => {
	it("the later event wins, in either order; the earlier arriving last is stale", async () => {
		const runs = await everyOrder([
			{ kind: "snapshot", id: "a", type: "user.updated", updatedAt: 0, at: 2000, name: "Ada" },
			{ kind: "snapshot", id: "b", type: "user.updated", updatedAt: 0, at: 1000, name: "Grace" },
		]);
		expect(runs[0]?.row).toMatchObject({ firstName: "Ada", lastEventAt: new Date(U0 + 2000).toISOString() });
		expect(runs.map((r) => r.outcomes)).toEqual([
			["applied", "stale"],
			["applied", "applied"],
		]);
	});

	it("equal event times too: the greater event id", async () => {
		const runs = await everyOrder([
			{ kind: "snapshot", id: "b", type: "user.updated", updatedAt: 0, at: 0, name: "Grace" },
			{ kind: "snapshot", id: "a", type: "user.created", updatedAt: 0, at: 0, name: "Ada" },
		]);
		expect(runs[0]?.row).toMatchObject({ firstName: "Grace", lastEventId: "~msg_b" });
	});
});

describe("snapshots without an envelope timestamp", () => {
	it("are timed by their updated_at, not by when each attempt was signed: one row in either order", async () => {
		const rows = [];
		for (const order of [
			[0, 1],
			[1, 0],
		]) {
			const ns = namespace();
			const events = ["Ada", "Grace"].map((name) => {
				const event = userEvent("user.updated", `${ns}user`, U0);
				Reflect.deleteProperty(event, "timestamp");
				event.data.first_name = name;
				return event;
			});
			// signed 1.1 s apart, in delivery order: the signing time must not decide
			for (const [k, i] of order.entries()) {
				const at = new Date(Date.now() + k * 1100);
				await deliver(clerkRequest(events[i], { id: `${ns}msg_${i}`, at }));
			}
			const [row] = (await userRows(ns)) as Record<string, unknown>[];
			rows.push(row);
		}
		expect(rows[1]).toEqual(rows[0]);
		expect(rows[0]).toMatchObject({ firstName: "Grace", lastEventAt: new Date(U0).toISOString() });
	});
});

describe("deletions", () => {
	it("created then deleted and deleted then created: the same tombstone, without snapshot times", async () => {
		const runs = await everyOrder([
			{ kind: "snapshot", id: "c", type: "user.created", updatedAt: 0, at: 0, name: "Ada" },
			{ kind: "deleted", id: "d", at: 1000 },
		]);
		expect(runs[0]?.row).toEqual({
			id: "~user",
			email: null,
			emailVerified: null,
			firstName: null,
			lastName: null,
			username: null,
			imageUrl: null,
			createdAt: null,
			updatedAt: null,
			deletedAt: new Date(U0 + 1000).toISOString(),
			lastEventAt: new Date(U0 + 1000).toISOString(),
			lastEventId: "~msg_d",
			stripeCustomerId: null,
			emailStatus: null,
		});
		expect(runs.map((r) => r.outcomes)).toEqual([
			["applied", "applied"],
			["applied", "stale"],
		]);
	});

	it("two deletions: the earliest", async () => {
		const runs = await everyOrder([
			{ kind: "deleted", id: "late", at: 2000 },
			{ kind: "deleted", id: "early", at: 1000 },
		]);
		expect(runs[0]?.row).toMatchObject({ deletedAt: new Date(U0 + 1000).toISOString(), lastEventId: "~msg_early" });
	});
});

describe("the Stripe customer", () => {
	it("of two linked customers, the least; a link that comes before the user is not lost", async () => {
		const rows = [];
		for (const order of [
			["clerk", "stripe b", "stripe a"],
			["stripe a", "stripe b", "clerk"],
			["stripe b", "clerk", "stripe a"],
		]) {
			const ns = namespace();
			const userId = `${ns}user_a`;
			for (const step of order) {
				if (step === "clerk") await deliver(clerkRequest(userEvent("user.created", userId, U0)));
				else {
					const event = subscriptionStripeEvent(
						{
							kind: "subscription",
							id: step.slice(-1),
							at: 0,
							type: "customer.subscription.created",
							status: "active",
							price: "price_a",
							periodEnd: 30,
							cancelAtPeriodEnd: false,
							canceledAt: null,
							user: "user_a",
						},
						ns,
					);
					// two subscriptions of two customers of the same user
					event.data.object.id = `${ns}sub_${step.slice(-1)}`;
					event.data.object.customer = `${ns}cus_${step.slice(-1)}`;
					await deliver(await stripeRequest(event));
				}
			}
			const { users } = (await subscriptionRows(ns)) as { users: Record<string, unknown>[] };
			rows.push(users.map(({ lastEventId: _, ...user }) => user));
		}
		expect(rows[0]).toMatchObject([{ id: "~user_a", firstName: "Jane", stripeCustomerId: "~cus_a" }]);
		for (const row of rows.slice(1)) expect(row).toEqual(rows[0]);
	});
});
