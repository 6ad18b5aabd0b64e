from django.urls import path

from . import views

urlpatterns = [
    path("knowledge/", views.kb_list, name="kb_list"),
    path("knowledge/new/", views.kb_article_form, name="kb_article_create"),
    path("knowledge/report/", views.kb_report, name="kb_report"),
    path("knowledge/<int:pk>/", views.kb_article, name="kb_article"),
    path("knowledge/<int:pk>/edit/", views.kb_article_form, name="kb_article_edit"),
    path("knowledge/<int:pk>/versions/", views.kb_versions, name="kb_versions"),
    path("knowledge/<int:pk>/submit/", views.kb_submit, name="kb_submit"),
    path("knowledge/<int:pk>/archive/", views.kb_archive, name="kb_archive"),
    path("knowledge/ticket/<int:ticket_id>/search/", views.kb_ticket_search, name="kb_ticket_search"),
    path("knowledge/ticket/<int:ticket_id>/use/<int:pk>/", views.kb_ticket_use, name="kb_ticket_use"),
]
