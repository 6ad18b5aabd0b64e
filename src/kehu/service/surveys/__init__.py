"""Satisfaction surveys (CSAT after a ticket, periodic NPS): invitations, providers, the public answer page, the
360 panel, the evaluation sources and the figures."""
