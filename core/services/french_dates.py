"""Dates written the French way for parents, independent of the server's locale."""

import datetime

WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
WEEKDAYS_SHORT = ["Lun.", "Mar.", "Mer.", "Jeu.", "Ven.", "Sam.", "Dim."]
MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]
MONTHS_SHORT = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]


def weekday_name(day: datetime.date) -> str:
    """"lundi"."""
    return WEEKDAYS[day.weekday()]


def column_label(day: datetime.date) -> str:
    """"Lun. 18/09": a week grid's column header."""
    return f"{WEEKDAYS_SHORT[day.weekday()]} {day:%d/%m}"


def short_label(day: datetime.date) -> str:
    """"Lun. 18 sept.": a day in a list (emails, basket)."""
    return f"{WEEKDAYS_SHORT[day.weekday()]} {day.day} {MONTHS_SHORT[day.month - 1]}"


def long_label(day: datetime.date) -> str:
    """"lundi 18 septembre": a day spoken by a screen reader."""
    return f"{weekday_name(day)} {day.day} {MONTHS[day.month - 1]}"


def full_label(day: datetime.date) -> str:
    """"lundi 18 septembre 2023"."""
    return f"{long_label(day)} {day.year}"
