/**
 * Issue 9, acceptance: Mailgun through the Worker's own fetch (POST /api/webhooks/email/mailgun; the
 * body carries `signature: {timestamp, token, signature}`, an HMAC of `timestamp + token` that does
 * not cover `event-data`). Every example payload applies with its rows and records its token; a token
 * used again, with forged event-data or not, is refused 406 with nothing written; a timestamp more than
 * 300 s away is refused 401; Mailgun's vocabulary (failed permanent/temporary, suppress-*, old) maps
 * onto the kinds; unknown events are ignored, unreadable ones failed without quoting a value. One
 * database round trip per accepted request (the token with the events); no address in the logs.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { deliver, webhookLine } from "../support/deliver";
import {
	addressIn,
	anEmailAddress,
	createUser,
	emailNamespace,
	emptyMessage,
	ledgerIn,
	type MailgunSpec,
	type MessageRow,
	mailgunEventData,
	mailgunInstant,
	mailgunRequest,
	mailgunRequestWith,
	mailgunSignature,
	mailgunToken,
	messagesIn,
	namespacedMailgun,
	noncesAmong,
	suppressionsIn,
	usersIn,
	writtenUnder,
} from "../support/email";
import * as expectEmail from "../support/email-expect";
import { mailgunPreviousSigningKey } from "../support/secrets";
import { ledgerRecord } from "../support/written";

const fixtures = import.meta.glob<unknown>("../fixtures/payloads/mailgun/*.json", { eager: true, import: "default" });

const expectations: Record<
	string,
	{ status: string; facts: (at: string) => Partial<MessageRow>; suppression?: string }
> = {
	"delivered.json": { status: "delivered", facts: (at) => ({ deliveredAt: at, subject: "Your order has shipped" }) },
	"failed-permanent.json": {
		status: "bounced",
		facts: (at) => ({ bouncedAt: at, bounceType: "hard", subject: "Your order has shipped" }),
		suppression: "hard_bounce",
	},
	"opened.json": { status: "opened", facts: (at) => ({ firstOpenedAt: at, lastOpenedAt: at, openCount: 1 }) },
};

const T0 = Date.UTC(2026, 5, 1, 9, 0, 0) / 1000;
/** The instant stored for an event `seconds` after T0 (eventData adds half a second: Mailgun sends fractions). */
const at = (seconds: number) => mailgunInstant(T0 + seconds + 0.5);
const nowSeconds = () => Math.floor(Date.now() / 1000);

function eventData(ns: string, id: string, event: string, seconds: number, more: Partial<MailgunSpec> = {}) {
	return mailgunEventData({
		event,
		eventId: `${ns}-${id}`,
		messageId: `${ns}.20130503182626.18666.16540@sandbox.mailgun.org`,
		to: addressIn(ns),
		at: T0 + seconds + 0.5,
		...more,
	});
}

afterEach(() => {
	vi.useRealTimers();
});

describe("Mailgun's example payloads through POST /api/webhooks/email/mailgun", { timeout: 30_000 }, () => {
	expectEmail.itHasAnExpectationForEveryExample(fixtures, expectations);

	it.each(expectEmail.examplePayloads(fixtures))(
		"%s: 200 applied, one round trip, its row, its token remembered",
		async (file, fixture) => {
			const ns = emailNamespace();
			const data = namespacedMailgun(fixture, ns);
			const token = mailgunToken();
			const delivered = await deliver(await mailgunRequest(data, { token }));
			expectEmail.applied(delivered, { provider: "mailgun", eventType: data.event, eventId: data.id });
			expect(delivered.logText).not.toContain(token);

			const expected = expectations[file] as (typeof expectations)[string];
			const when = mailgunInstant(data.timestamp);
			await expectEmail.onlyMessage(
				ns,
				{
					provider: "mailgun",
					providerMessageId: data.message.headers["message-id"],
					recipient: data.recipient,
					status: expected.status,
					at: when,
				},
				{ orderId: "10423", ...expected.facts(when) },
			);
			await expectEmail.suppression(ns, expected.suppression, {
				address: data.recipient,
				provider: "mailgun",
				at: when,
				eventId: data.id,
			});
			expect(await ledgerIn(ns)).toMatchObject([
				{ provider: "mailgun", eventId: data.id, eventType: data.event, status: "processed", attempts: 1 },
			]);
			expect(await noncesAmong("mailgun", [token])).toEqual([token]);
		},
	);

	it("all three about one message: one row, the permanent failure (a hard bounce) on top", async () => {
		const ns = emailNamespace();
		const all = Object.values(fixtures).map((fixture) => namespacedMailgun(fixture, ns));
		for (const data of all) expect((await deliver(await mailgunRequest(data))).body.outcome).toBe("applied");
		const time = (event: string) =>
			mailgunInstant((all.find((d) => d.event === event) as { timestamp: number }).timestamp);
		expect(await messagesIn(ns)).toEqual([
			{
				...emptyMessage,
				provider: "mailgun",
				providerMessageId: `${ns}.20130503182626.18666.16540@sandbox.mailgun.org`,
				recipient: `${ns}.alice@example.com`,
				subject: "Your order has shipped",
				orderId: "10423",
				status: "bounced",
				deliveredAt: time("delivered"),
				bouncedAt: time("failed"),
				bounceType: "hard",
				firstOpenedAt: time("opened"),
				lastOpenedAt: time("opened"),
				openCount: 1,
				firstEventAt: time("failed"),
				lastEventAt: time("delivered"),
			},
		]);
	});
});

