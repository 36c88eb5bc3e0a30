/**
 * Issue 9, acceptance: Postmark through the Worker's own fetch (POST /api/webhooks/email/postmark,
 * protected by the Basic credentials Postmark sends from the webhook's URL). Every example payload
 * applies with its rows, keyed RecordType:MessageID:time (Postmark gives no event id); duplicates; an
 * open before its delivery; bounce types (hard, soft, complaint, not a delivery report); unknown record
 * types ignored; unreadable records failed without quoting a value; wrong credentials refused with
 * nothing written, rotated ones accepted. One database round trip per request; no address in the logs.
 */
import { describe, expect, it } from "vitest";
import { deliver, webhookLine } from "../support/deliver";
import {
	addressIn,
	basicAuthorization,
	createUser,
	emailNamespace,
	emptyMessage,
	ledgerIn,
	type MessageRow,
	messagesIn,
	namespacedPostmark,
	type PostmarkSpec,
	postmarkEvent,
	postmarkKey,
	postmarkRequest,
	suppressionsIn,
	usersIn,
	withSettings,
	writtenUnder,
} from "../support/email";
import * as expectEmail from "../support/email-expect";
import { postmarkCredentials, postmarkPreviousCredentials } from "../support/secrets";
import { ledgerRecord } from "../support/written";

const fixtures = import.meta.glob<unknown>("../fixtures/payloads/postmark/*.json", { eager: true, import: "default" });

/** Every example happens at 2019-11-05T16:33:54.9070259Z (stored to the millisecond). */
const FIXTURE_TIME = "2019-11-05T16:33:54.9070259Z";
const FIXTURE_AT = "2019-11-05T16:33:54.907Z";

const expectations: Record<string, { status: string; facts: Partial<MessageRow>; suppression?: string }> = {
	"Bounce.json": {
		status: "bounced",
		facts: { bouncedAt: FIXTURE_AT, bounceType: "hard", subject: "Test subject" },
		suppression: "hard_bounce",
	},
	"Delivery.json": { status: "delivered", facts: { deliveredAt: FIXTURE_AT } },
	"Open.json": { status: "opened", facts: { firstOpenedAt: FIXTURE_AT, lastOpenedAt: FIXTURE_AT, openCount: 1 } },
};

const T0 = Date.UTC(2026, 5, 1, 9, 0, 0);
/** Postmark's time text (seven fractional digits, as it sends them) `seconds` after T0, and the instant stored. */
const time = (seconds: number) => new Date(T0 + seconds * 1000).toISOString().replace("Z", "1234Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function record(ns: string, recordType: string, seconds: number, more: Partial<PostmarkSpec> = {}) {
	return postmarkEvent({ recordType, messageId: `${ns}-m`, to: addressIn(ns), at: time(seconds), ...more });
}
const keyOf = (event: Record<string, unknown>, timeField: string) =>
	postmarkKey(String(event.RecordType), String(event.MessageID), String(event[timeField]));

describe("Postmark's example payloads through POST /api/webhooks/email/postmark", { timeout: 30_000 }, () => {
	expectEmail.itHasAnExpectationForEveryExample(fixtures, expectations);

	it.each(expectEmail.examplePayloads(fixtures))(
		"%s: 200 applied, keyed RecordType:MessageID:time, one round trip, its row",
		async (file, fixture) => {
			const ns = emailNamespace();
			const event = namespacedPostmark(fixture, ns);
			const delivered = await deliver(postmarkRequest(event));
			const key = postmarkKey(String(event.RecordType), String(event.MessageID), FIXTURE_TIME);
			expectEmail.applied(delivered, { provider: "postmark", eventType: event.RecordType, eventId: key });

			const expected = expectations[file] as (typeof expectations)[string];
			const recipient = String(event.Recipient ?? event.Email);
			await expectEmail.onlyMessage(
				ns,
				{
					provider: "postmark",
					providerMessageId: event.MessageID,
					recipient,
					status: expected.status,
					at: FIXTURE_AT,
				},
				expected.facts,
			);
			await expectEmail.suppression(ns, expected.suppression, {
				address: recipient,
				provider: "postmark",
				at: FIXTURE_AT,
				eventId: key,
			});
			expect(await ledgerIn(ns)).toMatchObject([
				{ provider: "postmark", eventId: key, eventType: event.RecordType, status: "processed", attempts: 1 },
			]);
		},
	);

	it("all three about one message: one row, the bounce on top", async () => {
		const ns = emailNamespace();
		for (const fixture of Object.values(fixtures)) {
			const delivered = await deliver(postmarkRequest(namespacedPostmark(fixture, ns)));
			expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		}
		expect(await messagesIn(ns)).toEqual([
			{
				...emptyMessage,
				provider: "postmark",
				providerMessageId: `${ns}-883953f4-6105-42a2-a16a-77a8eac79483`,
				recipient: `${ns}.john@example.com`,
				subject: "Test subject",
				status: "bounced",
				deliveredAt: FIXTURE_AT,
				firstOpenedAt: FIXTURE_AT,
				lastOpenedAt: FIXTURE_AT,
				openCount: 1,
				bouncedAt: FIXTURE_AT,
				bounceType: "hard",
				firstEventAt: FIXTURE_AT,
				lastEventAt: FIXTURE_AT,
			},
		]);
	});
});

