/**
 * Issue 10, item 1, acceptance: every signature vector of test/fixtures/signatures/{easypost,
 * aftership}.json through the real endpoints (the Worker's fetch, the vector's secret or secrets as
 * the endpoint's setting). A valid vector is answered 2xx in one database round trip, its event in
 * the ledger (the vectors' parcels are unknown to the shop: `deferred`, or a duplicate of an earlier
 * vector with the same event id); an invalid one 401 with the rejection of the shared map
 * (src/webhooks/rejections.ts: no header → missing_signature_headers, else signature_mismatch),
 * nothing written and no database request. No log line holds a secret or an email address.
 *
 * Policies followed (the vectors' `policy_dependent` notes): EasyPost's header is compared whole, as
 * its libraries do (a bare or uppercase hex digest is refused); AfterShip's base64 is compared as sent
 * (base64url is refused); neither scheme signs a time, so an old event is accepted (a duplicate by
 * its id); AfterShip rotation is several secrets in AFTERSHIP_WEBHOOK_SECRET.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
	aftershipVectors,
	type CarrierName,
	type CarrierVector,
	carrierEndpoints,
	easypostVectors,
	settingOf,
} from "../support/carriers";
import { type Delivered, deliver, webhookLine } from "../support/deliver";
import { anEmailAddress, withSettings } from "../support/email";
import { testDb } from "../support/rows";

function parsed(body: string): Record<string, unknown> | undefined {
	try {
		return JSON.parse(body);
	} catch {
		return undefined;
	}
}

/** Posts a vector to its provider's endpoint, the vector's secrets as its setting. */
function deliverVector(provider: CarrierName, v: CarrierVector): Promise<Delivered> {
	const { path, secret } = carrierEndpoints[provider];
	const request = new Request(`http://shop.test${path}`, { method: "POST", headers: v.headers, body: v.body });
	return deliver(request, withSettings({ [secret]: settingOf(v) }));
}

/** The ledger rows of an event id (any provider's), as status and type. */
async function ledger(provider: CarrierName, eventId: string) {
	const { rows } = await testDb().execute<{ status: string; event_type: string }>(
		sql`select status, event_type from webhook_events where provider = ${provider} and event_id = ${eventId}`,
	);
	return rows;
}

/** Every ledger row of the provider: what an invalid vector must leave unchanged. */
async function ledgerCount(provider: CarrierName): Promise<number> {
	const { rows } = await testDb().execute<{ n: number }>(
		sql`select count(*)::int as n from webhook_events where provider = ${provider}`,
	);
	return Number(rows[0]?.n);
}

function expectNothingLeaked(delivered: Delivered, v: CarrierVector) {
	expect(delivered.logText).not.toMatch(anEmailAddress);
	for (const secret of [v.secret_or_key].flat()) expect(delivered.logText).not.toContain(secret);
}

async function expectAccepted(provider: CarrierName, v: CarrierVector, delivered: Delivered, eventId: string) {
	expect(delivered.status).toBe(200);
	expect(delivered.databaseRequests).toHaveLength(1);
	expect(delivered.body).toMatchObject({ received: true, outcome: expect.stringMatching(/^(deferred|duplicate)$/) });
	expect(webhookLine(delivered)).toMatchObject({ provider, event_id: eventId, status: 200 });
	expect(await ledger(provider, eventId)).toEqual([
		{ status: "deferred", event_type: expect.stringMatching(/^package\./) },
	]);
	expectNothingLeaked(delivered, v);
}

async function expectRefused(provider: CarrierName, v: CarrierVector, delivered: Delivered, before: number) {
	const rejection = Object.keys(v.headers).length === 0 ? "missing_signature_headers" : "signature_mismatch";
	expect(delivered.status).toBe(401);
	expect(delivered.body).toMatchObject({ error: rejection });
	expect(delivered.databaseRequests).toEqual([]);
	expect(webhookLine(delivered)).toMatchObject({ provider, outcome: "rejected", status: 401, reason: rejection });
	expect(await ledgerCount(provider)).toBe(before);
	expectNothingLeaked(delivered, v);
}

const named = (vectors: CarrierVector[]) => vectors.map((v, i) => [`${i}: ${v.description}`, v] as const);

describe("EasyPost vectors through POST /api/webhooks/shipping/easypost", { timeout: 30_000 }, () => {
	it("has the vectors", () => {
		expect(easypostVectors).toHaveLength(13);
	});

	it.each(named(easypostVectors))("%s", async (_, v) => {
		const before = await ledgerCount("easypost");
		const delivered = await deliverVector("easypost", v);
		if (v.expected_valid) await expectAccepted("easypost", v, delivered, parsed(v.body)?.id as string);
		else await expectRefused("easypost", v, delivered, before);
	});

	it("a valid vector with the newer v2 headers beside it: accepted (they are not read); with them alone: refused", async () => {
		const v = easypostVectors.find((vector) => vector.description.startsWith("official vector")) as CarrierVector;
		const v2 = { "x-hmac-signature-v2": "hmac-sha256-hex=00", "x-timestamp": "1722609733", "x-path": "/x" };
		const both = await deliverVector("easypost", { ...v, headers: { ...v.headers, ...v2 } });
		expect(both.status).toBe(200);
		const alone = await deliverVector("easypost", { ...v, headers: v2 });
		expect(alone.status).toBe(401);
		expect(alone.body).toMatchObject({ error: "missing_signature_headers" });
	});
});

describe("AfterShip vectors through POST /api/webhooks/shipping/aftership", { timeout: 30_000 }, () => {
	it("has the vectors", () => {
		expect(aftershipVectors).toHaveLength(10);
	});

	it.each(named(aftershipVectors))("%s", async (_, v) => {
		const before = await ledgerCount("aftership");
		const delivered = await deliverVector("aftership", v);
		if (v.expected_valid) await expectAccepted("aftership", v, delivered, parsed(v.body)?.event_id as string);
		else await expectRefused("aftership", v, delivered, before);
	});

	it("a valid vector's signature in the older am-webhook-signature header: accepted", async () => {
		const v = aftershipVectors.find((vector) => vector.description.includes("tag=Delivered")) as CarrierVector;
		const headers = { "am-webhook-signature": `hmac-sha256=${v.headers["aftership-hmac-sha256"]}` };
		const delivered = await deliverVector("aftership", { ...v, headers });
		expect(delivered.status).toBe(200);
		expect(webhookLine(delivered)).toMatchObject({ provider: "aftership", event_id: parsed(v.body)?.event_id });
	});
});
