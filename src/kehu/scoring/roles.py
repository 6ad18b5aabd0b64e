"""The permissions of the ``scoring`` app granted to each staff role (registered in ``ScoringConfig.ready``)."""

from kehu.org.roles import Role

GRANTS: dict[str, list[str]] = {
    Role.ADMINISTRATOR: ["scoring.run_scoring"],
    Role.BRANCH_MANAGER: ["scoring.run_scoring"],
}
