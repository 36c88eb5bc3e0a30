/**
 * Issue 9, acceptance: Resend through the Worker's own fetch (POST /api/webhooks/email/resend, signed
 * with svix as Resend signs it). Every example payload applies with the rows it must leave; duplicates,
 * an open before its delivery, a hard bounce marking the user invalid, a complaint, a soft bounce only
 * counted, unknown types ignored, unreadable events failed without quoting a value, signatures refused
 * with nothing written, and a Clerk user.deleted erasing what the messages knew of the user. Each
 * request costs one database round trip; no log line holds an email address.
 */
import { describe, expect, it } from "vitest";
import { clerkRequest, userDeletedEvent } from "../support/clerk";
import { deliver, webhookLine } from "../support/deliver";
import {
	addressIn,
	anEmailAddress,
	createUser,
	emailNamespace,
	emptyMessage,
	ledgerIn,
	type MessageRow,
	messagesIn,
	namespacedResend,
	resendEvent,
	resendRequest,
	suppressionsIn,
	usersIn,
	writtenUnder,
} from "../support/email";
import * as expectEmail from "../support/email-expect";
import { resendPreviousSecret } from "../support/secrets";
import { ledgerRecord } from "../support/written";

const fixtures = import.meta.glob<unknown>("../fixtures/payloads/resend/*.json", { eager: true, import: "default" });

/** What each example payload leaves on its message (besides recipient, subject and the event's time). */
const expectations: Record<string, { status: string; facts: Partial<MessageRow>; suppression?: string }> = {
	"email.sent.json": { status: "sent", facts: { sentAt: "2024-02-22T23:41:12.126Z" } },
	"email.delivered.json": { status: "delivered", facts: { deliveredAt: "2024-02-22T23:41:12.126Z" } },
	"email.delivery_delayed.json": { status: "delayed", facts: { delayedAt: "2024-02-22T23:51:12.126Z" } },
	"email.bounced.json": {
		status: "bounced",
		facts: { bouncedAt: "2024-11-22T23:41:12.126Z", bounceType: "hard" },
		suppression: "hard_bounce",
	},
	"email.complained.json": {
		status: "complained",
		facts: { complainedAt: "2024-02-23T08:15:00.000Z" },
		suppression: "complaint",
	},
	"email.opened.json": {
		status: "opened",
		facts: { firstOpenedAt: "2024-02-23T09:01:44.812Z", lastOpenedAt: "2024-02-23T09:01:44.812Z", openCount: 1 },
	},
	"email.clicked.json": { status: "clicked", facts: { clickCount: 1 } },
};

const T0 = Date.UTC(2026, 5, 1, 9, 0, 0);
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const svixId = (ns: string, name = "1") => `msg_${ns}_${name}`;

