/**
 * `npm run send -- <provider> <type> [--count N] [--set path=value]… [--to addr] [--tracking N] [--url URL | --port N] [--secret S]`
 * Builds realistic events, signs them as the provider does (with the provider's own reference
 * library where there is one), posts them to the local dev server (127.0.0.1, port from
 * tools/ports.ts) or a deployed URL, and prints each answer. The providers, their paths and their
 * secrets' names come from the Worker's registry (src/providers/index.ts), their templates and
 * signing from src/providers/<name>/send.ts (tools/send/providers.ts). The secret comes from
 * --secret, else from the environment, else from .dev.vars (SendGrid: the repository's test key).
 */
import { errorLine, parseCommandLine, usageError } from "./cli.ts";
import { demoSendContext, demoUser } from "./db/demo-rows.ts";
import { demoTracking, lateShipment } from "./db/demo-shipments.ts";
import { describePortOptions, portOptions, portsFromCommandLine } from "./ports.ts";
import { commandOf, loadSenders, localSetting, type Sender, signingSecret } from "./send/providers.ts";
import { parseAssignment, setPath } from "./send/set-path.ts";

let loaded: Awaited<ReturnType<typeof loadSenders>>;
try {
	loaded = await loadSenders();
} catch (error) {
	console.error(`npm run send: ${errorLine(error)}`);
	process.exit(1);
}
const { senders, chosen } = loaded;

const chosenLines = chosen.map((path) => {
	const choices = senders.filter((sender) => sender.path.startsWith(`${path.path}/`)).map((s) => s.name);
	return `  ${path.words.join(" ")} <type>: the types of the provider ${path.setting} names (${choices.join(", ")}; default ${path.fallback}), posted to ${path.path}`;
});

const usage = `usage: npm run send -- <provider> <type> [options]

Signs fresh <type> events as <provider> does and posts them to the local npm run dev (or --url).

options:
  --count N         send N events (default 1); SendGrid posts them in batches of up to 1,000 per request
  --set path=value  edit a field of each event, e.g. data.first_name=Ada (repeatable; JSON values parse)
  --to ADDRESS      email: the recipient (default ${demoUser.email}, the demo user of npm run db:seed)
  --tracking N      shipping: the parcel's tracking number (default ${demoTracking().number}, the first demo
                    shipment of npm run db:seed, order_shipping_demo_1)
  --url URL         a deployed Worker (base URL or full webhook URL) instead of the local server
${describePortOptions(["port"])}, when --url is not given
  --secret S        the signing secret (default: the provider's variable, else .dev.vars; SendGrid:
                    a private key, PEM or a PEM file, default the repository's test key)
  -h, --help        this help

providers and types:
${senders.map((sender) => `  ${commandOf(sender)}: ${Object.keys(sender.templates).join(", ")}`).join("\n")}
${chosenLines.join("\n")}

examples:
  npm run send -- clerk user.created --count 20
  npm run send -- clerk user.updated --set data.id=user_123 --set data.first_name=Ada
  npm run send -- stripe payment_intent.succeeded --set data.object.metadata.order_id=order_demo_6
  npm run send -- stripe payment_intent.succeeded --set data.object.amount_received=1000 --set data.object.currency=eur
  npm run send -- stripe charge.dispute.closed --set data.object.status=won
  npm run send -- email resend bounced            # ${demoUser.email} bounces: user_demo_ada's address becomes invalid
  npm run send -- email postmark opened --to someone@example.org
  npm run send -- email sendgrid delivered --count 1000   # one request carrying 1,000 events
  npm run send -- email delivered                 # the EMAIL_PROVIDER's event, to /api/webhooks/email
  npm run send -- shipping easypost in_transit    # order_shipping_demo_1's parcel is on its way: the order is shipped
  npm run send -- shipping aftership delivered    # … delivered: the order too, and its customer is notified
  npm run send -- shipping delivered --tracking ${lateShipment.trackingNumber}   # SHIPPING_PROVIDER's; a parcel recorded late: retried
  npm run send -- clerk user.created --url https://shop-webhooks.example.workers.dev --secret whsec_…`;

/** The endpoint for a path: --url may be a base URL or the full webhook URL. */
function endpoint(url: string, path: string): string {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		usageError(usage, `--url must be an http(s) URL, not "${url}"`);
	}
	if (!/^https?:$/.test(parsed.protocol)) usageError(usage, `--url must be an http(s) URL, not "${url}"`);
	if (parsed.username || parsed.password) usageError(usage, "--url must not carry a user or password");
	if (parsed.pathname === "/" || parsed.pathname === "") parsed.pathname = path;
	return parsed.toString();
}

const { values, positionals } = parseCommandLine({
	usage,
	allowPositionals: true,
	options: {
		count: { type: "string", default: "1" },
		set: { type: "string", multiple: true, default: [] },
		to: { type: "string" },
		tracking: { type: "string" },
		url: { type: "string" },
		secret: { type: "string" },
		port: portOptions.port,
	},
});

const providerList = [...senders.map(commandOf), ...chosen.map((path) => path.words.join(" "))].join(", ");
const startsWith = (words: string[]) => words.every((word, index) => positionals[index] === word);

