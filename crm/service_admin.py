"""A ModelAdmin that writes through the domain services, so the admin cannot skip history."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect


def describe(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    return " ".join(error.messages)


class ServiceModelAdmin(admin.ModelAdmin):
    """Subclasses implement ``create`` (returns the new object) and ``update``.

    Model validation runs in the form as usual; a rule only a service knows (ownership,
    allowed transitions) surfaces as an error message, with nothing written.
    """

    def create(self, request: HttpRequest, obj: Model, form: ModelForm) -> Model:
        raise NotImplementedError

    def update(self, request: HttpRequest, obj: Model, form: ModelForm) -> None:
        raise NotImplementedError

    def changed(self, form: ModelForm, editable: frozenset[str]) -> dict:
        return {name: form.cleaned_data[name] for name in form.changed_data if name in editable}

    def save_model(self, request, obj, form, change) -> None:
        if change:
            self.update(request, obj, form)
            return
        created = self.create(request, obj, form)
        obj.pk = created.pk
        obj._state.adding = False
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change) -> None:
        # Many-to-many fields are the services' business; inline formsets save as usual.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:  # from a service: the atomic block rolled back
            self.message_user(request, describe(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def run_per_object(self, request, queryset, action, done: str) -> HttpResponse | None:
        """Apply ``action(obj)`` to each selected object, reporting refusals one by one."""
        succeeded = 0
        for obj in queryset:
            try:
                action(obj)
                succeeded += 1
            except ValidationError as error:
                self.message_user(request, f"{obj}: {describe(error)}", messages.WARNING)
        if succeeded:
            self.message_user(request, f"{succeeded} {done}.", messages.SUCCESS)
        return None
