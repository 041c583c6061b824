"""Benchmark: the notice PDF of a 500-project list and the 500 winners' certificates.

    .venv/bin/python bench/notice_pdf.py [--entries 500] [--certificates N]

Builds (not timed) a published final list of N entries in a temporary SQLite database, then times
`documents.notice_pdf` and the certificate batch exactly as the job queue makes it
(`jobs.write_certificates`: one certificate at a time, written into the zip at once), and prints
as its last line

    notice_pdf_seconds=<s> notice_pdf_bytes=<n> certificates_seconds=<s>

Targets (issue 6): the notice ≤ 3 s and ≤ 1 MB; 500 certificates ≤ 20 s, memory not growing with
the batch (the resident memory of this process and of the render workers after a quarter and
after the whole batch is printed too).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
# A few name characters outside GB2312, as real lists have them: they must still print.
RARE = "堃喆昇玥祎琤赟珺翀"
WORDS = [
    "楼道微花园",
    "邻里守望",
    "银龄互助",
    "四点半课堂",
    "垃圾分类",
    "社区书屋",
    "老兵驿站",
    "亲子农场",
    "文明养犬",
    "共享工具",
    "睦邻食堂",
    "小巷管家",
    "环保酵素",
    "非遗剪纸",
    "健康讲堂",
    "夕阳红合唱",
    "口袋公园",
    "旧物改造",
    "安全巡逻",
    "暖心理发",
]
TIERS = ("一等奖", "二等奖", "三等奖", "优秀奖")
COMMUNITIES = ("甲一社区", "甲二社区", "新桥社区", "南湖社区", "东风社区", "翠苑社区")
CATEGORIES = ("环境卫生", "文化建设", "邻里互助", "自管自治", "志愿服务", "一老一小")


def _name(rng: random.Random) -> str:
    pool = SURNAMES + RARE if rng.random() < 0.05 else SURNAMES
    return rng.choice(SURNAMES) + "*" + rng.choice(pool)


from scaffold import edition_in_new_district  # noqa: E402  (bench/ is the script's folder)


def build(session, entries: int):
    """A published awards list of ``entries`` projects; returns the publication's id."""
    from sqlalchemy import insert, select

    from grants.auth import service as auth_service
    from grants.editions import service as edition_service
    from grants.proposals.models import Proposal
    from grants.results.models import Publication, PublicationEntry
    from grants.timeutil import now

    rng = random.Random(20261201)
    district, community, edition, start = edition_in_new_district(
        session, name="基准区第一届公益微创投大赛", pool_fen=10_000_000_000, days_ago=60
    )
    district.office_name = "基准区民政局"
    applicant = auth_service.register_user(session, login="bench_res", display_name="申报人", password="bench12345")
    final = edition_service.rounds_of(session, edition.id)[-1]
    final.status = "closed"
    session.execute(
        insert(Proposal),
        [
            {
                "edition_id": edition.id,
                "applicant_id": applicant.id,
                "community_id": community.id,
                "status": "eligible",
                "title": f"{rng.choice(WORDS)}{rng.choice(WORDS)}项目{i}",
                "requested_fen": 500_000,
                "version": 1,
                "submitted_at": start + timedelta(seconds=i),
            }
            for i in range(entries)
        ],
    )
    proposals = list(session.execute(select(Proposal.id, Proposal.title).where(Proposal.edition_id == edition.id)))
    opened = now() - timedelta(days=1)
    publication = Publication(
        edition_id=edition.id,
        round_id=final.id,
        number=1,
        final=True,
        status="published",
        title="基准区第一届公益微创投大赛获奖项目公示",
        introduction="经社区推荐、专家初评和终评路演答辩，现将获奖项目名单予以公示。\n公示期内如有异议，请在平台提出。",
        judges=[f"评委{i}" for i in range(1, 8)],
        window_days=5,
        opens_at=opened,
        closes_at=opened + timedelta(days=7),
    )
    session.add(publication)
    session.flush()
    session.execute(
        insert(PublicationEntry),
        [
            {
                "publication_id": publication.id,
                "proposal_id": pid,
                "position": i,
                "rank": i,
                "title": title,
                "applicant": _name(rng),
                "community": rng.choice(COMMUNITIES),
                "street": "基准街道",
                "category": rng.choice(CATEGORIES),
                "summary": "",
                "team_size": 5,
                "score": Decimal(9500 - i) / 100,
                "tier": TIERS[min(3, i * 4 // entries)],
                "approved_fen": 300_000 + 50 * i,
            }
            for i, (pid, title) in enumerate(proposals, start=1)
        ],
    )
    return publication.id


def _rss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _current_rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _workers_rss_mb() -> list[float]:
    """Current resident memory of this process's render workers (Linux /proc)."""
    children = []
    for task in Path("/proc/self/task").iterdir():
        children += (task / "children").read_text().split()
    sizes = []
    for pid in children:
        try:
            if "multiprocessing" in Path(f"/proc/{pid}/cmdline").read_text():
                sizes.append(round(_current_rss_mb(pid)))
        except OSError:
            continue
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--certificates", type=int, default=None, help="how many (default: every entry)")
    parser.add_argument("--keep", default="", help="also write the notice PDF to this file")
    args = parser.parse_args()
    tmp = tempfile.TemporaryDirectory()
    url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    os.environ["DATABASE_URL"] = url

    from flask_migrate import upgrade

    from grants import create_app, jobs
    from grants.db import db, unit_of_work
    from grants.reports import fonts
    from grants.results import documents
    from grants.results.models import Publication
    from grants.results.queries import entries_of

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp.name, "ARGON2_TIME_COST": 1})
    base_url = "http://localhost/"
    with app.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        with unit_of_work() as session:
            publication_id = build(session, args.entries)
        db.session.remove()
        reduced = [f.filename for f in fonts.reduced_fonts(app.static_folder)]
        print(f"reduced CJK fonts: {', '.join(reduced) or 'not generated (make fonts)'}")
        publication = db.session.get(Publication, publication_id)
        entries = entries_of(db.session, publication)

        # The first render in a process loads the fonts: time a warm render, as a server sees it.
        documents.notice_pdf(publication, entries[:5], base_url)
        started, cpu = time.perf_counter(), time.process_time()
        pdf = documents.notice_pdf(publication, entries, base_url)
        notice_seconds, notice_cpu = time.perf_counter() - started, time.process_time() - cpu
        if args.keep:
            Path(args.keep).write_bytes(pdf)
        print(
            f"notice: {len(entries)} rows, {len(pdf)} bytes in {notice_seconds:.2f} s (CPU {notice_cpu:.2f} s); "
            f"rss {_rss_mb(resource.RUSAGE_SELF):.0f} MB; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )

        winners = documents.winners(db.session, publication)[: args.certificates]
        target = Path(tmp.name) / "certificates.zip"
        progress = []
        started = time.perf_counter()
        with target.open("wb") as out:
            jobs.write_certificates(
                out,
                publication,
                winners,
                base_url,
                on_progress=lambda done: progress.append((done, _current_rss_mb(), _workers_rss_mb())),
            )
        certificates_seconds = time.perf_counter() - started
        with zipfile.ZipFile(target) as archive:
            assert len(archive.namelist()) == len(winners)
        quarter = progress[max(0, len(progress) // 4 - 1)]
        print(
            f"certificates: {len(winners)} in {certificates_seconds:.2f} s, zip {target.stat().st_size} bytes; "
            f"rss of this process after 25%: {quarter[1]:.0f} MB, after 100%: {progress[-1][1]:.0f} MB; "
            f"render workers after 25%: {quarter[2]} MB, after 100%: {progress[-1][2]} MB; "
            f"peak rss of this process {_rss_mb(resource.RUSAGE_SELF):.0f} MB"
        )
        db.session.remove()
        db.engine.dispose()
    print(
        f"notice_pdf_seconds={notice_seconds:.3f} notice_pdf_bytes={len(pdf)} certificates_seconds={certificates_seconds:.3f}"
    )


if __name__ == "__main__":
    main()
