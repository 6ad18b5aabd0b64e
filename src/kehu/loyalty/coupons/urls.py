"""Coupon pages, included under ``/loyalty/coupons/`` in the ``loyalty`` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.batch_list, name="coupon_batches"),
    path("new/", views.batch_create, name="coupon_batch_create"),
    path("<int:pk>/", views.batch_detail, name="coupon_batch"),
    path("<int:pk>/issue/", views.batch_issue, name="coupon_batch_issue"),
    path("check/", views.coupon_check, name="coupon_check"),
    path("c/<str:code>/use/", views.coupon_use, name="coupon_use"),
    path("c/<str:code>/<str:action>/", views.coupon_action, name="coupon_action"),
]
