/**
 * Issue 10, item 4 as a property: for a random set of tracking updates (in transit, delivered,
 * exception; carrier times from a small range, so ties are common) about one or two parcels of an
 * order that is paid, refunded or cancelled, every delivery order, with redeliveries, ends in the same
 * shipments, the same order statuses and the same `delivered` notification, which exists exactly when
 * the order ends delivered; the rows match a model computed from the set alone. Along the way each
 * answer matches what its delivery did, and a new exception alerts exactly when it left its parcel in
 * exception. Each delivery order runs in its own namespace (test/support/converge.ts).
 * `npm test` runs a few seeded cases; `npm run test:properties` runs many (PROPERTY_RUNS).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { OrderPaymentStatus } from "../../src/db/schema";
import type { PackageStatus } from "../../src/domain/tracking-event";
import { deliveryOrder, namespace } from "../support/converge";
import { withSettings } from "../support/email";
import { propertyOptions } from "../support/property";
import {
	createShippedOrder,
	deliverInOrder,
	inconsistentSteps,
	notificationRows,
	type TrackingSpec,
	type TrackingStep,
	trackedRows,
} from "../support/shipping";

const OPS = withSettings({ OPS_EMAIL: "ops@shop.example" });
/** Delivery orders per case: the first delivers each update once in the generated order. */
const ORDERS = 3;
const options = propertyOptions(10);
/** A case takes a second or two (about 20 deliveries); `npm run test:properties` runs hundreds. */
const TIMEOUT = 60_000 + options.numRuns * 6_000;

const update = (parcels: string[]): fc.Arbitrary<Omit<TrackingSpec, "id">> =>
	fc.record({
		status: fc.constantFrom<PackageStatus>("in_transit", "delivered", "exception"),
		at: fc.constantFrom(0, 10, 20),
		parcel: fc.constantFrom(...parcels),
		detail: fc.constantFrom("arrived_at_facility", "out_for_delivery", null),
		reason: fc.constantFrom("return_to_sender", "AttemptFail", null),
		url: fc.constantFrom("u1", "u2", null),
		eta: fc.constantFrom(100, null),
	});

/** A case: the order's parcels and payment, a set of updates with distinct ids, and more delivery orders. */
const cases = fc
	.record({
		parcels: fc.constantFrom<string[]>(["a"], ["a", "b"]),
		payment: fc.constantFrom<OrderPaymentStatus>("paid", "refunded", "cancelled"),
	})
	.chain(({ parcels, payment }) =>
		fc
			.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z0-9]{1,4}$/), update(parcels)), {
				minLength: 1,
				maxLength: 6,
				selector: ([id]) => id,
			})
			.map((updates) => updates.map(([id, spec]) => ({ ...spec, id }) as TrackingSpec))
			.chain((specs) =>
				fc.record({
					parcels: fc.constant(parcels),
					payment: fc.constant(payment),
					specs: fc.constant(specs),
					orders: fc.array(deliveryOrder(specs.length), { minLength: ORDERS - 1, maxLength: ORDERS - 1 }),
				}),
			),
	);

const rank: Record<PackageStatus, number> = { in_transit: 1, exception: 2, delivered: 3 };

/** The update whose values a parcel keeps (src/domain/shipments.ts): delivered, time, rank, id. */
function winner(specs: TrackingSpec[]): TrackingSpec | undefined {
	const key = (s: TrackingSpec) => [s.status === "delivered" ? 1 : 0, s.at, rank[s.status]] as const;
	return specs.reduce<TrackingSpec | undefined>((best, s) => {
		if (!best) return s;
		const [a, b] = [key(s), key(best)];
		for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) > (b[i] as number) ? s : best;
		// ids are ASCII: JavaScript compares them as COLLATE "C" does
		return s.id > best.id ? s : best;
	}, undefined);
}

/** What the set of updates alone says: each parcel's status, and the order's. */
function model(parcels: string[], payment: OrderPaymentStatus, specs: TrackingSpec[]) {
	const statuses = parcels.map(
		(parcel) => winner(specs.filter((s) => (s.parcel ?? "a") === parcel))?.status ?? "pending",
	);
	const moved = statuses.filter((s) => s !== "pending");
	const shippingStatus =
		moved.length === 0
			? null
			: moved.includes("exception")
				? "delivery_exception"
				: statuses.every((s) => s === "delivered")
					? "delivered"
					: "shipped";
	const status =
		shippingStatus !== null && !["cancelled", "refunded", "charged_back"].includes(payment) ? shippingStatus : payment;
	return { statuses, order: { status, paymentStatus: payment, shippingStatus } };
}

/** The steps where a new exception alerted without leaving its parcel in exception, or the reverse. */
function misalerted(steps: TrackingStep[], specs: TrackingSpec[], parcels: string[]): string[] {
	const seen = new Set<number>();
	const problems: string[] = [];
	for (const [n, step] of steps.entries()) {
		const spec = specs[step.event] as TrackingSpec;
		const parcel = parcels.indexOf(spec.parcel ?? "a");
		const after = step.after as { shipments: { status: string; statusEventId: string | null }[] };
		const shipment = after.shipments[parcel];
		const expected =
			!seen.has(step.event) &&
			spec.status === "exception" &&
			shipment?.status === "exception" &&
			shipment.statusEventId === `~ev_${spec.id}`;
		const alerted = step.result.fields.alert === "delivery_exception";
		if (alerted !== expected || (alerted && step.result.level !== "warn"))
			problems.push(
				`delivery ${n} (event ${step.event}): alert ${alerted} at ${step.result.level}, expected ${expected}`,
			);
		seen.add(step.event);
	}
	return problems;
}

describe("every delivery order of a set of tracking updates ends in the same rows", () => {
	it(
		"one or two parcels, in transit / delivered / exception at tied times, a paid, refunded or cancelled order",
		async () => {
			await fc.assert(
				fc.asyncProperty(cases, async ({ parcels, payment, specs, orders }) => {
					const finals: unknown[] = [];
					const problems: string[] = [];
					const expected = model(parcels, payment, specs);
					for (const order of [specs.map((_, i) => i), ...orders]) {
						const ns = namespace();
						await createShippedOrder(ns, {
							email: `${ns}ada@example.org`,
							payment,
							parcels: parcels.map((parcel) => ({ parcel })),
						});
						const steps = await deliverInOrder(ns, specs, order, OPS);
						problems.push(...inconsistentSteps(steps), ...misalerted(steps, specs, parcels));
						const rows = (await trackedRows(ns)) as {
							shipments: { status: string }[];
							order: unknown;
							delivered: unknown[];
						};
						finals.push(rows);
						expect(rows.shipments.map((s) => s.status)).toEqual(expected.statuses);
						expect(rows.order).toEqual(expected.order);
						expect(rows.delivered).toHaveLength(expected.order.shippingStatus === "delivered" ? 1 : 0);
						const kinds = (await notificationRows(ns)).map((row) => row.kind);
						// one per kind at most; an exception the order ends in was told
						expect(new Set(kinds).size).toBe(kinds.length);
						if (expected.order.shippingStatus === "delivery_exception") expect(kinds).toContain("delivery_exception");
					}
					expect(problems).toEqual([]);
					for (const rows of finals.slice(1)) expect(rows).toEqual(finals[0]);
				}),
				options,
			);
		},
		TIMEOUT,
	);
});
