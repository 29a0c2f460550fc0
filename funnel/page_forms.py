"""Forms of the lead's pages (funnel.pages): the review note and a manager's plan.

They only parse and check input; the writes are ``funnel.services``' (``review_save``,
``plan_create``, ``plan_update``), whose ``ValidationError`` a view puts back on the form
with ``crm.page_tools.put_service_errors`` so each message shows next to its field.
"""

from django import forms
from django.contrib.auth import get_user_model

from funnel.models import PlanMetric
from funnel.review_table import PLAN_LABELS

User = get_user_model()

COUNT_METRICS = tuple(metric for metric in PlanMetric.values if metric != PlanMetric.REVENUE)


class ManagerChoiceField(forms.ModelChoiceField):
    """A manager by username (the report's name for them)."""

    def label_from_instance(self, obj) -> str:
        full = obj.get_full_name()
        return f"{obj.get_username()} ({full})" if full else obj.get_username()


class ReviewNoteForm(forms.Form):
    """The lead's note on one manager's period (the period is the page's)."""

    manager = ManagerChoiceField(queryset=User.objects.none(), label="Manager")
    notes = forms.CharField(
        label="Review note",
        widget=forms.Textarea(attrs={"rows": 4}),
        strip=True,
        help_text="What was agreed in the review: what went well, what to change.",
    )

    def __init__(self, *args, managers, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = managers


class PlanForm(forms.Form):
    """A manager's targets for the page's period; any may be empty (no target)."""

    contracts = forms.IntegerField(label=PLAN_LABELS["contracts"], min_value=0, required=False)
    revenue = forms.DecimalField(
        label=PLAN_LABELS["revenue"],
        min_value=0,
        max_digits=14,
        decimal_places=2,
        required=False,
    )
    meetings = forms.IntegerField(label=PLAN_LABELS["meetings"], min_value=0, required=False)
    calls = forms.IntegerField(label=PLAN_LABELS["calls"], min_value=0, required=False)
    new_prospects = forms.IntegerField(
        label=PLAN_LABELS["new_prospects"], min_value=0, required=False
    )
    referrals_asked = forms.IntegerField(
        label=PLAN_LABELS["referrals_asked"], min_value=0, required=False
    )

    def targets(self) -> dict:
        """Every plan metric, None where left empty (so an update clears it)."""
        return {metric: self.cleaned_data.get(metric) for metric in PlanMetric.values}
