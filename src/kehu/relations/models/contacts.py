"""Relationship maintenance: the contact log (联系记录) and its attachments. Cadences, maintenance plans, evaluations
and staff KPIs join this app later; tasks, approvals and notifications are the shared ``kehu.work`` machinery."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import Customer
from kehu.org.models import Branch, User


class ContactChannel(models.TextChoices):
    VISIT = "visit", pgettext_lazy("contact channel", "Visit")
    PHONE = "phone", pgettext_lazy("contact channel", "Phone call")
    SMS = "sms", pgettext_lazy("contact channel", "SMS")
    EMAIL = "email", pgettext_lazy("contact channel", "E-mail")
    LETTER = "letter", pgettext_lazy("contact channel", "Letter or postcard")
    MEETING = "meeting", pgettext_lazy("contact channel", "Meeting")
    EVENT = "event", pgettext_lazy("contact channel", "Event")
    GIFT = "gift", pgettext_lazy("contact channel", "Gift")


class Direction(models.TextChoices):
    OUTBOUND = "outbound", _("Outbound")
    INBOUND = "inbound", _("Inbound")


class ContactRecordQuerySet(models.QuerySet["ContactRecord"]):
    def visible_to(self, user: User) -> ContactRecordQuerySet:
        """The contacts of the customers the user may see (the customers' row scope decides)."""
        if not user.has_perm("relations.view_contactrecord"):
            return self.none()
        return self.filter(customer__in=Customer.objects.visible_to(user))


class ContactRecord(models.Model):
    """One contact with a customer (联系记录): how (channel, direction), who, when, how long, what was said, what the
    customer answered and how satisfied they were, and the next step (a ``work.Task`` when it has a date).
    ``branch`` is the customer's home branch when it was logged. Written by the 360 page, the API, the import
    (``contacts-log``) and by completing a task with an outcome (``task``)."""

    id = models.BigAutoField(primary_key=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="contact_records", db_index=False)  # contact_customer_time_idx
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", db_index=False)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("staff"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="contact_records", db_index=False)
    channel = models.CharField(_("channel"), max_length=16, choices=ContactChannel.choices)
    direction = models.CharField(_("direction"), max_length=16, choices=Direction.choices,
                                 default=Direction.OUTBOUND)
    occurred_at = models.DateTimeField(_("time"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True,
                                                   validators=[MaxValueValidator(24 * 60)])
    summary = models.TextField(_("summary"), max_length=5000)
    feedback = models.TextField(_("customer's feedback"), blank=True, default="", max_length=5000)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (very dissatisfied) to 5 (very satisfied)."))
    next_step = models.CharField(_("next step"), max_length=200, blank=True, default="")
    next_step_due = models.DateField(_("next step due"), null=True, blank=True)
    next_task = models.ForeignKey("work.Task", verbose_name=_("next step task"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+", db_index=False)
    task = models.ForeignKey("work.Task", verbose_name=_("completes task"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="contact_records", db_index=False)
    external_ref = models.CharField(_("external reference"), max_length=64, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("logged by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+", db_index=False)
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    objects = ContactRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact record")
        verbose_name_plural = _("contact records")
        indexes = [
            models.Index(fields=["customer", "occurred_at"], name="contact_customer_time_idx"),
            models.Index(fields=["staff", "occurred_at"], name="contact_staff_time_idx"),
            models.Index(fields=["branch", "occurred_at"], name="contact_branch_time_idx"),
            # behind the tasks' foreign keys: deleting tasks checks (and Django's SET NULL looks up) the contacts
            # naming them; without these, every deleted task scanned the whole contact log at COMMIT
            models.Index(fields=["task"], name="contact_task_idx", condition=Q(task__isnull=False)),
            models.Index(fields=["next_task"], name="contact_next_task_idx", condition=Q(next_task__isnull=False)),
        ]
        constraints = [models.CheckConstraint(condition=Q(satisfaction__isnull=True)
                                              | Q(satisfaction__gte=1, satisfaction__lte=5),
                                              name="contact_satisfaction_range")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"


def attachment_path(instance: ContactAttachment, filename: str) -> str:
    """A random name under ``MEDIA_ROOT/contacts/``: the user's file name is kept in the row, never in the path."""
    import secrets

    return f"contacts/{secrets.token_hex(2)}/{secrets.token_urlsafe(24)}"


class ContactAttachment(models.Model):
    """A file of a contact record (a photo of the visit, a letter, minutes). Stored under a random name, checked for
    size and type when uploaded, served only through ``relations:attachment`` to users who may see the customer."""

    id = models.BigAutoField(primary_key=True)
    record = models.ForeignKey(ContactRecord, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name
