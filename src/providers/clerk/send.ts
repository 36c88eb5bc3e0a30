/**
 * @module providers/clerk/send
 * Clerk's side, for `npm run send -- clerk <type>` (src/providers/sending.ts; never imported by the
 * Worker): event templates shaped like real deliveries (see test/fixtures/payloads/clerk/), fresh
 * fake users with example.com addresses, signed with Standard Webhooks (Svix) and
 * CLERK_WEBHOOK_SIGNING_SECRET by the svix library.
 */
import { randomInt } from "node:crypto";
import { asText, base62, onlyEvent, type ProviderSender, randomChars, standardWebhooksHeaders } from "../sending";

const firstNames = ["Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Frances"];
const lastNames = [
	"Lovelace",
	"Hopper",
	"Turing",
	"Johnson",
	"Torvalds",
	"Hamilton",
	"Ritchie",
	"Liskov",
	"Thompson",
	"Allen",
];

/** A Clerk-style id: prefix + 27 base62 characters. */
export function clerkId(prefix: string): string {
	return `${prefix}_${randomChars(27, base62)}`;
}

function fakeUser(now: number) {
	const first = firstNames[randomInt(firstNames.length)] as string;
	const last = lastNames[randomInt(lastNames.length)] as string;
	const emailId = clerkId("idn");
	return {
		backup_code_enabled: false,
		banned: false,
		created_at: now,
		email_addresses: [
			{
				created_at: now,
				email_address: `${first}.${last}.${randomInt(100000)}@example.com`.toLowerCase(),
				id: emailId,
				linked_to: [],
				object: "email_address",
				reserved: false,
				updated_at: now,
				verification: { attempts: 1, expire_at: now + 600_000, status: "verified", strategy: "email_code" },
			},
		],
		external_accounts: [],
		external_id: null,
		first_name: first,
		has_image: false,
		id: clerkId("user"),
		image_url: "https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9",
		last_active_at: now,
		last_name: last,
		last_sign_in_at: null,
		locked: false,
		object: "user",
		password_enabled: true,
		phone_numbers: [],
		primary_email_address_id: emailId,
		primary_phone_number_id: null,
		primary_web3_wallet_id: null,
		private_metadata: {},
		public_metadata: {},
		two_factor_enabled: false,
		unsafe_metadata: {},
		updated_at: now,
		username: null,
		web3_wallets: [],
	};
}

function envelope(type: string, data: unknown, now: number) {
	return {
		data,
		event_attributes: { http_request: { client_ip: "203.0.113.10", user_agent: "shop-webhooks send CLI" } },
		instance_id: "ins_shopwebhookslocal",
		object: "event",
		timestamp: now,
		type,
	};
}

/** The event types the CLI can build, each a fresh realistic payload. */
export const clerkTemplates: Record<string, (now: number) => Record<string, unknown>> = {
	"user.created": (now) => envelope("user.created", fakeUser(now), now),
	"user.updated": (now) => envelope("user.updated", fakeUser(now), now),
	"user.deleted": (now) => envelope("user.deleted", { deleted: true, id: clerkId("user"), object: "user" }, now),
};

export const sender: ProviderSender = {
	templates: clerkTemplates,
	signingSecret: { variable: "CLERK_WEBHOOK_SIGNING_SECRET" },
	async sign(events, secret, now) {
		const body = JSON.stringify(onlyEvent(events));
		return { headers: standardWebhooksHeaders(secret, body, now), body };
	},
	describe: (event) => asText((event.data as { id?: unknown } | undefined)?.id),
};
