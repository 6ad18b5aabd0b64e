"""Customer value: tier schemes, scoring runs, the per-customer summary, tier history and churn alerts.

The large tables (``CustomerSummary``, ``TierAssignment``, ``Alert``) carry ``customer_id`` so that, scaled out
with Citus, they are distributed by customer like the transactions they are computed from.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer

from . import schemes


def tier_label(label: str) -> str:
    """Show a stored tier or scheme label: the default ones are English msgids with a translation."""
    return gettext(label) if label else ""


TIER_SLOTS = 8  # tier columns in CustomerSummary: at most this many schemes are active at once


class TierScheme(models.Model):
    """A way of sorting customers into tiers (a pyramid, thresholds, a matrix or a weighted score).

    Several schemes can be active at once (at most ``TIER_SLOTS``), each with its own history of tier changes;
    exactly one is primary and its tier is kept in ``customers.CustomerTier`` for fast filtering. An active scheme
    holds a ``slot``: the current tier and value of every customer under it are in the ``tier_<slot>`` and
    ``tier_value_<slot>`` columns of ``CustomerSummary``, rewritten by each run with the rest of the summary.
    ``parameters`` hold the measure, window, cut points and tiers (see ``kehu.scoring.schemes`` for the shape of
    each kind) and are checked by ``clean()``.
    """

    class Kind(models.TextChoices):
        PYRAMID = schemes.PYRAMID, _("Customer pyramid (share of customers ranked by a measure)")
        THRESHOLDS = schemes.THRESHOLDS, _("Named tiers by thresholds on a measure")
        MATRIX_SALES_MARGIN = schemes.MATRIX_SALES_MARGIN, _("Sales × margin matrix")
        MATRIX_VALUE_LOYALTY = schemes.MATRIX_VALUE_LOYALTY, _("Value × loyalty matrix")
        WEIGHTED_SCORE = schemes.WEIGHTED_SCORE, _("Weighted value score")

    name = models.SlugField(_("name"), max_length=50, unique=True,
                            help_text=_("Short name used by the score command and the API, e.g. “pyramid”."))
    label = models.CharField(_("label"), max_length=100)
    description = models.TextField(_("description"), blank=True, default="")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    parameters = models.JSONField(
        _("parameters"), default=dict, blank=True,
        help_text=_("Measure, window, cut points and tiers; leave empty for the defaults of the kind."),
    )
    is_primary = models.BooleanField(
        _("primary"), default=False,
        help_text=_("The primary scheme's tier is shown on customer lists, the 360 page and the lookup API."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(pgettext_lazy("display order", "position"), default=0)
    slot = models.PositiveSmallIntegerField(
        _("slot"), null=True, blank=True, unique=True, editable=False,
        help_text=_("Which tier columns of the customer value summary hold this scheme's current tiers."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("tier scheme")
        verbose_name_plural = _("tier schemes")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["is_primary"], condition=Q(is_primary=True),
                                    name="scoring_one_primary_scheme"),
        ]

    def __str__(self) -> str:
        return tier_label(self.label)

    def clean(self) -> None:
        """Fill default parameters for an empty object, validate them; a primary scheme must be active, and the
        primary flag moves to another scheme rather than being removed."""
        errors: dict[str, list[str]] = {}
        if not self.parameters and self.kind:
            self.parameters = schemes.default_parameters(self.kind)
        if self.kind:
            messages = schemes.validate_parameters(self.kind, self.parameters)
            if messages:
                errors["parameters"] = messages
        if self.is_primary and not self.is_active:
            errors.setdefault("is_active", []).append(str(_("The primary scheme must be active.")))
        if self.pk and not self.is_primary:
            was_primary = TierScheme.objects.filter(pk=self.pk, is_primary=True).exists()
            if was_primary:
                errors.setdefault("is_primary", []).append(
                    str(_("One scheme must stay primary: mark another scheme as primary instead."))
                )
        if errors:
            raise ValidationError(errors)

    def definition(self) -> schemes.SchemeDefinition:
        return schemes.SchemeDefinition(id=self.pk, name=self.name, kind=self.kind, parameters=self.parameters,
                                        is_primary=self.is_primary)

    @property
    def tiers(self) -> list[schemes.TierDefinition]:
        return self.definition().tiers

    def tier_label_for(self, code: str) -> str:
        for tier in self.tiers:
            if tier.code == code:
                return tier_label(tier.label)
        return code


HORIZON_CACHE_KEY = "kehu:scoring:clv-horizon-months"


class ScoringConfiguration(models.Model):
    """Settings of the scoring runs (one row): windows, lifetime-value horizon and discount rate, alert threshold,
    RFM cut points and the weights of the value and loyalty scores."""

    period_days = models.PositiveIntegerField(
        _("period (days)"), default=365,
        help_text=_("Spend in the last period is compared with the period before it to measure growth."),
    )
    rfm_window_days = models.PositiveIntegerField(_("RFM window (days)"), default=365)
    rfm_recency_cuts = models.JSONField(
        _("RFM recency cut points"), null=True, blank=True,
        help_text=_("Four numbers of days, increasing, e.g. [30, 90, 180, 365]; empty: quintiles."),
    )
    rfm_frequency_cuts = models.JSONField(_("RFM frequency cut points"), null=True, blank=True,
                                          help_text=_("Four numbers of purchase days, increasing; empty: quintiles."))
    rfm_monetary_cuts = models.JSONField(_("RFM monetary cut points"), null=True, blank=True,
                                         help_text=_("Four amounts, increasing; empty: quintiles."))
    clv_horizon_months = models.PositiveSmallIntegerField(_("lifetime value horizon (months)"), default=12)
    discount_rate = models.DecimalField(_("annual discount rate"), max_digits=5, decimal_places=4, default=0.1,
                                        help_text=_("e.g. 0.1 for 10 % a year."))
    clv_min_customers = models.PositiveIntegerField(
        _("minimum customers for lifetime value"), default=30,
        help_text=_("Below this many customers with purchases (or a fifth as many repeat customers) the models "
                    "are not fitted."),
    )
    p_alive_threshold = models.FloatField(
        _("alert below probability of being active"), default=0.5,
        help_text=_("A core customer whose probability of still being active falls below this raises an alert."),
    )
    value_weights = models.JSONField(_("value score weights"), default=dict, blank=True,
                                     help_text=_("profit, share_of_wallet, growth, clv; empty: the defaults."))
    loyalty_weights = models.JSONField(_("loyalty score weights"), default=dict, blank=True,
                                       help_text=_("repurchase, tenure, recency, share_of_wallet; empty: defaults."))

    class Meta:
        verbose_name = _("scoring configuration")
        verbose_name_plural = _("scoring configuration")

    def __str__(self) -> str:
        return str(_("Scoring configuration"))

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        from django.core.cache import cache

        cache.delete(HORIZON_CACHE_KEY)  # read by the 360 page's value explanations

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        for name in ("rfm_recency_cuts", "rfm_frequency_cuts", "rfm_monetary_cuts"):
            cuts = getattr(self, name)
            if cuts is None or cuts == []:
                setattr(self, name, None)
                continue
            if (not isinstance(cuts, list) or len(cuts) != 4
                    or any(isinstance(c, bool) or not isinstance(c, int | float) for c in cuts)
                    or any(b <= a for a, b in zip(cuts, cuts[1:], strict=False))):
                errors[name] = [str(_("Give four increasing numbers, or leave empty for quintiles."))]
        if not 0 < self.p_alive_threshold < 1:
            errors["p_alive_threshold"] = [str(_("A probability between 0 and 1."))]
        if self.discount_rate is not None and not -1 < float(self.discount_rate) < 10:
            errors["discount_rate"] = [str(_("A rate such as 0.1 for 10 % a year."))]
        if not self.clv_horizon_months:
            errors["clv_horizon_months"] = [str(_("At least one month."))]
        for name, components in (("value_weights", schemes.VALUE_COMPONENTS),
                                 ("loyalty_weights", schemes.LOYALTY_COMPONENTS)):
            weights = getattr(self, name)
            if weights:
                messages: list[str] = []
                schemes.check_weights(weights, components, name, messages)
                if messages:
                    errors[name] = messages
        if errors:
            raise ValidationError(errors)


class ScoringRun(models.Model):
    """One attempt at scoring every customer as of a date.

    At most one run per as-of date has succeeded at any time: a new successful run for the same date replaces it
    (the old one is marked *replaced*), so runs are idempotent per date. A failed run records its error and leaves
    the previous results in place.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        REPLACED = "replaced", _("Replaced by a later run for the same date")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("Manual")
        SCHEDULE = "schedule", _("Schedule")
        COMMAND = "command", _("Command line")

    as_of = models.DateField(_("as of"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(_("trigger"), max_length=12, choices=Trigger.choices, default=Trigger.MANUAL)
    schemes = models.ManyToManyField(TierScheme, verbose_name=_("schemes"), blank=True, related_name="runs")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    changes = models.PositiveIntegerField(_("tier changes"), default=0)
    alerts = models.PositiveIntegerField(_("alerts"), default=0)
    error = models.TextField(_("error"), blank=True, default="")

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        ordering = ["-as_of", "-id"]
        permissions = [("run_scoring", _("Can start a scoring run"))]
        constraints = [
            models.UniqueConstraint(fields=["as_of"], condition=Q(status="succeeded"),
                                    name="scoring_one_succeeded_run_per_date"),
            models.UniqueConstraint(fields=["status"], condition=Q(status="running"),
                                    name="scoring_one_running_run"),
        ]
        indexes = [models.Index(fields=["status", "-as_of"], name="scoring_run_status_idx")]

    def __str__(self) -> str:
        return f"{self.as_of} ({self.get_status_display()})"


class CustomerSummary(models.Model):
    """The latest per-customer figures, rewritten by every successful scoring run (one row per customer).

    Like ``TierAssignment`` it is written in bulk (a million rows a run) and has no database-level foreign keys:
    PostgreSQL checks each inserted row's key by locking the referenced customer row, which costs more than the
    insert itself (about 50 s at commit for six million rows). Deleting a customer still deletes its rows (Django
    cascades), and the table is rebuilt by the next run anyway.

    Amounts are in the currency of the transactions; days are local calendar days (settings.TIME_ZONE); all rows
    of a customer on one day count as one purchase. ``frequency``, ``recency`` and ``age`` are the BG/NBD inputs in
    days (repeat purchase days, last − first purchase day, as-of − first purchase day); ``monetary`` is the mean
    spend of the repeat purchase days. ``tier_<n>``/``tier_value_<n>`` hold each customer's current tier (rank, 0
    best) and the measure it was decided on under the scheme in slot n (``TierScheme.slot``): current tiers are part
    of the summary so that a run writes them with it, instead of a row per customer and scheme.
    """

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True, db_constraint=False,
                                    related_name="score_summary", verbose_name=_("customer"))
    run = models.ForeignKey(ScoringRun, on_delete=models.SET_NULL, null=True, related_name="+",
                            db_constraint=False, db_index=False)
    as_of = models.DateField(_("as of"))
    first_purchase = models.DateField(_("first purchase"), null=True, blank=True)
    last_purchase = models.DateField(_("last purchase"), null=True, blank=True)
    purchase_days = models.PositiveIntegerField(_("purchase days"), default=0)
    total_amount = models.DecimalField(_("total spend"), max_digits=16, decimal_places=2, default=0)
    average_amount = models.DecimalField(_("average spend per purchase"), max_digits=16, decimal_places=2,
                                         default=0)
    total_margin = models.DecimalField(_("total gross margin"), max_digits=16, decimal_places=2, default=0)
    current_amount = models.DecimalField(_("spend in the current period"), max_digits=16, decimal_places=2,
                                         default=0)
    previous_amount = models.DecimalField(_("spend in the previous period"), max_digits=16, decimal_places=2,
                                          default=0)
    current_margin = models.DecimalField(_("gross margin in the current period"), max_digits=16, decimal_places=2,
                                         default=0)
    current_purchase_days = models.PositiveIntegerField(_("purchase days in the RFM window"), default=0)
    tenure_days = models.PositiveIntegerField(_("tenure (days)"), null=True, blank=True)
    frequency = models.PositiveIntegerField(_("repeat purchases"), default=0)
    recency = models.PositiveIntegerField(_("days between first and last purchase"), default=0)
    age = models.PositiveIntegerField(_("days since first purchase"), default=0)
    monetary = models.DecimalField(_("average repeat purchase"), max_digits=16, decimal_places=2, default=0)
    r_score = models.PositiveSmallIntegerField(_("R score"), default=0)
    f_score = models.PositiveSmallIntegerField(_("F score"), default=0)
    m_score = models.PositiveSmallIntegerField(_("M score"), default=0)
    rfm_segment = models.CharField(_("RFM segment"), max_length=24, blank=True, default="")
    p_alive = models.FloatField(_("probability of being active"), null=True, blank=True)
    previous_p_alive = models.FloatField(_("probability of being active at the previous run"), null=True,
                                         blank=True)
    expected_purchases = models.FloatField(_("expected purchases"), null=True, blank=True)
    clv = models.DecimalField(_("lifetime value"), max_digits=16, decimal_places=2, null=True, blank=True)
    value_score = models.FloatField(_("value score"), default=0)
    loyalty_score = models.FloatField(_("loyalty score"), default=0)
    # the current tier (its rank, 0 best) and the value it was decided on under the active scheme in each slot
    tier_1 = models.SmallIntegerField(format_lazy(_("tier rank in slot {slot}"), slot=1), null=True, blank=True)
    tier_value_1 = models.FloatField(format_lazy(_("tier value in slot {slot}"), slot=1), null=True, blank=True)
    tier_2 = models.SmallIntegerField(format_lazy(_("tier rank in slot {slot}"), slot=2), null=True, blank=True)
    tier_value_2 = models.FloatField(format_lazy(_("tier value in slot {slot}"), slot=2), null=True, blank=True)
    tier_3 = models.SmallIntegerField(format_lazy(_("tier rank in slot {slot}"), slot=3), null=True, blank=True)
    tier_value_3 = models.FloatField(format_lazy(_("tier value in slot {slot}"), slot=3), null=True, blank=True)
    tier_4 = models.SmallIntegerField(format_lazy(_("tier rank in slot {slot}"), slot=4), null=True, blank=True)
    tier_value_4 = models.FloatField(format_lazy(_("tier value in slot {slot}"), slot=4), null=True, blank=True)
    tier_5 = models.SmallIntegerField(format_lazy(_("tier rank in slot {slot}"), slot=5), null=True, blank=True)
    tier_value_5 = models.FloatField(format_lazy(_("tier value in slot {slot}"), slot=5), null=True, blank=True)
    tier_6 = models.SmallIntegerField(format_lazy(_("tier rank in slot {slot}"), slot=6), null=True, blank=True)
    tier_value_6 = models.FloatField(format_lazy(_("tier value in slot {slot}"), slot=6), null=True, blank=True)
    tier_7 = models.SmallIntegerField(format_lazy(_("tier rank in slot {slot}"), slot=7), null=True, blank=True)
    tier_value_7 = models.FloatField(format_lazy(_("tier value in slot {slot}"), slot=7), null=True, blank=True)
    tier_8 = models.SmallIntegerField(format_lazy(_("tier rank in slot {slot}"), slot=8), null=True, blank=True)
    tier_value_8 = models.FloatField(format_lazy(_("tier value in slot {slot}"), slot=8), null=True, blank=True)

    class Meta:
        verbose_name = _("customer value summary")
        verbose_name_plural = _("customer value summaries")

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.as_of}"