/** The provider the positionals name, the path to post to, and how many positionals named it. */
function resolveProvider(): { sender: Sender; command: string; path: string; used: number } {
	if (positionals.length === 0) usageError(usage, `missing <provider>: one of ${providerList}`);
	const named = senders.filter((sender) => startsWith(sender.words));
	const sender = named.sort((a, b) => b.words.length - a.words.length)[0];
	if (sender) return { sender, command: commandOf(sender), path: sender.path, used: sender.words.length };
	const byPath = chosen.find((path) => startsWith(path.words));
	if (!byPath) {
		// Own properties only: "constructor" is no provider.
		const family = senders.filter((s) => s.words[0] === positionals[0] && s.words.length > 1);
		if (family.length > 0 && positionals.length > 1 && !family.some((s) => s.words[1] === positionals[1])) {
			usageError(usage, `unknown provider "${positionals.slice(0, 2).join(" ")}": one of ${providerList}`);
		}
		usageError(usage, `unknown provider "${positionals[0]}": one of ${providerList}`);
	}
	const name = localSetting(byPath.setting) ?? byPath.fallback;
	const choice = senders.find((s) => s.name === name && s.path === `${byPath.path}/${name}`);
	if (!choice) {
		usageError(usage, `${byPath.setting}=${name} names no provider served at ${byPath.path}: see the list below`);
	}
	return {
		sender: choice,
		command: `${byPath.words.join(" ")} (${byPath.setting}: ${name})`,
		path: byPath.path,
		used: byPath.words.length,
	};
}

const { sender, command, path, used } = resolveProvider();
const [type, extra] = positionals.slice(used);
if (type === undefined) usageError(usage, `missing <type>: one of the ${command} types below`);
// Own properties only: "toString" is no event type.
const template = Object.hasOwn(sender.templates, type) ? sender.templates[type] : undefined;
if (!template) {
	// `email bogus delivered`: a provider name that is none, rather than a type
	if (extra !== undefined && path !== sender.path)
		usageError(usage, `unknown provider "${positionals.slice(0, used + 1).join(" ")}": one of ${providerList}`);
	usageError(usage, `unknown ${commandOf(sender)} event type "${type}"`);
}
if (extra !== undefined) usageError(usage, `unexpected argument '${extra}'`);
if (!/^[1-9]\d{0,5}$/.test(values.count)) {
	usageError(usage, `--count must be a whole number from 1 to 999999, not "${values.count}"`);
}
const count = Number(values.count);
const assignments = values.set.map((assignment) => {
	try {
		return parseAssignment(assignment);
	} catch (error) {
		return usageError(usage, (error as Error).message);
	}
});
if (values.to !== undefined) {
	if (!sender.recipient)
		usageError(usage, `--to is for email providers; ${commandOf(sender)} events name no recipient`);
	if (!/^[^\s@<>]+@[^\s@<>]+$/.test(values.to)) usageError(usage, `--to must be an email address, not "${values.to}"`);
}
if (values.tracking !== undefined) {
	if (!sender.tracking)
		usageError(usage, `--tracking is for shipping providers; ${commandOf(sender)} events name no parcel`);
	if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(values.tracking))
		usageError(usage, `--tracking must be a tracking number (letters, digits, -), not "${values.tracking}"`);
}
if (values.url !== undefined && values.port !== undefined) usageError(usage, "pass --url or --port, not both");
const local = values.url === undefined;
const url = endpoint(values.url ?? `http://127.0.0.1:${portsFromCommandLine(values, usage).port}`, path);

let found: ReturnType<typeof signingSecret>;
try {
	found = signingSecret(sender.signingSecret, values.secret);
} catch (error) {
	usageError(usage, `cannot read the signing key: ${errorLine(error)}`);
}
if (!found) {
	usageError(
		usage,
		`no secret: pass --secret, set ${sender.signingSecret.variable}, or run npm run dev once (it creates .dev.vars, or adds what a newer .dev.vars.example names)`,
	);
}
const secret = found;
const expected =
	sender.signingSecret.variable !== undefined
		? (sender.secrets.find((s) => s.name === sender.signingSecret.variable)?.description ??
			`the value of ${sender.signingSecret.variable}`)
		: "a P-256 private key, PEM or base64 PKCS#8";

const context = { ...demoSendContext(values.to), tracking: demoTracking(values.tracking) };
const perRequest = Math.max(1, sender.batchSize ?? 1);
let failures = 0;
for (let sent = 0, n = 1; sent < count; n++) {
	const now = new Date();
	const events = Array.from({ length: Math.min(perRequest, count - sent) }, () => {
		const payload = template(now.getTime(), context);
		for (const [at, value] of assignments) setPath(payload, at, value);
		return payload;
	});
	sent += events.length;
	const id = sender.describe(events[0] as Record<string, unknown>);
	const label = `#${n} ${command} ${type}${events.length > 1 ? ` ×${events.length}` : ""} ${id ?? ""}`.trim();
	let request: Awaited<ReturnType<Sender["sign"]>>;
	try {
		request = await sender.sign(events, secret.value, now);
	} catch (error) {
		usageError(usage, `cannot sign with ${secret.source} (${errorLine(error)}): it should be ${expected}`);
	}
	// a token the provider puts in the URL (Shippo) joins it here only: `url` is what gets printed
	const target = new URL(url);
	for (const [name, value] of Object.entries(request.query ?? {})) target.searchParams.set(name, value);
	let response: Response;
	try {
		response = await fetch(target, {
			method: "POST",
			headers: { "content-type": "application/json", ...request.headers },
			body: request.body,
		});
	} catch (error) {
		// Nothing answers: the next events would fail the same way.
		const fix = local ? "is npm run dev running there? (pass its --port, or --url)" : "check --url";
		console.error(`${label}: could not reach ${url} (${errorLine(error)}): ${fix}`);
		process.exit(1);
	}
	if (!response.ok) failures++;
	console.log(`${label} → ${response.status} ${await response.text()}`);
}
process.exit(failures === 0 ? 0 : 1);
