/**
 * @module admin/dashboard
 * The operator's dashboard at `/admin`: server-rendered pages (Hono's JSX) with plain links and
 * forms, readable without JavaScript. Off (404, as every admin path) unless ADMIN_TOKEN is set. Every
 * page but the log-in needs the `admin_token` cookie (session.ts); every answer carries Hono's
 * secureHeaders with a Content-Security-Policy that allows no script and only the page's own
 * stylesheet (by nonce), and `Cache-Control: no-store` (payloads are shown). Every POST is checked
 * before the cookie is even read (which SameSite=Strict already keeps from other sites): Hono's
 * csrf() refuses 403 a form-like one (a urlencoded, multipart or text/plain body, or no content
 * type) whose Origin and Sec-Fetch-Site are not this site's, but looks at no other; so every
 * request other than GET, HEAD or OPTIONS whose body is not a form (urlencoded or multipart) is
 * refused 415, whatever its Origin: the dashboard's forms send nothing else.
 *
 * GET  /admin                     → /admin/events
 * GET  /admin/login, POST /admin/login, POST /admin/logout
 * GET  /admin/events              the ledger, filtered (provider, type, status, time), newest first
 * GET  /admin/failures            failed, unmatched, dead and deferred events
 * GET  /admin/events/:id          one event: payload, attempts, last error; POST …/replay replays it
 * GET  /admin/replay              bulk replay: a dry-run count; POST /admin/replay enqueues the jobs
 * GET  /admin/recovery            Stripe backfill and Clerk reconcile (POST …/stripe, …/clerk), runs
 * GET  /admin/stats               events per hour by status (SVG), counts, latency, provider delay
 *
 * Trust boundary: below the session check, the requester holds the admin token. Values from query
 * strings and forms are read by filters.ts (the API's reader): one that cannot be read is a 400 page
 * saying why, never dropped; they reach SQL only as parameters; pages escape everything they show.
 */
import { type Context, Hono } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { NONCE, type SecureHeadersVariables, secureHeaders } from "hono/secure-headers";
import { database } from "../../db/client";
import { isTransient } from "../../db/errors";
import type { WebhookEventStatus } from "../../db/schema";
import { describeError, log } from "../../log";
import type { EventOutcome } from "../../webhooks/apply";
import { adminOnly } from "../auth";
import { type Read, readInstant } from "../event-query";
import { getEvent, listEvents, stats } from "../ledger-queries";
import { startClerkReconcile } from "../recovery/clerk-reconcile";
import { latestRuns } from "../recovery/runs";
import type { Started } from "../recovery/start";
import { startStripeBackfill } from "../recovery/stripe-backfill";
import {
	MAX_BULK_REPLAY,
	type ReplayRefusal,
	refusalMessages,
	replayableStatuses,
	replayEvent,
	replayMany,
} from "../replay";
import { EventPage } from "./event-page";
import { EventsPage } from "./events-page";
import { type FilterView, failureStatuses, readViewFilter } from "./filters";
import { Layout, Notice } from "./layout";
import { LoginPage } from "./login-page";
import { RecoveryPage } from "./recovery-page";
import { ReplayPage } from "./replay-page";
import { logIn, logOut, signedIn } from "./session";
import { StatsPage, statsWindows } from "./stats-page";

type Dashboard = { Bindings: Env; Variables: SecureHeadersVariables };
type DashboardContext = Context<Dashboard>;

/** The events a page lists. */
const pageSize = 50;

/** How many recovery runs the recovery page lists. */
const runsShown = 20;

export const dashboard = new Hono<Dashboard>();

/** The query string of a request, every value of a repeated name kept (`status=failed&status=dead`). */
const queryOf = (c: DashboardContext) => new URL(c.req.url).searchParams;

/** A form's fields as a query string would carry them (repeated names kept). */
async function formOf(c: DashboardContext): Promise<URLSearchParams> {
	const body = await c.req.parseBody({ all: true });
	const fields = new URLSearchParams();
	for (const [name, value] of Object.entries(body))
		for (const item of [value].flat()) if (typeof item === "string") fields.append(name, item);
	return fields;
}

