/**
 * The SendGrid Signed Event Webhook verifier against every vector in test/fixtures/signatures/sendgrid.json (official
 * ones from @sendgrid/eventwebhook's suite, generated ones agreed by it and by OpenSSL), the DER → P1363 conversion
 * (including malformed DER, which must be refused rather than thrown on), key rotation and the optional window.
 */
import { describe, expect, it } from "vitest";
import { base64ToBytes, concatBytes, utf8 } from "../../src/signatures/bytes";
import {
	derToP1363,
	SENDGRID_TOLERANCE_SECONDS,
	sendGridKeys,
	verifySendGridSignature,
} from "../../src/signatures/sendgrid";
import { type SendGridVector, sendgridVectors } from "../support/vectors";

const cases = sendgridVectors;
const SIGNATURE = "x-twilio-email-event-webhook-signature";
const TIMESTAMP = "x-twilio-email-event-webhook-timestamp";

/** The policy-dependent freshness case: valid with no window (the reference library), refused with a 300 s one. */
const twoDaysOld = (v: SendGridVector) => v.expected_valid_if_replay_window_300s !== undefined;

function verifyVector(v: SendGridVector, toleranceSeconds: number | null = v.tolerance_seconds) {
	const headers = new Headers(v.headers);
	return sendGridKeys(v.secret_or_key).then((keys) =>
		verifySendGridSignature(
			keys,
			headers.get(SIGNATURE),
			headers.get(TIMESTAMP),
			utf8(v.body ?? ""),
			// The official vectors have no clock; no vector sets a window, so the clock is not read for them.
			v.now ?? 0,
			toleranceSeconds,
		),
	);
}

function vector(description: string): SendGridVector {
	const found = cases.find((v) => v.description.startsWith(description));
	if (!found) throw new Error(`no vector "${description}"`);
	return found;
}

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const bytes = (...values: number[]) => new Uint8Array(values);

/** Minimal DER INTEGER of an unsigned big-endian scalar. */
function derInteger(scalar: Uint8Array): Uint8Array {
	let start = 0;
	while (start < scalar.byteLength - 1 && scalar[start] === 0) start++;
	const body = scalar.subarray(start);
	const padded = (body[0] as number) & 0x80 ? concatBytes(bytes(0), body) : body;
	return concatBytes(bytes(0x02, padded.byteLength), padded);
}

/** P1363 `r‖s` → minimal DER, as SendGrid (OpenSSL) encodes it. */
function p1363ToDer(signature: Uint8Array): Uint8Array {
	const content = concatBytes(derInteger(signature.subarray(0, 32)), derInteger(signature.subarray(32)));
	return concatBytes(bytes(0x30, content.byteLength), content);
}

/** A DER signature from its two INTEGER encodings (tag and length included), with an exact SEQUENCE length. */
const sequence = (...parts: Uint8Array[]) => {
	const content = concatBytes(...parts);
	return concatBytes(bytes(0x30, content.byteLength), content);
};
const integer = (...content: number[]) => bytes(0x02, content.length, ...content);
const scalar = (first: number, length = 32) => Array.from({ length }, (_, i) => (i === 0 ? first : 0x11));

