from django.urls import path

from portail.api import views

app_name = "api"

urlpatterns = [
    path("children/", views.ChildrenView.as_view(), name="children"),
    path("week/", views.WeekView.as_view(), name="week"),
    path("basket/", views.BasketView.as_view(), name="basket"),
    path("basket/items/", views.BasketItemsView.as_view(), name="basket-items"),
    path("basket/items/<int:item_id>/", views.BasketItemView.as_view(), name="basket-item"),
    path("basket/period/", views.BasketPeriodView.as_view(), name="basket-period"),
    path("basket/clear/", views.BasketClearView.as_view(), name="basket-clear"),
    path("basket/validate/", views.BasketValidateView.as_view(), name="basket-validate"),
]
