/**
 * `npm run db:seed` as a user runs it (`node tools/db/seed.ts --bridge-port N`) against a migrated
 * in-memory database behind the bridge (no dev server): an order in each status, consistent with
 * the events that lead there, the orders the send templates aim at, and a re-run that resets every
 * column of every demo order, whatever webhooks wrote there.
 */
import { describe, expect, it } from "vitest";
import { orderShippingStatuses, orderStatuses } from "../../src/db/schema.ts";
import { exampleOrders } from "../../tools/db/demo-rows.ts";
import { seedRun } from "../support/seed-run.ts";

const run = seedRun();
const seed = run.seed;
/** The client on the seeded database (a getter: it exists once the tests run). */
const db = () => run.client();

type Order = Record<string, unknown> & { id: string; status: string; amount_total: string };

async function demoOrders(): Promise<Order[]> {
	const { rows } = await db().query("select * from orders where id like 'order_demo_%' order by id");
	return rows;
}

describe("npm run db:seed", () => {
	it("writes an order in each status and the orders the send examples use", async () => {
		const result = await seed();
		expect(result).toMatchObject({ code: 0, stderr: "" });
		expect(result.stdout).toMatch(/^seeded: .*order_demo_1…6 \(pending\) and order_demo_7 \(paid\)/);

		const orders = new Map((await demoOrders()).map((order) => [order.id, order]));
		for (const status of orderStatuses) {
			const shipping = (orderShippingStatuses as readonly string[]).includes(status);
			expect(orders.get(`order_demo_${status}`), status).toMatchObject({
				status,
				// status is generated from these two: a shipped (delivered, …) order is paid
				payment_status: shipping ? "paid" : status,
				shipping_status: shipping ? status : null,
			});
		}
		for (let n = 1; n < exampleOrders; n++) {
			expect(orders.get(`order_demo_${n}`)).toMatchObject({
				status: "pending",
				stripe_payment_intent_id: `pi_demo_${n}`,
			});
		}
		expect(orders.get("order_demo_7")).toMatchObject({
			status: "paid",
			stripe_payment_intent_id: "pi_demo_7",
			stripe_charge_id: "ch_demo_7",
			amount_received: "4999",
			currency_received: "usd",
		});
		expect(orders.size).toBe(exampleOrders + orderStatuses.length);

		// each row as the events leading to its status leave it (src/domain/orders.ts)
		for (const order of orders.values()) {
			const total = Number(order.amount_total);
			const received = order.amount_received === null ? null : Number(order.amount_received);
			const covered = received !== null && received >= total && order.currency_received === order.currency;
			const paidLike = !["pending", "processing", "cancelled", "payment_mismatch"].includes(order.status);
			expect(covered, `${order.id} received enough`).toBe(paidLike);
			expect(order.paid_at !== null, `${order.id} paid_at`).toBe(paidLike);
			expect(order.stripe_charge_id !== null, `${order.id} charge`).toBe(received !== null);
			expect(order.status === "payment_mismatch", `${order.id} mismatch`).toBe(received !== null && !covered);
			expect(order.cancelled_at !== null && order.payment_error !== null, `${order.id} cancelled`).toBe(
				order.status === "cancelled",
			);
			const refunded = Number(order.amount_refunded);
			expect(refunded === total, `${order.id} refunded`).toBe(order.status === "refunded");
			expect(refunded > 0 && refunded < total, `${order.id} partly refunded`).toBe(
				order.status === "partially_refunded",
			);
			expect(order.refunded_at !== null, `${order.id} refunded_at`).toBe(refunded > 0);
			expect(order.dispute_status === "lost", `${order.id} lost dispute`).toBe(order.status === "charged_back");
			expect(order.dispute_event_id !== null, `${order.id} dispute key`).toBe(order.dispute_status !== null);
		}
	});

	it("a re-run resets every column of every demo order", async () => {
		await seed();
		const seeded = await demoOrders();
		// What webhooks (or a developer) could leave: every column but the id changed (`status`, generated,
		// through the two it is computed from).
		const { rows: columns } = await db().query<{ column_name: string; data_type: string; is_generated: string }>(
			"select column_name, data_type, is_generated from information_schema.columns where table_name = 'orders' and column_name <> 'id'",
		);
		const written = columns.filter((column) => column.is_generated !== "ALWAYS");
		const dirty = written.map(({ column_name: column, data_type: type }) => {
			if (column === "payment_status")
				return "payment_status = case payment_status when 'refunded' then 'pending' else 'refunded' end";
			if (column === "shipping_status")
				return "shipping_status = case shipping_status when 'delivered' then 'shipped' else 'delivered' end";
			if (column === "dispute_status")
				return "dispute_status = case dispute_status when 'won' then 'lost' else 'won' end";
			if (type === "text") return `${column} = 'dirty_' || id`;
			if (type === "bigint") return `${column} = 12345`;
			if (type === "boolean") return `${column} = not coalesce(${column}, false)`;
			if (type.startsWith("timestamp")) return `${column} = '2000-01-01T00:00:00Z'`;
			throw new Error(`orders.${column}: a ${type} column this test does not know how to change`);
		});
		await db().query(`update orders set ${dirty.join(", ")} where id like 'order_demo_%'`);
		const changed = await demoOrders();
		for (const [index, order] of changed.entries()) {
			for (const { column_name: column } of columns) {
				expect(order[column], `${order.id}.${column} changed`).not.toEqual(seeded[index]?.[column]);
			}
		}

		expect((await seed()).code).toBe(0);
		const reset = await demoOrders();
		expect(reset.map((order) => order.id)).toEqual(seeded.map((order) => order.id));
		for (const [index, order] of reset.entries()) {
			const before = seeded[index] as Order;
			for (const { column_name: column } of columns) {
				const [now, then] = [order[column], before[column]];
				// times are relative to the run: a second seed is a few seconds later
				if (now instanceof Date && then instanceof Date) {
					expect(Math.abs(now.getTime() - then.getTime()), `${order.id}.${column}`).toBeLessThan(60_000);
				} else {
					expect(now, `${order.id}.${column}`).toEqual(then);
				}
			}
		}
	});
});
