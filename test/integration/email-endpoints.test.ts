/**
 * Issue 9, item 5 and 8, acceptance: the email endpoints as a sender and an operator meet them.
 * /api/webhooks/email/<resend|sendgrid|postmark|mailgun>; /api/webhooks/email serving the provider
 * EMAIL_PROVIDER names (default resend), the same ledger as its own path; an endpoint whose secret is
 * unset answers 500 not_configured and writes nothing, while the other providers (and Clerk) work
 * without it; the database down at ingest: 202 queued for every email provider, applied by the real
 * queue() consumer once it is back (503 without a queue).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { job as jobSchema } from "../../src/queue/jobs";
import { clerkRequest, uniqueId, userEvent } from "../support/clerk";
import { deliver, webhookLine } from "../support/deliver";
import {
	addressIn,
	anEmailAddress,
	createUser,
	deliveredRequest,
	emailEndpoints,
	emailNamespace,
	emailProviderNames,
	ledgerIn,
	mailgunEventData,
	mailgunRequestWith,
	mailgunSignature,
	messagesIn,
	noncesAmong,
	resendEvent,
	resendRequest,
	sendgridEvent,
	sendgridRequest,
	usersIn,
	withSettings,
	writtenUnder,
} from "../support/email";
import { consume, JOBS_QUEUE, recordingQueue, webhookLines, withoutQueue } from "../support/queue";
import { unreachableDatabaseUrl } from "../support/unreachable";

const nothing = { messages: [], suppressions: [], users: [], ledger: [] };

describe("routing", { timeout: 30_000 }, () => {
	it.each(emailProviderNames)("/api/webhooks/email/%s serves it (a trailing slash too)", async (provider) => {
		for (const slash of ["", "/"]) {
			const ns = emailNamespace();
			const { request, eventId, messageId } = await deliveredRequest(
				provider,
				ns,
				`${emailEndpoints[provider].path}${slash}`,
			);
			const delivered = await deliver(request);
			expect(delivered.status).toBe(200);
			expect(delivered.body).toEqual({ received: true, outcome: "applied" });
			expect(delivered.databaseRequests).toHaveLength(1);
			expect(webhookLine(delivered)).toMatchObject({ provider, event_id: eventId, outcome: "applied" });
			expect(delivered.logText).not.toMatch(anEmailAddress);
			expect(await ledgerIn(ns)).toMatchObject([{ provider, eventId, status: "processed" }]);
			expect(await messagesIn(ns)).toMatchObject([{ provider, providerMessageId: messageId, status: "delivered" }]);
		}
	});

	it.each(emailProviderNames)("GET and HEAD on /api/webhooks/email/%s: 405 with Allow: POST", async (provider) => {
		for (const method of ["GET", "HEAD", "PUT"]) {
			const delivered = await deliver(new Request(`http://shop.test${emailEndpoints[provider].path}`, { method }));
			expect(delivered.status).toBe(405);
			expect(delivered.databaseRequests).toEqual([]);
		}
		const response = await deliver(new Request(`http://shop.test${emailEndpoints[provider].path}`));
		expect(response.body).toMatchObject({ error: "method_not_allowed" });
	});

	it.each(["unknown", "__proto__", "constructor", "clerk", "stripe", "Resend", "resend/extra"])(
		"POST /api/webhooks/email/%s: 404 unknown_provider",
		async (name) => {
			const ns = emailNamespace();
			const { request } = await deliveredRequest("resend", ns, `/api/webhooks/email/${name}`);
			const delivered = await deliver(request);
			expect(delivered.status).toBe(404);
			expect(delivered.body).toMatchObject({ error: "unknown_provider" });
			expect(await ledgerIn(ns)).toEqual([]);
		},
	);

	it("a provider's endpoint is not another's: /api/webhooks/resend is 404, a Resend delivery to SendGrid's 401", async () => {
		const ns = emailNamespace();
		const bare = await deliver((await deliveredRequest("resend", ns, "/api/webhooks/resend")).request);
		expect(bare.status).toBe(404);
		const crossed = await deliver((await deliveredRequest("resend", ns, emailEndpoints.sendgrid.path)).request);
		expect(crossed.status).toBe(401);
		expect(crossed.body).toMatchObject({ error: "missing_signature_headers" });
		expect(await writtenUnder(ns)).toEqual(nothing);
	});
});

describe("/api/webhooks/email: the provider EMAIL_PROVIDER names", { timeout: 30_000 }, () => {
	it("unset: Resend's, the same ledger as /api/webhooks/email/resend (the same event there is a duplicate)", async () => {
		expect((env as unknown as Record<string, unknown>).EMAIL_PROVIDER).toBeUndefined();
		const ns = emailNamespace();
		const { request, eventId } = await deliveredRequest("resend", ns, "/api/webhooks/email");
		const delivered = await deliver(request);
		expect(delivered.status).toBe(200);
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect(webhookLine(delivered)).toMatchObject({ provider: "resend", event_id: eventId });
		expect(await ledgerIn(ns)).toMatchObject([{ provider: "resend", eventId }]);

		const again = await deliver((await deliveredRequest("resend", ns, emailEndpoints.resend.path)).request);
		expect(again.body).toEqual({ received: true, outcome: "duplicate" });
	});

	it.each(emailProviderNames)("EMAIL_PROVIDER=%s: that provider's deliveries are served there", async (provider) => {
		const ns = emailNamespace();
		const bindings = withSettings({ EMAIL_PROVIDER: provider });
		const { request, eventId } = await deliveredRequest(provider, ns, "/api/webhooks/email/");
		const delivered = await deliver(request, bindings);
		expect(delivered.status).toBe(200);
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect(await ledgerIn(ns)).toMatchObject([{ provider, eventId, status: "processed" }]);
		const get = await deliver(new Request("http://shop.test/api/webhooks/email"), bindings);
		expect(get.status).toBe(405);
	});

	it("EMAIL_PROVIDER=sendgrid: a Resend delivery to /api/webhooks/email is refused 401, nothing written", async () => {
		const ns = emailNamespace();
		const { request } = await deliveredRequest("resend", ns, "/api/webhooks/email");
		const delivered = await deliver(request, withSettings({ EMAIL_PROVIDER: "sendgrid" }));
		expect(delivered.status).toBe(401);
		expect(webhookLine(delivered)).toMatchObject({ provider: "sendgrid", outcome: "rejected" });
		expect(await writtenUnder(ns)).toEqual(nothing);
	});

	it.each([
		[" mailgun ", "mailgun"],
		["", "resend"],
		["   ", "resend"],
	] as const)("EMAIL_PROVIDER=%j serves %s", async (setting, provider) => {
		const ns = emailNamespace();
		const { request } = await deliveredRequest(provider, ns, "/api/webhooks/email");
		const delivered = await deliver(request, withSettings({ EMAIL_PROVIDER: setting }));
		expect(delivered.status).toBe(200);
		expect(await ledgerIn(ns)).toMatchObject([{ provider }]);
	});

	it.each(["clerk", "stripe", "Resend", "mailchimp", "__proto__"])(
		"EMAIL_PROVIDER=%s (no email provider of that name): 404 unknown_provider, nothing written",
		async (setting) => {
			const ns = emailNamespace();
			const bindings = withSettings({ EMAIL_PROVIDER: setting });
			const { request } = await deliveredRequest("resend", ns, "/api/webhooks/email");
			const delivered = await deliver(request, bindings);
			expect(delivered.status).toBe(404);
			expect(delivered.body).toMatchObject({ error: "unknown_provider" });
			expect((await deliver(new Request("http://shop.test/api/webhooks/email"), bindings)).status).toBe(404);
			expect(await writtenUnder(ns)).toEqual(nothing);
		},
	);
});

describe("an email provider whose secret is unset: 500 not_configured", { timeout: 30_000 }, () => {
	it.each(emailProviderNames)(
		"%s without its secret: 500 not_configured, nothing written, logged at error",
		async (provider) => {
			const ns = emailNamespace();
			await createUser(`${ns}_ada`, addressIn(ns));
			const secret = emailEndpoints[provider].secret;
			const unset = withSettings({ [secret]: undefined });
			expect((unset as unknown as Record<string, unknown>)[secret]).toBeUndefined();
			const { request } = await deliveredRequest(provider, ns);
			const delivered = await deliver(request, unset);
			expect(delivered.status).toBe(500);
			expect(delivered.body).toMatchObject({ error: "not_configured" });
			expect(delivered.databaseRequests).toEqual([]);
			expect(webhookLine(delivered)).toMatchObject({
				level: "error",
				provider,
				outcome: "rejected",
				status: 500,
				reason: "not_configured",
			});
			expect(await writtenUnder(ns)).toEqual({
				...nothing,
				users: [{ id: `${ns}_ada`, email: addressIn(ns), emailStatus: null }],
			});

			// an empty or blank value is unset too
			for (const blank of ["", "  "]) {
				const again = await deliver((await deliveredRequest(provider, ns)).request, withSettings({ [secret]: blank }));
				expect(again.status).toBe(500);
			}
			// the other email providers do not need it
			for (const other of emailProviderNames.filter((p) => p !== provider)) {
				const otherNs = emailNamespace();
				const served = await deliver((await deliveredRequest(other, otherNs)).request, unset);
				expect(served.status).toBe(200);
			}
		},
	);

	it("/api/webhooks/email with RESEND_WEBHOOK_SECRET unset (EMAIL_PROVIDER unset): 500 not_configured", async () => {
		const ns = emailNamespace();
		const { request } = await deliveredRequest("resend", ns, "/api/webhooks/email");
		const delivered = await deliver(request, withSettings({ RESEND_WEBHOOK_SECRET: undefined }));
		expect(delivered.status).toBe(500);
		expect(delivered.body).toMatchObject({ error: "not_configured" });
		expect(await writtenUnder(ns)).toEqual(nothing);
	});

	it("no email secret at all: Clerk still works (a shop without email tracking)", async () => {
		const bindings = withSettings(
			Object.fromEntries(emailProviderNames.map((p) => [emailEndpoints[p].secret, undefined])),
		);
		const delivered = await deliver(clerkRequest(userEvent("user.created", uniqueId("user"), Date.now())), bindings);
		expect(delivered.status).toBe(200);
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
	});

	it("a SendGrid setting that is not a P-256 public key: 500 not_configured, the key not logged", async () => {
		const ns = emailNamespace();
		const { request } = await deliveredRequest("sendgrid", ns);
		const delivered = await deliver(request, withSettings({ SENDGRID_WEBHOOK_PUBLIC_KEY: "MFkwNotAKeyAtAll" }));
		expect(delivered.status).toBe(500);
		expect(delivered.body).toMatchObject({ error: "not_configured" });
		expect(delivered.logText).not.toContain("MFkwNotAKeyAtAll");
		expect(await writtenUnder(ns)).toEqual(nothing);
	});
});

describe("the database down at ingest: 202 queued, applied by the consumer", { timeout: 30_000 }, () => {
	/** The bindings of a Worker whose database is unreachable, with a JOBS queue that records what it gets. */
	function databaseDown() {
		const jobs = recordingQueue();
		return { jobs, bindings: { ...env, DATABASE_URL: unreachableDatabaseUrl, JOBS: jobs } as Env };
	}

	it.each(emailProviderNames)("%s: 202 queued, one job, nothing written; the consumer applies it", async (provider) => {
		const ns = emailNamespace();
		await createUser(`${ns}_ada`, addressIn(ns));
		const { jobs, bindings } = databaseDown();
		const { request, eventId, messageId } = await deliveredRequest(provider, ns);
		const delivered = await deliver(request, bindings);

		expect(delivered.status).toBe(202);
		expect(delivered.body).toEqual({ received: true, outcome: "queued" });
		expect(webhookLine(delivered)).toMatchObject({
			level: "warn",
			provider,
			event_id: eventId,
			event_type: expect.any(String),
			outcome: "queued",
			status: 202,
			reason: "database_unavailable",
		});
		expect(delivered.logText).not.toMatch(anEmailAddress);
		expect(jobs.sent).toHaveLength(1);
		const [queued] = jobs.sent;
		expect(jobSchema.safeParse(queued).success).toBe(true);
		expect(queued).toMatchObject({ kind: "apply", provider });
		expect(await writtenUnder(ns)).toEqual({
			...nothing,
			users: [{ id: `${ns}_ada`, email: addressIn(ns), emailStatus: null }],
		});

		const consumed = await consume(JOBS_QUEUE, [{ body: queued }]);
		expect(consumed.value).toMatchObject({ explicitAcks: consumed.ids, retryMessages: [] });
		expect(consumed.databaseRequests).toHaveLength(1);
		expect(webhookLines(consumed)).toMatchObject([{ provider, event_id: eventId, outcome: "applied", via: "queue" }]);
		expect(await ledgerIn(ns)).toMatchObject([{ provider, eventId, status: "processed", attempts: 1 }]);
		expect(await messagesIn(ns)).toMatchObject([{ provider, providerMessageId: messageId, status: "delivered" }]);
	});

	it("a SendGrid batch: one queued line per event, one job; the consumer applies every event (a bounce marks the user)", async () => {
		const ns = emailNamespace();
		await createUser(`${ns}_ada`, addressIn(ns));
		const { jobs, bindings } = databaseDown();
		const events = ["delivered", "open", "bounce"].map((event, n) =>
			sendgridEvent({ event, eventId: `${ns}-${n}`, messageId: `${ns}-m`, to: addressIn(ns), at: 1_780_000_000 + n }),
		);
		const delivered = await deliver(await sendgridRequest(events), bindings);
		expect(delivered.status).toBe(202);
		expect(delivered.body).toEqual({ received: true, outcome: "queued" });
		expect(webhookLines(delivered).map((l) => [l.event_id, l.event_type, l.outcome])).toEqual([
			[`${ns}-0`, "delivered", "queued"],
			[`${ns}-1`, "open", "queued"],
			[`${ns}-2`, "bounce", "queued"],
		]);
		expect(jobs.sent).toHaveLength(1);

		const consumed = await consume(JOBS_QUEUE, [{ body: jobs.sent[0] }]);
		expect(consumed.value.explicitAcks).toEqual(consumed.ids);
		expect(webhookLines(consumed).map((l) => l.outcome)).toEqual(["applied", "applied", "applied"]);
		expect((await messagesIn(ns))[0]).toMatchObject({ status: "bounced", openCount: 1 });
		expect((await usersIn(ns))[0]?.emailStatus).toBe("invalid");
	});

	it("Mailgun: the queued job carries the token; once applied, a live replay of it is refused 406", async () => {
		const ns = emailNamespace();
		const { jobs, bindings } = databaseDown();
		const signature = await mailgunSignature();
		const data = mailgunEventData({
			event: "opened",
			eventId: `${ns}-o`,
			messageId: `${ns}-m`,
			to: addressIn(ns),
			at: 1_780_000_000,
		});
		expect((await deliver(mailgunRequestWith(signature, data), bindings)).status).toBe(202);
		expect(jobs.sent[0]).toMatchObject({ provider: "mailgun", nonce: signature.token });
		expect(await noncesAmong("mailgun", [signature.token])).toEqual([]);

		await consume(JOBS_QUEUE, [{ body: jobs.sent[0] }]);
		expect(await noncesAmong("mailgun", [signature.token])).toEqual([signature.token]);
		const before = await writtenUnder(ns);
		const forged = { ...data, id: `${ns}-forged`, event: "complained" };
		const replay = await deliver(mailgunRequestWith(signature, forged));
		expect(replay.status).toBe(406);
		expect(await writtenUnder(ns)).toEqual(before);
	});

	it("without a jobs queue: 503 database_unavailable, nothing written", async () => {
		const ns = emailNamespace();
		const { request } = await deliveredRequest("postmark", ns);
		const delivered = await deliver(request, withoutQueue({ ...env, DATABASE_URL: unreachableDatabaseUrl } as Env));
		expect(delivered.status).toBe(503);
		expect(delivered.body).toMatchObject({ error: "database_unavailable" });
		expect(await writtenUnder(ns)).toEqual(nothing);
	});

	it("a Resend delivery queued while down, then redelivered live once back: applied once", async () => {
		const ns = emailNamespace();
		const { jobs, bindings } = databaseDown();
		const event = resendEvent({
			type: "email.opened",
			emailId: `${ns}-m`,
			to: addressIn(ns),
			at: "2026-06-01T09:00:00Z",
		});
		expect((await deliver(resendRequest(event, { id: `msg_${ns}` }), bindings)).status).toBe(202);
		const live = await deliver(resendRequest(event, { id: `msg_${ns}` }));
		expect(live.body).toEqual({ received: true, outcome: "applied" });
		const consumed = await consume(JOBS_QUEUE, [{ body: jobs.sent[0] }]);
		expect(webhookLines(consumed)).toMatchObject([{ outcome: "duplicate" }]);
		expect((await messagesIn(ns))[0]).toMatchObject({ status: "opened", openCount: 1 });
	});
});
