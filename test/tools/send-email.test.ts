/**
 * `npm run send -- email …` as a user runs it (`node --import tsx tools/send.ts …`), posting to a
 * local server that records what it gets: each email provider's request is signed as the provider
 * signs (checked here with the reference library or the scheme's own definition, with the secrets
 * of .dev.vars.example and the repository's SendGrid test key), `--to` and `--set` edit the events,
 * SendGrid's `--count N` posts batches of up to 1,000, `email <kind>` follows EMAIL_PROVIDER. What the
 * Worker makes of every template: test/unit/send-email.test.ts.
 */
import { execFile } from "node:child_process";
import { createHmac, verify } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Webhook } from "svix";
import { describe, expect, it } from "vitest";
import { readDotVars } from "../../tools/dot-vars.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const example = readDotVars(`${root}.dev.vars.example`);
// The developer's own settings must not change what the CLI does.
const read = ["PORT", "EMAIL_PROVIDER", ...Object.keys(example)];
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !read.includes(name)));

interface Received {
	path: string;
	headers: IncomingMessage["headers"];
	body: string;
}

async function readBody(req: IncomingMessage) {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString("utf8");
}

/**
 * Runs the send CLI against a server of its own that answers 200 to everything: what it printed and
 * the requests it posted. `secret`: the provider's test value from .dev.vars.example (none for
 * SendGrid, which signs with the repository's test key by default).
 */
