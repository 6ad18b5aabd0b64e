from django.urls import path

from . import merge_views, relationship_views, views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list_view, name="list"),
    path("new/<str:kind>/", views.customer_create_view, name="create"),
    path("divisions/", views.division_options, name="divisions"),
    path("transfer/", views.customer_bulk_transfer, name="bulk_transfer"),
    path("transfer/staff-leaves/", views.staff_leaves, name="staff_leaves"),
    path("duplicates/", merge_views.duplicates, name="duplicates"),
    path("merge/", merge_views.merge, name="merge"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/edit/", views.customer_edit, name="edit"),
    path("<int:pk>/reveal/", views.customer_reveal, name="reveal"),
    path("<int:pk>/transfer/", views.customer_transfer_view, name="transfer"),
    path("<int:pk>/consents/", views.consent_record_view, name="consent"),
    path("<int:pk>/status-records/", views.status_record_view, name="status_record"),
    path("<int:pk>/contacts/new/", views.contact_edit, name="contact_create"),
    path("<int:pk>/contacts/<int:contact_pk>/edit/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/contacts/<int:contact_pk>/delete/", views.contact_delete_view, name="contact_delete"),
    path("<int:pk>/timeline/", views.customer_timeline_view, name="timeline"),
    path("<int:pk>/relationships/new/", relationship_views.relationship_create, name="relationship_create"),
    path("<int:pk>/relationships/<int:rel_pk>/remove/", relationship_views.relationship_delete,
         name="relationship_delete"),
]
