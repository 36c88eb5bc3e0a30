/**
 * Issue 9, item 7: the email domain (src/domain/emails.ts), applied straight through `db.batch`
 * behind the real ledger guard (the HTTP pipeline is tested with the providers). Every column is a
 * function of the set of events: an open before its delivery still counts, a bounce after a delivery
 * wins, counts never double; a hard bounce or a complaint suppresses the address and marks its users.
 */
import { eq, sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emailDailyStats, emailMessages, users } from "../../src/db/schema";
import type { EmailEvent } from "../../src/domain/email-events";
import { eraseEmailPersonalData } from "../../src/domain/email-privacy";
import { applyEmailEvent, emailEventSubject } from "../../src/domain/emails";
import { tombstoneUser, upsertUser } from "../../src/domain/users";
import { deliveryOrder, inEveryOrder, namespace } from "../support/converge";
import {
	applyInOneBatch,
	type EmailSpec,
	emailEvent,
	emailRows,
	expectedRows,
	messageRow,
	type Reported,
	suppressionRows,
	T0,
} from "../support/email-domain";
import { propertyOptions } from "../support/property";
import { testDb } from "../support/rows";

const when = (seconds: number) => new Date(T0 + seconds * 1000);

/** A fresh namespace and its provider name (so that the view's rows of a test are its own). */
function fresh() {
	const ns = namespace();
	return { ns, provider: `${ns}mail` };
}

/** Applies the specs one batch each, in `order`; resolves to the rows and the answers. */
async function oneByOne(specs: EmailSpec[], order: number[], setup?: (ns: string) => Promise<void>) {
	const { ns, provider } = fresh();
	await setup?.(ns);
	const outcomes: string[] = [];
	for (const i of order) outcomes.push(...(await applyInOneBatch(provider, [emailEvent(specs[i] as EmailSpec, ns)])));
	const rows = await emailRows(ns);
	return { ns, provider, outcomes, row: JSON.parse(JSON.stringify(rows).replaceAll(ns, "~")) };
}

async function createUser(id: string, email: string | null) {
	await testDb().insert(users).values({ id, email });
}

