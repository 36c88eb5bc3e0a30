/**
 * Test helper for the shipping domain (src/domain/shipments.ts, src/domain/notifications.ts): orders
 * with their user and shipments, normalised tracking updates (TrackingEvent) built from a short spec,
 * delivered through the real pipeline (webhooks/apply.ts applyDeliveries: the ledger, the domain
 * statements, the follow-up jobs) by a test provider that reads a TrackingEvent as JSON (the carriers'
 * own readers have their tests), and the rows a user would look at afterwards.
 *
 * Every helper works in a namespace `ns` (test/support/converge.ts): a fixed-length prefix of every id
 * (events, order, shipments, user, tracking numbers), so that runs never share rows and ids compare as
 * their unprefixed forms do.
 */
import { env } from "cloudflare:test";
import { asc, eq, sql } from "drizzle-orm";
import {
	notifications,
	type OrderPaymentStatus,
	orders,
	type Shipment,
	shipments,
	users,
	webhookEvents,
} from "../../src/db/schema";
import { trackingInterpretation } from "../../src/domain/shipments";
import type { PackageStatus, TrackingEvent } from "../../src/domain/tracking-event";
import { type Applied, applyDeliveries, type EventResult } from "../../src/webhooks/apply";
import type { WebhookProvider } from "../../src/webhooks/provider";
import { normalised } from "./converge";
import { testDb } from "./rows";

/** The ledger's provider name of the test deliveries. */
export const TEST_TRACKING_PROVIDER = "test-tracking";

/** Carrier times: T0 plus a spec's offset in seconds. */
export const T0 = Date.UTC(2026, 6, 1, 8, 0, 0);
export const at = (offset: number) => new Date(T0 + offset * 1000);

/** A tracking update in the abstract; ids, tracking numbers and links are namespaced by `trackingEvent`. */
export interface TrackingSpec {
	/** the event id's suffix (`<ns>ev_<id>`) */
	id: string;
	status: PackageStatus;
	/** seconds after T0 */
	at: number;
	/** the shipment's tracking number's suffix (`<ns>TRK_<parcel>`); default `a` */
	parcel?: string;
	/** as the provider names it; default `usps` */
	carrier?: string | null;
	detail?: string | null;
	reason?: string | null;
	/** the link's suffix (`https://track.example/<ns><url>`), or null for none; default none */
	url?: string | null;
	location?: string | null;
	/** seconds after T0, or null; default none */
	eta?: number | null;
}

/** The tracking number of parcel `parcel` of namespace `ns`. */
export const trackingNumber = (ns: string, parcel = "a") => `${ns}TRK_${parcel.toUpperCase()}`;

/** The TrackingEvent a spec stands for, in namespace `ns`. */
export function trackingEvent(spec: TrackingSpec, ns: string): TrackingEvent {
	const occurredAt = at(spec.at);
	return {
		eventId: `${ns}ev_${spec.id}`,
		status: spec.status,
		trackingNumber: trackingNumber(ns, spec.parcel),
		carrier: spec.carrier === undefined ? "usps" : spec.carrier,
		occurredAt,
		statusDetail: spec.detail === undefined ? defaultDetail[spec.status] : spec.detail,
		checkpoint: {
			time: occurredAt.toISOString(),
			location: spec.location === undefined ? "Memphis, TN" : spec.location,
			message: `${spec.status} ${spec.id}`,
		},
		estimatedDeliveryAt: spec.eta === undefined || spec.eta === null ? null : at(spec.eta),
		exceptionReason:
			spec.status === "exception" ? (spec.reason === undefined ? "return_to_sender" : spec.reason) : null,
		trackingUrl: spec.url ? `https://track.example/${ns}${spec.url}` : null,
	};
}

const defaultDetail: Record<PackageStatus, string> = {
	in_transit: "arrived_at_facility",
	delivered: "arrived_at_destination",
	exception: "return",
};

