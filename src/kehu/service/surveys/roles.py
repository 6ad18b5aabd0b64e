"""The survey part's permissions per role, merged into ``service.roles.GRANTS`` by one line."""

from kehu.org.roles import Role

_VIEW = ["service.view_surveyinvitation", "service.view_surveyresponse"]

SURVEYS_GRANTS: dict[str, list[str]] = {
    Role.ADMINISTRATOR: _VIEW + ["service.view_smsoutbox"],
    Role.BRANCH_MANAGER: list(_VIEW),
    Role.SERVICE_AGENT: list(_VIEW),
    Role.ACCOUNT_MANAGER: list(_VIEW),
    Role.AUDITOR: list(_VIEW),
}
