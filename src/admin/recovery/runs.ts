/**
 * @module admin/recovery/runs
 * The `admin_runs` rows: a recovery's progress, page by page. A page's job records its counts only
 * while the run is still `running` at the page's own cursor (one statement): a duplicate of the job
 * (a queue delivers at least once) finds the cursor moved on and records nothing twice. The JSON an
 * operator reads (`GET /api/admin/runs`) is shaped here. Trust boundary: the rows hold counts, ids and
 * our own error texts (provider error codes, never their messages, never a key).
 */
import { and, desc, eq, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Database } from "../../db/client";
import { type AdminRun, type AdminRunKind, adminRuns } from "../../db/schema";

/** What one page adds to its run's counts. */
export interface PageCounts {
	seen: number;
	applied?: number;
	duplicates?: number;
	failed?: number;
	created?: number;
	updated?: number;
	current?: number;
}

/** Creates a `running` run of `kind`; its first page starts at `cursor` (null: the beginning). */
export async function createRun(
	db: Database,
	kind: AdminRunKind,
	params: Record<string, unknown>,
	cursor: string | null,
): Promise<AdminRun> {
	const [run] = await db.insert(adminRuns).values({ kind, params, cursor }).returning();
	return run as AdminRun;
}

/** The run `id`, if there is one. */
export async function findRun(db: Database, id: number): Promise<AdminRun | undefined> {
	const [run] = await db.select().from(adminRuns).where(eq(adminRuns.id, id));
	return run;
}

/** The latest runs (newest first), of one kind or all, at most `limit`. */
export function latestRuns(db: Database, options: { kind?: AdminRunKind; limit: number }): Promise<AdminRun[]> {
	return db
		.select()
		.from(adminRuns)
		.where(options.kind ? eq(adminRuns.kind, options.kind) : undefined)
		.orderBy(desc(adminRuns.startedAt), desc(adminRuns.id))
		.limit(options.limit);
}

/**
 * Adds a page's counts to run `id` and moves its cursor to `next` (more pages to come) or marks it
 * `done`, provided the run is still running at `from` (the page's own cursor). True when recorded;
 * false when that page was recorded already, or the run ended meanwhile.
 */
export async function recordPage(
	db: Database,
	id: number,
	from: string | null,
	counts: PageCounts,
	next: { cursor: string } | "done",
): Promise<boolean> {
	const r = adminRuns;
	const add = (column: PgColumn, n: number | undefined) => sql`${column} + ${n ?? 0}`;
	const rows = await db
		.update(r)
		.set({
			pages: sql`${r.pages} + 1`,
			seen: add(r.seen, counts.seen),
			applied: add(r.applied, counts.applied),
			duplicates: add(r.duplicates, counts.duplicates),
			failed: add(r.failed, counts.failed),
			created: add(r.created, counts.created),
			updated: add(r.updated, counts.updated),
			current: add(r.current, counts.current),
			lastError: null,
			...(next === "done" ? { status: "done" as const, finishedAt: sql`now()` } : { cursor: next.cursor }),
		})
		.where(and(eq(r.id, id), eq(r.status, "running"), sql`${r.cursor} is not distinct from ${from}::text`))
		.returning({ id: r.id });
	return rows.length > 0;
}

/** Marks run `id` failed with `error` (once: a run already ended stays as it ended). True when it did. */
export async function failRun(db: Database, id: number, error: string): Promise<boolean> {
	const rows = await db
		.update(adminRuns)
		.set({ status: "failed", lastError: error, finishedAt: sql`now()` })
		.where(and(eq(adminRuns.id, id), eq(adminRuns.status, "running")))
		.returning({ id: adminRuns.id });
	return rows.length > 0;
}

/** Notes on a running run the transient error its page is retried after (shown until the page succeeds). */
export async function noteRetry(db: Database, id: number, error: string): Promise<void> {
	await db
		.update(adminRuns)
		.set({ lastError: `${error}; retrying` })
		.where(and(eq(adminRuns.id, id), eq(adminRuns.status, "running")));
}

/** A run as the admin API shows it (snake_case, times ISO 8601; Clerk's counts on a reconcile only). */
export function runJson(run: AdminRun): Record<string, unknown> {
	const counts =
		run.kind === "clerk_reconcile"
			? { seen: run.seen, created: run.created, updated: run.updated, current: run.current, failed: run.failed }
			: { seen: run.seen, applied: run.applied, duplicates: run.duplicates, failed: run.failed };
	return {
		id: run.id,
		kind: run.kind,
		status: run.status,
		params: run.params,
		cursor: run.cursor,
		pages: run.pages,
		...counts,
		last_error: run.lastError,
		started_at: new Date(run.startedAt).toISOString(),
		finished_at: run.finishedAt === null ? null : new Date(run.finishedAt).toISOString(),
	};
}
