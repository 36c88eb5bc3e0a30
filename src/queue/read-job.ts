/**
 * @module queue/read-job
 * A queue message back into what it stands for. The body is validated with the `job` schema (a
 * message written by another version of this Worker, or by hand, may not match it), its provider is
 * found in the registry by name, and an `apply` job becomes the verified delivery it was when it
 * arrived. A message that cannot be read never will be: the consumers log it and ack it.
 */
import { providers } from "../providers";
import { describeIssues } from "../validation";
import type { VerifiedDelivery } from "../webhooks/apply";
import type { WebhookProvider } from "../webhooks/provider";
import { type ApplyJob, job } from "./jobs";

const byName = new Map<string, WebhookProvider>(providers.map((provider) => [provider.name, provider]));

export type ReadJob =
	| { ok: true; job: ApplyJob; delivery: VerifiedDelivery }
	| { ok: false; reason: "invalid_job" | "unknown_provider" | "malformed_json"; detail: string };

export function readJob(body: unknown, env: Env): ReadJob {
	const parsed = job.safeParse(body);
	if (!parsed.success) return { ok: false, reason: "invalid_job", detail: describeIssues(parsed.error) };
	const { data } = parsed;
	const provider = byName.get(data.provider);
	if (!provider) return { ok: false, reason: "unknown_provider", detail: "no provider of that name in src/providers" };
	let payload: unknown;
	try {
		payload = JSON.parse(data.body);
	} catch {
		return { ok: false, reason: "malformed_json", detail: "the job's body is not JSON" };
	}
	const verified = {
		ok: true as const,
		...(data.deliveryId === undefined ? {} : { deliveryId: data.deliveryId }),
		...(data.sentAt === undefined ? {} : { sentAt: data.sentAt }),
		...(data.nonce === undefined ? {} : { nonce: data.nonce }),
	};
	return { ok: true, job: data, delivery: { provider, env, text: data.body, payload, verified } };
}
