/**
 * Test helper for the recoveries (Stripe backfill, Clerk reconcile): the Worker's bindings with the
 * admin enabled, the providers' API keys and a recording jobs queue; admin API requests through the
 * Worker's own fetch; and `drain`, which hands each job the Worker enqueued to its real queue()
 * handler, as Cloudflare Queues would, until none is left.
 */
import { type Delivered, deliver } from "./deliver";
import { withSettings } from "./email";
import { type Consumed, consume, JOBS_QUEUE, recordingQueue } from "./queue";

export const ADMIN = "admin-token-for-recovery-tests";
export const STRIPE_KEY = "rk_test_backfill_5f2a9c";
export const CLERK_KEY = "sk_test_reconcile_8b1d3e";

/** Bindings with the admin on, both API keys (unless `settings` changes them) and a recording queue. */
export function recoveryBindings(settings: Record<string, string | undefined> = {}) {
	const queue = recordingQueue();
	const bindings = withSettings({
		ADMIN_TOKEN: ADMIN,
		STRIPE_API_KEY: STRIPE_KEY,
		CLERK_SECRET_KEY: CLERK_KEY,
		...settings,
	});
	(bindings as unknown as { JOBS: Queue }).JOBS = queue;
	return { bindings, queue };
}

/** A request to the admin API (`path` after /api/admin) with the admin token, through the Worker. */
export function admin(bindings: Env, method: string, path: string, body?: unknown, token = ADMIN): Promise<Delivered> {
	return deliver(
		new Request(`http://shop.test/api/admin${path}`, {
			method,
			headers: {
				...(token ? { authorization: `Bearer ${token}` } : {}),
				...(body === undefined ? {} : { "content-type": "application/json" }),
			},
			...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
		}),
		bindings,
	);
}

/**
 * Consumes, one message per batch, every job enqueued from `from` on (and those they enqueue), as
 * first deliveries; returns what each consumption settled, in order. Stops after `max` batches.
 */
export async function drain(queue: { sent: unknown[] }, bindings: Env, from = 0, max = 20): Promise<Consumed[]> {
	const consumed: Consumed[] = [];
	for (let at = from; at < queue.sent.length && consumed.length < max; at++)
		consumed.push(await consume(JOBS_QUEUE, [{ body: queue.sent[at] }], bindings));
	return consumed;
}
