def test_home_renders_with_csp(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_unknown_page_is_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"couldn't find that page" in response.data


def test_users_fixture_has_each_role(users):
    assert users["staff"].is_staff and not users["moderator"].is_staff
