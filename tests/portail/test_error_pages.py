def test_unknown_api_url_answers_json_404(client, db):
    response = client.delete("/api/v1/basket/items/-37/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json" and response.json() == {"detail": "Introuvable."}


def test_unknown_page_answers_a_french_page(client, db):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode() and 'lang="fr"' in response.content.decode()
