"""What the one job page (/jobs/<id>, grants/results/document_views.py) shows for each kind of
document job: who may see the job, its title and the way back, its progress in words, and the
files it makes. The domain that makes a kind of job registers it here when its views are loaded
(the page asks no domain directly, so no domain imports another for it)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from grants.reports.models import DocumentJob


@dataclass(frozen=True)
class JobFile:
    """One file a job makes: its extension, the download button's words (lazy), its type."""

    suffix: str
    label: object  # a lazy_gettext string
    mimetype: str


@dataclass(frozen=True)
class JobText:
    """The page's words about one job, in the reader's language."""

    title: str
    subtitle: str = ""
    back_url: str | None = None
    back_label: str = ""


@dataclass(frozen=True)
class JobKind:
    may_view: Callable[[object, DocumentJob], bool]  # (user, job): the job's own permission
    text: Callable[[DocumentJob], JobText]
    count: Callable[[DocumentJob], str]  # progress in words: "已生成2份，共3份"
    pending: Callable[[], str]  # the line shown while the job waits or runs
    files: tuple[JobFile, ...]

    def file(self, suffix: str | None) -> JobFile | None:
        """The file named by its extension (the first without one); None when the job makes no such file."""
        if not suffix:
            return self.files[0]
        return next((f for f in self.files if f.suffix == suffix), None)

    def stored_suffix(self, file: JobFile) -> str | None:
        """How the file is found under the job's stored name: a job of one file stores its whole
        name, a job of several their common stem (the file's extension is added)."""
        return file.suffix if len(self.files) > 1 else None


_KINDS: dict[str, JobKind] = {}


def register(kind: str, job_kind: JobKind) -> None:
    _KINDS[kind] = job_kind


def kind_of(job: DocumentJob) -> JobKind | None:
    """How the page shows this job; None for a job the page does not show (e.g. funding exports,
    which have their own page)."""
    return _KINDS.get(job.kind)
