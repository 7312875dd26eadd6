# The web pages: dashboard, city and plan pages, sign-in/out.
urlpatterns = []
