/**
 * Test helper for the convergence tests (issue 7): one abstract set of events, delivered in several
 * orders, each run in its own namespace so that runs never share rows or ledger entries.
 *
 * A namespace is a fixed-length prefix put in front of every id of a run (event, order, session,
 * payment intent, subscription, customer, user ids). Ids of one run compare exactly as their
 * unprefixed forms do, also under `COLLATE "C"`, so tie-breaks by id behave the same in every run;
 * `normalised` replaces the prefix, so rows of different runs can be compared as they are.
 */
import { eq, inArray } from "drizzle-orm";
import fc from "fast-check";
import { expect } from "vitest";
import { orders, subscriptions, users } from "../../src/db/schema";
import { stripeDisputeStatuses } from "../../src/providers/stripe/payload";
import { clerkRequest, userDeletedEvent, userEvent } from "./clerk";
import { deliver, webhookLine } from "./deliver";
import { testDb } from "./rows";
import { type DisputeEventType, disputeEvent, type StripeTestEvent, stripeEvent, stripeRequest } from "./stripe";

/** A fresh fixed-length prefix (`n` + 12 hex + `_`). */
export function namespace(): string {
	return `n${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}_`;
}

/** Any value as JSON, with the namespace prefix replaced by `~`. */
export function normalised(value: unknown, ns: string): unknown {
	return JSON.parse(JSON.stringify(value ?? null).replaceAll(ns, "~"));
}

/** Every order of `items` (n! of them: keep n small). */
export function permutations<T>(items: T[]): T[][] {
	if (items.length <= 1) return [items];
	return items.flatMap((item, i) =>
		permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
	);
}

/**
 * Runs `run` once for every order of `count` events (each run in its own namespace) and expects the
 * same final row from all; resolves to the runs, with their order, for assertions on the answers.
 */
export async function inEveryOrder<R extends { row: unknown }>(count: number, run: (order: number[]) => Promise<R>) {
	const runs: (R & { order: number[] })[] = [];
	for (const order of permutations(Array.from({ length: count }, (_, i) => i)))
		runs.push({ order, ...(await run(order)) });
	for (const { row } of runs.slice(1)) expect(row).toEqual(runs[0]?.row);
	return runs;
}

/** Indices 0…n-1, each at least once, some (the `duplicates`) twice or more, in a random order. */
export function deliveryOrder(n: number): fc.Arbitrary<number[]> {
	return fc.array(fc.nat({ max: n - 1 }), { maxLength: 2 }).chain((duplicates) => {
		const all = [...Array.from({ length: n }, (_, i) => i), ...duplicates];
		return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
	});
}

/** What one delivery answered and logged, and the rows it looked at before and after. */
export interface Step {
	event: number;
	outcome: unknown;
	/** The delivery's one `webhook` log line. */
	line: Record<string, unknown>;
	before: unknown;
	after: unknown;
}

/**
 * Delivers `requests(i)` in `order` one after the other, reading `rows()` around each delivery.
 * Returns the steps; the caller checks the final rows and that `applied` ⇔ the rows changed.
 */
export async function deliverInOrder(
	order: number[],
	request: (event: number) => Promise<Request> | Request,
	rows: () => Promise<unknown>,
): Promise<Step[]> {
	const steps: Step[] = [];
	let before = await rows();
	for (const event of order) {
		const delivered = await deliver(await request(event));
		if (delivered.status !== 200)
			throw new Error(`event ${event}: HTTP ${delivered.status} ${JSON.stringify(delivered.body)}`);
		const after = await rows();
		steps.push({ event, outcome: delivered.body.outcome, line: webhookLine(delivered), before, after });
		before = after;
	}
	return steps;
}

/** The alert a delivery's log line should carry and at which level (`info`: no alert). */
export interface ExpectedAlert {
	alert: string | undefined;
	level: "info" | "warn" | "error";
}

/**
 * The steps whose log line breaks "a new event raises `expected(event)`, at its level; a duplicate
 * raises nothing and logs at info".
 */
