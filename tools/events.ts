/**
 * `npm run events -- <command> …`: the operator's command line for the admin API (src/admin/api.ts)
 * of a local `npm run dev` or a deployed Worker: list and show ledger events, replay one or many,
 * start a Stripe backfill or a Clerk reconcile and follow its runs. Prints one readable line per item
 * (`--json`: the API's answers as they are). Exits 0 when the API answered 2xx, 1 when it refused or
 * could not be reached, 2 on a malformed command line. Trust boundary: the token (--token, else
 * ADMIN_TOKEN, else .dev.vars) goes to --url only (a redirect is reported, not followed; plain http
 * to another machine is warned about first) and is never printed; what the API answers is a
 * webhook sender's text, printed with its control characters escaped (tools/terminal-text.ts).
 */
import { errorLine, parseCommandLine, usageError } from "./cli.ts";
import { type Answer, adminToken, baseUrl, plainHttpWarning, request } from "./events/admin-client.ts";
import { bulkReplayLine, eventBlock, eventLines, replayLine, runLines } from "./events/format.ts";
import { terminalJson, terminalText } from "./terminal-text.ts";

const usage = `usage: npm run events -- <command> [options]

The admin API of the local npm run dev (or --url): the webhook ledger and the recoveries.

commands:
  list [filters] [--limit N] [--cursor C]   events, newest first (--cursor: the next page)
  show <id>                                 one event: status, attempts, last error, payload
  replay <id>                               re-apply one event now; prints its outcome
  replay <filters> [--dry-run] [--limit N]  queue a replay of every failed, unmatched or dead event
                                            matching (deferred ones only with --status deferred:
                                            each replay is one of their attempts), at most --limit
                                            (1000); --dry-run counts them, and how many it would queue
  backfill stripe --since <time>            apply the Stripe events since <time> that the ledger lacks
  reconcile clerk                           apply every Clerk user as a snapshot
  runs [<id>]                               the backfill and reconcile runs, or one

filters:
  --provider P      stripe, clerk, resend, …
  --type T          an event type (payment_intent.succeeded)
  --status S        received, processed, ignored, unmatched, failed, dead, deferred; several: failed,dead
  --since T         received at or after T: ISO 8601 (2026-05-01T10:00:00Z) or unix seconds
  --until T         received before T

options:
  --url URL         the Worker (default http://127.0.0.1:8787, or PORT's)
  --token TOKEN     the admin token (default: ADMIN_TOKEN from the environment, else from .dev.vars)
  --json            print the API's JSON answers instead of lines
  -h, --help        this help

examples:
  npm run events -- list --status failed,dead
  npm run events -- show 42
  npm run events -- replay 42
  npm run events -- replay --status failed --provider stripe --dry-run
  npm run events -- backfill stripe --since 2026-05-01T00:00:00Z
  npm run events -- reconcile clerk
  npm run events -- runs
  npm run events -- list --url https://shop-webhooks.example.workers.dev --token "$ADMIN_TOKEN"`;

const { values, positionals } = parseCommandLine({
	usage,
	allowPositionals: true,
	options: {
		url: { type: "string" },
		token: { type: "string" },
		json: { type: "boolean", default: false },
		provider: { type: "string" },
		type: { type: "string" },
		status: { type: "string" },
		since: { type: "string" },
		until: { type: "string" },
		limit: { type: "string" },
		cursor: { type: "string" },
		"dry-run": { type: "boolean", default: false },
	},
});

const filterNames = ["provider", "type", "status", "since", "until"] as const;
const [command, ...args] = positionals;

/** Refuses the options a command does not take, and extra positionals. */
function only(allowed: string[], positionalCount: number): void {
	const given = Object.entries(values).filter(([, value]) => value !== undefined && value !== false);
	const stray = given.find(([name]) => !["url", "token", "json", ...allowed].includes(name));
	if (stray) usageError(usage, `${command} does not take --${stray[0]}`);
	if (args.length > positionalCount) usageError(usage, `unexpected argument '${args[positionalCount]}'`);
}

/** The filter flags given, as the API's query or body fields; an empty one (`--status ""`) is not given. */
function filters(): Record<string, string> {
	const out: Record<string, string> = {};
	for (const name of filterNames) {
		const value = values[name]?.trim();
		if (value) out[name] = value;
	}
	return out;
}

/** A whole number from the command line (an event or run id, a limit). */
function wholeNumber(what: string, value: string | undefined): number {
	if (value === undefined || !/^[1-9]\d{0,14}$/.test(value))
		usageError(usage, `${what} must be a whole number, not "${value ?? ""}"`);
	return Number(value);
}

let base: URL;
try {
	base = baseUrl(values.url);
} catch (error) {
	usageError(usage, errorLine(error));
}
const token = adminToken(values.token);

