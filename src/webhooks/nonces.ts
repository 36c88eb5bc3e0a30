/**
 * @module webhooks/nonces
 * Values a signature covers that must be accepted once only: Mailgun signs `timestamp + token` but
 * not the event, so a captured signature could carry forged data (Mailgun's "Securing Webhooks" documentation). The
 * token is inserted with the delivery's events, in the same transaction; a second insert of the same
 * token aborts that transaction (unique violation), and the delivery is refused, nothing written.
 * A token is kept for two days: a delivery may wait in the jobs queue (up to about 12 h of retries,
 * src/queue/config.ts) before it is applied, and its token must still be there to refuse a replay
 * queued beside it. Older tokens are deleted.
 */
import { sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { sqlState } from "../db/errors";
import { webhookNonces } from "../db/schema";

/**
 * How long a nonce is kept, in seconds: longer than a queued delivery can wait before it is applied
 * (past the verifiers' 300 s tolerance a live replay fails verification anyway).
 */
const KEEP_SECONDS = 2 * 86_400;

/** Records `nonce` for `provider` (and forgets expired ones); fails with a unique violation when seen before. */
export function recordNonce(db: Database, provider: string, nonce: string) {
	return db.execute(sql`with expired as (
		delete from ${webhookNonces} where ${webhookNonces.seenAt} < now() - make_interval(secs => ${KEEP_SECONDS})
	) insert into ${webhookNonces} (provider, nonce) values (${provider}, ${nonce})`);
}

/** True when `error` is the unique violation of a nonce seen before. */
export function isNonceReplay(error: unknown): boolean {
	if (sqlState(error) !== "23505") return false;
	for (let e: unknown = error; e instanceof Error; e = e.cause)
		if ((e as { constraint?: unknown }).constraint === "webhook_nonces_pkey") return true;
	return false;
}
