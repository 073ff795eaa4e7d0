"""The basket (panier): a guardian's pending bookings and cancellations, kept in the database so
that it survives moving between weeks, reloads and logging out."""

from django.db import models
from django.db.models import Q

from core.models.activities import Activity
from core.models.households import Child, Guardian


class Basket(models.Model):
    """One per guardian. Its row is locked while it is validated, so that two tabs or a double
    submit apply each change once."""

    guardian = models.OneToOneField(Guardian, verbose_name="responsable", on_delete=models.CASCADE, related_name="basket")
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "panier"
        verbose_name_plural = "paniers"

    def __str__(self):
        return f"Panier de {self.guardian}"


class BasketItem(models.Model):
    """One pending change: book or cancel a child's activity on a day. At most one per day."""

    class Action(models.TextChoices):
        BOOK = "book", "Réservation"
        CANCEL = "cancel", "Annulation"

    basket = models.ForeignKey(Basket, verbose_name="panier", on_delete=models.CASCADE, related_name="items")
    child = models.ForeignKey(Child, verbose_name="enfant", on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(Activity, verbose_name="prestation", on_delete=models.CASCADE, related_name="+")
    date = models.DateField("jour")
    action = models.CharField("changement", max_length=6, choices=Action.choices)
    added_at = models.DateTimeField("ajouté le", auto_now_add=True)

    class Meta:
        verbose_name = "changement du panier"
        verbose_name_plural = "changements du panier"
        ordering = ["date", "child", "activity__position"]
        constraints = [
            models.UniqueConstraint(fields=["basket", "child", "activity", "date"], name="basketitem_unique_per_day"),
            models.CheckConstraint(condition=Q(action__in=["book", "cancel"]), name="basketitem_action_valid"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} — {self.child} — {self.activity} — {self.date:%d/%m/%Y}"
