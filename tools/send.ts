/**
 * `npm run send -- <provider> <type> [--count N] [--set path=value]… [--url URL] [--secret S]`
 * Builds realistic events, signs them as the provider does (with the provider's own reference
 * library), posts them to the local dev server or a deployed URL, and prints each answer.
 * The secret comes from --secret, else from the environment, else from .dev.vars.
 */
import { parseArgs } from "node:util";
import { firstSecret, readDotVars } from "./dot-vars.ts";
import { senders as providers, type Sender } from "./send/providers.ts";
import { parseAssignment, setPath } from "./send/set-path.ts";

const usage = `usage: npm run send -- <provider> <type> [--count N] [--set path=value]… [--url URL] [--secret S]
providers and types:
${Object.entries(providers)
	.map(([name, p]) => `  ${name}: ${Object.keys(p.templates).join(", ")}`)
	.join("\n")}
examples:
  npm run send -- clerk user.created --count 20
  npm run send -- clerk user.updated --set data.id=user_123 --set data.first_name=Ada
  npm run send -- stripe payment_intent.succeeded --set data.object.metadata.order_id=order_demo_1
  npm run send -- clerk user.created --url https://shop-webhooks.example.workers.dev --secret whsec_…`;

function fail(message: string): never {
	console.error(`${message}\n\n${usage}`);
	process.exit(2);
}

/** The endpoint for a provider: --url may be a base URL or the full webhook URL. */
function endpoint(url: string, provider: Sender): string {
	const parsed = new URL(url);
	if (parsed.pathname === "/" || parsed.pathname === "") parsed.pathname = provider.path;
	return parsed.toString();
}

const { values, positionals } = parseArgs({
	allowPositionals: true,
	options: {
		count: { type: "string", default: "1" },
		set: { type: "string", multiple: true, default: [] },
		url: { type: "string", default: `http://127.0.0.1:${process.env.PORT ?? 8787}` },
		secret: { type: "string" },
		help: { type: "boolean", short: "h" },
	},
});
if (values.help) {
	console.log(usage);
	process.exit(0);
}
const [providerName, type] = positionals;
const provider = providers[providerName ?? ""];
if (!provider) fail(`unknown provider "${providerName ?? ""}"`);
const template = provider.templates[type ?? ""];
if (!template) fail(`unknown ${providerName} event type "${type ?? ""}"`);
const count = Number(values.count);
if (!Number.isInteger(count) || count < 1) fail("--count must be a positive integer");
const secretSetting =
	values.secret ??
	process.env[provider.secretName] ??
	readDotVars(new URL("../.dev.vars", import.meta.url))[provider.secretName];
if (!secretSetting)
	fail(`no secret: pass --secret, set ${provider.secretName}, or run npm run dev once to create .dev.vars`);
const secret = firstSecret(secretSetting) as string;
const assignments = values.set.map(parseAssignment);
const url = endpoint(values.url, provider);

let failures = 0;
for (let n = 1; n <= count; n++) {
	const now = new Date();
	const payload = template(now.getTime());
	for (const [path, value] of assignments) setPath(payload, path, value);
	const body = JSON.stringify(payload);
	const data = payload.data as { id?: string; object?: { id?: string } } | undefined;
	const label = `#${n} ${providerName} ${type} ${data?.id ?? data?.object?.id ?? ""}`.trim();
	try {
		const response = await fetch(url, {
			method: "POST",
			headers: { "content-type": "application/json", ...provider.sign(secret, body, now) },
			body,
		});
		if (!response.ok) failures++;
		console.log(`${label} → ${response.status} ${await response.text()}`);
	} catch (error) {
		failures++;
		console.log(`${label} → could not reach ${url}: ${(error as Error).message}`);
	}
}
process.exit(failures === 0 ? 0 : 1);
