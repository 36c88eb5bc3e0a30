/**
 * Test helper: moves ledger events into a time window of their own, far in the past, so that the
 * admin API's filters and stats can be asserted exactly while other test files write events now.
 */
import { and, eq } from "drizzle-orm";
import { webhookEvents } from "../../src/db/schema";
import { testDb } from "./rows";

const HOUR_MS = 3_600_000;
const taken = new Set<number>();

/**
 * The start of an hour of its own in 2003–2004, followed by a free hour (a window of two hours): a
 * different one each call within a test run, and improbably one another test file draws.
 */
export function hourOfItsOwn(): Date {
	let hour: number;
	do hour = Math.floor(Math.random() * 8_500) * 2;
	while (taken.has(hour));
	taken.add(hour);
	return new Date(Date.UTC(2003, 0, 1) + hour * HOUR_MS);
}

/** Sets the ledger event's `received_at` (and `processed_at`, when given; null clears it). */
export async function receivedAt(
	provider: string,
	eventId: string,
	at: Date,
	processedAt?: Date | null,
): Promise<void> {
	await testDb()
		.update(webhookEvents)
		.set({ receivedAt: at, ...(processedAt === undefined ? {} : { processedAt }) })
		.where(and(eq(webhookEvents.provider, provider), eq(webhookEvents.eventId, eventId)));
}
