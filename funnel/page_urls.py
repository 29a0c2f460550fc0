"""The lead's pages under /review/ (funnel.pages): the team review, scorecards, plans."""

from django.urls import path

from funnel import pages

urlpatterns = [
    path("", pages.team_review_page, name="team-review-page"),
    path("scorecard/<int:manager_id>/", pages.scorecard_page, name="scorecard-page"),
    path("plans/<int:manager_id>/", pages.plan_edit_page, name="plan-edit-page"),
]
