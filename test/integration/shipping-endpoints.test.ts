/**
 * Issue 10, items 1, 2 and 7, acceptance: the carrier endpoints as a carrier and an operator meet
 * them. /api/webhooks/shipping/<easypost|aftership|shippo>: each provider's example payloads (test/
 * fixtures/payloads/) move the shop's shipment and order as the normalisation table says, with the
 * ledger row naming the normalised event; statuses that change nothing and other event kinds are
 * `ignored`, an unreadable update `failed` (200), an unknown parcel `deferred`; refused requests
 * write nothing (no signature, a wrong one, Shippo without its token, a secret unset, a body that is
 * not JSON); no log line holds a secret, Shippo's token or the customer's data AfterShip sends;
 * /api/webhooks/shipping serves SHIPPING_PROVIDER's (default easypost) in the same ledger; the
 * database down: 202 queued; and every template of the send CLI (src/providers/<name>/send.ts) does
 * through the Worker what it is named after.
 */

import { env } from "cloudflare:test";
import aftershipDelivered from "@fixtures/payloads/aftership/tracking_update.Delivered.json";
import aftershipException from "@fixtures/payloads/aftership/tracking_update.Exception.json";
import aftershipInTransit from "@fixtures/payloads/aftership/tracking_update.InTransit.json";
import easypostDelivered from "@fixtures/payloads/easypost/tracker.updated.delivered.json";
import easypostInTransit from "@fixtures/payloads/easypost/tracker.updated.json";
import shippoDelivered from "@fixtures/payloads/shippo/track_updated.DELIVERED.json";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { providers } from "../../src/providers/index";
import type { ProviderSender } from "../../src/providers/sending";
import { type CarrierName, carrierEndpoints, carrierNames, carrierRequest, copyOf } from "../support/carriers";
import { namespace } from "../support/converge";
import { type Delivered, deliver, webhookLine } from "../support/deliver";
import { anEmailAddress, withSettings } from "../support/email";
import { recordingQueue } from "../support/queue";
import { testDb } from "../support/rows";
import {
	aftershipPreviousSecret,
	aftershipSecret,
	easypostPreviousSecret,
	easypostSecret,
	shippoPreviousToken,
	shippoToken,
} from "../support/secrets";
import { createShippedOrder, notificationRows, orderStatuses, shipmentRows, trackingNumber } from "../support/shipping";
import { unreachableDatabaseUrl } from "../support/unreachable";

// biome-ignore lint/suspicious/noExplicitAny: the tests edit fixtures in place, by their paths
type Json = Record<string, any>;

/** Each provider's example payloads, their carrier as the shop writes it, and where ids and tracking numbers go. */
const examples = {
	easypost: {
		carrier: "fedex",
		inTransit: easypostInTransit,
		delivered: easypostDelivered,
		place: (e: Json, ns: string, parcel: string) => {
			e.id = `${ns}${e.id}`;
			e.result.tracking_code = trackingNumber(ns, parcel);
		},
		eventId: (e: Json) => e.id as string,
	},
	aftership: {
		carrier: "ups",
		inTransit: aftershipInTransit,
		delivered: aftershipDelivered,
		place: (e: Json, ns: string, parcel: string) => {
			e.event_id = `${ns}${e.event_id}`;
			e.msg.tracking_number = trackingNumber(ns, parcel);
		},
		eventId: (e: Json) => e.event_id as string,
	},
	shippo: {
		carrier: "usps",
		inTransit: (() => {
			const e = copyOf(shippoDelivered) as Json;
			e.data.tracking_status = { ...e.data.tracking_history[1] };
			return e;
		})(),
		delivered: shippoDelivered,
		place: (e: Json, _ns: string, parcel: string) => {
			e.data.tracking_number = trackingNumber(_ns, parcel);
		},
		eventId: (e: Json) =>
			`usps:${e.data.tracking_number}:${e.data.tracking_status.object_id}:${e.data.tracking_status.status_date}`,
	},
} satisfies Record<CarrierName, unknown>;

/** A copy of a fixture about parcel `parcel` of namespace `ns` (its event id namespaced too), edited. */
function about(provider: CarrierName, fixture: unknown, ns: string, edit: (e: Json) => void = () => {}, parcel = "a") {
	const e = copyOf(fixture) as Json;
	examples[provider].place(e, ns, parcel);
	edit(e);
	return e;
}