describe("a token is accepted once", { timeout: 30_000 }, () => {
	it("a captured signature replayed with forged event-data: 406, nothing written", async () => {
		const ns = emailNamespace();
		await createUser(`${ns}_victim`, addressIn(ns, "victim"));
		const signature = await mailgunSignature();
		const genuine = await deliver(mailgunRequestWith(signature, eventData(ns, "genuine", "delivered", 1)));
		expect(genuine.body).toEqual({ received: true, outcome: "applied" });
		const before = await writtenUnder(ns);

		const forged = eventData(ns, "forged", "failed", 2, {
			to: addressIn(ns, "victim"),
			messageId: `${ns}-forged-message`,
			severity: "permanent",
		});
		const replay = await deliver(mailgunRequestWith(signature, forged));
		expect(replay.status).toBe(406);
		expect(replay.body).toMatchObject({ error: "replayed_signature" });
		expect(replay.databaseRequests).toHaveLength(1);
		expect(webhookLine(replay)).toMatchObject({
			level: "warn",
			provider: "mailgun",
			outcome: "rejected",
			status: 406,
			reason: "replayed_signature",
		});
		expect(replay.logText).not.toMatch(anEmailAddress);
		// no message, no suppression of the forged recipient, the victim unmarked, no ledger row
		expect(await writtenUnder(ns)).toEqual(before);
		expect((await usersIn(ns))[0]?.emailStatus).toBeNull();
	});

	it("the very same delivery again: 406 (the token), not a duplicate", async () => {
		const ns = emailNamespace();
		const signature = await mailgunSignature();
		const request = () => mailgunRequestWith(signature, eventData(ns, "e", "opened", 1));
		expect((await deliver(request())).body.outcome).toBe("applied");
		const before = await writtenUnder(ns);
		const again = await deliver(request());
		expect(again.status).toBe(406);
		expect(await writtenUnder(ns)).toEqual(before);
	});

	it("the same event under a new token (Mailgun re-signing a retry): 200 duplicate, nothing changes", async () => {
		const ns = emailNamespace();
		const data = eventData(ns, "e", "opened", 1);
		expect((await deliver(await mailgunRequest(data))).body.outcome).toBe("applied");
		const before = await writtenUnder(ns);
		const retry = await deliver(await mailgunRequest(data));
		await expectEmail.duplicate(retry, ns, before);
	});

	it.each([
		["an ignored event", (ns: string) => eventData(ns, "i", "unsubscribed", 1)],
		["an unreadable event", (ns: string) => ({ ...eventData(ns, "u", "delivered", 1), timestamp: "noon" })],
	])("the token of %s is remembered too: its replay with forged data is refused", async (_, original) => {
		const ns = emailNamespace();
		const signature = await mailgunSignature();
		expect((await deliver(mailgunRequestWith(signature, original(ns)))).status).toBe(200);
		const before = await writtenUnder(ns);
		const replay = await deliver(mailgunRequestWith(signature, eventData(ns, "forged", "complained", 2)));
		expect(replay.status).toBe(406);
		expect(await writtenUnder(ns)).toEqual(before);
	});

	it("a refused signature records no token: the genuine delivery with it is accepted afterwards", async () => {
		const ns = emailNamespace();
		const token = mailgunToken();
		const wrongKey = await deliver(
			await mailgunRequest(eventData(ns, "e", "delivered", 1), { token, key: "not-the-key" }),
		);
		expect(wrongKey.status).toBe(401);
		expect(await noncesAmong("mailgun", [token])).toEqual([]);
		expect((await deliver(await mailgunRequest(eventData(ns, "e", "delivered", 1), { token }))).status).toBe(200);
	});
});

