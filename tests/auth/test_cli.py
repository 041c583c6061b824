"""flask create-user: the first organizer of a district, and roles for existing users."""

from __future__ import annotations

from sqlalchemy import select

from grants.auth import service
from grants.auth.models import User
from grants.org.models import District


def test_create_first_organizer_creates_the_district(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "--login",
            "13800000000",
            "--name",
            "王主任",
            "--role",
            "organizer",
            "--org",
            "新区",
            "--password",
            "a-good-password",
        ]
    )
    assert result.exit_code == 0, result.output
    session.commit()
    user = session.scalar(select(User).where(User.mobile == "13800000000"))
    district = session.scalar(select(District).where(District.name == "新区"))
    assert [(g.role, g.district_id) for g in user.grants] == [("organizer", district.id)]
    assert service.authenticate(session, login="13800000000", password="a-good-password") is not None


def test_create_user_adds_a_role_to_an_existing_user_and_reports_errors(app, session, world):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "--login",
            "resident",
            "--name",
            "x",
            "--role",
            "community_staff",
            "--org",
            "甲区/甲街道/甲二社区",
            "--password",
            "whatever-pw",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "create-user",
            "--login",
            "resident",
            "--name",
            "x",
            "--role",
            "community_staff",
            "--org",
            "甲区/甲街道/没有这个社区",
            "--password",
            "whatever-pw",
        ]
    )
    assert result.exit_code != 0 and "community not found" in result.output
    result = runner.invoke(args=["create-user", "--login", "ab", "--name", "x", "--password", "whatever-pw"])
    assert result.exit_code != 0 and "用户名" in result.output