/** A shop order of namespace `ns` (user with an email), with one parcel `a` of the provider's carrier. */
async function shopFor(provider: CarrierName) {
	const ns = namespace();
	await createShippedOrder(ns, {
		email: `${ns}Ada@Example.org`,
		parcels: [{ parcel: "a", carrier: examples[provider].carrier }],
	});
	return ns;
}

async function ledgerRows(provider: CarrierName, eventIds: string[]) {
	const { rows } = await testDb().execute<{ event_id: string; event_type: string; status: string; last_error: string }>(
		sql`select event_id, event_type, status, last_error from webhook_events
			where provider = ${provider} and event_id in ${[...eventIds, "(none)"]} order by received_at, event_id`,
	);
	return rows;
}

/** The ledger rows whose id names namespace `ns` (Shippo's derived keys hold the tracking number). */
async function ledgerOf(ns: string) {
	const { rows } = await testDb().execute<{ provider: string; event_type: string; status: string }>(
		sql`select provider, event_type, status from webhook_events where event_id like ${`%${ns}%`} order by received_at`,
	);
	return rows;
}

async function post(provider: CarrierName, body: unknown, bindings: Env = env, path?: string): Promise<Delivered> {
	return deliver(await carrierRequest(provider, body, path === undefined ? {} : { path }), bindings);
}

function expectQuiet(delivered: Delivered) {
	expect(delivered.logText).not.toMatch(anEmailAddress);
	for (const secret of [easypostSecret, aftershipSecret, shippoToken]) expect(delivered.logText).not.toContain(secret);
	expect(delivered.logText).not.toContain("Jane Doe");
}

