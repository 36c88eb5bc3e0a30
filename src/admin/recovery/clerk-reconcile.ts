/**
 * @module admin/recovery/clerk-reconcile
 * Clerk reconcile: every user Clerk has, listed through its Backend API and applied as a snapshot
 * through src/domain/users.ts, one page of 100 per `clerk-reconcile` job. The snapshot with the
 * newest `updated_at` wins, as for webhooks; a deleted user's tombstone stays (no snapshot revives
 * it); nothing goes through the ledger, since these are no events. Each page counts the users
 * `created` here (no snapshot before), `updated` (an older one replaced) and `current` (nothing to
 * change: the same or a newer snapshot, or the user deleted here); a user whose JSON does not read
 * as one is `failed`. What no provider replays for us: Svix stops retrying Clerk's webhooks after
 * about 28 hours.
 *
 * Trust boundary: the users come from Clerk's API over TLS with our secret key (CLERK_SECRET_KEY),
 * which is as good as a signature. They hold personal data: it goes to `users` only, never to a log
 * (user ids only) nor to the run's row.
 *
 * Clerk's Backend API (https://clerk.com/docs/reference/backend-api, "List all users"):
 * `GET https://api.clerk.com/v1/users` with `limit` (1–500), `offset` and `order_by` (`+created_at`:
 * oldest first, so users created during the run join at the end instead of shifting the pages); the
 * answer is a JSON array of users, each shaped as the `data` of a `user.updated` webhook (times in
 * ms). A page shorter than `limit` is the last. A user deleted during the run shifts the later pages
 * by one: one user may be missed, and a second run finds it.
 */
import { inArray, type SQL, sql } from "drizzle-orm";
import { database } from "../../db/client";
import { isTransient, refusalReason } from "../../db/errors";
import { users } from "../../db/schema";
import { type UserSnapshot, upsertUser } from "../../domain/users";
import { log, logCode } from "../../log";
import { clerkUser, toUserSnapshot } from "../../providers/clerk/payload";
import type { ClerkReconcileJob } from "../../queue/jobs";
import { describeIssues } from "../../validation";
import { type PageResult, runPage, type Settle } from "./page";
import { clerkErrorCode, getPage } from "./provider-api";
import type { PageCounts } from "./runs";
import { type Started, startRun } from "./start";

/** Where Clerk lists users. */
export const CLERK_USERS_URL = "https://api.clerk.com/v1/users";
/** Users per page (Clerk takes up to 500; 100 keeps a page's transaction small). */
export const CLERK_PAGE_SIZE = 100;
/** The secret holding Clerk's secret key (`sk_…`). */
export const CLERK_SECRET_KEY = "CLERK_SECRET_KEY";

/** The URL of the page of users at `offset`, oldest first. */
export function usersUrl(offset: number): string {
	const url = new URL(CLERK_USERS_URL);
	url.searchParams.set("limit", String(CLERK_PAGE_SIZE));
	url.searchParams.set("offset", String(offset));
	url.searchParams.set("order_by", "+created_at");
	return url.toString();
}

/** Starts a reconcile of every Clerk user: an admin run and the job of its first page. */
export function startClerkReconcile(env: Env): Promise<Started> {
	return startRun(env, {
		kind: "clerk_reconcile",
		secret: CLERK_SECRET_KEY,
		params: {},
		cursor: "0",
		job: (runId) => ({ kind: "clerk-reconcile", runId, offset: 0 }),
	});
}

/** Runs one page of a Clerk reconcile (the `clerk-reconcile` job's consumer). Never throws. */
export function clerkReconcilePage(job: ClerkReconcileJob, env: Env, attempts: number): Promise<Settle> {
	return runPage(
		{
			kind: "clerk_reconcile",
			job,
			cursor: String(job.offset),
			secret: CLERK_SECRET_KEY,
			fetchPage: (apiKey) => getPage("clerk", usersUrl(job.offset), apiKey, clerkErrorCode),
			apply: (body) => applyPage(body, job, env),
		},
		env,
		attempts,
	);
}

/** What `users` held of a user before the page (in the same transaction). */
interface Before {
	id: string;
	updatedAt: Date | string | null;
	deletedAt: Date | string | null;
}

