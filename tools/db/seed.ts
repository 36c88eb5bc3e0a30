/**
 * `npm run db:seed`: demo rows for trying every `npm run send` example against `npm run dev`:
 * two users, four pending orders (order_demo_1…4, payment intents pi_demo_1…4) and a subscription
 * (sub_demo_1 of customer cus_demo_ada). Re-running resets them. Writes through the running dev
 * server's bridge, found as every tool finds it (tools/ports.ts), so it works for the embedded
 * database as for a real one.
 */
import { errorLine, parseCommandLine } from "../cli.ts";
import { describePortOptions, portOptions, portsFromCommandLine } from "../ports.ts";

const usage = `usage: npm run db:seed [-- options]

Writes demo users, pending orders order_demo_1…4 and subscription sub_demo_1 through the bridge of
the running npm run dev (re-running resets them).

options:
${describePortOptions(["port", "bridge-port"])}
  -h, --help        this help`;

const { values } = parseCommandLine({
	usage,
	options: { port: portOptions.port, "bridge-port": portOptions["bridge-port"] },
});
const bridge = `http://127.0.0.1:${portsFromCommandLine(values, usage).bridgePort}/sql`;

const statements: [string, (string | null)[]][] = [
	[
		`insert into users (id, email, email_verified, first_name, last_name, created_at, updated_at, stripe_customer_id)
		 values ($1, 'ada@example.com', true, 'Ada', 'Lovelace', now(), now(), 'cus_demo_ada'),
		        ($2, 'grace@example.com', true, 'Grace', 'Hopper', now(), now(), null)
		 on conflict (id) do update set deleted_at = null, email = excluded.email, email_verified = true,
		   first_name = excluded.first_name, last_name = excluded.last_name, stripe_customer_id = excluded.stripe_customer_id`,
		["user_demo_ada", "user_demo_grace"],
	],
	[
		`insert into orders (id, user_id, status, amount_total, amount_refunded, currency, stripe_payment_intent_id)
		 select 'order_demo_' || n, 'user_demo_ada', 'pending', 4999, 0, 'usd', 'pi_demo_' || n from generate_series(1, 4) n
		 on conflict (id) do update set status = 'pending', amount_refunded = 0, paid_at = null, cancelled_at = null,
		   refunded_at = null, payment_error = null, stripe_checkout_session_id = null, stripe_checkout_paid = false,
		   stripe_checkout_payment_intent_id = null`,
		[],
	],
	[
		`insert into subscriptions (id, user_id, stripe_customer_id, status, price_id, current_period_end, cancel_at_period_end)
		 values ('sub_demo_1', 'user_demo_ada', 'cus_demo_ada', 'active', 'price_demo_pro', now() + interval '30 days', false)
		 on conflict (id) do update set status = 'active', cancel_at_period_end = false, canceled_at = null, last_stripe_event_at = null,
		   status_event_rank = null, status_event_id = null, snapshot_event_at = null, snapshot_event_rank = null, snapshot_event_id = null`,
		[],
	],
];

let response: Response;
try {
	response = await fetch(bridge, {
		method: "POST",
		headers: { "neon-batch-isolation-level": "ReadCommitted" },
		body: JSON.stringify({ queries: statements.map(([query, params]) => ({ query, params })) }),
		signal: AbortSignal.timeout(30_000),
	});
} catch (error) {
	console.error(
		`could not seed: nothing answers at ${bridge} (${errorLine(error)}): start npm run dev, or pass the --port (PORT) or --bridge-port (BRIDGE_PORT) of the one running`,
	);
	process.exit(1);
}
if (!response.ok) {
	const text = await response.text();
	// The bridge answers a database error as Neon does: JSON with its message.
	let reason = text;
	try {
		reason = (JSON.parse(text) as { message?: string }).message ?? text;
	} catch {
		// not JSON: keep the text
	}
	console.error(`could not seed through ${bridge}: it answered ${response.status} ${reason.split("\n")[0]}`);
	process.exit(1);
}
console.log("seeded: users user_demo_ada, user_demo_grace; orders order_demo_1…4 (pending); subscription sub_demo_1");
