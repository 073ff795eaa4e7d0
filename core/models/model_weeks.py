"""The model week (semaine type): a child's usual weekdays per activity, applied to a period."""

from django.db import models

from core.models.activities import WEEKDAYS, Activity
from core.models.fields import ChoiceSetField
from core.models.households import Child


class ModelWeekDay(models.Model):
    """The weekdays a child usually attends one activity. One row per (child, activity)."""

    child = models.ForeignKey(Child, verbose_name="enfant", on_delete=models.CASCADE, related_name="model_week")
    activity = models.ForeignKey(Activity, verbose_name="prestation", on_delete=models.CASCADE, related_name="+")
    weekdays = ChoiceSetField("jours habituels", item_choices=WEEKDAYS, coerce=int, max_length=20)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "semaine type"
        verbose_name_plural = "semaines types"
        ordering = ["child", "activity__position"]
        constraints = [models.UniqueConstraint(fields=["child", "activity"], name="modelweek_unique_per_activity")]

    def __str__(self):
        return f"{self.child} — {self.activity}"