describe("a message's status and facts", () => {
	it("an open before its delivery still counts: opened, delivered_at set, one open", async () => {
		const specs: EmailSpec[] = [
			{ id: "d", kind: "delivered", at: 10 },
			{ id: "o", kind: "opened", at: 20 },
		];
		const runs = await inEveryOrder(2, (order) => oneByOne(specs, order));
		expect(runs.map((r) => r.outcomes)).toEqual([
			["applied", "applied"],
			["applied", "applied"],
		]);
		expect(runs[0]?.row.messages[0]).toMatchObject({
			status: "opened",
			deliveredAt: when(10).toISOString(),
			firstOpenedAt: when(20).toISOString(),
			lastOpenedAt: when(20).toISOString(),
			openCount: 1,
			firstEventAt: when(10).toISOString(),
			lastEventAt: when(20).toISOString(),
		});
	});

	it("a bounce after a delivery wins, in either order; the delivery stays recorded", async () => {
		const specs: EmailSpec[] = [
			{ id: "s", kind: "sent", at: 0 },
			{ id: "d", kind: "delivered", at: 10 },
			{ id: "b", kind: "bounced", bounceType: "hard", at: 30 },
		];
		const runs = await inEveryOrder(3, (order) => oneByOne(specs, order));
		expect(runs[0]?.row.messages[0]).toMatchObject({
			status: "bounced",
			bounceType: "hard",
			sentAt: when(0).toISOString(),
			deliveredAt: when(10).toISOString(),
			bouncedAt: when(30).toISOString(),
		});
	});

	it("events of the same instant: the rank decides, not the arrival", { timeout: 60_000 }, async () => {
		const specs: EmailSpec[] = [
			{ id: "a", kind: "clicked", at: 5 },
			{ id: "b", kind: "opened", at: 5 },
			{ id: "c", kind: "delivered", at: 5 },
			{ id: "d", kind: "delayed", at: 5 },
		];
		const runs = await inEveryOrder(4, (order) => oneByOne(specs, order));
		expect(runs[0]?.row.messages[0]).toMatchObject({ status: "clicked", openCount: 1, clickCount: 1 });
	});

	it("each status, alone and under the next one up", async () => {
		const ladder: [EmailSpec, string][] = [
			[{ id: "1", kind: "sent", at: 0 }, "sent"],
			[{ id: "2", kind: "delayed", at: 1 }, "delayed"],
			[{ id: "3", kind: "bounced", bounceType: "soft", at: 2 }, "bounced"],
			[{ id: "4", kind: "delivered", at: 3 }, "delivered"],
			[{ id: "5", kind: "opened", at: 4 }, "opened"],
			[{ id: "6", kind: "clicked", at: 5 }, "clicked"],
			[{ id: "7", kind: "failed", at: 6 }, "failed"],
			[{ id: "8", kind: "complained", at: 7 }, "complained"],
			[{ id: "9", kind: "bounced", bounceType: "hard", at: 8 }, "bounced"],
		];
		// climbing: each event raises the status; descending (highest first): none lowers it
		const { ns, provider } = fresh();
		for (const [spec, status] of ladder) {
			expect(await applyInOneBatch(provider, [emailEvent({ ...spec, message: "up" }, ns)])).toEqual(["applied"]);
			expect((await messageRow(provider, ns, "up"))?.status).toBe(status);
		}
		for (const [spec] of [...ladder].reverse())
			await applyInOneBatch(provider, [emailEvent({ ...spec, id: `down${spec.id}`, message: "down" }, ns)]);
		expect((await messageRow(provider, ns, "down"))?.status).toBe("bounced");
		expect((await messageRow(provider, ns, "down"))?.bounceType).toBe("hard");
		for (const [spec, status] of ladder) {
			await applyInOneBatch(provider, [emailEvent({ ...spec, id: `alone${spec.id}`, message: `alone${spec.id}` }, ns)]);
			expect((await messageRow(provider, ns, `alone${spec.id}`))?.status).toBe(status);
		}
	});

	it("a row the shop recorded (no event yet) is `sent`; the first event fills it", async () => {
		const { ns, provider } = fresh();
		await testDb()
			.insert(emailMessages)
			.values({ provider, providerMessageId: `${ns}msg`, recipient: `${ns}ada@example.org`, subject: "Your order" });
		expect((await messageRow(provider, ns))?.status).toBe("sent");
		await applyInOneBatch(provider, [emailEvent({ id: "d", kind: "delivered", at: 3, orderId: "order_1" }, ns)]);
		expect(await messageRow(provider, ns)).toMatchObject({
			status: "delivered",
			subject: "Your order",
			orderId: "order_1",
			deliveredAt: when(3),
		});
	});

	it("descriptive columns keep the least value any event gave; a null never erases one", async () => {
		const specs: EmailSpec[] = [
			{ id: "a", kind: "sent", at: 0, subject: "Shipped", orderId: "order_b", to: "ADA" },
			{ id: "b", kind: "delivered", at: 1, subject: "Confirmed", orderId: null, to: null },
			{ id: "c", kind: "opened", at: 2, subject: null, orderId: "order_a", userId: "user" },
		];
		const runs = await inEveryOrder(3, (order) => oneByOne(specs, order));
		expect(runs[0]?.row.messages[0]).toMatchObject({
			recipient: "~ada@example.org",
			subject: "Confirmed",
			orderId: "order_a",
			userId: "~user",
		});
	});
});

