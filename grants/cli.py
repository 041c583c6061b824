"""Command-line tools: flask seed-demo, create-user, import-orgs, import-judges, backup, restore."""

from __future__ import annotations

import logging

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from grants.auth import service as auth_service
from grants.auth.models import ROLE_SCOPE, Role
from grants.db import db, unit_of_work
from grants.errors import DomainError


def register_commands(app: Flask) -> None:
    from grants.backup.cli import backup_command, restore_command
    from grants.judging.cli import import_judges_command
    from grants.org.cli import import_orgs_command

    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(import_orgs_command)
    app.cli.add_command(import_judges_command)
    app.cli.add_command(jobs_worker_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(funding_reconcile_command)


@click.command("seed-demo")
def seed_demo_command() -> None:
    """Load the demo district, users and edition (safe to run again)."""
    from grants.demo import seed_demo

    with unit_of_work() as session:
        report = seed_demo(session)
    click.echo(report)


def _resolve_scope(session, role: Role, org: str | None, edition_id: int | None):
    from grants.editions.models import Edition
    from grants.org import service as org_service
    from grants.org.models import Community, District, Street

    column = ROLE_SCOPE[role]
    if column == "edition_id":
        edition = session.get(Edition, edition_id) if edition_id else None
        if edition is None:
            raise click.UsageError("--edition ID is required for the judge role and must exist")
        return edition
    if not org:
        raise click.UsageError("--org is required: DISTRICT, DISTRICT/STREET or DISTRICT/STREET/COMMUNITY")
    parts = [p.strip() for p in org.split("/")]
    district = session.scalar(select(District).where(District.name == parts[0]))
    if district is None:
        if column != "district_id":
            raise click.UsageError(f"district {parts[0]!r} does not exist")
        district = org_service.create_district(session, actor=None, name=parts[0])
        click.echo(f"created district {district.name}")
    if column == "district_id":
        return district
    street = (
        session.scalar(select(Street).where(Street.district_id == district.id, Street.name == parts[1]))
        if len(parts) > 1
        else None
    )
    if street is None:
        raise click.UsageError("street not found: give --org DISTRICT/STREET[/COMMUNITY]")
    if column == "street_id":
        return street
    community = (
        session.scalar(select(Community).where(Community.street_id == street.id, Community.name == parts[2]))
        if len(parts) > 2
        else None
    )
    if community is None:
        raise click.UsageError("community not found: give --org DISTRICT/STREET/COMMUNITY")
    return community


@click.command("create-user")
@click.option("--login", required=True, help="mobile number or user name")
@click.option("--name", "display_name", required=True, help="display name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=None)
@click.option("--org", default=None, help="DISTRICT, DISTRICT/STREET or DISTRICT/STREET/COMMUNITY")
@click.option("--edition", "edition_id", type=int, default=None, help="edition id, for --role judge")
def create_user_command(login, display_name, password, role, org, edition_id) -> None:
    """Create an account, optionally with a role (e.g. the first organizer of a district)."""
    try:
        with unit_of_work() as session:
            user = auth_service.find_user_by_login(session, login)
            if user is None:
                user = auth_service.register_user(session, login=login, display_name=display_name, password=password)
                click.echo(f"created user {user.login_name}")
            else:
                click.echo(f"user {user.login_name} exists; adding the role only")
            if role:
                scope = _resolve_scope(session, Role(role), org, edition_id)
                auth_service.grant_role(session, actor=None, user=user, role=Role(role), scope=scope)
                click.echo(f"granted {role} on {getattr(scope, 'name', scope.id)}")
    except DomainError as err:
        raise click.ClickException(str(err)) from err
    db.session.remove()


@click.command("jobs-worker")
@click.option("--workers", type=int, default=1, show_default=True, help="jobs run at the same time")
@with_appcontext
def jobs_worker_command(workers: int) -> None:
    """Run the background job consumer (batch certificates …) until stopped (Ctrl-C / SIGTERM)."""
    from flask import current_app

    from grants.jobs import queue_for, sweep_pending_photos, sweep_queued_documents, yield_cpu_to_requests

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()
    queue = queue_for(app)
    kind = type(queue.huey.storage).__name__
    priority = yield_cpu_to_requests()  # before the consumer starts its threads: they inherit it
    click.echo(f"jobs worker: {workers} worker(s) on {kind} queue {queue.huey.name!r}, CPU priority: {priority}")
    # Photos whose cleaning task was never queued (the queue was down when they were stored).
    if swept := sweep_pending_photos(app):
        click.echo(f"jobs worker: queued the photos of {swept} activities that waited to be cleaned")
    # Documents whose task was lost while they waited (a queue server restarted without keeping it).
    if swept := sweep_queued_documents(app):
        click.echo(f"jobs worker: queued again {swept} document jobs that waited to start")
    # An idle consumer polls SQLite at most a second apart (Redis blocks on the queue instead),
    # so a job starts within a second of being asked for.
    consumer = queue.huey.create_consumer(workers=workers, worker_type="thread", periodic=False, max_delay=1.0)
    consumer.run()


@click.command("funding-reconcile")
@click.option("--edition", "edition_id", type=int, default=None, help="only this edition's grants (id)")
@with_appcontext
def funding_reconcile_command(edition_id: int | None) -> None:
    """Check that ledger, tranches, disbursements, budgets, expenses and refunds agree; name every
    grant that does not. Exit status 1 when anything disagrees."""
    from grants.editions.models import Edition
    from grants.funding import reconcile
    from grants.money import format_fen

    if edition_id is not None and db.session.get(Edition, edition_id) is None:
        raise click.ClickException(f"no edition {edition_id}")
    summary = reconcile.reconcile(db.session, edition_id)
    db.session.remove()
    for result in summary.failing:
        click.echo(f"grant {result.grant_id} ({result.title}, {result.status}):")
        for problem in result.problems:
            click.echo(f"  - {problem}")
    click.echo(
        f"{len(summary.results)} grants, {len(summary.failing)} disagree; approved {format_fen(summary.approved_fen)}, "
        f"paid {format_fen(summary.paid_fen)}, refunded {format_fen(summary.refunded_fen)}, "
        f"accepted expenses {format_fen(summary.accepted_fen)}, ledger {format_fen(summary.ledger_fen)}"
    )
    if not summary.ok:
        raise SystemExit(1)