describe("each provider's example payloads move the shipment and its order", { timeout: 30_000 }, () => {
	it("EasyPost: tracker.updated in transit, then delivered (the customer notified once; a redelivery is a duplicate)", async () => {
		const ns = await shopFor("easypost");
		const moving = await post("easypost", about("easypost", easypostInTransit, ns));
		expect(moving.status).toBe(200);
		expect(moving.body).toEqual({ received: true, outcome: "applied" });
		expect(moving.databaseRequests).toHaveLength(1);
		expect(webhookLine(moving)).toMatchObject({
			provider: "easypost",
			event_type: "package.in_transit",
			event_id: `${ns}evt_1`,
			outcome: "applied",
		});
		expect(await shipmentRows(ns)).toMatchObject([
			{
				status: "in_transit",
				statusDetail: "arrived_at_facility",
				lastCheckpoint: {
					time: "2024-08-02T18:50:00.000Z",
					location: "EDISON, NJ, US",
					message: "Arrived at FedEx location",
				},
				estimatedDeliveryAt: "2024-08-05T00:00:00.000Z",
				trackingUrl: "https://track.easypost.com/1",
				lastEventAt: "2024-08-02T18:50:00.000Z",
				deliveredAt: null,
				statusEventId: `${ns}evt_1`,
			},
		]);
		expect(await orderStatuses(ns)).toEqual({ status: "shipped", paymentStatus: "paid", shippingStatus: "shipped" });

		const delivered = about("easypost", easypostDelivered, ns);
		expect((await post("easypost", delivered)).body).toEqual({ received: true, outcome: "applied" });
		expect(await shipmentRows(ns)).toMatchObject([
			{ status: "delivered", deliveredAt: "2024-08-05T17:58:00.000Z", statusEventId: `${ns}evt_2` },
		]);
		expect(await orderStatuses(ns)).toMatchObject({ status: "delivered", shippingStatus: "delivered" });
		expect(await notificationRows(ns)).toMatchObject([{ kind: "delivered", recipient: `${ns}ada@example.org` }]);

		const again = await post("easypost", delivered);
		expect(again.body).toEqual({ received: true, outcome: "duplicate" });
		expect(await notificationRows(ns)).toHaveLength(1);
		expect(await ledgerRows("easypost", [`${ns}evt_1`, `${ns}evt_2`])).toEqual([
			{ event_id: `${ns}evt_1`, event_type: "package.in_transit", status: "processed", last_error: null },
			{ event_id: `${ns}evt_2`, event_type: "package.delivered", status: "processed", last_error: null },
		]);
		for (const d of [moving, again]) expectQuiet(d);
	});

	it("AfterShip: InTransit, Exception (the subtag its reason, the operator notified), then Delivered", async () => {
		const ns = await shopFor("aftership");
		for (const fixture of [aftershipInTransit, aftershipException]) {
			const d = await post("aftership", about("aftership", fixture, ns));
			expect(d.body).toEqual({ received: true, outcome: "applied" });
			expectQuiet(d);
		}
		expect(await shipmentRows(ns)).toMatchObject([
			{
				status: "exception",
				statusDetail: "Exception_011",
				exceptionReason: "Exception_011",
				lastCheckpoint: { time: "2024-08-04T16:46:40.000Z", location: "Brooklyn, NY, US" },
				trackingUrl: "https://www.ups.com/track?tracknum=1Z999AA10123456784",
			},
		]);
		expect(await orderStatuses(ns)).toMatchObject({ status: "delivery_exception" });
		expect((await notificationRows(ns)).map((n) => n.kind)).toEqual(["delivery_exception"]);

		const delivered = await post("aftership", about("aftership", aftershipDelivered, ns));
		expect(webhookLine(delivered)).toMatchObject({ event_type: "package.delivered", outcome: "applied" });
		expect(await shipmentRows(ns)).toMatchObject([
			{ status: "delivered", exceptionReason: null, deliveredAt: "2024-08-05T17:58:00.000Z" },
		]);
		expect(await orderStatuses(ns)).toMatchObject({ status: "delivered" });
		expect((await notificationRows(ns)).map((n) => n.kind)).toEqual(["delivered", "delivery_exception"]);
		expect((await ledgerOf(ns)).map((row) => [row.event_type, row.status])).toEqual([
			["package.in_transit", "processed"],
			["package.exception", "processed"],
			["package.delivered", "processed"],
		]);
	});

	it("AfterShip out of order: Delivered first, then a late InTransit changes nothing", async () => {
		const ns = await shopFor("aftership");
		await post("aftership", about("aftership", aftershipDelivered, ns));
		const late = await post("aftership", about("aftership", aftershipInTransit, ns));
		expect(late.body).toEqual({ received: true, outcome: "stale" });
		expect(await shipmentRows(ns)).toMatchObject([{ status: "delivered" }]);
		expect(await orderStatuses(ns)).toMatchObject({ status: "delivered" });
	});

	it("Shippo: track_updated TRANSIT then DELIVERED; the same update posted again is a duplicate (its derived key)", async () => {
		const ns = await shopFor("shippo");
		const moving = await post("shippo", about("shippo", examples.shippo.inTransit, ns));
		expect(moving.body).toEqual({ received: true, outcome: "applied" });
		expect(await orderStatuses(ns)).toMatchObject({ status: "shipped" });
		const delivered = about("shippo", shippoDelivered, ns);
		const first = await post("shippo", delivered);
		expect(webhookLine(first)).toMatchObject({
			provider: "shippo",
			event_type: "package.delivered",
			event_id: examples.shippo.eventId(delivered),
			outcome: "applied",
		});
		expect(await shipmentRows(ns)).toMatchObject([
			{
				status: "delivered",
				statusDetail: "delivered",
				lastCheckpoint: { time: "2024-08-05T17:58:00.000Z", location: "Brooklyn, NY, US" },
				estimatedDeliveryAt: "2024-08-05T00:00:00.000Z",
			},
		]);
		expect(await orderStatuses(ns)).toMatchObject({ status: "delivered" });
		expect((await post("shippo", delivered)).body).toEqual({ received: true, outcome: "duplicate" });
		expect(await notificationRows(ns)).toHaveLength(1);
		expect(first.logText).not.toContain(shippoToken);
	});
});