/** Sends one request; prints the API's refusal (exit 1) or returns its 2xx body. */
async function call(method: "GET" | "POST", path: string, body?: unknown): Promise<Record<string, unknown>> {
	if (!token) {
		usageError(usage, "no admin token: pass --token, set ADMIN_TOKEN, or put ADMIN_TOKEN in .dev.vars (npm run dev)");
	}
	const warning = plainHttpWarning(base);
	if (warning) console.error(warning);
	let answer: Answer;
	try {
		answer = await request(base, token.value, method, path, body);
	} catch (error) {
		console.error(`cannot reach ${base.origin}: ${errorLine(error)}${values.url ? "" : " (is npm run dev running?)"}`);
		process.exit(1);
	}
	if (answer.status >= 300 && answer.status <= 399) {
		const to = answer.location ?? "(no Location)";
		let origin = "";
		try {
			origin = ` (--url ${new URL(to).origin})`;
		} catch {}
		console.error(
			terminalText(
				`${method} /api/admin${path} answered ${answer.status}: the URL redirects to ${to}: use that URL${origin}`,
			),
		);
		process.exit(1);
	}
	if (answer.status < 200 || answer.status > 299) {
		if (values.json && answer.body) console.log(terminalJson(JSON.stringify(answer.body, null, 2)));
		const error = terminalText(String(answer.body?.error ?? `HTTP ${answer.status}`));
		const message = answer.body?.message ? `: ${terminalText(String(answer.body.message))}` : "";
		const hint =
			answer.status === 404 && answer.body?.error === "not_found" && !path.match(/\/\d+/)
				? " (is ADMIN_TOKEN set on the Worker? without it the admin API does not exist)"
				: answer.status === 401
					? ` (the token from ${token.source} is not the Worker's ADMIN_TOKEN)`
					: "";
		console.error(`${method} /api/admin${path} answered ${answer.status} ${error}${message}${hint}`);
		process.exit(1);
	}
	return answer.body ?? {};
}

/** Prints the answer: its JSON with --json, else the lines. */
function print(answer: Record<string, unknown>, lines: () => string[]): void {
	console.log(values.json ? terminalJson(JSON.stringify(answer, null, 2)) : lines().join("\n"));
}

const query = (fields: Record<string, string | undefined>) => {
	const params = new URLSearchParams();
	for (const [name, value] of Object.entries(fields)) if (value !== undefined) params.set(name, value);
	const text = params.toString();
	return text ? `?${text}` : "";
};

switch (command) {
	case "list": {
		only([...filterNames, "limit", "cursor"], 0);
		const answer = await call("GET", `/events${query({ ...filters(), limit: values.limit, cursor: values.cursor })}`);
		print(answer, () => {
			const lines = eventLines((answer.events ?? []) as Record<string, unknown>[]);
			if (answer.next_cursor)
				lines.push(terminalText(`more: npm run events -- list … --cursor ${String(answer.next_cursor)}`));
			return lines;
		});
		break;
	}
	case "show": {
		only([], 1);
		const id = wholeNumber("<id>", args[0]);
		const answer = await call("GET", `/events/${id}`);
		print(answer, () => eventBlock((answer.event ?? {}) as Record<string, unknown>));
		break;
	}
	case "replay": {
		if (args.length > 0) {
			only([], 1);
			const id = wholeNumber("<id>", args[0]);
			const answer = await call("POST", `/events/${id}/replay`);
			print(answer, () => [replayLine(answer)]);
			break;
		}
		only([...filterNames, "dry-run", "limit"], 0);
		const chosen = filters();
		if (Object.keys(chosen).length === 0)
			usageError(usage, "replay needs an event id or at least one filter (--status failed, say)");
		const limit = values.limit === undefined ? {} : { limit: wholeNumber("--limit", values.limit) };
		const answer = await call("POST", "/events/replay", { ...chosen, dry_run: values["dry-run"], ...limit });
		print(answer, () => [bulkReplayLine(answer)]);
		break;
	}
	case "backfill": {
		only(["since"], 1);
		if (args[0] !== "stripe") usageError(usage, `backfill takes one provider: stripe (not "${args[0] ?? ""}")`);
		if (values.since === undefined) usageError(usage, "backfill stripe needs --since <time>");
		const answer = await call("POST", "/backfill/stripe", { since: values.since });
		print(answer, () => [
			terminalText(`run #${String(answer.run_id)} started: Stripe's events since ${values.since}`),
			terminalText(`follow it: npm run events -- runs ${String(answer.run_id)}`),
		]);
		break;
	}
	case "reconcile": {
		only([], 1);
		if (args[0] !== "clerk") usageError(usage, `reconcile takes one provider: clerk (not "${args[0] ?? ""}")`);
		const answer = await call("POST", "/reconcile/clerk");
		print(answer, () => [
			terminalText(`run #${String(answer.run_id)} started: every Clerk user`),
			terminalText(`follow it: npm run events -- runs ${String(answer.run_id)}`),
		]);
		break;
	}
	case "runs": {
		only(["limit"], 1);
		if (args[0] !== undefined) {
			const answer = await call("GET", `/runs/${wholeNumber("<id>", args[0])}`);
			print(answer, () => runLines([(answer.run ?? {}) as Record<string, unknown>]));
		} else {
			const answer = await call("GET", `/runs${query({ limit: values.limit })}`);
			print(answer, () => runLines((answer.runs ?? []) as Record<string, unknown>[]));
		}
		break;
	}
	case undefined:
		usageError(usage, "missing <command>: list, show, replay, backfill, reconcile or runs");
		break;
	default:
		usageError(usage, `unknown command "${command}": list, show, replay, backfill, reconcile or runs`);
}
