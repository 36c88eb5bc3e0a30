/**
 * `npm run db:seed`'s shipped orders (tools/db/demo-shipments.ts), as a user runs the seed
 * (`node tools/db/seed.ts --bridge-port N`) against a migrated in-memory database behind the bridge:
 * orders paid and not yet moving, a pending shipment each (the send CLI's default parcel among
 * them), the late shipment recorded 2 minutes ahead, its tracking number printed; a re-run resets
 * the orders, their shipments, payments and notifications, whatever carriers' events wrote.
 */
import { describe, expect, it } from "vitest";
import { demoParcel } from "../../src/providers/shipping-sending.ts";
import { demoShipments, lateShipment } from "../../tools/db/demo-shipments.ts";
import { seedRun } from "../support/seed-run.ts";

const run = seedRun();
const seed = run.seed;
/** The client on the seeded database (a getter: it exists once the tests run). */
const db = () => run.client();

const orderIds = demoShipments.map((shipment) => shipment.orderId);

/** The demo shipments, with how far ahead of the database's clock each was recorded (seconds). */
async function shipmentRows() {
	const { rows } = await db().query(
		`select s.*, extract(epoch from s.created_at - now())::float as ahead_seconds
		 from shipments s where s.id = any($1) order by s.id`,
		[demoShipments.map((shipment) => shipment.id)],
	);
	return rows;
}

async function orderRows() {
	const { rows } = await db().query(
		"select id, user_id, status, payment_status, shipping_status, amount_total, paid_at from orders where id = any($1) order by id",
		[orderIds],
	);
	return rows;
}

const count = async (table: string) =>
	Number((await db().query(`select count(*) from ${table} where order_id = any($1)`, [orderIds])).rows[0]?.count ?? -1);

describe("npm run db:seed: the shipped demo orders", () => {
	it("writes paid orders with a pending shipment each, one recorded 2 minutes ahead, and prints its tracking number", async () => {
		const result = await seed();
		expect(result).toMatchObject({ code: 0, stderr: "" });
		expect(result.stdout).toContain(`${demoShipments[0]?.orderId} (${demoParcel.carrier} ${demoParcel.number})`);
		expect(result.stdout).toContain(`--tracking ${lateShipment.trackingNumber}`);

		expect(await orderRows()).toEqual(
			[...orderIds].sort().map((id) => ({
				id,
				user_id: "user_demo_ada",
				status: "paid",
				payment_status: "paid",
				shipping_status: null,
				amount_total: "4999",
				paid_at: expect.any(Date),
			})),
		);
		const shipments = await shipmentRows();
		expect(
			shipments.map(({ id, order_id, carrier, tracking_number, provider, status, status_event_id }) => ({
				id,
				order_id,
				carrier,
				tracking_number,
				provider,
				status,
				status_event_id,
			})),
		).toEqual(
			[...demoShipments]
				.sort((a, b) => a.id.localeCompare(b.id))
				.map((shipment) => ({
					id: shipment.id,
					order_id: shipment.orderId,
					carrier: shipment.carrier,
					tracking_number: shipment.trackingNumber,
					provider: null,
					status: "pending",
					status_event_id: null,
				})),
		);
		// the send CLI's default parcel is the first one; the late one is not known yet
		expect(demoShipments[0]).toMatchObject({ trackingNumber: demoParcel.number, carrier: demoParcel.carrier });
		for (const shipment of shipments) {
			if (shipment.id === lateShipment.id) expect(shipment.ahead_seconds).toBeGreaterThan(100);
			else expect(shipment.ahead_seconds).toBeLessThanOrEqual(0);
		}
		expect(await count("order_payments")).toBe(orderIds.length);
	});

	it("a re-run resets the orders, their shipments, payments and notifications, and records the late one 2 minutes ahead again", async () => {
		await seed();
		const seeded = { orders: await orderRows(), shipments: await shipmentRows() };
		// what carriers' events (or a developer) could leave
		await db().query(
			`update shipments set status = 'delivered', status_detail = 'arrived_at_destination',
			   last_checkpoint = '{"time":"2026-01-01T00:00:00.000Z","location":null,"message":"Delivered"}',
			   estimated_delivery_at = now(), delivered_at = now(), exception_reason = 'x', tracking_url = 'https://t.example',
			   last_event_at = now(), status_event_at = now(), status_event_id = 'evt_x', provider = 'easypost',
			   created_at = now() - interval '1 day'
			 where id = any($1)`,
			[demoShipments.map((shipment) => shipment.id)],
		);
		await db().query(
			"update orders set shipping_status = 'delivered', payment_status = 'refunded' where id = any($1)",
			[orderIds],
		);
		await db().query(
			"insert into notifications (kind, order_id, recipient) select 'delivered', unnest($1::text[]), null",
			[orderIds],
		);
		await db().query("delete from order_payments where order_id = any($1)", [orderIds]);
		expect(await count("notifications")).toBe(orderIds.length);

		expect((await seed()).code).toBe(0);
		const reset = { orders: await orderRows(), shipments: await shipmentRows() };
		expect(reset.orders.map(({ paid_at: _, ...order }) => order)).toEqual(
			seeded.orders.map(({ paid_at: _, ...order }) => order),
		);
		const comparable = (rows: { id: string; [column: string]: unknown }[]) =>
			rows.map(({ created_at: _, ahead_seconds: ahead, ...row }) => ({ ...row, late: Number(ahead) > 100 }));
		expect(comparable(reset.shipments)).toEqual(comparable(seeded.shipments));
		expect(
			comparable(reset.shipments)
				.filter((row) => row.late)
				.map((row) => row.id),
		).toEqual([lateShipment.id]);
		expect(await count("notifications")).toBe(0);
		expect(await count("order_payments")).toBe(orderIds.length);
	});
});
