/**
 * @module webhooks/stored-delivery
 * A ledger row back into the verified delivery it was, to run it again through the same apply path
 * as a live delivery (webhooks/apply.ts): a deferred event's `retry-later` job (queue/retry-later.ts)
 * and an operator's replay (admin/replay.ts). The body is what the ledger keeps: `raw_body` when the
 * payload could not hold it exactly, else the payload as JSON text; what verification established
 * and the ledger keeps is the event's id, the delivery id of providers that key events by it
 * (Standard Webhooks' svix-id). The rebuilt body must read back as this one event (a provider keying
 * an event by the digest of its body would not, from a re-serialised payload): else applying it
 * would record another event, and it is refused. An event of a batch (a SendGrid element) is stored
 * alone, and read back as a batch of one.
 * Trust boundary: the body was verified when it arrived and has been in our ledger since.
 */
import { type SQL, sql } from "drizzle-orm";
import { webhookEvents } from "../db/schema";
import { eventKeys, type VerifiedDelivery } from "./apply";
import type { WebhookProvider } from "./provider";

/**
 * The stored body of a ledger row as text. payload::text in SQL: drizzle parses jsonb, and a top-level
 * string would not survive the round trip.
 */
export const storedBody: SQL<string> = sql<string>`coalesce(${webhookEvents.rawBody}, ${webhookEvents.payload}::text)`;

/** What a ledger row must give to be rebuilt. */
export interface StoredEvent {
	eventId: string;
	/** `storedBody`. */
	body: string;
}

export type Rebuilt =
	| { ok: true; delivery: VerifiedDelivery }
	/** `not_json`: the stored body does not parse; `not_this_event`: it does not read back as this event. */
	| { ok: false; reason: "not_json" | "not_this_event" };

/** The delivery of `text` as `provider` would have verified it, keyed by `eventId`. */
function delivery(provider: WebhookProvider, env: Env, eventId: string, text: string, payload: unknown) {
	return { provider, env, text, payload, verified: { ok: true as const, deliveryId: eventId } };
}

/** True when `candidate` reads as exactly one event, `eventId`. */
async function readsBackAs(candidate: VerifiedDelivery, eventId: string): Promise<boolean> {
	const keys = await eventKeys(candidate);
	return keys.length === 1 && keys[0]?.eventId === eventId;
}

/** The verified delivery a ledger row stands for, checked to read back as its event. */
export async function storedDelivery(provider: WebhookProvider, row: StoredEvent, env: Env): Promise<Rebuilt> {
	let payload: unknown;
	try {
		payload = JSON.parse(row.body);
	} catch {
		return { ok: false, reason: "not_json" };
	}
	const asStored = delivery(provider, env, row.eventId, row.body, payload);
	if (await readsBackAs(asStored, row.eventId)) return { ok: true, delivery: asStored };
	if (!Array.isArray(payload)) {
		const asBatch = delivery(provider, env, row.eventId, `[${row.body}]`, [payload]);
		if (await readsBackAs(asBatch, row.eventId)) return { ok: true, delivery: asBatch };
	}
	return { ok: false, reason: "not_this_event" };
}
