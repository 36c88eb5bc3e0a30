/**
 * The Mailgun signature verifier against every vector in test/fixtures/signatures/mailgun.json. The verifier keeps no
 * state: the replay vectors are evaluated, as the file's meta says, with a Set of the tokens already seen standing in
 * for the pipeline's memory, to show that the verifier plus that memory give every expected answer.
 */
import { describe, expect, it } from "vitest";
import { bytesToHex, utf8 } from "../../src/signatures/bytes";
import {
	MAILGUN_TOLERANCE_SECONDS,
	type MailgunSignatureResult,
	mailgunKeys,
	verifyMailgunSignature,
} from "../../src/signatures/mailgun";
import { type MailgunVector, mailgunVectors, vectorBody } from "../support/vectors";

const cases = mailgunVectors;

/** The body's `signature` member, as the pipeline would hand it over after JSON.parse. */
const signatureOf = (v: MailgunVector): unknown => (JSON.parse(vectorBody(v)) as { signature?: unknown }).signature;
const tokenOf = (v: MailgunVector) => (signatureOf(v) as { token: string }).token;

async function verifyVector(v: MailgunVector, toleranceSeconds = v.tolerance_seconds): Promise<MailgunSignatureResult> {
	return verifyMailgunSignature(
		await mailgunKeys(v.secret_or_key),
		signatureOf(v),
		v.now,
		toleranceSeconds,
		v.verify_field ?? "signature",
	);
}

/** The pipeline's rule in miniature: a verified delivery is accepted once per token. */
function accept(result: MailgunSignatureResult, seen: Set<string>): boolean {
	if (!result.ok || seen.has(result.token)) return false;
	seen.add(result.token);
	return true;
}

function vector(description: string): MailgunVector {
	const found = cases.find((v) => v.description.startsWith(description));
	if (!found) throw new Error(`no vector "${description}"`);
	return found;
}

