"""An external identity-verification provider (issue 18): Stripe Identity's document +
matching-selfie check as the verification method "provider" (AL3 on its own)."""
