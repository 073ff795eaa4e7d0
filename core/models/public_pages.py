"""The public-service pages the law requires (accessibility statement, legal notices, personal
data, site map): their text is the town's, edited by staff in the admin."""

from django.db import models


class PublicPage(models.Model):
    class Slug(models.TextChoices):
        ACCESSIBILITY = "accessibilite", "Déclaration d'accessibilité"
        LEGAL_NOTICE = "mentions-legales", "Mentions légales"
        PRIVACY = "donnees-personnelles", "Données personnelles"
        SITEMAP = "plan-du-site", "Plan du site"

    slug = models.SlugField("page", max_length=40, unique=True, choices=Slug.choices)
    title = models.CharField("titre", max_length=200)
    body = models.TextField(
        "texte",
        help_text=(
            "Texte simple : une ligne vide sépare les paragraphes ; « ## » en début de ligne fait un "
            "intertitre ; « - » en début de ligne fait une liste. Aucun HTML n'est interprété. "
            "[commune], [état de conformité], [durée de conservation], [contact de la mairie], [contact DPO] "
            "et [date de mise à jour] sont remplacés par les valeurs du paramétrage."
        ),
    )
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "page réglementaire"
        verbose_name_plural = "pages réglementaires"
        ordering = ["slug"]

    def __str__(self):
        return self.title
