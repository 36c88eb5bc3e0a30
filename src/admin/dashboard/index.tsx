/**
 * @module admin/dashboard
 * The operator's dashboard at `/admin`: server-rendered pages (Hono's JSX) with plain links and
 * forms, readable without JavaScript. Off (404, as every admin path) unless ADMIN_TOKEN is set. Every
 * page but the log-in needs the `admin_token` cookie (session.ts); every answer carries Hono's
 * secureHeaders with a Content-Security-Policy that allows no script and only the page's own
 * stylesheet (by nonce), and `Cache-Control: no-store` (payloads are shown). Every form posts
 * through Hono's csrf(): a POST whose Origin and Sec-Fetch-Site are not this site's is refused 403,
 * before the cookie is even read (which SameSite=Strict already keeps from other sites).
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
 * strings and forms are read by filters.ts and the shared queries, and reach SQL only as parameters;
 * pages escape everything they show.
 */
import { type Context, Hono } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { NONCE, type SecureHeadersVariables, secureHeaders } from "hono/secure-headers";
import { database } from "../../db/client";
import type { WebhookEventStatus } from "../../db/schema";
import { describeError, log } from "../../log";
import type { EventOutcome } from "../../webhooks/apply";
import { adminOnly } from "../auth";
import { decodeCursor, getEvent, listEvents, stats } from "../ledger-queries";
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
import { failureStatuses, parseTime, readFilter } from "./filters";
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

/** The events or failures view of the query's filter and page. */
async function eventsView(c: DashboardContext, view: "events" | "failures") {
	const query = queryOf(c);
	const statuses: readonly WebhookEventStatus[] =
		view === "failures"
			? failureStatuses
			: ["received", "processed", "ignored", "deferred", "unmatched", "failed", "dead"];
	const filter = readFilter(
		query,
		view === "failures" ? { allowed: failureStatuses, defaultStatuses: failureStatuses } : {},
	);
	const cursorText = query.get("cursor");
	const cursor = cursorText ? decodeCursor(cursorText) : undefined;
	const page = await listEvents(database(c.env.DATABASE_URL), filter, cursor, pageSize);
	return c.html(
		<EventsPage
			view={view}
			nonce={nonceOf(c)}
			filter={filter}
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
			replayed={replayed && outcomes.includes(replayed) ? { outcome: replayed } : undefined}
			refused={refused && refusals.includes(refused) ? refusalMessages[refused] : undefined}
		/>,
	);
});

dashboard.post("/events/:id/replay", async (c) => {
	const id = ledgerId(c.req.param("id"));
	if (id === undefined) return notFoundPage(c);
	const result = await replayEvent(c.env, id);
	if (!result.ok && result.reason === "not_found") return notFoundPage(c);
	const query = result.ok ? `replayed=${result.outcome}` : `refused=${result.reason}`;
	return seeOther(c, `/admin/events/${id}?${query}`);
});

/** Why a bulk replay did nothing, for the operator. */
const bulkFailures = {
	database_unavailable: "The database could not be reached; nothing was enqueued. Try again.",
	enqueue_failed: "The queue did not take the jobs; nothing was enqueued. Try again.",
} as const;

dashboard.get("/replay", async (c) => {
	const query = queryOf(c);
	const filter = readFilter(query, { allowed: replayableStatuses, defaultStatuses: [...replayableStatuses] });
	const page = { nonce: nonceOf(c), filter, statuses: replayableStatuses, limit: MAX_BULK_REPLAY };
	const enqueued = query.get("enqueued");
	if (enqueued !== null && /^\d{1,7}$/.test(enqueued))
		return c.html(
			<ReplayPage {...page} result={{ enqueued: Number(enqueued), capped: query.get("capped") === "1" }} />,
		);
	if (query.get("dry_run") !== "1") return c.html(<ReplayPage {...page} />);
	const counted = await replayMany(c.env, filter, { dryRun: true });
	if (!counted.ok) return c.html(<ReplayPage {...page} error={bulkFailures[counted.reason]} />, 503);
	return c.html(<ReplayPage {...page} count={counted.dryRun ? counted.count : undefined} />);
});

dashboard.post("/replay", async (c) => {
	const filter = readFilter(await formOf(c), {
		allowed: replayableStatuses,
		defaultStatuses: [...replayableStatuses],
	});
	const result = await replayMany(c.env, filter, { dryRun: false });
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
	const since = parseTime((await formOf(c)).get("since") ?? undefined);
	if (!since || since.getTime() > Date.now())
		return recoveryView(c, { refused: "Give the date to backfill from: a time in the past (UTC)." }, 400);
	return afterStart(c, await startStripeBackfill(c.env, Math.floor(since.getTime() / 1000)));
});

dashboard.post("/recovery/clerk", async (c) => afterStart(c, await startClerkReconcile(c.env)));

dashboard.get("/stats", async (c) => {
	const asked = Number(c.req.query("hours") ?? "24");
	const hours = statsWindows.some((window) => window.hours === asked) ? asked : 24;
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
	log("error", "admin dashboard error", { path: c.req.path, ...describeError(error) });
	return c.html(
		<Layout title="Something went wrong" nonce={nonceOf(c)}>
			<Notice kind="error">The page could not be shown (the database may be unreachable). Try again.</Notice>
		</Layout>,
		500,
	);
});
