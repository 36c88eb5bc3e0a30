/**
 * @module providers/email-provider
 * What the four email providers share once a body is verified: their readings (one per provider
 * event, src/providers/email-reading.ts) become the pipeline's interpretations, applied by
 * src/domain/emails.ts. The event's subject (for src/privacy.ts) is the user its tags name, else the
 * user whose email is the recipient.
 */
import { applyEmailEvent, emailEventSubject } from "../domain/emails";
import type { Change, Interpretation } from "../webhooks/provider";
import type { EmailReading } from "./email-reading";

/** One interpretation per reading: a handled kind applies, an unhandled one is `ignored`, an unreadable one `failed`. */
export function emailInterpretations(provider: string, readings: EmailReading[]): Interpretation[] {
	return readings.map((reading): Interpretation => {
		if (!reading.ok)
			return { kind: "fail", eventId: reading.eventId, eventType: reading.eventType, reason: reading.reason };
		const { event } = reading;
		const about = {
			eventId: event.eventId,
			eventType: event.eventType,
			subjectUserId: emailEventSubject(provider, event),
		};
		const kind = event.kind;
		if (kind === null) return { kind: "ignore", ...about };
		return {
			kind: "apply",
			...about,
			changes: (db, isNew) => applyEmailEvent(db, provider, { ...event, kind }, isNew) as [Change, ...Change[]],
		};
	});
}
