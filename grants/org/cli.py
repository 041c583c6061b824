"""flask import-orgs (in progress)."""

import click


@click.command("import-orgs")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_orgs_command(path: str) -> None:
    """Import streets and communities from a CSV file."""
    raise click.ClickException("not yet available")
