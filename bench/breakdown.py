"""Where a page's CPU goes: each request's CPU time split into middleware, session, user, view, form rendering,
template rendering and other, measured in-process with the site's production settings.

A tracing profiler charges every nanosecond of this thread's CPU time (``CLOCK_THREAD_CPUTIME_ID``) to the
*innermost* bucket on the call stack. A bucket is entered when one of its entry points (listed below and in
bench/README.md) is called and left when it returns, so the buckets partition the request: they sum to the
traced total exactly, and nested work is charged once, to the innermost bucket (a session load that the
template triggers through ``{{ user }}`` is session, not template rendering). Only the few dozen entry points
are instrumented, not every call as cProfile does, so the split is not skewed towards call-heavy code; the
same requests untraced are timed too, and the difference is reported as the tracer's overhead.

cProfile's view of the same requests (untraced by us) is saved per page for drilling into a bucket
(``python -m pstats bench/results/<run>-profiles/<page>.prof``).
"""

import cProfile
import functools
import gc
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.template.base import NodeList

from . import inprocess
from .pages import PAGES, Page

MIDDLEWARE = "middleware"
SESSION = "session"
USER = "user"
VIEW = "view"
FORM = "form rendering"
TEMPLATE = "template rendering"
OTHER = "other"
BUCKETS = (MIDDLEWARE, SESSION, USER, VIEW, FORM, TEMPLATE, OTHER)
WARM_UP_REQUESTS = 20
BLOCK_REQUESTS = 25
# Extra call depth of successive blocks: 0, 37, 74 … 222, 19, 56 … (in-process cost varies with stack depth).
DEPTH_STEP, MAX_EXTRA_DEPTH = 37, 240


