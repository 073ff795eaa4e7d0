from django.urls import path

from portail.api import money_views, views

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
    path("household/", money_views.HouseholdView.as_view(), name="household"),
    path("invoices/", money_views.InvoicesView.as_view(), name="invoices"),
    path("invoices/<int:invoice_id>/", money_views.InvoiceView.as_view(), name="invoice"),
    path("invoices/<int:invoice_id>/pdf/", money_views.InvoicePdfView.as_view(), name="invoice-pdf"),
    path("payments/", money_views.PaymentsView.as_view(), name="payments"),
    path("payments/<uuid:payment_uuid>/", money_views.PaymentView.as_view(), name="payment"),
    path("certificates/tax/", money_views.TaxCertificatesView.as_view(), name="tax-certificates"),
    path("certificates/tax/<int:year>/", money_views.TaxCertificatePdfView.as_view(), name="tax-certificate"),
    path("certificates/attestation/", money_views.AttestationPdfView.as_view(), name="attestation"),
]
