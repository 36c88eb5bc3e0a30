/**
 * @module webhooks/rejections
 * The one place that turns a rejection into an HTTP status and a public message. The message tells
 * a sender how to fix the request; the detailed reason goes to the logs only.
 */
import type { Rejection } from "./provider";

/**
 * What each verifier's failure reason (src/signatures/*) is refused as: one vocabulary for every
 * provider, whichever scheme it signs with (the reason itself goes to the log as `detail`).
 */
export const signatureRejections = {
	missing_header: "missing_signature_headers",
	missing_headers: "missing_signature_headers",
	missing_signature: "missing_signature_headers",
	not_basic: "missing_signature_headers",
	empty_body: "malformed_json",
	invalid_timestamp: "invalid_signature_timestamp",
	malformed_signature: "signature_mismatch",
	no_matching_signature: "signature_mismatch",
	no_matching_credentials: "signature_mismatch",
	timestamp_too_old: "timestamp_outside_tolerance",
	timestamp_too_new: "timestamp_outside_tolerance",
} as const satisfies Record<string, Rejection>;

export function rejectionResponse(rejection: Rejection): {
	status: 400 | 401 | 406 | 413 | 500 | 503;
	message: string;
} {
	switch (rejection) {
		case "payload_too_large":
			return { status: 413, message: "The body is larger than 1 MiB." };
		case "missing_signature_headers":
			return {
				status: 401,
				message: "Signature headers are missing: send the provider's signature headers unchanged.",
			};
		case "invalid_signature_timestamp":
			return { status: 401, message: "The signature timestamp header is not a unix time in seconds." };
		case "signature_mismatch":
			return {
				status: 401,
				message:
					"No signature matched: check the signing secret for this endpoint and forward the raw body unmodified.",
			};
		case "timestamp_outside_tolerance":
			return {
				status: 401,
				message: "The signature timestamp is more than 5 minutes from our clock: a replay, or a wrong clock.",
			};
		case "replayed_signature":
			// 406: Mailgun's "do not retry" (a delivery already recorded under this token needs no retry)
			return {
				status: 406,
				message: "This signature was already used: a delivery is signed once and accepted once.",
			};
		case "malformed_json":
			return { status: 400, message: "The body is not valid JSON." };
		case "not_configured":
			return { status: 500, message: "This endpoint is not configured yet; the event was not recorded, retry later." };
		case "database_unavailable":
			return { status: 503, message: "The event could not be recorded; retry later." };
	}
}
