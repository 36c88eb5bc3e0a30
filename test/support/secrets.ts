/**
 * Test-only signing secrets, bound into the Worker by vitest.config.ts. Two secrets, to exercise rotation.
 */
export const clerkSecret = "whsec_dGVzdC1jbGVyay1zaWduaW5nLXNlY3JldC0wMDE=";
export const clerkPreviousSecret = "whsec_b2xkLWNsZXJrLXNpZ25pbmctc2VjcmV0LTAwMDA=";
export const stripeSecret = "whsec_test_stripe_signing_secret_0001";
export const stripePreviousSecret = "whsec_test_stripe_signing_secret_0000";
