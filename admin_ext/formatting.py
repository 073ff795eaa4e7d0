"""How the admin writes values for people to read."""


def euros(amount):
    """An amount the French way: `1 234,50 €`."""
    return f"{amount:,.2f} €".replace(",", " ").replace(".", ",")