async function send(args: string[], options: { secret?: string; env?: Record<string, string> } = {}) {
	const received: Received[] = [];
	const server = createServer(async (req, res) => {
		received.push({ path: req.url ?? "", headers: req.headers, body: await readBody(req) });
		res.writeHead(200, { "content-type": "application/json" });
		res.end('{"received":true,"outcome":"applied"}');
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	try {
		const port = String((server.address() as AddressInfo).port);
		const secret = options.secret === undefined ? [] : ["--secret", options.secret];
		const { stdout } = await run(
			process.execPath,
			["--import", "tsx", "tools/send.ts", ...args, "--port", port, ...secret],
			{ cwd: root, env: { ...baseEnv, ...options.env }, timeout: 60_000 },
		);
		return { stdout, received };
	} finally {
		await new Promise((resolve) => server.close(resolve));
	}
}

const header = (request: Received, name: string) => String(request.headers[name]);

/** SendGrid's check (as @sendgrid/eventwebhook): ECDSA P-256 / SHA-256 over timestamp + body, DER signature. */
function sendgridVerifies(request: Received, publicKey: string): boolean {
	return verify(
		"sha256",
		Buffer.from(header(request, "x-twilio-email-event-webhook-timestamp") + request.body),
		{ key: Buffer.from(publicKey, "base64"), format: "der", type: "spki" },
		Buffer.from(header(request, "x-twilio-email-event-webhook-signature"), "base64"),
	);
}

describe.concurrent("npm run send -- email <provider> <kind>", () => {
	it("resend: Standard Webhooks with RESEND_WEBHOOK_SECRET, to the demo user, tagged with the demo order", async () => {
		const secret = example.RESEND_WEBHOOK_SECRET as string;
		const { stdout, received } = await send(["email", "resend", "delivered"], { secret });
		expect(received).toHaveLength(1);
		const [request] = received as [Received];
		expect(request.path).toBe("/api/webhooks/email/resend");
		const event = new Webhook(secret).verify(request.body, {
			"svix-id": header(request, "svix-id"),
			"svix-timestamp": header(request, "svix-timestamp"),
			"svix-signature": header(request, "svix-signature"),
		}) as { type: string; data: { to: string[]; email_id: string; tags: Record<string, string> } };
		expect(event).toMatchObject({
			type: "email.delivered",
			data: { to: ["ada@example.com"], tags: { order_id: "order_demo_1", user_id: "user_demo_ada" } },
		});
		expect(stdout).toBe(
			`#1 email resend delivered ${event.data.email_id} → 200 {"received":true,"outcome":"applied"}\n`,
		);
	});

	it("sendgrid: --count 3 is one request carrying three events, signed with the repository's test key", async () => {
		const { stdout, received } = await send([
			"email",
			"sendgrid",
			"bounced",
			"--count",
			"3",
			"--set",
			"category=receipts",
		]);
		expect(received).toHaveLength(1);
		const [request] = received as [Received];
		expect(request.path).toBe("/api/webhooks/email/sendgrid");
		expect(sendgridVerifies(request, example.SENDGRID_WEBHOOK_PUBLIC_KEY as string)).toBe(true);
		// as SendGrid posts it: an array, CRLF between events and after the closing bracket
		expect(request.body).toMatch(/^\[\{.*\},\r\n\{.*\},\r\n\{.*\}\]\r\n$/s);
		const events = JSON.parse(request.body) as Record<string, unknown>[];
		expect(events.map((e) => [e.event, e.type, e.email, e.category, e.order_id])).toEqual(
			Array(3).fill(["bounce", "bounce", "ada@example.com", "receipts", "order_demo_1"]),
		);
		expect(new Set(events.map((e) => e.sg_event_id)).size).toBe(3);
		expect(stdout).toMatch(/^#1 email sendgrid bounced ×3 [\w-]{22} → 200 /);
	});

	it("sendgrid: --count 1001 is a batch of 1,000 then one of 1", async () => {
		const { stdout, received } = await send(["email", "sendgrid", "opened", "--count", "1001"]);
		expect(received.map((request) => (JSON.parse(request.body) as unknown[]).length)).toEqual([1000, 1]);
		for (const request of received)
			expect(sendgridVerifies(request, example.SENDGRID_WEBHOOK_PUBLIC_KEY as string)).toBe(true);
		const [first, second, more] = stdout.split("\n").filter(Boolean);
		expect(first).toMatch(/^#1 email sendgrid opened ×1000 [\w-]{22} → 200 /);
		expect(second).toMatch(/^#2 email sendgrid opened [\w-]{22} → 200 /);
		expect(more).toBeUndefined();
	});

	it("postmark: the Basic credentials of POSTMARK_WEBHOOK_BASIC_AUTH; --to names the recipient", async () => {
		const secret = example.POSTMARK_WEBHOOK_BASIC_AUTH as string;
		const { received } = await send(["email", "postmark", "opened", "--to", "Someone@Example.org"], { secret });
		const [request] = received as [Received];
		expect(request.path).toBe("/api/webhooks/email/postmark");
		expect(header(request, "authorization")).toBe(`Basic ${Buffer.from(secret).toString("base64")}`);
		expect(JSON.parse(request.body)).toMatchObject({
			RecordType: "Open",
			Recipient: "Someone@Example.org",
			Metadata: { order_id: "order_demo_1" },
		});
		expect(JSON.parse(request.body).Metadata).not.toHaveProperty("user_id");
	});

	it("mailgun: HMAC of timestamp + a fresh token with MAILGUN_WEBHOOK_SIGNING_KEY, in the body", async () => {
		const secret = example.MAILGUN_WEBHOOK_SIGNING_KEY as string;
		const { received } = await send(["email", "mailgun", "bounced", "--count", "2"], { secret });
		expect(received).toHaveLength(2);
		const bodies = received.map((request) => JSON.parse(request.body));
		for (const { signature } of bodies) {
			expect(signature.token).toMatch(/^[0-9a-f]{50}$/);
			expect(Math.abs(Number(signature.timestamp) - Date.now() / 1000)).toBeLessThan(60);
			expect(signature.signature).toBe(
				createHmac("sha256", secret)
					.update(signature.timestamp + signature.token)
					.digest("hex"),
			);
		}
		expect(bodies[0].signature.token).not.toBe(bodies[1].signature.token);
		expect(bodies[0]["event-data"]).toMatchObject({
			event: "failed",
			severity: "permanent",
			recipient: "ada@example.com",
		});
	});

	it("email <kind>: posted to /api/webhooks/email, signed as the provider EMAIL_PROVIDER names", async () => {
		const { stdout, received } = await send(["email", "complained"], { env: { EMAIL_PROVIDER: "sendgrid" } });
		const [request] = received as [Received];
		expect(request.path).toBe("/api/webhooks/email");
		expect(sendgridVerifies(request, example.SENDGRID_WEBHOOK_PUBLIC_KEY as string)).toBe(true);
		expect(JSON.parse(request.body)).toMatchObject([{ event: "spamreport" }]);
		expect(stdout).toMatch(/^#1 email \(EMAIL_PROVIDER: sendgrid\) complained /);
	});

	it("the repository's SendGrid private key is marked a test key and pairs with .dev.vars.example's public key", () => {
		const pem = readFileSync(`${root}test/fixtures/keys/sendgrid-test-private-key.pem`, "utf8");
		expect(pem).toMatch(/^TEST KEY: local signing only, never production\./);
		expect(readFileSync(`${root}.dev.vars.example`, "utf8")).toMatch(
			/TEST KEY, local signing only, never production[^\n]*\n(#[^\n]*\n)*SENDGRID_WEBHOOK_PUBLIC_KEY=/,
		);
	});
});
