"""The pages the law requires: their default texts, the values taken from the settings, and the
safe rendering of the text staff edit (no HTML from the admin ever reaches a page)."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape, format_html_join
from django.utils.safestring import mark_safe

from core.models import PublicPage
from core.constants import PARIS
from core.services.rgpd import retention_periods

Slug = PublicPage.Slug

DEFAULT_PAGES = {
    Slug.ACCESSIBILITY: (
        "Déclaration d'accessibilité",
        """[commune] s'engage à rendre ses services en ligne accessibles, conformément à l'article 47 de la loi n° 2005-102 du 11 février 2005.

Cette déclaration d'accessibilité s'applique au site Espace Famille de [commune].

## État de conformité

Le site Espace Famille est [état de conformité] avec le référentiel général d'amélioration de l'accessibilité (RGAA), version 4.1.2 : aucun audit de conformité n'a encore été réalisé. Le service a été conçu et testé pour le RGAA (navigation au clavier, lien d'évitement, formulaires étiquetés, affichage sur petit écran et zoom à 400 %, contrastes) ; le résultat de l'audit sera publié ici.

## Contenus non accessibles

Non-conformités connues :
- les factures au format PDF ne sont pas des documents balisés ; leur contenu (montants, jours facturés) est aussi lisible sur la page « Factures et paiements » ;
- le paiement en ligne se fait sur le site PayFiP de la Direction générale des finances publiques, qui a sa propre déclaration d'accessibilité.

## Établissement de cette déclaration

Cette déclaration a été mise à jour le [date de mise à jour].

## Retour d'information et contact

Si vous n'arrivez pas à accéder à un contenu ou à un service, vous pouvez contacter la mairie ([contact de la mairie]) pour être orienté vers une alternative accessible ou obtenir le contenu sous une autre forme.

## Voies de recours

Si vous avez signalé un défaut d'accessibilité qui vous empêche d'accéder à un contenu ou à un service et que vous n'avez pas obtenu de réponse satisfaisante, vous pouvez saisir le Défenseur des droits :
- par le formulaire en ligne : https://formulaire.defenseurdesdroits.fr/ ;
- par téléphone : 09 69 39 00 00 ;
- en contactant le délégué du Défenseur des droits de votre région : https://www.defenseurdesdroits.fr/saisir/delegues ;
- par courrier (gratuit, sans affranchissement) : Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07.""",
    ),
    Slug.LEGAL_NOTICE: (
        "Mentions légales",
        """## Éditeur

Le site Espace Famille est édité par [commune].
Contact : [contact de la mairie].

## Directeur de la publication

Le maire de la commune.

## Hébergement

L'hébergeur du site est indiqué par la mairie sur demande ; les données sont hébergées dans l'Union européenne.

## Paiement en ligne

Le paiement des factures en ligne est assuré par PayFiP, service de la Direction générale des finances publiques (DGFiP). Aucune donnée de carte bancaire ne transite par ce site.

## Données personnelles

Le traitement de vos données est décrit sur la page « Données personnelles ».

## Propriété intellectuelle

Les textes et documents de ce site sont la propriété de [commune], sauf mention contraire.""",
    ),
    Slug.PRIVACY: (
        "Données personnelles",
        """[commune] est responsable du traitement des données personnelles collectées par l'Espace Famille.

## Finalités

- Inscrire les enfants aux services périscolaires et de restauration scolaire, gérer les réservations et les présences.
- Calculer et émettre les factures selon le quotient familial, encaisser les paiements (en ligne par PayFiP ou à la régie).
- Vous informer par email (factures, réservations, fermetures, messages de la mairie) et adapter les repas (régimes alimentaires).

## Bases légales

- L'exécution d'une mission d'intérêt public dont est investie la commune (article 6-1-e du RGPD) : inscriptions, réservations, restauration scolaire.
- Le respect d'une obligation légale (article 6-1-c du RGPD) : facturation et comptabilité publique.

## Durées de conservation

- Les données d'un foyer sont conservées tant qu'il utilise les services ; elles sont anonymisées [durée de conservation] après son départ.
- Les pièces justificatives (attestations, certificats…) sont supprimées [durée de conservation des documents] après le départ du foyer.
- Une demande « Créer mon compte famille » refusée ou restée sans réponse est supprimée après [durée de conservation des demandes de compte].
- Les factures émises et les paiements sont conservés comme l'exigent les règles de la comptabilité publique, même après l'anonymisation du foyer.