/** TrackingEvent as JSON and back (its Dates travel as ISO strings). */
function revive(payload: unknown): TrackingEvent {
	const event = payload as Record<string, unknown>;
	const date = (value: unknown) => (typeof value === "string" ? new Date(value) : null);
	return {
		...(event as unknown as TrackingEvent),
		occurredAt: date(event.occurredAt) as Date,
		estimatedDeliveryAt: date(event.estimatedDeliveryAt),
	};
}

/**
 * A provider whose body is one TrackingEvent as JSON, read by trackingInterpretation exactly as the
 * carriers' providers hand theirs over. It is never served: deliveries go straight to applyDeliveries.
 */
export const testTrackingProvider: WebhookProvider = {
	name: TEST_TRACKING_PROVIDER,
	path: "test-tracking",
	secrets: [],
	verify: async () => ({ ok: true }),
	interpret: (payload, _verified, bindings) =>
		trackingInterpretation(TEST_TRACKING_PROVIDER, revive(payload), bindings),
};

/** Applies `events`, each as its own delivery, in one applyDeliveries call (one transaction). */
export async function applyTracking(events: TrackingEvent[], bindings: Env = env): Promise<Applied[]> {
	return applyDeliveries(
		events.map((event) => {
			const text = JSON.stringify(event);
			return { provider: testTrackingProvider, env: bindings, text, payload: JSON.parse(text), verified: { ok: true } };
		}),
		bindings,
	);
}

/** Applies one event on its own; resolves to its result (throws on a transient failure). */
export async function track(event: TrackingEvent, bindings: Env = env): Promise<EventResult> {
	const [applied] = await applyTracking([event], bindings);
	if (!applied?.ok) throw new Error(`tracking update not applied: ${JSON.stringify(applied)}`);
	const [result] = applied.events;
	if (!result) throw new Error("no event result");
	return result;
}

/** The order of a namespace, as the shop creates it. */
export interface OrderSetUp {
	/** its payment status (default `paid`) */
	payment?: OrderPaymentStatus;
	/** the user's email as Clerk gave it; null: a user without one; undefined: no user at all */
	email?: string | null;
	/** parcels (suffixes of the tracking numbers) with their carrier as the shop wrote it; default one usps */
	parcels?: { parcel: string; carrier?: string; provider?: string | null; id?: string }[];
}

/** Creates the user, the order and its shipments of namespace `ns`; resolves to their ids. */
export async function createShippedOrder(ns: string, setUp: OrderSetUp = {}) {
	const db = testDb();
	const userId = setUp.email === undefined ? null : `${ns}user`;
	if (userId) await db.insert(users).values({ id: userId, email: setUp.email ?? null });
	const orderId = `${ns}order`;
	await db
		.insert(orders)
		.values({ id: orderId, userId, amountTotal: 4999, currency: "usd", paymentStatus: setUp.payment ?? "paid" });
	const parcels = setUp.parcels ?? [{ parcel: "a" }];
	const shipmentIds = [];
	for (const { parcel, carrier, provider, id } of parcels) {
		const shipmentId = `${ns}ship_${id ?? parcel}`;
		await db.insert(shipments).values({
			id: shipmentId,
			orderId,
			carrier: carrier ?? "usps",
			trackingNumber: trackingNumber(ns, parcel),
			provider: provider ?? null,
		});
		shipmentIds.push(shipmentId);
	}
	return { orderId, userId, shipmentIds };
}

/** Adds a shipment to the order of `ns` (for one that is recorded after its first update). */
export async function addShipment(
	ns: string,
	parcel: string,
	values: Partial<typeof shipments.$inferInsert> = {},
): Promise<string> {
	const id = values.id ?? `${ns}ship_${parcel}`;
	await testDb()
		.insert(shipments)
		.values({ orderId: `${ns}order`, carrier: "usps", trackingNumber: trackingNumber(ns, parcel), ...values, id });
	return id;
}

const iso = (value: Date | null) => value?.toISOString() ?? null;

/** A shipment row as plain values, without `created_at`. */
function plainShipment({ createdAt: _, ...row }: Shipment) {
	return {
		...row,
		estimatedDeliveryAt: iso(row.estimatedDeliveryAt),
		deliveredAt: iso(row.deliveredAt),
		lastEventAt: iso(row.lastEventAt),
		statusEventAt: iso(row.statusEventAt),
	};
}

