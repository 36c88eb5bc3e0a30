/**
 * @module admin/recovery/routes
 * The recoveries' admin routes, mounted by the admin API (admin/api.ts) under `/api/admin`, behind
 * its checks (ADMIN_TOKEN set, bearer token, secure headers):
 * - `POST /backfill/stripe {since}` (ISO 8601 or unix seconds) → 202 `{run_id}`: Stripe's events
 *   since then, fed through the pipeline (admin/recovery/stripe-backfill.ts);
 * - `POST /reconcile/clerk` → 202 `{run_id}`: every Clerk user applied as a snapshot
 *   (admin/recovery/clerk-reconcile.ts);
 * - `GET /runs` (`kind`, `limit` 1–100, default 20), newest first; `GET /runs/:id`: a run's progress.
 * A recovery whose API key is unset is refused 409 `not_configured`; 503 when the queue or the
 * database cannot take it. Trust boundary: the caller is the operator; input is read strictly (an
 * unknown field or parameter is refused); a refusal names the field at fault, never echoes a value.
 */
import { type Context, Hono } from "hono";
import * as z from "zod/mini";
import { database } from "../../db/client";
import { type AdminRunKind, adminRunKinds } from "../../db/schema";
import { queryValuesOf, readCount, readInstant } from "../event-query";
import { startClerkReconcile } from "./clerk-reconcile";
import { findRun, latestRuns, runJson } from "./runs";
import type { Started } from "./start";
import { startStripeBackfill } from "./stripe-backfill";

export const recoveryRoutes = new Hono<{ Bindings: Env }>();

const startedStatus = { not_configured: 409, queue_unavailable: 503, database_unavailable: 503 } as const;

/** 202 with the run's id (and the run), or the refusal. */
function answer(c: Context<{ Bindings: Env }>, started: Started): Response {
	if (!started.ok) return c.json({ error: started.reason, message: started.message }, startedStatus[started.reason]);
	return c.json({ run_id: started.run.id, run: runJson(started.run) }, 202);
}

/** `{since}` and nothing else: a misspelt field is refused, not ignored. */
const backfillBody = z.strictObject({ since: z.union([z.string(), z.number()]) });

const invalidSince = {
	error: "invalid_request",
	field: "since",
	message: "since: expected an ISO 8601 date-time (2026-05-01T10:00:00Z) or unix seconds, not in the future",
} as const;

recoveryRoutes.post("/backfill/stripe", async (c) => {
	let body: unknown;
	try {
		body = await c.req.json();
	} catch {
		return c.json({ error: "invalid_json", message: 'Send a JSON object: {"since": "2026-05-01T00:00:00Z"}.' }, 400);
	}
	const parsed = backfillBody.safeParse(body);
	const [issue] = parsed.success ? [] : parsed.error.issues;
	if (issue?.code === "unrecognized_keys") {
		const field = String(issue.keys[0] ?? "").slice(0, 60);
		return c.json({ error: "invalid_request", field, message: `${field}: not a field of a backfill (since)` }, 400);
	}
	if (!parsed.success) return c.json(invalidSince, 400);
	const read = readInstant("since", String(parsed.data.since));
	if (!read.ok || read.value.getTime() > Date.now()) return c.json(invalidSince, 400);
	return answer(c, await startStripeBackfill(c.env, Math.floor(read.value.getTime() / 1000)));
});

recoveryRoutes.post("/reconcile/clerk", async (c) => answer(c, await startClerkReconcile(c.env)));

const kinds = new Set<string>(adminRunKinds);

recoveryRoutes.get("/runs", async (c) => {
	const values = queryValuesOf(new URL(c.req.url).searchParams, ["kind", "limit"]);
	if (!values.ok)
		return c.json(
			{ error: "invalid_request", field: values.field, message: `${values.field}: expected ${values.message}` },
			400,
		);
	const kind = values.value.kind;
	if (kind !== undefined && !kinds.has(kind))
		return c.json(
			{ error: "invalid_request", field: "kind", message: `kind: expected one of ${adminRunKinds.join(", ")}` },
			400,
		);
	const limit = readCount("limit", values.value.limit, 20, 100);
	if (!limit.ok)
		return c.json({ error: "invalid_request", field: limit.field, message: `limit: expected ${limit.message}` }, 400);
	const runs = await latestRuns(database(c.env.DATABASE_URL), {
		...(kind === undefined ? {} : { kind: kind as AdminRunKind }),
		limit: limit.value,
	});
	return c.json({ runs: runs.map(runJson) });
});

recoveryRoutes.get("/runs/:id", async (c) => {
	const text = c.req.param("id");
	if (!/^[1-9]\d{0,14}$/.test(text))
		return c.json({ error: "invalid_request", field: "id", message: "id: expected a run id (a whole number)" }, 400);
	const run = await findRun(database(c.env.DATABASE_URL), Number(text));
	if (!run) return c.json({ error: "not_found", message: "No run with this id." }, 404);
	return c.json({ run: runJson(run) });
});
