"""The public site. Every view starts from ``published()``: nothing unpublished is reachable."""

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import DetailView, ListView, TemplateView

from .exporters.text import title_headlines
from .models import Bulletin, Entity, Item, Section


def public_items():
    return Item.objects.published().select_related("section", "bulletin")


def issue_context(bulletin: Bulletin) -> dict:
    items = list(
        bulletin.items.filter(status="approved")
        .select_related("section")
        .prefetch_related(Prefetch("entities", queryset=Entity.objects.order_by("name")))
        .in_issue_order()
    )
    sections = []
    for item in items:
        if not sections or sections[-1][0].pk != item.section_id:
            sections.append((item.section, []))
        sections[-1][1].append(item)
    ranked = sorted(
        (i for i in items if i.headline and i.headline_rank), key=lambda i: i.headline_rank
    )
    return {
        "bulletin": bulletin,
        "sections": sections,
        "headline_items": ranked,
        "headlines": title_headlines(items),
        "corrections": list(bulletin.corrections.all()),
    }


class LatestBulletinView(TemplateView):
    template_name = "bulletins/bulletin_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        bulletin = Bulletin.objects.published().order_by("-issued_on").first()
        if bulletin is not None:
            context.update(issue_context(bulletin))
        return context


class BulletinDetailView(TemplateView):
    template_name = "bulletins/bulletin_detail.html"

    def get_context_data(self, **kwargs):
        import datetime as dt

        context = super().get_context_data(**kwargs)
        try:
            day = dt.date(kwargs["year"], kwargs["month"], kwargs["day"])
        except ValueError as exc:
            raise Http404("no such date") from exc
        retracted = Bulletin.objects.retracted().filter(issued_on=day).first()
        if retracted is not None:
            context["bulletin"] = retracted
            context["is_retracted"] = True
            return context
        bulletin = get_object_or_404(Bulletin.objects.published(), issued_on=day)
        context.update(issue_context(bulletin))
        return context


class ItemDetailView(DetailView):
    template_name = "bulletins/item_detail.html"
    context_object_name = "item"

    def get_queryset(self):
        return public_items().prefetch_related("entities")


class SectionDetailView(ListView):
    template_name = "bulletins/section_detail.html"
    context_object_name = "items"
    paginate_by = 30

    def get_queryset(self):
        self.section = get_object_or_404(Section, slug=self.kwargs["slug"])
        return (
            public_items().filter(section=self.section).order_by("-bulletin__issued_on", "position")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(section=self.section, **kwargs)


class EntityDetailView(ListView):
    template_name = "bulletins/entity_detail.html"
    context_object_name = "items"
    paginate_by = 30

    def get(self, request, *args, **kwargs):
        self.entity = get_object_or_404(Entity, slug=kwargs["slug"])
        if self.entity.merged_into_id:
            return redirect(self.entity.merged_into, permanent=True)
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return (
            public_items()
            .filter(entity_links__entity=self.entity, entity_links__is_confirmed=True)
            .order_by("-bulletin__issued_on", "section__position", "position")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(entity=self.entity, **kwargs)
