"""The customer portal's own rows: sign-in codes and portal sessions.

A sign-in code is a one-time code of the verification rules (verification.services:
6 digits, 10 minutes, single use, 5 wrong tries, stored as the same salted HMAC) sent to a
verified contact on file. It has no ticket, so it is not an `OtpChallenge`; its failures
count toward the customer's lock-out with the desk's (verification.status.failures_since,
a counter registered in apps.py). A row is written for every sign-in request, whether or
not the contact is on file (`customer` then None and nothing is sent): the two answers are
the same, and so are the limits (per typed contact and per address, by digest).

A portal session is not a Django session: its cookie (`PORTAL_COOKIE`, path /portal/)
carries a random key of which only the SHA-256 is stored; staff sessions and portal
sessions never read each other's cookie.
"""

from django.db import models


class SignInCode(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    # None when the contact typed is not a verified contact on file (nothing was sent).
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    email = models.ForeignKey(
        "customers.EmailAddress", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    phone = models.ForeignKey(
        "customers.PhoneNumber", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Keyed digests (never the contact or the address itself): the rate limits' keys.
    contact_digest = models.CharField(max_length=64)
    ip_digest = models.CharField(max_length=64)
    # Where it went, masked ("j•••@example.com"): the evidence a ticket records.
    sent_to = models.CharField(max_length=254, blank=True)
    channel = models.CharField(max_length=8, blank=True)
    code_hash = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    wrong_tries = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["contact_digest", "created_at"], name="portal_code_contact"),
            models.Index(fields=["ip_digest", "created_at"], name="portal_code_ip"),
        ]

    def __str__(self) -> str:
        return f"portal sign-in code {self.pk}"


class SignInFailure(models.Model):
    """A wrong sign-in code for a customer on file: counted with the desk's failures."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    code = models.ForeignKey(SignInCode, on_delete=models.CASCADE, related_name="failures")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["customer", "at"], name="portal_failure_customer")]

    def __str__(self) -> str:
        return f"portal sign-in failure {self.pk}"


class PortalSession(models.Model):
    key_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    # None until a code is passed (a session that is only waiting for a code).
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The code this session waits for, or the one it was signed in with.
    code = models.ForeignKey(
        SignInCode, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    signed_in_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"portal session {self.pk}"
