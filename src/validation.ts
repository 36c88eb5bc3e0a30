/**
 * @module validation
 * zod setup shared by every provider: the mini build (small Worker) with English messages, and
 * how a validation failure is described in the ledger and logs: paths and expectations, never values.
 */

import { en } from "zod/locales";
import * as z from "zod/mini";

z.config(en());

/** A short reason for the ledger and logs, e.g. `data.id: Invalid input: expected string, received number`. */
export function describeIssues(error: z.core.$ZodError): string {
	return error.issues
		.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`)
		.join("; ")
		.slice(0, 500);
}
