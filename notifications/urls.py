from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("robots/", views.robots_page, name="robots"),
    path("robots/<int:pk>/delete/", views.robot_delete, name="robot-delete"),
]
