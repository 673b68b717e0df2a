from django.urls import path

from conversations import pages, simulator

app_name = "conversations"

urlpatterns = [
    path("inbox/", pages.inbox_page, name="inbox"),
    path("simulator/", simulator.simulator_page, name="simulator"),
    path("simulator/api/threads/", simulator.thread_list, name="simulator-threads"),
    path(
        "simulator/api/threads/<int:contact_id>/",
        simulator.thread_detail,
        name="simulator-thread",
    ),
    path(
        "simulator/api/threads/<int:contact_id>/messages/",
        simulator.thread_reply,
        name="simulator-reply",
    ),
    path(
        "simulator/api/threads/<int:contact_id>/calls/",
        simulator.thread_missed_call,
        name="simulator-missed-call",
    ),
    path("simulator/api/contacts/", simulator.new_contact, name="simulator-contact"),
]
