"""Quick logging from any page: a call, a meeting or a referral in a few clicks (POST only;
the forms are the partial crm/includes/quick_log.html, see crm.quick_log)."""

from django.urls import path

from crm import quick_log

urlpatterns = [
    path("call/", quick_log.log_call, name="log-call"),
    path("meeting/", quick_log.log_meeting, name="log-meeting"),
    path("referral/", quick_log.log_referral, name="log-referral"),
]
