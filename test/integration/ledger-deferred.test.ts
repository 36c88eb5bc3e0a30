/**
 * Issue 10, the ledger's `deferred` events (src/ledger.ts), through recordEvent's statement as the
 * pipeline runs it (one batch, one transaction): an event about a row that does not exist yet waits
 * 60 s, 300 s, 1800 s, 7200 s and 21600 s after its attempts 1…5 and is `unmatched` at attempt 6; a
 * new attempt before it is due is a duplicate; once the row exists the event is processed. Here the
 * row is an order (`target`: it exists); the parcel tracking events use a shipment.
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { orders, webhookEvents } from "../../src/db/schema";
import {
	deferDelaysSeconds,
	dueLeewaySeconds,
	type LedgerEntry,
	maxDeferredAttempts,
	type Recorded,
	recordEvent,
} from "../../src/ledger";
import { ledgerBody } from "../../src/webhooks/storable";
import { uniqueId } from "../support/clerk";
import { ledgerRows, testDb } from "../support/rows";

const provider = "ledger-test";

/** An event about the order `orderId`, deferred while it does not exist (or not, with `defer: false`). */
function entryAbout(orderId: string, eventId: string, defer = true): LedgerEntry {
	const payload = { id: eventId, order: orderId };
	return {
		provider,
		eventId,
		eventType: "package.in_transit",
		status: "processed",
		target: sql`exists (select 1 from ${orders} where ${orders.id} = ${orderId})`,
		defer,
		body: ledgerBody(JSON.stringify(payload), payload),
	};
}

const thisEvent = (eventId: string): SQL =>
	and(eq(webhookEvents.provider, provider), eq(webhookEvents.eventId, eventId)) as SQL;

/**
 * Records `entry` as the pipeline does; returns the row recording returned (none: a duplicate) and, read
 * in the same transaction, the row's wait until its next attempt in seconds (null when none).
 */
async function record(entry: LedgerEntry) {
	const db = testDb();
	const [recorded, [after]] = (await db.batch([
		recordEvent(db, entry),
		db
			.select({
				status: webhookEvents.status,
				attempts: webhookEvents.attempts,
				processedAt: webhookEvents.processedAt,
				waitSeconds: sql<number | null>`extract(epoch from ${webhookEvents.nextAttemptAt} - now())::float8`.mapWith(
					(value) => (value === null ? null : Number(value)),
				),
			})
			.from(webhookEvents)
			.where(thisEvent(entry.eventId)),
	])) as [Recorded[], { status: string; attempts: number; processedAt: Date | null; waitSeconds: number | null }[]];
	return { recorded: recorded[0], row: after };
}

/** Makes the deferred event's next attempt due `seconds` from now (negative: overdue), as time passing would. */
async function dueIn(eventId: string, seconds: number) {
	await testDb()
		.update(webhookEvents)
		.set({ nextAttemptAt: sql`now() + ${seconds} * interval '1 second'` })
		.where(thisEvent(eventId));
}

async function createOrder(id: string) {
	await testDb().insert(orders).values({ id, amountTotal: 4999, currency: "usd" });
}

