/**
 * `npm run bench [-- --events N --concurrency C]`: latency and throughput of the whole local stack
 * (wrangler dev → Worker → Neon HTTP driver → bridge → Postgres) on a fresh embedded database, or on
 * DATABASE_URL's server when it is a postgres:// URL, served on free ports unless told otherwise.
 * Prints figures; asserts nothing. Locally one database round trip costs ~1 ms; against Neon
 * 5–50 ms, and each webhook makes one.
 */
import { parseCommandLine, usageError } from "./cli.ts";
import { isPostgresUrl } from "./db/url.ts";
import { startDevServerOrExit } from "./dev-server.ts";
import { firstSecret, readDotVars } from "./dot-vars.ts";
import { describePortOptions, findFreePorts, portOptions, portsFromCommandLine } from "./ports.ts";
import { type Sender, senders } from "./send/providers.ts";

const usage = `usage: npm run bench [-- options]

Starts npm run dev on a fresh temporary database (or on DATABASE_URL's server, which it writes to,
when that is a postgres:// URL) and measures webhook latency and throughput through the whole stack.

options:
  --events N        events per measured run (default 300)
  --concurrency C   parallel senders in the concurrent run (default 8)
${describePortOptions(undefined, "a free port")}
  -h, --help        this help`;

const { values } = parseCommandLine({
	usage,
	options: {
		events: { type: "string", default: "300" },
		concurrency: { type: "string", default: "8" },
		...portOptions,
	},
});
for (const name of ["events", "concurrency"] as const) {
	if (!/^[1-9]\d*$/.test(values[name]))
		usageError(usage, `--${name} must be a positive integer, not "${values[name]}"`);
}
const events = Number(values.events);
const concurrency = Number(values.concurrency);
const ports = portsFromCommandLine(values, usage, await findFreePorts());

const secrets = readDotVars(new URL("../.dev.vars.example", import.meta.url));

type Delivery = { path: string; headers: Record<string, string>; body?: string };

/** A freshly built `type` event, edited, then signed with the example secret as the provider would. */
function signed(sender: Sender, type: string, edit: (payload: Record<string, unknown>) => void = () => {}): Delivery {
	const now = new Date();
	const payload = (sender.templates[type] as (now: number) => Record<string, unknown>)(now.getTime());
	edit(payload);
	const body = JSON.stringify(payload);
	const secret = firstSecret(secrets[sender.secretName] ?? "") as string;
	return { path: sender.path, headers: sender.sign(secret, body, now), body };
}

const clerkDelivery = (type: string) => signed(senders.clerk as Sender, type);
const stripeDelivery = (orderId: string) =>
	signed(senders.stripe as Sender, "payment_intent.succeeded", (payload) => {
		(payload.data as { object: { metadata: Record<string, string> } }).object.metadata.order_id = orderId;
	});

async function measure(label: string, base: string, deliveries: Delivery[], parallel: number) {
	const latencies: number[] = [];
	let failures = 0;
	let next = 0;
	const started = performance.now();
	await Promise.all(
		Array.from({ length: parallel }, async () => {
			while (next < deliveries.length) {
				const delivery = deliveries[next++] as Delivery;
				const t0 = performance.now();
				const response = await fetch(base + delivery.path, {
					method: delivery.body === undefined ? "GET" : "POST",
					headers: { "content-type": "application/json", ...delivery.headers },
					body: delivery.body,
				});
				await response.arrayBuffer();
				latencies.push(performance.now() - t0);
				if (!response.ok) failures++;
			}
		}),
	);
	const seconds = (performance.now() - started) / 1000;
	latencies.sort((a, b) => a - b);
	const at = (q: number) =>
		(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(1);
	console.log(
		`${label.padEnd(44)} n=${String(latencies.length).padStart(4)} non-2xx=${failures}  p50=${at(0.5)} ms  p95=${at(0.95)} ms  p99=${at(0.99)} ms  max=${at(1)} ms  ${(latencies.length / seconds).toFixed(0)} req/s`,
	);
}

const server = await startDevServerOrExit("bench", { ports, useDatabaseUrl: true, quiet: true });
try {
	const [[database]] = (await server.sql("select current_setting('server_version')")) as [[string]];
	console.log(
		`Postgres ${database} (${isPostgresUrl(process.env.DATABASE_URL) ? "DATABASE_URL" : "embedded PGlite"}), ${events} events per run`,
	);
	// Warm up the isolate, the driver and the bridge.
	await measure(
		"warm-up: clerk user.created",
		server.url,
		Array.from({ length: 20 }, () => clerkDelivery("user.created")),
		1,
	);

	// Baselines: what wrangler dev's local proxy costs alone, and with one database round trip.
	const get = (path: string) => Array.from({ length: events }, () => ({ path, headers: {} }));
	await measure("baseline: GET unknown route (no database)", server.url, get("/nope"), 1);
	await measure("baseline: GET /health (one select 1)", server.url, get("/health"), 1);
	await measure(
		"clerk user.created, sequential",
		server.url,
		Array.from({ length: events }, () => clerkDelivery("user.created")),
		1,
	);
	await measure(
		`clerk user.created, ${concurrency} concurrent`,
		server.url,
		Array.from({ length: events }, () => clerkDelivery("user.created")),
		concurrency,
	);
	const duplicate = clerkDelivery("user.created");
	await measure(
		"clerk duplicate deliveries, sequential",
		server.url,
		Array.from({ length: events }, () => duplicate),
		1,
	);

	await server.sql(
		`insert into orders (id, status, amount_total, amount_refunded, currency)
		 select 'order_bench_' || n, 'pending', 4999, 0, 'usd' from generate_series(1, ${events}) n`,
	);
	await measure(
		"stripe payment_intent.succeeded, sequential",
		server.url,
		Array.from({ length: events }, (_, n) => stripeDelivery(`order_bench_${n + 1}`)),
		1,
	);
	const [[paid]] = (await server.sql("select count(*)::text from orders where status = 'paid'")) as [[string]];
	console.log(`orders paid: ${paid} of ${events}`);
} finally {
	await server.stop();
}
