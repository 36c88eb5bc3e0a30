/**
 * @module queue/enqueue
 * Puts a verified delivery on the jobs queue (binding JOBS) when the database cannot take it now.
 * The message must fit the queue's limit (128 KB, Cloudflare Queues); a larger one, an unbound queue
 * or a failed send is reported, and the caller answers 503 so that the sender retries. The consumer
 * is queue/consumer.ts.
 */
import type { Verified, WebhookProvider } from "../webhooks/provider";
import type { ApplyJob } from "./jobs";

/**
 * Cloudflare Queues' message size limit: 128 KB, where "1 KB is measured as 1000 bytes", including
 * up to ~100 bytes of the queue's own metadata (https://developers.cloudflare.com/queues/platform/limits/;
 * miniflare refuses a message over 128,000 bytes too).
 */
export const MAX_MESSAGE_BYTES = 128_000;
/** What a job's JSON may take: the limit less room for the queue's metadata. */
export const MAX_JOB_BYTES = MAX_MESSAGE_BYTES - 1_000;

export type EnqueueResult = { ok: true } | { ok: false; reason: "no_queue" | "too_large" | "send_failed" };

export async function enqueueApply(
	env: Env,
	provider: WebhookProvider,
	body: string,
	verified: Verified,
	requestId: string,
): Promise<EnqueueResult> {
	// bound in wrangler.toml; a Worker deployed without the binding answers 503 as before the queue
	const queue: Queue<ApplyJob> | undefined = env.JOBS;
	if (!queue) return { ok: false, reason: "no_queue" };
	const job: ApplyJob = {
		kind: "apply",
		provider: provider.name,
		body,
		...(verified.deliveryId === undefined ? {} : { deliveryId: verified.deliveryId }),
		...(verified.sentAt === undefined ? {} : { sentAt: verified.sentAt }),
		...(verified.nonce === undefined ? {} : { nonce: verified.nonce }),
		receivedAt: Date.now(),
		requestId,
	};
	// the message is the job's JSON text (contentType "json")
	if (new TextEncoder().encode(JSON.stringify(job)).byteLength > MAX_JOB_BYTES)
		return { ok: false, reason: "too_large" };
	try {
		await queue.send(job, { contentType: "json" });
		return { ok: true };
	} catch {
		return { ok: false, reason: "send_failed" };
	}
}
