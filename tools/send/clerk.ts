/**
 * Clerk event templates for the send CLI, shaped like real deliveries (see
 * test/fixtures/payloads/clerk/): fresh fake users with example.com addresses.
 */
import { randomBytes, randomInt } from "node:crypto";

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
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	return `${prefix}_${Array.from(randomBytes(27), (b) => alphabet[b % 62]).join("")}`;
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
