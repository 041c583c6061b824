def test_home_page_renders_in_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "公益微创投平台" in response.get_data(as_text=True)


def test_world_builds(world, session):
    assert world.organizer_a.grants[0].district_id == world.district_a.id
