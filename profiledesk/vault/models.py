from django.db import models


class VaultedIban(models.Model):
    """The local vault's store of bank account numbers (a provider's vault in production).

    Not part of the profile and not history-tracked: the profile keeps the token only.
    """

    token = models.CharField(max_length=64, unique=True)
    iban = models.CharField(max_length=34)
    fingerprint = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.token
