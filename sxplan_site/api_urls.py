# The REST API (/api/v1/), its schema (/api/schema/) and docs (/api/docs/).
urlpatterns = []
