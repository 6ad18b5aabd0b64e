"""Staff KPIs (issue 13 item 9): the monthly figures and 100-point score of each account manager and branch
manager, ranked per branch. Configuration in ``relations.models.kpis``; figures computed on read in ``selectors``."""