describe("the timestamp window (300 s)", { timeout: 30_000 }, () => {
	it("older than 300 s: 401 timestamp_outside_tolerance, nothing written, the token not remembered", async () => {
		const ns = emailNamespace();
		const token = mailgunToken();
		const delivered = await deliver(
			await mailgunRequest(eventData(ns, "e", "failed", 1), { timestamp: nowSeconds() - 301, token }),
		);
		expectEmail.refused(delivered, 401, "timestamp_outside_tolerance");
		expect(webhookLine(delivered)).toMatchObject({ outcome: "rejected", reason: "timestamp_outside_tolerance" });
		await expectEmail.nothingWritten(ns);
		expect(await noncesAmong("mailgun", [token])).toEqual([]);
	});

	it("more than 300 s ahead: 401", async () => {
		const ns = emailNamespace();
		const delivered = await deliver(
			await mailgunRequest(eventData(ns, "e", "delivered", 1), { timestamp: nowSeconds() + 301 }),
		);
		expect(delivered.status).toBe(401);
		expect(await ledgerIn(ns)).toEqual([]);
	});

	it("exactly 300 s old is accepted, 301 s refused (the Worker's clock fixed)", async () => {
		const ns = emailNamespace();
		const now = nowSeconds();
		vi.useFakeTimers({ toFake: ["Date"] });
		vi.setSystemTime(now * 1000);
		const edge = await deliver(await mailgunRequest(eventData(ns, "a", "delivered", 1), { timestamp: now - 300 }));
		const past = await deliver(await mailgunRequest(eventData(ns, "b", "opened", 2), { timestamp: now - 301 }));
		vi.useRealTimers();
		expect([edge.status, past.status]).toEqual([200, 401]);
	});
});

describe("Mailgun's events as kinds", { timeout: 30_000 }, () => {
	it.each([
		["accepted", {}, { status: "sent", sentAt: at(1) }],
		["rejected", {}, { status: "failed", failedAt: at(1) }],
		["failed temporary", { severity: "temporary", reason: "generic" }, { status: "delayed", delayedAt: at(1) }],
		[
			"failed temporary, old",
			{ severity: "temporary", reason: "old" },
			{ status: "bounced", bounceType: "soft", softBounceCount: 1 },
		],
		[
			"failed permanent, suppress-unsubscribe",
			{ severity: "permanent", reason: "suppress-unsubscribe" },
			{ status: "failed" },
		],
		[
			"failed permanent, suppress-complaint",
			{ severity: "permanent", reason: "suppress-complaint" },
			{ status: "failed" },
		],
		["failed permanent, no reason", { severity: "permanent" }, { status: "bounced", bounceType: "hard" }],
		["clicked", {}, { status: "clicked", clickCount: 1 }],
	] as const)("%s", async (name, more, facts) => {
		const ns = emailNamespace();
		await createUser(`${ns}_ada`, addressIn(ns));
		const event = name.split(" ")[0] as string;
		const delivered = await deliver(await mailgunRequest(eventData(ns, "e", event, 1, more as Partial<MailgunSpec>)));
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect((await messagesIn(ns))[0]).toMatchObject(facts);
		const hard = "bounceType" in facts && facts.bounceType === "hard";
		expect((await suppressionsIn(ns)).map((s) => s.reason)).toEqual(hard ? ["hard_bounce"] : []);
		expect((await usersIn(ns))[0]?.emailStatus).toBe(hard ? "invalid" : null);
	});

	it("a permanent failure marks the user invalid; a complaint another complained", async () => {
		const ns = emailNamespace();
		await createUser(`${ns}_ada`, `${ns}.Ada@Example.org`);
		await createUser(`${ns}_bob`, addressIn(ns, "bob"));
		await deliver(await mailgunRequest(eventData(ns, "f", "failed", 1, { severity: "permanent", reason: "bounce" })));
		await deliver(
			await mailgunRequest(eventData(ns, "c", "complained", 2, { to: addressIn(ns, "BOB"), messageId: `${ns}-m2` })),
		);
		expect(await usersIn(ns)).toEqual([
			{ id: `${ns}_ada`, email: `${ns}.Ada@Example.org`, emailStatus: "invalid" },
			{ id: `${ns}_bob`, email: addressIn(ns, "bob"), emailStatus: "complained" },
		]);
		expect((await suppressionsIn(ns)).map((s) => [s.address, s.reason, s.provider])).toEqual([
			[addressIn(ns), "hard_bounce", "mailgun"],
			[addressIn(ns, "bob"), "complaint", "mailgun"],
		]);
	});

	it("an open before its delivery: opened, delivered_at set, one open", async () => {
		const ns = emailNamespace();
		await deliver(await mailgunRequest(eventData(ns, "o", "opened", 60)));
		await deliver(await mailgunRequest(eventData(ns, "d", "delivered", 5)));
		expect((await messagesIn(ns))[0]).toMatchObject({
			status: "opened",
			deliveredAt: at(5),
			firstOpenedAt: at(60),
			openCount: 1,
		});
	});

	it("user-variables name the order (a number read as text) and the user", async () => {
		const ns = emailNamespace();
		await deliver(
			await mailgunRequest(
				eventData(ns, "d", "delivered", 1, { userVariables: { order_id: 77, user_id: `${ns}_user` } }),
			),
		);
		expect((await messagesIn(ns))[0]).toMatchObject({ orderId: "77", userId: `${ns}_user` });
		expect(await ledgerIn(ns)).toMatchObject([{ subjectUserId: `${ns}_user` }]);
	});

	it.each(["unsubscribed", "stored", "list_member_uploaded"])("%s: 200 ignored, no message", async (event) => {
		const ns = emailNamespace();
		const delivered = await deliver(await mailgunRequest(eventData(ns, "e", event, 1)));
		expect(delivered.body).toEqual({ received: true, outcome: "ignored" });
		expect(delivered.databaseRequests).toHaveLength(1);
		expect(await ledgerIn(ns)).toMatchObject([{ status: "ignored", eventType: event }]);
		expect(await messagesIn(ns)).toEqual([]);
	});

	it.each([
		[
			"a timestamp that is text",
			(d: Record<string, unknown>, v: string) => ({ ...d, timestamp: `noon ${v}` }),
			"timestamp",
		],
		["a failure without severity", (d: Record<string, unknown>) => ({ ...d, severity: undefined }), "severity"],
		["no message-id", (d: Record<string, unknown>) => ({ ...d, message: { headers: {} } }), "message-id"],
	])("%s: 200 failed, the reason names the path, no value in the reason or logs", async (_, mutate, path) => {
		const ns = emailNamespace();
		const secret = `${ns}.secret@example.org`;
		const data = mutate(eventData(ns, "e", "failed", 1, { to: secret, severity: "permanent" }), secret);
		const delivered = await deliver(await mailgunRequest(data));
		const line = expectEmail.unreadable(delivered, { event_id: `${ns}-e`, event_type: "failed" }, path);
		const [row] = await ledgerRecord("mailgun", `${ns}-e`);
		expect(row).toMatchObject({ status: "failed", lastError: line.reason });
		expectEmail.noValueQuoted([row?.lastError ?? "", delivered.logText], ["secret", "noon"]);
		expect(await messagesIn(ns)).toEqual([]);
		expect(await suppressionsIn(ns)).toEqual([]);
	});
});