const nonceOf = (c: DashboardContext) => c.get("secureHeadersNonce");

/** 303 See Other: after a POST, the browser GETs the page that shows its outcome. */
const seeOther = (c: DashboardContext, location: string) => c.redirect(location, 303);

dashboard.use("*", adminOnly);
dashboard.use(
	"*",
	secureHeaders({
		contentSecurityPolicy: {
			defaultSrc: ["'none'"],
			styleSrc: [NONCE],
			imgSrc: ["'self'"],
			formAction: ["'self'"],
			frameAncestors: ["'none'"],
			baseUri: ["'none'"],
		},
	}),
);
dashboard.use("*", async (c, next) => {
	await next();
	c.header("Cache-Control", "no-store");
});
dashboard.use("*", csrf());

/** Form bodies: what the dashboard's forms send (csrf() checks only form-like bodies). */
const formBody = /^(?:application\/x-www-form-urlencoded|multipart\/form-data)\s*(?:;|$)/i;

// csrf() lets a POST of another body (JSON, octet-stream) through unchecked: none is the dashboard's
dashboard.use("*", async (c, next) => {
	const safe = /^(?:GET|HEAD|OPTIONS)$/.test(c.req.method);
	if (safe || formBody.test(c.req.header("content-type") ?? "")) return next();
	log("warn", "admin dashboard: not a form post refused", { path: c.req.path });
	return c.html(
		<Layout title="Refused" nonce={nonceOf(c)}>
			<Notice kind="error">The dashboard takes form posts only: refused. Use the dashboard's own pages.</Notice>
		</Layout>,
		415,
	);
});

dashboard.get("/login", async (c) => {
	if (await signedIn(c)) return seeOther(c, "/admin/events");
	return c.html(<LoginPage nonce={nonceOf(c)} loggedOut={c.req.query("out") === "1"} />);
});

dashboard.post("/login", async (c) => {
	const token = (await formOf(c)).get("token") ?? "";
	if (await logIn(c, token)) return seeOther(c, "/admin/events");
	return c.html(<LoginPage nonce={nonceOf(c)} refused />, 401);
});

dashboard.post("/logout", (c) => {
	logOut(c);
	return seeOther(c, "/admin/login?out=1");
});

// Every other page: the operator logged in, or the log-in page.
dashboard.use("*", async (c, next) => {
	if (!(await signedIn(c))) return seeOther(c, "/admin/login");
	await next();
});

dashboard.get("/", (c) => seeOther(c, "/admin/events"));

/** The 400 page of a filter (or a value) that cannot be read: which field, what it expects. */
function unreadablePage(
	c: DashboardContext,
	current: FilterView | "stats",
	read: Extract<Read<unknown>, { ok: false }>,
) {
	return c.html(
		<Layout title="This filter cannot be read" nonce={nonceOf(c)} current={current}>
			<Notice kind="error">
				Nothing was listed or changed: {read.field}: expected {read.message}.
			</Notice>
			<p>
				<a href={`/admin/${current}`}>Start again without it</a>
			</p>
		</Layout>,
		400,
	);
}

/** The events or failures view of the query's filter and page. */
async function eventsView(c: DashboardContext, view: "events" | "failures") {
	const statuses: readonly WebhookEventStatus[] =
		view === "failures"
			? failureStatuses
			: ["received", "processed", "ignored", "deferred", "unmatched", "failed", "dead"];
	const read = readViewFilter(queryOf(c), view);
	if (!read.ok) return unreadablePage(c, view, read);
	const { filter, cursor, statusesNamed } = read.value;
	const page = await listEvents(database(c.env.DATABASE_URL), filter, cursor, pageSize);
	return c.html(
		<EventsPage
			view={view}
			nonce={nonceOf(c)}
			filter={filter}
			statusesNamed={statusesNamed}
			statuses={statuses}
			events={page.events}
			nextCursor={page.nextCursor}
		/>,
	);
}

