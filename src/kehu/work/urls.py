from django.urls import path

from . import views

app_name = "work"
urlpatterns = [
    path("", views.my_work, name="my_work"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:pk>/reassign/", views.task_reassign, name="task_reassign"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox_read"),
    path("inbox/settings/", views.inbox_settings, name="inbox_settings"),
    path("approvals/", views.approval_list, name="approvals"),
    path("approvals/<int:pk>/", views.approval_detail, name="approval"),
]
