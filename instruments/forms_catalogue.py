"""Forms for the catalogue page (widgets for the shared FilterSet) and the instrument create/edit pages."""

from __future__ import annotations

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from .catalogue_cache import cached_page
from .models import Instrument, InstrumentCategory, Region, Unit
from .selectors.catalogue import category_tree
from .services.instruments import INSTRUMENT_EDITABLE_FIELDS, SETTABLE_STATUSES

INSTRUMENT_FORM_FIELDS = list(INSTRUMENT_EDITABLE_FIELDS)


def category_choices(*, value_of, include_blank_label=None) -> list:
    """Categories grouped under their top level; the top level itself is the first option of its group."""
    choices: list = [("", include_blank_label)] if include_blank_label is not None else []
    for top in category_tree():
        options = [(value_of(top), _("%(name)s (all)") % {"name": top.name})]
        options += [(value_of(child), child.name) for child in top.children.all()]
        choices.append((top.name, options))
    return choices


def region_choices() -> list:
    """Provinces, each followed by its cities and districts, indented: only where verified units are (the
    national list has 3,212 divisions; a filter offering empty ones helps nobody). One query."""
    units_there = Unit.objects.verified().filter(
        Q(region=OuterRef("pk")) | Q(region__parent=OuterRef("pk")) | Q(region__parent__parent=OuterRef("pk"))
    )
    regions = list(
        Region.objects.filter(Exists(units_there))
        .only("id", "code", "name_en", "name_zh", "parent_id")
        .order_by("code")
    )
    depth: dict[int, int] = {}
    choices: list = [("", _("All regions"))]
    for region in regions:
        level = depth[region.parent_id] + 1 if region.parent_id in depth else 0
        depth[region.pk] = level
        choices.append((region.code, "\u2003" * level + region.name))
    return choices


class CachedSelect(forms.Select):
    """A drop-down whose options are read only when its HTML is not in the shared catalogue cache.

    The category and region drop-downs of the catalogue page cost more than the rest of the page together
    (thousands of options, three queries): their HTML is kept per selected value and language, and forgotten
    with every other cached catalogue page when a unit, category or region changes (catalogue_cache)."""

    def __init__(self, choices_factory, attrs=None):
        super().__init__(attrs)
        self.choices_factory = choices_factory

    def render(self, name, value, attrs=None, renderer=None):
        def rendered() -> str:
            self.choices = list(self.choices_factory())
            return str(super(CachedSelect, self).render(name, value, attrs, renderer))

        key = [("name", name), ("value", repr(value)), ("attrs", repr(sorted((attrs or {}).items())))]
        return mark_safe(cached_page("select", key, rendered))  # noqa: S308 (Django's own widget HTML)


def catalogue_form_widgets(form: forms.Form) -> forms.Form:
    """Friendlier widgets for the page; the fields, and so validation, stay those of the API."""
    form.fields["q"].widget = forms.TextInput(
        attrs={"type": "search", "placeholder": _("Name, model, manufacturer…"), "maxlength": 200}
    )
    form.fields["category"].widget = CachedSelect(
        lambda: category_choices(value_of=lambda category: category.code, include_blank_label=_("All categories"))
    )
    form.fields["region"].widget = CachedSelect(region_choices)
    # Thousands of units make a poor drop-down: the unit filter arrives from a unit's page as a hidden value.
    form.fields["unit"].widget = forms.HiddenInput()
    form.fields["min_rate"].widget = forms.NumberInput(attrs={"min": 0, "step": "any"})
    form.fields["max_rate"].widget = forms.NumberInput(attrs={"min": 0, "step": "any"})
    form.fields["min_provider_credit"].widget = forms.NumberInput(attrs={"min": 350, "max": 950, "step": 1})
    return form


class InstrumentForm(forms.ModelForm):
    """Create and edit one instrument. The unit comes from the URL; retiring has its own page."""

    status = forms.ChoiceField(
        label=_("status"),
        choices=[(value, label) for value, label in Instrument.Status.choices if value in SETTABLE_STATUSES],
    )

    class Meta:
        model = Instrument
        fields = INSTRUMENT_FORM_FIELDS
        widgets = {
            "purchase_date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 4}),
            "description_en": forms.Textarea(attrs={"rows": 4}),
            "specifications": forms.Textarea(attrs={"rows": 4}),
            "specifications_en": forms.Textarea(attrs={"rows": 4}),
            "services": forms.Textarea(attrs={"rows": 3}),
            "services_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        category.queryset = InstrumentCategory.objects.all()
        category.choices = category_choices(value_of=lambda item: item.pk, include_blank_label="---------")

    def validate_unique(self):
        # The unit is not a form field: the service checks the asset number within the unit.
        pass