class TierAssignment(models.Model):
    """A change of a customer's tier under a scheme, on a run date: from ``previous_tier`` to ``tier``. The rows of a
    customer are the history of their tier; a customer's first tier under a scheme is not a change and has no row
    (it is the ``previous_tier`` of the first change, or the current tier in ``CustomerSummary``)."""

    scheme = models.ForeignKey(TierScheme, on_delete=models.CASCADE, related_name="assignments",
                               verbose_name=_("scheme"), db_constraint=False, db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tier_assignments",
                                 verbose_name=_("customer"), db_constraint=False)
    as_of = models.DateField(_("as of"))
    tier = models.CharField(_("tier"), max_length=32)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("0 is the best tier."))
    previous_tier = models.CharField(_("previous tier"), max_length=32, blank=True, default="")
    previous_rank = models.PositiveSmallIntegerField(_("previous rank"), null=True, blank=True)
    value = models.FloatField(_("value"), null=True, blank=True,
                              help_text=_("The measure or score the tier was decided on."))

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-as_of", "scheme_id", "customer_id"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "customer", "as_of"], name="scoring_one_tier_per_date"),
        ]
        indexes = [
            models.Index(fields=["scheme", "as_of"], name="scoring_assignment_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.previous_tier or '∅'} → {self.tier} ({self.as_of})"

    @property
    def is_fall(self) -> bool:
        return self.previous_rank is not None and self.rank > self.previous_rank

    @property
    def is_rise(self) -> bool:
        return self.previous_rank is not None and self.rank < self.previous_rank


class Alert(models.Model):
    """A core customer at risk, raised by a scoring run to the customer's account manager."""

    class Reason(models.TextChoices):
        TIER_FALL = "tier_fall", _("Tier fell")
        CHURN_RISK = "churn_risk", _("Probability of being active is low")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CLOSED = "closed", _("Closed")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="value_alerts",
                                 verbose_name=_("customer"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("account manager"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="value_alerts")
    run = models.ForeignKey(ScoringRun, verbose_name=_("run"), null=True, on_delete=models.SET_NULL,
                            related_name="raised_alerts")
    as_of = models.DateField(_("as of"))
    scheme = models.ForeignKey(TierScheme, verbose_name=_("scheme"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(_("note"), max_length=255, blank=True, default="")
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer alert")
        verbose_name_plural = _("customer alerts")
        ordering = ["-as_of", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "as_of", "reason", "scheme"],
                                    name="scoring_one_alert_per_reason"),
        ]
        indexes = [
            models.Index(fields=["status", "-as_of"], name="scoring_alert_status_idx"),
            models.Index(fields=["owner", "status"], name="scoring_alert_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.reason} ({self.as_of})"

    @property
    def text(self) -> str:
        """The reason with the figures behind it, in the reader's language."""
        figures = self.figures or {}
        if self.reason == self.Reason.TIER_FALL:
            return gettext("%(scheme)s: tier fell from %(previous)s to %(tier)s.") % {
                "scheme": tier_label(figures.get("scheme_label", "")),
                "previous": tier_label(figures.get("previous_label", figures.get("previous_tier", ""))),
                "tier": tier_label(figures.get("tier_label", figures.get("tier", ""))),
            }
        p_alive = figures.get("p_alive")
        threshold = figures.get("threshold")
        return gettext("Probability of still being active is %(p)s (alert below %(threshold)s).") % {
            "p": f"{p_alive:.0%}" if isinstance(p_alive, int | float) else "—",
            "threshold": f"{threshold:.0%}" if isinstance(threshold, int | float) else "—",
        }
