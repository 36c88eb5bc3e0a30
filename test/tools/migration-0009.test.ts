/**
 * Migration 0009 (parcel tracking) on a database that holds rows of the old shape: `orders.status`
 * becomes generated from `payment_status` and `shipping_status`, and every order shows the status it
 * had. The database is migrated to 0008, given orders in the old statuses (a shipped one, a refunded
 * one, a delivered one whose partial refund the old ranks hid, …), then migrated as `npm run db:migrate`
 * does. On an embedded PGlite; also on PostgreSQL when TEST_DATABASE_URL names a server (in a database
 * of its own, created and dropped here).
 */
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../../tools/db/backends.ts";
import { applyMigrations } from "../../tools/db/migrate.ts";
import { migrateUpTo, type OpenDatabase, onEveryDatabase } from "../support/old-databases.ts";

/** Orders as the shop and Stripe's events left them before 0009: [id, status, columns]. */
const oldOrders: [string, string, Record<string, unknown>][] = [
	["order_pending", "pending", {}],
	["order_paid", "paid", { paid_at: "2026-01-01T00:00:00Z", amount_received: 4999 }],
	["order_mismatch", "payment_mismatch", { amount_received: 1000 }],
	["order_cancelled", "cancelled", { cancelled_at: "2026-01-01T00:00:00Z", payment_error: "card_declined" }],
	["order_refunded", "refunded", { paid_at: "2026-01-01T00:00:00Z", amount_received: 4999, amount_refunded: 4999 }],
	["order_shipped", "shipped", { paid_at: "2026-01-01T00:00:00Z", amount_received: 4999 }],
	// a partial refund of a shipped order left it shipped: the refund is in amount_refunded only
	["order_delivered", "delivered", { paid_at: "2026-01-01T00:00:00Z", amount_received: 4999, amount_refunded: 1000 }],
	["order_exception", "delivery_exception", { amount_received: 1000 }],
	// shipped without any payment the events recorded: the shop's word
	["order_shipped_unrecorded", "shipped", {}],
];

/** What each becomes: [id, payment_status, shipping_status]; `status` stays what it was. */
const expected: Record<string, [string, string | null]> = {
	order_pending: ["pending", null],
	order_paid: ["paid", null],
	order_mismatch: ["payment_mismatch", null],
	order_cancelled: ["cancelled", null],
	order_refunded: ["refunded", null],
	order_shipped: ["paid", "shipped"],
	order_delivered: ["partially_refunded", "delivered"],
	order_exception: ["payment_mismatch", "delivery_exception"],
	order_shipped_unrecorded: ["paid", "shipped"],
};

async function migrateOldDatabase(backend: Backend) {
	await migrateUpTo(backend, 8);
	await backend.withConnection(async (client) => {
		for (const [id, status, columns] of oldOrders) {
			const row = { id, status, amount_total: 4999, currency: "usd", ...columns };
			const names = Object.keys(row);
			await client.query(
				`insert into orders (${names.join(", ")}) values (${names.map((_, n) => `$${n + 1}`).join(", ")})`,
				Object.values(row),
			);
		}
		await client.query(
			`insert into webhook_events (provider, event_id, event_type, status, payload)
			 values ('stripe', 'evt_old', 'payment_intent.succeeded', 'unmatched', '{}')`,
		);
	});
	await applyMigrations(backend);
}

function migrationChecks(name: string, open: OpenDatabase) {
	describe(`migration 0009 on ${name} holding rows of the old shape`, () => {
		let backend: Backend;
		let done: (() => Promise<void>) | undefined;
		const query = <T extends pg.QueryResultRow>(text: string) =>
			backend.withConnection((client) => client.query<T>(text));

		// starting an embedded PGlite and migrating it twice is slow on a loaded machine: the hook's 60 s
		beforeAll(async () => {
			({ backend, done } = await open());
			await migrateOldDatabase(backend);
		});
		afterAll(async () => {
			await done?.();
		});

		it("every order keeps its status, now generated from payment_status and shipping_status", async () => {
			const { rows } = await query<{ id: string; status: string; payment_status: string; shipping_status: string }>(
				"select id, status, payment_status, shipping_status from orders order by id",
			);
			expect(rows).toHaveLength(oldOrders.length);
			for (const [id, status] of oldOrders) {
				const [payment, shipping] = expected[id] ?? [];
				expect(
					rows.find((row) => row.id === id),
					id,
				).toEqual({ id, status, payment_status: payment, shipping_status: shipping });
			}
		});

		it("status can no longer be written; a money state that went back shows over the parcel", async () => {
			await expect(query("update orders set status = 'paid' where id = 'order_shipped'")).rejects.toThrow(
				/can only be updated to DEFAULT/,
			);
			await query("update orders set payment_status = 'refunded' where id = 'order_shipped'");
			await query("update orders set payment_status = 'partially_refunded' where id = 'order_paid'");
			await query("update orders set shipping_status = 'shipped' where id = 'order_paid'");
			const { rows } = await query<{ id: string; status: string }>(
				"select id, status from orders where id in ('order_shipped', 'order_paid') order by id",
			);
			expect(rows).toEqual([
				{ id: "order_paid", status: "shipped" },
				{ id: "order_shipped", status: "refunded" },
			]);
			await expect(query("update orders set shipping_status = 'lost' where id = 'order_paid'")).rejects.toThrow(
				/orders_shipping_status_check/,
			);
			await expect(query("update orders set payment_status = 'shipped' where id = 'order_paid'")).rejects.toThrow(
				/orders_payment_status_check/,
			);
		});

		it("a new order is pending; the ledger keeps its rows and takes deferred ones; shipments need their order", async () => {
			await query("insert into orders (id, amount_total, currency) values ('order_new', 100, 'usd')");
			expect((await query("select status, payment_status from orders where id = 'order_new'")).rows).toEqual([
				{ status: "pending", payment_status: "pending" },
			]);
			expect((await query("select status, next_attempt_at from webhook_events")).rows).toEqual([
				{ status: "unmatched", next_attempt_at: null },
			]);
			await query(`insert into webhook_events (provider, event_id, event_type, status, payload, next_attempt_at)
				values ('easypost', 'evt_new', 'package.in_transit', 'deferred', '{}', now())`);
			await query(
				"insert into shipments (id, order_id, carrier, tracking_number) values ('ship_1', 'order_new', 'usps', '9400')",
			);
			await expect(
				query(
					"insert into shipments (id, order_id, carrier, tracking_number) values ('ship_2', 'order_none', 'usps', '1')",
				),
			).rejects.toThrow(/foreign key/);
			await expect(
				query(
					"insert into shipments (id, order_id, carrier, tracking_number) values ('ship_3', 'order_new', 'usps', '9400')",
				),
			).rejects.toThrow(/shipments_carrier_tracking_number_key/);
			expect((await query("select status from shipments")).rows).toEqual([{ status: "pending" }]);
		});
	});
}

onEveryDatabase("migration_0009", migrationChecks);
