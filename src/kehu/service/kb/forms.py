from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import ArticleCategory, ArticleStatus


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    category = forms.ModelChoiceField(label=_("Category"), queryset=ArticleCategory.objects.all(), required=False)
    body = forms.CharField(label=_("Text"), max_length=50000, widget=forms.Textarea(attrs={"rows": 14}),
                           help_text=_("Plain text; blank lines separate paragraphs."))
    comment = forms.CharField(label=_("What changed"), max_length=500, required=False)


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    category = forms.ModelChoiceField(label=_("Category"), queryset=ArticleCategory.objects.all(), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All"))] + ArticleStatus.choices, required=False)


class ReportForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False)
    end = forms.DateField(label=_("To"), required=False)
