/**
 * @module queue/read-job
 * A queue message back into what it stands for. The body is validated with the `job` schema (a
 * message written by another version of this Worker, or by hand, may not match it) and its provider,
 * if it names one, is found in the registry by name: an `apply` job becomes the verified delivery it
 * was when it arrived; a `retry-later` or `replay` job names a ledger event of a provider we know; a
 * `notify` job names an outbox row; a recovery job names an admin run. A message that cannot be read
 * never will be: the consumers log it and ack it.
 */
import { providers } from "../providers";
import { describeIssues } from "../validation";
import type { VerifiedDelivery } from "../webhooks/apply";
import type { WebhookProvider } from "../webhooks/provider";
import { type ApplyJob, job, type NotifyJob, type RecoveryJob, type ReplayJob, type RetryLaterJob } from "./jobs";

const byName = new Map<string, WebhookProvider>(providers.map((provider) => [provider.name, provider]));

/** The registry's provider of that name (the ledger's `provider`), if any. */
export const providerNamed = (name: string): WebhookProvider | undefined => byName.get(name);

export type ReadJob =
	| { ok: true; job: ApplyJob; delivery: VerifiedDelivery }
	| { ok: true; job: RetryLaterJob; provider: WebhookProvider }
	| { ok: true; job: ReplayJob; provider: WebhookProvider }
	| { ok: true; job: NotifyJob }
	| { ok: true; job: RecoveryJob }
	| { ok: false; reason: "invalid_job" | "unknown_provider" | "malformed_json"; detail: string };

const unknownProvider = {
	ok: false,
	reason: "unknown_provider",
	detail: "no provider of that name in src/providers",
} as const;

export function readJob(body: unknown, env: Env): ReadJob {
	const parsed = job.safeParse(body);
	if (!parsed.success) return { ok: false, reason: "invalid_job", detail: describeIssues(parsed.error) };
	const { data } = parsed;
	if (data.kind === "notify") return { ok: true, job: data };
	if (data.kind === "stripe-backfill" || data.kind === "clerk-reconcile") return { ok: true, job: data };
	const provider = byName.get(data.provider);
	if (!provider) return unknownProvider;
	if (data.kind === "retry-later") return { ok: true, job: data, provider };
	if (data.kind === "replay") return { ok: true, job: data, provider };
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