describe("Resend's example payloads through POST /api/webhooks/email/resend", { timeout: 30_000 }, () => {
	expectEmail.itHasAnExpectationForEveryExample(fixtures, expectations);

	it.each(expectEmail.examplePayloads(fixtures))("%s: 200 applied, one round trip, its row", async (file, fixture) => {
		const ns = emailNamespace();
		const event = namespacedResend(fixture, ns);
		const id = svixId(ns);
		const delivered = await deliver(resendRequest(event, { id }));
		expectEmail.applied(delivered, { provider: "resend", eventType: event.type, eventId: id });

		const expected = expectations[file] as (typeof expectations)[string];
		const recipient = event.data.to[0] as string;
		const when = event.created_at as string;
		await expectEmail.onlyMessage(
			ns,
			{ provider: "resend", providerMessageId: event.data.email_id, recipient, status: expected.status, at: when },
			{ subject: "Sending this example", ...expected.facts },
		);
		await expectEmail.suppression(ns, expected.suppression, {
			address: recipient,
			provider: "resend",
			at: when,
			eventId: id,
		});
		expect(await ledgerIn(ns)).toMatchObject([
			{ provider: "resend", eventId: id, eventType: event.type, status: "processed", attempts: 1, lastError: null },
		]);
	});

	it("all of them about one message, newest first: one row, every fact, the hard bounce on top", async () => {
		const ns = emailNamespace();
		const events = expectEmail
			.examplePayloads(fixtures)
			.map(([file, fixture]) => ({ file, event: namespacedResend(fixture, ns) }))
			.sort((a, b) => ((a.event.created_at as string) < (b.event.created_at as string) ? 1 : -1));
		for (const { file, event } of events) {
			const delivered = await deliver(resendRequest(event, { id: svixId(ns, file) }));
			expect(delivered.body).toEqual({ received: true, outcome: "applied" });
			expect(delivered.databaseRequests).toHaveLength(1);
		}
		const messageId = events[0]?.event.data.email_id;
		expect(await messagesIn(ns)).toEqual([
			{
				...emptyMessage,
				provider: "resend",
				providerMessageId: messageId,
				// the least address any event gave (each example names its own)
				recipient: `${ns}.bounced@resend.dev`,
				subject: "Sending this example",
				status: "bounced",
				sentAt: "2024-02-22T23:41:12.126Z",
				deliveredAt: "2024-02-22T23:41:12.126Z",
				delayedAt: "2024-02-22T23:51:12.126Z",
				complainedAt: "2024-02-23T08:15:00.000Z",
				firstOpenedAt: "2024-02-23T09:01:44.812Z",
				lastOpenedAt: "2024-02-23T09:01:44.812Z",
				openCount: 1,
				clickCount: 1,
				bouncedAt: "2024-11-22T23:41:12.126Z",
				bounceType: "hard",
				firstEventAt: "2024-02-22T23:41:12.126Z",
				lastEventAt: "2024-11-22T23:41:12.126Z",
			},
		]);
		expect((await suppressionsIn(ns)).map((s) => [s.address, s.reason, s.reasonEventId])).toEqual([
			[`${ns}.bounced@resend.dev`, "hard_bounce", svixId(ns, "email.bounced.json")],
			[`${ns}.complained@resend.dev`, "complaint", svixId(ns, "email.complained.json")],
		]);
	});
});

describe("duplicates and order", { timeout: 30_000 }, () => {
	it("the same delivery again (same svix-id) is a duplicate: 200, nothing changes, one round trip", async () => {
		const ns = emailNamespace();
		const event = resendEvent({ type: "email.opened", emailId: `${ns}-m`, to: addressIn(ns), at: at(10) });
		const first = await deliver(resendRequest(event, { id: svixId(ns) }));
		expect(first.body).toEqual({ received: true, outcome: "applied" });
		const before = await writtenUnder(ns);

		const again = await deliver(resendRequest(event, { id: svixId(ns) }));
		await expectEmail.duplicate(again, ns, before);
		expect(webhookLine(again)).toMatchObject({ event_id: svixId(ns), outcome: "duplicate", status: 200 });
		expect((await messagesIn(ns))[0]?.openCount).toBe(1);
	});

	it("an open before its delivery: opened, delivered_at set, one open; a second open counts, its redelivery does not", async () => {
		const ns = emailNamespace();
		const spec = { emailId: `${ns}-m`, to: addressIn(ns) };
		const open = resendEvent({ ...spec, type: "email.opened", at: at(60) });
		expect((await deliver(resendRequest(open, { id: svixId(ns, "open1") }))).body.outcome).toBe("applied");
		expect((await messagesIn(ns))[0]).toMatchObject({ status: "opened", deliveredAt: null, openCount: 1 });

		const delivery = resendEvent({ ...spec, type: "email.delivered", at: at(5) });
		expect((await deliver(resendRequest(delivery, { id: svixId(ns, "delivered") }))).body.outcome).toBe("applied");
		expect((await messagesIn(ns))[0]).toMatchObject({
			status: "opened",
			deliveredAt: at(5),
			firstOpenedAt: at(60),
			lastOpenedAt: at(60),
			openCount: 1,
			firstEventAt: at(5),
			lastEventAt: at(60),
		});

		const secondOpen = resendEvent({ ...spec, type: "email.opened", at: at(30) });
		expect((await deliver(resendRequest(secondOpen, { id: svixId(ns, "open2") }))).body.outcome).toBe("applied");
		expect((await deliver(resendRequest(open, { id: svixId(ns, "open1") }))).body.outcome).toBe("duplicate");
		expect((await messagesIn(ns))[0]).toMatchObject({
			status: "opened",
			openCount: 2,
			firstOpenedAt: at(30),
			lastOpenedAt: at(60),
		});
	});

	it("a bounce after a delivery wins; a later delivery report does not lower it (stale)", async () => {
		const ns = emailNamespace();
		const spec = { emailId: `${ns}-m`, to: addressIn(ns) };
		await deliver(
			resendRequest(resendEvent({ ...spec, type: "email.delivered", at: at(1) }), { id: svixId(ns, "d1") }),
		);
		await deliver(resendRequest(resendEvent({ ...spec, type: "email.bounced", at: at(9) }), { id: svixId(ns, "b") }));
		const late = await deliver(
			resendRequest(resendEvent({ ...spec, type: "email.delivered", at: at(5) }), { id: svixId(ns, "d2") }),
		);
		expect(late.body).toEqual({ received: true, outcome: "stale" });
		expect((await messagesIn(ns))[0]).toMatchObject({ status: "bounced", bounceType: "hard", deliveredAt: at(1) });
	});
});