describe("what changes nothing", { timeout: 30_000 }, () => {
	const noChange: Record<CarrierName, [string, (e: Json) => void][]> = {
		easypost: [
			["package.pre_transit", (e) => (e.result.status = "pre_transit")],
			["package.unknown", (e) => (e.result.status = "unknown")],
			["batch.updated", (e) => (e.description = "batch.updated")],
		],
		aftership: [
			["package.pre_transit", (e) => (e.msg.tag = "InfoReceived")],
			["package.unknown", (e) => (e.msg.tag = "Pending")],
			["edd_revise", (e) => (e.event = "edd_revise")],
		],
		shippo: [
			["package.pre_transit", (e) => (e.data.tracking_status.status = "PRE_TRANSIT")],
			["package.unknown", (e) => (e.data.tracking_status.status = "UNKNOWN")],
			["transaction_updated", (e) => (e.event = "transaction_updated")],
		],
	};
	const cases = carrierNames.flatMap((provider) =>
		noChange[provider].map(([type, edit]) => [provider, type, edit] as const),
	);

	it.each(cases)("%s: recorded ignored as %s (200), the shipment untouched", async (provider, type, edit) => {
		const ns = await shopFor(provider);
		const d = await post(provider, about(provider, examples[provider].inTransit, ns, edit));
		expect(d.status).toBe(200);
		expect(d.body).toEqual({ received: true, outcome: "ignored" });
		expect(webhookLine(d)).toMatchObject({ provider, event_type: type, outcome: "ignored" });
		expect(await shipmentRows(ns)).toMatchObject([{ status: "pending", statusEventId: null }]);
		expect(await orderStatuses(ns)).toMatchObject({ status: "paid", shippingStatus: null });
	});

	it.each(carrierNames)(
		"%s: an unreadable tracking update is failed (200), the reason naming a field, never a value",
		async (provider) => {
			const ns = await shopFor(provider);
			const unreadable = about(provider, examples[provider].inTransit, ns, (e) => {
				const tracking = e.result ?? e.msg ?? e.data;
				delete tracking.tracking_code;
				delete tracking.tracking_number;
				tracking.customer_name = "Jane Doe";
				tracking.emails = [`${ns}jane@example.org`];
			});
			const d = await post(provider, unreadable);
			expect(d.status).toBe(200);
			expect(d.body).toEqual({ received: true, outcome: "failed" });
			expect(webhookLine(d)).toMatchObject({ provider, outcome: "failed" });
			expectQuiet(d);
			const { rows } = await testDb().execute<{ status: string; last_error: string }>(
				sql`select status, last_error from webhook_events where provider = ${provider} and payload::text like ${`%${ns}jane%`}`,
			);
			expect(rows).toEqual([{ status: "failed", last_error: expect.stringMatching(/tracking_(code|number)/) }]);
			expect(rows[0]?.last_error).not.toMatch(/Jane|example\.org/);
		},
	);

	it.each(carrierNames)(
		"%s: an update for a parcel the shop has not recorded is deferred (200), a retry-later job queued",
		async (provider) => {
			const ns = namespace();
			const jobs = recordingQueue();
			const d = await post(provider, about(provider, examples[provider].delivered, ns), { ...env, JOBS: jobs } as Env);
			expect(d.status).toBe(200);
			expect(d.body).toEqual({ received: true, outcome: "deferred" });
			expect(jobs.sent).toMatchObject([{ kind: "retry-later", provider }]);
			expect(await ledgerOf(ns)).toEqual([{ provider, event_type: "package.delivered", status: "deferred" }]);
		},
	);
});

