/**
 * Test helper: the signature vectors (test/fixtures/signatures/*.json) and a way to
 * deliver one through the Worker with its own clock and secret.
 */
import { env } from "cloudflare:test";
import mailgun from "@fixtures/signatures/mailgun.json";
import sendgrid from "@fixtures/signatures/sendgrid.json";
import stripe from "@fixtures/signatures/stripe.json";
import svix from "@fixtures/signatures/svix.json";
import { vi } from "vitest";
import { type Delivered, deliver } from "./deliver";

export interface SignatureVector {
	kind: string;
	description: string;
	secret_or_key: string;
	headers: Record<string, string>;
	body: string | null;
	body_repeat?: { char: string; count: number };
	now: number;
	tolerance_seconds: number;
	expected_valid: boolean;
	policy_dependent?: boolean;
}

const vectorsOf = (file: unknown) => (file as SignatureVector[]).filter((v) => v.kind === "vector");
export const svixVectors = vectorsOf(svix);
export const stripeVectors = vectorsOf(stripe);

/** A SendGrid vector: official ones have no clock (`now` null); none sets a window (`tolerance_seconds` null). */
export interface SendGridVector extends Omit<SignatureVector, "now" | "tolerance_seconds"> {
	now: number | null;
	tolerance_seconds: number | null;
	/** The same signature as raw r‖s (IEEE P1363), base64, where the vector gives it. */
	signature_p1363_b64?: string;
	/** The private key that made a generated vector (PKCS #8, base64): for signing in tests only. */
	private_key_pkcs8_b64_for_reference?: string;
	/** The answer with a 300 s freshness window, where it differs from `expected_valid`. */
	expected_valid_if_replay_window_300s?: boolean;
}

/** A Mailgun vector: the signature block is inside `body`; replays name the vector whose token was seen. */
export interface MailgunVector extends SignatureVector {
	/** Which HMAC of the block to check (absent: `signature`). */
	verify_field?: "signature" | "parent-signature";
	stateful?: boolean;
	/** Index in the vector list (meta element excluded) of the delivery whose token is already seen. */
	replay_of_vector_index?: number;
	/** The HMAC check alone, where `expected_valid` also applies the freshness or replay policy. */
	expected_valid_signature_only?: boolean;
}

export const sendgridVectors = (sendgrid as unknown as SendGridVector[]).filter((v) => v.kind === "vector");
export const mailgunVectors = (mailgun as unknown as MailgunVector[]).filter((v) => v.kind === "vector");

/** The exact body a vector signed. */
export const vectorBody = (v: SignatureVector) => v.body ?? v.body_repeat?.char.repeat(v.body_repeat.count) ?? "";

/** Posts a vector to `path` with the Worker's clock at the vector's `now` and its secret under `secretName`. */
export async function deliverVector(v: SignatureVector, path: string, secretName: keyof Env): Promise<Delivered> {
	const request = new Request(`http://shop.test${path}`, { method: "POST", headers: v.headers, body: vectorBody(v) });
	vi.useFakeTimers({ toFake: ["Date"] });
	vi.setSystemTime(v.now * 1000);
	try {
		return await deliver(request, { ...env, [secretName]: v.secret_or_key });
	} finally {
		vi.useRealTimers();
	}
}