async function hmacHex(key: string, text: string): Promise<string> {
	const imported = await crypto.subtle.importKey("raw", utf8(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
	return bytesToHex(new Uint8Array(await crypto.subtle.sign("HMAC", imported, utf8(text))));
}

describe("verifyMailgunSignature", () => {
	it("has the vectors to run", () => {
		expect(cases.length).toBe(14);
		expect(cases.filter((v) => v.stateful)).toHaveLength(1);
		expect(cases.every((v) => v.tolerance_seconds === MAILGUN_TOLERANCE_SECONDS)).toBe(true);
	});

	it.each(cases.map((v) => [v.description, v] as const))("%s", async (_, v) => {
		// A fresh memory per vector, holding the replayed vector's token when the vector is a replay.
		const seen = new Set<string>();
		if (v.replay_of_vector_index !== undefined) {
			const original = cases[v.replay_of_vector_index] as MailgunVector;
			expect(accept(await verifyVector(original), seen)).toBe(true);
			expect(seen.has(tokenOf(v))).toBe(true);
		}
		expect(accept(await verifyVector(v), seen)).toBe(v.expected_valid);
		if (v.expected_valid_signature_only !== undefined) {
			// The HMAC alone: no window, no memory.
			expect((await verifyVector(v, Number.POSITIVE_INFINITY)).ok).toBe(v.expected_valid_signature_only);
		}
	});

	it("returns the timestamp and the token the pipeline must remember", async () => {
		expect(await verifyVector(vector("delivered event, valid"))).toEqual({
			ok: true,
			timestamp: 1747500000,
			token: "aecc3345259a0f0cdfe358bb3b5235ac5c42e6603246d933bb",
		});
	});

	it("a captured triple with forged event-data verifies, and only the token memory refuses it", async () => {
		const genuine = vector("delivered event, valid");
		const forged = JSON.parse(vectorBody(genuine)) as { signature: unknown; "event-data": { event: string } };
		forged["event-data"].event = "failed";
		const keys = await mailgunKeys(genuine.secret_or_key);
		const seen = new Set<string>();
		expect(accept(await verifyMailgunSignature(keys, signatureOf(genuine), genuine.now), seen)).toBe(true);
		const replay = await verifyMailgunSignature(keys, forged.signature, genuine.now + 60);
		expect(replay.ok).toBe(true);
		expect(accept(replay, seen)).toBe(false);
	});

	it("refuses a timestamp more than the tolerance away, both ways, and accepts exactly the tolerance", async () => {
		const v = vector("delivered event, valid");
		const at = async (now: number) => {
			const result = await verifyVector({ ...v, now });
			return result.ok ? "accepted" : result.reason;
		};
		expect(await at(1747500000 + 300)).toBe("accepted");
		expect(await at(1747500000 - 300)).toBe("accepted");
		expect(await at(1747500000 + 301)).toBe("timestamp_too_old");
		expect(await at(1747500000 - 301)).toBe("timestamp_too_new");
	});

	it("names the reason for each kind of malformed block", async () => {
		const v = vector("delivered event, valid");
		const keys = await mailgunKeys(v.secret_or_key);
		const good = signatureOf(v) as Record<string, string>;
		const reason = async (block: unknown) => {
			const result = await verifyMailgunSignature(keys, block, v.now);
			return result.ok ? "accepted" : result.reason;
		};
		for (const missing of [undefined, null, "a string", 1747500000, [good]]) {
			expect(await reason(missing)).toBe("missing_signature");
		}
		expect(await reason({})).toBe("malformed_signature");
		expect(await reason({ ...good, timestamp: 1747500000 })).toBe("malformed_signature");
		expect(await reason({ ...good, token: undefined })).toBe("malformed_signature");
		expect(await reason({ ...good, token: "" })).toBe("malformed_signature");
		expect(await reason({ ...good, signature: ["x"] })).toBe("malformed_signature");
		expect(await reason({ ...good, signature: "" })).toBe("malformed_signature");
		for (const bad of ["", "abc", "1747500000.0", "-1747500000", "1e9", " 1747500000"]) {
			expect(await reason({ ...good, timestamp: bad })).toBe("invalid_timestamp");
		}
		expect(await reason({ ...good, signature: good.signature?.toUpperCase() })).toBe("no_matching_signature");
		expect(await reason({ ...good, signature: good.signature?.slice(0, 63) })).toBe("no_matching_signature");
		expect(await reason({ ...good, signature: `${good.signature}0` })).toBe("no_matching_signature");
		expect(await reason(good)).toBe("accepted");
	});

	it("accepts any of several signing keys (rotation), and nothing with no key", async () => {
		const v = vector("delivered event, valid");
		const wrong = vector("wrong signing key").secret_or_key;
		const verify = async (setting: string) =>
			(await verifyMailgunSignature(await mailgunKeys(setting), signatureOf(v), v.now)).ok;
		expect(await verify(`${wrong} ${v.secret_or_key}`)).toBe(true);
		expect(await verify(`${v.secret_or_key},${wrong}`)).toBe(true);
		expect(await verify(wrong)).toBe(false);
		expect(await verify("")).toBe(false);
	});

	it("checks parent-signature only when asked, with the primary account's key", async () => {
		const primary = vector('subaccount event: verify "parent-signature"');
		const subaccount = vector('subaccount event: verify "signature"');
		const block = signatureOf(primary);
		const check = async (key: string, field: "signature" | "parent-signature") =>
			(await verifyMailgunSignature(await mailgunKeys(key), block, primary.now, 300, field)).ok;
		expect(await check(primary.secret_or_key, "parent-signature")).toBe(true);
		expect(await check(subaccount.secret_or_key, "signature")).toBe(true);
		expect(await check(primary.secret_or_key, "signature")).toBe(false);
		expect(await check(subaccount.secret_or_key, "parent-signature")).toBe(false);
		// A block without parent-signature (a domain of the primary account itself) is malformed for that field.
		const plain = signatureOf(vector("delivered event, valid"));
		expect(
			await verifyMailgunSignature(
				await mailgunKeys(primary.secret_or_key),
				plain,
				1747500000,
				300,
				"parent-signature",
			),
		).toEqual({
			ok: false,
			reason: "malformed_signature",
		});
	});

	it("verifies the legacy form-encoded fields the same way", async () => {
		const key = "key-legacy-signing-key";
		const timestamp = "1747500000";
		const token = "a".repeat(50);
		const form = new URLSearchParams({ timestamp, token, signature: await hmacHex(key, timestamp + token) });
		const block = Object.fromEntries(form);
		expect(await verifyMailgunSignature(await mailgunKeys(key), block, 1747500100)).toEqual({
			ok: true,
			timestamp: 1747500000,
			token,
		});
	});
});

describe("mailgunKeys", () => {
	it("imports each setting once per isolate", () => {
		expect(mailgunKeys("5103645f25f881e56e29c013d8cf0ebe")).toBe(mailgunKeys("5103645f25f881e56e29c013d8cf0ebe"));
	});

	it("keys with the UTF-8 text of the signing key, not its hex decoding", async () => {
		const v = vector("delivered event, valid");
		const block = signatureOf(v) as Record<string, string>;
		expect(await hmacHex(v.secret_or_key, `${block.timestamp}${block.token}`)).toBe(block.signature);
	});
});
