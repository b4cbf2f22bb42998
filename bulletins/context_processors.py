from .models import PublicationSettings


def publication(request):
    return {"publication": PublicationSettings.load()}
