"""Incubation models: groups and members, activities, volunteer hours and their certificates (star ratings
beside them)."""

from grants.incubation.models.activities import (  # noqa: F401
    Activity,
    ActivityKind,
    ActivityPhoto,
    ActivityStatus,
    VolunteerHours,
)
from grants.incubation.models.certificates import VolunteerCertificate  # noqa: F401
from grants.incubation.models.groups import Group, GroupKind, GroupMember, GroupStatus, MemberRole  # noqa: F401
from grants.incubation.models.ratings import (  # noqa: F401
    CampaignStatus,
    SheetStage,
    StarAssessor,
    StarCampaign,
    StarCriterion,
    StarNomination,
    StarObjection,
    StarObjectionStatus,
    StarSheet,
    StarSheetLine,
)