/** The shipments of the order of `ns`, by id. */
export async function shipmentRows(ns: string) {
	const rows = await testDb()
		.select()
		.from(shipments)
		.where(eq(shipments.orderId, `${ns}order`))
		.orderBy(sql`${shipments.id} collate "C"`);
	return rows.map(plainShipment);
}

/** The order of `ns`: its three statuses. */
export async function orderStatuses(ns: string) {
	const [row] = await testDb()
		.select({ status: orders.status, paymentStatus: orders.paymentStatus, shippingStatus: orders.shippingStatus })
		.from(orders)
		.where(eq(orders.id, `${ns}order`));
	return row;
}

/** The notifications of the order of `ns`, by kind. */
export function notificationRows(ns: string) {
	return testDb()
		.select()
		.from(notifications)
		.where(eq(notifications.orderId, `${ns}order`))
		.orderBy(asc(notifications.kind));
}

/**
 * Everything an update may change in namespace `ns`, comparable across namespaces: the shipments,
 * the order's statuses and its notifications (kind, recipient, status, last error), ids normalised.
 */
export async function shippingRows(ns: string) {
	const notified = (await notificationRows(ns)).map(({ kind, recipient, status, lastError }) => ({
		kind,
		recipient,
		status,
		lastError,
	}));
	return normalised({ shipments: await shipmentRows(ns), order: await orderStatuses(ns), notifications: notified }, ns);
}

/**
 * What must be a function of the set of updates in namespace `ns`: the shipments, the order's
 * statuses and its `delivered` notification (a `delivery_exception` one tells what was seen on the
 * way, which depends on the order of arrival: src/domain/shipments.ts), ids normalised.
 */
export async function trackedRows(ns: string) {
	const delivered = (await notificationRows(ns))
		.filter((row) => row.kind === "delivered")
		.map(({ kind, recipient, status, lastError }) => ({ kind, recipient, status, lastError }));
	return normalised({ shipments: await shipmentRows(ns), order: await orderStatuses(ns), delivered }, ns);
}

/** One update delivered by `deliverInOrder`: its result and the rows before and after it. */
export interface TrackingStep {
	event: number;
	result: EventResult;
	before: unknown;
	after: unknown;
}

/**
 * Delivers `specs` in `order` (indices, repeats are redeliveries) to namespace `ns`, one transaction
 * each, reading `shippingRows` around each delivery.
 */
export async function deliverInOrder(
	ns: string,
	specs: TrackingSpec[],
	order: number[],
	bindings: Env = env,
): Promise<TrackingStep[]> {
	const steps: TrackingStep[] = [];
	let before = await shippingRows(ns);
	for (const event of order) {
		const result = await track(trackingEvent(specs[event] as TrackingSpec, ns), bindings);
		const after = await shippingRows(ns);
		steps.push({ event, result, before, after });
		before = after;
	}
	return steps;
}

/**
 * The steps whose answer breaks "applied ⇔ the rows changed (shipments, order, notifications), stale
 * otherwise; a repeated event id is a duplicate".
 */
export function inconsistentSteps(steps: TrackingStep[]): string[] {
	const seen = new Set<number>();
	const problems: string[] = [];
	for (const [n, step] of steps.entries()) {
		const changed = JSON.stringify(step.before) !== JSON.stringify(step.after);
		const expected = seen.has(step.event) ? "duplicate" : changed ? "applied" : "stale";
		if (step.result.outcome !== expected)
			problems.push(`delivery ${n} (event ${step.event}): answered ${step.result.outcome}, expected ${expected}`);
		seen.add(step.event);
	}
	return problems;
}

/** The ledger row of an update of `ns`. */
export async function trackingLedgerRow(eventId: string) {
	const [row] = await testDb()
		.select()
		.from(webhookEvents)
		.where(sql`${webhookEvents.provider} = ${TEST_TRACKING_PROVIDER} and ${webhookEvents.eventId} = ${eventId}`);
	return row;
}
