/**
 * Test helper: reads the rows a user of this service would inspect, through the Worker's own
 * database client (and so through the bridge, like production through Neon).
 */
import { env } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { database } from "../../src/db/client";
import { users, webhookEvents } from "../../src/db/schema";

export const testDb = () => database(env.DATABASE_URL);

export async function userRow(id: string) {
	const [row] = await testDb().select().from(users).where(eq(users.id, id));
	return row;
}

export function ledgerRows(provider: string, eventId: string) {
	return testDb()
		.select()
		.from(webhookEvents)
		.where(and(eq(webhookEvents.provider, provider), eq(webhookEvents.eventId, eventId)));
}
