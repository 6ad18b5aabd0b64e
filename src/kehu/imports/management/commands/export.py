"""``kehu export customers OUT.xlsx|OUT.csv [--filter key=value …] [--user USERNAME] [--reason TEXT]``.

CSV is written as UTF-8 with BOM (Excel opens it as it is), XLSX in constant memory. Personal data is masked unless
the user may see it; every export is logged in the personal data access log. Exit status 2 for unusable arguments.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

FILTER_KEYS = ("query", "q", "kind", "branch", "owner", "lifecycle_status", "management_class", "tag",
               "relationship_stage")


class Command(BaseCommand):
    help = ("Export customers to Excel or CSV. Filters: query, kind, branch (code), owner (username), "
            "lifecycle_status, management_class, tag (name), relationship_stage. "
            "Example: kehu export customers 客户.xlsx --filter branch=SH1 --filter kind=person --user manager1")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["customers"])
        parser.add_argument("out", help="OUT.xlsx or OUT.csv")
        parser.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE")
        parser.add_argument("--user", default="", help="export as this staff member (their scope and masking)")
        parser.add_argument("--reason", default="", help="why personal data is exported (logged)")
        parser.add_argument("--masked", action="store_true", help="mask personal data even if the user may see it")
        parser.add_argument("--language", default="", help="language of headers and values (zh-hans or en)")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        with translation.override(options["language"] or settings.LANGUAGE_CODE):
            self._export(options)

    def _export(self, options: dict[str, Any]) -> None:
        from kehu.customers.selectors import CustomerFilters
        from kehu.imports.services import customer_export
        from kehu.org.models import Branch, User

        out = options["out"]
        suffix = out.lower().rsplit(".", 1)[-1] if "." in out else ""
        if suffix not in {"csv", "xlsx"}:
            raise CommandError(_("Name the output file .xlsx or .csv."), returncode=2)
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(_("There is no active staff member “%(user)s”.") % {"user": options["user"]},
                                   returncode=2)
        filters = CustomerFilters()
        for item in options["filter"]:
            key, separator, value = item.partition("=")
            key, value = key.strip(), value.strip()
            if not separator or key not in FILTER_KEYS:
                raise CommandError(_("Unknown filter “%(filter)s”; use one of: %(keys)s.")
                                   % {"filter": item, "keys": ", ".join(FILTER_KEYS)}, returncode=2)
            if key in {"query", "q"}:
                filters.query = value
            elif key == "branch":
                branch = Branch.objects.filter(code=value).first()
                if branch is None:
                    raise CommandError(_("There is no branch with the code %(code)s.") % {"code": value}, returncode=2)
                filters.branch = branch.pk
            elif key == "owner":
                owner = User.objects.filter(username=value).first()
                if owner is None:
                    raise CommandError(_("There is no active staff member “%(user)s”.") % {"user": value},
                                       returncode=2)
                filters.owner = owner.pk
            elif key == "tag":
                from kehu.customers.models import Tag

                tag = Tag.objects.filter(name=value).first()
                filters.tag = tag.pk if tag else -1
            else:
                setattr(filters, key, value)
        reason = options["reason"] or _("Command-line export to %(file)s") % {"file": out}
        try:
            count = customer_export(user=user, out=out, file_format=suffix, filters=filters, reason=reason,
                                    include_personal_data=not options["masked"])
        except (PermissionDenied, ValidationError) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)])), returncode=2) from None
        self.stdout.write(_("%(count)d customers exported to %(file)s") % {"count": count, "file": out})
