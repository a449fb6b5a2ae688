"""python manage.py demo_totp USERNAME: the code a demo user's authenticator would show."""

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from profiledesk.demo.mode import require_demo_mode


class Command(BaseCommand):
    help = "Print the current TOTP code of a staff member's device (demo mode only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        require_demo_mode("demo_totp")
        device = (
            TOTPDevice.objects.filter(user__username=username, confirmed=True)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise CommandError(f"{username} has no confirmed TOTP device (run seed_demo first?).")
        code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{code:0{device.digits}d}")