dashboard.get("/events", (c) => eventsView(c, "events"));
dashboard.get("/failures", (c) => eventsView(c, "failures"));

/** A ledger id from the path: a positive whole number, else undefined. */
function ledgerId(text: string): number | undefined {
	return /^[1-9]\d{0,14}$/.test(text) ? Number(text) : undefined;
}

/** What a replay may answer, so that only those words come back from the query string. */
const outcomes: readonly EventOutcome[] = [
	"applied",
	"stale",
	"deferred",
	"unmatched",
	"duplicate",
	"ignored",
	"failed",
];
const refusals = Object.keys(refusalMessages) as ReplayRefusal[];

function notFoundPage(c: DashboardContext) {
	return c.html(
		<Layout title="No such event" nonce={nonceOf(c)} current="events">
			<p>
				No ledger event has this id. <a href="/admin/events">All events</a>
			</p>
		</Layout>,
		404,
	);
}

dashboard.get("/events/:id", async (c) => {
	const id = ledgerId(c.req.param("id"));
	const event = id === undefined ? undefined : await getEvent(database(c.env.DATABASE_URL), id);
	if (!event) return notFoundPage(c);
	const replayed = c.req.query("replayed") as EventOutcome | undefined;
	const refused = c.req.query("refused") as ReplayRefusal | undefined;
	return c.html(
		<EventPage
			nonce={nonceOf(c)}
			event={event}
			replayed={
				replayed && outcomes.includes(replayed)
					? { outcome: replayed, deferred: c.req.query("was") === "deferred" }
					: undefined
			}
			refused={refused && refusals.includes(refused) ? refusalMessages[refused] : undefined}
		/>,
	);
});

dashboard.post("/events/:id/replay", async (c) => {
	const id = ledgerId(c.req.param("id"));
	if (id === undefined) return notFoundPage(c);
	const result = await replayEvent(c.env, id);
	if (!result.ok && result.reason === "not_found") return notFoundPage(c);
	const query = result.ok
		? `replayed=${result.outcome}${result.before === "deferred" ? "&was=deferred" : ""}`
		: `refused=${result.reason}`;
	return seeOther(c, `/admin/events/${id}?${query}`);
});

/** Why a bulk replay did nothing, for the operator. */
const bulkFailures = {
	database_unavailable: "The database could not be reached; nothing was enqueued. Try again.",
	enqueue_failed: "The queue did not take the jobs; nothing was enqueued. Try again.",
} as const;

dashboard.get("/replay", async (c) => {
	const query = queryOf(c);
	const read = readViewFilter(query, "replay", ["dry_run", "enqueued", "capped"]);
	if (!read.ok) return unreadablePage(c, "replay", read);
	const { filter } = read.value;
	const page = { nonce: nonceOf(c), filter, statuses: replayableStatuses, limit: MAX_BULK_REPLAY };
	const enqueued = query.get("enqueued");
	if (enqueued !== null && /^\d{1,7}$/.test(enqueued))
		return c.html(
			<ReplayPage {...page} result={{ enqueued: Number(enqueued), capped: query.get("capped") === "1" }} />,
		);
	if (query.get("dry_run") !== "1") return c.html(<ReplayPage {...page} />);
	const counted = await replayMany(c.env, filter, { dryRun: true, limit: MAX_BULK_REPLAY });
	if (!counted.ok) return c.html(<ReplayPage {...page} error={bulkFailures[counted.reason]} />, 503);
	return c.html(<ReplayPage {...page} counted={counted.dryRun ? counted : undefined} />);
});

