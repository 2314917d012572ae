"""``python manage.py setup_schedules``: create or update the periodic tasks (django-q2).

Idempotent: each schedule is found by its name and brought to what is declared here; run it
at every deploy. Running it twice leaves one row per schedule.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.models import Schedule


@dataclass(frozen=True)
class DailySchedule:
    name: str
    func: str
    at: dt.time  # in the server's time zone (settings.TIME_ZONE)


SCHEDULES: tuple[DailySchedule, ...] = (
    # The full path re-derives every organization's awards and points from the ledger and
    # withdraws revocable badges whose window has passed: at night, when nobody publishes.
    DailySchedule("badges-nightly-reconcile", "badges.tasks.badges_reconcile_task", dt.time(2, 30)),
)


def next_daily_run(at: dt.time, now: dt.datetime) -> dt.datetime:
    """The next time it is ``at`` o'clock in the server's time zone, after ``now``.

    django-q2 then adds a day per run and corrects for daylight saving, so the schedule
    stays at that local time all year."""
    today = timezone.localtime(now).date()
    candidate = timezone.make_aware(dt.datetime.combine(today, at))
    if candidate <= now:
        candidate = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), at))
    return candidate


class Command(BaseCommand):
    help = "Create or update the periodic tasks (the nightly reconciliation). Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        for wanted in SCHEDULES:
            self.stdout.write(self._ensure(wanted, now))

    def _ensure(self, wanted: DailySchedule, now: dt.datetime) -> str:
        rows = list(Schedule.objects.filter(name=wanted.name).order_by("pk"))
        details = {
            "name": wanted.name,
            "func": wanted.func,
            "time": wanted.at.strftime("%H:%M"),
            "tz": settings.TIME_ZONE,
        }
        if not rows:
            schedule = Schedule.objects.create(
                name=wanted.name,
                func=wanted.func,
                schedule_type=Schedule.DAILY,
                repeats=-1,
                next_run=next_daily_run(wanted.at, now),
            )
            return _(
                "Created %(name)s: %(func)s, daily at %(time)s (%(tz)s), next run %(next)s."
            ) % {
                **details,
                "next": timezone.localtime(schedule.next_run).isoformat(timespec="minutes"),
            }
        schedule, extra = rows[0], rows[1:]
        changed = bool(extra)
        for duplicate in extra:
            duplicate.delete()
        fields: dict[str, Any] = {
            "func": wanted.func,
            "schedule_type": Schedule.DAILY,
            "repeats": -1,
            "args": None,
            "kwargs": None,
            "minutes": None,
            "cron": None,
        }
        for name, value in fields.items():
            if getattr(schedule, name) != value:
                setattr(schedule, name, value)
                changed = True
        local = timezone.localtime(schedule.next_run) if schedule.next_run else None
        if local is None or local.time().replace(second=0, microsecond=0) != wanted.at:
            schedule.next_run = next_daily_run(wanted.at, now)
            changed = True
        if not changed:
            return _("Unchanged %(name)s: %(func)s, daily at %(time)s (%(tz)s).") % details
        schedule.save()
        return _("Updated %(name)s: %(func)s, daily at %(time)s (%(tz)s), next run %(next)s.") % {
            **details,
            "next": timezone.localtime(schedule.next_run).isoformat(timespec="minutes"),
        }
