"""flask backup [--output FILE] and flask restore ARCHIVE."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from grants.backup import service
from grants.backup.archive import BackupError
from grants.money import format_fen


@click.command("backup")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="archive to write (default: instance/backups/grants-backup-<UTC time>.tar.gz)",
)
@with_appcontext
def backup_command(output: Path | None) -> None:
    """Write one archive (owner-only) of the database, uploads, generated documents and secret key."""
    try:
        path, manifest = service.create_backup(current_app._get_current_object(), output)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    rows = sum(manifest.row_counts.values())
    click.echo(f"backup written: {path}")
    click.echo(
        f"{manifest.database_kind} database at revision {manifest.alembic_revision}: "
        f"{len(manifest.row_counts)} tables, {rows} rows; {len(manifest.files) - 2} upload and document files"
    )


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(archive: Path) -> None:
    """Restore an archive of `flask backup` into this EMPTY instance (stop the server first)."""
    try:
        summary = service.restore_backup(current_app._get_current_object(), archive)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    manifest = summary.manifest
    click.echo(f"restored the backup of {manifest.created_at} (UTC) from {archive}")
    click.echo(f"checked: sha256 of {len(manifest.files)} files, row counts of {len(manifest.row_counts)} tables")
    click.echo(f"{manifest.database_kind} database at revision {manifest.alembic_revision}, {summary.rows} rows:")
    for name, count in sorted(manifest.row_counts.items()):
        click.echo(f"  {name:<32} {count:>9}")
    for name, total in sorted(manifest.money_sums.items()):
        click.echo(f"  Σ {name:<30} {format_fen(total):>16}")
    click.echo(f"{summary.files} upload and document files; secret key written to {summary.secret_key_path}")
