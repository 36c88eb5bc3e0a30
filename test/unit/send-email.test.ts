/// <reference types="vite/client" />
/**
 * The send CLI's email templates and signing (src/providers/<name>/send.ts) as the Worker reads them,
 * for every email provider of the registry: each kind is signed as the provider signs (the Worker's
 * own verifier accepts it with the test secrets), reads as the normalised kind it is named after,
 * carries the recipient and the shop's tags; through the Worker, a hard bounce marks the recipient's
 * user invalid, and a SendGrid batch applies in one round trip. The CLI itself (command line,
 * batches, EMAIL_PROVIDER): test/tools/send-email.test.ts.
 */
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { emailMessages, users } from "../../src/db/schema";
import type { EmailReading } from "../../src/providers/email-reading";
import { providers } from "../../src/providers/index";
import type { ProviderSender } from "../../src/providers/sending";
import { demoSendContext, demoUser } from "../../tools/db/demo-rows";
import { namespace } from "../support/converge";
import { deliver } from "../support/deliver";
import { testDb } from "../support/rows";
import { mailgunSigningKey, postmarkCredentials, resendSecret, sendgridPrivateKey } from "../support/secrets";

const senders = import.meta.glob<ProviderSender>("../../src/providers/*/send.ts", { eager: true, import: "sender" });
const readers = import.meta.glob<(payload: unknown, context: { deliveryId?: string }) => EmailReading[]>(
	"../../src/providers/*/events.ts",
	{ eager: true, import: "readEmailEvents" },
);

/** The secret each email provider signs with in the tests (the test Worker's bindings: vitest.config.ts). */
const testSecrets: Record<string, string> = {
	resend: resendSecret,
	sendgrid: sendgridPrivateKey,
	postmark: postmarkCredentials,
	mailgun: mailgunSigningKey,
};

/** The email providers: those whose templates write to a recipient. */
const emailProviders = providers
	.map((provider) => ({ provider, sender: senders[`../../src/providers/${provider.name}/send.ts`] as ProviderSender }))
	.filter(({ sender }) => sender?.recipient);

const cases = emailProviders.flatMap(({ provider, sender }) =>
	Object.keys(sender.templates).map((kind) => [provider.name, kind] as const),
);

/** A request of `provider` carrying `kind` events built for `to`, signed with the test secret. */
async function signedRequest(name: string, kind: string, to?: string, count = 1) {
	const { provider, sender } = emailProviders.find((p) => p.provider.name === name) as (typeof emailProviders)[number];
	const now = new Date();
	const template = sender.templates[kind] as NonNullable<ProviderSender["templates"][string]>;
	const events = Array.from({ length: count }, () => template(now.getTime(), demoSendContext(to)));
	const signed = await sender.sign(events, testSecrets[name] as string, now);
	const request = new Request(`http://shop.test/api/webhooks/${provider.path}`, {
		method: "POST",
		headers: { "content-type": "application/json", ...signed.headers },
		body: signed.body,
	});
	return { provider, signed, now, request };
}

