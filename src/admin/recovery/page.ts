/**
 * @module admin/recovery/page
 * What every recovery page does around its own work (stripe-backfill.ts, clerk-reconcile.ts): find
 * its run and check the page is still to do (a duplicate of the job, or a run that ended, is acked
 * untouched), read the provider's API key, fetch the page, let the recovery apply it, record the
 * counts (once: admin/recovery/runs.ts), enqueue the next page, and log one `recovery` line. A
 * transient failure (the provider's 5xx or 429, a network failure, the database unavailable) retries
 * the message with backoff and notes the error on the run; a permanent one (a refused key) ends the
 * run `failed` with `alert: "recovery_failed"`. After its last retry the message goes to the dead
 * letters, where the run is failed too (recovery/consume.ts).
 */
import { database } from "../../db/client";
import type { AdminRun, AdminRunKind } from "../../db/schema";
import { describeError, type LogLevel, log } from "../../log";
import { backoffSeconds } from "../../queue/backoff";
import { enqueueJobs } from "../../queue/enqueue";
import type { RecoveryJob } from "../../queue/jobs";
import { setting } from "../../webhooks/provider";
import type { PageOutcome } from "./provider-api";
import { failRun, findRun, noteRetry, type PageCounts, recordPage } from "./runs";

/** How a page's message is settled. */
export type Settle = { ack: true } | { ack: false; delaySeconds: number };

/** What a recovery made of its page. */
export type PageResult =
	| { ok: true; counts: PageCounts; next: { cursor: string; job: RecoveryJob } | "done" }
	/** Worth another attempt (nothing was recorded for the page). */
	| { ok: false; retry: string }
	/** The run cannot go on. */
	| { ok: false; fail: string };

/** One page of a recovery. */
export interface PageWork {
	kind: AdminRunKind;
	job: RecoveryJob;
	/** Where this page starts, as the run's `cursor` says it while the page is still to do. */
	cursor: string | null;
	/** The secret holding the provider's API key. */
	secret: string;
	/** Fetches the page from the provider (`run`: its row, holding the operator's request). */
	fetchPage(apiKey: string, run: AdminRun): Promise<PageOutcome>;
	/** Applies the page's items (the provider's answer `body`). */
	apply(body: unknown, run: AdminRun): Promise<PageResult>;
}

/** Runs one page of a recovery; never throws. `attempts`: the message's delivery count (1: the first). */
export async function runPage(work: PageWork, env: Env, attempts: number): Promise<Settle> {
	const db = database(env.DATABASE_URL);
	const { job } = work;
	const line = (level: LogLevel, fields: Record<string, unknown>) =>
		log(level, "recovery", { run_id: job.runId, kind: work.kind, ...fields, queue_attempt: attempts });
	const retry = async (error: string, delaySeconds = backoffSeconds(attempts), cause?: unknown) => {
		line("warn", {
			outcome: "retry",
			reason: error,
			delay_seconds: delaySeconds,
			...(cause ? describeError(cause) : {}),
		});
		try {
			await noteRetry(db, job.runId, error);
		} catch {
			// the database is what failed: the log line says it
		}
		return { ack: false, delaySeconds } as const;
	};
	const fail = async (error: string) => {
		try {
			const failed = await failRun(db, job.runId, error);
			line("error", { outcome: "failed", reason: error, recorded: failed, alert: "recovery_failed" });
			return { ack: true } as const;
		} catch (cause) {
			return retry("database unavailable", undefined, cause);
		}
	};

	let run: AdminRun | undefined;
	try {
		run = await findRun(db, job.runId);
	} catch (cause) {
		return retry("database unavailable", undefined, cause);
	}
	if (!run || run.kind !== work.kind) {
		line("error", { outcome: "dropped", reason: "no_such_run" });
		return { ack: true };
	}
	if (run.status !== "running" || run.cursor !== work.cursor) {
		// a duplicate of a page's job (recorded already), or a run that ended
		line("info", { outcome: "duplicate", run_status: run.status });
		return { ack: true };
	}
	const apiKey = setting(env, work.secret)?.trim();
	if (!apiKey) return fail(`${work.secret} is not set`);
	const page = await work.fetchPage(apiKey, run);
	if (page.kind === "retry") return retry(page.error, page.retryAfterSeconds);
	if (page.kind === "failed") return fail(page.error);
	const result = await work.apply(page.body, run);
	if (!result.ok) return "retry" in result ? retry(result.retry) : fail(result.fail);
	const { counts, next } = result;
	let recorded: boolean;
	try {
		recorded = await recordPage(db, run.id, work.cursor, counts, next === "done" ? "done" : { cursor: next.cursor });
	} catch (cause) {
		// applied but not counted: the retry finds what it applied already there (duplicates)
		return retry("database unavailable", undefined, cause);
	}
	const about = { page: run.pages + 1, ...counts };
	if (!recorded) {
		line("info", { outcome: "duplicate", ...about });
		return { ack: true };
	}
	if (next === "done") {
		line("info", { outcome: "done", ...about });
		return { ack: true };
	}
	const enqueued = await enqueueJobs(env, [{ job: next.job, delaySeconds: 0 }]);
	if (!enqueued.ok) {
		// The page is recorded; its job is acked. The run cannot go on by itself: it ends, and a new run
		// (the same request) goes through again, finding what this one applied already there.
		return fail(`the next page could not be enqueued (${enqueued.reason}): start the recovery again`);
	}
	line("info", { outcome: "page", ...about });
	return { ack: true };
}