## Destinataires

- Les agents habilités du service enfance et de la régie de la mairie.
- Le comptable public (DGFiP) pour les paiements et le recouvrement.
- Le personnel de cuisine ou le prestataire de restauration, qui reçoit uniquement le nombre de repas par école et par régime, sans nom.
- Les prestataires techniques de la mairie (hébergement, envoi des emails), tenus à la confidentialité.

## Délégué à la protection des données

Vous pouvez contacter le délégué à la protection des données : [contact DPO].

## Vos droits

Vous disposez d'un droit d'accès, de rectification, d'effacement, de limitation et d'opposition sur vos données. Vous pouvez modifier vos coordonnées dans « Gestion du foyer » et demander l'export des données de votre foyer à la mairie.

Pour exercer vos droits, écrivez au délégué à la protection des données ([contact DPO]) ou à la mairie ([contact de la mairie]). Si vous estimez que vos droits ne sont pas respectés, vous pouvez adresser une réclamation à la CNIL : https://www.cnil.fr/fr/plaintes.""",
    ),
    Slug.SITEMAP: (
        "Plan du site",
        "Toutes les pages de l'Espace Famille. Les pages de votre famille demandent d'être connecté.",
    ),
}


def accessibility_status():
    """The RGAA status the footer and the statement both state (setting ACCESSIBILITY_STATUS)."""
    return settings.ACCESSIBILITY_STATUS


def page_values(page):
    """The values that come from the settings, so a page never states a retention period or a
    contact the configuration contradicts."""
    periods = retention_periods()
    updated = timezone.localtime(page.updated_at, PARIS) if page.updated_at else timezone.localtime(timezone.now(), PARIS)
    missing = "adresse à compléter par la mairie"
    return {
        "[commune]": settings.TOWN_NAME,
        "[état de conformité]": accessibility_status(),
        "[durée de conservation]": periods["households"],
        "[durée de conservation des documents]": periods["documents"],
        "[durée de conservation des demandes de compte]": periods["account_requests"],
        "[contact de la mairie]": settings.TOWN_CONTACT_EMAIL or missing,
        "[contact DPO]": settings.DPO_CONTACT or missing,
        "[date de mise à jour]": updated.strftime("%d/%m/%Y"),
    }


def _inline(text):
    return mark_safe("<br>".join(escape(line) for line in text.split("\n")))


def page_html(page):
    """The page's text as HTML: blank-line paragraphs, « ## » subheadings (h2), « - » lists.
    Everything staff typed is escaped first; only these tags are ever produced."""
    text = page.body.replace("\r\n", "\n")
    for placeholder, value in page_values(page).items():
        text = text.replace(placeholder, value)
    parts = []
    for block in (b.strip("\n") for b in text.split("\n\n")):
        if not block.strip():
            continue
        lines = block.split("\n")
        if lines[0].startswith("## "):
            parts.append(mark_safe(f"<h2>{escape(lines[0][3:].strip())}</h2>"))
            lines = lines[1:]
        paragraph, items = [], []
        for line in lines:
            if line.startswith("- "):
                items.append(line[2:].strip())
            elif items:
                items[-1] += " " + line.strip()
            else:
                paragraph.append(line)
        if paragraph:
            parts.append(mark_safe(f"<p>{_inline(chr(10).join(paragraph))}</p>"))
        if items:
            parts.append(mark_safe("<ul>" + format_html_join("", "<li>{}</li>", ((item,) for item in items)) + "</ul>"))
    return mark_safe("\n".join(parts))


def public_page_get(*, slug):
    """The page, created with its default text if staff have not written it yet (or deleted it)."""
    page = PublicPage.objects.filter(slug=slug).first()
    if page is None:
        page = public_pages_install_defaults()[slug]
    return page


@transaction.atomic
def public_pages_install_defaults():
    """Create the missing pages with their default French text; never overwrite staff's text."""
    pages = {}
    for slug, (title, body) in DEFAULT_PAGES.items():
        pages[slug], _ = PublicPage.objects.get_or_create(slug=slug, defaults={"title": title, "body": body})
    return pages
