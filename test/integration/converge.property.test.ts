/**
 * Issue 7, "equal event times converge", as a property: for a random set of events about one order,
 * one subscription or one user (times from a small range, so ties are common), every delivery order,
 * with duplicates, ends in the same rows, on the real database through the Worker. Along the way each
 * answer must match what the delivery did: `applied` when the rows changed, `stale` when they did not,
 * `duplicate` for an event id seen before.
 *
 * Each delivery order runs in its own namespace (test/support/converge.ts): its own ids for the
 * events, the order, the subscription, the users, compared with the namespace replaced.
 * `npm test` runs a few seeded cases; `npm run test:properties` runs many (PROPERTY_RUNS).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
	createOrder,
	deliverInOrder,
	deliveryOrder,
	inconsistentSteps,
	namespace,
	orderEventSet,
	orderRows,
	orderStripeEvent,
	stripeRequest,
	subscriptionEventSet,
	subscriptionRows,
	subscriptionStripeEvent,
	userClerkRequest,
	userEventSet,
	userRows,
} from "../support/converge";
import { propertyOptions } from "../support/property";

/** Delivery orders per case: the first delivers each event once in the generated order. */
const ORDERS = 3;
const options = propertyOptions(10);
/** A case takes well under a second (about 25 deliveries); `npm run test:properties` runs hundreds. */
const TIMEOUT = 30_000 + options.numRuns * 3_000;

/** Runs every delivery order and returns [final rows per order, answers that broke the rules]. */
async function converge<T>(orders: number[][], run: (order: number[]) => Promise<{ rows: unknown; problems: T[] }>) {
	const results = [];
	for (const order of orders) results.push(await run(order));
	return { rows: results.map((r) => r.rows), problems: results.flatMap((r) => r.problems) };
}

describe("every delivery order of a set of events ends in the same rows", () => {
	it(
		"one order: payments, failures, cancellations, refunds, checkout sessions",
		async () => {
			await fc.assert(
				fc.asyncProperty(
					orderEventSet(6).chain((events) =>
						fc.record({
							events: fc.constant(events),
							shopIntent: fc.boolean(),
							orders: fc.array(deliveryOrder(events.length), { minLength: ORDERS - 1, maxLength: ORDERS - 1 }),
						}),
					),
					async ({ events, shopIntent, orders }) => {
						const inOrder = events.map((_, i) => i);
						const { rows, problems } = await converge([inOrder, ...orders], async (order) => {
							const ns = namespace();
							const created = await createOrder(ns, shopIntent);
							const requests = events.map((spec) => orderStripeEvent(spec, ns, created.id, created.pi));
							const steps = await deliverInOrder(
								order,
								(i) => stripeRequest(requests[i]),
								() => orderRows(ns),
							);
							return { rows: steps.at(-1)?.after, problems: inconsistentSteps(steps) };
						});
						expect(problems).toEqual([]);
						for (const row of rows.slice(1)) expect(row).toEqual(rows[0]);
					},
				),
				options,
			);
		},
		TIMEOUT,
	);

	it(
		"one subscription: invoices and customer.subscription.* snapshots",
		async () => {
			await fc.assert(
				fc.asyncProperty(
					subscriptionEventSet(6).chain((events) =>
						fc.record({
							events: fc.constant(events),
							orders: fc.array(deliveryOrder(events.length), { minLength: ORDERS - 1, maxLength: ORDERS - 1 }),
						}),
					),
					async ({ events, orders }) => {
						const inOrder = events.map((_, i) => i);
						const { rows, problems } = await converge([inOrder, ...orders], async (order) => {
							const ns = namespace();
							const requests = events.map((spec) => subscriptionStripeEvent(spec, ns));
							const steps = await deliverInOrder(
								order,
								(i) => stripeRequest(requests[i]),
								() => subscriptionRows(ns),
							);
							return { rows: steps.at(-1)?.after, problems: inconsistentSteps(steps) };
						});
						expect(problems).toEqual([]);
						for (const row of rows.slice(1)) expect(row).toEqual(rows[0]);
					},
				),
				options,
			);
		},
		TIMEOUT,
	);

	it(
		"one user: Clerk snapshots (equal updated_at and event times included) and deletions",
		async () => {
			await fc.assert(
				fc.asyncProperty(
					userEventSet(6).chain((events) =>
						fc.record({
							events: fc.constant(events),
							orders: fc.array(deliveryOrder(events.length), { minLength: ORDERS - 1, maxLength: ORDERS - 1 }),
						}),
					),
					async ({ events, orders }) => {
						const inOrder = events.map((_, i) => i);
						const { rows, problems } = await converge([inOrder, ...orders], async (order) => {
							const ns = namespace();
							const steps = await deliverInOrder(
								order,
								(i) => userClerkRequest(events[i] as (typeof events)[number], ns),
								() => userRows(ns),
							);
							return { rows: steps.at(-1)?.after, problems: inconsistentSteps(steps) };
						});
						expect(problems).toEqual([]);
						for (const row of rows.slice(1)) expect(row).toEqual(rows[0]);
					},
				),
				options,
			);
		},
		TIMEOUT,
	);
});
