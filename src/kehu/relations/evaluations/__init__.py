"""Relationship evaluation (客户关系评估表): computed sources (a registry), services, selectors, API, pages, panel."""