describe("duplicates and order", { timeout: 30_000 }, () => {
	it("the same record again is a duplicate (same key); an open at another time is a new one", async () => {
		const ns = emailNamespace();
		const open = record(ns, "Open", 10);
		expect((await deliver(postmarkRequest(open))).body.outcome).toBe("applied");
		const before = await writtenUnder(ns);
		const again = await deliver(postmarkRequest(open));
		await expectEmail.duplicate(again, ns, before);
		expect(webhookLine(again)).toMatchObject({ event_id: keyOf(open, "ReceivedAt"), outcome: "duplicate" });

		expect((await deliver(postmarkRequest(record(ns, "Open", 20)))).body.outcome).toBe("applied");
		expect((await messagesIn(ns))[0]).toMatchObject({ openCount: 2, firstOpenedAt: at(10), lastOpenedAt: at(20) });
	});

	it("an open and a click before the delivery: clicked, delivered_at set, counted once each", async () => {
		const ns = emailNamespace();
		for (const event of [record(ns, "Click", 40), record(ns, "Open", 30), record(ns, "Delivery", 5)])
			expect((await deliver(postmarkRequest(event))).body.outcome).toBe("applied");
		expect((await messagesIn(ns))[0]).toMatchObject({
			status: "clicked",
			deliveredAt: at(5),
			firstOpenedAt: at(30),
			openCount: 1,
			clickCount: 1,
			firstEventAt: at(5),
			lastEventAt: at(40),
		});
	});
});

describe("bounces, complaints and the user's email_status", { timeout: 30_000 }, () => {
	it.each([
		["HardBounce", "hard"],
		["BadEmailAddress", "hard"],
	])("a %s bounce suppresses the address and marks the user (email in another case) invalid", async (type) => {
		const ns = emailNamespace();
		await createUser(`${ns}_ada`, `${ns}.ADA@example.ORG`);
		const delivered = await deliver(postmarkRequest(record(ns, "Bounce", 1, { type })));
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect(delivered.databaseRequests).toHaveLength(1);
		expect((await usersIn(ns))[0]?.emailStatus).toBe("invalid");
		expect(await suppressionsIn(ns)).toMatchObject([
			{ address: addressIn(ns), reason: "hard_bounce", provider: "postmark" },
		]);
		expect((await messagesIn(ns))[0]).toMatchObject({ status: "bounced", bounceType: "hard", bouncedAt: at(1) });
	});

	it.each([
		["a SpamComplaint record", "SpamComplaint", undefined],
		["a Bounce record of Type SpamComplaint", "Bounce", "SpamComplaint"],
	])("%s marks the user complained", async (_, recordType, type) => {
		const ns = emailNamespace();
		await createUser(`${ns}_ada`, addressIn(ns));
		const delivered = await deliver(postmarkRequest(record(ns, recordType, 2, type ? { type } : {})));
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect((await usersIn(ns))[0]?.emailStatus).toBe("complained");
		expect(await suppressionsIn(ns)).toMatchObject([{ address: addressIn(ns), reason: "complaint" }]);
		expect((await messagesIn(ns))[0]).toMatchObject({ status: "complained", complainedAt: at(2) });
	});

	it.each(["SoftBounce", "Transient", "DnsError", "SomethingPostmarkAddsLater"])(
		"a %s bounce is soft: counted, nothing more",
		async (type) => {
			const ns = emailNamespace();
			await createUser(`${ns}_ada`, addressIn(ns));
			await deliver(postmarkRequest(record(ns, "Bounce", 1, { type })));
			await deliver(postmarkRequest(record(ns, "Bounce", 2, { type })));
			expect((await messagesIn(ns))[0]).toMatchObject({ status: "bounced", bounceType: "soft", softBounceCount: 2 });
			expect(await suppressionsIn(ns)).toEqual([]);
			expect((await usersIn(ns))[0]?.emailStatus).toBeNull();
		},
	);

	it("a bounce record that is an auto-reply is ignored; SMTPApiError is a failed message", async () => {
		const ns = emailNamespace();
		const autoReply = await deliver(postmarkRequest(record(ns, "Bounce", 1, { type: "AutoResponder" })));
		expect(autoReply.body).toEqual({ received: true, outcome: "ignored" });
		expect(await messagesIn(ns)).toEqual([]);
		const apiError = await deliver(postmarkRequest(record(ns, "Bounce", 2, { type: "SMTPApiError" })));
		expect(apiError.body).toEqual({ received: true, outcome: "applied" });
		expect((await messagesIn(ns))[0]).toMatchObject({ status: "failed", failedAt: at(2) });
		expect(await suppressionsIn(ns)).toEqual([]);
	});

	it("Metadata names the order and the user", async () => {
		const ns = emailNamespace();
		const event = record(ns, "Delivery", 1, {
			metadata: { order_id: `${ns}_order`, user_id: `${ns}_user`, other: "x" },
		});
		await deliver(postmarkRequest(event));
		expect((await messagesIn(ns))[0]).toMatchObject({ orderId: `${ns}_order`, userId: `${ns}_user` });
		expect(await ledgerIn(ns)).toMatchObject([{ subjectUserId: `${ns}_user` }]);
	});
});

