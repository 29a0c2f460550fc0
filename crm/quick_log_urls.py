"""Quick logging from any page: a call, a meeting or a referral in a few clicks."""

urlpatterns: list = []
