/**
 * @module webhooks/read-body
 * Reads a request body as raw bytes (signatures cover bytes, not re-serialised JSON), refusing
 * bodies over the limit without buffering them whole.
 */

export const MAX_BODY_BYTES = 1024 * 1024;

/** The body's bytes, or undefined when it is larger than `limit`. */
export async function readBodyWithin(request: Request, limit = MAX_BODY_BYTES): Promise<Uint8Array | undefined> {
	if (Number(request.headers.get("content-length") ?? 0) > limit) return undefined;
	if (!request.body) return new Uint8Array();
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > limit) {
			await reader.cancel();
			return undefined;
		}
		chunks.push(value);
	}
	const body = new Uint8Array(size);
	let offset = 0;
	for (const chunk of chunks) {
		body.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return body;
}
