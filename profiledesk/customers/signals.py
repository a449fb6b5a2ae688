"""What the customers capability announces to the layers above it."""

from django.dispatch import Signal

# A profile was frozen or unfrozen (`customer`: the locked, saved row). Sent inside the
# freeze's transaction; a receiver's error undoes the freeze.
freeze_changed = Signal()
