"""Callbacks of the unfold admin: sidebar navigation and environment badge."""

from django.conf import settings
from django.urls import reverse, reverse_lazy


def _can_view(model_name):
    def check(request):
        return request.user.has_perm(f"core.view_{model_name}")

    return check


def _item(title, icon, model_name, app="core"):
    return {
        "title": title,
        "icon": icon,
        "link": reverse_lazy(f"admin:{app}_{model_name}_changelist"),
        "permission": _can_view(model_name),
    }


def _filtered_item(title, icon, model_name, query):
    return {
        "title": title,
        "icon": icon,
        "link": lambda request: f"{reverse(f'admin:core_{model_name}_changelist')}?{query}",
        "permission": _can_view(model_name),
    }


def _page(title, icon, url_name, *permissions):
    return {
        "title": title,
        "icon": icon,
        "link": reverse_lazy(url_name),
        "permission": lambda request: request.user.has_perms(permissions),
    }


def sidebar_navigation(request):
    return [
        {
            "title": "Au quotidien",
            "items": [
                {"title": "Tableau de bord", "icon": "dashboard", "link": reverse_lazy("admin:index")},
                _page("Effectifs cantine", "restaurant_menu", "admin:core_booking_headcounts", "core.view_booking"),
                _page("Pointage", "fact_check", "admin:core_attendance_sheet", "core.add_attendance", "core.change_attendance"),
                _page("Planning accueil de loisirs", "toys", "admin:core_registrationwindow_planning", "core.view_booking"),
            ],
        },
        {
            "title": "Familles",
            "items": [
                _item("Foyers", "home", "household"),
                _item("Responsables", "person", "guardian"),
                _item("Enfants", "child_care", "child"),
                _item("Inscriptions", "how_to_reg", "enrolment"),
                _filtered_item("Dossiers à examiner", "assignment", "enrolmentrequest", "status__exact=submitted"),
                _item("Dossiers d'inscription", "folder_shared", "enrolmentrequest"),
                _item("Documents des familles", "description", "householddocument"),
                _filtered_item("Demandes de compte", "person_add", "familyaccountrequest", "status__exact=pending"),
                _page("Importer des familles", "upload_file", "admin:core_household_import", "core.add_household"),
            ],
        },
        {
            "title": "Réservations",
            "items": [
                _item("Réservations", "event_available", "booking"),
                _item("Listes d'attente", "hourglass_top", "waitinglistentry"),
                _item("Absences déclarées", "sick", "absencedeclaration"),
                _item("Pointages enregistrés", "checklist", "attendance"),
                _item("Fermetures", "event_busy", "closure"),
                _item("Périodes d'inscription ALSH", "event_upcoming", "registrationwindow"),
                _item("Commandes de repas", "local_shipping", "catererorder"),
            ],
        },
        {
            "title": "Facturation",
            "items": [
                _item("Campagnes de facturation", "receipt_long", "invoicerun"),
                _item("Factures", "request_quote", "invoice"),
                _item("Avoirs", "money_off", "creditnote"),
                _item("Paiements", "payments", "payment"),
                _filtered_item("Paiements en cours", "hourglass_top", "payment", "a_traiter=en_cours"),
                _filtered_item("Anomalies de paiement", "report", "payment", "a_traiter=anomalies"),
                _item("Transmissions au Trésor public", "account_balance", "handoverbatch"),
            ],
        },
        {
            "title": "Communication",
            "items": [
                _item("Actualités", "campaign", "news"),
                _item("Avis aux familles", "notification_important", "notice"),
                _item("Messages des familles", "forum", "conversation"),
                _item("Pages réglementaires", "gavel", "publicpage"),
                _item("Journal des emails", "mail", "emaillog"),
            ],
        },
        {
            "title": "Paramétrage",
            "collapsible": True,
            "items": [
                _item("Prestations", "restaurant", "activity"),
                _item("Campagnes d'inscription", "event_note", "enrolmentcampaign"),
                _item("Types de document", "folder_special", "documenttype"),
                _item("Règles de délai", "schedule", "deadlinerule"),
                _item("Tarifs", "euro", "tariff"),
                _item("Tranches de QF", "stacked_bar_chart", "quotientbracket"),
                _item("Écoles", "school", "school"),
                _item("Années scolaires", "calendar_month", "schoolyear"),
                _item("Régies", "account_balance", "regie"),
            ],
        },
        {
            "title": "Comptes",
            "collapsible": True,
            "items": [
                {"title": "Double authentification", "icon": "phonelink_lock", "link": reverse_lazy("staff_2fa_setup")},
                _item("Utilisateurs", "manage_accounts", "user"),
                {
                    "title": "Groupes",
                    "icon": "group",
                    "link": reverse_lazy("admin:auth_group_changelist"),
                    "permission": lambda request: request.user.has_perm("auth.view_group"),
                },
            ],
        },
    ]


def environment_callback(request):
    if settings.DEBUG:
        return ["Démonstration", "warning"]
    return None
