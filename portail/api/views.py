"""The parents' booking API. Thin views: every queryset starts from the logged-in guardian's
household, every rule is enforced by core.services; another household's ids answer 404."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.models import Child, Enrolment
from core.services import basket as basket_service
from core.services.bookings import week_view
from core.services.deadlines import PARIS
from portail.api import serializers as s


class IsGuardian(permissions.BasePermission):
    """A logged-in parent: a user linked to a guardian of a household."""

    message = "Cet espace est réservé aux responsables d'un foyer."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and hasattr(request.user, "guardian"))


def error_response(error):
    """A service's refusal as JSON: the French message and a stable code."""
    return Response({"detail": error.messages[0], "code": error.code or "invalid"}, status=status.HTTP_400_BAD_REQUEST)


ERRORS = {400: OpenApiResponse(s.ErrorSerializer, description="Refusé : message en français et code.")}


class GuardianAPIView(APIView):
    permission_classes = [IsGuardian]

    @property
    def guardian(self):
        return self.request.user.guardian

    def household_children(self):
        return Child.objects.filter(household_id=self.guardian.household_id)

    def household_child(self, child_id):
        return get_object_or_404(self.household_children(), pk=child_id)

    def validated(self, serializer_class, data):
        """`data` checked by `serializer_class`: its validated data, or a 400 with the field errors."""
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def active_activity(self, activity_id):
        """An activity open to bookings; another id (or a closed activity) is a 404."""
        activity = s.active_activity(activity_id)
        if activity is None:
            raise Http404
        return activity


class ChildrenView(GuardianAPIView):
    @extend_schema(summary="Mes inscriptions : les enfants du foyer et leurs inscriptions", responses=s.ChildSerializer(many=True))
    def get(self, request):
        enrolments = Enrolment.objects.select_related("activity", "school_year").order_by("-school_year__start_date", "activity__position")
        children = self.household_children().select_related("school").prefetch_related(Prefetch("enrolments", queryset=enrolments))
        return Response(s.ChildSerializer(children, many=True).data)


class WeekView(GuardianAPIView):
    @extend_schema(
        summary="La semaine de réservations du foyer",
        parameters=[OpenApiParameter("date", type=str, description="AAAA-MM-JJ, un jour de la semaine voulue")],
        responses=s.WeekViewSerializer,
    )
    def get(self, request):
        query = self.validated(s.WeekQuerySerializer, request.query_params)
        now = timezone.now()
        day = query.get("date") or now.astimezone(PARIS).date()
        return Response(s.week_view_data(week_view(guardian=self.guardian, day=day, now=now)))


class BasketView(GuardianAPIView):
    @extend_schema(summary="Le panier : changements en attente de validation", responses=s.BasketSerializer)
    def get(self, request):
        items = basket_service.basket_items(guardian=self.guardian)
        return Response(s.BasketSerializer({"count": len(items), "items": items}).data)


class BasketItemsView(GuardianAPIView):
    @extend_schema(
        summary="Ajouter un changement au panier (réserver ou annuler un jour)",
        request=s.BasketAddSerializer,
        responses={201: s.BasketItemSerializer, **ERRORS},
    )
    def post(self, request):
        values = self.validated(s.BasketAddSerializer, request.data)
        child = self.household_child(values["child_id"])
        activity = self.active_activity(values["activity_id"])
        try:
            item = basket_service.basket_add(
                guardian=self.guardian, child=child, activity=activity, day=values["date"], action=values["action"],
            )
        except DjangoValidationError as error:
            return error_response(error)
        return Response(s.BasketItemSerializer(item).data, status=status.HTTP_201_CREATED)


class BasketItemView(GuardianAPIView):
    @extend_schema(summary="Retirer un changement du panier", responses={204: None})
    def delete(self, request, item_id):
        try:
            basket_service.basket_remove(guardian=self.guardian, item_id=item_id)
        except basket_service.BasketItem.DoesNotExist:
            raise Http404 from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class BasketPeriodView(GuardianAPIView):
    @extend_schema(
        summary="Réserver sur une période, par jour de la semaine, pour un ou plusieurs enfants",
        request=s.PeriodSerializer,
        responses={200: s.PeriodResultSerializer, **ERRORS},
    )
    def post(self, request):
        values = self.validated(s.PeriodSerializer, request.data)
        child_ids = list(dict.fromkeys(values["child_ids"]))
        children = list(self.household_children().filter(pk__in=child_ids))
        if len(children) != len(child_ids):
            raise Http404
        activity = self.active_activity(values["activity_id"])
        try:
            result = basket_service.basket_add_period(
                guardian=self.guardian, children=children, activity=activity, start=values["start"],
                end=values["end"], weekdays=values["weekdays"],
            )
        except DjangoValidationError as error:
            return error_response(error)
        return Response(s.PeriodResultSerializer(result).data)


class BasketClearView(GuardianAPIView):
    @extend_schema(summary="Vider le panier", request=None, responses={204: None})
    def post(self, request):
        basket_service.basket_clear(guardian=self.guardian)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BasketValidateView(GuardianAPIView):
    @extend_schema(
        summary="Valider le panier : applique les changements encore dans les délais",
        request=None,
        responses=s.ValidationResultSerializer,
    )
    def post(self, request):
        result = basket_service.basket_validate(guardian=self.guardian)
        return Response(s.ValidationResultSerializer(result).data)
