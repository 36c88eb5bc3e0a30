/**
 * Issue 9, item 5, acceptance: every signature vector of test/fixtures/signatures/{svix,sendgrid,
 * mailgun}.json through the real endpoints (the Worker's fetch, its clock at the vector's `now`, the
 * vector's secret or key as the endpoint's setting): a valid vector is answered 2xx (or 400
 * malformed_json when its signed body is not JSON: the signature passed, the body cannot be read), an
 * invalid one 4xx with nothing written and no database request. Mailgun's stateful vector: the original
 * is accepted, its replay refused 406 with nothing written; the other Mailgun vectors run with a fresh
 * token memory, as the file's meta says.
 *
 * Policies followed (the vectors' `policy_dependent` notes): Resend is verified like Clerk, ±300 s;
 * SendGrid checks no timestamp window (src/signatures/sendgrid.ts, as @sendgrid/eventwebhook), so
 * "timestamp 2 days old" is valid; Mailgun refuses a timestamp more than 300 s away and a token seen
 * before. The endpoint checks Mailgun's `signature` field (the domain's own key): a vector whose
 * `verify_field` is `parent-signature` describes a verifier configured for the primary account's key,
 * which the endpoint is not; its body and key are those of the vector "primary key checked against
 * signature (wrong field) -> invalid", so through the endpoint it is refused like that one.
 */
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Delivered, deliver, webhookLine } from "../support/deliver";
import { anEmailAddress, emailEndpoints, forgetNonces, withSettings } from "../support/email";
import { testDb } from "../support/rows";
import {
	type MailgunVector,
	mailgunVectors,
	type SendGridVector,
	type SignatureVector,
	sendgridVectors,
	svixVectors,
	vectorBody,
} from "../support/vectors";
import { keysIn } from "../support/written";

afterEach(() => {
	vi.useRealTimers();
});

/** The exact body a vector signed (test/support/vectors.ts vectorBody, for every kind of vector). */
const bodyOf = (v: Pick<SignatureVector, "body" | "body_repeat">) => vectorBody(v as SignatureVector);

/** Posts a vector to `path`, the Worker's clock at the vector's `now` (the real clock when null), its key as `secretName`. */
async function deliverVector(
	v: { headers: Record<string, string>; now: number | null; secret_or_key: string } & Pick<
		SignatureVector,
		"body" | "body_repeat"
	>,
	path: string,
	secretName: string,
): Promise<Delivered> {
	const request = new Request(`http://shop.test${path}`, { method: "POST", headers: v.headers, body: bodyOf(v) });
	const bindings = withSettings({ [secretName]: v.secret_or_key });
	if (v.now === null) return deliver(request, bindings);
	vi.useFakeTimers({ toFake: ["Date"] });
	vi.setSystemTime(v.now * 1000);
	try {
		return await deliver(request, bindings);
	} finally {
		vi.useRealTimers();
	}
}