describe("counts never double", () => {
	it("a duplicate (the ledger knows it) changes nothing; each new open counts once", async () => {
		const { ns, provider } = fresh();
		const open = (id: string, at: number) => emailEvent({ id, kind: "opened", at }, ns);
		expect(await applyInOneBatch(provider, [open("1", 10)])).toEqual(["applied"]);
		const before = await messageRow(provider, ns);
		expect(await applyInOneBatch(provider, [open("1", 10)])).toEqual(["duplicate"]);
		expect(await messageRow(provider, ns)).toEqual(before);
		expect(await applyInOneBatch(provider, [open("2", 5), open("3", 30), open("1", 10)])).toEqual([
			"applied",
			"applied",
			"duplicate",
		]);
		expect(await messageRow(provider, ns)).toMatchObject({
			openCount: 3,
			firstOpenedAt: when(5),
			lastOpenedAt: when(30),
		});
	});

	it("with `onlyIf` false nothing is written, not even the message", async () => {
		const { ns, provider } = fresh();
		const db = testDb();
		const bounce = emailEvent({ id: "b", kind: "bounced", bounceType: "hard", at: 0 }, ns);
		const changes = applyEmailEvent(db, provider, bounce, sql`false`);
		expect(changes).toHaveLength(2);
		const results = (await db.batch(changes as [never])) as unknown[][];
		expect(results).toEqual([[], []]);
		expect(await messageRow(provider, ns)).toBeUndefined();
		expect(await suppressionRows([`${ns}ada@example.org`])).toEqual([]);
	});

	it("an event that changes nothing returns no row (stale)", async () => {
		const { ns, provider } = fresh();
		expect(
			await applyInOneBatch(provider, [
				emailEvent({ id: "d1", kind: "delivered", at: 10 }, ns),
				emailEvent({ id: "o", kind: "opened", at: 20 }, ns),
			]),
		).toEqual(["applied", "applied"]);
		// a later delivery report: delivered_at is the earliest, last_event_at already later
		expect(await applyInOneBatch(provider, [emailEvent({ id: "d2", kind: "delivered", at: 15 }, ns)])).toEqual([
			"stale",
		]);
		// a second hard bounce, later: the message does not change, but the suppression's last_at does
		await applyInOneBatch(provider, [emailEvent({ id: "b1", kind: "bounced", at: 30 }, ns)]);
		expect(
			await applyInOneBatch(provider, [emailEvent({ id: "b2", kind: "bounced", at: 25, message: "other" }, ns)]),
		).toEqual(["applied"]);
		expect(await applyInOneBatch(provider, [emailEvent({ id: "b3", kind: "bounced", at: 30 }, ns)])).toEqual(["stale"]);
	});
});

