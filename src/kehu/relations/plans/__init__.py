"""Maintenance plans, events and gifts (issue 13 items 5 and 8): services, selectors, API, pages, panel and demo."""