describe("verifySendGridSignature", () => {
	it("has the vectors to run", () => {
		expect(cases.length).toBe(15);
		expect(cases.filter((v) => v.policy_dependent)).toHaveLength(2);
		expect(cases.filter(twoDaysOld)).toHaveLength(1);
		expect(cases.every((v) => v.tolerance_seconds === null)).toBe(true);
	});

	it.each(cases.map((v) => [v.description, v] as const))("%s", async (_, v) => {
		expect((await verifyVector(v)).ok).toBe(v.expected_valid);
	});

	it("follows the reference library by default (no window) and refuses the 2-day-old vector with a 300 s one", async () => {
		const old = cases.find(twoDaysOld) as SendGridVector;
		expect(SENDGRID_TOLERANCE_SECONDS).toBeNull();
		const keys = await sendGridKeys(old.secret_or_key);
		const headers = new Headers(old.headers);
		const byDefault = await verifySendGridSignature(
			keys,
			headers.get(SIGNATURE),
			headers.get(TIMESTAMP),
			utf8(old.body ?? ""),
			old.now as number,
		);
		expect(byDefault).toEqual({ ok: true, timestamp: 1513299600 });
		expect(await verifyVector(old, 300)).toEqual({ ok: false, reason: "timestamp_too_old" });
		expect(old.expected_valid_if_replay_window_300s).toBe(false);
	});

	it("checks a window both ways when given one, exactly the tolerance off accepted", async () => {
		const v = vector("generated key: batched array");
		const at = (now: number) => verifyVector({ ...v, now }, 300);
		expect(await at(1513299600 + 300)).toEqual({ ok: true, timestamp: 1513299600 });
		expect(await at(1513299600 - 300)).toEqual({ ok: true, timestamp: 1513299600 });
		expect(await at(1513299600 + 301)).toEqual({ ok: false, reason: "timestamp_too_old" });
		expect(await at(1513299600 - 301)).toEqual({ ok: false, reason: "timestamp_too_new" });
	});

	it("names the reason for each kind of rejection", async () => {
		const v = vector("generated key: batched array");
		const reason = async (headers: Record<string, string>) => {
			const result = await verifyVector({ ...v, headers });
			return result.ok ? "accepted" : result.reason;
		};
		const signature = v.headers[SIGNATURE] as string;
		const timestamp = v.headers[TIMESTAMP] as string;
		expect(await reason({ [SIGNATURE]: signature })).toBe("missing_header");
		expect(await reason({ [TIMESTAMP]: timestamp })).toBe("missing_header");
		expect(await reason({ [SIGNATURE]: "", [TIMESTAMP]: timestamp })).toBe("missing_header");
		expect(await reason({ [SIGNATURE]: signature, [TIMESTAMP]: "" })).toBe("missing_header");
		for (const bad of ["timestamp", "1e9", "-1513299600", "1513299600.0", "15132 99600", "0x5a3c3b90"]) {
			expect(await reason({ [SIGNATURE]: signature, [TIMESTAMP]: bad })).toBe("invalid_timestamp");
		}
		expect(await reason({ [SIGNATURE]: "not base64!", [TIMESTAMP]: timestamp })).toBe("malformed_signature");
		expect(await reason({ [SIGNATURE]: v.signature_p1363_b64 as string, [TIMESTAMP]: timestamp })).toBe(
			"malformed_signature",
		);
		expect(await reason({ [SIGNATURE]: signature, [TIMESTAMP]: "1513299601" })).toBe("no_matching_signature");
		expect(await verifyVector(vector("header carries raw r||s"))).toEqual({ ok: false, reason: "malformed_signature" });
		expect(await verifyVector(vector("official vector: wrong public key"))).toEqual({
			ok: false,
			reason: "no_matching_signature",
		});
	});

	it("accepts a signature made by any of several keys (rotation), and none with no key", async () => {
		const good = vector("generated key: batched array");
		const wrong = vector("generated key: wrong public key").secret_or_key;
		const official = vector("official vector: valid").secret_or_key;
		const headers = new Headers(good.headers);
		const verify = async (keys: CryptoKey[]) =>
			(await verifySendGridSignature(keys, headers.get(SIGNATURE), headers.get(TIMESTAMP), utf8(good.body ?? ""), 0))
				.ok;
		expect(await verify(await sendGridKeys(`${wrong} ${good.secret_or_key}`))).toBe(true);
		expect(await verify(await sendGridKeys(`${official},${wrong},\n${good.secret_or_key}`))).toBe(true);
		expect(await verify(await sendGridKeys(`${official} ${wrong}`))).toBe(false);
		expect(await verify([])).toBe(false);
	});

	it("verifies what it signs itself: UTF-8(timestamp) || body, DER-encoded, short r and s included", async () => {
		const { privateKey, publicKey } = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, [
			"sign",
			"verify",
		])) as CryptoKeyPair;
		const body = utf8('[{"email":"a@example.com","event":"delivered","sg_event_id":"e1"}]');
		const timestamp = "1800000000";
		const signed = concatBytes(utf8(timestamp), body);
		const seen = { shortR: false, shortS: false, highR: false };
		for (let i = 0; i < 4000 && !(seen.shortR && seen.shortS && seen.highR); i++) {
			const p1363 = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, signed));
			// r or s below 2^248 (DER shorter than 32 bytes: left-pad), r at or above 2^255 (DER sign byte: strip).
			const kinds = { shortR: p1363[0] === 0, shortS: p1363[32] === 0, highR: ((p1363[0] as number) & 0x80) !== 0 };
			const news = (Object.keys(kinds) as (keyof typeof kinds)[]).filter((k) => kinds[k] && !seen[k]);
			if (i > 0 && news.length === 0) continue;
			for (const k of news) seen[k] = true;
			const der = p1363ToDer(p1363);
			expect(derToP1363(der)).toEqual(p1363);
			expect(await verifySendGridSignature([publicKey], b64(der), timestamp, body, 0)).toEqual({
				ok: true,
				timestamp: 1800000000,
			});
		}
		expect(seen).toEqual({ shortR: true, shortS: true, highR: true });
	});
});

