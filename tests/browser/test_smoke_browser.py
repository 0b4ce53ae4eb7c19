def test_home_page_loads_in_chromium(app, page, base_url, csp_errors):
    page.goto(base_url + "/")
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.get_by_role("link", name="Get help now").is_visible()
    assert csp_errors == []
