/**
 * `npm test`: three projects.
 * - `worker`: the Worker's tests, inside workerd (@cloudflare/vitest-plugin), against a real Postgres
 *   reached through the local bridge exactly as the Worker reaches Neon in production. The bridge
 *   port is chosen here so that the Worker's DATABASE_URL binding can name it;
 *   test/setup/database.ts starts the database and the bridge.
 * - `tools`: the Node-side tooling (dev server, CLIs, local database), in Node.
 * - `browser`: the dashboard in Debian's chromium (playwright-core), against `npm run dev`, in Node.
 * The database is embedded PGlite unless TEST_DATABASE_URL names a local PostgreSQL server
 * (test/setup/test-database.ts); DATABASE_URL is never read.
 */
import { fileURLToPath } from "node:url";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_convertConfigBindingsToStartWorkerBindings, unstable_readConfig } from "wrangler";
import { chooseTestDatabase } from "./test/setup/test-database.ts";
import {
	adminToken,
	aftershipPreviousSecret,
	aftershipSecret,
	clerkPreviousSecret,
	clerkSecret,
	easypostPreviousSecret,
	easypostSecret,
	mailgunPreviousSigningKey,
	mailgunSigningKey,
	postmarkCredentials,
	postmarkPreviousCredentials,
	resendPreviousSecret,
	resendSecret,
	sendgridPublicKey,
	shippoPreviousToken,
	shippoToken,
	stripePreviousSecret,
	stripeSecret,
} from "./test/support/secrets.ts";
import { freePort } from "./tools/ports.ts";

const choice = chooseTestDatabase(process.env);
if (!choice.ok) {
	console.error(`npm test: ${choice.message}`);
	process.exit(1);
}
// vitest evaluates this file once per project: say it once.
const said = globalThis as { testDatabaseNotesSaid?: boolean };
if (!said.testDatabaseNotesSaid) for (const note of choice.notes) console.warn(`npm test: ${note}`);
said.testDatabaseNotesSaid = true;

const fixtures = { "@fixtures": fileURLToPath(new URL("./test/fixtures", import.meta.url)) };

// The Worker as wrangler.toml describes it (entry point, compatibility date and flags), read by wrangler
// itself. Handed to the plugin as options rather than as `wrangler.configPath`, which would also run
// `wrangler dev`'s variable loader: it reads .dev.vars, .env or process.env into the test Worker's
// bindings and, once per test file, says so and warns about required secrets missing there, which the
// bindings below provide. The test Worker gets these bindings and nothing from a developer's machine.
const worker = unstable_readConfig({ config: fileURLToPath(new URL("./wrangler.toml", import.meta.url)) });
// wrangler.toml's own bindings (vars, queues, KV…) would not reach the test Worker: each must be given
// a test value in testBindings (below) or in the cloudflareTest() options.
// Queue producers (JOBS) send to a miniflare queue of the same name (queueProducers below). No queue
// has a consumer in the tests: they call the Worker's queue() themselves (createMessageBatch,
// getQueueResult), and a consumer here would apply in the background whatever a test enqueued.
const queueProducers: { binding: string; queue?: string }[] = worker.queues.producers ?? [];
const testBindingNames = [
	...queueProducers.map((producer) => producer.binding),
	"DATABASE_URL",
	"CLERK_WEBHOOK_SIGNING_SECRET",
	"STRIPE_WEBHOOK_SECRET",
	"STRIPE_CONNECT_ACCOUNTS",
	"NOTIFY_FROM",
	"OPS_EMAIL",
	"LEDGER_RETENTION_DAYS",
	"ADMIN_TOKEN",
	"RESEND_WEBHOOK_SECRET",
	"SENDGRID_WEBHOOK_PUBLIC_KEY",
	"POSTMARK_WEBHOOK_BASIC_AUTH",
	"MAILGUN_WEBHOOK_SIGNING_KEY",
	"EASYPOST_WEBHOOK_SECRET",
	"AFTERSHIP_WEBHOOK_SECRET",
	"SHIPPO_WEBHOOK_TOKEN",
	"TEST_DATABASE_BACKEND",
	"PROPERTY_RUNS",
	"PROPERTY_SEED",
];
const unmapped = Object.keys(unstable_convertConfigBindingsToStartWorkerBindings(worker) ?? {}).filter(
	(name) => !testBindingNames.includes(name),
);
if (unmapped.length > 0) {
	console.error(
		`npm test: wrangler.toml declares ${unmapped.join(", ")}, which vitest.config.ts does not give the test Worker yet: map them in its cloudflareTest() options`,
	);
	process.exit(1);
}

