/**
 * `npm run send -- stripe <type>` as a user runs it (`node --import tsx tools/send.ts …`), posting to a local
 * server that records what it gets: every type is an event Stripe's own library accepts as signed,
 * shaped like Stripe's object, aimed at the demo rows of `npm run db:seed`; `--set` edits amounts,
 * currencies and ids (numbers as numbers). What the Worker makes of each template:
 * test/unit/send-stripe.test.ts.
 */
import { execFile } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const secret = "whsec_hWQU4dqG0QHGeznGlSvo4RWG5RJQ9OIa";
const read = ["PORT", "BRIDGE_PORT", "PGLITE_PORT", "STRIPE_WEBHOOK_SECRET"];
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !read.includes(name)));

interface Received {
	path: string;
	signature: string;
	body: string;
}
/** What the server received, by event id. */
const received = new Map<string, Received>();
let server: Server;
let runs = 0;

async function readBody(req: IncomingMessage) {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString("utf8");
}

beforeAll(async () => {
	server = createServer(async (req, res) => {
		const body = await readBody(req);
		const id = (JSON.parse(body) as { id: string }).id;
		received.set(id, { path: req.url ?? "", signature: String(req.headers["stripe-signature"]), body });
		res.writeHead(200, { "content-type": "application/json" });
		res.end('{"received":true,"outcome":"applied"}');
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

type SentEvent = Stripe.Event & { data: { object: Record<string, unknown> } };
const stripe = new Stripe("sk_test_unused");

/** Runs the send CLI against the recording server: what it printed, and the event it posted. */
async function send(type: string, ...sets: string[]): Promise<{ event: SentEvent; stdout: string }> {
	const port = String((server.address() as AddressInfo).port);
	// a known event id, to tell this run's event from the others' (the tests run concurrently)
	const eventId = `evt_test_${++runs}`;
	const args = ["--import", "tsx", "tools/send.ts", "stripe", type, "--port", port, "--secret", secret];
	args.push("--set", `id=${eventId}`);
	for (const set of sets) args.push("--set", set);
	const { stdout } = await run(process.execPath, args, { cwd: root, env, timeout: 30_000 });
	const got = received.get(eventId);
	if (!got) throw new Error(`nothing received for ${type}: ${stdout}`);
	expect(got.path).toBe("/api/webhooks/stripe");
	// Stripe's own verifier: the signature, the timestamp's freshness and the JSON
	const event = stripe.webhooks.constructEvent(got.body, got.signature, secret) as SentEvent;
	return { event, stdout };
}

const disputeStatuses: Record<string, string> = {
	"charge.dispute.created": "needs_response",
	"charge.dispute.funds_withdrawn": "needs_response",
	"charge.dispute.updated": "under_review",
	"charge.dispute.closed": "lost",
	"charge.dispute.funds_reinstated": "won",
};

describe.concurrent("npm run send -- stripe <type>", () => {
	it("payment_intent.processing: a bank debit on its way, for order_demo_5", async () => {
		const { event, stdout } = await send("payment_intent.processing");
		expect(stdout).toMatch(/^#1 stripe payment_intent\.processing pi_demo_5 → 200 \{"received":true/);
		expect(event).toMatchObject({
			object: "event",
			type: "payment_intent.processing",
			api_version: "2025-03-31.basil",
		});
		expect(event.data.object).toMatchObject({
			id: "pi_demo_5",
			object: "payment_intent",
			status: "processing",
			amount: 4999,
			amount_received: 0,
			currency: "usd",
			metadata: { order_id: "order_demo_5" },
			payment_method_types: ["us_bank_account"],
		});
	});

	it.each(Object.entries(disputeStatuses))("%s: a dispute of order_demo_7's charge, %s", async (type, status) => {
		const { event } = await send(type);
		expect(event.type).toBe(type);
		const dispute = event.data.object;
		expect(dispute).toMatchObject({
			id: "du_demo_7",
			object: "dispute",
			amount: 4999,
			currency: "usd",
			charge: "ch_demo_7",
			payment_intent: "pi_demo_7",
			reason: "fraudulent",
			status,
			is_charge_refundable: false,
			livemode: false,
			metadata: {},
		});
		const details = dispute.evidence_details as Record<string, unknown>;
		expect(details).toMatchObject({ past_due: false, has_evidence: status !== "needs_response" });
		// the deadline to respond lies ahead of the event
		expect(details.due_by).toBeGreaterThan(event.created);
		const funds = dispute.balance_transactions as { amount: number; source: string }[];
		expect(funds.every((txn) => txn.source === "du_demo_7")).toBe(true);
		expect(funds.reduce((sum, txn) => sum + txn.amount, 0)).toBe(
			{ "charge.dispute.created": 0, "charge.dispute.funds_reinstated": 0 }[type] ?? -4999,
		);
	});

	it("--set edits the amount and currency received, as numbers and text", async () => {
		const { event } = await send(
			"payment_intent.succeeded",
			"data.object.amount_received=1000",
			"data.object.currency=eur",
			"data.object.metadata.order_id=order_demo_6",
		);
		expect(event.data.object).toMatchObject({
			id: "pi_demo_1",
			status: "succeeded",
			amount_received: 1000,
			currency: "eur",
			latest_charge: "ch_demo_1",
			metadata: { order_id: "order_demo_6" },
		});
	});

	it("--set edits a checkout session's amount and a dispute's status, amount and references", async () => {
		const session = await send(
			"checkout.session.completed",
			"data.object.amount_total=2500",
			"data.object.currency=EUR",
		);
		expect(session.event.data.object).toMatchObject({ amount_total: 2500, currency: "EUR", payment_status: "paid" });

		const dispute = await send(
			"charge.dispute.closed",
			"data.object.status=won",
			"data.object.amount=1200",
			"data.object.payment_intent=null",
			"data.object.charge=ch_demo_paid",
		);
		expect(dispute.event.data.object).toMatchObject({
			status: "won",
			amount: 1200,
			payment_intent: null,
			charge: "ch_demo_paid",
		});
	});
});
