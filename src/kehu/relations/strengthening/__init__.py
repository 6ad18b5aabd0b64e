"""The relationship strengthening table (客户关系强化表) of organisation customers: services, API, panel, pages."""