export default defineConfig(async () => {
	process.env.TEST_BRIDGE_PORT ??= String(await freePort());
	return {
		resolve: { alias: fixtures },
		test: {
			projects: [
				{
					extends: true as const,
					plugins: [
						cloudflareTest({
							main: worker.main,
							miniflare: {
								compatibilityDate: worker.compatibility_date,
								compatibilityFlags: worker.compatibility_flags,
								queueProducers: Object.fromEntries(
									queueProducers.map((p) => [p.binding, { queueName: p.queue ?? p.binding }]),
								),
								bindings: {
									// every name here is listed in testBindingNames
									DATABASE_URL: `postgres://shop:local@localhost:${process.env.TEST_BRIDGE_PORT}/shop`,
									CLERK_WEBHOOK_SIGNING_SECRET: `${clerkSecret} ${clerkPreviousSecret}`,
									STRIPE_WEBHOOK_SECRET: `${stripeSecret},${stripePreviousSecret}`,
									STRIPE_CONNECT_ACCOUNTS: "acct_1ListedShop, acct_1OtherListed",
									// notifications (RESEND_API_KEY unset: a test that sends gives it; Resend is mocked at fetch)
									NOTIFY_FROM: "",
									OPS_EMAIL: "ops@shop.example",
									LEDGER_RETENTION_DAYS: "30",
									// the admin API and dashboard (a test of them disabled removes it)
									ADMIN_TOKEN: adminToken,
									// the email providers (EMAIL_PROVIDER unset: /api/webhooks/email is resend's)
									RESEND_WEBHOOK_SECRET: `${resendSecret} ${resendPreviousSecret}`,
									SENDGRID_WEBHOOK_PUBLIC_KEY: sendgridPublicKey,
									POSTMARK_WEBHOOK_BASIC_AUTH: `${postmarkCredentials} ${postmarkPreviousCredentials}`,
									MAILGUN_WEBHOOK_SIGNING_KEY: `${mailgunSigningKey},${mailgunPreviousSigningKey}`,
									// the parcel-tracking providers (SHIPPING_PROVIDER unset: /api/webhooks/shipping is easypost's)
									EASYPOST_WEBHOOK_SECRET: `${easypostSecret} ${easypostPreviousSecret}`,
									AFTERSHIP_WEBHOOK_SECRET: `${aftershipSecret},${aftershipPreviousSecret}`,
									SHIPPO_WEBHOOK_TOKEN: `${shippoToken} ${shippoPreviousToken}`,
									TEST_DATABASE_BACKEND: choice.url ? "postgres" : "pglite", // test/contract/bridge-heals.test.ts
									// test/support/property.ts: `npm run test:properties` raises the runs; a seed replays a failure
									PROPERTY_RUNS: process.env.PROPERTY_RUNS ?? "",
									PROPERTY_SEED: process.env.PROPERTY_SEED ?? "",
								},
							},
						}),
					],
					test: {
						name: "worker",
						// Test files share a workerd runtime and its module cache (each file's tests use their own ids and
						// restore their spies): importing the Worker, stripe and svix once per file made imports most of the run.
						isolate: false,
						globalSetup: ["./test/setup/database.ts"],
						include: ["test/{unit,integration,contract}/**/*.test.ts"],
						// stripe (the reference signer of test/support/stripe.ts) ships ~220 ESM files whose source
						// maps name sources it does not ship, and the plugin has vite transform every dependency: one
						// warning per file. Pre-bundled, it is one module with a map of its own, and loads faster.
						deps: { optimizer: { ssr: { enabled: true, include: ["stripe"] } } },
					},
				},
				{
					extends: true as const,
					// These tests start real processes (node, wrangler, PGlite) while the worker project runs beside them
					// on the same cores: a process's start, not the code under test, sets their time.
					test: {
						name: "tools",
						environment: "node",
						include: ["test/tools/**/*.test.ts"],
						// spawned tools and an embedded PGlite start slowly on a loaded 2-core machine (7–17 s seen; over
						// 30 s for `npm run send`, which loads every provider through tsx, beside the browser project)
						testTimeout: 90_000,
						hookTimeout: 60_000,
					},
				},
				{
					extends: true as const,
					// test/browser/dashboard.test.ts: chromium against `npm run dev` (wrangler, workerd, PGlite), started
					// once for the file; a page waits for the queue's consumer once (a bulk replay).
					test: {
						name: "browser",
						environment: "node",
						include: ["test/browser/**/*.test.ts"],
						testTimeout: 60_000,
						hookTimeout: 180_000,
					},
				},
			],
		},
	};
});
