"""The home page: what the platform offers, with its statistics."""

from django.shortcuts import render


def home(request):
    return render(request, "instruments/home.html", {})