describe("suppressions and users.email_status", () => {
	it("a hard bounce suppresses the address and marks its user invalid, whatever the case", async () => {
		const { ns, provider } = fresh();
		await createUser(`${ns}ada`, `${ns}Ada@EXAMPLE.org`);
		await createUser(`${ns}bob`, `${ns}bob@example.org`);
		const bounce = emailEvent({ id: "b", kind: "bounced", bounceType: "hard", at: 7 }, ns);
		bounce.recipient = `  ${ns}ADA@Example.ORG `;
		expect(await applyInOneBatch(provider, [bounce])).toEqual(["applied"]);
		const rows = await emailRows(ns);
		expect(rows.suppressions).toEqual([
			{
				address: `${ns}ada@example.org`,
				reason: "hard_bounce",
				provider,
				firstAt: when(7).toISOString(),
				lastAt: when(7).toISOString(),
				reasonEventAt: when(7).toISOString(),
				reasonEventId: `${ns}ev_b`,
			},
		]);
		expect(rows.users.map((u) => [u.id, u.emailStatus])).toEqual([
			[`${ns}ada`, "invalid"],
			[`${ns}bob`, null],
		]);
		expect(rows.messages[0]).toMatchObject({ recipient: `${ns}ada@example.org`, status: "bounced" });
	});

	it("a complaint marks the user complained; with a hard bounce too, invalid in either order", async () => {
		const specs: EmailSpec[] = [
			{ id: "c", kind: "complained", at: 5, message: "m1" },
			{ id: "b", kind: "bounced", bounceType: "hard", at: 50, message: "m2" },
		];
		const setup = (ns: string) => createUser(`${ns}ada`, `${ns}ada@example.org`);
		const complaintOnly = await oneByOne(specs, [0], setup);
		expect(complaintOnly.row.users).toEqual([{ id: "~ada", email: "~ada@example.org", emailStatus: "complained" }]);
		expect(complaintOnly.row.suppressions[0]).toMatchObject({ reason: "complaint" });
		const runs = await inEveryOrder(2, (order) => oneByOne(specs, order, setup));
		expect(runs[0]?.row.users[0].emailStatus).toBe("invalid");
		expect(runs[0]?.row.suppressions).toEqual([
			{
				address: "~ada@example.org",
				reason: "hard_bounce",
				provider: "~mail",
				firstAt: when(5).toISOString(),
				lastAt: when(50).toISOString(),
				reasonEventAt: when(50).toISOString(),
				reasonEventId: "~ev_b",
			},
		]);
	});

	it("a soft bounce is counted, nothing more: no suppression, no user status", async () => {
		const { ns, provider } = fresh();
		await createUser(`${ns}ada`, `${ns}ada@example.org`);
		const soft = (id: string, at: number) => emailEvent({ id, kind: "bounced", bounceType: "soft", at }, ns);
		expect(await applyInOneBatch(provider, [soft("1", 1), soft("2", 2)])).toEqual(["applied", "applied"]);
		let rows = await emailRows(ns);
		expect(rows.messages[0]).toMatchObject({
			status: "bounced",
			bounceType: "soft",
			softBounceCount: 2,
			bouncedAt: when(1).toISOString(),
		});
		expect(rows.suppressions).toEqual([]);
		expect(rows.users[0]?.emailStatus).toBeNull();
		// then delivered after all (the provider retried): delivered, the soft bounces still counted
		await applyInOneBatch(provider, [emailEvent({ id: "d", kind: "delivered", at: 3 }, ns)]);
		rows = await emailRows(ns);
		expect(rows.messages[0]).toMatchObject({ status: "delivered", bounceType: "soft", softBounceCount: 2 });
		// a hard bounce then: bounced_at is the hard bounce's
		await applyInOneBatch(provider, [emailEvent({ id: "h", kind: "bounced", bounceType: "hard", at: 9 }, ns)]);
		rows = await emailRows(ns);
		expect(rows.messages[0]).toMatchObject({ status: "bounced", bounceType: "hard", bouncedAt: when(9).toISOString() });
		expect(rows.users[0]?.emailStatus).toBe("invalid");
	});

	it("a bounce of unknown type is hard", async () => {
		const { ns, provider } = fresh();
		await applyInOneBatch(provider, [emailEvent({ id: "b", kind: "bounced", bounceType: null, at: 0 }, ns)]);
		expect((await emailRows(ns)).suppressions[0]?.reason).toBe("hard_bounce");
	});

	it("the user's status follows their address, whichever came first (trigger users_email_status)", async () => {
		const { ns, provider } = fresh();
		const db = testDb();
		const snapshot = (email: string | null, updated: number) => ({
			id: `${ns}ada`,
			email,
			emailVerified: true,
			firstName: "Ada",
			lastName: null,
			username: null,
			imageUrl: null,
			createdAt: when(0),
			updatedAt: when(updated),
		});
		const status = async () =>
			(
				await db
					.select({ s: users.emailStatus })
					.from(users)
					.where(eq(users.id, `${ns}ada`))
			)[0]?.s;
		// the bounce before the user exists
		await applyInOneBatch(provider, [emailEvent({ id: "b", kind: "bounced", at: 0 }, ns)]);
		await db.batch([upsertUser(db, snapshot(`${ns}ADA@example.org`, 1), { id: "e1", at: when(1) }, sql`true`)]);
		expect(await status()).toBe("invalid");
		// a new address: nothing known against it
		await db.batch([upsertUser(db, snapshot(`${ns}ada.new@example.org`, 2), { id: "e2", at: when(2) }, sql`true`)]);
		expect(await status()).toBeNull();
		// back to the bounced one; a complaint about it changes nothing (the hard bounce wins)
		await db.batch([upsertUser(db, snapshot(`${ns}ada@example.org`, 3), { id: "e3", at: when(3) }, sql`true`)]);
		await applyInOneBatch(provider, [emailEvent({ id: "c", kind: "complained", at: 4 }, ns)]);
		expect(await status()).toBe("invalid");
		// a tombstone has no email, so no status
		await db.batch([tombstoneUser(db, `${ns}ada`, { id: "e4", at: when(4) }, sql`true`)]);
		expect(await status()).toBeNull();
	});

	it("several users with the address (any case) are all marked", async () => {
		const { ns, provider } = fresh();
		await createUser(`${ns}u1`, `${ns}ada@example.org`);
		await createUser(`${ns}u2`, `${ns}ADA@example.org`);
		await createUser(`${ns}u3`, null);
		await applyInOneBatch(provider, [emailEvent({ id: "c", kind: "complained", at: 0 }, ns)]);
		const rows = await emailRows(ns);
		expect(rows.users.map((u) => u.emailStatus)).toEqual(["complained", "complained", null]);
	});
});

