"""A client's colour on the portal, with text that stays readable on it (WCAG 2.2 AA).

The colour is checked again here (not only by the admin's validator): whatever the row
holds, only "#rrggbb" reaches the style sheet, so nothing written into the field can
break out of the CSS value."""

from dataclasses import dataclass

from profiledesk.clients.models import HEX_COLOUR

DEFAULT_COLOUR = "#1f4e79"
BLACK, WHITE = "#000000", "#ffffff"


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: str, b: str) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@dataclass(frozen=True)
class Brand:
    colour: str
    on_colour: str  # black or white, whichever contrasts more (always >= 4.5:1)


def brand_of(colour: str | None) -> Brand:
    safe = colour.lower() if colour and HEX_COLOUR.fullmatch(colour) else DEFAULT_COLOUR
    on = BLACK if contrast(safe, BLACK) >= contrast(safe, WHITE) else WHITE
    return Brand(colour=safe, on_colour=on)
