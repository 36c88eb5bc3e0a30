/**
 * @module admin/recovery/stripe-backfill
 * Stripe backfill: the events Stripe created since a time, listed through its API and fed through
 * the same pipeline as a live delivery (webhooks/apply.ts), one page of up to 100 per `stripe-backfill`
 * job, in the order Stripe lists them (newest first; the domain writes do not depend on order). The
 * ledger keys a Stripe event by its id, so an event already there is a duplicate and changes nothing;
 * a missing one is applied; one recorded `failed`, `unmatched` or `dead` runs again, as a redelivery
 * would. What no provider replays for us: Stripe stops retrying a webhook after 3 days.
 *
 * Trust boundary: the events come from Stripe's API over TLS with our key (STRIPE_API_KEY), which
 * is as good as a signature; they are applied as verified. The key goes to Stripe only.
 *
 * Stripe's List Events API (https://docs.stripe.com/api/events/list): `GET /v1/events` with
 * `created[gte]` (unix seconds), `types[]` (up to 20 event names), `limit` (1–100) and
 * `starting_after` (the last event id of the page before); the answer is `{object: "list", data,
 * has_more}`. Events are kept for 30 days: a `since` older than that lists what Stripe still has.
 * A restricted key needs only read access to Events.
 */
import * as z from "zod/mini";
import type { AdminRun } from "../../db/schema";
import { log } from "../../log";
import { stripe } from "../../providers/stripe";
import { billingEventTypes } from "../../providers/stripe/billing";
import { disputeEventTypes } from "../../providers/stripe/disputes";
import { paymentEventTypes } from "../../providers/stripe/payments";
import type { StripeBackfillJob } from "../../queue/jobs";
import { describeIssues } from "../../validation";
import { applyDeliveries, type EventResult, type VerifiedDelivery } from "../../webhooks/apply";
import { type PageResult, runPage, type Settle } from "./page";
import { getPage, stripeErrorCode } from "./provider-api";
import type { PageCounts } from "./runs";
import { type Started, startRun } from "./start";

/** Where Stripe lists events. */
export const STRIPE_EVENTS_URL = "https://api.stripe.com/v1/events";
/** Events per page: Stripe's maximum. */
export const STRIPE_PAGE_SIZE = 100;
/** Stripe's `types[]` takes at most this many names. */
export const STRIPE_MAX_TYPES = 20;
/** The secret holding the key (a restricted key, `rk_…`, with read access to Events). */
export const STRIPE_API_KEY = "STRIPE_API_KEY";

/**
 * Names the pipeline reads that Stripe no longer creates (the webhook path still accepts them from an
 * old endpoint): not worth a place among the 20 `types[]`.
 */
const legacyTypes = new Set(["payment_intent.failed"]);

/** The event types the backfill lists: those the pipeline applies. */
export const backfillTypes: readonly string[] = [...paymentEventTypes, ...billingEventTypes, ...disputeEventTypes]
	.filter((type) => !legacyTypes.has(type))
	.sort();

const handled = new Set(backfillTypes);

/**
 * The URL of the page after `startingAfter` (the first when undefined) of the events created at or
 * after `since` (unix seconds). With more types than Stripe's filter takes, none is named and the
 * page is filtered here.
 */
export function eventsUrl(since: number, startingAfter?: string, types: readonly string[] = backfillTypes): string {
	const url = new URL(STRIPE_EVENTS_URL);
	url.searchParams.set("limit", String(STRIPE_PAGE_SIZE));
	url.searchParams.set("created[gte]", String(since));
	if (types.length <= STRIPE_MAX_TYPES) for (const type of types) url.searchParams.append("types[]", type);
	if (startingAfter !== undefined) url.searchParams.set("starting_after", startingAfter);
	return url.toString();
}

/** Stripe's list answer, as far as the backfill reads it (each event is read by the pipeline). */
const eventList = z.object({
	data: z.array(z.unknown()),
	has_more: z.boolean(),
});

/** The start of the backfill, as its run keeps it (unix seconds). */
const sinceOf = (run: AdminRun) => Number((run.params as { since?: unknown }).since ?? 0);

/**
 * Starts a backfill of the events Stripe created at or after `since` (unix seconds): an admin run and
 * the job of its first page.
 */
export function startStripeBackfill(env: Env, since: number): Promise<Started> {
	return startRun(env, {
		kind: "stripe_backfill",
		secret: STRIPE_API_KEY,
		params: { since, types: backfillTypes },
		cursor: null,
		job: (runId) => ({ kind: "stripe-backfill", runId }),
	});
}

/** Runs one page of a Stripe backfill (the `stripe-backfill` job's consumer). Never throws. */
export function stripeBackfillPage(job: StripeBackfillJob, env: Env, attempts: number): Promise<Settle> {
	return runPage(
		{
			kind: "stripe_backfill",
			job,
			cursor: job.startingAfter ?? null,
			secret: STRIPE_API_KEY,
			fetchPage: (apiKey, run) =>
				getPage("stripe", eventsUrl(sinceOf(run), job.startingAfter), apiKey, stripeErrorCode),
			apply: (body) => applyPage(body, job, env),
		},
		env,
		attempts,
	);
}

/** Feeds a page's events through the pipeline (one transaction) and counts what the ledger said. */
async function applyPage(body: unknown, job: StripeBackfillJob, env: Env): Promise<PageResult> {
	const list = eventList.safeParse(body);
	if (!list.success)
		return { ok: false, fail: `stripe's answer is not a list of events: ${describeIssues(list.error)}` };
	const { data, has_more: hasMore } = list.data;
	const lastId = (data.at(-1) as { id?: unknown } | null | undefined)?.id;
	if (hasMore && typeof lastId !== "string")
		return { ok: false, fail: "stripe's page does not end with an event id to continue from" };
	const events = data.filter((event) => handled.has((event as { type?: unknown } | null)?.type as string));
	const deliveries: VerifiedDelivery[] = events.map((event) => ({
		provider: stripe,
		env,
		text: JSON.stringify(event),
		payload: event,
		verified: { ok: true },
	}));
	const counts: PageCounts = { seen: events.length, applied: 0, duplicates: 0, failed: 0 };
	const applied = deliveries.length > 0 ? await applyDeliveries(deliveries, env) : [];
	const results: EventResult[] = [];
	for (const result of applied) {
		if (!result.ok) return { ok: false, retry: "database unavailable" };
		results.push(...result.events);
	}
	for (const event of results) {
		count(counts, event);
		// one line per event, as for a live delivery: a failed or unmatched one raises its alert here too
		log(event.level, "webhook", {
			provider: stripe.name,
			event_type: event.eventType,
			event_id: event.eventId,
			outcome: event.outcome,
			...event.fields,
			via: "stripe_backfill",
			run_id: job.runId,
		});
	}
	const next =
		hasMore && typeof lastId === "string"
			? { cursor: lastId, job: { kind: "stripe-backfill" as const, runId: job.runId, startingAfter: lastId } }
			: ("done" as const);
	return { ok: true, counts, next };
}

/** Adds an event's outcome to the page's counts: a duplicate, failed, or recorded now (`applied`). */
function count(counts: PageCounts, event: EventResult): void {
	if (event.outcome === "duplicate") counts.duplicates = (counts.duplicates ?? 0) + 1;
	else if (event.outcome === "failed") counts.failed = (counts.failed ?? 0) + 1;
	else counts.applied = (counts.applied ?? 0) + 1;
}
