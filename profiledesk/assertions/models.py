"""Signed assertions from a client's app (issue 18): the keys a client registered to sign
them, the client's mapping from sign-in methods to an assurance level, and the `jti`s
already used.

A key is a public key only (ES256, RS256 or EdDSA): the desk can check an assertion but
never make one. A shared secret (HS256) is refused, since whoever holds it could forge
the client's assertions, the desk included. A key is revoked, never deleted: the
evidence it signed names it (`Attempt.detail["kid"]`).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Algorithm(models.TextChoices):
    ES256 = "ES256", _("ES256 (ECDSA P-256, SHA-256)")
    RS256 = "RS256", _("RS256 (RSA, SHA-256, at least 2048 bits)")
    EDDSA = "EdDSA", _("EdDSA (Ed25519)")


class AppKeyQuerySet(models.QuerySet["AppKey"]):
    def usable(self) -> "AppKeyQuerySet":
        return self.filter(is_active=True, revoked_at__isnull=True)


class AppKey(models.Model):
    """A public key a client's app signs its assertions with, found by (issuer, kid)."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="assertion_keys"
    )
    issuer = models.CharField(
        _("issuer (iss)"),
        max_length=200,
        help_text=_("The `iss` the client's app puts in its assertions, e.g. its base URL."),
    )
    kid = models.CharField(
        _("key id (kid)"), max_length=64, help_text=_("The `kid` in the assertion's header.")
    )
    algorithm = models.CharField(_("algorithm"), max_length=8, choices=Algorithm.choices)
    public_key = models.TextField(
        _("public key (PEM)"),
        help_text=_("-----BEGIN PUBLIC KEY-----… Never a private key or a shared secret."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("registered"), editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = AppKeyQuerySet.as_manager()

    class Meta:
        ordering = ["client", "issuer", "kid"]
        verbose_name = _("client app signing key")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "issuer", "kid"], name="assertion_key_unique_client_iss_kid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.issuer} / {self.kid} ({self.algorithm})"


class LevelPolicy(models.Model):
    """How much an app sign-in proves, per client: `levels` maps an authentication method
    (`amr` value, RFC 8176) or a `+`-joined combination of them to an assurance level.
    A client without a row has `rules.DEFAULT_LEVELS`."""

    client = models.OneToOneField(
        "clients.Client", on_delete=models.CASCADE, related_name="assertion_policy"
    )
    levels = models.JSONField(_("levels by sign-in method"))
    updated_at = models.DateTimeField(_("updated"), editable=False)

    class Meta:
        verbose_name = _("client app assertion policy")
        verbose_name_plural = _("client app assertion policies")

    def __str__(self) -> str:
        return f"assertion policy of client {self.client_id}"


class UsedAssertion(models.Model):
    """A `jti` a client's app used: the unique constraint refuses its second use, even by
    two requests at once. Kept until the assertion expired (then it could not be
    accepted anyway) and purged after."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=128)
    used_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "jti"], name="assertion_jti_unique_client")
        ]
        indexes = [models.Index(fields=["expires_at"], name="assertion_jti_expires")]

    def __str__(self) -> str:
        return f"jti {self.jti[:8]}… of client {self.client_id}"
