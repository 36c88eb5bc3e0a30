/**
 * Test-only signing secrets, bound into the Worker by vitest.config.ts. Two secrets, to exercise rotation.
 */
export const clerkSecret = "whsec_dGVzdC1jbGVyay1zaWduaW5nLXNlY3JldC0wMDE=";
export const clerkPreviousSecret = "whsec_b2xkLWNsZXJrLXNpZ25pbmctc2VjcmV0LTAwMDA=";
export const stripeSecret = "whsec_test_stripe_signing_secret_0001";
export const stripePreviousSecret = "whsec_test_stripe_signing_secret_0000";

/** Resend: Standard Webhooks secrets, as Clerk's (RESEND_WEBHOOK_SECRET holds both). */
export const resendSecret = "whsec_qSU6UAvBwuEfk0aUWDXVS2hOTogSMNFF";
export const resendPreviousSecret = "whsec_cmVzZW5kLXByZXZpb3VzLXRlc3Qtc2VjcmV0MDA=";

/**
 * SendGrid: a P-256 test key pair (generated for these tests, never used anywhere else). The Worker
 * gets the public key (base64 DER SPKI) as SENDGRID_WEBHOOK_PUBLIC_KEY; tests sign with the private
 * key (base64 DER PKCS#8), e.g. with src/providers/sendgrid/send.ts `sender.sign`.
 */
export const sendgridPublicKey =
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEY/uIQviQlTjbFQ6FqGpEnwpkOfmlz5vBdN3pRxv39zyiXn6rIIN5E8px9AWon3RV3WfIuasOgEg+bk5kY2NWZQ==";
export const sendgridPrivateKey =
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgI8aZXJFVp25M+1wwjSZZub6uIE0xSq9j8u0Zxoxy53yhRANCAARj+4hC+JCVONsVDoWoakSfCmQ5+aXPm8F03elHG/f3PKJefqsgg3kTynH0BaifdFXdZ8i5qw6ASD5uTmRjY1Zl";

/** Postmark: the Basic credentials (`user:password`) POSTMARK_WEBHOOK_BASIC_AUTH allows; the password of the second holds colons. */
export const postmarkCredentials = "postmark-webhooks:g7j_z22YQGXN5HxMGJgB_9nU";
export const postmarkPreviousCredentials = "postmark-old:pass:with:colons";

/** Mailgun: HTTP webhook signing keys (MAILGUN_WEBHOOK_SIGNING_KEY holds both). */
export const mailgunSigningKey = "d7d28ad0c03603c975f0e49941150b0c";
export const mailgunPreviousSigningKey = "key-0f3a9c1d2e4b5a6978c8d7e6f5a4b3c2";

/**
 * The parcel-tracking providers. EasyPost: webhook secrets (EASYPOST_WEBHOOK_SECRET holds both); the
 * previous one holds compatibility characters, so that a test of rotation also checks the NFKD key.
 */
export const easypostSecret = "whk_test_easypost_0001";
export const easypostPreviousSecret = "ﬁnance-ＳＥＣＲＥＴ-0000";
/** AfterShip: webhook secrets (AFTERSHIP_WEBHOOK_SECRET holds both). */
export const aftershipSecret = "8c1f0a5e2b7d4c9f8a6e3d2c1b0a9f8e";
export const aftershipPreviousSecret = "0f9e8d7c6b5a49382716a5b4c3d2e1f0";
/** Shippo: the secret tokens of its webhook URL (`?token=…`; SHIPPO_WEBHOOK_TOKEN holds both). */
export const shippoToken = "shippo-test-token-5f2a9c7e1b3d4f6a8c0e2b4d6f8a0c1e";
export const shippoPreviousToken = "shippo-old-token-0000";

/** The admin token (ADMIN_TOKEN): `Authorization: Bearer …` for the admin API, the dashboard's login. */
export const adminToken = "admin-test-token_5f0c2a9e7b1d4c3a8e6f";
