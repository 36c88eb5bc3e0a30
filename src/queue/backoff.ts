/**
 * @module queue/backoff
 * How long a message waits before its next attempt: exponential backoff with full jitter (AWS
 * Architecture Blog, "Exponential Backoff And Jitter"): a uniformly random delay between 1 s and a
 * ceiling that doubles with each attempt, up to a cap. The jitter spreads the retries of a backlog
 * that failed together (an outage) so that they do not all hit the database at once when it returns.
 * Pure: the attempt count and the random source are parameters.
 */

/**
 * The longest delay Cloudflare Queues accept for a message, on `send`/`sendBatch` and on `retry`
 * (`delaySeconds`): 12 hours (https://developers.cloudflare.com/queues/platform/limits/). A row that
 * waits longer keeps its own due time (`next_attempt_at`): its job wakes earlier, finds it not due and
 * is acked, and the cron sweep runs it once overdue (queue/sweep.ts).
 */
export const MAX_DELAY_SECONDS = 12 * 60 * 60;

export interface BackoffPolicy {
	/** The ceiling of the first retry's delay, in seconds. */
	baseSeconds: number;
	/** The ceiling never grows beyond this (itself at most MAX_DELAY_SECONDS). */
	capSeconds: number;
}

/** 15 s, 30 s, 1 min, … up to 30 min: a blip is retried within seconds, a long outage every ~15 min on average. */
export const retryBackoff: BackoffPolicy = { baseSeconds: 15, capSeconds: 30 * 60 };

/**
 * The delay before the next attempt of a message delivered `attempts` times (Message.attempts: 1 on
 * its first delivery): a whole number of seconds, uniform in [1, min(cap, base · 2^(attempts − 1))].
 * `random` returns a number in [0, 1), as Math.random does.
 */
export function backoffSeconds(
	attempts: number,
	random: () => number = Math.random,
	policy: BackoffPolicy = retryBackoff,
): number {
	const n = Number.isFinite(attempts) ? Math.max(1, Math.floor(attempts)) : 1;
	const cap = Math.min(policy.capSeconds, MAX_DELAY_SECONDS);
	// 2^(n-1) overflows to Infinity for a huge n: min() still gives the cap
	const ceiling = Math.max(1, Math.min(cap, policy.baseSeconds * 2 ** (n - 1)));
	const r = random();
	const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
	return Math.min(ceiling, Math.max(1, Math.ceil(unit * ceiling)));
}
