"""The default tier schemes (the customer pyramid is primary) and the scoring configuration row.

Labels are stored as English msgids and translated when shown; the parameters are copied here (not imported) so
this migration keeps working whatever the code later changes.
"""

from django.db import migrations

PYRAMID = {
    "measure": "amount",
    "window_days": 365,
    "population": "buyers",
    "tiers": [
        {"code": "A", "label": "Top customer", "share": 0.01},
        {"code": "B", "label": "Major customer", "share": 0.05},
        {"code": "C", "label": "Ordinary customer", "share": 0.20},
        {"code": "D", "label": "Small customer"},
    ],
    "alert_tiers": ["A", "B"],
}
THRESHOLDS = {
    "measure": "amount",
    "window_days": 365,
    "tiers": [
        {"code": "platinum", "label": "Platinum", "min": 50000},
        {"code": "gold", "label": "Gold", "min": 10000},
        {"code": "silver", "label": "Silver", "min": 2000},
        {"code": "regular", "label": "Regular"},
    ],
    "alert_tiers": ["platinum", "gold"],
}
SALES_MARGIN = {
    "window_days": 365,
    "x": {"measure": "amount", "cut": {"method": "median"}},
    "y": {"measure": "margin_rate", "cut": {"method": "median"}},
    "tiers": [
        {"code": "HH", "label": "High sales / high margin"},
        {"code": "HL", "label": "High sales / low margin"},
        {"code": "LH", "label": "Low sales / high margin"},
        {"code": "LL", "label": "Low sales / low margin"},
    ],
    "alert_tiers": ["HH"],
    "alert_on_fall": False,
}
VALUE_LOYALTY = {
    "window_days": 365,
    "x": {"measure": "amount", "cut": {"method": "median"}},
    "y": {"measure": "loyalty_score", "cut": {"method": "median"}},
    "loyalty_weights": {"repurchase": 0.4, "tenure": 0.2, "recency": 0.3, "share_of_wallet": 0.1},
    "tiers": [
        {"code": "HH", "label": "Core: high value, high loyalty"},
        {"code": "HL", "label": "At risk: high value, low loyalty"},
        {"code": "LH", "label": "Loyal: low value, high loyalty"},
        {"code": "LL", "label": "Low priority: low value, low loyalty"},
    ],
    "alert_tiers": ["HH"],
}
WEIGHTED = {
    "window_days": 365,
    "weights": {"profit": 0.4, "share_of_wallet": 0.2, "growth": 0.2, "clv": 0.2},
    "tiers": [
        {"code": "key", "label": "Key customer", "min": 75},
        {"code": "potential", "label": "Potential customer", "min": 50},
        {"code": "regular", "label": "Regular customer", "min": 25},
        {"code": "temporary", "label": "Temporary customer"},
    ],
    "alert_tiers": ["key"],
    "alert_on_fall": False,
}
SCHEMES = [
    ("pyramid", "Customer pyramid", "pyramid", PYRAMID, True,
     "Top 1% of customers by spend over 365 days A, to 5% B, to 20% C, the rest D."),
    ("thresholds", "Spend thresholds", "thresholds", THRESHOLDS, False,
     "Platinum, gold, silver and regular by spend over 365 days."),
    ("sales-margin", "Sales × margin matrix", "matrix_sales_margin", SALES_MARGIN, False,
     "Spend against gross margin rate over 365 days, cut at the medians."),
    ("value-loyalty", "Value × loyalty matrix", "matrix_value_loyalty", VALUE_LOYALTY, False,
     "Spend against loyalty (repurchase rate, tenure, recency, share of wallet), cut at the medians."),
    ("weighted-score", "Weighted value score", "weighted_score", WEIGHTED, False,
     "Profit, share of wallet, growth and lifetime value combined into a score from 0 to 100."),
]


def create_defaults(apps, schema_editor):
    TierScheme = apps.get_model("scoring", "TierScheme")
    ScoringConfiguration = apps.get_model("scoring", "ScoringConfiguration")
    for position, (name, label, kind, parameters, primary, description) in enumerate(SCHEMES):
        TierScheme.objects.get_or_create(
            name=name,
            defaults={"label": label, "kind": kind, "parameters": parameters, "is_primary": primary,
                      "is_active": True, "position": position, "description": description},
        )
    if not ScoringConfiguration.objects.exists():
        ScoringConfiguration.objects.create()


def remove_defaults(apps, schema_editor):
    apps.get_model("scoring", "TierScheme").objects.filter(name__in=[s[0] for s in SCHEMES]).delete()


class Migration(migrations.Migration):
    dependencies = [("scoring", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, remove_defaults)]