describe("refused: nothing written", { timeout: 30_000 }, () => {
	const previous: Record<CarrierName, string> = {
		easypost: easypostPreviousSecret,
		aftership: aftershipPreviousSecret,
		shippo: shippoPreviousToken,
	};

	it.each(carrierNames)(
		"%s: no signature 401, a wrong one 401, the previous secret (rotation) accepted",
		async (provider) => {
			const ns = await shopFor(provider);
			const body = JSON.stringify(about(provider, examples[provider].inTransit, ns));
			const bare = await deliver(
				new Request(`http://shop.test${carrierEndpoints[provider].path}`, { method: "POST", body }),
			);
			expect(bare.status).toBe(401);
			expect(bare.body).toMatchObject({ error: "missing_signature_headers" });
			expect(bare.databaseRequests).toEqual([]);

			const wrong = await deliver(await carrierRequest(provider, body, { secret: "not-the-secret" }));
			expect(wrong.status).toBe(401);
			expect(wrong.body).toMatchObject({ error: "signature_mismatch" });
			expect(webhookLine(wrong)).toMatchObject({ provider, outcome: "rejected", status: 401 });
			expect(wrong.databaseRequests).toEqual([]);
			expect(await ledgerOf(ns)).toEqual([]);
			expect(wrong.logText).not.toContain("not-the-secret");

			const rotated = await deliver(await carrierRequest(provider, body, { secret: previous[provider] }));
			expect(rotated.status).toBe(200);
			expect(rotated.logText).not.toContain(previous[provider]);
		},
	);

	it.each(carrierNames)("%s without its secret: 500 not_configured, nothing written", async (provider) => {
		const ns = await shopFor(provider);
		const d = await post(
			provider,
			about(provider, examples[provider].inTransit, ns),
			withSettings({ [carrierEndpoints[provider].secret]: undefined }),
		);
		expect(d.status).toBe(500);
		expect(d.body).toMatchObject({ error: "not_configured" });
		expect(webhookLine(d)).toMatchObject({ level: "error", provider, reason: "not_configured" });
		expect(d.databaseRequests).toEqual([]);
		// the other carriers do not need it
		const other = carrierNames.find((name) => name !== provider) as CarrierName;
		const otherNs = await shopFor(other);
		const served = await post(
			other,
			about(other, examples[other].inTransit, otherNs),
			withSettings({ [carrierEndpoints[provider].secret]: undefined }),
		);
		expect(served.status).toBe(200);
	});

	it.each(carrierNames)("%s: a signed body that is not JSON is 400 malformed_json", async (provider) => {
		const d = await deliver(await carrierRequest(provider, "{not json"));
		expect(d.status).toBe(400);
		expect(d.body).toMatchObject({ error: "malformed_json" });
		expect(d.databaseRequests).toEqual([]);
	});

	it("Shippo: the token only counts as the `token` query parameter; a wrong token is never logged", async () => {
		const ns = await shopFor("shippo");
		const body = JSON.stringify(about("shippo", shippoDelivered, ns));
		for (const url of [
			`http://shop.test/api/webhooks/shipping/shippo?key=${shippoToken}`,
			`http://shop.test/api/webhooks/shipping/shippo?token=${shippoToken}x`,
		]) {
			const d = await deliver(
				new Request(url, { method: "POST", body, headers: { authorization: `Bearer ${shippoToken}` } }),
			);
			expect(d.status).toBe(401);
			expect(d.logText).not.toContain(shippoToken);
		}
		expect(await ledgerOf(ns)).toEqual([]);
	});
});

describe("/api/webhooks/shipping: the provider SHIPPING_PROVIDER names", { timeout: 30_000 }, () => {
	it("unset: EasyPost's, the same ledger as /api/webhooks/shipping/easypost (the same event there is a duplicate)", async () => {
		expect((env as unknown as Record<string, unknown>).SHIPPING_PROVIDER).toBeUndefined();
		const ns = await shopFor("easypost");
		const body = about("easypost", easypostInTransit, ns);
		const d = await post("easypost", body, env, "/api/webhooks/shipping");
		expect(d.body).toEqual({ received: true, outcome: "applied" });
		expect(webhookLine(d)).toMatchObject({ provider: "easypost", event_id: `${ns}evt_1` });
		expect((await post("easypost", body, env, "/api/webhooks/shipping/easypost")).body).toEqual({
			received: true,
			outcome: "duplicate",
		});
	});

	it.each(["aftership", "shippo"] as const)(
		"SHIPPING_PROVIDER=%s: its deliveries are served there (a trailing slash too)",
		async (provider) => {
			const ns = await shopFor(provider);
			const bindings = withSettings({ SHIPPING_PROVIDER: provider });
			const d = await post(
				provider,
				about(provider, examples[provider].inTransit, ns),
				bindings,
				"/api/webhooks/shipping/",
			);
			expect(d.body).toEqual({ received: true, outcome: "applied" });
			expect(await ledgerOf(ns)).toMatchObject([{ provider, status: "processed" }]);
			// an EasyPost delivery there is refused by the chosen provider
			const crossed = await post(
				"easypost",
				about("easypost", easypostInTransit, ns),
				bindings,
				"/api/webhooks/shipping",
			);
			expect(crossed.status).toBe(401);
			expect(webhookLine(crossed)).toMatchObject({ provider, outcome: "rejected" });
		},
	);

	it.each(["resend", "stripe", "fedex", "__proto__"])(
		"SHIPPING_PROVIDER=%s (no shipping provider of that name): 404",
		async (setting) => {
			const bindings = withSettings({ SHIPPING_PROVIDER: setting });
			const d = await post(
				"easypost",
				about("easypost", easypostInTransit, namespace()),
				bindings,
				"/api/webhooks/shipping",
			);
			expect(d.status).toBe(404);
			expect(d.body).toMatchObject({ error: "unknown_provider" });
		},
	);

	it.each(["/api/webhooks/shipping", ...carrierNames.map((p) => carrierEndpoints[p].path)])(
		"GET %s: 405 with Allow: POST",
		async (path) => {
			const d = await deliver(new Request(`http://shop.test${path}`));
			expect(d.status).toBe(405);
			expect(d.body).toMatchObject({ error: "method_not_allowed" });
		},
	);

	it("/api/webhooks/shipping/unknown and /api/webhooks/easypost: 404", async () => {
		for (const path of [
			"/api/webhooks/shipping/unknown",
			"/api/webhooks/easypost",
			"/api/webhooks/shipping/easypost/x",
		]) {
			const d = await post("easypost", about("easypost", easypostInTransit, namespace()), env, path);
			expect(d.status).toBe(404);
		}
	});
});

