"""Staff roles: the three groups and their permissions, defined here and nowhere else.

`roles_sync()` creates the groups and sets their permissions to exactly this table. Migrations
call it (0003 first; the invoicing and payment migrations call it again once their models
exist): a permission whose model does not exist yet is skipped, not an error.
"""

from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.db import transaction

GESTIONNAIRE = "Gestionnaire"
REGISSEUR = "Régisseur"
ADMINISTRATEUR = "Administrateur"

ALL_PERMISSIONS = "__all__"

CRUD = ("view", "add", "change", "delete")


def _perms(actions, *model_names, app_label="core"):
    return [f"{app_label}.{action}_{name}" for name in model_names for action in actions]


# Reference data every staff member reads (filters, autocompletes, the headcounts page).
_REFERENCE_VIEW = _perms(
    ("view",), "activity", "school", "schoolyear", "closure", "regie", "deadlinerule", "registrationwindow"
)

ROLE_PERMISSIONS = {
    GESTIONNAIRE: [
        *_perms(CRUD, "household", "guardian", "child", "quotientfamilial", "enrolment"),
        *_perms(CRUD, "booking", "attendance", "news", "closure", "registrationwindow"),
        *_perms(("view", "add", "change"), "householddocument"),
        *_perms(CRUD, "enrolmentcampaign", "campaignservice", "enrolmentrequest", "requestedservice"),
        *_perms(("view", "change"), "familyaccountrequest"),
        *_perms(("view", "change"), "waitinglistentry", "absencedeclaration"),
        *_perms(("view",), "absenceday", "absencereason"),
        *_perms(("view",), "emaillog", "documenttype"),
        *_perms(("view", "change"), "publicpage"),
        *_perms(CRUD, "notice"),
        *_perms(("view", "change"), "conversation"),
        *_perms(("view",), "message"),
        *_perms(("view",), "noticerecipient", "catererorder"),
        *_REFERENCE_VIEW,
    ],
    REGISSEUR: [
        # Families and bookings read-only: the régisseur bills them, the gestionnaire keeps them.
        *_perms(("view",), "household", "guardian", "child", "quotientfamilial", "enrolment"),
        *_perms(("view",), "booking", "attendance", "emaillog", "tariff", "quotientbracket"),
        *_perms(("view",), "householddocument", "documenttype", "enrolmentcampaign", "enrolmentrequest"),
        *_REFERENCE_VIEW,
        # Billing (payment models are skipped until their migration calls roles_sync again).
        *_perms(CRUD, "invoicerun", "invoice", "invoiceline", "creditnote", "creditnoteline"),
        *_perms(("view",), "documentcounter"),
        *_perms(CRUD, "payment", "paymentallocation"),
        # Recovery: the reminder schedule, reminders sent (read; sending goes through the service).
        *_perms(CRUD, "reminderstep"),
        *_perms(("view",), "invoicereminder"),
        # Hand-over to the public accountant (made through core.services.handover only).
        *_perms(("view", "add"), "handoverbatch"),
        *_perms(("view",), "handoveritem"),
        # Direct debit: mandates, debits (rejects) and the bank files.
        *_perms(("view", "change"), "mandate", "directdebit", "debitbatch"),
        "core.manage_debitbatch",
    ],
    ADMINISTRATEUR: ALL_PERMISSIONS,
}


@transaction.atomic
def roles_sync(*, apps: Apps = global_apps) -> dict:
    """Make each role group hold exactly the permissions of ROLE_PERMISSIONS (missing ones skipped)."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    all_permissions = Permission.objects.select_related("content_type")
    by_name = {f"{p.content_type.app_label}.{p.codename}": p for p in all_permissions}
    groups = {}
    for name, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        if wanted == ALL_PERMISSIONS:
            permissions = list(by_name.values())
        else:
            permissions = [by_name[perm] for perm in wanted if perm in by_name]
        group.permissions.set(permissions)
        groups[name] = group
    return groups
