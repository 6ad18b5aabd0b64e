from django.urls import path

from . import views

app_name = "purchases"
urlpatterns = [
    path("customers/<int:pk>/", views.customer_purchases, name="customer"),
]
