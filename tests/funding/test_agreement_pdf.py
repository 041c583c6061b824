"""The agreement PDF: amount in figures and in 大写, parties, tranches and budget, an embedded CJK
font (poppler's pdftotext/pdffonts); drawn from the plan before signing, from the grant after."""

from __future__ import annotations

import pytest

from grants.funding import agreement
from tests.proposals.test_pdf import _compact, _fonts, _pdf_text


@pytest.fixture
def grant(make_grant, world, session):
    world.district_a.office_name = "甲区社区建设办公室"
    session.commit()
    return make_grant(world.edition_a, approved_fen=1_200_000, community=world.community_a)


def test_the_signed_agreement_prints_parties_amount_in_figures_and_capitals_tranches_and_budget(
    client, login_as, world, grant, sign_grant, tmp_path, session
):
    sign_grant(grant)
    login_as(world.finance_a)
    response = client.get(f"/funding/grants/{grant.id}/agreement.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = _compact(_pdf_text(response.data, tmp_path))
    for expected in (
        "资助协议",
        grant.agreement_no,
        "甲区社区建设办公室",
        "楼道微花园",
        "樱桃社区居民委员会",
        "农业银行城关支行",
        "6228480012345678",
        "¥12,000.00",
        "人民币壹万贰仟元整",
        "首期款",
        "¥7,200.00",
        "¥4,800.00",
        "中期报告",
        "发票",
        "花盆和土",
        "停拨",
        "退回",
        "甲方（盖章）",
        "收款单位（盖章）",
        "2026-11-20",
    ):
        assert expected in text, expected
    assert "草稿" not in text
    assert "13800000000" not in text and "1390000" not in text  # no phone numbers of the team
    fonts = _fonts(response.data, tmp_path)
    assert fonts and all(emb == "yes" for _name, emb in fonts)
    assert any("CJK" in name for name, _emb in fonts), fonts


def test_before_signing_the_draft_uses_the_editions_plan_and_the_proposals_budget(
    client, login_as, world, grant, tmp_path, session
):
    terms = agreement.terms_of(session, grant)
    assert not terms.signed and sum(t.amount_fen for t in terms.tranches) == 1_200_000
    assert [line.item for line in terms.lines] == ["花盆和土", "宣传海报"]
    login_as(world.organizer_a)
    response = client.get(f"/funding/grants/{grant.id}/agreement.pdf")
    text = _compact(_pdf_text(response.data, tmp_path))
    assert "草稿" in text and "¥12,000.00" in text and "壹万贰仟元整" in text and "¥7,200.00" in text
    assert "（签订时填写）" in text


def test_the_signed_agreement_shows_the_current_budget_not_the_proposals(session, world, make_grant, sign_grant):
    grant = make_grant(world.edition_a, approved_fen=380_001, community=world.community_a)
    sign_grant(grant)
    terms = agreement.terms_of(session, grant)
    assert terms.signed and terms.lines_total_fen == 380_001  # the proposal asked for 1,200 yuan
    assert terms.amount_capitals == "叁仟捌佰元零壹分"
    assert [t.amount_fen for t in terms.tranches] == [228_001, 152_000]
