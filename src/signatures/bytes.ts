/**
 * @module signatures/bytes
 * Small byte helpers shared by the signature schemes: base64 decoding that never throws, hex,
 * concatenation, and a constant-time comparison.
 */

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
	return encoder.encode(text);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
	const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
	let offset = 0;
	for (const part of parts) {
		out.set(part, offset);
		offset += part.byteLength;
	}
	return out;
}

/** Decodes standard base64; undefined when the text is not base64. */
export function base64ToBytes(text: string): Uint8Array | undefined {
	try {
		return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
	} catch {
		return undefined;
	}
}

export function bytesToHex(bytes: Uint8Array): string {
	return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
	return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/** Constant-time equality; unequal lengths are simply unequal (the length is not secret). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
	return a.byteLength === b.byteLength && crypto.subtle.timingSafeEqual(a, b);
}
