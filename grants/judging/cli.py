"""flask import-judges --edition ID FILE: add judges to an edition's pool from CSV or XLSX."""

from __future__ import annotations

from pathlib import Path

import click

from grants.db import db, unit_of_work
from grants.editions.models import Edition
from grants.errors import DomainError
from grants.judging import panel


@click.command("import-judges")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--edition", "edition_id", type=int, required=True, help="the edition's ID")
def import_judges_command(path: str, edition_id: int) -> None:
    """Import judges (columns 登录名, 姓名, optional 社区); prints one-time passwords of new accounts."""
    data = Path(path).read_bytes()
    try:
        table = panel.read_table(data, path)
        passwords = panel.one_time_passwords(db.session, table)
        with unit_of_work() as session:
            edition = session.get(Edition, edition_id)
            if edition is None:
                raise click.UsageError(f"edition {edition_id} does not exist")
            imported = panel.import_judges(session, actor=None, edition=edition, table=table, passwords=passwords)
    except DomainError as err:
        for message in getattr(err, "problems", []):
            click.echo(message, err=True)
        raise click.ClickException(str(err)) from err
    click.echo(f"{len(imported)} judge(s) added to edition {edition_id}")
    for item in imported:
        if item.password:
            click.echo(f"new account {item.user.mobile or item.user.username}: one-time password {item.password}")
