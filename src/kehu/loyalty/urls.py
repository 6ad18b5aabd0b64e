from django.urls import include, path

from . import views

app_name = "loyalty"
urlpatterns = [
    path("", views.counter, name="counter"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("members/<int:pk>/redeem/", views.member_redeem, name="redeem"),
    path("members/<int:pk>/adjust/", views.member_adjust, name="adjust"),
    path("customers/<int:pk>/card/", views.card_issue, name="card_issue"),
    path("cards/<int:pk>/<str:action>/", views.card_action, name="card_action"),
    path("programmes/", views.programme_list, name="programmes"),
    path("coupons/", include("kehu.loyalty.coupons.urls")),
]
