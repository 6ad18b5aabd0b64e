"""The permissions of the ``sales`` app granted to each staff role (registered in ``SalesConfig.ready``).

Rows are scoped further by ``Lead.objects.visible_to`` and ``Opportunity.objects.visible_to``: account managers work
their own leads (and the pool of their branches) and their own opportunities, branch managers their branches' (and
assign leads), auditors read everything and change nothing."""

from kehu.org.roles import Role

_VIEW = ["sales.view_lead", "sales.view_leadcontact", "sales.view_leadevent", "sales.view_opportunity",
         "sales.view_stagechange", "sales.view_pipeline", "sales.view_stage", "sales.view_lossreason"]
_WORK = ["sales.add_lead", "sales.change_lead", "sales.add_leadcontact", "sales.add_opportunity",
         "sales.change_opportunity"]
_VIEW += ["sales.view_leadconversion", "sales.view_onboarding"]  # sales/conversion
_MANAGE = ["sales.assign_lead", "sales.view_handover", "sales.view_assignmentrule", "sales.change_assignmentrule",
           "sales.add_assignmentrule", "sales.view_assignmentroute", "sales.add_assignmentroute",
           "sales.change_assignmentroute", "sales.view_intakeform", "sales.view_intakesubmission"]
_CONFIGURE = ["sales.add_pipeline", "sales.change_pipeline", "sales.add_stage", "sales.change_stage",
              "sales.delete_stage", "sales.add_lossreason", "sales.change_lossreason"]

GRANTS: dict[str, list[str]] = {
    Role.ADMINISTRATOR: _VIEW + _WORK + _MANAGE + _CONFIGURE + ["sales.delete_lead", "sales.delete_assignmentrule",
                                                                     "sales.add_intakeform", "sales.change_intakeform",
                                                                     "sales.delete_assignmentroute"],
    Role.BRANCH_MANAGER: _VIEW + _WORK + _MANAGE,
    Role.ACCOUNT_MANAGER: _VIEW + _WORK,
    Role.MARKETER: list(_VIEW),
    Role.AUDITOR: [*_VIEW, "sales.view_handover", "sales.view_intakeform", "sales.view_intakesubmission"],
}
