/**
 * @module queue/enqueue
 * Puts a verified delivery on the jobs queue (binding JOBS) when the database cannot take it now.
 * The message must fit the queue's limit (128 KB, Cloudflare Queues); a larger one, an unbound queue
 * or a failed send is reported, and the caller answers 503 so that the sender retries.
 */
import type { Verified, WebhookProvider } from "../webhooks/provider";
import type { ApplyJob } from "./jobs";

/** Cloudflare Queues' message size limit, in bytes (https://developers.cloudflare.com/queues/platform/limits/). */
export const MAX_MESSAGE_BYTES = 128 * 1024;

export type EnqueueResult = { ok: true } | { ok: false; reason: "no_queue" | "too_large" | "send_failed" };

export async function enqueueApply(
	env: Env,
	provider: WebhookProvider,
	body: string,
	verified: Verified,
	requestId: string,
): Promise<EnqueueResult> {
	const queue = (env as unknown as { JOBS?: Queue<ApplyJob> }).JOBS;
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
	// the JSON text, plus room for the queue's own envelope
	if (new TextEncoder().encode(JSON.stringify(job)).byteLength > MAX_MESSAGE_BYTES - 1024)
		return { ok: false, reason: "too_large" };
	try {
		await queue.send(job, { contentType: "json" });
		return { ok: true };
	} catch {
		return { ok: false, reason: "send_failed" };
	}
}