describe("record types we do not handle, records we cannot read", { timeout: 30_000 }, () => {
	it.each([
		["SubscriptionChange", "ChangedAt"],
		["SomeNewRecordType", "DeliveredAt"],
	])("%s: 200 ignored, keyed by its time field, no message", async (recordType, timeField) => {
		const ns = emailNamespace();
		const event = record(ns, recordType, 1);
		const delivered = await deliver(postmarkRequest(event));
		expectEmail.ignored(delivered);
		expect(await ledgerIn(ns)).toMatchObject([{ eventId: keyOf(event, timeField), status: "ignored" }]);
		expect(await messagesIn(ns)).toEqual([]);
	});

	it.each([
		[
			"a DeliveredAt that is no date",
			(e: Record<string, unknown>, v: string) => ({ ...e, DeliveredAt: `noon ${v}` }),
			"DeliveredAt",
		],
		[
			"a Recipient that is not a string",
			(e: Record<string, unknown>, v: string) => ({ ...e, Recipient: [v] }),
			"Recipient",
		],
		["no MessageID", (e: Record<string, unknown>) => ({ ...e, MessageID: undefined }), "MessageID"],
	])("%s: 200 failed, the reason names the path, no value in the reason or logs", async (_, mutate, path) => {
		const ns = emailNamespace();
		const secret = `${ns}.secret@example.org`;
		const delivered = await deliver(postmarkRequest(mutate(record(ns, "Delivery", 1, { to: secret }), secret)));
		const line = expectEmail.unreadable(delivered, { event_type: "Delivery" }, path);
		const [row] = await ledgerRecord("postmark", String(line.event_id));
		expect(row).toMatchObject({ status: "failed", lastError: line.reason });
		expectEmail.noValueQuoted([row?.lastError ?? "", delivered.logText], ["secret", "noon"]);
		expect(await messagesIn(ns)).toEqual([]);
	});
});

describe("credentials", { timeout: 30_000 }, () => {
	it.each([
		["a wrong password", { credentials: "postmark-webhooks:wrong" }, "signature_mismatch"],
		["an unknown user", { credentials: "someone:g7j_z22YQGXN5HxMGJgB_9nU" }, "signature_mismatch"],
		["no Authorization header", { credentials: null }, "missing_signature_headers"],
		["a Bearer token", { authorization: "Bearer g7j_z22YQGXN5HxMGJgB_9nU" }, "missing_signature_headers"],
		["Basic without a colon", { authorization: basicAuthorization("postmark-webhooks") }, "missing_signature_headers"],
	])("%s: 401 %s, nothing written, no round trip", async (_, options, error) => {
		const ns = emailNamespace();
		await createUser(`${ns}_ada`, addressIn(ns));
		const delivered = await deliver(postmarkRequest(record(ns, "Bounce", 1), options));
		expectEmail.refused(delivered, 401, error);
		expect(webhookLine(delivered)).toMatchObject({ level: "warn", outcome: "rejected", reason: error });
		expect(delivered.logText).not.toContain("g7j_z22YQGXN5HxMGJgB_9nU");
		await expectEmail.nothingWritten(ns, [{ id: `${ns}_ada`, email: addressIn(ns), emailStatus: null }]);
	});

	it("both pairs of the setting are accepted (the second's password holds colons); the scheme in any case", async () => {
		const ns = emailNamespace();
		const previous = await deliver(
			postmarkRequest(record(ns, "Delivery", 1), { credentials: postmarkPreviousCredentials }),
		);
		const lower = await deliver(
			postmarkRequest(record(ns, "Open", 2), {
				authorization: basicAuthorization(postmarkCredentials).replace("Basic", "basic"),
			}),
		);
		expect([previous.status, lower.status]).toEqual([200, 200]);
		expect((await messagesIn(ns))[0]).toMatchObject({ status: "opened" });
	});

	it("rotated: once the setting holds only the new pair, the old one is refused and the new one accepted", async () => {
		const ns = emailNamespace();
		const rotated = withSettings({ POSTMARK_WEBHOOK_BASIC_AUTH: "postmark-2026:n3w-Pa55word" });
		const old = await deliver(postmarkRequest(record(ns, "Delivery", 1)), rotated);
		expect(old.status).toBe(401);
		expect(await ledgerIn(ns)).toEqual([]);
		const renewed = await deliver(
			postmarkRequest(record(ns, "Delivery", 1), { credentials: "postmark-2026:n3w-Pa55word" }),
			rotated,
		);
		expect(renewed.body).toEqual({ received: true, outcome: "applied" });
	});
});
