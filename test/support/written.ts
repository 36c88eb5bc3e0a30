/**
 * Test helper: what a delivery can have written. `expectedLedgerKey` says, from the outside, under
 * which key the ledger records an event; `rowsNamedBy` reads every row that a body could name, so
 * that a test can compare them before and after a delivery that must write nothing.
 */
import { sql } from "drizzle-orm";
import { testDb } from "./rows";

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** What Postgres can hold in a text key: no NUL, no unpaired surrogate. */
export const storable = (value: string) => !value.includes("\u0000") && value.isWellFormed();

/**
 * The ledger's event_id of a verified delivery: the provider's id (Clerk: the `svix-id` header; Stripe:
 * the body's `id`, when a non-empty string) as it is; its SHA-256 (`id-sha256:`) when longer than 255
 * characters or not storable; the body's SHA-256 (`sha256:`) when there is no id.
 */
export async function expectedLedgerKey(provider: "clerk" | "stripe", body: string, svixId?: string) {
	let id: string | undefined = svixId;
	if (provider === "stripe") {
		const claimed = (JSON.parse(body) as { id?: unknown } | null)?.id;
		id = typeof claimed === "string" && claimed ? claimed : undefined;
	}
	if (id === undefined) return `sha256:${await sha256Hex(body)}`;
	if (id.length <= 255 && storable(id)) return id;
	return `id-sha256:${await sha256Hex(id)}`;
}

/** Every string of a JSON value that could be a key (at most `limit`, down to depth 50). */
export function keysIn(value: unknown, limit = 300): string[] {
	const found = new Set<string>();
	const visit = (node: unknown, depth: number) => {
		if (found.size >= limit || depth > 50) return;
		if (typeof node === "string") {
			if (node.length > 0 && node.length <= 255 && storable(node)) found.add(node);
		} else if (Array.isArray(node)) {
			for (const item of node) visit(item, depth + 1);
		} else if (node !== null && typeof node === "object") {
			for (const item of Object.values(node)) visit(item, depth + 1);
		}
	};
	visit(value, 0);
	return [...found];
}

/**
 * Every ledger, user, order and subscription row whose key is among `keys` (as JSON, whatever columns the
 * tables have now), in a stable order.
 */
export async function rowsNamedBy(keys: string[]): Promise<string[]> {
	const result = await testDb().execute<{ row: unknown }>(sql`
		select to_jsonb(w) as row from webhook_events w where w.event_id in ${keys}
		union all select to_jsonb(u) from users u where u.id in ${keys} or u.stripe_customer_id in ${keys}
		union all select to_jsonb(o) from orders o
			where o.id in ${keys} or o.user_id in ${keys} or o.stripe_payment_intent_id in ${keys} or o.stripe_checkout_session_id in ${keys}
		union all select to_jsonb(s) from subscriptions s
			where s.id in ${keys} or s.user_id in ${keys} or s.stripe_customer_id in ${keys}`);
	return result.rows.map(({ row }) => JSON.stringify(row)).sort();
}

/** A ledger row as replay reads it: `payload` as jsonb's text (drizzle parses a top-level jsonb string twice). */
export type LedgerRecord = {
	status: string;
	attempts: number;
	lastError: string | null;
	payload: string;
	rawBody: string | null;
	erasedAt: string | null;
};

/** The ledger rows of (provider, event_id): at most one. */
export async function ledgerRecord(provider: string, eventId: string): Promise<LedgerRecord[]> {
	const result = await testDb().execute<LedgerRecord>(sql`
		select status, attempts, last_error as "lastError", payload::text as payload, raw_body as "rawBody",
			erased_at::text as "erasedAt"
		from webhook_events where provider = ${provider} and event_id = ${eventId}`);
	return result.rows;
}