/** Applies a page's users (one transaction) and counts them. */
async function applyPage(body: unknown, job: ClerkReconcileJob, env: Env): Promise<PageResult> {
	if (!Array.isArray(body)) return { ok: false, fail: "clerk's answer is not a list of users" };
	const counts: PageCounts = { seen: body.length, created: 0, updated: 0, current: 0, failed: 0 };
	const snapshots = new Map<string, UserSnapshot>();
	for (const [index, item] of body.entries()) {
		const user = clerkUser.safeParse(item);
		if (!user.success) {
			counts.failed = (counts.failed ?? 0) + 1;
			const id = (item as { id?: unknown } | null)?.id;
			log("error", "recovery", {
				run_id: job.runId,
				kind: "clerk_reconcile",
				outcome: "user_failed",
				user_id: logCode("id", typeof id === "string" ? id : null),
				offset: job.offset + index,
				reason: describeIssues(user.error),
			});
			continue;
		}
		const snapshot = toUserSnapshot(user.data);
		const seen = snapshots.get(snapshot.id);
		// the same user twice (the list moved between pages): its newer snapshot
		if (seen && seen.updatedAt >= snapshot.updatedAt) counts.current = (counts.current ?? 0) + 1;
		else {
			if (seen) counts.current = (counts.current ?? 0) + 1;
			snapshots.set(snapshot.id, snapshot);
		}
	}
	const list = [...snapshots.values()];
	let outcomes: Outcome[];
	try {
		outcomes = await applySnapshots(env, job.runId, list);
	} catch (error) {
		if (isTransient(error)) return { ok: false, retry: "database unavailable" };
		// deterministic: a user the database refuses; each alone, so that the others are applied
		outcomes = [];
		for (const snapshot of list) {
			try {
				outcomes.push(...(await applySnapshots(env, job.runId, [snapshot])));
			} catch (aloneError) {
				if (isTransient(aloneError)) return { ok: false, retry: "database unavailable" };
				log("error", "recovery", {
					run_id: job.runId,
					kind: "clerk_reconcile",
					outcome: "user_failed",
					user_id: logCode("id", snapshot.id),
					reason: refusalReason(aloneError),
				});
				outcomes.push("failed");
			}
		}
	}
	for (const outcome of outcomes) counts[outcome] = (counts[outcome] ?? 0) + 1;
	const next =
		body.length >= CLERK_PAGE_SIZE
			? {
					cursor: String(job.offset + body.length),
					job: { kind: "clerk-reconcile" as const, runId: job.runId, offset: job.offset + body.length },
				}
			: ("done" as const);
	return { ok: true, counts, next };
}

/** What became of one user of the page. */
type Outcome = "created" | "updated" | "current" | "failed";

/**
 * One transaction: what `users` holds of the snapshots' users, then each snapshot upserted (newest
 * `updated_at` wins, tombstones stay); what became of each. Its stamp is the snapshot's own time under
 * the run's id: a webhook of the same `updated_at` carries a later event time, so it keeps its place.
 */
async function applySnapshots(env: Env, runId: number, list: UserSnapshot[]): Promise<Outcome[]> {
	if (list.length === 0) return [];
	const db = database(env.DATABASE_URL);
	const ids = list.map((snapshot) => snapshot.id);
	const select = db
		.select({ id: users.id, updatedAt: users.updatedAt, deletedAt: users.deletedAt })
		.from(users)
		.where(inArray(users.id, ids));
	const always: SQL = sql`true`;
	const upserts = list.map((snapshot) =>
		upsertUser(db, snapshot, { id: `clerk-reconcile:${runId}`, at: snapshot.updatedAt }, always),
	);
	const [rows, ...changed] = (await db.batch([select, ...upserts])) as [Before[], ...unknown[][]];
	const before = new Map(rows.map((row) => [row.id, row]));
	return list.map((snapshot, i) => {
		const was = before.get(snapshot.id);
		if ((changed[i] ?? []).length === 0) return "current";
		if (!was || (was.updatedAt === null && was.deletedAt === null)) return "created";
		// the same updated_at rewritten (a tie lost by the stored event id): nothing new
		if (was.updatedAt !== null && new Date(was.updatedAt) >= snapshot.updatedAt) return "current";
		return "updated";
	});
}