async function sha256Hex(text: string): Promise<string> {
	const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function parsed(body: string): unknown {
	try {
		return JSON.parse(body);
	} catch {
		return undefined;
	}
}

/**
 * Every row a delivery of this body (and these header ids) could have written for `provider`: its
 * ledger rows (by any id in the body or the headers, or the body's digest), the messages (by any id,
 * or its part before a `.`, or inside `<…@`), the suppressions of any address, the nonces of any token.
 */
async function rowsFor(provider: string, body: string, headerIds: string[]): Promise<string[]> {
	const strings = [...keysIn(parsed(body)), ...headerIds];
	const keys = [
		...new Set(
			strings.flatMap((s) => [s, s.toLowerCase(), s.split(".")[0] as string, s.replace(/^<([^@>]*)@.*$/, "$1")]),
		),
		// `in ()` is not SQL: a key no row has keeps the list non-empty
		"(none)",
	].filter((k) => k.length > 0);
	const digest = `sha256:${await sha256Hex(body)}`;
	const result = await testDb().execute<{ row: unknown }>(sql`
		select to_jsonb(w) as row from webhook_events w
			where w.provider = ${provider} and (w.event_id in ${keys} or left(w.event_id, ${digest.length}) = ${digest})
		union all select to_jsonb(m) from email_messages m where m.provider = ${provider} and m.provider_message_id in ${keys}
		union all select to_jsonb(s) from email_suppressions s where s.address in ${keys}
		union all select to_jsonb(n) - 'seen_at' from webhook_nonces n where n.provider = ${provider} and n.nonce in ${keys}`);
	return result.rows.map(({ row }) => JSON.stringify(row)).sort();
}

/** What a valid vector must be answered: 2xx, or 400 malformed_json for a signed body that is not JSON. */
function expectAccepted(delivered: Delivered, body: string) {
	if (parsed(body) === undefined) {
		expect(delivered.status).toBe(400);
		expect(delivered.body).toMatchObject({ error: "malformed_json" });
		expect(webhookLine(delivered)).toMatchObject({ reason: "malformed_json" });
	} else {
		expect(delivered.status).toBeGreaterThanOrEqual(200);
		expect(delivered.status).toBeLessThan(300);
		expect(delivered.databaseRequests).toHaveLength(1);
	}
}

/** What an invalid vector must be answered: 401, no database request. */
function expectRefused(delivered: Delivered) {
	expect(delivered.status).toBe(401);
	expect(delivered.databaseRequests).toEqual([]);
	expect(webhookLine(delivered)).toMatchObject({ outcome: "rejected", status: 401 });
}

const named = <V extends { description: string }>(vectors: V[]) =>
	vectors.map((v, i) => [`${i}: ${v.description}`, v] as const);

describe("svix vectors through POST /api/webhooks/email/resend", { timeout: 30_000 }, () => {
	const path = emailEndpoints.resend.path;

	it("has the vectors", () => {
		expect(svixVectors).toHaveLength(43);
	});

	it.each(named(svixVectors))("%s", { timeout: 30_000 }, async (_, v) => {
		const body = vectorBody(v);
		const ids = [v.headers["svix-id"], v.headers["webhook-id"]].filter((id): id is string => id !== undefined);
		const before = await rowsFor("resend", body, ids);
		const delivered = await deliverVector(v, path, "RESEND_WEBHOOK_SECRET");
		expect(delivered.logText).not.toMatch(anEmailAddress);
		if (v.expected_valid) {
			expectAccepted(delivered, body);
			if (parsed(body) !== undefined) {
				const id = v.headers["svix-id"] ?? v.headers["webhook-id"];
				expect(webhookLine(delivered)).toMatchObject({ provider: "resend", event_id: id });
				const [ledger] = await testDb()
					.execute<{ status: string }>(
						sql`select status from webhook_events where provider = 'resend' and event_id = ${id}`,
					)
					.then((r) => r.rows);
				expect(ledger?.status).toMatch(/^(processed|ignored|failed)$/);
			}
			// Resend's own vectors (a bounce, an open) apply
			if (v.description.startsWith("Resend ")) expect(delivered.body).toEqual({ received: true, outcome: "applied" });
		} else {
			expectRefused(delivered);
			expect(await rowsFor("resend", body, ids)).toEqual(before);
		}
	});
});

describe("SendGrid vectors through POST /api/webhooks/email/sendgrid", { timeout: 30_000 }, () => {
	const path = emailEndpoints.sendgrid.path;

	it("has the vectors", () => {
		expect(sendgridVectors).toHaveLength(15);
	});

	it.each(named(sendgridVectors))("%s", async (_, v: SendGridVector) => {
		const body = bodyOf(v);
		const before = await rowsFor("sendgrid", body, []);
		const delivered = await deliverVector(v, path, "SENDGRID_WEBHOOK_PUBLIC_KEY");
		expect(delivered.logText).not.toMatch(anEmailAddress);
		if (v.expected_valid) {
			expectAccepted(delivered, body);
			expect(await rowsFor("sendgrid", body, [])).not.toEqual([]);
		} else {
			expectRefused(delivered);
			expect(await rowsFor("sendgrid", body, [])).toEqual(before);
		}
	});

	it("the batched vector (delivered, open, bounce) is three events in one round trip", async () => {
		const v = sendgridVectors.find((vector) =>
			vector.description.startsWith("generated key: batched array"),
		) as SendGridVector;
		const delivered = await deliverVector(v, path, "SENDGRID_WEBHOOK_PUBLIC_KEY");
		expect(delivered.status).toBe(200);
		expect(delivered.body).toMatchObject({ received: true, events: 3 });
		expect(delivered.databaseRequests).toHaveLength(1);
	});
});

describe("Mailgun vectors through POST /api/webhooks/email/mailgun", { timeout: 30_000 }, () => {
	const path = emailEndpoints.mailgun.path;
	const tokenOf = (v: MailgunVector): string | undefined =>
		(parsed(vectorBody(v)) as { signature?: { token?: string } } | undefined)?.signature?.token;

	/** Through this endpoint: the `signature` field is checked (see the module comment). */
	const validHere = (v: MailgunVector) => (v.verify_field === "parent-signature" ? false : v.expected_valid);

	it("has the vectors", () => {
		expect(mailgunVectors).toHaveLength(14);
		const parent = mailgunVectors.filter((v) => v.verify_field === "parent-signature");
		const wrongField = mailgunVectors.filter((v) => v.description.includes("(wrong field)"));
		// the parent-signature vector and the wrong-field one are the same request: one endpoint answers both alike
		expect(parent).toHaveLength(1);
		expect(wrongField).toHaveLength(1);
		expect([vectorBody(parent[0] as MailgunVector), parent[0]?.secret_or_key, parent[0]?.now]).toEqual([
			vectorBody(wrongField[0] as MailgunVector),
			wrongField[0]?.secret_or_key,
			wrongField[0]?.now,
		]);
	});

	it.each(named(mailgunVectors.filter((v) => !v.stateful)))("%s", async (_, v) => {
		const body = vectorBody(v);
		const token = tokenOf(v);
		if (token) await forgetNonces("mailgun", [token]); // a fresh token memory per vector
		const before = await rowsFor("mailgun", body, []);
		const delivered = await deliverVector(v, path, "MAILGUN_WEBHOOK_SIGNING_KEY");
		expect(delivered.logText).not.toMatch(anEmailAddress);
		if (validHere(v)) {
			expectAccepted(delivered, body);
			expect(webhookLine(delivered)).toMatchObject({ provider: "mailgun", status: 200 });
			expect(await rowsFor("mailgun", body, [])).toContainEqual(JSON.stringify({ nonce: token, provider: "mailgun" }));
		} else {
			expectRefused(delivered);
			expect(await rowsFor("mailgun", body, [])).toEqual(before);
		}
	});

	it.each(named(mailgunVectors.filter((v) => v.stateful)))(
		"%s: the original accepted, the replay 406 with nothing written",
		async (_, v) => {
			expect(v.expected_valid).toBe(false);
			const original = mailgunVectors[v.replay_of_vector_index as number] as MailgunVector;
			expect(tokenOf(original)).toBe(tokenOf(v));
			await forgetNonces("mailgun", [tokenOf(original) as string]);

			const first = await deliverVector(original, path, "MAILGUN_WEBHOOK_SIGNING_KEY");
			expect(first.status).toBe(200);
			const body = vectorBody(v);
			const before = await rowsFor("mailgun", body, []);
			expect(before).toContainEqual(JSON.stringify({ nonce: tokenOf(v), provider: "mailgun" }));

			const replay = await deliverVector(v, path, "MAILGUN_WEBHOOK_SIGNING_KEY");
			expect(replay.status).toBe(406);
			expect(replay.body).toMatchObject({ error: "replayed_signature" });
			expect(webhookLine(replay)).toMatchObject({ outcome: "rejected", reason: "replayed_signature" });
			expect(await rowsFor("mailgun", body, [])).toEqual(before);
		},
	);

	it("the SECURITY vector (a captured triple with forged event-data) is refused once its token was seen", async () => {
		const v = mailgunVectors.find((vector) => vector.description.startsWith("SECURITY")) as MailgunVector;
		await forgetNonces("mailgun", [tokenOf(v) as string]);
		expect((await deliverVector(v, path, "MAILGUN_WEBHOOK_SIGNING_KEY")).status).toBe(200);
		const before = await rowsFor("mailgun", vectorBody(v), []);
		expect((await deliverVector(v, path, "MAILGUN_WEBHOOK_SIGNING_KEY")).status).toBe(406);
		expect(await rowsFor("mailgun", vectorBody(v), [])).toEqual(before);
	});

	it("the parent-signature vector through an endpoint holding both keys: accepted (the subaccount's `signature`)", async () => {
		const parent = mailgunVectors.find((v) => v.verify_field === "parent-signature") as MailgunVector;
		const subaccount = mailgunVectors.find(
			(v) => v.verify_field === "signature" && v.expected_valid && v.description.startsWith("subaccount"),
		) as MailgunVector;
		await forgetNonces("mailgun", [tokenOf(parent) as string]);
		const delivered = await deliverVector(
			{ ...parent, secret_or_key: `${parent.secret_or_key} ${subaccount.secret_or_key}` },
			path,
			"MAILGUN_WEBHOOK_SIGNING_KEY",
		);
		expect(delivered.status).toBe(200);
	});
});