describe("convergence", () => {
	it("one instant, two messages to one address, every kind of tie: all 120 orders end alike", {
		timeout: 120_000,
	}, async () => {
		const specs: EmailSpec[] = [
			{ id: "a", kind: "delivered", at: 10, message: "m1", subject: "Order" },
			{ id: "b", kind: "opened", at: 10, message: "m1" },
			{ id: "c", kind: "bounced", bounceType: "soft", at: 10, message: "m1", to: "ADA" },
			{ id: "d", kind: "bounced", bounceType: "hard", at: 10, message: "m2" },
			{ id: "e", kind: "complained", at: 10, message: "m1", subject: "Invoice" },
		];
		const setup = (ns: string) => createUser(`${ns}ada`, `${ns}Ada@example.org`);
		const runs = await inEveryOrder(5, (order) => oneByOne(specs, order, setup));
		const { row } = runs[0] ?? { row: null };
		expect(row.messages.map((m: { status: string }) => m.status)).toEqual(["complained", "bounced"]);
		expect(row.suppressions[0]).toMatchObject({ reason: "hard_bounce", reasonEventId: "~ev_d" });
		expect(row.users[0].emailStatus).toBe("invalid");
		// every order ends in the rows the model computes from the set alone
		const ns = "~";
		expect(row).toMatchObject(expectedRows(specs.map((s) => ({ provider: "~mail", event: emailEvent(s, ns) }))));
	});

	it("two hard bounces of one instant: the suppression names the least event id", async () => {
		const specs: EmailSpec[] = [
			{ id: "z", kind: "bounced", at: 0, message: "m1" },
			{ id: "y", kind: "bounced", at: 0, message: "m2" },
			{ id: "x", kind: "complained", at: -5, message: "m3" },
		];
		const runs = await inEveryOrder(3, (order) => oneByOne(specs, order));
		expect(runs[0]?.row.suppressions[0]).toMatchObject({
			reason: "hard_bounce",
			reasonEventId: "~ev_y",
			firstAt: when(-5).toISOString(),
		});
	});

	const kinds = ["sent", "delivered", "delayed", "bounced", "complained", "opened", "clicked", "failed"] as const;
	const specArbitrary = fc.record({
		kind: fc.constantFrom(...kinds),
		at: fc.constantFrom(0, 10, 20),
		message: fc.constantFrom("m1", "m2"),
		to: fc.constantFrom("ada", "ADA", "bob", null),
		bounceType: fc.constantFrom("hard", "soft", null),
		subject: fc.constantFrom(null, "Order", "Invoice"),
		orderId: fc.constantFrom(null, "order_a", "order_b"),
		// two providers: a shop that changed provider reports one address through both (the queue's
		// consumer batches deliveries of several providers together)
		provider: fc.constantFrom("mail_a", "mail_b"),
	});
	type Spec = EmailSpec & { provider: string };
	const specSet = fc
		.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z0-9]{1,4}$/), specArbitrary), {
			minLength: 1,
			maxLength: 8,
			selector: ([id]) => id,
		})
		.map((items) => items.map(([id, spec]) => ({ ...spec, id }) as Spec));
	const options = propertyOptions(15);

	it(
		"property: any set, any order, any batching, duplicates included, ends in the model's rows",
		async () => {
			await fc.assert(
				fc.asyncProperty(
					specSet.chain((specs) =>
						fc.tuple(
							fc.constant(specs),
							deliveryOrder(specs.length),
							fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 12, maxLength: 12 }),
						),
					),
					async ([specs, order, sizes]) => {
						const ns = namespace();
						await createUser(`${ns}ada`, `${ns}ADA@example.org`);
						await createUser(`${ns}bob`, `${ns}bob@example.org`);
						const reported = specs.map((spec) => ({ provider: `${ns}${spec.provider}`, event: emailEvent(spec, ns) }));
						const problems: string[] = [];
						let before = await emailRows(ns);
						// cut the delivery order into batches; a repeat within a batch is dropped (the pipeline does)
						for (let i = 0, k = 0; i < order.length; k++) {
							const size = sizes[k % sizes.length] ?? 1;
							const batch = [...new Set(order.slice(i, i + size))];
							i += size;
							const outcomes = await applyInOneBatch(
								null,
								batch.map((n) => reported[n] as Reported),
							);
							const after = await emailRows(ns);
							// one event alone: `applied` exactly when it changed a row
							if (batch.length === 1 && outcomes[0] !== "duplicate") {
								const changed = JSON.stringify(after) !== JSON.stringify(before);
								if (changed !== (outcomes[0] === "applied"))
									problems.push(`event ${batch[0]}: ${outcomes[0]}, changed ${changed}`);
							}
							before = after;
						}
						expect(problems).toEqual([]);
						const expected = expectedRows(reported);
						expect(before.messages).toEqual(expected.messages);
						expect(before.suppressions).toEqual(expected.suppressions);
						const statusOf = (address: string) => {
							const reason = expected.suppressions.find((s) => s.address === address)?.reason;
							return reason === "hard_bounce" ? "invalid" : reason === "complaint" ? "complained" : null;
						};
						expect(before.users.map((u) => u.emailStatus)).toEqual([
							statusOf(`${ns}ada@example.org`),
							statusOf(`${ns}bob@example.org`),
						]);
					},
				),
				options,
			);
		},
		30_000 + options.numRuns * 3_000,
	);
});

