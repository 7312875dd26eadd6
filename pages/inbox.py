"""The inbox page: a user's notices (returned reports, reminders, red warnings), newest first."""

from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.views.generic import TemplateView

from notices.choices import NoticeKindChoices
from notices.models import Notice
from notices.services import notice_mark_read

from .views import PageMixin

PAGE_SIZE = 50


class InboxView(PageMixin, TemplateView):
    template_name = "pages/inbox.html"
    section = "inbox"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        notices = Notice.objects.for_user(self.request.user)
        kind = self.request.GET.get("kind", "")
        if kind in NoticeKindChoices.values:
            notices = notices.filter(kind=kind)
        if self.request.GET.get("unread") == "1":
            notices = notices.unread()
        page = Paginator(notices, PAGE_SIZE).get_page(self.request.GET.get("page"))
        context.update(page=page, kinds=NoticeKindChoices.choices, kind=kind, unread=self.request.GET.get("unread"))
        return context

    def post(self, request, *args, **kwargs):
        """Mark one notice (``notice=<id>``) or all of them read, then go back (or to the notice's link)."""
        wanted = request.POST.get("notice", "")
        if wanted.isdigit():
            notice = Notice.objects.for_user(request.user).filter(pk=int(wanted)).first()
            if notice is not None:
                notice_mark_read(user=request.user, notices=[notice])
                if request.POST.get("open") and notice.link.startswith("/"):
                    return redirect(notice.link)
        else:
            notice_mark_read(user=request.user)
        return redirect("inbox")
