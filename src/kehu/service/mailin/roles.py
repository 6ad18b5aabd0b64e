"""E-mail in's permissions per role: administrators and auditors read the log of received e-mail (the admin)."""

from kehu.org.roles import Role

MAILIN_GRANTS: dict[str, list[str]] = {
    Role.ADMINISTRATOR: ["service.view_inboundemail"],
    Role.AUDITOR: ["service.view_inboundemail"],
}
