"""Serializers of the API's money part: the household, its invoices, payments and certificates."""

from rest_framework import serializers

from core.models import Child, Guardian, Household, Invoice, InvoiceLine, Payment
from core.services.certificates import AttestationKind
from portail.api.serializers import id_field


class GuardianBriefSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField()

    class Meta:
        model = Guardian
        fields = ["id", "display_name", "email", "phone_mobile", "is_billing_contact"]


class ChildBriefSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField()

    class Meta:
        model = Child
        fields = ["id", "first_name", "last_name", "full_name", "birth_date", "grade"]


class HouseholdSerializer(serializers.ModelSerializer):
    address_lines = serializers.ListField(child=serializers.CharField())
    guardians = GuardianBriefSerializer(many=True)
    children = ChildBriefSerializer(many=True)

    class Meta:
        model = Household
        fields = ["reference", "name", "address_lines", "is_resident", "guardians", "children"]


class InvoiceSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    regie = serializers.CharField(source="regie.name")
    title = serializers.CharField()
    paid_amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    credited_amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    balance = serializers.DecimalField(max_digits=10, decimal_places=2, help_text="Reste à payer.")
    is_payable = serializers.BooleanField(help_text="Peut être payée en ligne (POST payments/).")
    is_with_public_accountant = serializers.BooleanField(help_text="Transmise au Trésor public : à régler auprès de lui.")
    public_accountant = serializers.SerializerMethodField(help_text="Où régler une facture transmise au Trésor public.")
    pdf_available = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id", "number", "title", "regie", "status", "status_label", "issue_date", "due_date", "period_start",
            "period_end", "total", "paid_amount", "credited_amount", "balance", "is_payable",
            "is_with_public_accountant", "public_accountant", "pdf_available",
        ]

    def get_public_accountant(self, invoice) -> str | None:
        return invoice.regie.public_accountant if invoice.is_with_public_accountant else None

    def get_pdf_available(self, invoice) -> bool:
        return bool(invoice.pdf)


class InvoiceLineSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="activity : une prestation ; reject_fee : frais de rejet de prélèvement.")
    child = serializers.CharField(source="child.full_name", allow_null=True, help_text="Vide pour des frais.")
    activity = serializers.CharField(source="activity.name", allow_null=True, help_text="Vide pour des frais.")
    dates = serializers.ListField(child=serializers.DateField())

    class Meta:
        model = InvoiceLine
        fields = ["kind", "label", "child", "activity", "is_unbooked", "dates", "quantity", "unit_price", "amount"]


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = InvoiceLineSerializer(many=True)

    class Meta(InvoiceSerializer.Meta):
        fields = [*InvoiceSerializer.Meta.fields, "lines"]


class InvoiceListQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=[("open", "en cours"), ("archived", "archivées"), ("all", "toutes")], default="open",
        help_text="open : factures en cours ; archived : payées ou annulées ; all : toutes.",
    )


class PaymentStartSerializer(serializers.Serializer):
    invoice_ids = serializers.ListField(child=id_field(), min_length=1, max_length=50)


class PaymentSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display")
    invoices = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = ["uuid", "status", "status_label", "amount", "created_at", "concluded_at", "invoices"]

    def get_invoices(self, payment) -> list[str]:
        return [allocation.invoice.number for allocation in payment.allocations.all()]


class PaymentStartedSerializer(PaymentSerializer):
    payment_url = serializers.URLField(help_text="La page PayFiP où envoyer le payeur.")

    class Meta(PaymentSerializer.Meta):
        fields = [*PaymentSerializer.Meta.fields, "payment_url"]


class TaxYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=10, decimal_places=2)


class AttestationQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AttestationKind.CHOICES)
    start = serializers.DateField()
    end = serializers.DateField()