describe("an event about a row that does not exist yet, deferred", () => {
	it("first recorded deferred, due 60 s later; nothing processed yet", async () => {
		const eventId = uniqueId("evt");
		const { recorded, row } = await record(entryAbout(uniqueId("order"), eventId));
		expect(recorded).toMatchObject({ status: "deferred", attempts: 1 });
		expect(recorded?.nextAttemptAt).toBeInstanceOf(Date);
		expect(row).toEqual({ status: "deferred", attempts: 1, processedAt: null, waitSeconds: 60 });
	});

	it("a new attempt before it is due is a duplicate: no row, nothing changes", async () => {
		const eventId = uniqueId("evt");
		const entry = entryAbout(uniqueId("order"), eventId);
		await record(entry);
		const before = await ledgerRows(provider, eventId);
		const again = await record(entry);
		expect(again.recorded).toBeUndefined();
		expect(await ledgerRows(provider, eventId)).toEqual(before);
	});

	it(`due within ${dueLeewaySeconds} s counts as due (a delayed message a little early); further ahead does not`, async () => {
		const eventId = uniqueId("evt");
		const entry = entryAbout(uniqueId("order"), eventId);
		await record(entry);
		await dueIn(eventId, 30);
		expect((await record(entry)).recorded).toBeUndefined();
		await dueIn(eventId, dueLeewaySeconds - 2);
		expect((await record(entry)).row).toMatchObject({ status: "deferred", attempts: 2, waitSeconds: 300 });
	});

	it("every attempt once due waits longer: 60, 300, 1800, 7200, 21600 s; attempt 6 still unknown is unmatched", async () => {
		const eventId = uniqueId("evt");
		const entry = entryAbout(uniqueId("order"), eventId);
		const waits: (number | null)[] = [];
		const first = await record(entry);
		waits.push(first.row?.waitSeconds ?? null);
		for (let attempt = 2; attempt < maxDeferredAttempts; attempt++) {
			await dueIn(eventId, -1);
			const { recorded, row } = await record(entry);
			expect(recorded).toMatchObject({ status: "deferred", attempts: attempt });
			waits.push(row?.waitSeconds ?? null);
		}
		expect(waits).toEqual([...deferDelaysSeconds]);
		expect(maxDeferredAttempts).toBe(6);

		await dueIn(eventId, -1);
		const last = await record(entry);
		expect(last.recorded).toEqual({ status: "unmatched", attempts: 6, nextAttemptAt: null });
		expect(last.row?.processedAt).toBeInstanceOf(Date);
		expect(await ledgerRows(provider, eventId)).toMatchObject([
			{ status: "unmatched", attempts: 6, nextAttemptAt: null },
		]);
	});

	it("an unmatched event redelivered runs again: processed once its row exists", async () => {
		const orderId = uniqueId("order");
		const eventId = uniqueId("evt");
		const entry = entryAbout(orderId, eventId);
		await record(entry);
		for (let attempt = 2; attempt <= maxDeferredAttempts; attempt++) {
			await dueIn(eventId, -1);
			await record(entry);
		}
		// still unknown: a redelivery runs it again, and it stays unmatched (the retries are over)
		expect((await record(entry)).recorded).toEqual({ status: "unmatched", attempts: 7, nextAttemptAt: null });
		await createOrder(orderId);
		const { recorded, row } = await record(entry);
		expect(recorded).toEqual({ status: "processed", attempts: 8, nextAttemptAt: null });
		expect(row?.processedAt).toBeInstanceOf(Date);
	});

	it("the row appears between two attempts: the next one processes the event and clears next_attempt_at", async () => {
		const orderId = uniqueId("order");
		const eventId = uniqueId("evt");
		const entry = entryAbout(orderId, eventId);
		await record(entry);
		await createOrder(orderId);
		// known now, but not yet due: a redelivery is still a duplicate (the retry-later job will run it)
		expect((await record(entry)).recorded).toBeUndefined();
		await dueIn(eventId, -1);
		const { recorded, row } = await record(entry);
		expect(recorded).toEqual({ status: "processed", attempts: 2, nextAttemptAt: null });
		expect(row).toMatchObject({ status: "processed", waitSeconds: null });
		// processed: a duplicate from now on
		expect((await record(entry)).recorded).toBeUndefined();
	});
});

describe("what deferring leaves alone", () => {
	it("the row exists at once: processed at the first attempt, no next attempt", async () => {
		const orderId = uniqueId("order");
		await createOrder(orderId);
		const { recorded, row } = await record(entryAbout(orderId, uniqueId("evt")));
		expect(recorded).toEqual({ status: "processed", attempts: 1, nextAttemptAt: null });
		expect(row?.processedAt).toBeInstanceOf(Date);
	});

	it("an entry that does not defer is unmatched at once, as before (no next attempt)", async () => {
		const eventId = uniqueId("evt");
		const entry = entryAbout(uniqueId("order"), eventId, false);
		expect((await record(entry)).recorded).toEqual({ status: "unmatched", attempts: 1, nextAttemptAt: null });
		expect((await record(entry)).recorded).toEqual({ status: "unmatched", attempts: 2, nextAttemptAt: null });
	});

	it("a deferred event whose redelivery fails deterministically once due: failed, next_attempt_at cleared", async () => {
		const eventId = uniqueId("evt");
		const entry = entryAbout(uniqueId("order"), eventId);
		await record(entry);
		const failed: LedgerEntry = { ...entry, status: "failed", target: undefined, lastError: "bad shape" };
		expect((await record(failed)).recorded).toBeUndefined();
		await dueIn(eventId, -1);
		expect((await record(failed)).recorded).toEqual({ status: "failed", attempts: 2, nextAttemptAt: null });
		expect(await ledgerRows(provider, eventId)).toMatchObject([{ lastError: "bad shape", processedAt: null }]);
	});
});
