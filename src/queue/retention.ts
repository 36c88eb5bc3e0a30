/**
 * @module queue/retention
 * The ledger keeps a payload for replay, not forever: the cron sweep (queue/sweep.ts) erases the
 * payloads of `processed` and `ignored` events finished more than LEDGER_RETENTION_DAYS ago (default
 * 30), as a deleted user's are erased (src/privacy.ts): `payload` becomes its skeleton (ids, types,
 * times, statuses, amounts), `raw_body` NULL, `erased_at` now. An event that may still need a person
 * or a replay (`failed`, `dead`, `unmatched`, `deferred`) keeps its payload, whatever its age; the
 * ledger row itself stays, so a redelivery is still a duplicate. Each run erases at most
 * RETENTION_BATCH rows, oldest first: a backlog goes over a few runs.
 * Trust boundary: our own table; the log line holds counts only.
 */
import { sql } from "drizzle-orm";
import { database } from "../db/client";
import { webhookEvents } from "../db/schema";
import { skeletonOf } from "../privacy";
import { setting } from "../webhooks/provider";

/** The retention when LEDGER_RETENTION_DAYS is unset, empty or unreadable (days). */
export const DEFAULT_RETENTION_DAYS = 30;
/** The longest retention accepted (days, 100 years): more is a typo. */
export const MAX_RETENTION_DAYS = 36_500;
/** At most this many payloads are erased per run (every 5 minutes: 60,000 an hour). */
export const RETENTION_BATCH = 5000;

/** LEDGER_RETENTION_DAYS as a whole number of days ≥ 1, and whether it had to be replaced by the default. */
export function retentionDays(env: Env): { days: number; invalid: boolean } {
	const text = setting(env, "LEDGER_RETENTION_DAYS")?.trim() ?? "";
	if (text === "") return { days: DEFAULT_RETENTION_DAYS, invalid: false };
	const days = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
	if (!(days >= 1 && days <= MAX_RETENTION_DAYS)) return { days: DEFAULT_RETENTION_DAYS, invalid: true };
	return { days, invalid: false };
}

/**
 * Erases the payloads of up to RETENTION_BATCH `processed`/`ignored` events received and finished
 * more than `days` days ago (not erased yet); returns how many. One statement; throws on a database
 * error (the sweep logs it).
 */
export async function eraseExpiredPayloads(env: Env, days: number): Promise<number> {
	const e = webhookEvents;
	const cutoff = sql`now() - make_interval(days => ${days})`;
	const result = await database(env.DATABASE_URL).execute<{ erased: number }>(sql`
		with expired as (
			select ${e.id} as id from ${e}
			where ${e.status} in ('processed', 'ignored') and ${e.erasedAt} is null
				and ${e.receivedAt} < ${cutoff} and ${e.processedAt} < ${cutoff}
			order by ${e.receivedAt}
			limit ${RETENTION_BATCH}
		), erased as (
			update ${e} set
				payload = ${skeletonOf(sql`${e.payload}`)},
				raw_body = null,
				erased_at = now()
			from expired where ${e.id} = expired.id
			returning 1
		)
		select count(*)::int as erased from erased`);
	return result.rows[0]?.erased ?? 0;
}