dashboard.post("/replay", async (c) => {
	const read = readViewFilter(await formOf(c), "replay");
	if (!read.ok) return unreadablePage(c, "replay", read);
	const { filter } = read.value;
	const result = await replayMany(c.env, filter, { dryRun: false, limit: MAX_BULK_REPLAY });
	if (!result.ok) {
		const page = { nonce: nonceOf(c), filter, statuses: replayableStatuses, limit: MAX_BULK_REPLAY };
		return c.html(<ReplayPage {...page} error={bulkFailures[result.reason]} />, 503);
	}
	const [enqueued, capped] = result.dryRun ? [0, false] : [result.enqueued, result.capped];
	return seeOther(c, `/admin/replay?enqueued=${enqueued}&capped=${capped ? 1 : 0}`);
});

/** The recovery page, with the run just started or why a start was refused. */
async function recoveryView(
	c: DashboardContext,
	shown: { started?: number; refused?: string },
	status: 200 | 400 | 409 | 503 = 200,
) {
	const runs = await latestRuns(database(c.env.DATABASE_URL), { limit: runsShown });
	return c.html(
		<RecoveryPage
			nonce={nonceOf(c)}
			runs={runs}
			started={shown.started}
			refused={shown.refused}
			defaultSince={new Date(Date.now() - 3 * 86_400_000)}
		/>,
		status,
	);
}

dashboard.get("/recovery", (c) => {
	const started = ledgerId(c.req.query("started") ?? "");
	return recoveryView(c, started === undefined ? {} : { started });
});

/** The answer to a recovery's form: its run on the recovery page, or the refusal (the API's statuses). */
function afterStart(c: DashboardContext, started: Started) {
	if (started.ok) return seeOther(c, `/admin/recovery?started=${started.run.id}`);
	return recoveryView(c, { refused: started.message }, started.reason === "not_configured" ? 409 : 503);
}

dashboard.post("/recovery/stripe", async (c) => {
	const text = (await formOf(c)).get("since")?.trim() ?? "";
	const read = text === "" ? undefined : readInstant("since", text);
	const since = read?.ok ? read.value : undefined;
	if (!since || since.getTime() > Date.now())
		return recoveryView(c, { refused: "Give the date to backfill from: a time in the past (UTC)." }, 400);
	return afterStart(c, await startStripeBackfill(c.env, Math.floor(since.getTime() / 1000)));
});

dashboard.post("/recovery/clerk", async (c) => afterStart(c, await startClerkReconcile(c.env)));

dashboard.get("/stats", async (c) => {
	const text = c.req.query("hours")?.trim() || "24";
	const hours = statsWindows.find((window) => String(window.hours) === text)?.hours;
	if (hours === undefined)
		return unreadablePage(c, "stats", {
			ok: false,
			field: "hours",
			message: `one of ${statsWindows.map((window) => window.hours).join(", ")}`,
		});
	return c.html(<StatsPage nonce={nonceOf(c)} stats={await stats(database(c.env.DATABASE_URL), hours)} />);
});

dashboard.onError((error, c) => {
	// csrf() refuses a cross-site form with a 403 HTTPException
	if (error instanceof HTTPException && error.status === 403) {
		log("warn", "admin dashboard: cross-site form refused", { path: c.req.path });
		return c.html(
			<Layout title="Refused" nonce={nonceOf(c)}>
				<Notice kind="error">
					This form was posted from another site, or without saying where from: refused. Use the dashboard's own pages.
				</Notice>
			</Layout>,
			403,
		);
	}
	if (error instanceof HTTPException) return error.getResponse();
	// only a failure that says so is the database's (db/errors.ts); anything else is a bug, in the log
	if (isTransient(error)) {
		log("warn", "admin dashboard: database unavailable", { path: c.req.path, ...describeError(error) });
		return c.html(
			<Layout title="Database unavailable" nonce={nonceOf(c)}>
				<Notice kind="error">The database could not be reached; nothing was changed. Try again.</Notice>
			</Layout>,
			503,
		);
	}
	log("error", "admin dashboard error", { path: c.req.path, ...describeError(error) });
	return c.html(
		<Layout title="Something went wrong" nonce={nonceOf(c)}>
			<Notice kind="error">The page could not be shown: an unexpected error (the Worker log has the details).</Notice>
		</Layout>,
		500,
	);
});