describe("bounces, complaints and the user's email_status", { timeout: 30_000 }, () => {
	it("a hard bounce suppresses the address and marks the user whose email it is (any case) invalid", async () => {
		const ns = emailNamespace();
		await createUser(`${ns}_ada`, `${ns}.Ada@EXAMPLE.org`);
		await createUser(`${ns}_bob`, addressIn(ns, "bob"));
		const bounce = resendEvent({
			type: "email.bounced",
			emailId: `${ns}-m`,
			to: `${ns}.ADA@example.ORG`,
			at: at(7),
			bounceType: "Permanent",
		});
		const delivered = await deliver(resendRequest(bounce, { id: svixId(ns) }));
		expect(delivered.status).toBe(200);
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		expect(delivered.databaseRequests).toHaveLength(1);
		expect(delivered.logText).not.toMatch(anEmailAddress);

		expect(await usersIn(ns)).toEqual([
			{ id: `${ns}_ada`, email: `${ns}.Ada@EXAMPLE.org`, emailStatus: "invalid" },
			{ id: `${ns}_bob`, email: addressIn(ns, "bob"), emailStatus: null },
		]);
		expect(await suppressionsIn(ns)).toEqual([
			{
				address: addressIn(ns),
				reason: "hard_bounce",
				provider: "resend",
				firstAt: at(7),
				lastAt: at(7),
				reasonEventAt: at(7),
				reasonEventId: svixId(ns),
			},
		]);
		expect((await messagesIn(ns))[0]).toMatchObject({
			recipient: addressIn(ns),
			status: "bounced",
			bounceType: "hard",
		});
		// the ledger knows whom the event is about (the user with that address)
		expect(await ledgerIn(ns)).toMatchObject([{ subjectUserId: `${ns}_ada` }]);
	});

	it("a complaint marks the user complained and suppresses the address", async () => {
		const ns = emailNamespace();
		await createUser(`${ns}_ada`, addressIn(ns));
		const complaint = resendEvent({ type: "email.complained", emailId: `${ns}-m`, to: addressIn(ns), at: at(3) });
		expect((await deliver(resendRequest(complaint, { id: svixId(ns) }))).body.outcome).toBe("applied");
		expect((await usersIn(ns))[0]?.emailStatus).toBe("complained");
		expect(await suppressionsIn(ns)).toMatchObject([
			{ address: addressIn(ns), reason: "complaint", provider: "resend" },
		]);
		expect((await messagesIn(ns))[0]).toMatchObject({ status: "complained", complainedAt: at(3) });
	});

	it.each(["Transient", "Undetermined"])(
		"a soft bounce (%s) is counted, nothing more: no suppression, the user unmarked",
		async (bounceType) => {
			const ns = emailNamespace();
			await createUser(`${ns}_ada`, addressIn(ns));
			const spec = { type: "email.bounced", emailId: `${ns}-m`, to: addressIn(ns), bounceType };
			expect((await deliver(resendRequest(resendEvent({ ...spec, at: at(1) }), { id: svixId(ns, "1") }))).status).toBe(
				200,
			);
			await deliver(resendRequest(resendEvent({ ...spec, at: at(2) }), { id: svixId(ns, "2") }));
			expect((await messagesIn(ns))[0]).toMatchObject({
				status: "bounced",
				bounceType: "soft",
				softBounceCount: 2,
				bouncedAt: at(1),
			});
			expect(await suppressionsIn(ns)).toEqual([]);
			expect((await usersIn(ns))[0]?.emailStatus).toBeNull();
		},
	);

	it("a bounce of a message to several recipients suppresses none of them (the event does not say which)", async () => {
		const ns = emailNamespace();
		await createUser(`${ns}_ada`, addressIn(ns));
		const bounce = resendEvent({
			type: "email.bounced",
			emailId: `${ns}-m`,
			to: [addressIn(ns), addressIn(ns, "bob")],
			at: at(1),
		});
		expect((await deliver(resendRequest(bounce, { id: svixId(ns) }))).body.outcome).toBe("applied");
		expect((await messagesIn(ns))[0]).toMatchObject({ recipient: null, status: "bounced", bounceType: "hard" });
		expect(await suppressionsIn(ns)).toEqual([]);
		expect((await usersIn(ns))[0]?.emailStatus).toBeNull();
	});

	it("tags name the order and the user (an object, or the send API's [{name, value}])", async () => {
		const ns = emailNamespace();
		const asObject = resendEvent({
			type: "email.delivered",
			emailId: `${ns}-m1`,
			to: addressIn(ns),
			at: at(1),
			tags: { order_id: `${ns}_order`, user_id: `${ns}_user`, category: "confirm_email" },
		});
		const asArray = resendEvent({
			type: "email.delivered",
			emailId: `${ns}-m2`,
			to: addressIn(ns),
			at: at(1),
			tags: [
				{ name: "order_id", value: `${ns}_order2` },
				{ name: "user_id", value: `${ns}_user` },
			],
		});
		await deliver(resendRequest(asObject, { id: svixId(ns, "1") }));
		await deliver(resendRequest(asArray, { id: svixId(ns, "2") }));
		expect((await messagesIn(ns)).map((m) => [m.providerMessageId, m.orderId, m.userId])).toEqual([
			[`${ns}-m1`, `${ns}_order`, `${ns}_user`],
			[`${ns}-m2`, `${ns}_order2`, `${ns}_user`],
		]);
		expect((await ledgerIn(ns)).map((row) => row.subjectUserId)).toEqual([`${ns}_user`, `${ns}_user`]);
	});
});

