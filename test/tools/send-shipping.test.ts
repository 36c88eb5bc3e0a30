/**
 * `npm run send -- shipping …` as a user runs it (`node --import tsx tools/send.ts …`), posting to a
 * local server that records what it gets: each carrier provider's request is signed as the provider
 * signs (checked here with the scheme's own definition and .dev.vars.example's secrets), about the
 * seed's first demo parcel unless `--tracking` names another (whose carrier the seed knows),
 * `shipping <kind>` follows SHIPPING_PROVIDER, Shippo's token goes in the URL and is never printed,
 * and `--tracking` is refused for providers whose events name no parcel. What the Worker makes of
 * every template: test/integration/shipping-endpoints.test.ts.
 */
import { execFile } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { readDotVars } from "../../tools/dot-vars.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const example = readDotVars(`${root}.dev.vars.example`);
// The developer's own settings must not change what the CLI does.
const read = ["PORT", "EMAIL_PROVIDER", "SHIPPING_PROVIDER", ...Object.keys(example)];
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !read.includes(name)));

interface Received {
	url: string;
	headers: IncomingMessage["headers"];
	body: string;
}

async function readBody(req: IncomingMessage) {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString("utf8");
}

/** Runs the send CLI against a server of its own that answers `status`: its exit code, output and requests. */
async function send(args: string[], options: { env?: Record<string, string>; status?: number } = {}) {
	const received: Received[] = [];
	const server = createServer(async (req, res) => {
		received.push({ url: req.url ?? "", headers: req.headers, body: await readBody(req) });
		res.writeHead(options.status ?? 200, { "content-type": "application/json" });
		res.end('{"received":true,"outcome":"applied"}');
	});
	await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
	try {
		const port = String((server.address() as AddressInfo).port);
		const result = await run(process.execPath, ["--import", "tsx", "tools/send.ts", ...args, "--port", port], {
			cwd: root,
			env: { ...baseEnv, ...example, ...options.env },
			timeout: 60_000,
		}).then(
			({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
			(error: { code: number; stdout: string; stderr: string }) => error,
		);
		return { ...result, received };
	} finally {
		await new Promise((resolve) => server.close(resolve));
	}
}

const header = (request: Received, name: string) => String(request.headers[name]);
const json = (request: Received) => JSON.parse(request.body);

// each run loads the registry with tsx: 10–25 s on a loaded 2-core machine
describe.concurrent("npm run send -- shipping <provider> <kind>", { timeout: 120_000 }, () => {
	it("easypost delivered: X-Hmac-Signature with EASYPOST_WEBHOOK_SECRET, about the demo parcel DEMO1Z0001 (UPS)", async () => {
		const { code, stdout, received } = await send(["shipping", "easypost", "delivered"]);
		expect(code).toBe(0);
		const [request] = received as [Received];
		expect(request.url).toBe("/api/webhooks/shipping/easypost");
		const secret = (example.EASYPOST_WEBHOOK_SECRET as string).normalize("NFKD");
		expect(header(request, "x-hmac-signature")).toBe(
			`hmac-sha256-hex=${createHmac("sha256", secret).update(request.body).digest("hex")}`,
		);
		const event = json(request);
		expect(event).toMatchObject({
			description: "tracker.updated",
			object: "Event",
			mode: "test",
			result: { tracking_code: "DEMO1Z0001", carrier: "UPS", status: "delivered" },
		});
		expect(event.id).toMatch(/^evt_[0-9a-f]{32}$/);
		// the latest scan is the delivery, a minute ago
		const scans = event.result.tracking_details as { status: string; datetime: string }[];
		expect(scans.at(-1)?.status).toBe("delivered");
		expect(Math.abs(Date.parse(scans.at(-1)?.datetime ?? "") - (Date.now() - 60_000))).toBeLessThan(30_000);
		expect(stdout).toBe(`#1 shipping easypost delivered DEMO1Z0001 → 200 {"received":true,"outcome":"applied"}\n`);
	});

	it("aftership exception --tracking DEMO9400002: aftership-hmac-sha256, the seed's USPS parcel", async () => {
		const { code, received } = await send(["shipping", "aftership", "exception", "--tracking", "DEMO9400002"]);
		expect(code).toBe(0);
		const [request] = received as [Received];
		expect(request.url).toBe("/api/webhooks/shipping/aftership");
		expect(header(request, "aftership-hmac-sha256")).toBe(
			createHmac("sha256", example.AFTERSHIP_WEBHOOK_SECRET as string)
				.update(request.body)
				.digest("base64"),
		);
		expect(json(request)).toMatchObject({
			event: "tracking_update",
			msg: { tracking_number: "DEMO9400002", slug: "usps", tag: "Exception", subtag: "Exception_011" },
		});
	});

	it("shippo in_transit: the token in the URL, never in the output; --count 2 is two updates with their own status objects", async () => {
		const token = example.SHIPPO_WEBHOOK_TOKEN as string;
		const { code, stdout, stderr, received } = await send(["shipping", "shippo", "in_transit", "--count", "2"]);
		expect(code).toBe(0);
		expect(received).toHaveLength(2);
		for (const request of received) {
			const url = new URL(request.url, "http://127.0.0.1");
			expect(url.pathname).toBe("/api/webhooks/shipping/shippo");
			expect(url.searchParams.get("token")).toBe(token);
			expect(json(request)).toMatchObject({
				event: "track_updated",
				test: true,
				data: { carrier: "ups", tracking_number: "DEMO1Z0001", tracking_status: { status: "TRANSIT" } },
			});
		}
		const [first, second] = received.map((request) => json(request).data.tracking_status.object_id);
		expect(first).not.toBe(second);
		expect(`${stdout}${stderr}`).not.toContain(token);
	});

	it("shippo, nothing answering: the error names the endpoint without its token", async () => {
		const token = example.SHIPPO_WEBHOOK_TOKEN as string;
		const result = await run(
			process.execPath,
			["--import", "tsx", "tools/send.ts", "shipping", "shippo", "delivered", "--url", "http://127.0.0.1:9/"],
			{ cwd: root, env: { ...baseEnv, ...example }, timeout: 60_000 },
		).then(
			() => ({ code: 0, stderr: "" }),
			(error: { code: number; stderr: string }) => error,
		);
		expect(result.code).toBe(1);
		expect(result.stderr).toContain("http://127.0.0.1:9/api/webhooks/shipping/shippo");
		expect(result.stderr).not.toContain(token);
	});

	it("shipping <kind>: posted to /api/webhooks/shipping, signed as the provider SHIPPING_PROVIDER names (default easypost)", async () => {
		const byDefault = await send(["shipping", "in_transit"]);
		expect(byDefault.received[0]?.url).toBe("/api/webhooks/shipping");
		expect(byDefault.received[0]?.headers["x-hmac-signature"]).toMatch(/^hmac-sha256-hex=[0-9a-f]{64}$/);
		expect(byDefault.stdout).toMatch(/^#1 shipping \(SHIPPING_PROVIDER: easypost\) in_transit DEMO1Z0001 → 200 /);

		const chosen = await send(["shipping", "delivered", "--tracking", "DEMO1Z0LATE"], {
			env: { SHIPPING_PROVIDER: "aftership" },
		});
		expect(chosen.received[0]?.url).toBe("/api/webhooks/shipping");
		expect(json(chosen.received[0] as Received).msg).toMatchObject({ tracking_number: "DEMO1Z0LATE", slug: "ups" });
	});

	it("--tracking names any parcel (carrier UPS unless the seed knows it); it is refused when malformed or not for shipping", async () => {
		const other = await send(["shipping", "easypost", "in_transit", "--tracking", "9400111899223344556677"]);
		expect(json(other.received[0] as Received).result).toMatchObject({
			tracking_code: "9400111899223344556677",
			carrier: "UPS",
		});

		const spaced = await send(["shipping", "easypost", "in_transit", "--tracking", "1Z 999"]);
		expect(spaced.code).toBe(2);
		expect(spaced.stderr).toMatch(/^--tracking must be a tracking number/);
		expect(spaced.received).toEqual([]);

		const email = await send(["email", "resend", "delivered", "--tracking", "DEMO1Z0001"]);
		expect(email.code).toBe(2);
		expect(email.stderr).toMatch(/^--tracking is for shipping providers; email resend events name no parcel/);
	});

	it("the usage lists the shipping providers, their kinds and --tracking", async () => {
		const { stdout } = await run(process.execPath, ["--import", "tsx", "tools/send.ts", "--help"], {
			cwd: root,
			env: baseEnv,
		});
		for (const provider of ["easypost", "aftership", "shippo"])
			expect(stdout).toContain(`  shipping ${provider}: in_transit, delivered, exception`);
		expect(stdout).toMatch(
			/shipping <type>: the types of the provider SHIPPING_PROVIDER names \(easypost, aftership, shippo; default easypost\)/,
		);
		expect(stdout).toContain("--tracking N");
	});
});
