/**
 * `npm run bench [-- --events N --concurrency C]`: latency and throughput of the whole local stack
 * (wrangler dev → Worker → Neon HTTP driver → bridge → Postgres) on a fresh embedded database, or on
 * DATABASE_URL's server when it is a postgres:// URL, served on free ports unless told otherwise.
 * Prints figures; asserts nothing. Locally one database round trip costs ~1 ms; against Neon
 * 5–50 ms, and each webhook makes one, a SendGrid batch of 1,000 events included (measured last).
 * Providers, templates and signing come from the Worker's registry (tools/send/providers.ts).
 */
import { parseCommandLine, usageError } from "./cli.ts";
import { isPostgresUrl } from "./db/url.ts";
import { startDevServerOrExit } from "./dev-server.ts";
import { readDotVars } from "./dot-vars.ts";
import { describePortOptions, findFreePorts, portOptions, portsFromCommandLine } from "./ports.ts";
import { loadSenders, type Sender, signingSecret } from "./send/providers.ts";

const usage = `usage: npm run bench [-- options]

Starts npm run dev on a fresh temporary database (or on DATABASE_URL's server, which it writes to,
when that is a postgres:// URL) and measures webhook latency and throughput through the whole stack.

options:
  --events N        events per measured run (default 300)
  --concurrency C   parallel senders in the concurrent run (default 8)
  --batches B       SendGrid batches of 1,000 events to time, one request each (default 5)
${describePortOptions(undefined, "a free port")}
  -h, --help        this help`;

const { values } = parseCommandLine({
	usage,
	options: {
		events: { type: "string", default: "300" },
		concurrency: { type: "string", default: "8" },
		batches: { type: "string", default: "5" },
		...portOptions,
	},
});
for (const name of ["events", "concurrency", "batches"] as const) {
	if (!/^[1-9]\d*$/.test(values[name]))
		usageError(usage, `--${name} must be a positive integer, not "${values[name]}"`);
}
const events = Number(values.events);
const concurrency = Number(values.concurrency);
const batches = Number(values.batches);
const ports = portsFromCommandLine(values, usage, await findFreePorts());

const secrets = readDotVars(new URL("../.dev.vars.example", import.meta.url));
const { senders } = await loadSenders();
const sender = (name: string) => senders.find((s) => s.name === name) as Sender;

type Delivery = { path: string; headers: Record<string, string>; body?: string };

/** Events built from `type`, each edited, signed in one request with the example secret as the provider would. */
async function signed(
	from: Sender,
	type: string,
	edit: (payload: Record<string, unknown>, index: number) => void = () => {},
	count = 1,
	tracking?: { number: string; carrier: string },
): Promise<Delivery> {
	const now = new Date();
	const events = Array.from({ length: count }, (_, index) => {
		const payload = (from.templates[type] as NonNullable<Sender["templates"][string]>)(now.getTime(), {
			to: `bench${index}@example.com`,
			tags: {},
			...(tracking ? { tracking } : {}),
		});
		edit(payload, index);
		return payload;
	});
	const secret = signingSecret(from.signingSecret, undefined, secrets)?.value as string;
	return { path: from.path, ...(await from.sign(events, secret, now)) };
}

const repeat = (n: number, build: (index: number) => Promise<Delivery>) =>
	Promise.all(Array.from({ length: n }, (_, index) => build(index)));
const clerkDelivery = (type: string) => signed(sender("clerk"), type);
const stripeDelivery = (orderId: string) =>
	signed(sender("stripe"), "payment_intent.succeeded", (payload) => {
		(payload.data as { object: { metadata: Record<string, string> } }).object.metadata.order_id = orderId;
	});

/**
 * A SendGrid batch of 1,000 events about 250 messages (batch `n`'s own recipients): each processed,
 * delivered and opened, then clicked, or for one message in ten a hard bounce (suppressing the address).
 */
