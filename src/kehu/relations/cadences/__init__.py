"""Cadences by tier (接触频率): the run that creates the due tasks (``services``), the coverage report
(``selectors``), the rules' settings pages (``views``) and the coverage API (``api``)."""
