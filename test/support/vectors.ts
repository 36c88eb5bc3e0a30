/**
 * Test helper: the signature vectors (test/fixtures/signatures/*.json) and a way to
 * deliver one through the Worker with its own clock and secret.
 */
import { env } from "cloudflare:test";
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
