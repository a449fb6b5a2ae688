"""Staff TOTP devices (django-otp): enrolment, verification, the QR code the desk draws."""

import base64

import qrcode
import qrcode.image.svg
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import audit_record

from .models import User
from .sessions import staff_session_rotate


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed device shown on the set-up page (one per user, kept across reloads)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)


def qr_data_uri(device: TOTPDevice) -> str:
    """The QR code as an `<img src>`: a data: URI of the SVG the desk draws, so the page
    prints no markup of its own making unescaped, and an image runs no script whatever
    its content (the `otpauth://` URL holds the username)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    svg = image.to_string(encoding="utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def second_factor_verify(*, request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Check a code; on success mark the session verified and give it a new key."""
    user = request.user
    assert isinstance(user, User)  # the views are behind the password step
    if not device.verify_token(token):
        audit_record(action="staff.sign_in.otp_failed", actor=user, target=user, request=request)
        return False
    if not device.confirmed:
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(action="staff.totp_enrolled", actor=user, target=user, request=request)
    otp_login(request, device)
    staff_session_rotate(request=request)
    audit_record(action="staff.sign_in.verified", actor=user, target=user, request=request)
    return True