describe("types we do not handle, events we cannot read", { timeout: 30_000 }, () => {
	it.each([
		[
			"email.scheduled",
			(ns: string) => resendEvent({ type: "email.scheduled", emailId: `${ns}-m`, to: addressIn(ns), at: at(1) }),
		],
		[
			"contact.created",
			(ns: string) => ({ type: "contact.created", created_at: at(1), data: { id: `${ns}-c`, email: addressIn(ns) } }),
		],
		["domain.updated (no data)", () => ({ type: "domain.updated" })],
	])("%s: 200 ignored, recorded ignored, no message", async (_, build) => {
		const ns = emailNamespace();
		const event = build(ns);
		const delivered = await deliver(resendRequest(event, { id: svixId(ns) }));
		expectEmail.ignored(delivered);
		expect(webhookLine(delivered)).toMatchObject({ outcome: "ignored", event_type: event.type, event_id: svixId(ns) });
		expect(await ledgerIn(ns)).toMatchObject([{ status: "ignored", eventType: event.type }]);
		expect(await messagesIn(ns)).toEqual([]);
		expect(delivered.logText).not.toMatch(anEmailAddress);
	});

	it.each([
		[
			"a created_at that is no date",
			(ns: string) => ({
				...resendEvent({ type: "email.delivered", emailId: `${ns}-m`, to: addressIn(ns), at: at(1) }),
				created_at: `tuesday ${ns}.secret@example.org`,
			}),
			"created_at",
		],
		[
			"`to` a string, not an array",
			(ns: string) => {
				const event = resendEvent({ type: "email.bounced", emailId: `${ns}-m`, to: addressIn(ns), at: at(1) });
				(event.data as Record<string, unknown>).to = `${ns}.secret@example.org`;
				return event;
			},
			"data.to",
		],
		[
			"no email_id",
			(ns: string) => {
				const event = resendEvent({
					type: "email.opened",
					emailId: `${ns}-m`,
					to: `${ns}.secret@example.org`,
					at: at(1),
				});
				delete (event.data as Record<string, unknown>).email_id;
				return event;
			},
			"data.email_id",
		],
	])(
		"%s: 200 failed, recorded failed with a reason naming the path, no value in the reason or logs",
		async (_, build, path) => {
			const ns = emailNamespace();
			const delivered = await deliver(resendRequest(build(ns), { id: svixId(ns) }));
			expectEmail.unreadable(delivered, { event_id: svixId(ns) }, path);
			const [row] = await ledgerIn(ns);
			expect(row).toMatchObject({ status: "failed" });
			expect(row?.lastError).toContain(path);
			expectEmail.noValueQuoted([row?.lastError ?? "", delivered.logText], ["secret", "tuesday"]);
			expect(await messagesIn(ns)).toEqual([]);
		},
	);
});

