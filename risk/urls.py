from __future__ import annotations

from django.urls import URLPattern, path

from risk import views

urlpatterns: list[URLPattern] = [
    path("worker/today/", views.worker_today, name="worker-today"),
    path("worker/tasks/<int:pk>/done/", views.task_done, name="task-done"),
]
