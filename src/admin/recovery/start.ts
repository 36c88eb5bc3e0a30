/**
 * @module admin/recovery/start
 * Starting a recovery: its `admin_runs` row first (the truth the operator reads), then the job of its
 * first page. Refused before anything is written when the provider's API key or the jobs queue is
 * missing; a run whose first job could not be enqueued is recorded `failed` at once.
 */
import { database } from "../../db/client";
import type { AdminRun, AdminRunKind } from "../../db/schema";
import { describeError, log } from "../../log";
import { enqueueJobs } from "../../queue/enqueue";
import type { RecoveryJob } from "../../queue/jobs";
import { setting } from "../../webhooks/provider";
import { createRun, failRun } from "./runs";

export type Started =
	| { ok: true; run: AdminRun }
	| { ok: false; reason: "not_configured" | "queue_unavailable" | "database_unavailable"; message: string };

export interface RunSpec {
	kind: AdminRunKind;
	/** The secret the pages need (checked here, read again by each page). */
	secret: string;
	params: Record<string, unknown>;
	/** Where the first page starts (the run's initial `cursor`). */
	cursor: string | null;
	/** The first page's job, for the run's id. */
	job: (runId: number) => RecoveryJob;
}

/** Creates the run and enqueues its first page. Never throws. */
export async function startRun(env: Env, spec: RunSpec): Promise<Started> {
	if (!setting(env, spec.secret)?.trim())
		return { ok: false, reason: "not_configured", message: `Set the secret ${spec.secret} to run this recovery.` };
	if (!env.JOBS)
		return { ok: false, reason: "queue_unavailable", message: "This Worker has no jobs queue (binding JOBS)." };
	const db = database(env.DATABASE_URL);
	let run: AdminRun;
	try {
		run = await createRun(db, spec.kind, spec.params, spec.cursor);
	} catch (error) {
		log("error", "recovery", {
			kind: spec.kind,
			outcome: "not_started",
			reason: "database_unavailable",
			...describeError(error),
		});
		return { ok: false, reason: "database_unavailable", message: "The database is unavailable; try again later." };
	}
	const enqueued = await enqueueJobs(env, [{ job: spec.job(run.id), delaySeconds: 0 }]);
	if (!enqueued.ok) {
		const error = `its first page could not be enqueued (${enqueued.reason})`;
		try {
			await failRun(db, run.id, error);
		} catch {
			// the run stays `running` with nothing to run it: the log line says so
		}
		log("error", "recovery", {
			run_id: run.id,
			kind: spec.kind,
			outcome: "failed",
			reason: error,
			alert: "recovery_failed",
		});
		return {
			ok: false,
			reason: "queue_unavailable",
			message: "The first page could not be enqueued; try again later.",
		};
	}
	log("info", "recovery", { run_id: run.id, kind: spec.kind, outcome: "started" });
	return { ok: true, run };
}
