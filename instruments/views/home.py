"""The home page: a search box into the catalogue and the platform's figures."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..selectors.stats import platform_stats


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "instruments/home.html", {"stats": platform_stats()})
