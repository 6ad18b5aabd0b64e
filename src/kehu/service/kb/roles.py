"""The knowledge base's permissions per role (merged into ``service.roles.GRANTS``): agents and account managers
read published articles, propose drafts and link articles to tickets; branch managers and administrators also
manage (archive, categories) and decide approvals (``kb_article``); auditors read."""

from kehu.org.roles import Role

_READ = ["service.view_article", "service.view_articlecategory", "service.view_articleversion"]
_WRITE = ["service.add_article", "service.change_article", "service.add_articleuse"]
_MANAGE = ["service.manage_article", "service.add_articlecategory", "service.change_articlecategory",
           "service.view_articleuse"]

KB_GRANTS: dict[str, list[str]] = {
    Role.ADMINISTRATOR: _READ + _WRITE + _MANAGE,
    Role.BRANCH_MANAGER: _READ + _WRITE + _MANAGE,
    Role.SERVICE_AGENT: _READ + _WRITE,
    Role.ACCOUNT_MANAGER: _READ + _WRITE,
    Role.AUDITOR: _READ + ["service.view_articleuse"],
}