describe("every email template", () => {
	it("covers every email provider of the registry with the normalised kinds it reports", () => {
		expect(emailProviders.map(({ provider }) => provider.name)).toEqual(["resend", "sendgrid", "postmark", "mailgun"]);
		for (const { sender } of emailProviders) {
			expect(Object.keys(sender.templates)).toEqual(
				expect.arrayContaining(["delivered", "bounced", "soft_bounced", "complained", "opened", "clicked", "failed"]),
			);
		}
	});

	it.each(cases)(
		"%s %s is signed as the provider signs and reads as its kind, to the demo user",
		async (name, kind) => {
			const { provider, signed, now } = await signedRequest(name, kind);
			const body = new TextEncoder().encode(signed.body);
			const verified = await provider.verify(
				new Headers(signed.headers),
				body,
				env,
				Math.floor(now.getTime() / 1000),
				new URL(`http://shop.test/api/webhooks/${provider.path}`),
			);
			expect(verified).toMatchObject({ ok: true });
			const read = readers[`../../src/providers/${name}/events.ts`] as NonNullable<(typeof readers)[string]>;
			const readings = read(JSON.parse(signed.body), verified.ok ? { deliveryId: verified.deliveryId } : {});
			expect(readings).toHaveLength(1);
			expect(readings[0]).toMatchObject({
				ok: true,
				event: {
					kind: kind === "soft_bounced" ? "bounced" : kind,
					bounceType: kind === "bounced" ? "hard" : kind === "soft_bounced" ? "soft" : null,
					recipient: demoUser.email,
					orderId: "order_demo_1",
					userId: demoUser.id,
				},
			});
		},
	);

	it.each(emailProviders.map(({ provider }) => provider.name))(
		"%s: --to names the recipient, and no user_id tag goes with another address",
		async (name) => {
			const { signed } = await signedRequest(name, "delivered", "Someone@Example.org");
			const read = readers[`../../src/providers/${name}/events.ts`] as NonNullable<(typeof readers)[string]>;
			const [reading] = read(JSON.parse(signed.body), { deliveryId: "msg_test" });
			expect(reading).toMatchObject({
				ok: true,
				event: { recipient: "Someone@Example.org", orderId: "order_demo_1", userId: null },
			});
		},
	);

	it.each(emailProviders.map(({ provider }) => provider.name))(
		"%s: every event to one address is about the same message, every event has its own id",
		async (name) => {
			const read = readers[`../../src/providers/${name}/events.ts`] as NonNullable<(typeof readers)[string]>;
			const events = await Promise.all(
				["delivered", "opened", "delivered"].map(async (kind, n) => {
					const { signed } = await signedRequest(name, kind);
					return read(JSON.parse(signed.body), { deliveryId: `msg_${n}` })[0];
				}),
			);
			const ok = events.map((reading) => (reading?.ok ? reading.event : undefined));
			expect(new Set(ok.map((event) => event?.messageId)).size).toBe(1);
			// Postmark's key is built from the record type, message and time: two deliveries differ by their time
			expect(new Set(ok.map((event) => event?.eventId)).size).toBe(3);
		},
	);
});

describe("through the Worker", () => {
	it.each(emailProviders.map(({ provider }) => provider.name))(
		"%s: a hard bounce marks the recipient's user invalid",
		async (name) => {
			const ns = namespace();
			const email = `${ns}bounce@example.org`;
			await testDb()
				.insert(users)
				.values({ id: `${ns}user`, email });
			const delivered = await deliver((await signedRequest(name, "delivered", email)).request);
			expect(delivered).toMatchObject({ status: 200, body: { outcome: "applied" } });
			const bounced = await deliver((await signedRequest(name, "bounced", email)).request);
			expect(bounced).toMatchObject({ status: 200, body: { outcome: "applied" } });
			const [user] = await testDb()
				.select()
				.from(users)
				.where(eq(users.id, `${ns}user`));
			expect(user?.emailStatus).toBe("invalid");
			const [message] = await testDb().select().from(emailMessages).where(eq(emailMessages.recipient, email));
			expect(message).toMatchObject({ provider: name, status: "bounced", bounceType: "hard", orderId: "order_demo_1" });
		},
	);

	it("sendgrid: --count 3 is one request of three events, applied in one round trip", async () => {
		const email = `${namespace()}batch@example.org`;
		const { request } = await signedRequest("sendgrid", "opened", email, 3);
		const delivered = await deliver(request);
		expect(delivered).toMatchObject({ status: 200, body: { outcome: "applied", events: 3 } });
		expect(delivered.databaseRequests).toHaveLength(1);
		const [message] = await testDb().select().from(emailMessages).where(eq(emailMessages.recipient, email));
		expect(message).toMatchObject({ provider: "sendgrid", status: "opened", openCount: 3 });
	});
});
