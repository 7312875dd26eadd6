"""What a server process prepares once, as it starts, so that no visitor's request pays for it.

Each gunicorn worker builds its URL patterns' reverse lookup and compiles each template on the first
request that needs them: the admin's first page in a worker took 0.3–0.4 s more than the next ones
(the reverse lookup of every admin URL, for the list of models, and about twenty templates). A server
has several workers, and restarts them, so that visitors met those first requests again and again.
"""

from django.conf import settings
from django.forms.renderers import get_default_renderer
from django.template import TemplateDoesNotExist, engines
from django.urls import NoReverseMatch, get_resolver, reverse
from django.utils import translation

#: The admin's list and form pages and what they include or render (site templates are compiled by
#: the first request that uses them: each is a few of them, and small).
TEMPLATES = [
    "admin/index.html",
    "admin/app_list.html",
    "admin/change_list.html",
    "admin/change_list_results.html",
    "admin/change_list_object_tools.html",
    "admin/actions.html",
    "admin/filter.html",
    "admin/pagination.html",
    "admin/search_form.html",
    "admin/date_hierarchy.html",
    "admin/color_theme_toggle.html",
    "admin/change_form.html",
    "admin/change_form_object_tools.html",
    "admin/includes/fieldset.html",
    "admin/edit_inline/tabular.html",
    "admin/edit_inline/stacked.html",
    "admin/submit_line.html",
    "admin/prepopulated_fields_js.html",
    "admin/delete_confirmation.html",
]
#: The form widgets those pages render (through the form renderer's own template engine).
WIDGET_TEMPLATES = [
    "django/forms/widgets/select.html",
    "django/forms/widgets/select_option.html",
    "django/forms/widgets/attrs.html",
    "django/forms/widgets/input.html",
    "django/forms/widgets/text.html",
    "django/forms/widgets/hidden.html",
    "django/forms/widgets/checkbox.html",
    "django/forms/widgets/textarea.html",
]


def warm_up() -> list[str]:
    """Build the URL reverse lookups and compile the admin's templates; the names of the templates compiled."""
    with translation.override(settings.LANGUAGE_CODE):  # the reverse lookups are kept per language
        _populate(get_resolver())
    compiled = []
    engine = engines["django"]
    renderer = get_default_renderer()
    for name in TEMPLATES + WIDGET_TEMPLATES:
        try:
            (engine if name in TEMPLATES else renderer).get_template(name)
        except TemplateDoesNotExist:
            continue  # a template of a Django version that has no such page
        compiled.append(name)
    return compiled


def _populate(resolver, namespace: str = "") -> None:
    resolver.reverse_dict  # noqa: B018 (the property builds this resolver's lookups, then keeps them)
    if namespace:
        # reverse() looks a namespaced URL up in a resolver of its own (the namespace's prefix and
        # patterns), built on its first use: one reverse() of a name of the namespace builds it.
        for name in resolver.reverse_dict:
            if isinstance(name, str):
                try:
                    reverse(f"{namespace}:{name}")
                    break
                except NoReverseMatch:  # a name that needs arguments
                    continue
    for child, (_prefix, namespaced) in resolver.namespace_dict.items():
        _populate(namespaced, f"{namespace}:{child}" if namespace else child)
