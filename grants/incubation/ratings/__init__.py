"""Star rating (星级评定): a district's yearly campaign — 社区推荐 → 街道初评 → 区级审评 → 公示 → 结果确定.

One module per activity: ``scoring.py`` (pure math), ``states.py`` (the campaign's one state
machine), ``policy.py``, ``campaigns.py`` (setup and stages), ``sheets.py`` (recommendation and
score sheets), ``decisions.py`` (the organizer's decisions, the notice, objections, finalizing) and
``queries.py`` (read rules: a group's current stars, lists).
"""