describe("derToP1363", () => {
	it.each(cases.filter((v) => v.signature_p1363_b64).map((v) => [v.description, v] as const))(
		"gives the vector's own r||s: %s",
		(_, v) => {
			const der = base64ToBytes(v.headers[SIGNATURE] as string) as Uint8Array;
			expect(derToP1363(der)).toEqual(base64ToBytes(v.signature_p1363_b64 as string));
		},
	);

	it("left-pads short scalars and strips the sign byte", () => {
		const out = derToP1363(sequence(integer(0x01), integer(0x00, 0x80, ...scalar(0x11, 31))));
		expect(out).toEqual(concatBytes(new Uint8Array(31), bytes(0x01), bytes(0x80), new Uint8Array(31).fill(0x11)));
	});

	it.each([
		["empty", bytes()],
		["not a SEQUENCE", concatBytes(bytes(0x31, 6), integer(1), integer(1))],
		["SEQUENCE length too long", concatBytes(bytes(0x30, 7), integer(1), integer(1))],
		["SEQUENCE length too short", concatBytes(bytes(0x30, 5), integer(1), integer(1))],
		["long-form SEQUENCE length", concatBytes(bytes(0x30, 0x81, 6), integer(1), integer(1))],
		["trailing byte inside the SEQUENCE", sequence(integer(1), integer(1), bytes(0))],
		["trailing byte after the SEQUENCE", concatBytes(sequence(integer(1), integer(1)), bytes(0))],
		["a third INTEGER", sequence(integer(1), integer(1), integer(1))],
		["s missing", sequence(integer(1), bytes(0, 0, 0, 0))],
		["r not an INTEGER", sequence(bytes(0x04, 1, 1), integer(1))],
		["r empty", sequence(bytes(0x02, 0), integer(1), bytes(0))],
		["r negative", sequence(integer(...scalar(0x80)), integer(1))],
		["r with a needless leading zero", sequence(integer(0x00, 0x7f), integer(1))],
		["r of 33 bytes with a non-zero first byte", sequence(integer(...scalar(0x01, 33)), integer(1))],
		["r of 34 bytes", sequence(integer(0x00, ...scalar(0x80, 33)), integer(1))],
		["s length past the end", concatBytes(bytes(0x30, 6), integer(1), bytes(0x02, 9, 1))],
		["raw r||s (P1363), 64 bytes", new Uint8Array(64).fill(0x30)],
	])("refuses %s", async (_, der) => {
		expect(derToP1363(der)).toBeUndefined();
		const v = vector("generated key: batched array");
		const keys = await sendGridKeys(v.secret_or_key);
		expect(await verifySendGridSignature(keys, b64(der) || "=", "1513299600", utf8(v.body ?? ""), 0)).toEqual({
			ok: false,
			reason: "malformed_signature",
		});
	});
});

describe("sendGridKeys", () => {
	it("imports each setting once per isolate", () => {
		const setting = vector("official vector: valid").secret_or_key;
		expect(sendGridKeys(setting)).toBe(sendGridKeys(setting));
	});

	it.each([
		["not base64", "MFkw not-a-key!"],
		["base64 but not a key", btoa("hello")],
		["an Ed25519 key, not P-256", "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE="],
	])("refuses %s, saying how to fix it, and does not cache the failure", async (_, setting) => {
		const first = sendGridKeys(setting);
		await expect(first).rejects.toThrow(/copy the whole verification key/);
		expect(sendGridKeys(setting)).not.toBe(first);
		await expect(sendGridKeys(setting)).rejects.toThrow();
	});
});
