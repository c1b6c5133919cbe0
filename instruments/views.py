"""Pages of the catalogue and of units. Thin: forms validate, services write, selectors read."""

from django.shortcuts import render


def home(request):
    return render(request, "instruments/home.html", {})