describe("a SendGrid-sized batch", () => {
	it("1,000 events (several per message, shuffled) in one db.batch, behind the ledger guard", {
		timeout: 120_000,
	}, async () => {
		const { ns, provider } = fresh();
		await createUser(`${ns}bounced`, `${ns}R2@example.org`);
		// 200 messages × 5 events: sent, delivered, two opens and a click; every 25th a hard bounce instead
		// of its click; recipients r0…r4
		const events: EmailEvent[] = [];
		for (let m = 0; m < 200; m++) {
			const to = `r${m % 5}`;
			const base = { message: `m${m}`, to };
			const last: Omit<EmailSpec, "id"> =
				m % 25 === 7
					? { kind: "bounced", bounceType: "hard", at: m + 40, ...base }
					: { kind: "clicked", at: m + 40, ...base };
			for (const [n, spec] of [
				{ kind: "sent", at: m, ...base },
				{ kind: "delivered", at: m + 5, ...base },
				{ kind: "opened", at: m + 20, ...base },
				{ kind: "opened", at: m + 30, ...base },
				last,
			].entries())
				events.push(emailEvent({ ...(spec as EmailSpec), id: `${m}_${n}` }, ns));
		}
		// a seeded shuffle: opens and bounces often come before their delivery
		let seed = 20261130;
		const random = () => {
			seed = (seed * 1103515245 + 12345) % 2 ** 31;
			return seed / 2 ** 31;
		};
		for (let i = events.length - 1; i > 0; i--) {
			const j = Math.floor(random() * (i + 1));
			[events[i], events[j]] = [events[j] as EmailEvent, events[i] as EmailEvent];
		}
		expect(events).toHaveLength(1000);

		const started = Date.now();
		const outcomes = await applyInOneBatch(provider, events);
		const elapsed = Date.now() - started;
		console.log(`1,000 email events in one db.batch: ${elapsed} ms`);
		expect(outcomes.filter((o) => o === "applied")).toHaveLength(1000);

		const rows = await emailRows(ns);
		expect(rows.messages).toEqual(expectedRows(events.map((event) => ({ provider, event }))).messages);
		expect(rows.messages.filter((m) => m.status === "clicked")).toHaveLength(192);
		expect(rows.messages.filter((m) => m.status === "bounced")).toHaveLength(8);
		expect(rows.messages.every((m) => m.openCount === 2)).toBe(true);
		// m7, m32, … all went to r2
		expect(rows.suppressions.map((s) => [s.address, s.reason])).toEqual([[`${ns}r2@example.org`, "hard_bounce"]]);
		expect(rows.users[0]?.emailStatus).toBe("invalid");

		// the same batch again: every event a duplicate, nothing changed
		expect(new Set(await applyInOneBatch(provider, events))).toEqual(new Set(["duplicate"]));
		expect(await emailRows(ns)).toEqual(rows);
	});
});

