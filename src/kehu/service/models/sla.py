"""SLA (service levels): business calendars and their exception days, SLA policies, each ticket's targets and the
warnings and breaches the ``sla-check`` job records (``kehu.service.sla``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.org.models import Branch

from .tickets import Priority, Ticket, TicketType

WEEKDAY_FIELDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HOURS_HELP = _("Working intervals as HH:MM-HH:MM separated by commas, e.g. 09:00-12:00, 13:00-18:00; empty: closed.")


def validate_hours(value: str) -> None:
    from kehu.service.sla.clock import parse_hours

    try:
        parse_hours(value)
    except ValueError:
        raise ValidationError(
            _("Write the hours as HH:MM-HH:MM separated by commas, in order and not overlapping."), code="hours"
        ) from None


def validate_time_zone(value: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Unknown time zone."), code="time_zone") from None


def _hours_field(label, default: str) -> models.CharField:
    return models.CharField(label, max_length=100, blank=True, default=default, validators=[validate_hours],
                            help_text=HOURS_HELP)


class BusinessCalendar(models.Model):
    """Weekly business hours in a time zone. Branches are assigned one through :class:`BranchCalendar`; a branch
    without one takes its nearest ancestor's, else the default calendar. The public holidays and make-up working
    days (``CalendarDay`` without a calendar) apply to every calendar that uses them; a calendar's own days
    override them."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai",
                                 validators=[validate_time_zone])
    monday = _hours_field(_("Monday"), "09:00-12:00, 13:00-18:00")
    tuesday = _hours_field(_("Tuesday"), "09:00-12:00, 13:00-18:00")
    wednesday = _hours_field(_("Wednesday"), "09:00-12:00, 13:00-18:00")
    thursday = _hours_field(_("Thursday"), "09:00-12:00, 13:00-18:00")
    friday = _hours_field(_("Friday"), "09:00-12:00, 13:00-18:00")
    saturday = _hours_field(_("Saturday"), "")
    sunday = _hours_field(_("Sunday"), "")
    use_public_holidays = models.BooleanField(_("observes the public holidays"), default=True)
    is_default = models.BooleanField(_("default"), default=False,
                                     help_text=_("Used by branches without a calendar of their own."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["-is_default", "name"]
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                               name="sla_one_default_calendar")]

    def __str__(self) -> str:
        return self.name

    def weekday_hours(self) -> list[str]:
        return [getattr(self, name) for name in WEEKDAY_FIELDS]


class BranchCalendar(models.Model):
    """The business calendar of a branch (and of the branches below it that have none)."""

    branch = models.OneToOneField(Branch, verbose_name=_("branch"), on_delete=models.CASCADE, primary_key=True,
                                  related_name="+")
    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"), on_delete=models.CASCADE,
                                 related_name="branches")

    class Meta:
        verbose_name = _("branch calendar")
        verbose_name_plural = _("branch calendars")

    def __str__(self) -> str:
        return f"{self.branch} → {self.calendar}"


class CalendarDay(models.Model):
    """An exception to the weekly hours: a public holiday (春节) or a working day (调休上班, with its hours; empty
    hours: the calendar's Monday hours). Without a calendar it is a mainland public day for every calendar."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", pgettext_lazy("calendar day", "Holiday")
        WORKING = "working", pgettext_lazy("calendar day", "Working day")

    calendar = models.ForeignKey(BusinessCalendar, verbose_name=_("calendar"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="days",
                                 help_text=_("Empty: a public day for every calendar that observes them."))
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    hours = _hours_field(_("hours"), "")

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_calendar_day_unique"),
            models.UniqueConstraint(fields=["date"], condition=Q(calendar__isnull=True),
                                    name="sla_public_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"

    def clean(self) -> None:
        errors = {}
        if self.date and not (1990 <= self.date.year <= 2200):
            errors["date"] = _("Give a date between 1990 and 2200.")
        if self.kind == self.Kind.HOLIDAY and self.hours:
            errors["hours"] = _("A holiday has no working hours.")
        if errors:
            raise ValidationError(errors)


class SlaPolicy(models.Model):
    """First-response and resolution targets in business minutes for tickets of a tier (of the primary scheme),
    priority and type; an empty condition matches any. The most specific active policy wins (the most conditions
    set; then tier before type before priority)."""

    name = models.CharField(_("name"), max_length=100)
    tier = models.CharField(_("tier"), max_length=32, blank=True, default="",
                            help_text=_("A tier of the primary scheme (e.g. A); empty: any."))
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, null=True, blank=True)
    type = models.CharField(_("type"), max_length=16, choices=TicketType.choices, blank=True, default="")
    first_response_minutes = models.PositiveIntegerField(_("first response within (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (business minutes)"))
    warn_percent = models.PositiveSmallIntegerField(_("warn at (percent of the target)"), default=80)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["tier", "type", "priority", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        if not 1 <= (self.warn_percent or 0) <= 99:
            errors["warn_percent"] = _("Warn between 1 and 99 percent of the target.")
        for name in ("first_response_minutes", "resolution_minutes"):
            value = getattr(self, name)
            if value is not None and not 1 <= value <= 525600:
                errors[name] = _("Between 1 minute and a year of business minutes.")
        if errors:
            raise ValidationError(errors)

    @property
    def specificity(self) -> tuple[int, int, int, int]:
        return (bool(self.tier) + bool(self.type) + (self.priority is not None), bool(self.tier), bool(self.type),
                self.priority is not None)


class TicketSla(models.Model):
    """A ticket's SLA: the policy and calendar used, the customer's tier then, and the warning points (the due
    times are the ticket's ``first_response_due`` / ``resolution_due``)."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, primary_key=True, related_name="sla")
    policy = models.ForeignKey(SlaPolicy, verbose_name=_("SLA policy"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    calendar = models.ForeignKey(BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    tier = models.CharField(_("tier"), max_length=32, blank=True, default="")
    response_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ticket SLA")
        verbose_name_plural = _("ticket SLAs")
        indexes = [
            models.Index(fields=["response_warn_at"], name="sla_response_warn_idx"),
            models.Index(fields=["resolution_warn_at"], name="sla_resolution_warn_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}"


class SlaEvent(models.Model):
    """A warning before a target or its breach, recorded once per ticket and kind by ``sla-check`` (the unique
    constraint makes a second run write nothing)."""

    class Kind(models.TextChoices):
        WARN_RESPONSE = "warn_response", _("First response due soon")
        BREACH_RESPONSE = "breach_response", _("First response overdue")
        WARN_RESOLUTION = "warn_resolution", _("Resolution due soon")
        BREACH_RESOLUTION = "breach_resolution", _("Resolution overdue")

    id = models.BigAutoField(primary_key=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_events", db_index=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("time"))
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        constraints = [models.UniqueConstraint(fields=["ticket", "kind"], name="sla_event_once")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"
