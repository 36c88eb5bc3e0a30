/**
 * @module webhooks/rejections
 * The one place that turns a rejection into an HTTP status and a public message. The message tells
 * a sender how to fix the request; the detailed reason goes to the logs only.
 */
import type { Rejection } from "./provider";

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