class CostTracer:
    """Keeps a stack of buckets and charges this thread's CPU time to the innermost one."""

    def __init__(self) -> None:
        self.stack: list[str] = []
        self.spent_ns = dict.fromkeys(BUCKETS, 0)
        self.mark = 0

    @property
    def current(self) -> str | None:
        return self.stack[-1] if self.stack else None

    def enter(self, bucket: str) -> None:
        now = time.thread_time_ns()
        if self.stack:
            self.spent_ns[self.stack[-1]] += now - self.mark
        self.stack.append(bucket)
        self.mark = now

    def leave(self) -> None:
        now = time.thread_time_ns()
        self.spent_ns[self.stack.pop()] += now - self.mark
        self.mark = now

    def reset(self) -> None:
        if self.stack:
            raise RuntimeError(f"reset inside {self.stack}")
        self.spent_ns = dict.fromkeys(BUCKETS, 0)

    def charging(self, bucket: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function``, with its time (less nested buckets) charged to ``bucket``."""

        @functools.wraps(function)
        def charged(*args: Any, **kwargs: Any) -> Any:
            self.enter(bucket)
            try:
                return function(*args, **kwargs)
            finally:
                self.leave()

        return charged


def form_template_prefixes() -> tuple[str, ...]:
    """Templates that render a form or a piece of one: Django's form renderer's, the crispy pack's, allauth's
    elements (which the project's templates/allauth/elements/ override)."""
    from django.conf import settings

    return ("django/forms/", f"{settings.CRISPY_TEMPLATE_PACK}/", "allauth/elements/")


class Patches:
    """Attributes replaced for the duration of a trace, and put back exactly as they were."""

    def __init__(self) -> None:
        self.undo: list[Callable[[], None]] = []

    def replace(self, owner: Any, attribute: str, wrap: Callable[[Any], Any]) -> None:
        """Set ``owner.attribute`` to ``wrap(current value)``; an inherited attribute is shadowed, then removed."""
        own = vars(owner)
        had_own, previous = attribute in own, own.get(attribute)
        setattr(owner, attribute, wrap(getattr(owner, attribute)))
        self.undo.append(lambda: setattr(owner, attribute, previous) if had_own else delattr(owner, attribute))

    def restore(self) -> None:
        while self.undo:
            self.undo.pop()()


@contextmanager
def instrumented(tracer: CostTracer) -> Iterator[None]:
    """The entry points of every bucket but middleware, view and other (those are the handler's, see
    ``TracedHandler``), wrapped for the duration."""
    from importlib import import_module

    from allauth.templatetags.allauth import ElementNode
    from crispy_forms.templatetags.crispy_forms_field import CrispyFieldNode
    from crispy_forms.templatetags.crispy_forms_tags import CrispyFormNode
    from django.conf import settings
    from django.contrib import auth
    from django.forms.boundfield import BoundField
    from django.forms.renderers import BaseRenderer
    from django.forms.utils import RenderableFieldMixin, RenderableMixin
    from django.forms.widgets import Widget
    from django.template import base as template_base
    from django.template.backends import django as django_backend

    patches = Patches()
    prefixes = form_template_prefixes()

    def template_bucket(name: str | None) -> str:
        # A template that a form renders (crispy's field template, a widget's) is part of rendering the form.
        return FORM if tracer.current == FORM or (name or "").startswith(prefixes) else TEMPLATE

    # The wrappers on the hottest entry points take the arguments as the callers pass them: on Python 3.11 a
    # wrapper that forwards *args, **kwargs runs the template underneath several per cent faster than unwrapped.
    def charge_engine_template(render: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(render)
        def charged(template: Any, context: Any = None, request: Any = None) -> Any:
            tracer.enter(template_bucket(template.template.name))
            try:
                return render(template, context, request)
            finally:
                tracer.leave()

        return charged

    def charge_template(render: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(render)
        def charged(template: Any, context: Any) -> Any:
            tracer.enter(template_bucket(template.name))
            try:
                return render(template, context)
            finally:
                tracer.leave()

        return charged

    # Template rendering: the engine's Template.render (context processors included) and every template's own.
    patches.replace(django_backend.Template, "render", charge_engine_template)
    patches.replace(template_base.Template, "render", charge_template)

    # Form rendering: Django's form objects, crispy's tags, allauth's {% element %} tags.
    def as_form(function: Callable[..., Any]) -> Callable[..., Any]:
        return tracer.charging(FORM, function)

    for owner, attribute in (
        (RenderableMixin, "render"),  # forms, error lists, field groups
        (RenderableMixin, "__str__"),
        (RenderableMixin, "__html__"),
        (RenderableFieldMixin, "__str__"),  # {{ field }}
        (RenderableFieldMixin, "__html__"),
        (BoundField, "as_widget"),
        (BoundField, "label_tag"),
        (BoundField, "legend_tag"),
        (Widget, "render"),
        (BaseRenderer, "render"),
        (CrispyFormNode, "render"),  # {% crispy form %}
        (CrispyFieldNode, "render"),  # {% crispy_field %} inside crispy's templates
    ):
        patches.replace(owner, attribute, as_form)

    # An {% element %} is form rendering, but the page's own markup between {% element %} and {% endelement %}
    # (its slots) is template rendering: the element renders it through its nodelist, charged back here.
    bodies: list[tuple[Any, Any]] = []

    def charge_element(render: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(render)
        def charged(node: Any, context: Any) -> Any:
            if not isinstance(node.nodelist, PageMarkup):
                bodies.append((node, node.nodelist))
                node.nodelist = PageMarkup(node.nodelist, tracer)
            tracer.enter(FORM)
            try:
                return render(node, context)
            finally:
                tracer.leave()

        return charged

    patches.replace(ElementNode, "render", charge_element)

    # Session: reading the stored session and writing it, whatever the engine.
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for attribute in ("load", "save", "create", "delete"):
        patches.replace(store, attribute, lambda method: tracer.charging(SESSION, method))

    # User: the one call through which AuthenticationMiddleware's lazy request.user loads the user.
    patches.replace(auth, "get_user", lambda get_user: tracer.charging(USER, get_user))
    try:
        yield
    finally:
        patches.restore()
        for node, nodelist in bodies:
            node.nodelist = nodelist


class PageMarkup(NodeList):
    """An {% element %}'s body, the page's own markup: its rendering is charged to template rendering."""

    def __init__(self, nodes: NodeList, tracer: CostTracer) -> None:
        super().__init__(nodes)
        self.contains_nontext = nodes.contains_nontext
        self.tracer = tracer

    def render(self, context: Any) -> Any:
        self.tracer.enter(TEMPLATE)
        try:
            return super().render(context)
        finally:
            self.tracer.leave()


def traced_handler(tracer: CostTracer) -> Any:
    """The site's WSGI handler with the middleware chain, the view and Django's own request handling charged."""
    from django.core.handlers.wsgi import WSGIHandler

    class TracedHandler(WSGIHandler):
        def __init__(self) -> None:
            super().__init__()  # loads the middleware, which captures self._get_response below
            # Middleware: the chain (each middleware's __call__, process_request, process_response) and the
            # hooks Django calls from inside it. (Private attributes of BaseHandler, which django-stubs omits.)
            handler = vars(self)
            handler["_middleware_chain"] = tracer.charging(MIDDLEWARE, handler["_middleware_chain"])
            for hooks in ("_view_middleware", "_template_response_middleware", "_exception_middleware"):
                handler[hooks] = [tracer.charging(MIDDLEWARE, hook) for hook in handler[hooks]]

        def _get_response(self, request: Any) -> Any:
            # Inside the innermost middleware: URL resolution, calling the view, rendering its response. Django's
            # own request handling, as the ceiling pays it too: other, except what the buckets inside take.
            tracer.enter(OTHER)
            try:
                return super()._get_response(request)  # type: ignore[misc]  # private, not in django-stubs
            finally:
                tracer.leave()

        def make_view_atomic(self, view: Any) -> Any:
            return tracer.charging(VIEW, super().make_view_atomic(view))

    return TracedHandler()


def traced_application(tracer: CostTracer) -> inprocess.WSGIApplication:
    handler = traced_handler(tracer)

    def whole_request(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        # The WSGI call itself (building the request, the request_started signal, the response's headers) and
        # finishing the response (request_finished: the database connection's check) are other.
        tracer.enter(OTHER)
        try:
            response = handler(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            tracer.leave()

    return whole_request


@dataclass
class PageCost:
    page: str
    requests: int
    cpu_ms: dict[str, float]  # per request, by bucket
    traced_total_ms: float  # the sum of cpu_ms
    untraced_total_ms: float  # the same requests without the tracer
    profile: str | None  # cProfile's stats of the same requests, a file under bench/results/


def file_name(page: Page) -> str:
    return re.sub(r"[^a-z0-9]+", "-", page.name.lower()).strip("-") + ".prof"


def measure_costs(session_cookie: str, *, requests: int, profiles: Path | None) -> list[PageCost]:
    """For each page: ``requests`` untraced and as many traced, in alternating blocks; then, into ``profiles``,
    the same number under cProfile.

    CPU time per request drifts by several per cent on a shared machine (other programs' use of the caches and
    the hypervisor): alternating blocks of untraced and traced requests lets both see the same drift. On Python
    3.11 it also depends by up to ±10 % on how deep in the call stack the request starts (where its frames fall
    in the interpreter's frame stack), and the tracer's wrappers shift that depth: each pair of blocks starts at
    another depth, over a range wide enough to average that out.
    """
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    plain = WSGIHandler()
    tracer = CostTracer()
    traced = traced_application(tracer)
    if profiles:
        profiles.mkdir(parents=True, exist_ok=True)

    def spend(application: inprocess.WSGIApplication, page: Page, count: int, depth: int = 0) -> int:
        """CPU nanoseconds of ``count`` requests made ``depth`` calls deeper than here."""
        if depth:
            return spend(application, page, count, depth - 1)
        started = time.thread_time_ns()
        for _ in range(count):
            inprocess.request(application, page, session_cookie)
        return time.thread_time_ns() - started

    results = []
    blocks = max(1, round(requests / BLOCK_REQUESTS))
    for page in PAGES:
        spend(plain, page, WARM_UP_REQUESTS)
        with instrumented(tracer):
            spend(traced, page, WARM_UP_REQUESTS)
        gc.collect()
        tracer.reset()
        untraced_ns = 0
        for block in range(blocks):
            depth = block * DEPTH_STEP % MAX_EXTRA_DEPTH
            untraced_ns += spend(plain, page, BLOCK_REQUESTS, depth)
            with instrumented(tracer):
                spend(traced, page, BLOCK_REQUESTS, depth)
        measured = blocks * BLOCK_REQUESTS
        spent = dict(tracer.spent_ns)
        profile_path = None
        if profiles:
            profiler = cProfile.Profile()
            profiler.enable()
            spend(plain, page, measured)
            profiler.disable()
            profile_path = profiles / file_name(page)
            profiler.dump_stats(profile_path)
        cpu_ms = {bucket: spent[bucket] / measured / 1e6 for bucket in BUCKETS}
        results.append(
            PageCost(
                page=page.label,
                requests=measured,
                cpu_ms=cpu_ms,
                traced_total_ms=sum(cpu_ms.values()),
                untraced_total_ms=untraced_ns / measured / 1e6,
                profile=str(profile_path) if profile_path else None,
            )
        )
    connection.close()
    return results