describe("email_daily_stats", () => {
	it("counts each message on its first event's day (UTC)", async () => {
		const { ns, provider } = fresh();
		const day = 86_400;
		const specs: EmailSpec[] = [
			// day 0: m1 delivered, opened twice (the second open on day 2), clicked once
			{ id: "1", kind: "sent", at: 0, message: "m1" },
			{ id: "2", kind: "delivered", at: 1, message: "m1" },
			{ id: "3", kind: "opened", at: 2, message: "m1" },
			{ id: "4", kind: "opened", at: 2 * day, message: "m1" },
			{ id: "5", kind: "clicked", at: 3, message: "m1" },
			// day 0: m2 hard-bounced; m3 failed; m4 soft-bounced
			{ id: "6", kind: "bounced", bounceType: "hard", at: 10, message: "m2" },
			{ id: "7", kind: "failed", at: 10, message: "m3" },
			{ id: "8", kind: "bounced", bounceType: "soft", at: 10, message: "m4" },
			// day 1: m5 delivered, complained (its open arrives first, with an earlier time: day 0 then)
			{ id: "9", kind: "delivered", at: day + 5, message: "m5" },
			{ id: "10", kind: "complained", at: day + 50, message: "m5" },
			// day 1: m6 delivered
			{ id: "11", kind: "delivered", at: day + 60, message: "m6" },
		];
		await applyInOneBatch(
			provider,
			specs.map((s) => emailEvent(s, ns)),
		);
		const stats = await testDb().select().from(emailDailyStats).where(eq(emailDailyStats.provider, provider));
		const sorted = stats.sort((a, b) => (a.day < b.day ? -1 : 1));
		const base = { provider, bounced: 0, softBounced: 0, complained: 0, failed: 0, uniqueOpens: 0, opens: 0 };
		expect(sorted).toEqual([
			{
				...base,
				day: "2026-06-01",
				sent: 3,
				delivered: 1,
				bounced: 1,
				softBounced: 1,
				failed: 1,
				uniqueOpens: 1,
				opens: 2,
				uniqueClicks: 1,
				clicks: 1,
			},
			{ ...base, day: "2026-06-02", sent: 2, delivered: 2, complained: 1, uniqueClicks: 0, clicks: 0 },
		]);
	});
});

describe("privacy", () => {
	it("a deleted user's messages lose recipient and subject, for good; the suppression stays", async () => {
		const { ns, provider } = fresh();
		const db = testDb();
		await createUser(`${ns}ada`, `${ns}ada@example.org`);
		await applyInOneBatch(provider, [
			emailEvent({ id: "1", kind: "delivered", at: 0, message: "m1", subject: "Your order" }, ns),
			emailEvent({ id: "2", kind: "bounced", at: 1, message: "m2", subject: "Shipped", userId: "ada", to: "old" }, ns),
			emailEvent({ id: "3", kind: "delivered", at: 1, message: "m3", to: "bob" }, ns),
			emailEvent({ id: "3b", kind: "sent", at: 1, message: "m5", to: "carol", subject: "Hello" }, ns),
		]);
		// the user.deleted batch: erase first (it reads the email), then the tombstone
		await db.batch([
			eraseEmailPersonalData(db, `${ns}ada`, sql`true`),
			tombstoneUser(db, `${ns}ada`, { id: "del", at: when(2) }, sql`true`),
		]);
		// later events: one of an erased message, one naming the deleted user
		await applyInOneBatch(provider, [
			emailEvent({ id: "4", kind: "opened", at: 3, message: "m1", subject: "Your order" }, ns),
			emailEvent({ id: "5", kind: "delivered", at: 3, message: "m4", userId: "ada", subject: "Receipt" }, ns),
			// m5 went to another address, but its metadata names the deleted user
			emailEvent({ id: "6", kind: "delivered", at: 3, message: "m5", userId: "ada", to: null }, ns),
		]);
		const rows = await emailRows(ns);
		expect(
			rows.messages.map((m) => [m.providerMessageId, m.recipient, m.subject, m.status, m.erasedAt !== null]),
		).toEqual([
			[`${ns}m1`, null, null, "opened", true],
			[`${ns}m2`, null, null, "bounced", true],
			[`${ns}m3`, `${ns}bob@example.org`, null, "delivered", false],
			[`${ns}m4`, null, null, "delivered", true],
			[`${ns}m5`, null, null, "delivered", true],
		]);
		expect(rows.suppressions.map((s) => s.address)).toEqual([`${ns}old@example.org`]);
	});

	it("the ledger subject of an email event: its metadata user, else the user with the address, else none", async () => {
		const { ns } = fresh();
		await createUser(`${ns}b`, `${ns}Ada@example.org`);
		await createUser(`${ns}a`, `${ns}ADA@example.org`);
		const event = emailEvent({ id: "1", kind: "delivered", at: 0 }, ns);
		expect(emailEventSubject("resend", { ...event, userId: "user_1" })).toBe("user_1");
		const subjectOf = async (e: typeof event) =>
			(await testDb().execute(sql`select ${emailEventSubject("resend", e)} as id`)).rows[0];
		expect(await subjectOf(event)).toEqual({ id: `${ns}a` });
		// no user of that address, no erased message: nobody
		expect(await subjectOf({ ...event, recipient: null })).toEqual({ id: null });
	});
});
