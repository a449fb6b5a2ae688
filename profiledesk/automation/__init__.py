"""Straight-through processing (issue 18): a request a client's app or API sent, verified
by evidence no agent recorded, applied without an agent when nothing holds it back."""