describe("the database down at ingest", { timeout: 30_000 }, () => {
	it.each(carrierNames)("%s: 202 queued, one apply job, nothing written", async (provider) => {
		const ns = namespace();
		const jobs = recordingQueue();
		const bindings = { ...env, DATABASE_URL: unreachableDatabaseUrl, JOBS: jobs } as Env;
		const d = await post(provider, about(provider, examples[provider].delivered, ns), bindings);
		expect(d.status).toBe(202);
		expect(d.body).toEqual({ received: true, outcome: "queued" });
		expect(webhookLine(d)).toMatchObject({ provider, outcome: "queued", event_type: "package.delivered" });
		expect(jobs.sent).toMatchObject([{ kind: "apply", provider }]);
		expect(await ledgerOf(ns)).toEqual([]);
		expectQuiet(d);
	});
});

describe("the send CLI's templates through the Worker", { timeout: 30_000 }, () => {
	const senders = import.meta.glob<ProviderSender>("../../src/providers/*/send.ts", { eager: true, import: "sender" });
	const secrets: Record<CarrierName, string> = {
		easypost: easypostSecret,
		aftership: aftershipSecret,
		shippo: shippoToken,
	};
	const expected = {
		in_transit: { shipment: "in_transit", order: "shipped" },
		delivered: { shipment: "delivered", order: "delivered" },
		exception: { shipment: "exception", order: "delivery_exception" },
	} as const;
	const cases = carrierNames.flatMap((provider) =>
		(Object.keys(expected) as (keyof typeof expected)[]).map((kind) => [provider, kind] as const),
	);

	it.each(cases)(
		"%s %s: signed as the provider signs, it moves the parcel --tracking names",
		async (provider, kind) => {
			const sender = senders[`../../src/providers/${provider}/send.ts`] as ProviderSender;
			expect(sender.tracking).toBe(true);
			const ns = await shopFor(provider);
			const now = new Date();
			const template = sender.templates[kind] as NonNullable<ProviderSender["templates"][string]>;
			const context = {
				to: `${ns}ada@example.org`,
				tags: {},
				tracking: { number: trackingNumber(ns, "a"), carrier: examples[provider].carrier },
			};
			const signed = await sender.sign([template(now.getTime(), context)], secrets[provider], now);
			const url = new URL(`http://shop.test/api/webhooks/${providers.find((p) => p.name === provider)?.path}`);
			for (const [name, value] of Object.entries(signed.query ?? {})) url.searchParams.set(name, value);
			const d = await deliver(new Request(url, { method: "POST", headers: signed.headers, body: signed.body }));
			expect(d.body).toEqual({ received: true, outcome: "applied" });
			expect(webhookLine(d)).toMatchObject({ provider, event_type: `package.${kind}` });
			expect(await shipmentRows(ns)).toMatchObject([{ status: expected[kind].shipment }]);
			expect(await orderStatuses(ns)).toMatchObject({ status: expected[kind].order });
			expectQuiet(d);
		},
	);
});
