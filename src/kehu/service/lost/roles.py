"""The lost-customer permissions per role (merged into ``service.roles.GRANTS``)."""

from kehu.org.roles import Role

_VIEW = ["service.view_lostrecord"]
_MARK = ["service.view_lostrecord", "service.add_lostrecord", "service.change_lostrecord"]

LOST_GRANTS: dict[str, list[str]] = {
    Role.ADMINISTRATOR: _MARK,
    Role.BRANCH_MANAGER: _MARK,
    Role.ACCOUNT_MANAGER: _MARK,
    Role.SERVICE_AGENT: _VIEW,
    Role.MARKETER: _VIEW,
    Role.AUDITOR: _VIEW,
}
