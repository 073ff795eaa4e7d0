from core.checks import check_payfip_production_mode, check_payment_settings


def test_payment_settings_are_checked(settings):
    assert check_payment_settings(None) == []
    settings.PAYMENT_BACKEND = "paypal"
    settings.PAYFIP_SAISIE = "P"
    settings.PAYFIP_SIMULATOR_NOTIFICATION = "lose"
    assert [error.id for error in check_payment_settings(None)] == ["core.E003", "core.E004", "core.E005"]


def test_production_payments_in_test_or_activation_mode_are_flagged(settings):
    settings.PAYMENT_BACKEND = "payfip"
    settings.PAYFIP_SAISIE = "W"
    assert check_payfip_production_mode(None) == []
    settings.PAYFIP_SAISIE = "T"
    assert [warning.id for warning in check_payfip_production_mode(None)] == ["core.W001"]
