/**
 * Migration 0011 on a database that holds rows from before it: an order left `delivered` although one
 * of its parcels is still pending (recorded after its sibling's delivery) becomes `shipped`; an order
 * the shop marked shipped without recording parcels keeps its status; the notifications outbox gains
 * the columns of the message it sends (empty for the rows already there); the tracking-number lookup
 * and the retention sweep get their indexes; and the trigger keeps `shipping_status` following the
 * shipments from then on. The database is migrated to 0010, given those rows, then migrated as
 * `npm run db:migrate` does. On an embedded PGlite; also on PostgreSQL when TEST_DATABASE_URL names a
 * server (in a database of its own, created and dropped here).
 */
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../../tools/db/backends.ts";
import { applyMigrations } from "../../tools/db/migrate.ts";
import { migrateUpTo, type OpenDatabase, onEveryDatabase } from "../support/old-databases.ts";

/** Rows as 0010 let them be: orders [id, shipping_status], shipments [id, order, status]. */
const oldOrders: [string, string | null][] = [
	["order_split", "delivered"],
	["order_delivered", "delivered"],
	["order_marked_shipped", "shipped"],
	["order_plain", null],
];
const oldShipments: [string, string, string][] = [
	["ship_split_a", "order_split", "delivered"],
	["ship_split_b", "order_split", "pending"],
	["ship_delivered", "order_delivered", "delivered"],
];

async function migrateOldDatabase(backend: Backend) {
	await migrateUpTo(backend, 10);
	await backend.withConnection(async (client) => {
		for (const [id, shipping] of oldOrders)
			await client.query(
				`insert into orders (id, amount_total, currency, payment_status, shipping_status)
				 values ($1, 4999, 'usd', 'paid', $2)`,
				[id, shipping],
			);
		for (const [id, order, status] of oldShipments)
			await client.query(
				`insert into shipments (id, order_id, carrier, tracking_number, status) values ($1, $2, 'ups', $1, $3)`,
				[id, order, status],
			);
		await client.query(
			"insert into notifications (kind, order_id, recipient) values ('delivered', 'order_delivered', 'ada@example.org')",
		);
	});
	await applyMigrations(backend);
}

function migrationChecks(name: string, open: OpenDatabase) {
	describe(`migration 0011 on ${name} holding rows from before it`, () => {
		let backend: Backend;
		let done: (() => Promise<void>) | undefined;
		const query = <T extends pg.QueryResultRow>(text: string) =>
			backend.withConnection((client) => client.query<T>(text));
		const statuses = async () =>
			Object.fromEntries(
				(
					await query<{ id: string; status: string; shipping_status: string | null }>(
						"select id, status, shipping_status from orders order by id",
					)
				).rows.map((row) => [row.id, [row.status, row.shipping_status]]),
			);

		// starting an embedded PGlite and migrating it twice is slow on a loaded machine: the hook's 60 s
		beforeAll(async () => {
			({ backend, done } = await open());
			await migrateOldDatabase(backend);
		}, 60_000);
		afterAll(async () => {
			await done?.();
		});

		it("an order with shipments takes the status they give; one without keeps the shop's", async () => {
			expect(await statuses()).toEqual({
				order_split: ["shipped", "shipped"],
				order_delivered: ["delivered", "delivered"],
				order_marked_shipped: ["shipped", "shipped"],
				order_plain: ["paid", null],
			});
		});

		it("a notification from before has no message yet (its next attempt writes one)", async () => {
			expect((await query("select status, subject, text, sender from notifications")).rows).toEqual([
				{ status: "pending", subject: null, text: null, sender: null },
			]);
		});

		it("the tracking-number lookup and the retention sweep have their indexes; the exact-number index is gone", async () => {
			const { rows } = await query<{ indexname: string }>(
				"select indexname from pg_indexes where tablename in ('shipments', 'webhook_events') order by indexname",
			);
			const names = rows.map((row) => row.indexname);
			expect(names).toEqual(expect.arrayContaining(["shipments_tracking_key_idx", "webhook_events_retention_idx"]));
			expect(names).not.toContain("shipments_tracking_number_idx");
		});

		it("from then on, the order follows its shipments: one added, one delivered, one moved", async () => {
			await query(
				"insert into shipments (id, order_id, carrier, tracking_number) values ('ship_more', 'order_delivered', 'ups', 'X1')",
			);
			await query("update shipments set status = 'delivered' where id = 'ship_split_b'");
			await query("update shipments set order_id = 'order_plain' where id = 'ship_delivered'");
			expect(await statuses()).toMatchObject({
				order_split: ["delivered", "delivered"],
				order_delivered: ["paid", null],
				order_plain: ["delivered", "delivered"],
			});
		});
	});
}

onEveryDatabase("migration_0011", migrationChecks);
