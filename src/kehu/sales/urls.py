from django.urls import path

from . import views
from .conversion import views as conversion
from .intake import views as intake
from .opportunities import views as opportunities

app_name = "sales"
urlpatterns = [
    path("leads/", views.lead_list, name="leads"),
    path("leads/pool/", views.lead_pool, name="pool"),
    path("leads/new/", views.lead_create, name="lead_create"),
    path("leads/<int:pk>/", views.lead_detail, name="lead"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/status/", views.lead_status, name="lead_status"),
    path("leads/<int:pk>/contacts/", views.lead_contact, name="lead_contact"),
    path("leads/<int:pk>/claim/", views.lead_claim, name="lead_claim"),
    path("leads/<int:pk>/assign/", views.lead_assign, name="lead_assign"),
    path("hand-over/", views.hand_over, name="hand_over"),
    path("leads/<int:pk>/convert/", conversion.lead_convert, name="lead_convert"),  # sales/conversion
    # web intake (sales/intake): the public form (no login) and the staff overview
    path("intake/", intake.intake_overview, name="intake"),
    path("intake/<str:key>/", intake.intake_page, name="intake_form"),
    # opportunities (sales/opportunities)
    path("board/", opportunities.board, name="board"),
    path("board/stages/<int:stage_pk>/", opportunities.board_column, name="board_column"),
    path("forecast/", opportunities.forecast_page, name="forecast"),
    path("opportunities/", opportunities.opportunity_list, name="opportunities"),
    path("opportunities/new/", opportunities.opportunity_create, name="opportunity_create"),
    path("opportunities/<int:pk>/", opportunities.opportunity_detail, name="opportunity"),
    path("opportunities/<int:pk>/edit/", opportunities.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<int:pk>/stage/", opportunities.move, name="opportunity_move"),
    path("opportunities/<int:pk>/won/", opportunities.opportunity_won, name="opportunity_won"),
    path("opportunities/<int:pk>/lost/", opportunities.opportunity_lost, name="opportunity_lost"),
]
