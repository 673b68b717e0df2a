from django.urls import path
from rest_framework.routers import DefaultRouter

from conversations.views import InboxConversationViewSet, inbox_people, segments
from integrations.crm.views import ContactViewSet, DealViewSet
from thoughtflow.api.views import ApiKeyViewSet, MembershipViewSet, WorkspaceViewSet
from workflows.views import (
    CampaignViewSet,
    HandoffViewSet,
    RunViewSet,
    WorkflowViewSet,
    node_kinds,
    workflow_templates,
)

router = DefaultRouter()
router.register("workspaces", WorkspaceViewSet, basename="workspace")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("api-keys", ApiKeyViewSet, basename="apikey")
router.register("contacts", ContactViewSet, basename="contact")
router.register("deals", DealViewSet, basename="deal")
router.register("workflows", WorkflowViewSet, basename="workflow")
router.register("runs", RunViewSet, basename="run")
router.register("handoffs", HandoffViewSet, basename="handoff")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register(
    "inbox/conversations", InboxConversationViewSet, basename="inbox-conversation"
)

urlpatterns = [
    *router.urls,
    path("inbox/people/", inbox_people, name="inbox-people"),
    path("sms/segments/", segments, name="sms-segments"),
    path("node-kinds/", node_kinds, name="node-kinds"),
    path("workflow-templates/", workflow_templates, name="workflow-templates"),
]
