/**
 * `npm run send -- <provider> <type> [--count N] [--set path=value]… [--url URL | --port N] [--secret S]`
 * Builds realistic events, signs them as the provider does (with the provider's own reference
 * library), posts them to the local dev server (127.0.0.1, port from tools/ports.ts) or a deployed
 * URL, and prints each answer. The secret comes from --secret, else from the environment, else
 * from .dev.vars.
 */
import { errorLine, parseCommandLine, usageError } from "./cli.ts";
import { firstSecret, readDotVars } from "./dot-vars.ts";
import { describePortOptions, portOptions, portsFromCommandLine } from "./ports.ts";
import { senders as providers, type Sender } from "./send/providers.ts";
import { parseAssignment, setPath } from "./send/set-path.ts";

const usage = `usage: npm run send -- <provider> <type> [options]

Signs fresh <type> events as <provider> does and posts them to the local npm run dev (or --url).

options:
  --count N         send N events (default 1)
  --set path=value  edit a field of each event, e.g. data.first_name=Ada (repeatable; JSON values parse)
  --url URL         a deployed Worker (base URL or full webhook URL) instead of the local server
${describePortOptions(["port"])}, when --url is not given
  --secret S        the signing secret (default: the provider's variable, else .dev.vars)
  -h, --help        this help

providers and types:
${Object.entries(providers)
	.map(([name, p]) => `  ${name}: ${Object.keys(p.templates).join(", ")}`)
	.join("\n")}

examples:
  npm run send -- clerk user.created --count 20
  npm run send -- clerk user.updated --set data.id=user_123 --set data.first_name=Ada
  npm run send -- stripe payment_intent.succeeded --set data.object.metadata.order_id=order_demo_6
  npm run send -- stripe payment_intent.succeeded --set data.object.amount_received=1000 --set data.object.currency=eur
  npm run send -- stripe charge.dispute.closed --set data.object.status=won
  npm run send -- clerk user.created --url https://shop-webhooks.example.workers.dev --secret whsec_…`;

/** The endpoint for a provider: --url may be a base URL or the full webhook URL. */
function endpoint(url: string, provider: Sender): string {
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		usageError(usage, `--url must be an http(s) URL, not "${url}"`);
	}
	if (!/^https?:$/.test(parsed.protocol)) usageError(usage, `--url must be an http(s) URL, not "${url}"`);
	if (parsed.username || parsed.password) usageError(usage, "--url must not carry a user or password");
	if (parsed.pathname === "/" || parsed.pathname === "") parsed.pathname = provider.path;
	return parsed.toString();
}

const { values, positionals } = parseCommandLine({
	usage,
	allowPositionals: true,
	options: {
		count: { type: "string", default: "1" },
		set: { type: "string", multiple: true, default: [] },
		url: { type: "string" },
		secret: { type: "string" },
		port: portOptions.port,
	},
});
const [providerName, type, extra] = positionals;
const names = (record: object) => Object.keys(record).join(", ");
if (providerName === undefined) usageError(usage, `missing <provider>: one of ${names(providers)}`);
// Own properties only: "constructor" is no provider.
const provider = Object.hasOwn(providers, providerName) ? providers[providerName] : undefined;
if (!provider) usageError(usage, `unknown provider "${providerName}": one of ${names(providers)}`);
if (type === undefined) usageError(usage, `missing <type>: one of the ${providerName} types below`);
const template = Object.hasOwn(provider.templates, type) ? provider.templates[type] : undefined;
if (!template) usageError(usage, `unknown ${providerName} event type "${type}"`);
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
if (values.url !== undefined && values.port !== undefined) usageError(usage, "pass --url or --port, not both");
const local = values.url === undefined;
const url = endpoint(values.url ?? `http://127.0.0.1:${portsFromCommandLine(values, usage).port}`, provider);
// An empty (or blank) setting counts as unset, as for the ports.
const secretSources: [string, string | undefined][] = [
	["--secret", values.secret],
	[provider.secretName, process.env[provider.secretName]],
	[`${provider.secretName} in .dev.vars`, readDotVars(new URL("../.dev.vars", import.meta.url))[provider.secretName]],
];
const [secretSource, secret] = secretSources
	.map(([source, setting]) => [source, firstSecret(setting ?? "")])
	.find(([, value]) => value !== undefined) ?? ["", undefined];
if (!secret) {
	usageError(
		usage,
		`no secret: pass --secret, set ${provider.secretName}, or run npm run dev once to create .dev.vars`,
	);
}

let failures = 0;
for (let n = 1; n <= count; n++) {
	const now = new Date();
	const payload = template(now.getTime());
	for (const [path, value] of assignments) setPath(payload, path, value);
	const body = JSON.stringify(payload);
	const data = payload.data as { id?: string; object?: { id?: string } } | undefined;
	const id = data?.id ?? data?.object?.id;
	const label = `#${n} ${providerName} ${type} ${typeof id === "string" ? id : ""}`.trim();
	let headers: Record<string, string>;
	try {
		headers = provider.sign(secret, body, now);
	} catch (error) {
		usageError(usage, `cannot sign with ${secretSource} (${errorLine(error)}): it should be whsec_…`);
	}
	let response: Response;
	try {
		response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
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