describe("signatures", { timeout: 30_000 }, () => {
	it("the previous signing key (rotation) is accepted; a wrong one refused 401 with nothing written", async () => {
		const ns = emailNamespace();
		const previous = await deliver(
			await mailgunRequest(eventData(ns, "a", "delivered", 1), { key: mailgunPreviousSigningKey }),
		);
		expect(previous.body).toEqual({ received: true, outcome: "applied" });
		const wrong = await deliver(
			await mailgunRequest(eventData(ns, "b", "failed", 2, { severity: "permanent" }), { key: "key-wrong" }),
		);
		expectEmail.refused(wrong, 401, "signature_mismatch");
		expect((await ledgerIn(ns)).map((r) => r.eventId)).toEqual([`${ns}-a`]);
	});

	it.each([
		["no signature block", undefined, "missing_signature_headers"],
		["a signature block of numbers", { timestamp: 1, token: 2, signature: 3 }, "signature_mismatch"],
		[
			"a timestamp that is not unix seconds",
			{ timestamp: "soon", token: "t", signature: "00" },
			"invalid_signature_timestamp",
		],
	])("%s: 401 %s", async (_, signature, error) => {
		const ns = emailNamespace();
		const delivered = await deliver(mailgunRequestWith(signature, eventData(ns, "e", "delivered", 1)));
		expect(delivered.status).toBe(401);
		expect(delivered.body).toMatchObject({ error });
		expect(await ledgerIn(ns)).toEqual([]);
	});

	it("a body that is not JSON: 400 malformed_json", async () => {
		const delivered = await deliver(
			new Request("http://shop.test/api/webhooks/email/mailgun", { method: "POST", body: "signature=x&token=y" }),
		);
		expect(delivered.status).toBe(400);
		expect(delivered.body).toMatchObject({ error: "malformed_json" });
	});
});