describe("signatures", { timeout: 30_000 }, () => {
	it("a wrong secret: 401 signature_mismatch, nothing written, no round trip", async () => {
		const ns = emailNamespace();
		await createUser(`${ns}_ada`, addressIn(ns));
		const bounce = resendEvent({ type: "email.bounced", emailId: `${ns}-m`, to: addressIn(ns), at: at(1) });
		const delivered = await deliver(
			resendRequest(bounce, { id: svixId(ns), secret: "whsec_d3JvbmctcmVzZW5kLXNlY3JldC0wMDAwMDAwMDA=" }),
		);
		expectEmail.refused(delivered, 401, "signature_mismatch");
		expect(webhookLine(delivered)).toMatchObject({ level: "warn", outcome: "rejected", reason: "signature_mismatch" });
		await expectEmail.nothingWritten(ns, [{ id: `${ns}_ada`, email: addressIn(ns), emailStatus: null }]);
	});

	it("the previous secret (rotation) is accepted", async () => {
		const ns = emailNamespace();
		const event = resendEvent({ type: "email.delivered", emailId: `${ns}-m`, to: addressIn(ns), at: at(1) });
		const delivered = await deliver(resendRequest(event, { id: svixId(ns), secret: resendPreviousSecret }));
		expect(delivered.body).toEqual({ received: true, outcome: "applied" });
	});

	it("signed 10 minutes ago: 401 timestamp_outside_tolerance, nothing written", async () => {
		const ns = emailNamespace();
		const event = resendEvent({ type: "email.delivered", emailId: `${ns}-m`, to: addressIn(ns), at: at(1) });
		const delivered = await deliver(resendRequest(event, { id: svixId(ns), at: new Date(Date.now() - 600_000) }));
		expect(delivered.status).toBe(401);
		expect(delivered.body).toMatchObject({ error: "timestamp_outside_tolerance" });
		expect(await ledgerIn(ns)).toEqual([]);
	});

	it("no signature headers: 401 missing_signature_headers", async () => {
		const ns = emailNamespace();
		const request = resendRequest(
			resendEvent({ type: "email.sent", emailId: `${ns}-m`, to: addressIn(ns), at: at(1) }),
		);
		const bare = new Request(request.url, { method: "POST", body: await request.text() });
		const delivered = await deliver(bare);
		expect(delivered.status).toBe(401);
		expect(delivered.body).toMatchObject({ error: "missing_signature_headers" });
		expect(await messagesIn(ns)).toEqual([]);
	});
});

