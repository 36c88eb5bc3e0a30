/**
 * @module tools/db/demo-shipments
 * The shipped demo orders `npm run db:seed` writes (tools/db/seed.ts, after the rows of
 * tools/db/demo-rows.ts), for trying `npm run send -- shipping …` against `npm run dev`:
 * - `order_shipping_demo_1…3`, paid, each with one shipment the shop recorded when it shipped
 *   (`ship_demo_1…3`, UPS, USPS and FedEx, any tracking provider), none moved yet: the orders show
 *   `paid` until a carrier event says the parcel is on its way;
 * - `order_shipping_demo_late` and its shipment `ship_demo_late`, recorded "2 minutes from now"
 *   (`created_at`): the shop knows a parcel from its `created_at` on, so an event sent for it at once
 *   is deferred and applied by a later retry (src/domain/shipments.ts, src/ledger.ts).
 * The orders are user_demo_ada's (the delivered notification goes to her address), 4999 usd, paid
 * with their own payment intent and charge. A re-run resets them: every column of these orders and
 * shipments (the shipments back to `pending`, the late one 2 minutes ahead again), their payments,
 * and their notifications (so that a delivery notifies again); the ledger is left alone.
 * Trust boundary: none; demo data for a local database.
 */
import { demoParcel } from "../../src/providers/shipping-sending.ts";
import type { OrderRow, Statement } from "./demo-rows.ts";

export interface DemoShipment {
	id: string;
	orderId: string;
	/** As the shop writes it; carriers' events find the shipment by tracking number and carrier. */
	carrier: string;
	trackingNumber: string;
	/** How long after the seed the shop records it (`created_at`), in minutes; 0: at once. */
	recordedInMinutes: number;
}

/** The shipments the seed writes; the first is the send CLI's default parcel (src/providers/shipping-sending.ts). */
export const demoShipments: readonly DemoShipment[] = [
	{
		id: "ship_demo_1",
		orderId: "order_shipping_demo_1",
		carrier: demoParcel.carrier,
		trackingNumber: demoParcel.number,
		recordedInMinutes: 0,
	},
	{
		id: "ship_demo_2",
		orderId: "order_shipping_demo_2",
		carrier: "usps",
		trackingNumber: "DEMO9400002",
		recordedInMinutes: 0,
	},
	{
		id: "ship_demo_3",
		orderId: "order_shipping_demo_3",
		carrier: "fedex",
		trackingNumber: "DEMO7700003",
		recordedInMinutes: 0,
	},
	{
		id: "ship_demo_late",
		orderId: "order_shipping_demo_late",
		carrier: "ups",
		trackingNumber: "DEMO1Z0LATE",
		recordedInMinutes: 2,
	},
];

/** The shipment recorded late, whose events are retried until it exists. */
export const lateShipment = demoShipments.find((shipment) => shipment.recordedInMinutes > 0) as DemoShipment;

/**
 * The parcel the send CLI's shipping events are about: `--tracking`'s number with the carrier of the
 * demo shipment that has it (else UPS, the demo carrier), or the first demo shipment's.
 */
export function demoTracking(trackingNumber?: string): { number: string; carrier: string } {
	if (trackingNumber === undefined) return { ...demoParcel };
	const known = demoShipments.find((shipment) => shipment.trackingNumber === trackingNumber);
	return { number: trackingNumber, carrier: known?.carrier ?? demoParcel.carrier };
}

/** The demo orders, as tools/db/demo-rows.ts writes its paid ones (every column): `now` in unix milliseconds. */
export function shippedOrders(now: number): OrderRow[] {
	const hoursAgo = (hours: number) => new Date(now - hours * 3_600_000).toISOString();
	return demoShipments.map(({ orderId }) => {
		const name = orderId.replace(/^order_/, "");
		return {
			id: orderId,
			user_id: "user_demo_ada",
			payment_status: "paid",
			shipping_status: null,
			amount_total: 4999,
			amount_refunded: 0,
			currency: "usd",
			stripe_payment_intent_id: `pi_${name}`,
			stripe_checkout_session_id: null,
			created_at: hoursAgo(72),
			paid_at: hoursAgo(48),
			cancelled_at: null,
			refunded_at: null,
			payment_error: null,
			stripe_checkout_paid: false,
			stripe_checkout_payment_intent_id: null,
			amount_received: 4999,
			currency_received: "usd",
			stripe_charge_id: `ch_${name}`,
			stripe_dispute_id: null,
			stripe_dispute_status: null,
			dispute_status: null,
			disputed_amount: null,
			dispute_reason: null,
			dispute_event_at: null,
			dispute_event_id: null,
		};
	});
}

/**
 * The statements that write the shipped demo orders, their payments, shipments and notifications
 * (reset), to run after tools/db/demo-rows.ts `seedStatements` (their user) in the same batch.
 */
export function shipmentStatements(now: number): Statement[] {
	const orders = shippedOrders(now);
	const columns = Object.keys(orders[0] as OrderRow);
	const orderIds = JSON.stringify(orders.map((order) => order.id));
	const shipments = JSON.stringify(
		demoShipments.map(({ id, orderId, carrier, trackingNumber, recordedInMinutes }) => ({
			id,
			order_id: orderId,
			carrier,
			tracking_number: trackingNumber,
			recorded_in_minutes: recordedInMinutes,
		})),
	);
	return [
		{
			// every column, so that a re-run resets whatever webhooks changed
			query: `insert into orders (${columns.join(", ")})
		 select ${columns.join(", ")} from json_populate_recordset(null::orders, $1::json)
		 on conflict (id) do update set ${columns
				.filter((column) => column !== "id")
				.map((column) => `${column} = excluded.${column}`)
				.join(", ")}`,
			params: [JSON.stringify(orders)],
		},
		{
			query: "delete from order_payments where order_id in (select value from json_array_elements_text($1::json))",
			params: [orderIds],
		},
		{
			query: `insert into order_payments (order_id, payment_intent_id, charge_id)
			 select id, stripe_payment_intent_id, stripe_charge_id from json_populate_recordset(null::orders, $1::json)`,
			params: [JSON.stringify(orders)],
		},
		{
			// a carrier's next delivered or exception event notifies again
			query: "delete from notifications where order_id in (select value from json_array_elements_text($1::json))",
			params: [orderIds],
		},
		{
			// as the shop records a shipment: pending, nothing from a carrier yet
			query: `insert into shipments (id, order_id, carrier, tracking_number, provider, status, created_at)
			 select id, order_id, carrier, tracking_number, null, 'pending', now() + make_interval(mins => recorded_in_minutes)
			 from json_to_recordset($1::json) as s(id text, order_id text, carrier text, tracking_number text, recorded_in_minutes int)
			 on conflict (id) do update set order_id = excluded.order_id, carrier = excluded.carrier,
			   tracking_number = excluded.tracking_number, provider = null, status = 'pending', status_detail = null,
			   last_checkpoint = null, estimated_delivery_at = null, delivered_at = null, exception_reason = null,
			   tracking_url = null, last_event_at = null, status_event_at = null, status_event_id = null,
			   created_at = excluded.created_at`,
			params: [shipments],
		},
	];
}