export function misalertedSteps(steps: Step[], expected: (event: number) => ExpectedAlert): string[] {
	const seen = new Set<number>();
	const problems: string[] = [];
	for (const [n, step] of steps.entries()) {
		const want = seen.has(step.event) ? { alert: undefined, level: "info" } : expected(step.event);
		const got = { alert: step.line.alert, level: step.line.level };
		if (got.alert !== want.alert || got.level !== want.level)
			problems.push(
				`delivery ${n} (event ${step.event}): logged ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
			);
		seen.add(step.event);
	}
	return problems;
}

/** The steps that break "applied ⇔ something changed; a repeated event id is a duplicate". */
export function inconsistentSteps(steps: Step[]): string[] {
	const seen = new Set<number>();
	const problems: string[] = [];
	for (const [n, step] of steps.entries()) {
		const changed = JSON.stringify(step.before) !== JSON.stringify(step.after);
		const expected = seen.has(step.event) ? "duplicate" : changed ? "applied" : "stale";
		if (step.outcome !== expected)
			problems.push(`delivery ${n} (event ${step.event}): answered ${step.outcome}, expected ${expected}`);
		seen.add(step.event);
	}
	return problems;
}

// ——— Stripe: one order ———

const T = 1_790_000_000;
/** The order's amount_total (usd). */
export const CHARGE = 4999;

/**
 * A Stripe event for one order, in the abstract (ids are suffixes, times offsets from T). A payment
 * receives `amount` (default CHARGE) in `currency` (default usd) through the charge `ch_1`; a dispute
 * names the shop's payment intent and that charge.
 */
export type OrderEventSpec =
	| { kind: "succeeded"; id: string; at: number; amount?: number; currency?: string }
	| { kind: "processing"; id: string; at: number }
	| { kind: "failed"; id: string; at: number; reason: string }
	| { kind: "canceled"; id: string; at: number; reason: string }
	| { kind: "refunded"; id: string; at: number; refunded: number }
	| {
			kind: "checkout";
			id: string;
			at: number;
			type:
				| "checkout.session.completed"
				| "checkout.session.async_payment_succeeded"
				| "checkout.session.async_payment_failed"
				| "checkout.session.expired";
			session: string;
			paymentIntent: string | null;
			paid: boolean;
			amount?: number;
			currency?: string;
	  }
	| {
			kind: "dispute";
			id: string;
			at: number;
			type: DisputeEventType;
			dispute: string;
			status: (typeof stripeDisputeStatuses)[number];
			amount: number;
			reason: string | null;
	  };

const eventId = fc.stringMatching(/^[a-z0-9]{1,6}$/);
/** Times from a small range, so that ties are common. */
const offset = fc.constantFrom(0, 10, 20);

/** What a payment received: short by one, exact, over by one; in the order's currency (any case) or another. */
const received = {
	amount: fc.constantFrom(CHARGE - 1, CHARGE, CHARGE + 1),
	currency: fc.constantFrom("usd", "USD", "eur"),
};

export const orderEventSpec: fc.Arbitrary<Omit<OrderEventSpec, "id">> = fc.oneof(
	fc.record({ kind: fc.constant("succeeded" as const), at: offset, ...received }),
	fc.record({ kind: fc.constant("processing" as const), at: offset }),
	fc.record({ kind: fc.constant("failed" as const), at: offset, reason: fc.constantFrom("do_not_honor", "lost_card") }),
	fc.record({ kind: fc.constant("canceled" as const), at: offset, reason: fc.constantFrom("abandoned", "duplicate") }),
	fc.record({ kind: fc.constant("refunded" as const), at: offset, refunded: fc.constantFrom(1000, 2500, CHARGE) }),
	fc
		.record({
			kind: fc.constant("checkout" as const),
			at: offset,
			type: fc.constantFrom(
				"checkout.session.completed",
				"checkout.session.async_payment_succeeded",
				"checkout.session.async_payment_failed",
				"checkout.session.expired",
			) as fc.Arbitrary<Extract<OrderEventSpec, { kind: "checkout" }>["type"]>,
			session: fc.constantFrom("cs_a", "cs_b"),
			intent: fc.constantFrom("none", "own", "shop"),
			paid: fc.boolean(),
			...received,
		})
		.map(({ intent, ...rest }) => ({
			...rest,
			// a session has one payment intent (or none yet): its own, or the one the shop recorded on the order
			paymentIntent: intent === "own" ? `pi_of_${rest.session}` : intent === "shop" ? "pi_shop" : null,
		})),
	fc.record({
		kind: fc.constant("dispute" as const),
		at: offset,
		type: fc.constantFrom<DisputeEventType>(
			"charge.dispute.created",
			"charge.dispute.updated",
			"charge.dispute.closed",
			"charge.dispute.funds_withdrawn",
			"charge.dispute.funds_reinstated",
		),
		dispute: fc.constantFrom("du_a", "du_b"),
		status: fc.constantFrom(...stripeDisputeStatuses),
		amount: fc.constantFrom(1000, CHARGE),
		reason: fc.constantFrom("fraudulent", "product_not_received", null),
	}),
);

/** True when a spec is a payment that does not cover the order (CHARGE usd): it raises `payment_mismatch`. */
function paysShort(spec: OrderEventSpec): boolean {
	const paid =
		spec.kind === "succeeded" ||
		(spec.kind === "checkout" &&
			(spec.type === "checkout.session.async_payment_succeeded" ||
				(spec.type === "checkout.session.completed" && spec.paid)));
	if (!paid) return false;
	const { amount = CHARGE, currency = "usd" } = spec as { amount?: number; currency?: string };
	return amount < CHARGE || currency.toLowerCase() !== "usd";
}

/** The alert a new delivery of `spec` raises on an order it finds, and the line's level. */
export function orderEventAlert(spec: OrderEventSpec): ExpectedAlert {
	if (spec.kind === "dispute") return { alert: "dispute", level: "warn" };
	if (paysShort(spec)) return { alert: "payment_mismatch", level: "error" };
	return { alert: undefined, level: "info" };
}

/** A set of order events with distinct random ids. */
export const orderEventSet = (max: number) =>
	fc
		.uniqueArray(fc.tuple(eventId, orderEventSpec), { minLength: 1, maxLength: max, selector: ([id]) => id })
		.map((events) => events.map(([id, spec]) => ({ ...spec, id }) as OrderEventSpec));

/** The Stripe event a spec stands for, in namespace `ns`, for order `orderId` whose shop payment intent is `pi`. */
export function orderStripeEvent(spec: OrderEventSpec, ns: string, orderId: string, pi: string): StripeTestEvent {
	const created = T + spec.at;
	let event: StripeTestEvent;
	switch (spec.kind) {
		case "succeeded":
			event = stripeEvent("payment_intent.succeeded", undefined, created);
			event.data.object.id = pi;
			event.data.object.amount_received = spec.amount ?? CHARGE;
			event.data.object.currency = spec.currency ?? "usd";
			event.data.object.latest_charge = `${ns}ch_1`;
			break;
		case "processing":
			event = stripeEvent("payment_intent.succeeded", "payment_intent.processing", created);
			event.data.object.id = pi;
			event.data.object.amount_received = 0;
			event.data.object.status = "processing";
			event.data.object.latest_charge = `${ns}ch_1`;
			break;
		case "failed":
			event = stripeEvent("payment_intent.payment_failed", undefined, created);
			event.data.object.id = pi;
			event.data.object.last_payment_error = { code: "card_declined", decline_code: spec.reason, message: null };
			break;
		case "canceled":
			event = stripeEvent("payment_intent.payment_failed", "payment_intent.canceled", created);
			event.data.object.id = pi;
			event.data.object.last_payment_error = null;
			event.data.object.cancellation_reason = spec.reason;
			break;
		case "refunded":
			event = {
				id: "",
				type: "charge.refunded",
				created,
				data: {
					object: {
						id: `${ns}ch_1`,
						object: "charge",
						amount: CHARGE,
						amount_refunded: spec.refunded,
						payment_intent: pi,
						metadata: {},
					},
				},
			};
			break;
		case "checkout":
			event = stripeEvent("checkout.session.completed", spec.type, created);
			event.data.object.id = `${ns}${spec.session}`;
			event.data.object.client_reference_id = null;
			event.data.object.payment_intent = spec.paymentIntent && `${ns}${spec.paymentIntent}`;
			event.data.object.payment_status = spec.paid ? "paid" : "unpaid";
			event.data.object.customer = null;
			event.data.object.amount_total = spec.amount ?? CHARGE;
			event.data.object.currency = spec.currency ?? "usd";
			break;
		case "dispute":
			// found through the shop's payment intent, as Stripe names it on the dispute (no metadata)
			return disputeEvent(spec.type, {
				eventId: `${ns}evt_${spec.id}`,
				disputeId: `${ns}${spec.dispute}`,
				status: spec.status,
				amount: spec.amount,
				reason: spec.reason,
				charge: `${ns}ch_1`,
				paymentIntent: pi,
				created,
			});
	}
	event.id = `${ns}evt_${spec.id}`;
	event.data.object.metadata = { order_id: orderId };
	return event;
}

/** Creates the order of namespace `ns` (pending, amount CHARGE); `shopIntent`: the shop set its payment intent. */
export async function createOrder(ns: string, shopIntent: boolean) {
	const order = {
		id: `${ns}order`,
		amountTotal: CHARGE,
		currency: "usd",
		stripePaymentIntentId: shopIntent ? `${ns}pi_shop` : null,
	};
	await testDb().insert(orders).values(order);
	return { id: order.id, pi: `${ns}pi_shop` };
}

export async function orderRows(ns: string) {
	const rows = await testDb()
		.select()
		.from(orders)
		.where(eq(orders.id, `${ns}order`));
	return normalised(
		rows.map(({ createdAt: _, ...row }) => row),
		ns,
	);
}

// ——— Stripe: one subscription ———

export type SubscriptionEventSpec =
	| {
			kind: "invoice";
			id: string;
			at: number;
			type: "invoice.paid" | "invoice.payment_succeeded" | "invoice.payment_failed";
	  }
	| {
			kind: "subscription";
			id: string;
			at: number;
			type: "customer.subscription.created" | "customer.subscription.updated" | "customer.subscription.deleted";
			status: string;
			price: string;
			periodEnd: number;
			cancelAtPeriodEnd: boolean;
			canceledAt: number | null;
			user: string | null;
	  };

export const subscriptionEventSpec: fc.Arbitrary<Omit<SubscriptionEventSpec, "id">> = fc.oneof(
	fc.record({
		kind: fc.constant("invoice" as const),
		at: offset,
		type: fc.constantFrom("invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed") as fc.Arbitrary<
			Extract<SubscriptionEventSpec, { kind: "invoice" }>["type"]
		>,
	}),
	fc.record({
		kind: fc.constant("subscription" as const),
		at: offset,
		type: fc.constantFrom(
			"customer.subscription.created",
			"customer.subscription.updated",
			"customer.subscription.deleted",
		) as fc.Arbitrary<Extract<SubscriptionEventSpec, { kind: "subscription" }>["type"]>,
		status: fc.constantFrom("incomplete", "trialing", "active", "past_due", "canceled"),
		price: fc.constantFrom("price_a", "price_b"),
		periodEnd: fc.constantFrom(0, 30),
		cancelAtPeriodEnd: fc.boolean(),
		canceledAt: fc.constantFrom(null, 5),
		user: fc.constantFrom(null, "user_a", "user_b"),
	}),
);

export const subscriptionEventSet = (max: number) =>
	fc
		.uniqueArray(fc.tuple(eventId, subscriptionEventSpec), { minLength: 1, maxLength: max, selector: ([id]) => id })
		.map((events) => events.map(([id, spec]) => ({ ...spec, id }) as SubscriptionEventSpec));

export function subscriptionStripeEvent(spec: SubscriptionEventSpec, ns: string): StripeTestEvent {
	const created = T + spec.at;
	const subscription = `${ns}sub`;
	const customer = `${ns}cus`;
	let event: StripeTestEvent;
	if (spec.kind === "invoice") {
		event = stripeEvent(
			spec.type === "invoice.payment_failed" ? "invoice.payment_failed" : "invoice.paid",
			spec.type,
			created,
		);
		event.data.object.customer = customer;
		event.data.object.parent.subscription_details.subscription = subscription;
	} else {
		event = stripeEvent("customer.subscription.updated", spec.type, created);
		const object = event.data.object;
		object.id = subscription;
		object.customer = customer;
		object.status = spec.status;
		object.items.data[0].price.id = spec.price;
		object.items.data[0].current_period_end = T + 86_400 * spec.periodEnd;
		object.cancel_at_period_end = spec.cancelAtPeriodEnd;
		object.canceled_at = spec.canceledAt === null ? null : T + spec.canceledAt;
		object.metadata = spec.user ? { user_id: `${ns}${spec.user}` } : {};
	}
	event.id = `${ns}evt_${spec.id}`;
	return event;
}

/** The subscription of namespace `ns` and the users its events may name. */
export async function subscriptionRows(ns: string) {
	const db = testDb();
	const [subscription] = await db
		.select()
		.from(subscriptions)
		.where(eq(subscriptions.id, `${ns}sub`));
	const named = await db
		.select()
		.from(users)
		.where(inArray(users.id, [`${ns}user_a`, `${ns}user_b`]))
		.orderBy(users.id);
	return normalised({ subscription, users: named }, ns);
}

// ——— Clerk: one user ———

const U0 = Date.UTC(2026, 0, 15, 12, 0, 0);

export type UserEventSpec =
	| { kind: "snapshot"; id: string; type: "user.created" | "user.updated"; updatedAt: number; at: number; name: string }
	| { kind: "deleted"; id: string; at: number };

export const userEventSpec: fc.Arbitrary<Omit<UserEventSpec, "id">> = fc.oneof(
	{
		weight: 4,
		arbitrary: fc.record({
			kind: fc.constant("snapshot" as const),
			type: fc.constantFrom("user.created", "user.updated") as fc.Arbitrary<"user.created" | "user.updated">,
			updatedAt: fc.constantFrom(0, 1000),
			at: fc.constantFrom(0, 1000, 2000),
			name: fc.constantFrom("Ada", "Grace", "Hedy"),
		}),
	},
	{ weight: 1, arbitrary: fc.record({ kind: fc.constant("deleted" as const), at: fc.constantFrom(0, 1000, 2000) }) },
);

export const userEventSet = (max: number) =>
	fc
		.uniqueArray(fc.tuple(eventId, userEventSpec), { minLength: 1, maxLength: max, selector: ([id]) => id })
		.map((events) => events.map(([id, spec]) => ({ ...spec, id }) as UserEventSpec));

/** The signed Clerk delivery a spec stands for (its svix id is the namespaced event id). */
export function userClerkRequest(spec: UserEventSpec, ns: string): Request {
	const userId = `${ns}user`;
	let body: unknown;
	if (spec.kind === "deleted") {
		body = userDeletedEvent(userId, U0 + spec.at);
	} else {
		const event = userEvent(spec.type, userId, U0 + spec.updatedAt);
		event.timestamp = U0 + spec.at;
		event.data.first_name = spec.name;
		body = event;
	}
	return clerkRequest(body, { id: `${ns}msg_${spec.id}` });
}

export async function userRows(ns: string) {
	const rows = await testDb()
		.select()
		.from(users)
		.where(eq(users.id, `${ns}user`));
	return normalised(rows, ns);
}

export { stripeRequest };