describe("privacy: a Clerk user.deleted", { timeout: 30_000 }, () => {
	it("erases recipient and subject of the user's messages (found by address and by tag), keeps the suppression", async () => {
		const ns = emailNamespace();
		const userId = `${ns}_ada`;
		await createUser(userId, `${ns}.Ada@example.org`);
		const to = addressIn(ns);
		const sent = [
			resendEvent({ type: "email.delivered", emailId: `${ns}-m1`, to, at: at(1), subject: "Your order" }),
			resendEvent({ type: "email.bounced", emailId: `${ns}-m2`, to, at: at(2), subject: "Shipped" }),
			resendEvent({
				type: "email.delivered",
				emailId: `${ns}-m3`,
				to: addressIn(ns, "work"),
				at: at(3),
				subject: "Receipt",
				tags: { user_id: userId },
			}),
			resendEvent({ type: "email.delivered", emailId: `${ns}-m4`, to: addressIn(ns, "bob"), at: at(4), subject: "Hi" }),
		];
		for (const [n, event] of sent.entries()) await deliver(resendRequest(event, { id: svixId(ns, `e${n}`) }));
		expect((await usersIn(ns))[0]?.emailStatus).toBe("invalid");

		const deletion = await deliver(clerkRequest(userDeletedEvent(userId, T0 + 10_000), { id: svixId(ns, "deleted") }));
		expect(deletion.body).toEqual({ received: true, outcome: "applied" });
		expect(deletion.databaseRequests).toHaveLength(1);

		const messages = await messagesIn(ns);
		expect(messages.map((m) => [m.providerMessageId, m.recipient, m.subject, m.erasedAt !== null])).toEqual([
			[`${ns}-m1`, null, null, true],
			[`${ns}-m2`, null, null, true],
			[`${ns}-m3`, null, null, true],
			[`${ns}-m4`, addressIn(ns, "bob"), "Hi", false],
		]);
		// the analytics stay
		expect(messages.map((m) => m.status)).toEqual(["delivered", "bounced", "delivered", "delivered"]);
		// the address stays unmailable
		expect(await suppressionsIn(ns)).toMatchObject([{ address: to, reason: "hard_bounce" }]);
		// the ledger payloads of the user's email events lose the address too
		for (const n of [0, 1, 2]) {
			const [row] = await ledgerRecord("resend", svixId(ns, `e${n}`));
			expect(row?.erasedAt).not.toBeNull();
			expect(row?.payload).not.toMatch(anEmailAddress);
		}

		// a later event about an erased message never fills it again
		const open = resendEvent({ type: "email.opened", emailId: `${ns}-m1`, to, at: at(20), subject: "Your order" });
		expect((await deliver(resendRequest(open, { id: svixId(ns, "late") }))).body.outcome).toBe("applied");
		expect((await messagesIn(ns))[0]).toMatchObject({ recipient: null, subject: null, status: "opened", openCount: 1 });
		// … and its ledger row is about the deleted user: stored erased, without the address
		const [late] = await ledgerRecord("resend", svixId(ns, "late"));
		expect(late?.erasedAt).not.toBeNull();
		expect(late?.payload).not.toMatch(anEmailAddress);
	});
});
