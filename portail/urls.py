from django.urls import path

from core.models import PublicPage
from portail.views import (
    absences,
    accounts,
    calendar_feed,
    certificates,
    direct_debit,
    documents,
    enrolment_requests,
    leisure,
    messages,
    pages,
    payment_endpoints,
    payments,
    public_pages,
    reservations,
)

app_name = "portail"

urlpatterns = [
    path("", pages.home, name="home"),
    path("espace-famille/", reservations.reservations, name="reservations"),
    path("espace-famille/inscriptions/", reservations.enrolments, name="enrolments"),
    path("espace-famille/inscriptions/commencer/", enrolment_requests.enrolment_start, name="enrolment_start"),
    path("espace-famille/inscriptions/dossier/<int:request_id>/", enrolment_requests.enrolment_request,
         name="enrolment_request"),
    path("espace-famille/periode/", reservations.period, name="period"),
    path("espace-famille/accueil-de-loisirs/", leisure.leisure, name="leisure"),
    path("espace-famille/semaine-type/", reservations.model_week, name="model_week"),
    path("espace-famille/absences/", reservations.absences, name="absences"),
    path("espace-famille/absences/<int:declaration_id>/certificat/", absences.absence_certificate,
         name="absence_certificate"),
    path("espace-famille/panier/changer/", reservations.basket_change, name="basket_change"),
    path("espace-famille/panier/vider/", reservations.basket_clear, name="basket_clear"),
    path("espace-famille/panier/valider/", reservations.basket_validate, name="basket_validate"),
    path("espace-famille/liste-attente/rejoindre/", reservations.waiting_list_join, name="waiting_list_join"),
    path("espace-famille/liste-attente/<int:entry_id>/quitter/", reservations.waiting_list_leave, name="waiting_list_leave"),
    path("foyer/", pages.household, name="household"),
    path("foyer/mes-coordonnees/", pages.contact_edit, name="contact_edit"),
    path("foyer/documents/<int:document_id>/", documents.document_file, name="document_file"),
    path("foyer/calendrier/", calendar_feed.calendar_feed_manage, name="calendar_feed_manage"),
    # Read by calendar apps without a session: the secret token is the only key.
    path("calendrier/<str:token>.ics", calendar_feed.calendar_feed, name="calendar_feed"),
    # Messages with the town hall
    path("messages/", messages.message_list, name="messages"),
    path("messages/nouveau/", messages.message_new, name="message_new"),
    path("messages/<int:conversation_id>/", messages.message_thread, name="message_thread"),
    path("messages/pieces-jointes/<int:attachment_id>/", messages.message_attachment, name="message_attachment"),
    # Factures et paiements
    path("factures/", payments.invoices, name="invoices"),
    path("factures/archivees/", payments.archived_invoices, name="archived_invoices"),
    path("factures/panier/", payments.basket_change, name="invoice_basket_change"),
    path("factures/payer/", payments.pay, name="pay"),
    path("factures/<int:invoice_id>/pdf/", payments.invoice_pdf, name="invoice_pdf"),
    path("factures/attestations/", certificates.attestations, name="attestations"),
    path("factures/attestations/fiscale/<int:year>/", certificates.tax_certificate, name="tax_certificate"),
    path("factures/prelevement/", direct_debit.direct_debit, name="direct_debit"),
    path("factures/prelevement/demande/", direct_debit.mandate_create, name="mandate_create"),
    path("factures/prelevement/<int:mandate_id>/modifier/", direct_debit.mandate_change, name="mandate_change"),
    path("factures/prelevement/<int:mandate_id>/revoquer/", direct_debit.mandate_cancel, name="mandate_cancel"),
    path("factures/prelevement/<int:mandate_id>/mandat.pdf", direct_debit.mandate_pdf, name="mandate_pdf"),
    # PayFiP's notification and the parent's return both carry our own payment id in their path.
    path("paiements/<uuid:payment_uuid>/notification/", payment_endpoints.payment_notification, name="payment_notification"),
    path("paiements/<uuid:payment_uuid>/retour/", payments.payment_return, name="payment_return"),
    # The pages the law requires, open to everyone
    path("accessibilite/", public_pages.public_page, {"slug": PublicPage.Slug.ACCESSIBILITY}, name="accessibility"),
    path("mentions-legales/", public_pages.public_page, {"slug": PublicPage.Slug.LEGAL_NOTICE}, name="legal_notice"),
    path("donnees-personnelles/", public_pages.public_page, {"slug": PublicPage.Slug.PRIVACY}, name="privacy"),
    path("plan-du-site/", public_pages.public_page, {"slug": PublicPage.Slug.SITEMAP}, name="sitemap"),
    # Account
    path("connexion/", accounts.LoginView.as_view(), name="login"),
    path("deconnexion/", accounts.LogoutView.as_view(), name="logout"),
    path("activer/<uidb64>/<token>/", accounts.activate, name="activate"),
    path("mot-de-passe-oublie/", accounts.password_reset, name="password_reset"),
    path("creer-mon-compte/", accounts.family_account_request, name="family_account_request"),
    path("creer-mon-compte/envoyee/", accounts.family_account_request_done, name="family_account_request_done"),
    path("mot-de-passe-oublie/envoye/", accounts.password_reset_done, name="password_reset_done"),
    path(
        "mot-de-passe-oublie/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("compte/mot-de-passe/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("compte/email/", accounts.email_change, name="email_change"),
    path("compte/email/confirmer/<str:token>/", accounts.email_change_confirm, name="email_change_confirm"),
]
