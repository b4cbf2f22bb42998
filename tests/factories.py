import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from bulletins.models import Bulletin, Entity, EntityAlias, Item, Section


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        if create:
            self.save()


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"栏目{n}")
    slug = factory.Sequence(lambda n: f"section-{n}")
    position = factory.Sequence(lambda n: n + 10)


class BulletinFactory(factory.django.DjangoModelFactory):
    """A bulletin row written directly — for read-side tests; workflow tests use workflow.*"""

    class Meta:
        model = Bulletin

    issued_on = factory.Sequence(lambda n: dt.date(2026, 1, 1) + dt.timedelta(days=n))


class ItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Item

    bulletin = factory.SubFactory(BulletinFactory)
    section = factory.LazyFunction(lambda: Section.objects.get(slug="company-news"))
    position = factory.Sequence(lambda n: n + 1)
    body = factory.Sequence(lambda n: f"测试公司{n}宣布完成B轮融资。")


class EntityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entity

    type = "company"
    name = factory.Sequence(lambda n: f"公司{n}")
    slug = factory.Sequence(lambda n: f"company-{n}")


class EntityAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EntityAlias

    entity = factory.SubFactory(EntityFactory)
    alias = factory.Sequence(lambda n: f"Alias{n}")
