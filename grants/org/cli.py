"""flask import-orgs FILE.csv: streets and communities from a CSV file."""

from __future__ import annotations

import click
from sqlalchemy import select

from grants.db import unit_of_work
from grants.org import service
from grants.org.models import District


@click.command("import-orgs")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--district", "district_name", default=None, help="import every row into this district")
@click.option("--create-districts", is_flag=True, help="create districts named in the file that do not exist")
def import_orgs_command(path: str, district_name: str | None, create_districts: bool) -> None:
    """Import streets and communities (columns 街道/street, 社区/community, optional 区/district)."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        with unit_of_work() as session:
            district = None
            if district_name:
                district = session.scalar(select(District).where(District.name == district_name))
                if district is None:
                    raise click.UsageError(f"district {district_name!r} does not exist")
            report = service.import_orgs(
                session, actor=None, data=data, district=district, create_districts=create_districts
            )
    except service.ImportRowsError as err:
        for message in err.messages:
            click.echo(message, err=True)
        raise click.ClickException(f"{len(err.messages)} error(s); nothing was imported") from err
    click.echo(
        f"streets created: {report.streets_created}, communities created: {report.communities_created}, "
        f"already present: {report.already_present}"
    )