function sendgridBatch(n: number): Promise<Delivery> {
	const sendgrid = sender("sendgrid");
	const kinds = ["sent", "delivered", "opened"] as const;
	return (async () => {
		const now = new Date();
		const secret = signingSecret(sendgrid.signingSecret, undefined, secrets)?.value as string;
		const events = Array.from({ length: 1000 }, (_, index) => {
			const message = Math.floor(index / 4);
			const last = message % 10 === 0 ? "bounced" : "clicked";
			const kind = kinds[index % 4] ?? last;
			const build = sendgrid.templates[kind] as NonNullable<Sender["templates"][string]>;
			return build(now.getTime(), {
				to: `batch${n}.message${message}@example.com`,
				tags: { order_id: `order_bench_${message}` },
			});
		});
		return { path: sendgrid.path, ...(await sendgrid.sign(events, secret, now)) };
	})();
}

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
	await measure("warm-up: clerk user.created", server.url, await repeat(20, () => clerkDelivery("user.created")), 1);

	// Baselines: what wrangler dev's local proxy costs alone, and with one database round trip.
	const get = (path: string) => Array.from({ length: events }, () => ({ path, headers: {} }));
	await measure("baseline: GET unknown route (no database)", server.url, get("/nope"), 1);
	await measure("baseline: GET /health (one select 1)", server.url, get("/health"), 1);
	await measure(
		"clerk user.created, sequential",
		server.url,
		await repeat(events, () => clerkDelivery("user.created")),
		1,
	);
	await measure(
		`clerk user.created, ${concurrency} concurrent`,
		server.url,
		await repeat(events, () => clerkDelivery("user.created")),
		concurrency,
	);
	const duplicate = await clerkDelivery("user.created");
	await measure(
		"clerk duplicate deliveries, sequential",
		server.url,
		Array.from({ length: events }, () => duplicate),
		1,
	);

	await server.sql(
		`insert into orders (id, payment_status, amount_total, amount_refunded, currency)
		 select 'order_bench_' || n, 'pending', 4999, 0, 'usd' from generate_series(1, ${events}) n`,
	);
	await measure(
		"stripe payment_intent.succeeded, sequential",
		server.url,
		await repeat(events, (n) => stripeDelivery(`order_bench_${n + 1}`)),
		1,
	);
	const [[paid]] = (await server.sql("select count(*)::text from orders where status = 'paid'")) as [[string]];
	console.log(`orders paid: ${paid} of ${events}`);

	// A carrier's delivery: the shipment, the order's shipping status and the notification outbox row,
	// in one transaction (the notify job is enqueued after the commit; no RESEND_API_KEY: skipped).
	await server.sql("insert into users (id, email) values ('user_bench', 'bench@example.com') on conflict do nothing");
	await server.sql(
		`insert into orders (id, user_id, payment_status, amount_total, amount_refunded, currency)
		 select 'order_bench_ship_' || n, 'user_bench', 'paid', 4999, 0, 'usd' from generate_series(1, ${events}) n`,
	);
	await server.sql(
		`insert into shipments (id, order_id, carrier, tracking_number)
		 select 'ship_bench_' || n, 'order_bench_ship_' || n, 'ups', 'BENCH' || n from generate_series(1, ${events}) n`,
	);
	await measure(
		"easypost tracker.updated delivered, sequential",
		server.url,
		await repeat(events, (n) =>
			signed(sender("easypost"), "delivered", undefined, 1, { number: `BENCH${n + 1}`, carrier: "ups" }),
		),
		1,
	);
	const [[delivered, outbox]] = (await server.sql(
		"select (select count(*) from orders where id like 'order_bench_ship_%' and status = 'delivered')::text, (select count(*) from notifications where order_id like 'order_bench_ship_%')::text",
	)) as [[string, string]];
	console.log(`orders delivered: ${delivered} of ${events}, notifications written: ${outbox}`);
	await measure(
		"easypost tracker.updated, unknown parcel (deferred)",
		server.url,
		await repeat(events, (n) =>
			signed(sender("easypost"), "in_transit", undefined, 1, { number: `BENCHNONE${n + 1}`, carrier: "ups" }),
		),
		1,
	);

	// One request carrying 1,000 SendGrid events: verified, recorded and applied in one transaction.
	const timings: number[] = [];
	for (let n = 1; n <= batches; n++) {
		const batch = await sendgridBatch(n);
		const t0 = performance.now();
		const response = await fetch(server.url + batch.path, { method: "POST", headers: batch.headers, body: batch.body });
		const answer = await response.text();
		const ms = performance.now() - t0;
		timings.push(ms);
		console.log(
			`sendgrid batch of 1,000 events #${n} (${((batch.body?.length ?? 0) / 1000).toFixed(0)} kB)`.padEnd(44),
			`${response.status} in ${ms.toFixed(0)} ms  ${answer}`,
		);
	}
	timings.sort((a, b) => a - b);
	const [[messages, suppressed]] = (await server.sql(
		"select (select count(*) from email_messages where provider = 'sendgrid')::text, (select count(*) from email_suppressions where address like 'batch%')::text",
	)) as [[string, string]];
	console.log(
		`sendgrid 1,000-event batch: median ${(timings[Math.floor(timings.length / 2)] ?? 0).toFixed(0)} ms, best ${(timings[0] ?? 0).toFixed(0)} ms per request (${batches} batches; ${messages} messages, ${suppressed} addresses suppressed)`,
	);
} finally {
	await server.stop();
}
