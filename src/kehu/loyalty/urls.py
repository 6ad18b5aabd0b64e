from django.urls import include, path

from . import views, views_group

app_name = "loyalty"
urlpatterns = [
    path("", views.counter, name="counter"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("members/<int:pk>/redeem/", views.member_redeem, name="redeem"),
    path("members/<int:pk>/adjust/", views.member_adjust, name="adjust"),
    path("customers/<int:pk>/card/", views.card_issue, name="card_issue"),
    path("cards/<int:pk>/transfer/", views_group.card_transfer, name="card_transfer"),
    path("cards/<int:pk>/exchange/", views_group.card_exchange, name="card_exchange"),
    path("cards/<int:pk>/<str:action>/", views.card_action, name="card_action"),
    path("programmes/", views.programme_list, name="programmes"),
    path("coupons/", include("kehu.loyalty.coupons.urls")),
    path("group/", views_group.group_rules, name="group_rules"),
    path("promotions/", views_group.promotion_list, name="promotions"),
    path("promotions/new/", views_group.promotion_edit, name="promotion_new"),
    path("promotions/<int:pk>/", views_group.promotion_edit, name="promotion_edit"),
    path("settlement/", views_group.settlement_page, name="settlement"),
    path("partners/", views_group.partner_list, name="partners"),
    path("partners/new/", views_group.partner_edit, name="partner_new"),
    path("partners/<int:pk>/", views_group.partner_edit, name="partner_edit"),
]
