/**
 * `npm run smoke`: the CI smoke run, as a developer would do it: `npm run dev` on a fresh embedded
 * database and free ports (so it never collides with a running `npm run dev`), the send CLI posts
 * user.created / user.updated / user.deleted, `npm run db:seed` and Stripe events (a payment, a bank
 * debit on its way, a lost dispute; all finding the server through PORT and BRIDGE_PORT), an email
 * bounce for the demo user, then one event of every provider of the registry (src/providers/index.ts)
 * and of the EMAIL_PROVIDER and SHIPPING_PROVIDER paths, and a parcel's delivery that closes its
 * order; the rows are read back through the bridge, and the server is stopped. Prints how long
 * /health took to answer; exits non-zero on any failure.
 */
import { errorLine, parseCommandLine } from "./cli.ts";
import { demoUser } from "./db/demo-rows.ts";
import { startDevServerOrExit } from "./dev-server.ts";
import { describePortOptions, findFreePorts, portOptions, portsFromCommandLine } from "./ports.ts";
import { loadSenders } from "./send/providers.ts";

const usage = `usage: npm run smoke [-- options]

Starts npm run dev on a fresh temporary database, sends Clerk, Stripe and email events with npm run
send (one of every provider), seeds with npm run db:seed, checks the rows, and stops the server.
Exits 1 on any failure.

options:
${describePortOptions(undefined, "a free port")}
  -h, --help        this help`;

const { values } = parseCommandLine({ usage, options: portOptions });
const ports = portsFromCommandLine(values, usage, await findFreePorts());
const { senders, chosen } = await loadSenders();

function check(condition: boolean, what: string) {
	console.log(`${condition ? "ok  " : "FAIL"} ${what}`);
	if (!condition) process.exitCode = 1;
}

const server = await startDevServerOrExit("smoke run FAILED", { ports });
const { run, sql } = server;
check(true, `npm run dev served /health 200 after ${(server.readyAfterMs / 1000).toFixed(1)} s`);
try {
	const userId = `user_smoke${Date.now()}`;
	check((await run(["send", "--", "clerk", "user.created", "--set", `data.id=${userId}`])) === 0, "send user.created");
	const [created] = await sql("select first_name, email, deleted_at from users where id = $1", [userId]);
	check(!!created?.[0] && !!created?.[1] && created?.[2] === null, "the user row exists with a name and an email");

	check(
		(await run([
			"send",
			"--",
			"clerk",
			"user.updated",
			"--set",
			`data.id=${userId}`,
			"--set",
			"data.first_name=Smoke",
		])) === 0,
		"send user.updated",
	);
	const [updated] = await sql("select first_name from users where id = $1", [userId]);
	check(updated?.[0] === "Smoke", "the update was applied");

	check((await run(["send", "--", "clerk", "user.deleted", "--set", `data.id=${userId}`])) === 0, "send user.deleted");
	const [deleted] = await sql("select deleted_at, email, first_name from users where id = $1", [userId]);
	check(
		deleted?.[0] !== null && deleted?.[1] === null && deleted?.[2] === null,
		"the user is a tombstone without personal data",
	);

	const ledger = await sql(
		"select status, count(*)::text from webhook_events where provider = 'clerk' group by status",
	);
	check(
		JSON.stringify(ledger) === JSON.stringify([["processed", "3"]]),
		`the ledger holds 3 processed events (${JSON.stringify(ledger)})`,
	);

	check((await run(["db:seed"])) === 0, "npm run db:seed");
	check((await run(["send", "--", "stripe", "payment_intent.succeeded"])) === 0, "send a Stripe payment");
	const [order] = await sql("select status from orders where id = 'order_demo_1'");
	check(order?.[0] === "paid", "the demo order is paid");
	check(
		(await run(["send", "--", "stripe", "payment_intent.processing"])) === 0 &&
			(await run(["send", "--", "stripe", "charge.dispute.closed"])) === 0,
		"send a bank debit on its way and a lost dispute",
	);
	const moved = await sql(
		"select id, status, dispute_status from orders where id in ('order_demo_5', 'order_demo_7') order by id",
	);
	check(
		JSON.stringify(moved) ===
			JSON.stringify([
				["order_demo_5", "processing", null],
				["order_demo_7", "charged_back", "lost"],
			]),
		`order_demo_5 is processing, order_demo_7 charged back (${JSON.stringify(moved)})`,
	);

	// An email provider's hard bounce marks the demo user's address invalid (and db:seed resets it).
	check((await run(["send", "--", "email", "sendgrid", "bounced"])) === 0, "send a SendGrid hard bounce");
	const [bounced] = await sql("select email_status from users where id = $1", [demoUser.id]);
	check(bounced?.[0] === "invalid", `${demoUser.id}'s address is invalid (${JSON.stringify(bounced)})`);
	check((await run(["db:seed"])) === 0, "npm run db:seed again");
	const [reset] = await sql("select email_status from users where id = $1", [demoUser.id]);
	check(reset?.[0] === null, `db:seed made ${demoUser.id}'s address valid again (${JSON.stringify(reset)})`);

	// Every provider of the registry, and every path chosen by a setting: its first template answers 2xx.
	for (const sender of senders) {
		const type = Object.keys(sender.templates)[0] as string;
		check((await run(["send", "--", ...sender.words, type])) === 0, `send ${sender.words.join(" ")} ${type}`);
	}
	for (const path of chosen) {
		const fallback = senders.find((sender) => sender.name === path.fallback);
		const type = Object.keys(fallback?.templates ?? {})[0] ?? "";
		check((await run(["send", "--", ...path.words, type])) === 0, `send ${path.words.join(" ")} ${type}`);
	}
	// the shipping providers' in_transit events were about the seed's first demo parcel: its order is
	// shipped; a delivery closes it
	const [shipped] = await sql("select status from orders where id = 'order_shipping_demo_1'");
	check(shipped?.[0] === "shipped", `order_shipping_demo_1 is shipped (${JSON.stringify(shipped)})`);
	check((await run(["send", "--", "shipping", "easypost", "delivered"])) === 0, "send shipping easypost delivered");
	const [closed] = await sql("select status from orders where id = 'order_shipping_demo_1'");
	check(closed?.[0] === "delivered", `order_shipping_demo_1 is delivered (${JSON.stringify(closed)})`);
	// every email provider's events were about one demo message, to the demo user
	const emailProviders = senders.filter((sender) => sender.recipient).map((sender) => sender.name);
	const messages = await sql("select provider, recipient from email_messages order by provider");
	check(
		JSON.stringify(messages) === JSON.stringify(emailProviders.sort().map((name) => [name, demoUser.email])),
		`one email message to ${demoUser.email} per email provider (${JSON.stringify(messages)})`,
	);
} catch (error) {
	check(false, errorLine(error));
} finally {
	await server.stop();
}
console.log(process.exitCode ? "smoke run FAILED" : "smoke run passed");
